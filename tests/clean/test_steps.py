"""The document-step registry and runner, and ``arrowfns.steps_batch``, without Spark."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from pydantic import Field

from corpussieve.clean.arrowfns import (
    audit_columns,
    filter_batch,
    output_schema,
    prepare_batch,
    remove_batch,
    steps_batch,
    steps_columns,
)
from corpussieve.clean.config import CleanConfig
from corpussieve.clean.steps import (
    STEP_GUARD,
    STEPS,
    DocumentStep,
    StepConfig,
    StepResult,
    StepRunner,
    StepsConfig,
    _steps_config,
)
from corpussieve.reasons import describe

from .test_arrowfns import ROWS, _batch


class ShoutConfig(StepConfig):
    marker: str = Field("!", description="appended to every text")


class Shout(DocumentStep):
    """Upper-cases texts; rejects the ones holding 'reject me'; fails on 'boom'."""

    name = "shout_test"
    config = ShoutConfig
    reasons = {"asked": "the text asked to be rejected"}
    counters = {"chars": "characters shouted"}

    @classmethod
    def columns(cls, cfg):
        return [pa.field("shouted", pa.bool_())]

    def apply(self, rows):
        if any("boom" in t for t in rows.texts):
            raise RuntimeError("boom")
        return StepResult([t.upper() + self.cfg.marker for t in rows.texts],
                          {"shouted": [True] * len(rows)},
                          [[self.codes["asked"]] if "reject me" in t else [] for t in rows.texts],
                          {"chars": [len(t) for t in rows.texts]})


class Count(DocumentStep):
    """Records the text it saw (after Shout) and the payload."""

    name = "count_test"
    config = StepConfig
    counters = {"docs": "documents seen"}

    @classmethod
    def columns(cls, cfg):
        return [pa.field("seen", pa.string())]

    @classmethod
    def prepare(cls, cfg, spark):
        return np.arange(3)

    def apply(self, rows):
        return StepResult(list(rows.texts), {"seen": [f"{t}|{int(self.payload.sum())}" for t in rows.texts]},
                          [], {"docs": [1] * len(rows)})


REGISTRY = (Shout, Count)
ToyConfig = _steps_config(REGISTRY)


def test_the_registry_builds_the_config_and_declares_reasons():
    assert set(StepsConfig.model_fields) == {s.name for s in STEPS}
    assert set(ToyConfig.model_fields) == {"shout_test", "count_test"}
    assert ToyConfig().shout_test.marker == "!"
    assert describe("shout_test:asked") == "the text asked to be rejected"
    assert describe(STEP_GUARD["error"])
    with pytest.raises(ValueError, match="share a name"):
        _steps_config((Shout, Shout))
    with pytest.raises(TypeError, match="StepConfig"):
        type("Bad", (DocumentStep,), {"name": "bad_test", "config": dict, "apply": lambda self, rows: None})


def test_a_step_name_the_job_uses_is_refused():
    Filters = type("Filters", (DocumentStep,), {"name": "filters", "config": StepConfig,
                                                "apply": lambda self, rows: None})
    with pytest.raises(ValueError, match="taken"):
        _steps_config((Filters,))


def _run(texts, reasons=None, cfg=None):
    cfg = cfg if cfg is not None else ToyConfig()
    runner = StepRunner(cfg, {"count_test": Count.prepare(None, None)}, registry=REGISTRY)
    n = len(texts)
    return runner.run([f"d{i}" for i in range(n)], [None] * n, texts, reasons or [[] for _ in range(n)])


def test_steps_run_in_order_on_kept_documents_only():
    out = _run(["hello", None, "reject me", "already out", "boom", "fine"],
               reasons=[[], [], [], ["length:too_short"], [], []])
    assert out.texts == ["HELLO!", None, "REJECT ME!", "already out", "boom", "FINE!"]
    assert out.reasons == [[], [], ["shout_test:asked"], ["length:too_short"], [STEP_GUARD["error"]], []]
    shout, count = out.outcomes["shout_test"], out.outcomes["count_test"]
    assert shout.ran == [True, False, True, False, False, True]
    assert shout.columns["shouted"] == [True, None, True, None, None, True]
    assert shout.counters["chars"] == [5, None, 9, None, None, 4]
    assert shout.chars == [6, None, 10, None, None, 5]
    # the second step sees the first one's text, and skips what the first one rejected
    assert count.columns["seen"] == ["HELLO!|3", None, None, None, None, "FINE!|3"]
    assert sum(shout.seconds) > 0 and count.seconds[2] == 0.0


def test_a_disabled_step_does_not_run():
    out = _run(["hello"], cfg=ToyConfig(shout_test={"enabled": False}))
    assert out.texts == ["hello"] and list(out.outcomes) == ["count_test"]


def _through_filters(rows, cfg):
    return filter_batch(remove_batch(prepare_batch(_batch(rows), cfg), np.zeros(0, dtype=np.int64)), cfg)


PII_ROWS = [dict(r) for r in ROWS]
PII_ROWS[1]["text"] += "\nQuestions to the newsroom go to desk@planet-daily.de or +49 30 901820, anytime."


@pytest.mark.parametrize("mode", ["flag", "redact"])
def test_steps_batch_outputs_the_columns_it_declares(mode):
    cfg = CleanConfig.model_validate({"steps": {"pii": {"mode": mode}}})
    filtered = _through_filters(PII_ROWS, cfg)
    out = steps_batch(filtered, cfg)
    assert out.schema == output_schema(filtered.schema, steps_columns(cfg))
    assert audit_columns(cfg) == ["pii"]
    rows = out.to_pylist()
    kept = [r for r in rows if r["text"] is not None and not r["__reasons"]]
    assert kept and all(r["pii"] is not None and r["__n_pii_docs"] is not None for r in kept)
    assert all(r["pii"] is None and r["__n_pii_docs"] is None for r in rows if r not in kept)
    flagged = next(r for r in rows if r["id"] == "t0")
    spans = [(a["kind"], flagged["text"][a["start"]:a["end"]]) for a in flagged["pii"]]
    if mode == "flag":
        assert spans == [("email", "desk@planet-daily.de"), ("phone", "+49 30 901820")]
    else:
        assert spans == [("email", "<EMAIL>"), ("phone", "<PHONE>")] and "desk@" not in flagged["text"]
    assert flagged["__chars_pii"] == len(flagged["text"])


def test_steps_off_adds_no_column():
    cfg = CleanConfig.model_validate({"steps": {"pii": {"enabled": False}}})
    filtered = _through_filters(PII_ROWS, cfg)
    assert steps_batch(filtered, cfg).schema == filtered.schema
    assert audit_columns(cfg) == []


def test_steps_results_do_not_depend_on_batch_boundaries():
    cfg = CleanConfig.model_validate({"steps": {"pii": {"mode": "redact"}}})

    def run(parts: list[list[dict[str, Any]]]):
        rows = []
        for part in parts:
            rows += steps_batch(_through_filters(part, cfg), cfg).to_pylist()
        return [{k: v for k, v in r.items() if not k.startswith("__sec")} for r in rows]

    assert run([PII_ROWS]) == run([PII_ROWS[:2], PII_ROWS[2:3], PII_ROWS[3:]])


def test_the_files_clean_reads_are_in_its_run_key(tmp_path):
    # an edited benchmark or blocklist file must make a new run, never resume the old result
    import os

    from corpussieve.clean.config import CleanConfig
    from corpussieve.clean.stages import files_read

    bench, block = tmp_path / "bench.jsonl", tmp_path / "block.txt"
    bench.write_text('{"id": "a", "question": "one two three four five six seven eight nine ten"}\n')
    block.write_text("casino.example\n")
    cfg = CleanConfig.model_validate({
        "url_blocklist": {"lists": [{"name": "gambling", "path": str(block), "format": "domains"}]},
        "steps": {"decontaminate": {"enabled": True, "benchmarks": [f"synth={bench}"]}}})
    before = files_read(cfg)
    assert set(before) == {"blocklists", "benchmarks"} and files_read(CleanConfig()) == {}
    bench.write_text(bench.read_text() + '{"id": "b", "question": "eleven twelve"}\n')
    os.utime(block, ns=(1, 1))
    after = files_read(cfg)
    assert after["benchmarks"] != before["benchmarks"] and after["blocklists"] != before["blocklists"]
