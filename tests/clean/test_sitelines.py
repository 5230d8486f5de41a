"""The site/corpus boilerplate line kernels, without Spark."""

import random

import numpy as np
import pyarrow as pa

from corpussieve.clean.config import LineBoilerplateConfig
from corpussieve.clean.lines import hash_lines
from corpussieve.clean.sitelines import (
    distinct_per_document,
    drop_lines,
    find_boilerplate,
    hash_batch_lines,
    list_parts,
    pair_member,
    parents,
)


def test_batch_hashes_are_aligned_and_normalized():
    cfg = LineBoilerplateConfig(min_line_chars=3, max_corpus_line_chars=20)
    docs = [["Page 3 of 12", "ok", "A much longer line of prose here."], [], ["page 4 of 9!", ""]]
    lines = hash_batch_lines(docs, cfg)
    assert lines.offsets.tolist() == [0, 3, 3, 5]
    assert lines.document(0)[0] == lines.document(2)[0] != 0  # same line after normalization
    assert lines.document(0)[1] == 0 and lines.document(2)[1] == 0  # too short / empty: not countable
    assert lines.short.tolist() == [True, True, False, True, True]
    assert lines.document(0)[2] == hash_lines(["A much longer line of prose here."], signed=True)[0]


def test_empty_batch():
    lines = hash_batch_lines([[], []], LineBoilerplateConfig())
    assert lines.offsets.tolist() == [0, 0, 0] and len(lines.hashes) == 0
    offsets, picked = distinct_per_document(lines)
    assert offsets.tolist() == [0, 0, 0] and len(picked) == 0


def test_distinct_per_document_counts_each_line_once_per_document():
    cfg = LineBoilerplateConfig()
    docs = [["Footer line", "Body one", "Footer line", "xx"], ["Footer line"], ["Body two", "Body two"]]
    lines = hash_batch_lines(docs, cfg)
    offsets, picked = distinct_per_document(lines)
    per_doc = [sorted(lines.hashes[picked[offsets[i] : offsets[i + 1]]].tolist()) for i in range(3)]
    assert per_doc[0] == sorted({lines.hashes[0], lines.hashes[1]})
    assert per_doc[1] == [lines.hashes[0]]
    assert len(per_doc[2]) == 1
    assert all(parents(lines.offsets)[p] == i for i in range(3) for p in picked[offsets[i] : offsets[i + 1]])


def test_pair_member_matches_brute_force():
    rng = np.random.default_rng(5)
    rows = rng.integers(0, 20, 3000)
    values = rng.integers(-6, 6, 3000)
    set_rows = rng.integers(0, 20, 200)
    set_values = rng.integers(-6, 6, 200)
    wanted = set(zip(set_rows.tolist(), set_values.tolist()))
    expected = np.array([(r, v) in wanted for r, v in zip(rows.tolist(), values.tolist())])
    got = pair_member(rows, values, set_rows, set_values)
    assert got.dtype == bool and (got == expected).all() and expected.any() and not expected.all()
    assert not pair_member(rows, values, set_rows[:0], set_values[:0]).any()
    assert len(pair_member(rows[:0], values[:0], set_rows, set_values)) == 0


def test_list_parts_skips_null_lists():
    column = pa.array([[1, 2], None, [], [3]], pa.list_(pa.int64()))
    rows, values = list_parts(column)
    assert rows.tolist() == [0, 0, 3] and values.tolist() == [1, 2, 3]


def test_drop_lines_tidies_paragraph_breaks():
    lines = ["Menu", "", "Para one.", "", "Footer", "", "Para two.", "Footer"]
    drop = np.array([True, False, False, False, True, False, False, True])
    assert drop_lines(lines, drop) == "Para one.\n\nPara two."
    assert drop_lines(lines[:3], np.zeros(3, dtype=bool)) == "Menu\n\nPara one."


def _site_docs(site, n, shared, unique_prefix):
    return [(site, [(h, True) for h in shared] + [(hash((unique_prefix, i)) | 1, True)]) for i in range(n)]


def test_site_rule_needs_site_size_docs_and_fraction():
    cfg = LineBoilerplateConfig(min_site_size=5, min_site_docs=3, min_site_fraction=0.5, min_corpus_docs=1000)
    docs = []
    docs += _site_docs("big.test", 10, [11, 12], "b")  # 11 and 12 in all 10 docs
    docs += [("big.test", [(13, True)])] * 4  # 13 in 4 of 14 docs: under 50%
    docs += _site_docs("small.test", 4, [21], "s")  # site too small to judge
    docs += [(None, [(11, True)])] * 3  # documents without a site are never judged per site
    per_site, corpus = find_boilerplate(docs, cfg)
    assert per_site == {"big.test": {11, 12}} and corpus == set()


def test_corpus_rule_needs_docs_sites_and_short_lines():
    cfg = LineBoilerplateConfig(min_site_size=1000, min_corpus_docs=6, min_corpus_sites=3, max_corpus_lines=10)
    docs = []
    for s in range(4):
        docs += [(f"s{s}.test", [(1, True), (2, False), (3, True)])] * 2  # 8 docs on 4 sites
    docs += [("one.test", [(4, True)])] * 20  # many docs, one site
    docs += [(None, [(5, True)])] * 10 + [("s0.test", [(5, True)]), ("s1.test", [(5, True)])]  # 2 sites only
    per_site, corpus = find_boilerplate(docs, cfg)
    assert per_site == {} and corpus == {1, 3}  # 2 is a long line: never corpus-wide
    capped = find_boilerplate(docs, cfg.model_copy(update={"max_corpus_lines": 1}))[1]
    assert capped == {1}  # same counts: the smaller hash wins


def test_random_corpus_rule_is_order_independent():
    rng = random.Random(3)
    docs = [(rng.choice(["a.test", "b.test", "c.test", None]), [(rng.randrange(1, 30), rng.random() < 0.8)
                                                                for _ in range(rng.randrange(0, 12))])
            for _ in range(400)]
    cfg = LineBoilerplateConfig(min_site_size=5, min_site_docs=5, min_site_fraction=0.2, min_corpus_docs=40,
                                min_corpus_sites=2)
    first = find_boilerplate(docs, cfg)
    rng.shuffle(docs)
    assert find_boilerplate(docs, cfg) == first and first[0] and first[1]
