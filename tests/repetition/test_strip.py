"""Span removal's pure core against the brute force: cutoffs, stripped tokens, cuts and rebuilt texts."""

from __future__ import annotations

import numpy as np
import pytest

from corpussieve.repetition.coverage import MassTable, coverage_of_batch
from corpussieve.repetition.reference import reference_cut_text, reference_strip
from corpussieve.repetition.strip import (
    byte_cuts,
    copy_limits,
    cut_text_bytes,
    cut_text_words,
    over_limit_windows,
    predicted_removed,
    smallest_copies,
    strip_tokens,
)
from corpussieve.repetition.tokenizers import get_tokenizer
from corpussieve.repetition.windows import window_counts, window_hashes


def limits_of(batch, span, k, ranks, split=1):
    """Cutoffs as the job computes them: over-limit windows found per part, k first copies shipped per part,
    then the cutoff over the shipped copies (``split`` parts of the batch stand for Spark batches)."""
    windows = window_hashes(batch, span)
    counts, _ = window_counts(windows.hashes, windows.doc)
    over = np.unique(windows.hashes[counts > k])
    shipped = []
    docs = len(batch)
    for part in np.array_split(np.arange(docs), split):
        if not part.size:
            continue
        lo, hi = batch.offsets[part[0]], batch.offsets[part[-1] + 1]
        from corpussieve.repetition.tokenizers import TokenBatch

        sub = TokenBatch(batch.ids[lo:hi], batch.offsets[part[0] : part[-1] + 2] - lo)
        w, picked = over_limit_windows(sub, span, over)
        h, r, p = w.hashes[picked], np.asarray(ranks)[part][w.doc[picked]], w.pos[picked]
        chosen = smallest_copies(h, r, p, k)
        shipped.append((h[chosen], r[chosen], p[chosen]))
    h = np.concatenate([s[0] for s in shipped]) if shipped else np.zeros(0, np.uint64)
    r = np.concatenate([s[1] for s in shipped]) if shipped else np.zeros(0, np.int64)
    p = np.concatenate([s[2] for s in shipped]) if shipped else np.zeros(0, np.int64)
    return copy_limits(h, r, p, k)


@pytest.mark.parametrize("seed", range(60))
def test_strip_equals_brute_force_on_random_corpora(seed, make_batch, make_random_corpus):
    rng = np.random.default_rng(seed)
    docs = make_random_corpus(rng)
    span = int(rng.integers(1, 9))
    k = int(rng.integers(1, 5))
    ranks = rng.permutation(len(docs)) * 3 + 7  # any distinct integers; not the document order
    batch = make_batch(docs)
    limits = limits_of(batch, span, k, ranks, split=int(rng.integers(1, 4)))
    result = strip_tokens(batch, ranks, limits, span)
    kept, removed = reference_strip(docs, span, k, ranks)
    for d in range(len(docs)):
        assert result.kept.document(d).tolist() == kept[d]
        assert result.removed[d] == sum(removed[d])
        marks = np.zeros(len(docs[d]), dtype=bool)
        for s, e in zip(result.cut_start[result.cut_offsets[d]:result.cut_offsets[d + 1]],
                        result.cut_end[result.cut_offsets[d]:result.cut_offsets[d + 1]], strict=True):
            assert e > s and not marks[s:e].any()
            marks[s:e] = True
        assert marks.tolist() == removed[d]
        # cuts are maximal runs: two of them never touch
        cs = result.cut_start[result.cut_offsets[d]:result.cut_offsets[d + 1]]
        ce = result.cut_end[result.cut_offsets[d]:result.cut_offsets[d + 1]]
        assert np.all(cs[1:] > ce[:-1])


def test_cases_by_hand(make_batch):
    a, b = [1, 2, 3], [7, 8, 9]
    # span 3, k 1: "a" four times (twice in doc 0, adjacent; at both ends of doc 2), overlapping copies in doc 3
    docs = [a + a + [5], [6] + a, a + [4] + a, [1, 2, 1, 2, 1, 2, 1], b]
    batch = make_batch(docs)
    ranks = np.arange(len(docs))
    result = strip_tokens(batch, ranks, limits_of(batch, 3, 1, ranks), 3)
    kept, _ = reference_strip(docs, 3, 1, ranks)
    assert [result.kept.document(d).tolist() for d in range(len(docs))] == kept
    # (1,2,3) five times: doc 0's first copy stays, its adjacent second copy and the copies at the document
    # edges of docs 1 and 2 go
    assert kept[0] == [1, 2, 3, 5] and kept[1] == [6] and kept[2] == [4] and kept[4] == b
    # within doc 3: (1,2,1) at 0, 2, 4 and (2,1,2) at 1, 3; the later copies overlap and merge into one cut 2..7
    assert kept[3] == [1, 2]
    assert result.cut_start[result.cut_offsets[3]:result.cut_offsets[4]].tolist() == [2]
    assert result.cut_end[result.cut_offsets[3]:result.cut_offsets[4]].tolist() == [7]
    # tie-breaking: the document with the smaller rank keeps its copy, whatever the batch order
    reverse = ranks[::-1].copy()
    flipped = strip_tokens(batch, reverse, limits_of(batch, 3, 1, reverse), 3)
    assert flipped.kept.document(2).tolist() == [1, 2, 3, 4]  # doc 2 ranks before docs 0 and 1 now
    assert flipped.kept.document(0).tolist() == [5]


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_k_caps_copies(k, make_batch):
    passage = list(range(100, 112))
    docs = [[i] + passage + [i + 50] for i in range(6)]
    batch = make_batch(docs)
    ranks = np.arange(6)
    result = strip_tokens(batch, ranks, limits_of(batch, 4, k, ranks), 4)
    intact = [d for d in range(6) if result.removed[d] == 0]
    assert intact == list(range(min(k, 6)))
    for d in range(k, 6):
        assert result.kept.document(d).tolist() == [d, d + 50]


