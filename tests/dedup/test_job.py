"""The dedup job end to end on small Delta tables: outputs, keep rules, bad input, incremental mode,
determinism, and quality against exact ground truth on the generated corpus."""

from __future__ import annotations

import datetime as dt
import json
import random
from argparse import Namespace

import pytest

from corpussieve.dedup import DedupConfig, choose_kept
from corpussieve.dedup.groundtruth import dedup_quality
from corpussieve.dedup.verify import exact_jaccard
from corpussieve.errors import InputError

pytestmark = pytest.mark.spark

SCHEMA = "id string, text string, fetch_time timestamp, quality double, url string"
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def _args(**kw):
    base = {"input": None, "output": None, "threshold": None, "num_perm": None, "ngram": None, "bands": None,
            "rows": None, "index": None, "keep": None, "verification": None, "sketch": None}
    base.update(kw)
    return Namespace(**base)


@pytest.fixture()
def dedup(spark, tables):
    """Run the job like the CLI does (config layers, JobContext), on the shared session."""
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.dedup import job
    from corpussieve.runlog import JobRun

    def run(sets=(), **kw):
        args = _args(**{k: str(v) if k in ("input", "output", "index") and v is not None else v
                        for k, v in kw.items()})
        config = build_config(sets=list(sets), overrides=job.overrides(args))
        ctx = JobContext(spark=spark, tables=tables, config=config, run=JobRun("dedup", config))
        return job.run(ctx, args)

    return run


def write_table(spark, tables, path, rows, partitions=2):
    df = spark.createDataFrame(rows, SCHEMA).repartition(partitions)
    tables.write(df, str(path), "overwrite")
    return str(path)


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 8))) for _ in range(n)]


def edit(rng: random.Random, text: str, substitutions: int) -> str:
    w = text.split()
    for pos in rng.sample(range(len(w)), substitutions):
        w[pos] = "zz" + "".join(rng.choices("abcdefghij", k=6))
    return " ".join(w)


def row(doc_id, text, hours=0, quality=None):
    return (doc_id, text, T0 + dt.timedelta(hours=hours), quality, f"https://x.example/{doc_id}")


def read(tables, path):
    return {r["id"]: r.asDict() for r in tables.read(str(path)).collect()}


