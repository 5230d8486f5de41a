"""Configuration of the dedup job: normalization, shingling, MinHash, LSH banding, verification, keep rule."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from corpussieve.configbase import StrictModel
from corpussieve.dedup.keep import KeepRule, parse_keep_rule


class NormalizationConfig(StrictModel):
    """Text normalization applied before exact hashing and shingling; each step can be switched off."""

    nfkc: bool = Field(True, description="Apply Unicode NFKC (compatibility composition: full-width, ligatures).")
    casefold: bool = Field(True, description="Apply Unicode case folding (str.casefold; stronger than lowercasing).")
    fold_punctuation: bool = Field(
        True, description="Replace Unicode punctuation and ASCII symbols with a space (then folded as whitespace)."
    )
    fold_whitespace: bool = Field(
        True, description="Collapse every run of Unicode whitespace to one space and strip both ends."
    )


class DedupConfig(StrictModel):
    """``corpussieve dedup``: exact and MinHash-LSH near-duplicate removal."""

    threshold: float = Field(
        0.8, gt=0.0, lt=1.0, description="Jaccard similarity at or above which two documents are near-duplicates."
    )
    num_perm: int = Field(128, ge=8, le=1024, description="MinHash permutations, i.e. values per signature.")
    sketch: Literal["auto", "one_permutation", "permutations"] = Field(
        "auto",
        description="How signatures are made: 'one_permutation' hashes each shingle once into num_perm bins "
        "(one-permutation hashing with optimal densification: P(equal value) = Jaccard; ~15 ns a shingle against ~1,000 ns); "
        "'permutations' evaluates num_perm independent hash functions per shingle (the textbook scheme, which "
        "indexes made before one_permutation existed hold). 'auto': the scheme of the --index when it holds rows (an upgrade never "
        "orphans an index), else one_permutation.",
    )
    shingle_unit: Literal["word", "char"] = Field(
        "word", description="Shingle over whitespace-separated words, or over characters (CJK text, code)."
    )
    ngram: int = Field(5, ge=1, le=64, description="Words per shingle when shingle_unit is 'word'.")
    char_ngram: int = Field(5, ge=1, le=256, description="Characters per shingle when shingle_unit is 'char'.")
    seed: int = Field(
        42,
        ge=0,
        lt=2**63,
        description="Seed of the MinHash permutations; signatures are comparable only within one seed.",
    )
    bands: int | None = Field(
        None, ge=1, description="LSH bands. Set together with rows to override the optimizer; unset: optimized."
    )
    rows: int | None = Field(None, ge=1, description="Signature values per LSH band; set together with bands.")
    fn_weight: float = Field(
        0.9, gt=0.0, description="Banding optimizer: weight of the false-negative probability mass (missed pairs)."
    )
    fp_weight: float = Field(
        0.1, gt=0.0, description="Banding optimizer: weight of the false-positive mass (extra verification work)."
    )
    min_recall: float = Field(
        0.99,
        ge=0.0,
        lt=1.0,
        description="Banding optimizer: required P(candidate) for a pair at Jaccard threshold + recall_margin.",
    )
    recall_margin: float = Field(
        0.05, ge=0.0, lt=1.0, description="Banding optimizer: how far above the threshold min_recall must hold."
    )
    normalization: NormalizationConfig = Field(
        default_factory=NormalizationConfig, description="Text normalization before hashing and shingling."
    )
    verification: Literal["signature", "borderline", "exact"] = Field(
        "borderline",
        description="Confirm candidate pairs by MinHash estimate ('signature'); by the estimate when it is clear "
        "and by the exact shingle Jaccard of the two texts when it is within the slacks of the threshold "
        "('borderline'); or by exact Jaccard for every candidate ('exact').",
    )
    exact_prefilter_slack: float = Field(
        0.1,
        ge=0.0,
        lt=1.0,
        description="With borderline or exact verification: pairs whose signature estimate is below "
        "threshold - slack are dropped before the texts are compared.",
    )
    borderline_slack: float = Field(
        0.1,
        ge=0.0,
        lt=1.0,
        description="With borderline verification: pairs estimated at threshold + slack or more are accepted "
        "without comparing their texts.",
    )
    keep: str = Field(
        "earliest_fetch_time",
        description="Which document of a cluster survives: earliest_fetch_time, longest_text, lowest_id or "
        "highest:<column>; ties always fall to the lowest id.",
    )
    bucket_leaders: int = Field(
        16, ge=1, le=4096, description="Per LSH bucket: most representatives compared against every member."
    )
    bucket_window: int = Field(
        4, ge=0, le=256, description="Per LSH bucket: neighbours compared in each signature-sorted order."
    )
    max_bucket_signatures: int = Field(
        50_000,
        ge=2,
        description="Per LSH bucket: distinct signatures compared at most (identical ones are merged first); "
        "the rest, by id, are left to other bands.",
    )
    bucket_all_pairs_max: int = Field(
        16,
        ge=2,
        le=256,
        description="LSH buckets with at most this many members compare all their pairs (vectorized, exact); "
        "larger ones use the leader and sorted-window scheme.",
    )
    broadcast_max_rows: int = Field(
        2_000_000,
        ge=0,
        description="Id lists up to this many rows are broadcast when selecting texts and kept documents "
        "(no shuffle of the texts); larger ones are joined with a shuffle.",
    )
    components_local_max_edges: int = Field(
        5_000_000, ge=0,
        description="Verified-edge graphs up to this many edges get their connected components in the driver "
        "(scipy, ~16 bytes an edge); larger ones run the distributed large-star/small-star rounds. 0: always "
        "distributed.",
    )
    verify_local_max_documents: int = Field(
        100_000, ge=0,
        description="When the candidate edges fit components_local_max_edges and the pairs to verify on "
        "exact Jaccard involve at most this many documents, verification and components run in the driver: "
        "one pass over just those texts sends each one's shingle set to the driver (8 bytes a shingle, "
        "~4 KB for a 3 KB text), with no join on the texts. Otherwise the texts are joined to the pairs on the "
        "executors. 0: always on the executors.",
    )
    checkpoint_dir: str | None = Field(
        None,
        description="Folder for the connected-components checkpoints. Unset: OUTPUT/_tmp. Removed after the run.",
    )
    report_clusters: int = Field(
        10, ge=0, le=1000, description="Largest clusters listed in report.json and report.html, with text samples."
    )

    @field_validator("keep")
    @classmethod
    def _keep_rule(cls, value: str) -> str:
        return str(parse_keep_rule(value))

    @model_validator(mode="after")
    def _banding(self) -> DedupConfig:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("bands and rows must be set together (or both left unset to optimize)")
        if self.bands is not None and self.rows is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands * rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        return self

    @property
    def sketch_scheme(self) -> Literal["one_permutation", "permutations"]:
        """The scheme signatures are made with: ``sketch``, with 'auto' meaning one_permutation (a job that
        reads an index resolves 'auto' to the index's scheme first: ``dedup.stages.resolve_sketch``)."""
        return "one_permutation" if self.sketch == "auto" else self.sketch

    @property
    def shingle_size(self) -> int:
        """The n of the n-grams in the configured unit."""
        return self.ngram if self.shingle_unit == "word" else self.char_ngram

    @property
    def bucket_min_similarity(self) -> float:
        """Estimated Jaccard at which bucket members become edges: the threshold itself with signature
        verification, lowered by ``exact_prefilter_slack`` when an exact check may follow."""
        if self.verification in ("borderline", "exact"):
            return max(self.threshold - self.exact_prefilter_slack, 0.0)
        return self.threshold

    @property
    def keep_rule(self) -> KeepRule:
        """The parsed keep rule."""
        return parse_keep_rule(self.keep)
