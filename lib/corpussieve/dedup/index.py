"""The incremental dedup index: one row per document already deduplicated and kept.

A scheduled refresh deduplicates a new batch within itself and against the index, joining exact hashes
and LSH band keys, so old documents are never re-read or re-signed. Rows record the sketch they were
made with: signatures are comparable only under the same normalization, shingling, permutations and seed
(:func:`sketch_id`); a band layout change only needs the band keys recomputed from the stored signatures.
"""

from __future__ import annotations

import xxhash

from corpussieve.dedup.config import DedupConfig
from corpussieve.dedup.lsh import BandingPlan

SKETCH_VERSIONS = {"permutations": "minhash-v2", "one_permutation": "oph-v1"}
"""Per sketch scheme; bumped whenever signatures of the same config would change (minhash-v2: multiply-add-shift
hash functions; oph-v1: one-permutation hashing with optimal densification)."""

INDEX_DDL = (
    "id string, exact_hi long, exact_lo long, blank boolean, signature binary, band_keys array<long>, "
    "text_length long, fetch_time timestamp, sketch string, banding string, source_table string, "
    "source_version long"
)
INDEX_COLUMNS = [part.split()[0] for part in INDEX_DDL.split(", ")]
APP_ID_PREFIX = "corpussieve-dedup"


def sketch_id(config: DedupConfig) -> str:
    """Everything a signature depends on, as one comparable string."""
    norm = config.normalization
    flags = "".join(str(int(v)) for v in (norm.nfkc, norm.casefold, norm.fold_punctuation, norm.fold_whitespace))
    return (f"{SKETCH_VERSIONS[config.sketch_scheme]}:{config.shingle_unit}{config.shingle_size}:perm{config.num_perm}:"
            f"seed{config.seed}:norm{flags}")


def banding_id(plan: BandingPlan) -> str:
    return f"b{plan.bands}r{plan.rows}"


def index_txn_app_id(input_table: str) -> str:
    """The index's transaction id for batches of one input table; the table version is the batch version,
    so each version of an input table is added to the index at most once."""
    return f"{APP_ID_PREFIX}-{xxhash.xxh3_64_hexdigest(input_table.encode('utf-8'))}"