def test_outputs_for_exact_near_unique_and_blank_documents(dedup, spark, tables, tmp_path):
    rng = random.Random(1)
    base = " ".join(words(rng, 300))
    near = edit(rng, base, 2)  # J ~ 0.94
    other = " ".join(words(rng, 300))
    rows = [
        row("a", base, hours=5),
        row("b", base.upper().replace(" ", "  ,  "), hours=1),  # same after normalization: exact
        row("c", near, hours=3),
        row("d", other, hours=2),
        row("e", None), row("f", ""), row("g", "  ... \n"),  # blank: kept, never clustered
        row("h", "short text"), row("i", "Short, TEXT!"),  # shorter than 5 words: still signed; exact pair
    ]
    src = write_table(spark, tables, tmp_path / "raw", rows)
    summary = dedup(input=src, output=tmp_path / "out")
    clusters = read(tables, tmp_path / "out" / "clusters")
    assert set(clusters) == {r[0] for r in rows}
    # Earliest fetch time keeps b over its exact copy a and its near copy c.
    assert clusters["b"] == {"id": "b", "cluster_id": "b", "kept": True, "duplicate_of": None, "match": None,
                             "similarity": None}
    assert clusters["a"]["duplicate_of"] == "b" and clusters["a"]["match"] == "exact"
    assert clusters["a"]["similarity"] == 1.0
    assert clusters["c"]["match"] == "near" and clusters["c"]["cluster_id"] == "b"
    assert clusters["c"]["similarity"] == pytest.approx(exact_jaccard(near, base, DedupConfig()), abs=0.12)
    for unique in ("d", "e", "f", "g"):
        assert clusters[unique]["kept"] and clusters[unique]["cluster_id"] == unique
        assert clusters[unique]["match"] is None and clusters[unique]["duplicate_of"] is None
    assert {clusters["h"]["kept"], clusters["i"]["kept"]} == {True, False}

    docs = read(tables, tmp_path / "out" / "documents")
    assert set(docs) == {"b", "d", "e", "f", "g", "h"}
    assert docs["b"]["cluster_size"] == 3 and docs["d"]["cluster_size"] == 1 and docs["d"]["cluster_id"] == "d"
    assert docs["b"]["url"] == "https://x.example/b" and docs["b"]["text"] == rows[1][1]
    assert list(tables.read(str(tmp_path / "out" / "documents")).columns) == [
        "id", "text", "fetch_time", "quality", "url", "cluster_id", "cluster_size"]

    assert (summary["kept"], summary["removed_exact"], summary["removed_near"]) == (6, 2, 1)
    assert summary["blank_documents"] == 3
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [s["name"] for s in report["stages"]] == ["read", "exact_groups", "nodes", "lsh_buckets", "verify",
                                                     "components", "keep", "write", "report"]
    assert report["stages"][0]["rows_out"] == len(rows)
    assert report["metrics"]["null_text"] == 1 and report["metrics"]["blank_documents"] == 3
    assert report["metrics"]["signed"] == 4  # b's exact group once, c, d, and h's exact group once
    assert report["banding"]["bands"] * report["banding"]["rows"] <= 128
    assert report["cluster_sizes"] == {"1": 4, "2": 1, "3": 1}
    assert report["largest_clusters"][0]["cluster_id"] == "b" and report["largest_clusters"][0]["size"] == 3
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<svg" in html and "LSH banding" in html and "Largest clusters" in html and "<script" not in html
    assert not (tmp_path / "out" / "_tmp").exists()


# earliest_fetch_time and lowest_id (as the tie-break) are exercised by every other test here.
@pytest.mark.parametrize("rule", ["longest_text", "highest:quality"])
def test_keep_rules_match_the_reference(dedup, spark, tables, tmp_path, rule):
    rng = random.Random(2)
    base = " ".join(words(rng, 200))
    variants = [base, base + " tail words here", edit(rng, base, 1), base, edit(rng, base, 1) + " more"]
    ids = ["k3", "k1", "k4", "k2", "k0"]
    hours = [4, 2, 2, 1, 1]
    quality = [0.3, 0.9, 0.9, None, 0.1]
    rows = [row(i, t, h, q) for i, t, h, q in zip(ids, variants, hours, quality, strict=True)]
    src = write_table(spark, tables, tmp_path / "raw", rows)
    dedup(input=src, output=tmp_path / "out", keep=rule)
    clusters = read(tables, tmp_path / "out" / "clusters")
    ref = [{"id": r[0], "text": r[1], "fetch_time": r[2], "quality": r[3]} for r in rows]
    want = choose_kept(ref, rule)
    assert [i for i, c in clusters.items() if c["kept"]] == [want]
    assert all(c["cluster_id"] == want for c in clusters.values())


def test_bad_input_fails_clearly_and_commits_nothing(dedup, spark, tables, tmp_path):
    dup = write_table(spark, tables, tmp_path / "dup", [row("x", "one two"), row("y", "three"), row("x", "four"),
                                                        row("z", "five"), row("z", "six")])
    with pytest.raises(InputError) as err:
        dedup(input=dup, output=tmp_path / "out")
    assert err.value.column == "id" and err.value.row_ids[:2] == ["x", "z"]
    assert "2 ids appear more than once" in str(err.value) and str(tmp_path / "dup") in str(err.value)
    assert not (tmp_path / "out" / "documents").exists() and not (tmp_path / "out" / "clusters").exists()

    nulls = write_table(spark, tables, tmp_path / "nulls", [row("x", "one"), row(None, "two")])
    with pytest.raises(InputError, match="1 row has a null id"):
        dedup(input=nulls, output=tmp_path / "out")

    no_text = spark.createDataFrame([("x", "t")], "id string, body string")
    tables.write(no_text, str(tmp_path / "notext"), "overwrite")
    with pytest.raises(InputError, match="column 'text'.*column is missing"):
        dedup(input=tmp_path / "notext", output=tmp_path / "out")
    tables.write(spark.createDataFrame([("x", "t")], "id string, text string"), str(tmp_path / "nofetch"),
                 "overwrite")
    with pytest.raises(InputError, match="column 'quality'.*column is missing"):  # the keep rule reads it
        dedup(input=tmp_path / "nofetch", output=tmp_path / "out", sets=["dedup.keep=highest:quality"])
    assert not (tmp_path / "out" / "documents").exists()


