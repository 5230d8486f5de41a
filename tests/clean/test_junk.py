import random
from collections import Counter

import numpy as np
import pytest

from corpussieve.clean.config import CleanConfig
from corpussieve.clean.document import clean_document
from corpussieve.clean.reasons import JUNK_EXPECTED_FAMILIES, families_of, in_family
from corpussieve.sample.junk import JUNK_KINDS, make_junk_page

PAGES_PER_KIND = 12


def test_every_kind_has_expected_families():
    assert set(JUNK_EXPECTED_FAMILIES) == set(JUNK_KINDS)


@pytest.mark.parametrize("kind", JUNK_KINDS)
def test_generator_is_deterministic_and_varied(kind):
    first = make_junk_page(kind, random.Random(7))
    again = make_junk_page(kind, random.Random(7))
    other = make_junk_page(kind, random.Random(8))
    assert first == again and first["html"] != other["html"]
    assert first["kind"] == kind and first["html"].startswith("<!DOCTYPE html>") and first["text"].strip()
    from_numpy = make_junk_page(kind, np.random.default_rng(3))
    assert from_numpy == make_junk_page(kind, np.random.default_rng(3))
    sizes = {len(make_junk_page(kind, random.Random(i))["text"]) for i in range(6)}
    assert len(sizes) > 3


def test_site_chrome_is_used():
    site = {"name": "Acme Daily", "domain": "acme.test", "nav": ["Home", "World"], "cookie": "We use cookies.",
            "footer_links": ["About Us"]}
    page = make_junk_page("link_list", random.Random(1), site)
    assert "Acme Daily" in page["html"] and "About Us" in page["text"]


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown junk kind"):
        make_junk_page("spam", random.Random(1))


def test_reason_families():
    assert in_family("gopher_repetition:dup_5gram", "repetition")
    assert not in_family("gopher_quality:too_few_words", "repetition")
    assert families_of(["c4:lorem_ipsum", "length:too_short"]) == {"placeholder", "no_content"}


@pytest.mark.parametrize("field", ["html", "text"])
def test_junk_is_rejected_for_the_right_kind_of_reason(field):
    cfg = CleanConfig()
    rejected, wrong = Counter(), []
    for kind in JUNK_KINDS:
        for i in range(PAGES_PER_KIND):
            page = make_junk_page(kind, random.Random(f"{kind}:{i}"))
            result = clean_document(**{field: page[field]}, cfg=cfg)
            if not result.reasons:
                continue
            rejected[kind] += 1
            if not families_of(result.reasons) & set(JUNK_EXPECTED_FAMILIES[kind]):
                wrong.append((kind, i, result.reasons))
    total = PAGES_PER_KIND * len(JUNK_KINDS)
    assert sum(rejected.values()) >= 0.9 * total, rejected
    assert all(rejected[kind] >= 0.75 * PAGES_PER_KIND for kind in JUNK_KINDS), rejected
    assert wrong == []