def test_byte_cuts_rebuild_text_like_the_brute_force():
    tok = get_tokenizer("cl100k")
    rng = np.random.default_rng(3)
    shared = "Ünïcödé boilerplate — 日本語のテキスト 🙂🙂 repeated here. "
    texts = [f"{rng.integers(1e6)} intro {shared * int(rng.integers(1, 3))} tail {i} é" for i in range(12)]
    texts += [shared.strip(), "x"]
    batch = tok.encode_batch(texts)
    ranks = np.arange(len(texts))
    for span in (2, 3, 5):
        limits = limits_of(batch, span, 1, ranks)
        result = strip_tokens(batch, ranks, limits, span)
        assert result.removed.sum() > 0
        starts, ends = byte_cuts(batch, result, tok.byte_lengths)
        _, removed = reference_strip([batch.document(d).tolist() for d in range(len(texts))], span, 1, ranks)
        for d, text in enumerate(texts):
            lo, hi = result.cut_offsets[d], result.cut_offsets[d + 1]
            ids = batch.document(d)
            got = cut_text_bytes(text, starts[lo:hi], ends[lo:hi], expected_bytes=int(tok.byte_lengths[ids].sum()))
            assert got == reference_cut_text(text, removed[d], tok.byte_lengths[ids].tolist())


def test_a_character_split_between_tokens_goes_with_its_first_byte():
    # three bytes of one character in three "tokens": cutting the middle token removes nothing,
    # cutting the first removes the character
    text = "a日b"
    assert cut_text_bytes(text, np.array([2]), np.array([3])) == "a日b"
    assert cut_text_bytes(text, np.array([1]), np.array([2])) == "ab"
    assert cut_text_bytes(text, np.array([0, 4]), np.array([1, 5])) == "日"
    with pytest.raises(ValueError, match="UTF-8 bytes"):
        cut_text_bytes(text, np.array([0]), np.array([1]), expected_bytes=4)


def test_word_cuts_rebuild_text_like_the_brute_force():
    tok = get_tokenizer("word")
    rng = np.random.default_rng(4)
    words = ["alpha", "beta", "gamma", "d-e", "x.y", "!!", "z"]
    texts = ["  ".join(rng.choice(words, int(rng.integers(0, 30)))) + rng.choice(["", " ", "\n."]) for _ in range(40)]
    batch = tok.encode_batch(texts)
    ranks = np.arange(len(texts))[::-1].copy()
    limits = limits_of(batch, 2, 2, ranks)
    result = strip_tokens(batch, ranks, limits, 2)
    assert result.removed.sum() > 0
    _, removed = reference_strip([batch.document(d).tolist() for d in range(len(texts))], 2, 2, ranks)
    for d, text in enumerate(texts):
        lo, hi = result.cut_offsets[d], result.cut_offsets[d + 1]
        got = cut_text_words(text, result.cut_start[lo:hi], result.cut_end[lo:hi],
                             expected_tokens=len(batch.document(d)))
        assert got == reference_cut_text(text, removed[d], None)


def test_predicted_removed_is_exact_for_spans_in_distinct_contexts(make_batch):
    rng = np.random.default_rng(9)
    passages = [list(rng.integers(1000, 10**6, 20)) for _ in range(3)]
    docs = []
    for i in range(30):
        doc = list(rng.integers(10**6, 10**9, 15))
        for j, passage in enumerate(passages):
            if i % (j + 2) == 0:
                doc += passage + list(rng.integers(10**6, 10**9, 7))
        docs.append(doc)
    batch = make_batch(docs)
    figures = coverage_of_batch(batch, 6).figures
    for k in (1, 2, 4):
        ranks = np.arange(len(docs))
        result = strip_tokens(batch, ranks, limits_of(batch, 6, k, ranks), 6)
        assert predicted_removed(figures.count_mass, k) == pytest.approx(result.removed.sum())
    assert predicted_removed(MassTable.empty(), 1) == 0.0