def test_identical_corpus_collapses_in_the_exact_stage(dedup, spark, tables, tmp_path):
    text = " ".join(words(random.Random(4), 150))
    rows = [row(f"d{i:03d}", text, hours=i) for i in range(400)]
    summary = dedup(input=write_table(spark, tables, tmp_path / "raw", rows, partitions=4),
                    output=tmp_path / "out")
    assert (summary["kept"], summary["removed_exact"], summary["removed_near"]) == (1, 399, 0)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["metrics"]["signed"] == 1 and report["metrics"]["buckets"] == 0
    assert [r["id"] for r in tables.read(str(tmp_path / "out" / "documents")).collect()] == ["d000"]


@pytest.mark.slow
def test_chain_of_near_duplicates_is_one_cluster_and_a_huge_document_passes(dedup, spark, tables, tmp_path):
    rng = random.Random(5)
    text = " ".join(words(rng, 400))
    chain = [text]
    for _ in range(11):  # each step ~J 0.93 to the last; the ends ~J 0.45 apart
        chain.append(edit(rng, chain[-1], 3))
    assert exact_jaccard(chain[0], chain[-1], DedupConfig()) < 0.6
    huge = " ".join(words(rng, 1_700_000))[:10_000_000]  # one 10 MB document
    rows = [row(f"c{i:02d}", t, hours=i) for i, t in enumerate(chain)] + [row("huge", huge)]
    dedup(input=write_table(spark, tables, tmp_path / "raw", rows), output=tmp_path / "out")
    clusters = read(tables, tmp_path / "out" / "clusters")
    assert {c["cluster_id"] for i, c in clusters.items() if i != "huge"} == {"c00"}
    assert clusters["huge"]["kept"] and clusters["huge"]["cluster_id"] == "huge"
    assert sum(c["kept"] for c in clusters.values()) == 2


@pytest.fixture(scope="module")
def generated(spark, tables, tmp_path_factory):
    """About 2,500 generated documents (text only) as a Delta table, with their texts for ground truth."""
    import pandas as pd

    from corpussieve.sample.corpus import CorpusGenerator, CorpusSpec

    gen = CorpusGenerator(CorpusSpec(docs=2500, seed=11, include_html=False))
    records = [gen.record(i) for i in range(2500)]
    frame = pd.DataFrame(records)
    frame["fetch_time"] = pd.to_datetime(frame["fetch_time"], utc=True)
    path = tmp_path_factory.mktemp("generated") / "raw"
    tables.write(spark.createDataFrame(frame).repartition(3), str(path), "overwrite")
    return str(path), records


def _clusters_rows(tables, path):
    return sorted(tuple(r) for r in tables.read(str(path)).collect())


