"""Pure (Spark-free) core of the dedup job: normalization, exact keys, MinHash, LSH, verification, keep rules.

Every function takes plain Python sequences, numpy arrays or pyarrow arrays and returns numpy arrays, so
the Spark job can call it inside Arrow batches and group functions.
"""

from corpussieve.lazy import lazy_exports

_EXPORTS = {
    "DedupConfig": "corpussieve.dedup.config",
    "NormalizationConfig": "corpussieve.dedup.config",
    "BucketEdges": "corpussieve.dedup.edges",
    "bucket_edges": "corpussieve.dedup.edges",
    "ExactHashBatch": "corpussieve.dedup.exact",
    "exact_hash_hex": "corpussieve.dedup.exact",
    "exact_hashes": "corpussieve.dedup.exact",
    "KeepRule": "corpussieve.dedup.keep",
    "choose_kept": "corpussieve.dedup.keep",
    "keep_ordering": "corpussieve.dedup.keep",
    "parse_keep_rule": "corpussieve.dedup.keep",
    "BandingPlan": "corpussieve.dedup.lsh",
    "band_hashes": "corpussieve.dedup.lsh",
    "candidate_probability": "corpussieve.dedup.lsh",
    "plan_banding": "corpussieve.dedup.lsh",
    "plan_for_config": "corpussieve.dedup.lsh",
    "EMPTY_SIGNATURE_VALUE": "corpussieve.dedup.minhash",
    "SignatureBatch": "corpussieve.dedup.minhash",
    "is_empty_signature": "corpussieve.dedup.minhash",
    "minhash_signatures": "corpussieve.dedup.minhash",
    "permutations": "corpussieve.dedup.minhash",
    "signatures_from_arrow": "corpussieve.dedup.minhash",
    "signatures_from_shingles": "corpussieve.dedup.minhash",
    "signatures_to_arrow": "corpussieve.dedup.minhash",
    "NormalizedBatch": "corpussieve.dedup.normalize",
    "normalize_batch": "corpussieve.dedup.normalize",
    "normalize_text": "corpussieve.dedup.normalize",
    "normalize_texts": "corpussieve.dedup.normalize",
    "ShingleBatch": "corpussieve.dedup.shingles",
    "batch_shingles": "corpussieve.dedup.shingles",
    "shingle_set": "corpussieve.dedup.shingles",
    "text_shingles": "corpussieve.dedup.shingles",
    "exact_jaccard": "corpussieve.dedup.verify",
    "exact_jaccard_pairs": "corpussieve.dedup.verify",
    "signature_similarity": "corpussieve.dedup.verify",
}  # fmt: skip

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
