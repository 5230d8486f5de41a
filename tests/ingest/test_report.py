"""The ingest report from plain values: metrics keyed by reason code, and a report.html that says what each
reason means."""

from __future__ import annotations

from corpussieve.ingest import report
from corpussieve.reasons import reason_rows


def _report(by_reason):
    m = report.metrics(2, 3_000_000, 12, by_reason, {"documents": 9, "derived_ids": 2, "body_bytes": 2_000_000,
                                                     "with_text": 9, "with_html": None}, seconds=2.0)
    summary = {"output": "/lake/raw", "rejected_table": "/lake/raw_rejected", "documents": 9, "seconds": 2.0}
    return m, {"summary": summary, "metrics": m, "run_id": "abc123", "reasons": reason_rows(by_reason),
               "inputs": [{"files": 2, "bytes": 3_000_000, "formats": ["jsonl"]}],
               "outputs": [{"path": "/lake/raw", "mode": "append", "version": 0, "rows": 9, "committed": True}],
               "stages": [{"name": "read", "seconds": 1.0, "rows_in": 12, "rows_out": 10},
                          {"name": "report", "seconds": 0.1}]}


def test_metrics_count_rejections_by_code_and_rates_by_seconds():
    m, _ = _report({"ingest:invalid_json": 2, "ingest:duplicate_id": 1})
    assert m["rejected"] == 3 and list(m["rejected_by_reason"]) == ["ingest:duplicate_id", "ingest:invalid_json"]
    assert (m["documents"], m["with_html"], m["fetch_time_unparsed"]) == (9, 0, 0)
    assert (m["records_per_second"], m["mb_per_second"], m["body_mb_per_second"]) == (6.0, 1.5, 1.0)
    assert report.metrics(0, 0, 0, {}, {}, seconds=0)["mb_per_second"] is None


def test_report_html_lists_each_reason_with_its_description():
    _, body = _report({"ingest:invalid_json": 2, "ingest:duplicate_id": 1})
    page = report.render_html(body)
    assert "ingest:invalid_json" in page and "does not parse as JSON" in page
    assert page.index("ingest:invalid_json") < page.index("ingest:duplicate_id")  # most frequent first
    assert "/lake/raw_rejected" in page and "<script" not in page


def test_report_html_of_a_batch_already_ingested_says_nothing_was_written():
    page = report.render_html({"summary": {"output": "/lake/raw", "already_ingested": True, "version": 3,
                                           "txn": {"app_id": "corpussieve-ingest", "version": 7}},
                               "metrics": {}, "run_id": "abc123", "inputs": [{"files": 1, "formats": ["warc"]}],
                               "outputs": [], "stages": []})
    assert "already in /lake/raw" in page and "corpussieve-ingest v7" in page