@pytest.mark.slow
def test_quality_against_exact_ground_truth_and_determinism(dedup, spark, tables, tmp_path, generated):
    src, records = generated
    summary = dedup(input=src, output=tmp_path / "out")
    clusters = {r["id"]: r["kept"] for r in tables.read(str(tmp_path / "out" / "clusters")).collect()}
    quality = dedup_quality([r["id"] for r in records], [r["text"] for r in records], clusters, DedupConfig())
    assert quality.removed > 150 and quality.pairs > 100
    assert quality.removal_precision >= 0.995, quality
    assert quality.pair_recall >= 0.99, quality
    assert summary["removed_exact"] >= sum(r["gen_kind"] == "exact_duplicate" for r in records) * 0.9

    # Same clusters whatever the partitioning (other shuffle partition counts and another file layout),
    # and whichever connected-components path runs (driver above, distributed here).
    shuffled = tables.read(src).repartition(7, "url")
    tables.write(shuffled, str(tmp_path / "raw7"), "overwrite")
    previous = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "9")
    try:
        dedup(input=tmp_path / "raw7", output=tmp_path / "out7", sets=["dedup.components_local_max_edges=0"])
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", previous)
    assert _clusters_rows(tables, tmp_path / "out7" / "clusters") == _clusters_rows(tables,
                                                                                  tmp_path / "out" / "clusters")
    # Verification on the executors (texts joined to the pairs), components in the driver: the same
    # decisions as the driver's verification on collected shingle sets, pair for pair.
    dedup(input=src, output=tmp_path / "out_exec", sets=["dedup.verify_local_max_documents=0"])
    assert _clusters_rows(tables, tmp_path / "out_exec" / "clusters") == _clusters_rows(tables,
                                                                                      tmp_path / "out" / "clusters")
    figures = ("candidate_edges", "exact_checks", "verified_edges", "components", "kept", "removed_near")
    metrics = [json.loads((tmp_path / name / "report.json").read_text())["metrics"]
               for name in ("out", "out7", "out_exec")]
    assert metrics[0]["exact_checks"] > 0
    assert [{k: m[k] for k in figures} for m in metrics[1:]] == [{k: metrics[0][k] for k in figures}] * 2


