"""The document steps inside the clean Spark job: the PII step flags or redacts, its audit column and its
report section, and the same outputs whatever the partitioning and the Arrow batch size."""

from __future__ import annotations

import json

import pytest

from .test_filters import GOOD
from .test_job import generated, read, run_clean, write_input

pytestmark = pytest.mark.spark

PII_SENTENCE = ("Readers can write to the newsroom at desk.editor@planet-mail.de, call +49 30 901820 or, in town, "
                "030 2345678; the old server at 93.184.216.34 and 2a00:1450:4001:82b::200e is gone, and the card "
                "4111 1111 1111 1111 was never charged. Version 1.2.3.4 and 192.168.1.1 are not personal.")


def pii_rows() -> list[dict]:
    body = "\n\n".join([GOOD, PII_SENTENCE])
    return [{"id": f"pii-{i}", "url": f"https://www.zeitung{i}.de/artikel", "text": body, "html": None,
             "source": "pii", "gen_kind": None, "gen_junk_kind": None} for i in range(6)]


@pytest.fixture(scope="module")
def pii_runs(spark, tables, tmp_path_factory):
    base = tmp_path_factory.mktemp("clean_steps")
    rows = generated(30, seed=31) + pii_rows()
    source = write_input(spark, tables, base / "in", rows)
    # the six PII pages share their paragraphs: paragraph dedup would keep them in the first only (rightly)
    off = ["clean.paragraphs.enabled=false"]
    run_clean(spark, tables, source, base / "flag", sets=off)
    run_clean(spark, tables, source, base / "redact", sets=[*off, "clean.steps.pii.mode=redact"])
    run_clean(spark, tables, source, base / "redact_small",
              sets=[*off, "clean.steps.pii.mode=redact", "clean.job.docs_per_partition=7", "clean.job.batch_rows=5"])
    return {"base": base, "rows": rows, "tables": tables}


EXPECTED = [("email", "desk.editor@planet-mail.de"), ("phone", "+49 30 901820"), ("phone", "030 2345678"),
            ("ipv4", "93.184.216.34"), ("ipv6", "2a00:1450:4001:82b::200e"), ("payment_card", "4111 1111 1111 1111")]


def test_flag_mode_keeps_the_text_and_lists_the_spans(pii_runs):
    docs = read(pii_runs["tables"], pii_runs["base"] / "flag" / "documents")
    rejected = read(pii_runs["tables"], pii_runs["base"] / "flag" / "rejected")
    for i in range(6):
        doc = docs[f"pii-{i}"]
        assert sorted((a["kind"], doc["text"][a["start"]:a["end"]]) for a in doc["pii"]) == sorted(EXPECTED)
        assert all(len(a["hash"]) == 16 for a in doc["pii"])
    assert all(r["pii"] is None for r in rejected.values())  # the step never ran on rejected rows
    assert all(d["pii"] == [] for k, d in docs.items() if not k.startswith("pii-") and "@" not in d["text"])


def test_redact_mode_replaces_the_spans_and_points_at_the_placeholders(pii_runs):
    flagged = read(pii_runs["tables"], pii_runs["base"] / "flag" / "documents")
    docs = read(pii_runs["tables"], pii_runs["base"] / "redact" / "documents")
    assert set(docs) == set(flagged)
    doc = docs["pii-0"]
    for _, original in EXPECTED:
        assert original not in doc["text"]
    assert sorted((a["kind"], doc["text"][a["start"]:a["end"]]) for a in doc["pii"]) == sorted(
        (kind, f"<{kind.upper()}>") for kind, _ in EXPECTED)
    assert sorted(a["hash"] for a in doc["pii"]) == sorted(a["hash"] for a in flagged["pii-0"]["pii"])
    assert "Version 1.2.3.4 and 192.168.1.1" in doc["text"]


def test_redaction_does_not_depend_on_partitions_or_batches(pii_runs):
    for name in ("documents", "rejected"):
        a = read(pii_runs["tables"], pii_runs["base"] / "redact" / name)
        b = read(pii_runs["tables"], pii_runs["base"] / "redact_small" / name)
        assert a == b
    assert read(pii_runs["tables"], pii_runs["base"] / "redact" / "documents")


def test_the_report_has_a_section_per_step(pii_runs):
    base = pii_runs["base"]
    flag = json.loads((base / "flag" / "report.json").read_text())
    redact = json.loads((base / "redact" / "report.json").read_text())
    (section,) = flag["document_steps"]
    counters = {c["counter"]: c["value"] for c in section["counters"]}
    assert counters["docs"] >= 6 and counters["spans_phone"] >= 12 and counters["spans_payment_card"] >= 6
    assert counters["chars_redacted"] == 0 and all(c["description"] for c in section["counters"])
    assert section["docs"] == flag["metrics"]["kept"] and section["reasons"] == []
    assert redact["metrics"]["document_steps"]["pii"]["chars_redacted"] > 0
    assert flag["metrics"]["worker_seconds"]["step_pii"] > 0
    assert "pii" in [s["step"] for s in flag["steps"]]
    assert redact["metrics"]["chars_out"] < flag["metrics"]["chars_out"]  # placeholders are shorter here
    html = (base / "flag" / "report.html").read_text()
    assert "Document step: pii" in html and "spans_payment_card" in html


