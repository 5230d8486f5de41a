"""Turning one raw record into corpussieve's standard columns, or into a rejection with a reason."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import xxhash

from corpussieve.ingest.config import FieldNames
from corpussieve.reasons import declare

STANDARD = ("id", "url", "text", "html", "source", "fetch_time")

#: Every reason ingest gives for rejecting a record: a stable code ("ingest:invalid_json") users filter the
#: _rejected table on, described once for reports. Readers and stages emit ``REASONS[name]``, never a literal.
REASONS = declare("ingest", {
    "invalid_utf8": "a JSON Lines record is not valid UTF-8",
    "invalid_json": "a JSON Lines record does not parse as JSON",
    "not_an_object": "a JSON Lines record is a JSON array, string or number, not an object",
    "empty_body": "neither the text field nor the html field has any content",
    "too_large": "the record (a JSON line, a WARC body) is larger than ingest.max_record_bytes",
    "corrupt_file": "the file could not be read further (a truncated gzip or WARC); the records before are kept",
    "unsupported_content_type": "a WARC record whose content type is not in ingest.warc_content_types",
    "http_status": "a WARC response whose HTTP status is not 2xx",
    "undecodable_body": "a WARC body that decodes neither with its declared charset nor as UTF-8",
    "duplicate_id": "a source id seen earlier in the same batch (the first record is kept)",
    "id_already_in_table": "a record whose id is already in the table it is appended to",
    "bad_field_type": "a text field (url, text, html, source) holds a number, list or object, not a string",
})


def content_id(url: str | None, text: str | None, html: str | None) -> str:
    """A stable id from a record's content: the same page gives the same id on every run."""
    digest = xxhash.xxh3_128()
    for part in (url, text, html):
        digest.update(b"\x01" if part is None else b"\x02" + part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def parse_fetch_time(value: Any) -> dt.datetime | None:
    """ISO 8601 strings or epoch seconds/milliseconds, as an aware UTC datetime; None when unparseable."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            seconds = float(value) / 1000.0 if abs(value) > 1e11 else float(value)
            return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
        if isinstance(value, str):
            text = value.strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            parsed = dt.datetime.fromisoformat(text)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.timezone.utc)
            return parsed.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    raise TypeError(type(value).__name__)


def normalize_record(obj: dict[str, Any], fields: FieldNames, default_source: str) -> dict[str, Any]:
    """Map a parsed record onto the standard columns; the rest goes to ``extra`` as JSON.

    Returns a row dict with ``ok`` False, a ``reject_reason`` and a ``reject_detail`` when the record cannot
    be used.
    """
    mapping = {"id": fields.id, "url": fields.url, "text": fields.text, "html": fields.html,
               "source": fields.source, "fetch_time": fields.fetch_time}
    row: dict[str, Any] = {"ok": True, "reject_reason": None, "reject_detail": None}
    try:
        for column in ("url", "text", "html", "source"):
            row[column] = _as_text(obj.get(mapping[column]))
    except TypeError as exc:
        return {"ok": False, "reject_reason": REASONS["bad_field_type"],
                "reject_detail": f"a text field holds a {exc}, expected a string"}
    raw_id = obj.get(mapping["id"])
    row["id"] = None if raw_id is None or raw_id == "" else str(raw_id)
    raw_time = obj.get(mapping["fetch_time"])
    row["fetch_time"] = parse_fetch_time(raw_time)
    row["fetch_time_unparsed"] = raw_time is not None and raw_time != "" and row["fetch_time"] is None
    if not row["source"]:
        row["source"] = default_source
    consumed = set(mapping.values())
    extra = {k: v for k, v in obj.items() if k not in consumed and k not in STANDARD}
    row["extra"] = json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None
    if not (row["text"] or "").strip() and not (row["html"] or "").strip():
        return {**row, "ok": False, "reject_reason": REASONS["empty_body"],
                "reject_detail": f"neither {mapping['text']!r} nor {mapping['html']!r} has content"}
    row["id_derived"] = row["id"] is None
    if row["id"] is None:
        row["id"] = content_id(row["url"], row["text"], row["html"])
    return row
