"""The Spark job's Arrow stages without Spark: the whole pipeline simulated in-process equals the brute force."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from corpussieve.repetition import arrowfns as A
from corpussieve.repetition.coverage import RepetitionFigures, coverage, coverage_of_batch
from corpussieve.repetition.reference import reference_coverage
from corpussieve.repetition.synthetic import InjectionSpec, injected_corpus, pseudo_words
from corpussieve.repetition.tokenizers import get_tokenizer
from corpussieve.repetition.windows import local_counts, window_counts, window_hashes


def _groups(table: pa.Table, column: str):
    for value in sorted(set(table.column(column).to_pylist())):
        yield value, table.filter(pc.equal(table.column(column), value))


def simulate(texts, sources, span, *, lookup, passes=None, batch=3, block_tokens=1000, buckets=5, rows=2):
    """Every stage of the job, with Python loops standing in for Spark's shuffles."""
    tokenizer = get_tokenizer("word")
    passes = passes or {s: 1.0 for s in set(sources)}
    tokens, next_block = [], 0
    for i in range(0, len(texts), batch):
        part = pa.record_batch({"id": [f"d{j:03d}" for j in range(i, min(i + batch, len(texts)))],
                                "text": texts[i : i + batch], "source": sources[i : i + batch]})
        out, used = A.tokenize_batch(part, tokenizer, block_tokens, next_block)
        next_block += used
        tokens.append(out)
    tokens = pa.Table.from_batches(tokens)
    index = weights = None
    if len(set(passes.values())) > 1:
        names = sorted(passes)
        index, weights = {n: i for i, n in enumerate(names)}, np.array([passes[n] for n in names])
    payload = pa.Table.from_batches([A.window_payloads(b, span, buckets, index)
                                     for b in tokens.to_batches(max_chunksize=rows)])
    repeated = pa.concat_tables([A.repeated_hashes(t, weights) for _, t in _groups(payload, "bucket")])
    if lookup == "broadcast":
        table = A.RepeatedTable.from_table(repeated)
        result = pa.concat_tables([A.batch_coverage(b, span, table, passes)
                                   for b in tokens.to_batches(max_chunksize=rows + 1)])
    else:
        located = pa.Table.from_batches([A.window_payloads(b, span, buckets, None, True)
                                         for b in tokens.to_batches(max_chunksize=rows)])
        answers = pa.concat_tables([
            A.answer_windows(t, repeated.filter(pc.equal(repeated.column("bucket"), bucket)))
            for bucket, t in _groups(located, "bucket")])
        meta = tokens.select(["block", "token_start", "id", "source", "tokens"])
        result = pa.concat_tables([
            A.block_coverage(docs, answers.filter(pc.equal(answers.column("block"), block)), span, passes)
            for block, docs in _groups(meta, "block")])
    total = RepetitionFigures()
    for row in result.filter(pc.equal(result.column("kind"), "figures")).to_pylist():
        total = total + RepetitionFigures.from_dict(json.loads(row["figures"]))
    documents = {r["id"]: r for r in result.filter(pc.equal(result.column("kind"), "document")).to_pylist()}
    return total, documents, result


def random_texts(rng, n=40, vocabulary=25):
    words = [f"w{i}" for i in range(vocabulary)]
    texts = []
    for i in range(n):
        length = int(rng.integers(0, 80))
        texts.append(" ".join(rng.choice(words, length)) if length else (None if i % 2 else ""))
    return texts


