"""The workers' Arrow functions without Spark: closures over the config model survive pickling the way Spark
ships them, and each returns exactly the columns its DDL declares."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from corpussieve.dedup import DedupConfig, arrowfns

cloudpickle = pytest.importorskip("pyspark.cloudpickle")

TEXTS = [
    "the quick brown fox jumps over the lazy dog near the river bank today and tomorrow",
    "THE QUICK brown fox, jumps over the lazy dog near the river bank today and tomorrow!",  # same exact key
    None,
    "an entirely different document about sketches signatures and exact keys of text",
]


def shipped(fn):
    """``fn`` after the round trip Spark makes it take to a worker."""
    return cloudpickle.loads(cloudpickle.dumps(fn))


def ddl_names(ddl: str) -> list[str]:
    return [part.split()[0] for part in ddl.split(", ")]


@pytest.fixture(scope="module")
def config() -> DedupConfig:
    return DedupConfig(threshold=0.7, num_perm=64, bands=8, rows=8, keep="longest_text")


@pytest.fixture(scope="module")
def sketched(config) -> pa.RecordBatch:
    batch = pa.RecordBatch.from_arrays([pa.array(["a", "b", "c", "d"]), pa.array(TEXTS), pa.array([1, 2, 3, 4])],
                                       names=["id", "text", "extra"])
    fn = shipped(arrowfns.keys_and_sketches(config, config.bands, config.rows))
    (out,) = list(fn(iter([batch])))
    return out


def test_keys_and_sketches_returns_its_ddl_columns_then_the_passthrough(sketched):
    assert sketched.schema.names == [*ddl_names(arrowfns.KEYS_AND_SKETCHES_DDL), "extra"]
    assert sketched.column("extra").to_pylist() == [1, 2, 3, 4]
    hi, lo = sketched.column("exact_hi").to_pylist(), sketched.column("exact_lo").to_pylist()
    assert (hi[0], lo[0]) == (hi[1], lo[1]) and (hi[0], lo[0]) != (hi[3], lo[3])
    assert sketched.column("blank").to_pylist() == [False, False, True, False]
    # the repeat of an exact key and the blank text are not signed
    assert [v is not None for v in sketched.column("signature").to_pylist()] == [True, False, False, True]
    assert all(len(k) == 8 for k in sketched.column("band_keys").to_pylist() if k is not None)


def test_rebanded_recomputes_the_band_keys_of_stored_signatures(config, sketched):
    signed = sketched.filter(pa.array([True, False, False, True]))
    fn = shipped(arrowfns.rebanded(config, config.bands, config.rows))
    (out,) = list(fn(iter([signed.select(["id", "signature"])])))
    assert out.schema.names == ddl_names(arrowfns.BAND_KEYS_DDL)
    assert out.column("band_keys").to_pylist() == signed.column("band_keys").to_pylist()


def test_pair_similarity_and_exact_jaccard_return_their_ddl_columns(config, sketched):
    sig = sketched.column("signature")
    pairs = pa.RecordBatch.from_arrays([pa.array([1, 2]), pa.array([10, 20]), pa.array([sig[0], sig[0]]),
                                        pa.array([sig[0], sig[3]])], names=["a", "b", "sig_a", "sig_b"])
    (out,) = list(shipped(arrowfns.pair_similarity(config))(iter([pairs])))
    assert out.schema.names == ddl_names(arrowfns.PAIR_SIMILARITY_DDL)
    similarity = out.column("similarity").to_pylist()
    assert similarity[0] == pytest.approx(1.0) and similarity[1] < 0.3

    texts = pa.RecordBatch.from_arrays([pa.array([1, 2]), pa.array([10, 20]), pa.array([TEXTS[0], TEXTS[0]]),
                                        pa.array([TEXTS[1], TEXTS[3]])], names=["src", "dst", "text_a", "text_b"])
    (out,) = list(shipped(arrowfns.exact_jaccard(config))(iter([texts])))
    assert out.schema.names == ddl_names(arrowfns.EXACT_JACCARD_DDL)
    assert out.column("jaccard").to_pylist()[0] == pytest.approx(1.0) and out.column("jaccard")[1].as_py() < 0.3


def test_bucket_edges_returns_edges_and_one_counters_row(config, sketched):
    sig = sketched.column("signature")
    table = pa.table({"bucket": np.array([7, 7, 7], dtype=np.int64), "nid": np.array([1, 2, 3], dtype=np.int64),
                      "signature": pa.array([sig[0], sig[0], sig[3]])})
    out = shipped(arrowfns.bucket_edges(config))(table)
    assert out.schema.names == ddl_names(arrowfns.BUCKET_EDGES_DDL)
    rows = out.to_pylist()
    edges = [(r["src"], r["dst"]) for r in rows if r["src"] is not None]
    counters = [r for r in rows if r["src"] is None]
    assert edges == [(1, 2)]
    assert len(counters) == 1 and counters[0]["buckets"] == 1 and counters[0]["largest"] == 3


def test_shingle_sets_returns_each_texts_set_as_uint64_bytes(config):
    from corpussieve.dedup.verify import set_pair_jaccard, shingle_sets

    batch = pa.RecordBatch.from_arrays([pa.array([7, 3, 5, 9], pa.int64()), pa.array(TEXTS)], names=["nid", "text"])
    out = pa.Table.from_batches(list(shipped(arrowfns.shingle_sets(config))(iter([batch]))))
    assert out.column_names == ddl_names(arrowfns.SHINGLE_SETS_DDL)
    assert out.column("nid").to_pylist() == [7, 3, 5, 9]
    offsets, hashes = shingle_sets(TEXTS, config)
    sets = [np.frombuffer(v, "<u8") for v in out.column("shingles").to_pylist()]
    assert [s.tolist() for s in sets] == [hashes[offsets[k]:offsets[k + 1]].tolist() for k in range(len(TEXTS))]
    assert sets[2].size == 0  # a blank text: the empty set
    # the first two share their normalized text: Jaccard 1 from the sets, as from the texts
    assert set_pair_jaccard(offsets, hashes, np.array([0, 0]), np.array([1, 3])).tolist()[0] == 1.0
