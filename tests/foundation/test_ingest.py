"""Ingest: readers without Spark, then the job end to end on JSON Lines, WARC and Parquet."""

import gzip
import json
import zlib
from argparse import Namespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpussieve.config import IngestConfig
from corpussieve.errors import InputError
from corpussieve.ingest import records as R
from corpussieve.ingest.files import expand_inputs
from corpussieve.ingest.readers import decode_body, read_jsonl


def _jsonl(path, lines):
    with gzip.open(path, "wb") as out:
        for line in lines:
            out.write(line if isinstance(line, bytes) else (json.dumps(line) + "\n").encode())


GOOD = [
    {"id": "a", "url": "https://x.example/a", "text": "alpha text", "fetch_time": "2024-02-01T10:00:00Z",
     "lang_hint": "en", "score": 3},
    {"url": "https://x.example/b", "html": "<p>beta</p>", "fetch_time": 1706781600},
    {"url": "https://x.example/b", "html": "<p>beta</p>", "fetch_time": 1706781600},
    {"id": "d", "text": "delta", "fetch_time": "not a date"},
]
BAD = [
    b'{"id": "u", "text": "caf\xe9"}\n',
    b'{"id": "j", "text": \n',
    b'["not", "an", "object"]\n',
    b'{"id": "e", "text": "   "}\n',
    b'{"id": "t", "text": 42}\n',
]


def test_jsonl_reader_keeps_every_record_with_a_reason(tmp_path):
    path = tmp_path / "in.jsonl.gz"
    _jsonl(path, GOOD + BAD)
    rows = list(read_jsonl(str(path), IngestConfig()))
    assert len(rows) == len(GOOD) + len(BAD)
    reasons = [r["reason"] for r in rows if not r["ok"]]
    assert reasons == [R.INVALID_UTF8, R.INVALID_JSON, R.NOT_AN_OBJECT, R.EMPTY_BODY, R.BAD_FIELD_TYPE]
    good = [r for r in rows if r["ok"]]
    assert good[0]["id"] == "a" and good[0]["fetch_time"].isoformat() == "2024-02-01T10:00:00+00:00"
    assert json.loads(good[0]["extra"]) == {"lang_hint": "en", "score": 3}
    assert good[1]["id"] == good[2]["id"] == R.content_id("https://x.example/b", None, "<p>beta</p>")
    assert good[3]["fetch_time"] is None and good[3]["fetch_time_unparsed"]


def _complete_lines_in_truncated_gzip(data: bytes) -> list[bytes]:
    """The newline-terminated lines a gzip prefix holds: decompressed as far as the bytes go, last partial
    line dropped."""
    text = zlib.decompressobj(wbits=31).decompress(data)
    return text.split(b"\n")[:-1]