def test_worker_functions_shipped_like_spark_ships_them_equal_the_brute_force():
    """What the workers run: the factories' closures over the config, pickled and unpickled as Spark does."""
    from types import SimpleNamespace

    from pyspark import cloudpickle

    from corpussieve.repetition.config import RepetitionConfig

    def shipped(function):
        return cloudpickle.loads(cloudpickle.dumps(function))

    texts = random_texts(np.random.default_rng(4), n=30, vocabulary=3)
    sources = [("a", "b")[i % 2] for i in range(len(texts))]
    passes = {"a": 1.0, "b": 3.0}
    config = RepetitionConfig(tokenizer="word", span_tokens=8, block_tokens=1000)
    docs = pa.record_batch({"id": [f"d{i:03d}" for i in range(len(texts))], "text": texts, "source": sources})
    tokens = pa.Table.from_batches(list(shipped(A.tokens_map(config))(iter([docs[:11], docs[11:]]))))
    payload = pa.Table.from_batches(list(shipped(A.payloads_map(config, 3, {"a": 0, "b": 1}, False))(
        iter(tokens.to_batches(max_chunksize=7)))))
    repeated = pa.concat_tables([shipped(A.repeated_apply([1.0, 3.0]))(t) for _, t in _groups(payload, "bucket")])
    broadcast = SimpleNamespace(value=A.RepeatedTable.from_table(repeated))
    by_broadcast = pa.Table.from_batches(list(shipped(A.coverage_map(config, broadcast, passes))(
        iter(tokens.select(["id", "source", "token_ids"]).to_batches(max_chunksize=5)))))
    located = pa.Table.from_batches(list(shipped(A.payloads_map(config, 3, None, True))(
        iter(tokens.to_batches(max_chunksize=7)))))
    answer = shipped(A.answers_cogroup())
    answers = pa.concat_tables([answer(t, repeated.filter(pc.equal(repeated.column("bucket"), bucket)))
                                for bucket, t in _groups(located, "bucket")])
    cover = shipped(A.coverage_cogroup(config, passes))
    by_shuffle = pa.concat_tables([cover(t, answers.filter(pc.equal(answers.column("block"), block)))
                                   for block, t in _groups(tokens.select(["block", "token_start", "id", "source",
                                                                           "tokens"]), "block")])
    tokenizer = get_tokenizer("word")
    ref = reference_coverage([tokenizer.encode(t).tolist() for t in texts], 8, [passes[s] for s in sources])
    assert ref.figures.repeated_tokens > 0
    for result in (by_broadcast, by_shuffle):
        total = RepetitionFigures()
        for row in result.filter(pc.equal(result.column("kind"), "figures")).to_pylist():
            total = total + RepetitionFigures.from_dict(json.loads(row["figures"]))
        assert total == ref.figures


@pytest.mark.parametrize("lookup", ["broadcast", "shuffle"])
@pytest.mark.parametrize("seed", range(3))
def test_simulated_pipeline_equals_brute_force(lookup, seed):
    rng = np.random.default_rng(seed)
    texts = random_texts(rng)
    sources = [("a", "b", "c")[i % 3] for i in range(len(texts))]
    tokenizer = get_tokenizer("word")
    docs = [tokenizer.encode(t).tolist() for t in texts]
    for span in (2, 3, 6):
        for passes in (None, {"a": 1.0, "b": 2.0, "c": 0.5}):
            total, documents, _ = simulate(texts, sources, span, lookup=lookup, passes=passes,
                                           batch=int(rng.integers(1, 9)), rows=int(rng.integers(1, 5)),
                                           buckets=int(rng.integers(1, 7)))
            ref = reference_coverage(docs, span, None if passes is None else [passes[s] for s in sources])
            assert total == ref.figures
            for i in range(len(texts)):
                row = documents[f"d{i:03d}"]
                assert row["repeated_tokens"] == ref.documents.repeated_tokens[i]
                assert row["within_document_tokens"] == ref.documents.within_document_tokens[i]
                assert row["max_span_count"] == ref.documents.max_count[i]
                assert row["excess_tokens"] == pytest.approx(ref.documents.excess_tokens[i], abs=1e-9)


def test_results_do_not_depend_on_batches_blocks_or_buckets():
    rng = np.random.default_rng(9)
    texts = random_texts(rng, n=60)
    sources = [("a", "b")[i % 2] for i in range(len(texts))]
    outputs = []
    for batch, block_tokens, buckets, rows, lookup in ((1, 1, 1, 1, "shuffle"), (7, 40, 3, 2, "shuffle"),
                                                        (60, 10**6, 11, 60, "broadcast")):
        total, documents, result = simulate(texts, sources, 4, lookup=lookup, batch=batch,
                                            block_tokens=block_tokens, buckets=buckets, rows=rows)
        spans = sorted((r["id"], r["span_start"], r["span_end"], r["key_hash"], r["first_in_document"])
                       for r in result.filter(pc.equal(result.column("kind"), "span")).to_pylist())
        outputs.append((total, sorted((k, tuple(sorted(v.items()))) for k, v in documents.items()), spans))
    assert outputs[0] == outputs[1] == outputs[2]


def test_coverage_of_the_repeated_windows_alone_equals_coverage_of_all(make_batch, make_random_corpus):
    rng = np.random.default_rng(5)
    for _ in range(30):
        docs = make_random_corpus(rng)
        span = int(rng.integers(1, 6))
        windows = window_hashes(make_batch(docs), span)
        counts, local = window_counts(windows.hashes, windows.doc)
        full = coverage(windows, counts, local)
        keep = np.flatnonzero(counts >= 2)
        doc = windows.doc[keep]
        sparse = type(windows)(windows.hashes[keep], doc, windows.pos[keep],
                               np.searchsorted(doc, np.arange(windows.documents + 1)), windows.token_offsets, span)
        part = coverage(sparse, counts[keep], local_counts(doc, windows.hashes[keep]))
        assert part.figures == full.figures
        assert part.spans.rows() == full.spans.rows()
        assert np.array_equal(part.documents.max_count, full.documents.max_count)
        assert np.array_equal(part.documents.windows, full.documents.windows)


