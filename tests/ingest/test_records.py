"""One record onto the standard columns: content-derived ids that never change, and the rejection reasons
ingest declares (the codes users filter the _rejected table on)."""

from __future__ import annotations

from corpussieve import reasons
from corpussieve.ingest import records as R
from corpussieve.ingest.config import IngestConfig
from corpussieve.ingest.records import REASONS

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


def test_a_record_that_cannot_be_used_gets_a_declared_reason_and_a_detail():
    fields = IngestConfig().fields
    empty = R.normalize_record({"id": "e", "text": " ", "html": ""}, fields, "f")
    wrong = R.normalize_record({"id": "t", "text": ["a", "list"]}, fields, "f")
    assert (empty["ok"], empty["reject_reason"]) == (False, "ingest:empty_body")
    assert (wrong["ok"], wrong["reject_reason"]) == (False, "ingest:bad_field_type")
    assert "list" in wrong["reject_detail"] and "'text'" in empty["reject_detail"]
    assert reasons.undeclared([empty["reject_reason"], wrong["reject_reason"]]) == []


def test_ingest_reasons_are_declared_with_a_description_each():
    assert all(code == f"ingest:{name}" for name, code in REASONS.items())
    declared = reasons.catalog(["ingest"])
    assert [r.code for r in declared] == sorted(REASONS.values())
    assert all(r.description and "\n" not in r.description for r in declared)
    assert "corpussieve.ingest.records" in reasons.DECLARING_MODULES