def test_truncated_gzip_keeps_every_complete_line_then_one_corrupt_file_row(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    records = [{"id": f"r{i:05d}", "url": f"https://x.example/{i}", "text": f"record number {i} " + "pad " * (i % 7)}
               for i in range(2_000)]
    _jsonl(path, records)
    data = path.read_bytes()
    cut = data[: len(data) // 2]
    path.write_bytes(cut)
    complete = _complete_lines_in_truncated_gzip(cut)
    assert 100 < len(complete) < len(records)  # the cut falls mid-file, after many whole records
    expected_ids = [json.loads(line)["id"] for line in complete]
    assert expected_ids == [r["id"] for r in records[: len(complete)]]

    rows = list(read_jsonl(str(path), IngestConfig()))
    kept = [r for r in rows if r["ok"]]
    rejected = [r for r in rows if not r["ok"]]
    assert [r["id"] for r in kept] == expected_ids
    assert [r["reason"] for r in rejected] == [R.CORRUPT_FILE]
    assert rows[-1] is rejected[0] and rows[-1]["record_index"] == len(complete)


CONTENT_ID_PINNED = {  # xxh3-128 over the fields; a change here changes every derived id already stored
    ("u", "t", None): "531526b330661f09e065e7da3b057efa",
    ("https://x.example/b", None, "<p>beta</p>"): "a77fe39482bce5dbff534d6d7d7e258d",
    (None, "ab", None): "f8f80579306be1b397a5b6b2d55f66d9",
}


def test_content_ids_are_pinned_and_distinguish_fields():
    for fields, expected in CONTENT_ID_PINNED.items():
        assert R.content_id(*fields) == expected
    # the same page read twice, with its keys in another order, another fetch time, extra fields and from
    # another file, derives the same id: only url, text and html count
    page = {"url": "https://x.example/b", "html": "<p>beta</p>", "fetch_time": 1706781600}
    again = {"score": 3, "fetch_time": "2025-01-01T00:00:00Z", "html": "<p>beta</p>", "url": "https://x.example/b"}
    first = R.normalize_record(page, IngestConfig().fields, "part-0.jsonl.gz")
    second = R.normalize_record(again, IngestConfig().fields, "part-9.jsonl.gz")
    assert first["id_derived"] and second["id_derived"]
    assert first["id"] == second["id"] == CONTENT_ID_PINNED[("https://x.example/b", None, "<p>beta</p>")]
    # the same string in another field, or split differently across fields, is other content
    assert len({R.content_id("x", None, None), R.content_id(None, "x", None), R.content_id(None, None, "x")}) == 3
    assert R.content_id("u", "t", None) != R.content_id("u", None, "t")
    assert len({R.content_id(None, "ab", None), R.content_id(None, "a", "b"), R.content_id("a", "b", None)}) == 3
    # a lone surrogate (from a lenient decoder) still gets an id instead of an exception
    assert len(R.content_id(None, "a\ud800b", None)) == 32


def test_body_decoding_honours_the_declared_charset():
    assert decode_body("café".encode("latin-1"), "text/html; charset=ISO-8859-1") == ("café", None)
    text, why = decode_body(b"\xff\xfe broken", "text/html; charset=utf-8")
    assert text is None and "utf-8" in why


def test_expand_inputs_errors_name_the_path(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        expand_inputs([str(tmp_path / "missing")])
    odd = tmp_path / "data.bin"
    odd.write_bytes(b"x")
    with pytest.raises(InputError, match="cannot tell the input format"):
        expand_inputs([str(odd)])


def _ingest(ctx_factory, inputs, output, **kw):
    from corpussieve.ingest import job

    args = Namespace(input=[str(p) for p in inputs], output=str(output), format=kw.get("format"),
                     mode=kw.get("mode"), batch_id=kw.get("batch_id"), source=None, conf=[], sets=[])
    return job.run(ctx_factory(job.overrides(args)), args)


@pytest.fixture
def ctx_factory(spark, tables):
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.runlog import JobRun

    def make(overrides):
        config = build_config(overrides=overrides)
        return JobContext(spark=spark, tables=tables, config=config, run=JobRun("ingest", config))

    return make


@pytest.mark.spark
def test_ingest_jsonl_end_to_end_and_idempotent(ctx_factory, tables, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _jsonl(src / "part-0.jsonl.gz", GOOD + BAD)
    _jsonl(src / "part-1.jsonl.gz", [{"id": "a", "text": "a repeated source id"}])
    out = tmp_path / "lake" / "raw"
    summary = _ingest(ctx_factory, [src], out)
    assert summary["documents"] == 4
    docs = {r["id"]: r for r in tables.read(str(out)).collect()}
    derived = R.content_id("https://x.example/b", None, "<p>beta</p>")
    assert set(docs) == {"a", "d", derived, derived + "~2"}
    assert docs["a"]["lang_hint"] == "en" and docs["a"]["score"] == 3
    assert docs["a"]["source"] == "part-0.jsonl.gz"
    rejected = {r["reason"] for r in tables.read(str(out) + "_rejected").collect()}
    assert rejected == {R.INVALID_UTF8, R.INVALID_JSON, R.NOT_AN_OBJECT, R.EMPTY_BODY, R.BAD_FIELD_TYPE,
                        R.DUPLICATE_ID}
    report = json.loads((tmp_path / "lake" / "raw_report.json").read_text())
    assert report["metrics"]["rejected_by_reason"][R.DUPLICATE_ID] == 1
    assert report["metrics"]["records_read"] == len(GOOD) + len(BAD) + 1
    version = tables.version(str(out))
    again = _ingest(ctx_factory, [src], out)
    assert again["already_ingested"] and tables.version(str(out)) == version
    assert tables.read(str(out)).count() == 4


@pytest.mark.spark
def test_ingest_appends_new_batches_and_rejects_known_ids(ctx_factory, tables, tmp_path):
    from corpussieve.errors import SchemaMismatchError

    first, second, third = tmp_path / "b1.jsonl.gz", tmp_path / "b2.jsonl.gz", tmp_path / "b3.jsonl.gz"
    _jsonl(first, [{"id": "x1", "text": "one"}])
    _jsonl(second, [{"id": "x2", "text": "two", "extra_field": 1.5}])
    _jsonl(third, [{"id": "x1", "text": "one again"}, {"id": "x3", "text": "three"}])
    out = tmp_path / "t"
    _ingest(ctx_factory, [first], out, batch_id=1)
    with pytest.raises(SchemaMismatchError, match="not in the table: extra_field"):
        _ingest(ctx_factory, [second], out, batch_id=2)
    assert tables.version(str(out)) == 0 and tables.version(str(out) + "_rejected") == 0
    _ingest(ctx_factory, [third], out, batch_id=2)
    ids = sorted(r["id"] for r in tables.read(str(out)).collect())
    assert ids == ["x1", "x3"]
    rejected = [r["reason"] for r in tables.read(str(out) + "_rejected").collect()]
    assert rejected == [R.ID_EXISTS]
    assert _ingest(ctx_factory, [third], out, batch_id=2)["already_ingested"]


@pytest.mark.spark
def test_ingest_warc(ctx_factory, tables, tmp_path):
    from corpussieve.sample.corpus import CorpusSpec
    from corpussieve.sample.writers import write_corpus

    write_corpus(CorpusSpec(docs=40, junk_fraction=0.0), str(tmp_path / "warc"), fmt="warc", workers=1)
    out = tmp_path / "w"
    summary = _ingest(ctx_factory, [tmp_path / "warc"], out)
    assert summary["documents"] == 40 and summary["rejected"] == 0
    row = tables.read(str(out)).orderBy("url").first()
    assert row["html"].startswith("<!DOCTYPE html>") and row["text"] is None
    assert row["content_type"] == "text/html" and row["fetch_time"] is not None


@pytest.mark.spark
def test_ingest_parquet_keeps_typed_extra_columns(ctx_factory, tables, tmp_path):
    table = pa.table({
        "doc_id": ["p1", "p2", "p3"],
        "body": ["first text", "", "third"],
        "url": ["u1", "u2", "u3"],
        "quality": [0.5, 0.7, 0.9],
        "tags": [["a"], [], ["b", "c"]],
    })
    (tmp_path / "pq").mkdir()
    pq.write_table(table, tmp_path / "pq" / "x.parquet")
    out = tmp_path / "p"
    _ingest(ctx_factory, [tmp_path / "pq"], out)
    # field names come from config; this run maps doc_id/body onto id/text
    from corpussieve.ingest import job

    args = Namespace(input=[str(tmp_path / "pq")], output=str(tmp_path / "p2"), format=None, mode=None,
                     batch_id=None, source=None)
    overrides = {**job.overrides(args), "ingest.fields.id": "doc_id", "ingest.fields.text": "body"}
    job.run(ctx_factory(overrides), args)
    rows = {r["id"]: r for r in tables.read(str(tmp_path / "p2")).collect()}
    assert set(rows) == {"p1", "p3"}
    assert rows["p3"]["tags"] == ["b", "c"] and rows["p1"]["quality"] == 0.5
    assert [r["reason"] for r in tables.read(str(tmp_path / "p2") + "_rejected").collect()] == [R.EMPTY_BODY]