def test_arrow_functions_strip_and_rebuild_like_the_brute_force():
    """The worker functions end to end without Spark: over-limit rows, first-copy payloads from two batches,
    cutoffs per bucket, strip, rebuild; and a text that does not match its tokens is refused by id."""
    import pyarrow as pa

    from corpussieve.errors import InputError
    from corpussieve.repetition.arrowfns import (
        REPEATED_DDL,
        STRIP_COLUMNS,
        RepeatedTable,
        binary_array,
        binary_values,
        cutoff_rows,
        first_copy_payloads,
        limits_from_table,
        over_limit_rows,
        rebuild_batch,
        strip_batch,
    )

    tok = get_tokenizer("word")
    rng = np.random.default_rng(12)
    words = ["a", "b", "c", "d", "e"]
    texts = [" ".join(rng.choice(words, int(rng.integers(0, 40)))) for _ in range(30)] + [None]
    ids = [f"d{i}" for i in range(len(texts))]
    ranks = rng.permutation(len(texts)).astype(np.int64)
    batch_tokens = tok.encode_batch(texts)
    span, k, buckets = 3, 2, 5
    windows = window_hashes(batch_tokens, span)
    counts, _ = window_counts(windows.hashes, windows.doc)
    unique, first = np.unique(windows.hashes, return_index=True)
    repeated = RepeatedTable(unique[counts[first] >= 2], counts[first][counts[first] >= 2])
    table = repeated.to_table(0)
    assert [f.name for f in table.schema] == [f.split()[0] for f in REPEATED_DDL.split(", ")]
    over = binary_values(over_limit_rows(table.to_batches()[0], k).column(2), np.uint64)[0]
    assert set(over.tolist()) == set(unique[counts[first] > k].tolist())

    def ranked(lo, hi):
        sub = tok.encode_batch(texts[lo:hi])
        return pa.RecordBatch.from_arrays(
            [pa.array(ids[lo:hi]), pa.array(["s"] * (hi - lo)), pa.array(ranks[lo:hi]),
             binary_array(sub.ids, sub.offsets)], names=["id", "source", "keep_rank", "token_ids"])

    halves = [ranked(0, 13), ranked(13, len(texts))]
    payloads = pa.Table.from_batches([first_copy_payloads(b, span, over, k, buckets) for b in halves])
    per_bucket = [cutoff_rows(payloads.filter(pa.compute.equal(payloads["bucket"], b)), k)
                  for b in sorted(set(payloads["bucket"].to_pylist()))]
    limits = limits_from_table(pa.concat_tables(per_bucket), k)
    kept, removed = reference_strip([batch_tokens.document(d).tolist() for d in range(len(texts))], span, k, ranks)
    got_text = []
    for b in halves:
        stripped, _ = strip_batch(b, span, limits, None, 1000, 0)
        kept_ids, offsets = binary_values(stripped.column(5), np.uint32)
        joined = pa.RecordBatch.from_arrays(
            [b.column(0), pa.array([texts[ids.index(i)] for i in b.column(0).to_pylist()], pa.string()),
             *[stripped.column(c) for c in (6, 7, 8, 9)]],
            names=["id", "text", *STRIP_COLUMNS])
        rebuilt = rebuild_batch(joined, "words", "t")
        assert rebuilt.schema.names == ["id", "text", "tokens_before", "tokens_removed"]
        for j, doc_id in enumerate(b.column(0).to_pylist()):
            d = ids.index(doc_id)
            assert kept_ids[offsets[j]:offsets[j + 1]].tolist() == kept[d]
            assert rebuilt.column(3)[j].as_py() == sum(removed[d])
        got_text += rebuilt.column(1).to_pylist()
        if b is halves[0]:
            bad = joined.set_column(1, "text", pa.array([t + " extra" if t else t for t in joined.column(1)
                                                          .to_pylist()], pa.string()))
    assert got_text == [t if t is None else reference_cut_text(t, removed[d], None) for d, t in enumerate(texts)]
    with pytest.raises(InputError, match=r"table t, column 'text'.*word tokens.*rows with id 'd"):
        rebuild_batch(bad, "words", "t")


def test_a_cutoff_table_over_the_broadcast_limit_is_a_clear_error():
    from corpussieve.errors import ConfigError
    from corpussieve.repetition.config import RepetitionConfig
    from corpussieve.repetition.stages import _broadcast_checked

    with pytest.raises(ConfigError, match="broadcast_max_bytes"):
        _broadcast_checked(None, None, object(), 2**30, RepetitionConfig(broadcast_max_bytes=1000), "the cutoffs")
