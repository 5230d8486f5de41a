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
    run_clean(spark, tables, source, base / "flag")
    run_clean(spark, tables, source, base / "redact", sets=["clean.steps.pii.mode=redact"])
    run_clean(spark, tables, source, base / "redact_small",
              sets=["clean.steps.pii.mode=redact", "clean.job.docs_per_partition=7", "clean.job.batch_rows=5"])
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
