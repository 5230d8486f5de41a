"""Reasons are declared once with a description; anything emitted without a declaration is found."""

from __future__ import annotations

import pytest

from corpussieve import reasons as R


def test_declared_codes_are_step_qualified_and_described():
    codes = R.declare("unittest_step", {"too_short": "fewer than 10 characters", "dup_{n}gram": "repeated n-grams"})
    assert codes["too_short"] == "unittest_step:too_short"
    assert codes.of("dup_{n}gram", 5) == "unittest_step:dup_5gram"
    assert R.describe("unittest_step:too_short") == "fewer than 10 characters"
    assert R.describe("unittest_step:dup_13gram") == "repeated n-grams"
    with pytest.raises(KeyError):
        codes["not_declared"]


def test_undeclared_finds_codes_no_declaration_covers():
    R.declare("unittest_other", {"a": "the a rule", "n_{n}": "numbered"})
    found = ["unittest_other:a", "unittest_other:n_7", "unittest_other:n_x", "unittest_other:b", "nostep:a",
             "unittest_other:a", None]
    assert R.undeclared(found) == ["nostep:a", "unittest_other:b", "unittest_other:n_x"]


def test_a_code_cannot_get_two_meanings():
    R.declare("unittest_twice", {"x": "one meaning"})
    R.declare("unittest_twice", {"x": "one meaning"})  # the same declaration again is harmless
    with pytest.raises(ValueError, match="twice"):
        R.declare("unittest_twice", {"x": "another meaning"})
    with pytest.raises(ValueError):
        R.declare("Bad Step", {"x": "y"})
    with pytest.raises(ValueError):
        R.declare("unittest_empty", {"x": "  "})


def test_catalog_holds_every_jobs_reasons_with_descriptions():
    catalog = R.catalog()
    steps = {reason.step for reason in catalog}
    assert {"ingest", "extract", "gopher_quality", "c4", "language"} <= steps
    assert all(reason.description for reason in catalog)
    assert R.catalog(["ingest"]) and all(r.step == "ingest" for r in R.catalog(["ingest"]))


def test_reason_rows_sort_by_count_and_mark_undeclared():
    R.declare("unittest_rows", {"a": "the a rule"})
    rows = R.reason_rows({"unittest_rows:a": 3, "unittest_rows:zzz": 5})
    assert [r["reason"] for r in rows] == ["unittest_rows:zzz", "unittest_rows:a"]
    assert rows[0]["description"] is None and rows[1]["description"] == "the a rule"


def test_named_families_cover_identifier_members_only():
    codes = R.declare("unittest_named", {"{name}": "on the named list", "fixed": "a plain rule"})
    assert codes.member("{name}", "ut1_adult") == "unittest_named:ut1_adult"
    assert R.describe("unittest_named:ut1_adult") == "on the named list"
    assert R.lookup("unittest_named:fixed").code == "unittest_named:fixed"  # an exact code wins over the family
    assert R.undeclared(["unittest_named:a_1", "unittest_named:Bad", "unittest_named:a-b", "unittest_named:",
                         "unittest_named:a:b"]) == ["unittest_named:", "unittest_named:Bad", "unittest_named:a-b",
                                                    "unittest_named:a:b"]
    with pytest.raises(ValueError):
        codes.member("{name}", "Not-A-Name")
    with pytest.raises(ValueError):
        codes.member("fixed", "x")  # not a family
    with pytest.raises(ValueError, match="one placeholder"):
        R.declare("unittest_named", {"{name}_{n}": "two placeholders"})