# -- the decontaminate step --------------------------------------------------------------------------------
def contaminated_rows(tmp_path) -> tuple[list[dict], str, dict[str, str]]:
    """Generated articles of which a known few quote a synthetic benchmark item, and the benchmark file."""
    from corpussieve.sample import plants
    from corpussieve.sample.corpus import CorpusGenerator, CorpusSpec

    spec = CorpusSpec(docs=60, seed=41, contaminated_fraction=0.25, benchmark_items=12, include_html=False,
                      exact_fraction=0, near_fraction=0, junk_fraction=0)
    gen = CorpusGenerator(spec)
    rows = []
    for i in range(spec.docs):
        r = gen.record(i)
        rows.append({"id": r["id"], "url": r["url"], "text": r["text"], "html": None, "source": "synth",
                     "gen_kind": r["gen_kind"], "gen_junk_kind": None, "planted": r["gen_contaminated"]})
    path = str(tmp_path / "bench.jsonl")
    plants.write_benchmark(spec.seed, spec.benchmark_items, path)
    return rows, path, {r["id"]: r["planted"] for r in rows if r["planted"]}


@pytest.fixture(scope="module")
def decon_runs(spark, tables, tmp_path_factory):
    base = tmp_path_factory.mktemp("clean_decon")
    rows, bench, planted = contaminated_rows(base)
    source = write_input(spark, tables, base / "in", rows)
    # paragraph dedup would remove the second copy of an item planted twice (rightly): off, to test the step alone
    on = ["clean.steps.decontaminate.enabled=true", f"clean.steps.decontaminate.benchmarks=[\"synth={bench}\"]",
          "clean.paragraphs.enabled=false"]
    run_clean(spark, tables, source, base / "flag", sets=on)
    run_clean(spark, tables, source, base / "drop", sets=[*on, "clean.steps.decontaminate.mode=drop"])
    run_clean(spark, tables, source, base / "cut", sets=[*on, "clean.steps.decontaminate.mode=cut",
                                                         "clean.job.docs_per_partition=9", "clean.job.batch_rows=4"])
    return {"base": base, "planted": planted, "tables": tables}


def test_decontaminate_step_flags_exactly_the_planted_items(decon_runs):
    docs = read(decon_runs["tables"], decon_runs["base"] / "flag" / "documents")
    planted = {k: v for k, v in decon_runs["planted"].items() if k in docs}
    assert len(planted) >= 8  # a quarter of 60 articles, less the few the filters reject
    hit = {k: [(i["benchmark"], i["item_id"]) for i in d["contamination"]["items"]]
           for k, d in docs.items() if d["contamination"]["contaminated"]}
    assert hit == {k: [("synth", v)] for k, v in planted.items()}  # every planted item, nothing else
    assert all(d["contamination"]["action"] == "flag" for k, d in docs.items() if k in planted)
    assert all(d["contamination"]["action"] is None for k, d in docs.items() if k not in planted)


def test_decontaminate_step_drops_or_cuts(decon_runs):
    base, planted = decon_runs["base"], decon_runs["planted"]
    flagged = read(decon_runs["tables"], base / "flag" / "documents")
    dropped = read(decon_runs["tables"], base / "drop" / "rejected")
    kept = read(decon_runs["tables"], base / "drop" / "documents")
    contaminated = {k for k in planted if k in flagged}
    assert {k for k, r in dropped.items() if r["reject_reason"] == "decontaminate:contaminated"} == contaminated
    assert set(kept) == set(flagged) - contaminated
    cut = read(decon_runs["tables"], base / "cut" / "documents")
    from corpussieve.sample import plants

    for key in contaminated & set(cut):
        item = plants.benchmark_item(41, int(planted[key].split("-")[1]))
        assert item["answer"] not in cut[key]["text"] and cut[key]["contamination"]["action"] == "cut"
    report = json.loads((base / "cut" / "report.json").read_text())
    counters = report["metrics"]["document_steps"]["decontaminate"]
    assert counters["docs"] == len(contaminated) and counters["chars_removed"] > 0
    assert [s["step"] for s in report["document_steps"]] == ["decontaminate", "pii"]


def test_decontaminate_step_config_is_validated():
    from corpussieve.clean.steps.decontaminate import DecontaminateStepConfig

    with pytest.raises(ValueError, match="lists no benchmark files"):
        DecontaminateStepConfig(enabled=True)
    with pytest.raises(ValueError, match="belong to the decontaminate job"):
        DecontaminateStepConfig(enabled=True, benchmarks=["x.jsonl"], strategy="join")
