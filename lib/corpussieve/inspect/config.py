"""Configuration of the inspect job (the data card): tokenizer, the quantity target, the synthetic-share limit.

Sources of the defaults
-----------------------
[M23] Muennighoff et al. 2023, "Scaling Data-Constrained Language Models" (arXiv 2305.16264): up to 4 epochs
      of repeated data are about as good as unique data, so a corpus of T tokens can feed 4T training tokens.
[H22c] Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models" (arXiv 2203.15556): about 20
      training tokens per parameter is compute-optimal; the quantity target when a plan gives no
      ``training_tokens``.
[S23] Shumailov et al. 2023, "The Curse of Recursion: Training on Generated Data Makes Models Forget"
      (arXiv 2305.17493): models trained recursively on their predecessors' output lose the tails of the
      distribution (model collapse).
[G24] Gerstgrasser et al. 2024, "Is Model Collapse Inevitable? Breaking the Curse of Recursion by Accumulating
      Real and Synthetic Data" (arXiv 2404.01413): collapse is avoided when synthetic data accumulates beside
      the real data instead of replacing it. The 0.5 limit below is a conservative reading (real data stays at
      least half of the mix), not a published threshold.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from corpussieve.configbase import StrictModel


class InspectConfig(StrictModel):
    """``corpussieve inspect``: the data card (quantity, quality, coverage, the weakest axis, synthetic share)."""

    tokenizer: Literal["cl100k", "gpt2", "word"] = Field(
        "cl100k", description="Tokens are counted with this tokenizer (the repetition job's; all offline)."
    )
    allowed_epochs: float = Field(
        4.0, gt=0, le=100,
        description="Passes over the corpus that count as good as unique data in the quantity score: 4 "
                    "[Muennighoff et al. 2023].",
    )
    tokens_per_param: float = Field(
        20.0, gt=0,
        description="Quantity target without a plan's training_tokens: this many tokens per parameter of the plan's "
                    "model (else repetition.risk.assumed_model_params) [Hoffmann et al. 2022].",
    )
    max_synthetic_share: float = Field(
        0.5, ge=0, le=1,
        description="The card warns when sources the plan marks synthetic hold more than this share of the "
                    "training mix [Shumailov et al. 2023; Gerstgrasser et al. 2024].",
    )
    top_domain_fraction: float = Field(
        0.01, gt=0, le=1, description="The 'top domains' whose share of tokens the card reports: this fraction of "
                                      "all registered domains (the top 1%), at least one domain.",
    )
    top_domains: int = Field(25, ge=1, le=10_000, description="Registered domains listed in the card, most tokens first.")
    top_reasons: int = Field(30, ge=1, le=10_000, description="Rejection reasons listed in the card, most frequent first.")
    quantiles: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99],
        min_length=1,
        description="Quantiles reported for every quality signal and the document length.",
    )
    quantile_accuracy: int = Field(
        10_000, ge=10, le=1_000_000,
        description="Spark percentile_approx accuracy: a quantile's rank is within 1/accuracy of the exact one.",
    )
    partitions: int | None = Field(
        None, ge=1, le=100_000,
        description="Spark partitions the documents are tokenized in. Unset: the input's own partitions, or 2 per "
                    "core when it has fewer (results never depend on it).",
    )
