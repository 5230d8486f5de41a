"""Configuration of the repetition job: span length, tokenizer, what the report lists, and the risk model.

Sources of the risk defaults (``RiskConfig``)
--------------------------------------------
[H22] Hernandez et al. 2022, "Scaling Laws and Interpretability of Learning from Repeated Data"
      (arXiv 2205.10487). Abstract: repeating 0.1% of the data 100 times, so that 10% of training tokens
      are repeats while 90% stay unique, degrades an 800M-parameter model to the performance of a 400M one;
      "a predictable range of repetition frequency" causes the degradation, likely where the repeated data
      "can be memorized and doing so consumes a large fraction of the model's capacity". Introduction: the
      location of that region suggests that large models (GPT-3, Gopher, PaLM) "need to be careful about
      overfitting their high quality distributions like Wikipedia and books", which such runs repeat only a
      few times.
[M23] Muennighoff et al. 2023, "Scaling Data-Constrained Language Models" (arXiv 2305.16264): repeating a
      whole corpus for up to 4 epochs changes loss negligibly compared with unique data; returns from further
      repetition diminish (around 16 epochs) and eventually vanish.
[L21] Lee et al. 2021, "Deduplicating Training Data Makes Language Models Better" (arXiv 2107.06499): exact
      repeated substrings counted over spans of 50 tokens; C4 held one 61-word sentence repeated over 60,000
      times; models trained on deduplicated data emit memorized text ten times less often.

What is read off the papers and what is interpolated
----------------------------------------------------
* Anchor (published, [H22]): the harm peaks at about 100 repeats for an 800M-parameter model.
* Shift with model size (interpolated): [H22] attributes the peak to the repeated data being just
  memorizable, i.e. to model capacity, which grows with parameters; at a fixed number of repeated tokens
  the peak's repeat count then falls as 1/params. Hence ``peak_repeats(N) = 100 * (8e8 / N) ** 1.0``. It
  places GPT-3-scale models (1.75e11) at a peak below 1 repeat, floored as below to a few repeats, which is
  consistent with [H22]'s warning about Wikipedia and books. The figures of [H22] (the poor-performance
  region per model size) could not be consulted for this build; the exponent is a documented assumption,
  configurable here.
* Width (interpolated): one decade either side of the peak (``band_width = 10``), i.e. 10-1000 repeats at
  800M. [H22] describes a middle range of repeat counts, bounded on both sides; the width is an assumption.
* Floor (published, [M23]): repeats up to 4 are treated as harmless, so a plan of 4 epochs over a clean
  corpus never grades as repeated-data risk. When the scaled band falls below the floor it becomes
  [floor, floor * band_width].
* Grades (the share of training tokens in the band): Critical >= 10% is [H22]'s headline configuration
  (10% of tokens repeated -> half the effective model size); High >= 3%, Elevated >= 0.5% are graded
  steps below it (not published thresholds).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from corpussieve.configbase import StrictModel


class RiskConfig(StrictModel):
    """The harmful band of effective repeat counts and the grade thresholds (sources in the module docstring)."""

    reference_params: float = Field(
        8e8, gt=0, description="Model size of the published anchor: 800M parameters [Hernandez et al. 2022]."
    )
    reference_peak_repeats: float = Field(
        100.0, gt=1, description="Repeat count of greatest harm at reference_params: 100 [Hernandez et al. 2022]."
    )
    peak_exponent: float = Field(
        1.0,
        ge=0.0,
        le=3.0,
        description="peak_repeats(N) = reference_peak_repeats * (reference_params / N) ** peak_exponent "
        "(interpolated: memorization capacity grows with parameters).",
    )
    band_width: float = Field(
        10.0, gt=1.0, description="The band spans (peak / band_width, peak * band_width] (interpolated)."
    )
    min_harmful_repeats: float = Field(
        4.0,
        ge=1.0,
        description="Effective repeats up to this many count as harmless: whole-corpus repetition up to 4 "
        "epochs is nearly free [Muennighoff et al. 2023].",
    )
    assumed_model_params: float = Field(
        8e8, gt=0, description="Model size graded against when no training plan is given (the anchor's 800M)."
    )
    critical_share: float = Field(
        0.10, gt=0, le=1, description="Share of training tokens in the band at or above which the grade is Critical."
    )
    high_share: float = Field(
        0.03, gt=0, le=1, description="Share of training tokens in the band at or above which the grade is High."
    )
    elevated_share: float = Field(
        0.005, gt=0, le=1, description="Share of training tokens in the band at or above which the grade is Elevated."
    )

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> RiskConfig:
        if not self.elevated_share < self.high_share < self.critical_share:
            raise ValueError("thresholds must satisfy elevated_share < high_share < critical_share")
        return self


class StripConfig(StrictModel):
    """Span removal (``--strip K``): every window seen more than K times keeps its first K copies in keep order."""

    max_copies: int | None = Field(
        None,
        ge=1,
        description="Copies of a repeated span kept (--strip K): every window of span_tokens tokens seen more "
        "than this many times loses its later copies, and DIR/stripped is written. Unset: nothing is removed.",
    )
    keep: str = Field(
        "earliest_fetch_time",
        description="Which copies are first: documents in dedup's keep order (earliest_fetch_time, longest_text, "
        "lowest_id or highest:<column>; ties to the lowest id), then position in the document.",
    )

    @field_validator("keep")
    @classmethod
    def _keep_rule(cls, value: str) -> str:
        # imported here: a job's config section loads only the config base (tests/foundation/test_imports.py)
        from corpussieve.dedup.keep import parse_keep_rule

        return str(parse_keep_rule(value))


class RepetitionConfig(StrictModel):
    """``corpussieve repetition``: repeated token spans, their multiplicity, and the training-risk grade."""

    span_tokens: int = Field(
        50,
        ge=8,
        le=4096,
        description="Tokens per window; a span repeats when a window of this many tokens does "
        "(50 as in Lee et al. 2021).",
    )
    tokenizer: Literal["cl100k", "gpt2", "word"] = Field(
        "cl100k", description="cl100k (GPT-4's BPE), gpt2 (GPT-2/GPT-3's BPE) or word (regex words); all offline."
    )
    top_spans: int = Field(
        50, ge=1, le=10_000, description="Span clusters listed in the report, most training tokens first."
    )
    examples_per_span: int = Field(3, ge=0, le=100, description="Example documents shown per listed span cluster.")
    example_tokens: int = Field(
        120, ge=8, le=10_000, description="Tokens of text shown per example (the span, cut at this length)."
    )
    partitions: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Spark partitions the documents are tokenized in. Unset: the input's own partitions, "
        "or 2 per core when it has fewer (results never depend on it).",
    )
    block_tokens: int = Field(
        4_000_000,
        ge=1_000,
        le=1_000_000_000,
        description="Tokens per block: consecutive documents that the shuffle lookup answers and covers together "
        "(bounds a worker's memory there; positions inside a block are 32-bit).",
    )
    windows_per_bucket: int = Field(
        8_000_000,
        ge=100_000,
        le=500_000_000,
        description="Windows counted together in one task of the count stage (~30 bytes each in memory); "
        "the number of hash buckets is windows / this, at least 4 per core.",
    )
    lookup: Literal["auto", "broadcast", "shuffle"] = Field(
        "auto",
        description="How windows find their counts in the table of repeated hashes: 'broadcast' it to every "
        "worker (no second shuffle), 'shuffle' windows to it by bucket (12 more bytes per window, any size), "
        "or 'auto': broadcast when it fits broadcast_max_bytes.",
    )
    broadcast_max_bytes: int = Field(
        256 * 2**20,
        ge=0,
        description="Largest table of repeated hashes (16-24 bytes per distinct repeated window) that 'auto' "
        "broadcasts; each Python worker holds it plus a hash table over it.",
    )
    risk: RiskConfig = Field(default_factory=RiskConfig, description="Harmful band and grade thresholds.")
    strip: StripConfig = Field(default_factory=StripConfig, description="Span removal (--strip K).")