def test_incremental_batches_against_the_index(dedup, spark, tables, tmp_path):
    rng = random.Random(6)
    texts = [" ".join(words(rng, 250)) for _ in range(30)]
    first = [row(f"a{i:02d}", t, hours=10 + i) for i, t in enumerate(texts)]
    first.append(row("a99", texts[0], hours=1))  # an exact copy of a00 inside batch 1, fetched earlier: kept
    batch1 = write_table(spark, tables, tmp_path / "batch1", first)
    index = tmp_path / "index"
    s1 = dedup(input=batch1, output=tmp_path / "out1", index=index)
    assert s1["index"]["committed"] and s1["index"]["rows_appended"] == 30
    assert tables.txn_version(str(index), json.loads((tmp_path / "out1" / "report.json").read_text())
                              ["incremental"]["txn_app_id"]) == 0

    second = [
        row("b00", texts[3], hours=0),  # exact copy of an indexed document, fetched earlier: still removed
        row("b01", edit(rng, texts[4], 2), hours=0),  # near copy of an indexed document
        row("b02", " ".join(words(rng, 250)), hours=5),  # new
        row("b03", texts[5].upper(), hours=3),  # exact (after normalization) copy of a05
        row("a07", texts[7], hours=50),  # the same id as an indexed document: treated as that document
    ]
    fresh = " ".join(words(rng, 250))
    second += [row("b04", fresh, hours=9), row("b05", edit(rng, fresh, 1), hours=8)]  # near pair within batch 2
    batch2 = write_table(spark, tables, tmp_path / "batch2", second)
    s2 = dedup(input=batch2, output=tmp_path / "out2", index=index)
    clusters = read(tables, tmp_path / "out2" / "clusters")
    assert clusters["b00"]["duplicate_of"] == "a03" and clusters["b00"]["match"] == "exact"
    assert clusters["b01"]["duplicate_of"] == "a04" and clusters["b01"]["match"] == "near"
    assert clusters["b03"]["duplicate_of"] == "a05"
    assert clusters["a07"]["kept"] and clusters["a07"]["cluster_id"] == "a07"
    assert clusters["b02"]["kept"] and clusters["b05"]["kept"] and clusters["b04"]["duplicate_of"] == "b05"
    report2 = json.loads((tmp_path / "out2" / "report.json").read_text())
    # Old documents are never re-signed: only b01, b02 and b04/b05 are (b00, b03 are exact copies of indexed ones).
    assert report2["metrics"]["signed"] == 4
    assert report2["incremental"]["removed_against_index"] == 3
    assert report2["incremental"]["batch_ids_already_indexed"] == 1
    assert s2["index"]["rows_appended"] == 2  # b02 and b05
    indexed = {r["id"] for r in tables.read(str(index)).collect()}
    assert indexed == {f"a{i:02d}" for i in range(1, 30)} | {"a99", "b02", "b05"}

    # A rerun of the same batch changes nothing and gives the same outputs.
    version = tables.version(str(index))
    s3 = dedup(input=batch2, output=tmp_path / "out3", index=index)
    assert not s3["index"]["committed"] and tables.version(str(index)) == version
    assert _clusters_rows(tables, tmp_path / "out3" / "clusters") == _clusters_rows(tables,
                                                                                  tmp_path / "out2" / "clusters")
    assert sorted(read(tables, tmp_path / "out3" / "documents")) == sorted(read(tables, tmp_path / "out2" / "documents"))

    # An index made with other signature settings is refused.
    with pytest.raises(InputError, match="sketch"):
        dedup(input=batch2, output=tmp_path / "out4", index=index, num_perm=64)
    # And so is one made with the other sketch scheme, naming both.
    other = "permutations" if DedupConfig().sketch_scheme == "one_permutation" else "one_permutation"
    with pytest.raises(InputError, match=r"(?s)minhash-v2.*oph-v1|oph-v1.*minhash-v2"):
        dedup(input=batch2, output=tmp_path / "out5", index=index, sketch=other)
    # An index made with the textbook scheme keeps working under the default ('auto': the index's scheme),
    # with the same clusters (the similarity estimates differ): an upgrade never orphans an index.
    old_index = tmp_path / "old_index"
    dedup(input=batch1, output=tmp_path / "old1", index=old_index, sketch="permutations")
    s6 = dedup(input=batch2, output=tmp_path / "old2", index=old_index)
    assert s6["sketch"] == "permutations" and s6["index"]["rows_appended"] == 2
    assert ([r[:5] for r in _clusters_rows(tables, tmp_path / "old2" / "clusters")]  # estimates differ
            == [r[:5] for r in _clusters_rows(tables, tmp_path / "out2" / "clusters")])


def test_the_default_rule_runs_on_an_id_and_text_table(dedup, spark, tables, tmp_path):
    """Only id and text, as the input contract says: no fetch_time, so the lowest id of a cluster is kept."""
    text = "the same words of a page that was copied to three sites last week"
    df = spark.createDataFrame([("c", text), ("a", text), ("b", "something else entirely, not a copy")],
                               "id string, text string")
    tables.write(df, str(tmp_path / "in"), "overwrite")
    summary = dedup(input=tmp_path / "in", output=tmp_path / "out")
    clusters = read(tables, tmp_path / "out" / "clusters")
    assert clusters["a"]["kept"] and not clusters["c"]["kept"] and clusters["c"]["duplicate_of"] == "a"
    assert clusters["b"]["kept"] and summary["kept"] == 2
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert "no fetch_time column" in json.dumps(report)


def test_an_empty_table_gives_empty_outputs(dedup, spark, tables, tmp_path):
    tables.write(spark.createDataFrame([], "id string, text string"), str(tmp_path / "in"), "overwrite")
    summary = dedup(input=tmp_path / "in", output=tmp_path / "out")
    assert (summary["documents"], summary["kept"]) == (0, 0)
    assert tables.read(str(tmp_path / "out" / "clusters")).count() == 0
    assert tables.read(str(tmp_path / "out" / "documents")).count() == 0
    assert not (tmp_path / "out" / "_tmp").exists()  # checkpoints removed
