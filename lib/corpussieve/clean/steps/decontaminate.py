"""Benchmark decontamination as a clean step: the kept documents matched against the evaluation items the
user points to, flagged, dropped or cut (``corpussieve decontaminate``'s core, ``corpussieve.decontaminate``).

It runs after the filters, so only documents that would be kept are matched, and before ``pii``, so the
text it matches is the text the benchmarks were written in. The index of the benchmarks' n-grams is built
once on the driver and sent to the workers as a Spark broadcast (one copy per executor, read once per
Python worker): 100,000 items make an index of about 126 MB, which must not be pickled into every task's
closure. An index larger than ``broadcast_max_bytes`` is refused with the advice to run the job, whose
join path handles it.

The settings are the decontaminate job's (``DecontaminateConfig``: n-gram, short and too-common n-grams,
modes, the cut rule, the benchmark fields), plus the benchmark files; ``strategy`` and ``partitions`` are
the job's only and must stay at their defaults here.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from corpussieve.clean.steps.base import DocumentStep, StepConfig, StepResult, StepRows
from corpussieve.decontaminate.config import DecontaminateConfig
from corpussieve.decontaminate.reasons import REASONS
from corpussieve.errors import ConfigError


class DecontaminateStepConfig(DecontaminateConfig, StepConfig):
    """Benchmark decontamination of the kept documents (off until benchmark files are given)."""

    enabled: bool = Field(False, description="Match the kept documents against the benchmark files (needs benchmarks).")
    benchmarks: list[str] = Field(
        [], description="Benchmark files: JSON Lines (optionally .gz) or Parquet, each 'path' or 'name=path' (the "
                        "name defaults to the file stem). Read on the driver; nothing is downloaded.")

    @model_validator(mode="after")
    def _usable_in_clean(self) -> DecontaminateStepConfig:
        if self.enabled and not self.benchmarks:
            raise ValueError("clean.steps.decontaminate is enabled but lists no benchmark files (benchmarks: [...])")
        if self.strategy == "join" or self.partitions is not None:
            raise ValueError("clean.steps.decontaminate matches on the broadcast path inside clean's filters pass: "
                             "strategy 'join' and partitions belong to the decontaminate job")
        return self

    def job_config(self) -> DecontaminateConfig:
        """The matching settings, as the core takes them."""
        return DecontaminateConfig(**self.model_dump(include=set(DecontaminateConfig.model_fields)))


class DecontaminateStep(DocumentStep):
    """Benchmark items' word n-grams in kept documents: flagged in ``contamination``, dropped or cut."""

    name = "decontaminate"
    config = DecontaminateStepConfig
    reasons = REASONS
    counters = {
        "docs": "documents sharing an n-gram with a benchmark item",
        "items": "benchmark items hit, summed over documents",
        "ngrams": "distinct matching n-grams, summed over documents",
        "span_chars": "characters inside the overlapping spans",
        "cut": "documents whose overlaps were cut out (mode cut)",
        "chars_removed": "characters removed by cutting (mode cut)",
    }
    cfg: DecontaminateStepConfig

    @classmethod
    def columns(cls, cfg: DecontaminateStepConfig) -> list[Any]:
        import pyarrow as pa

        from corpussieve.decontaminate.arrowfns import CONTAMINATION_TYPE

        return [pa.field("contamination", CONTAMINATION_TYPE)]

    @classmethod
    def prepare(cls, cfg: DecontaminateStepConfig, spark: Any) -> Any:
        """The benchmarks' index, as a broadcast when there is a Spark session (else the index itself)."""
        from corpussieve.decontaminate.benchmarks import read_benchmarks
        from corpussieve.decontaminate.index import build_index

        index = build_index(read_benchmarks(cfg.benchmarks, cfg.text_fields, cfg.id_fields), cfg.job_config())
        if index.nbytes > cfg.broadcast_max_bytes:
            raise ConfigError(
                f"clean.steps.decontaminate: the index of {', '.join(cfg.benchmarks)} is {index.nbytes:,} bytes, over "
                f"broadcast_max_bytes ({cfg.broadcast_max_bytes:,}); run 'corpussieve decontaminate' on clean's "
                "documents instead (its join path handles any size)")
        return spark.sparkContext.broadcast(index) if spark is not None else index

    def __init__(self, cfg: DecontaminateStepConfig, payload: Any = None) -> None:
        super().__init__(cfg, payload)
        if payload is None:
            payload = self.prepare(cfg, None)
        self.index = payload.value if hasattr(payload, "value") else payload
        self.match_cfg = cfg.job_config()

    def apply(self, rows: StepRows) -> StepResult:
        from corpussieve.decontaminate.arrowfns import contamination_value
        from corpussieve.decontaminate.matching import decontaminate_texts

        results, _ = decontaminate_texts(rows.texts, self.index, self.match_cfg)
        texts = [r.text if r.text is not None else t for r, t in zip(results, rows.texts, strict=True)]
        counters = {
            "docs": [int(r.contaminated) for r in results],
            "items": [len(r.hits) for r in results],
            "ngrams": [r.ngrams for r in results],
            "span_chars": [r.chars for r in results],
            "cut": [int(r.text is not None) for r in results],
            "chars_removed": [len(t) - len(r.text) if r.text is not None else 0
                              for r, t in zip(results, rows.texts, strict=True)],
        }
        return StepResult(texts, {"contamination": [contamination_value(r, self.match_cfg.mode) for r in results]},
                          [list(r.reasons) for r in results], counters)


__all__ = ["DecontaminateStep", "DecontaminateStepConfig"]
