"""Plain-Python readers for JSON Lines and WARC files. They yield one row dict per record, good or
rejected, and never raise on bad records: a broken file ends in one ``ingest:corrupt_file`` row."""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from corpussieve.ingest import records as R
from corpussieve.ingest.config import IngestConfig
from corpussieve.ingest.records import REASONS

EXCERPT_BYTES = 200
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _excerpt(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw[:EXCERPT_BYTES]
    return raw[:EXCERPT_BYTES].decode("utf-8", "backslashreplace")


def _open(path: str) -> BinaryIO:
    handle = open(path, "rb")
    magic = handle.read(2)
    handle.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=handle)  # type: ignore[return-value]
    return handle


def _rejected(reason: str, detail: str, raw: bytes | str, path: str, index: int, **extra: Any) -> dict[str, Any]:
    row = {"ok": False, "reject_reason": reason, "reject_detail": detail, "raw_excerpt": _excerpt(raw),
           "file": path, "record_index": index}
    row.update(extra)
    return row


def read_jsonl(path: str, cfg: IngestConfig) -> Iterator[dict[str, Any]]:
    source = cfg.source or os.path.basename(path)
    index = -1
    try:
        with _open(path) as stream:
            for index, line in enumerate(stream):
                if not line.strip():
                    continue
                if len(line) > cfg.max_record_bytes:
                    yield _rejected(REASONS["too_large"], f"{len(line):,} bytes > ingest.max_record_bytes", line,
                                    path, index)
                    continue
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield _rejected(REASONS["invalid_utf8"], f"byte {exc.start}: {exc.reason}", line, path, index)
                    continue
                try:
                    obj = json.loads(text)
                except ValueError as exc:
                    yield _rejected(REASONS["invalid_json"], str(exc), line, path, index)
                    continue
                if not isinstance(obj, dict):
                    yield _rejected(REASONS["not_an_object"], f"a JSON {type(obj).__name__}, expected an object",
                                    line, path, index)
                    continue
                row = R.normalize_record(obj, cfg.fields, source)
                row.update({"file": path, "record_index": index})
                if not row["ok"]:
                    row["raw_excerpt"] = _excerpt(line)
                yield row
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield _rejected(REASONS["corrupt_file"], f"reading stopped after record {index}: {exc}", b"", path,
                        index + 1)


def _charset(content_type: str | None, body: bytes) -> str | None:
    if content_type:
        match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.IGNORECASE)
        if match:
            return match.group(1)
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii") if match else None


def decode_body(body: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """(text, None) or (None, why): the declared charset first, then UTF-8, both strict."""
    declared = _charset(content_type, body)
    tried: list[str] = []
    last = f"unknown charset {declared!r}"
    for charset in (declared, "utf-8"):
        if not charset or charset.lower() in tried:
            continue
        tried.append(charset.lower())
        try:
            return body.decode(charset), None
        except LookupError:
            continue
        except UnicodeDecodeError as exc:
            last = f"{charset}: byte {exc.start}: {exc.reason}"
            continue
    return None, last


def read_warc(path: str, cfg: IngestConfig) -> Iterator[dict[str, Any]]:
    """Response, resource and conversion (WET) records; request, metadata and warcinfo records are not documents."""
    from warcio.archiveiterator import ArchiveIterator

    source = cfg.source or os.path.basename(path)
    wanted_types = {t.lower() for t in cfg.warc_content_types}
    index = -1
    try:
        with open(path, "rb") as handle:
            for index, record in enumerate(ArchiveIterator(handle)):
                if record.rec_type not in ("response", "resource", "conversion"):
                    continue
                headers = record.rec_headers
                record_id = (headers.get_header("WARC-Record-ID") or "").strip("<>") or None
                url = headers.get_header("WARC-Target-URI")
                where = {"id": record_id, "url": url}
                status = None
                if record.rec_type == "response" and record.http_headers is not None:
                    content_type = record.http_headers.get_header("Content-Type")
                    status = record.http_headers.get_statuscode()
                else:
                    content_type = headers.get_header("Content-Type")
                body = record.content_stream().read(cfg.max_record_bytes + 1)
                if status is not None and not str(status).startswith("2"):
                    yield _rejected(REASONS["http_status"], f"HTTP status {status}", body, path, index, **where)
                    continue
                if len(body) > cfg.max_record_bytes:
                    yield _rejected(REASONS["too_large"], "body larger than ingest.max_record_bytes", body, path,
                                    index, **where)
                    continue
                mime = (content_type or "text/plain").split(";")[0].strip().lower()
                if record.rec_type != "conversion" and mime not in wanted_types:
                    yield _rejected(REASONS["unsupported_content_type"], f"content type {mime!r}", body, path,
                                    index, **where)
                    continue
                text, why = decode_body(body, content_type)
                if text is None:
                    yield _rejected(REASONS["undecodable_body"], why or "undecodable", body, path, index, **where)
                    continue
                is_html = mime in ("text/html", "application/xhtml+xml")
                obj = {
                    cfg.fields.id: record_id,
                    cfg.fields.url: url,
                    cfg.fields.html if is_html else cfg.fields.text: text,
                    cfg.fields.fetch_time: headers.get_header("WARC-Date"),
                    "content_type": mime,
                    "warc_type": record.rec_type,
                }
                row = R.normalize_record(obj, cfg.fields, source)
                row.update({"file": path, "record_index": index})
                if not row["ok"]:
                    row["raw_excerpt"] = _excerpt(body)
                    row.update({k: v for k, v in where.items() if row.get(k) is None})
                yield row
    except Exception as exc:  # warcio raises plain exceptions on truncated or garbled archives
        yield _rejected(REASONS["corrupt_file"], f"reading stopped after record {index}: {type(exc).__name__}: "
                        f"{exc}", b"", path, index + 1)


READERS = {"jsonl": read_jsonl, "warc": read_warc}


def read_file(path: str, fmt: str, cfg: IngestConfig) -> Iterator[dict[str, Any]]:
    return READERS[fmt](path, cfg)


