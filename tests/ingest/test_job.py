"""The ingest job end to end in Spark: JSON Lines, WARC and Parquet into a table and its _rejected table,
appends that are idempotent per batch, and every rejection under a declared reason code."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpussieve import reasons
from corpussieve.errors import SchemaMismatchError
from corpussieve.ingest import records as R
from corpussieve.ingest.records import REASONS

from .test_readers import BAD, BAD_REASONS, GOOD, WARC_RESPONSES, write_jsonl, write_warc

pytestmark = pytest.mark.spark

REJECTED_LAYOUT = [("reject_reason", "string"), ("reject_reasons", "array<string>"), ("reject_detail", "string"),
                   ("file", "string"), ("record_index", "bigint"), ("id", "string"), ("url", "string"),
                   ("source", "string"), ("raw_excerpt", "string")]


def _rejected(tables, out) -> list[dict]:
    return [r.asDict() for r in tables.read(str(out) + "_rejected").collect()]


def test_ingest_jsonl_end_to_end_and_idempotent(run_ingest, tables, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "part-0.jsonl.gz", GOOD + BAD)
    write_jsonl(src / "part-1.jsonl.gz", [{"id": "a", "text": "a repeated source id"}])
    out = tmp_path / "lake" / "raw"
    summary = run_ingest([src], out)
    assert summary["documents"] == 4
    docs = {r["id"]: r for r in tables.read(str(out)).collect()}
    derived = R.content_id("https://x.example/b", None, "<p>beta</p>")
    assert set(docs) == {"a", "d", derived, derived + "~2"}
    assert docs["a"]["lang_hint"] == "en" and docs["a"]["score"] == 3
    assert docs["a"]["source"] == "part-0.jsonl.gz"
    assert tables.read(str(out) + "_rejected").dtypes == REJECTED_LAYOUT
    rejected = _rejected(tables, out)
    assert {r["reject_reason"] for r in rejected} == {*BAD_REASONS, REASONS["duplicate_id"]}
    assert all(r["reject_reasons"] == [r["reject_reason"]] and r["reject_detail"] for r in rejected)
    report = json.loads((tmp_path / "lake" / "raw_report.json").read_text())
    assert report["metrics"]["rejected_by_reason"][REASONS["duplicate_id"]] == 1
    assert report["metrics"]["records_read"] == len(GOOD) + len(BAD) + 1
    assert [s["name"] for s in report["stages"]] == ["read", "normalize", "write", "report"]
    assert {r["reason"]: r["description"] for r in report["reasons"]} == {
        code: reasons.describe(code) for code in report["metrics"]["rejected_by_reason"]}
    html = (tmp_path / "lake" / "raw_report.html").read_text()
    assert REASONS["duplicate_id"] in html and reasons.describe(REASONS["duplicate_id"]) in html
    version = tables.version(str(out))
    again = run_ingest([src], out)
    assert again["already_ingested"] and tables.version(str(out)) == version
    assert tables.read(str(out)).count() == 4


def test_ingest_appends_new_batches_and_rejects_known_ids(run_ingest, tables, tmp_path):
    first, second, third = tmp_path / "b1.jsonl.gz", tmp_path / "b2.jsonl.gz", tmp_path / "b3.jsonl.gz"
    write_jsonl(first, [{"id": "x1", "text": "one"}])
    write_jsonl(second, [{"id": "x2", "text": "two", "extra_field": 1.5}])
    write_jsonl(third, [{"id": "x1", "text": "one again"}, {"id": "x3", "text": "three"}])
    out = tmp_path / "t"
    run_ingest([first], out, batch_id=1)
    with pytest.raises(SchemaMismatchError, match="not in the table: extra_field"):
        run_ingest([second], out, batch_id=2)
    assert tables.version(str(out)) == 0 and tables.version(str(out) + "_rejected") == 0
    run_ingest([third], out, batch_id=2)
    ids = sorted(r["id"] for r in tables.read(str(out)).collect())
    assert ids == ["x1", "x3"]
    assert [r["reject_reason"] for r in _rejected(tables, out)] == [REASONS["id_already_in_table"]]
    assert run_ingest([third], out, batch_id=2)["already_ingested"]


def test_warc_responses_become_html_documents(run_ingest, tables, tmp_path):
    from corpussieve.sample.corpus import CorpusSpec
    from corpussieve.sample.writers import write_corpus

    write_corpus(CorpusSpec(docs=40, junk_fraction=0.0), str(tmp_path / "warc"), fmt="warc", workers=1)
    out = tmp_path / "w"
    summary = run_ingest([tmp_path / "warc"], out)
    assert summary["documents"] == 40 and summary["rejected"] == 0
    row = tables.read(str(out)).orderBy("url").first()
    assert row["html"].startswith("<!DOCTYPE html>") and row["text"] is None
    assert row["content_type"] == "text/html" and row["fetch_time"] is not None


def _write_parquet(folder, table) -> None:
    folder.mkdir()
    pq.write_table(table, folder / "x.parquet")


def test_ingest_parquet_keeps_typed_extra_columns(run_ingest, tables, tmp_path):
    _write_parquet(tmp_path / "pq", pa.table({
        "doc_id": ["p1", "p2", "p3"],
        "body": ["first text", "", "third"],
        "url": ["u1", "u2", "u3"],
        "quality": [0.5, 0.7, 0.9],
        "tags": [["a"], [], ["b", "c"]],
    }))
    run_ingest([tmp_path / "pq"], tmp_path / "p")
    # field names come from config; this run maps doc_id/body onto id/text
    run_ingest([tmp_path / "pq"], tmp_path / "p2", overrides={"ingest.fields.id": "doc_id",
                                                               "ingest.fields.text": "body"})
    rows = {r["id"]: r for r in tables.read(str(tmp_path / "p2")).collect()}
    assert set(rows) == {"p1", "p3"}
    assert rows["p3"]["tags"] == ["b", "c"] and rows["p1"]["quality"] == 0.5
    rejected = _rejected(tables, tmp_path / "p2")
    assert [(r["reject_reason"], r["reject_reasons"]) for r in rejected] == [(REASONS["empty_body"],
                                                                             [REASONS["empty_body"]])]
    assert tables.read(str(tmp_path / "p2") + "_rejected").dtypes == REJECTED_LAYOUT


def test_every_reason_ingest_can_emit_is_declared(run_ingest, tables, tmp_path):
    """Every rejection path, driven once: the JSON Lines reader (each bad line, a line too large, a truncated
    gzip), the WARC reader (status, content type, charset, size), repeated and known ids, and Parquet."""
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "part-0.jsonl.gz", [*GOOD, *BAD, {"id": "big", "text": "x" * 2000}])
    write_jsonl(src / "part-1.jsonl.gz", [{"id": "a", "text": "a repeated source id"}])
    write_jsonl(src / "cut.jsonl.gz", [{"id": f"c{i}", "text": f"record {i} " * 20} for i in range(500)])
    (src / "cut.jsonl.gz").write_bytes((src / "cut.jsonl.gz").read_bytes()[:1500])
    write_warc(src / "crawl.warc.gz", [response for response, _ in WARC_RESPONSES])
    small = {"ingest.max_record_bytes": 1024}
    run_ingest([src], tmp_path / "raw", overrides=small)
    known = tmp_path / "known.jsonl.gz"
    write_jsonl(known, [{"id": "a", "text": "already in the table"}])
    run_ingest([known], tmp_path / "raw", overrides=small)
    _write_parquet(tmp_path / "pq", pa.table({"id": ["p1", "p2"], "text": ["kept", " "]}))
    run_ingest([tmp_path / "pq"], tmp_path / "p")

    found = [code for out in ("raw", "p") for row in _rejected(tables, tmp_path / out)
             for code in [row["reject_reason"], *row["reject_reasons"]]]
    assert reasons.undeclared(found) == []
    assert set(found) == set(REASONS.values())  # every declared reason was driven


def test_an_old_layout_rejected_table_stops_an_append_before_any_commit(run_ingest, any_tables, tmp_path):
    """On both backends: the append stops with a message naming the table and the migration; after the
    README's migration the same append goes through and an earlier batch is still known as ingested."""
    from pyspark.sql import functions as F

    tables = any_tables
    out, rejected_path = tmp_path / "raw", str(tmp_path / "raw") + "_rejected"
    first, second = tmp_path / "b1.jsonl.gz", tmp_path / "b2.jsonl.gz"
    write_jsonl(first, [{"id": "x1", "text": "one"}, b'{"id": "x9", "text": \n'])
    write_jsonl(second, [{"id": "x2", "text": "two"}, {"id": "x3", "text": 3}])
    run_ingest([first], out, batch_id=1, on=tables)
    # the _rejected table as ingest wrote it before the shared reject_* columns
    new = tables.read(rejected_path)
    tables.write(new.select(F.regexp_replace("reject_reason", "^ingest:", "").alias("reason"),
                            F.col("reject_detail").alias("detail"), "file", "record_index", "id", "url", "source",
                            "raw_excerpt").localCheckpoint(), rejected_path, mode="overwrite")
    versions = (tables.version(str(out)), tables.version(rejected_path))

    with pytest.raises(SchemaMismatchError, match=r"raw_rejected has the old rejected layout.*Nothing was committed"):
        run_ingest([second], out, batch_id=2, on=tables)
    assert (tables.version(str(out)), tables.version(rejected_path)) == versions

    # the migration the README gives: codes prefixed with the step, the shared column names
    old = tables.read(rejected_path)
    code = F.concat(F.lit("ingest:"), F.col("reason"))
    tables.write(old.select(code.alias("reject_reason"), F.array(code).alias("reject_reasons"),
                            F.col("detail").alias("reject_detail"), "file", "record_index", "id", "url", "source",
                            "raw_excerpt").localCheckpoint(), rejected_path, mode="overwrite")
    assert run_ingest([first], out, batch_id=1, on=tables)["already_ingested"]  # the batch survives the migration
    run_ingest([second], out, batch_id=2, on=tables)
    rows = _rejected(tables, out)
    assert sorted(r["reject_reason"] for r in rows) == [REASONS["bad_field_type"], REASONS["invalid_json"]]
    assert tables.read(rejected_path).dtypes == REJECTED_LAYOUT