def test_effective_counts_do_not_depend_on_row_order():
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 50, 4000).astype(np.uint64)
    sources = rng.integers(0, 3, hashes.size).astype(np.uint16)
    passes = np.array([0.1, 1 / 3, 2.7])
    cuts = np.array([0, 1000, 2500, 4000])

    def table(order):
        h, s = hashes[order], sources[order]
        return pa.table({"bucket": pa.array([0, 0, 0], pa.int32()), "hashes": A.binary_array(h, cuts),
                         "sources": A.binary_array(s, cuts)})

    first = A.RepeatedTable.from_table(A.repeated_hashes(table(np.arange(hashes.size)), passes))
    second = A.RepeatedTable.from_table(A.repeated_hashes(table(rng.permutation(hashes.size)), passes))
    assert np.array_equal(first.hashes, second.hashes) and np.array_equal(first.counts, second.counts)
    assert first.effective.tobytes() == second.effective.tobytes()
    expected = {h: sum(passes[s] for hh, s in zip(hashes, sources, strict=True) if hh == h) for h in range(50)}
    for h, e in zip(first.hashes.tolist(), first.effective.tolist(), strict=True):
        assert e == pytest.approx(expected[h])


def test_binary_columns_round_trip_with_slices_and_nulls():
    values = np.arange(10, dtype=np.uint64) * 7
    array = A.binary_array(values, np.array([0, 3, 3, 10]))
    got, offsets = A.binary_values(array, np.uint64)
    assert got.tolist() == values.tolist() and offsets.tolist() == [0, 3, 3, 10]
    got, offsets = A.binary_values(array.slice(1, 2), np.uint64)
    assert got.tolist() == values[3:].tolist() and offsets.tolist() == [0, 0, 7]
    got, offsets = A.binary_values(pa.array([None, b"\x01\x00\x00\x00"], pa.binary()), np.uint32)
    assert got.tolist() == [1] and offsets.tolist() == [0, 0, 1]
    with pytest.raises(ValueError):
        A.binary_values(pa.array([b"\x01\x02\x03"], pa.binary()), np.uint32)


def test_figures_survive_json():
    ids = np.array([1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 1, 2, 3], dtype=np.uint32)
    from corpussieve.repetition.tokenizers import TokenBatch

    figures = coverage_of_batch(TokenBatch(ids, np.array([0, 5, 13])), 3, np.array([0.5, 3.0])).figures
    assert RepetitionFigures.from_dict(json.loads(json.dumps(figures.to_dict()))) == figures


def test_blocks_hold_about_block_tokens_and_lie_end_to_end():
    lengths = np.array([5, 0, 7, 30, 1, 1, 12])
    block, start = A.assign_blocks(lengths, 10)
    assert block.tolist() == [0, 0, 0, 1, 2, 2, 2]
    assert start.tolist() == [0, 5, 5, 0, 0, 1, 2]


def test_exact_duplicate_hashes_fold_whitespace_and_skip_empty_texts():
    hi, lo, empty = A.normalized_text_hashes(["a  b\n c", " a b c ", "a b C", "", None, "  \n"])
    assert (hi[0], lo[0]) == (hi[1], lo[1]) != (hi[2], lo[2])
    assert empty.tolist() == [False, False, False, True, True, True]


def test_span_text_decodes_or_slices():
    text = "Hello, world! This is it."
    assert get_tokenizer("word").span_text(text, 1, 4) == ", world!"
    assert get_tokenizer("cl100k").span_text(text, 1, 4) == ", world!"
    assert get_tokenizer("word").span_text(None, 0, 3) == ""


def test_synthetic_background_is_unique_and_the_truth_is_measured():
    tokenizer = get_tokenizer("cl100k")
    assert len(set(pseudo_words(5000, np.random.default_rng(0)))) == 5000
    clean = injected_corpus(InjectionSpec(documents=60, fraction=0.0), tokenizer)
    assert coverage_of_batch(tokenizer.encode_batch(clean.texts), 50).figures.repeated_tokens == 0
    data = injected_corpus(InjectionSpec(documents=120, fraction=0.08, copies=20, seed=4), tokenizer)
    figures = coverage_of_batch(tokenizer.encode_batch(data.texts), 50).figures
    assert figures.tokens == data.total_tokens
    assert abs(figures.repeated_token_fraction - data.true_fraction) < 0.005
    assert abs(data.true_fraction - 0.08) < 0.03
