"""Pure (Spark-free) core of the dedup job: normalization, exact keys, MinHash, LSH, verification, keep rules.

Every function takes plain Python sequences, numpy arrays or pyarrow arrays and returns numpy arrays, so
the Spark job can call it inside Arrow batches and group functions.
"""

# corpussieve.config imports this package's config section, which builds on corpussieve.config's StrictModel:
# importing it first keeps that cycle in the one working order when a Spark worker imports us first.
import corpussieve.config  # noqa: F401, I001
from corpussieve.dedup.config import DedupConfig, NormalizationConfig
from corpussieve.dedup.edges import BucketEdges, bucket_edges
from corpussieve.dedup.exact import ExactHashBatch, exact_hash_hex, exact_hashes
from corpussieve.dedup.keep import KeepRule, choose_kept, keep_ordering, parse_keep_rule
from corpussieve.dedup.lsh import BandingPlan, band_hashes, candidate_probability, plan_banding, plan_for_config
from corpussieve.dedup.minhash import (
    EMPTY_SIGNATURE_VALUE,
    SignatureBatch,
    is_empty_signature,
    minhash_signatures,
    permutations,
    signatures_from_arrow,
    signatures_from_shingles,
    signatures_to_arrow,
)
from corpussieve.dedup.normalize import NormalizedBatch, normalize_batch, normalize_text, normalize_texts
from corpussieve.dedup.shingles import ShingleBatch, batch_shingles, shingle_set, text_shingles
from corpussieve.dedup.verify import exact_jaccard, exact_jaccard_pairs, signature_similarity

__all__ = [
    "EMPTY_SIGNATURE_VALUE",
    "BandingPlan",
    "BucketEdges",
    "DedupConfig",
    "ExactHashBatch",
    "KeepRule",
    "NormalizationConfig",
    "NormalizedBatch",
    "ShingleBatch",
    "SignatureBatch",
    "band_hashes",
    "batch_shingles",
    "bucket_edges",
    "candidate_probability",
    "choose_kept",
    "exact_hash_hex",
    "exact_hashes",
    "exact_jaccard",
    "exact_jaccard_pairs",
    "is_empty_signature",
    "keep_ordering",
    "minhash_signatures",
    "normalize_batch",
    "normalize_text",
    "normalize_texts",
    "parse_keep_rule",
    "permutations",
    "plan_banding",
    "plan_for_config",
    "shingle_set",
    "signature_similarity",
    "signatures_from_arrow",
    "signatures_from_shingles",
    "signatures_to_arrow",
    "text_shingles",
]
