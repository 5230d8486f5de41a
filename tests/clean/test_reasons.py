"""Every clean reason is declared with a description, and everything the clean steps emit is declared; the
filters registry is the one list the config and the stack are built from."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pyarrow as pa
import pytest
from pydantic import Field

from corpussieve.clean import arrowfns
from corpussieve.clean.config import CleanConfig, FiltersConfig
from corpussieve.clean.document import clean_document
from corpussieve.clean.filters import FILTERS, FilterStack, _filters_config, usual_stack_config
from corpussieve.clean.filters.base import FilterConfig, QualityFilter
from corpussieve.clean.reasons import FAMILIES, STEPS
from corpussieve.reasons import DECLARING_MODULES, catalog, describe, lookup, undeclared
from corpussieve.sample.corpus import CorpusGenerator, CorpusSpec
from corpussieve.sample.junk import JUNK_KINDS, make_junk_page

from .test_arrowfns import ROWS, _batch
from .test_document import HTML, MARKDOWN, ODD_TEXTS


def test_clean_reasons_module_is_a_declaring_module():
    assert "corpussieve.clean.reasons" in DECLARING_MODULES
    declared = {reason.step for reason in catalog()}
    assert set(STEPS) <= declared


def test_every_family_code_is_declared():
    for family, codes in FAMILIES.items():
        assert codes and all(lookup(code) is not None and lookup(code).code == code for code in codes), family


def test_every_filter_declares_its_reasons_with_descriptions():
    for quality_filter in FILTERS:
        declared = {reason.code: reason.description for reason in catalog([quality_filter.name])}
        assert declared == {f"{quality_filter.name}:{name}": text for name, text in quality_filter.reasons.items()}
        assert all(declared.values())
        assert dict(quality_filter.codes) == {name: f"{quality_filter.name}:{name}" for name in quality_filter.reasons}


def _judge_reasons(quality_filter: QualityFilter, rng: random.Random) -> set[str]:
    """Every reason ``judge`` gives over many signal vectors, from all zeros to huge, for several languages."""
    names = quality_filter.signal_names()
    values = [-1.0, 0.0, 0.05, 0.5, 1.0, 3.0, 12.0, 1e9]
    found = set()
    vectors = [dict.fromkeys(names, v) for v in values]
    vectors += [{n: rng.choice(values) for n in names} for _ in range(300)]
    for signals, language in itertools.product(vectors, [None, "en", "de", "zh", "xx"]):
        found.update(f"{quality_filter.name}:{r}" for r in quality_filter.judge(signals, language))
    return found


def test_judge_gives_only_declared_reasons():
    rng = random.Random(1)
    configs = [FiltersConfig(), usual_stack_config(),
               FiltersConfig.model_validate({"language": {"languages": ["fr"]}, "c4": {"max_curly_braces": 2}})]
    for cfg in configs:
        for quality_filter in FilterStack(cfg).filters:
            found = _judge_reasons(quality_filter, rng)
            assert found and undeclared(found) == [], quality_filter.name
    # each filter can give each of its reasons (a reason nothing gives is dead weight in the catalog)
    seen = set().union(*(_judge_reasons(f, rng) for cfg in configs for f in FilterStack(cfg).filters))
    families = {lookup(code).code for code in seen}
    assert families == {f"{f.name}:{name}" for f in FILTERS for name in f.reasons}


def _emitted_by_documents() -> list[str]:
    cfg = CleanConfig()
    reasons: list[str] = []
    for kind in JUNK_KINDS:
        for i in range(4):
            page = make_junk_page(kind, random.Random(f"{kind}:{i}"))
            reasons += clean_document(html=page["html"], cfg=cfg).reasons
            reasons += clean_document(text=page["text"], cfg=cfg).reasons
    for text in ODD_TEXTS.values():
        reasons += clean_document(text=text, cfg=cfg).reasons
        reasons += clean_document(html=text, cfg=cfg).reasons
    odd_inputs = [(None, None), ("", ""), (None, " \n\t"), (b"\x00\xff\xfe" * 5000, None), ("plain words", None),
                  (b"<html><body><p>caf\xe9 " + b"\xff" * 30 + b"</p></body></html>", None), (HTML, None),
                  (None, MARKDOWN), (None, "word " * 1_100_000), (None, "Share on Facebook\nAll rights reserved."),
                  (None, "{" * 300 + " function x() { return 1; }"), (None, "lorem ipsum dolor sit amet " * 40)]
    for html, text in odd_inputs:
        reasons += clean_document(html=html, text=text, cfg=cfg).reasons
    generator = CorpusGenerator(CorpusSpec(docs=60, seed=3, docs_per_site=10))
    for record in map(generator.record, range(60)):
        reasons += clean_document(html=record.get("html"), text=record.get("text"), cfg=cfg).reasons
    return reasons


def test_every_reason_emitted_on_varied_input_is_declared():
    reasons = _emitted_by_documents()
    steps = {code.split(":")[0] for code in reasons}
    assert {"extract", "input", "c4", "gopher_quality", "gopher_repetition", "fineweb", "language"} <= steps
    assert undeclared(reasons) == []
    assert all(describe(code) for code in reasons)


def test_every_reason_the_arrow_functions_emit_is_declared(monkeypatch):
    cfg = CleanConfig()
    prepared = arrowfns.prepare_batch(_batch(ROWS), cfg)
    every_line = prepared.column(prepared.schema.get_field_index("__line_hashes")).to_pylist()
    hashes = pa.array([sorted(set(r)) if r else None for r in every_line], pa.list_(pa.int64()))
    emptied = arrowfns.remove_batch(prepared.append_column("__site_lines", hashes), np.zeros(0, dtype=np.int64))
    reasons = [code for row in arrowfns.filter_batch(emptied, cfg).to_pylist() for code in row["__reasons"]]
    assert "site_lines:no_text_left" in reasons

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(arrowfns, "prepare_text", fail)
    reasons += [code for row in arrowfns.prepare_batch(_batch(ROWS[:1]), cfg).to_pylist() for code in row["__reasons"]]
    monkeypatch.undo()
    monkeypatch.setattr(arrowfns, "run_filters", fail)
    unfiltered = arrowfns.remove_batch(arrowfns.prepare_batch(_batch(ROWS[:2]), cfg), np.zeros(0, dtype=np.int64))
    reasons += [code for row in arrowfns.filter_batch(unfiltered, cfg).to_pylist() for code in row["__reasons"]]
    assert {"prepare:error", "filters:error", "extract:binary", "input:empty"} <= set(reasons)
    assert undeclared(reasons) == []


def test_every_reason_on_the_aeb_dev_pages_is_declared(aeb_dev):
    cfg = CleanConfig()
    reasons = []
    for page in aeb_dev.values():
        reasons += clean_document(html=page["html"], url=page.get("url"), cfg=cfg).reasons
        reasons += clean_document(text=page["truth"], cfg=cfg).reasons
    assert undeclared(reasons) == []


def test_the_registry_builds_the_config_and_the_stack():
    names = [f.name for f in FILTERS]
    assert list(FiltersConfig.model_fields) == names
    assert all(FiltersConfig.model_fields[f.name].annotation is f.config for f in FILTERS)
    assert [f.name for f in FilterStack(FiltersConfig()).filters] == names
    assert CleanConfig.model_fields["filters"].annotation is FiltersConfig


def test_a_new_filter_is_one_class_and_one_registry_entry():
    class ToyConfig(FilterConfig):
        max_x: int = Field(3, description="More x: rejected 'too_many_x'.")

    class Toy(QualityFilter):
        name = "unittest_toy"
        config = ToyConfig
        reasons = {"too_many_x": "more x than max_x"}

        def signal_names(self):
            return ("x",)

        def measure(self, doc):
            return {"x": float(doc.text.count("x"))}

        def judge(self, signals, language=None):
            return ["too_many_x"] if signals["x"] > self.cfg.max_x else []

    assert describe("unittest_toy:too_many_x") == "more x than max_x" and Toy.codes["too_many_x"]
    extended = _filters_config((*FILTERS, Toy))
    assert list(extended.model_fields)[-1] == "unittest_toy"
    assert extended().unittest_toy.max_x == 3
    with pytest.raises(TypeError, match="config class"):
        type("NoConfig", (Toy,), {"name": "unittest_noconfig", "reasons": {"a": "b"}, "config": None})
