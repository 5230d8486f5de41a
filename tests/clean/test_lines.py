import numpy as np
import pyarrow as pa
import pytest

from corpussieve.clean.boilerplate import PATTERNS, drop_boilerplate_lines, match_boilerplate
from corpussieve.clean.lines import hash_lines, normalize_line, normalize_lines, rejoin, split_lines


def test_split_and_rejoin_round_trip():
    text = "a\nb\n\nc"
    assert split_lines(text) == ["a", "b", "", "c"]
    assert rejoin(split_lines(text)) == text
    assert split_lines("a\n") == ["a"] and split_lines("") == [] and split_lines(None) == []


def test_rejoin_with_mask_leaves_no_blank_runs():
    lines = ["keep", "", "drop", "", "keep2", "drop"]
    assert rejoin(lines, [True, True, False, True, True, False]) == "keep\n\nkeep2"
    assert rejoin(lines, np.array([False, True, False, True, False, False])) == ""


def test_normalization_folds_case_digits_punctuation_space():
    assert normalize_line("  Page 3 of 12 — Next »  ") == "page 0 of 0 next"
    assert normalize_line("© 2019 Foo, Inc.") == normalize_line("© 2020 FOO -- INC") == "0 foo inc"
    assert normalize_line("Ünïcode  ÉTÉ!!") == "ünïcode été"
    assert normalize_lines(["A", "b"]).to_pylist() == ["a", "b"]


def test_hashes_are_stable_64_bit_and_equal_for_variants():
    lines = ["Share this article!", "share   THIS article", "Page 3 of 12", "page 4 of 9", "Other", "!!!"]
    hashes = hash_lines(lines)
    assert hashes.dtype == np.uint64 and len(hashes) == 6
    assert hashes[0] == hashes[1] and hashes[2] == hashes[3] and hashes[0] != hashes[4]
    assert hashes[5] == 0  # nothing left after folding
    # a fixed value: hashes must not change between runs, processes or machines
    assert int(hash_lines(["hello world"])[0]) == int(hash_lines(pa.array(["Hello, World!"]))[0])
    assert hash_lines(["hello world"], normalized=True)[0] == hash_lines(["Hello, World!"])[0]
    assert hash_lines(lines, signed=True).dtype == np.int64
    assert np.array_equal(hash_lines(lines, signed=True).view(np.uint64), hashes)


def test_hash_known_value():
    import xxhash

    assert int(hash_lines(["Hello, World"])[0]) == xxhash.xxh3_64_intdigest(b"hello world")


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("We use cookies to improve your experience on our site.", "cookie_notice"),
        ("Accept all", "consent_button"),
        ("© 2021 Example Media. All rights reserved.", "rights_reserved"),
        ("Share on Facebook", "share_prompt"),
        ("Like this story? Share it with a friend!", "share_prompt"),
        ("Follow us on Twitter", "follow_prompt"),
        ("Subscribe to our newsletter", "newsletter_prompt"),
        ("Related: Another story about roads", "related_label"),
        ("[Related: Another story]", "related_label"),
        ("Tags: budget, council", "tags_line"),
        ("Leave a comment", "comments_prompt"),
        ("(Reporting by Jane Doe; editing by John Roe)", "credit_line"),
        ("Advertisement", "advertisement"),
        ("Published on March 3, 2019", "timestamp_line"),
        ("Updated at 1:23 p.m.", "date_line"),
        ("Skip to main content", "navigation_line"),
        ("Please enable JavaScript to view the comments.", "javascript_notice"),
        ("By Jane Doe and John Roe", "byline"),
        ("By Vera Walsh | March 28, 2024", "byline"),
        ("5:45 AM PST 11/19/2019", "date_line"),
    ],
)
def test_boilerplate_patterns_match(line, name):
    hit = match_boilerplate(line)
    assert hit is not None and hit.name == name


@pytest.mark.parametrize(
    "line",
    [
        "The company said it would share more details about the cookies it sells next year.",
        "By the end of the year, the council expects to finish the road.",
        "Related research shows that the effect is small.",
        "More than 100 people attended the meeting on Tuesday.",
        "He signed up for the newsletter program in 2012, he said, before the company went public and "
        "its founders left to start another firm that later failed under heavy debts and lawsuits.",
        "The meeting starts at 7:30 p.m. on Tuesday and is open to everyone who wants to attend it.",
        "Home prices rose again.",
    ],
)
def test_prose_is_not_boilerplate(line):
    assert match_boilerplate(line) is None


def test_every_pattern_has_a_unique_name():
    names = [p.name for p in PATTERNS]
    assert len(names) == len(set(names))


def test_label_blocks_drop_their_teasers_only():
    lines = ["Body text ends here.", "DON'T MISS", "China story headline [VIDEO]", "Another teaser headline",
             "A real sentence follows after the block.", "Tags", "cars, racing, calendar 2018, stock car"]
    kept, counts = drop_boilerplate_lines(lines)
    assert kept == ["Body text ends here.", "A real sentence follows after the block."]
    assert counts["label_block"] == 3 and counts["related_label"] == 1 and counts["tags_line"] == 1
