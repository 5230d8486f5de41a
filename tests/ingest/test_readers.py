"""The plain-Python readers (no Spark): every record comes out, good or rejected with a reason; input files
are found and their formats told."""

from __future__ import annotations

import gzip
import io
import json
import zlib

import pytest

from corpussieve.errors import InputError
from corpussieve.ingest import records as R
from corpussieve.ingest.config import IngestConfig
from corpussieve.ingest.files import expand_inputs
from corpussieve.ingest.readers import decode_body, read_jsonl, read_warc
from corpussieve.ingest.records import REASONS

#: four good records: a source id with extras, an id-less record twice (ids ~2), an unparseable fetch_time
GOOD = [
    {"id": "a", "url": "https://x.example/a", "text": "alpha text", "fetch_time": "2024-02-01T10:00:00Z",
     "lang_hint": "en", "score": 3},
    {"url": "https://x.example/b", "html": "<p>beta</p>", "fetch_time": 1706781600},
    {"url": "https://x.example/b", "html": "<p>beta</p>", "fetch_time": 1706781600},
    {"id": "d", "text": "delta", "fetch_time": "not a date"},
]
#: one bad line per reason a JSON line can be rejected for (besides its size)
BAD = [
    b'{"id": "u", "text": "caf\xe9"}\n',
    b'{"id": "j", "text": \n',
    b'["not", "an", "object"]\n',
    b'{"id": "e", "text": "   "}\n',
    b'{"id": "t", "text": 42}\n',
]
BAD_REASONS = [REASONS["invalid_utf8"], REASONS["invalid_json"], REASONS["not_an_object"], REASONS["empty_body"],
               REASONS["bad_field_type"]]


def write_jsonl(path, lines) -> None:
    """Gzipped JSON Lines: dicts are dumped, bytes written as they are."""
    with gzip.open(path, "wb") as out:
        for line in lines:
            out.write(line if isinstance(line, bytes) else (json.dumps(line) + "\n").encode())


def test_jsonl_reader_keeps_every_record_with_a_reason(tmp_path):
    path = tmp_path / "in.jsonl.gz"
    write_jsonl(path, GOOD + BAD)
    rows = list(read_jsonl(str(path), IngestConfig()))
    assert len(rows) == len(GOOD) + len(BAD)
    assert [r["reject_reason"] for r in rows if not r["ok"]] == BAD_REASONS
    assert all(r["reject_detail"] for r in rows if not r["ok"])
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
    write_jsonl(path, records)
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
    assert [r["reject_reason"] for r in rejected] == [REASONS["corrupt_file"]]
    assert rows[-1] is rejected[0] and rows[-1]["record_index"] == len(complete)


def test_a_line_over_max_record_bytes_is_rejected_unparsed(tmp_path):
    path = tmp_path / "big.jsonl.gz"
    write_jsonl(path, [{"id": "big", "text": "x" * 2000}, {"id": "small", "text": "fits"}])
    rows = list(read_jsonl(str(path), IngestConfig(max_record_bytes=1024)))
    assert [(r["ok"], r["reject_reason"]) for r in rows] == [(False, REASONS["too_large"]), (True, None)]
    assert rows[0]["raw_excerpt"].startswith('{"id": "big"') and len(rows[0]["raw_excerpt"]) == 200


#: WARC responses: (url, HTTP status, content type, body) and the reason each is rejected for (None: kept)
WARC_RESPONSES = [
    (("https://w.example/ok", "200 OK", "text/html; charset=utf-8", b"<p>fine page</p>"), None),
    (("https://w.example/gone", "404 Not Found", "text/html", b"<p>not here</p>"), REASONS["http_status"]),
    (("https://w.example/logo", "200 OK", "image/png", b"\x89PNG\r\n"), REASONS["unsupported_content_type"]),
    (("https://w.example/bytes", "200 OK", "text/html; charset=utf-8", b"\xff\xfe broken"),
     REASONS["undecodable_body"]),
    (("https://w.example/huge", "200 OK", "text/html", b"<p>" + b"x" * 2000 + b"</p>"), REASONS["too_large"]),
]


def write_warc(path, responses) -> None:
    """A gzipped WARC of HTTP responses: (url, status line, content type, body) each."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, status, content_type, body in responses:
            http = StatusAndHeaders(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=http,
                                                          warc_headers_dict={"WARC-Date": "2024-02-01T10:00:00Z"}))


def test_warc_reader_rejects_bad_responses_with_their_reason(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    write_warc(path, [response for response, _ in WARC_RESPONSES])
    rows = list(read_warc(str(path), IngestConfig(max_record_bytes=1024)))
    assert [r["reject_reason"] for r in rows] == [reason for _, reason in WARC_RESPONSES]
    assert [r["url"] for r in rows] == [response[0] for response, _ in WARC_RESPONSES]
    assert rows[0]["ok"] and rows[0]["html"] == "<p>fine page</p>"


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
