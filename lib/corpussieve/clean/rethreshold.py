"""Re-judge stored signals with other thresholds, without recomputing anything.

The clean job stores every measured signal in the ``quality`` struct of both ``documents`` and
``rejected``. Signals never depend on thresholds, so a stricter or looser filter configuration can
be applied to the union of the two tables in seconds::

    from corpussieve.clean import CleanConfig, rethreshold
    cfg = CleanConfig.model_validate({"filters": {"gopher_quality": {"min_words": 100}}})
    both = tables.read("out/clean/documents").unionByName(tables.read("out/clean/rejected"),
                                                          allowMissingColumns=True)
    judged = rethreshold(both, cfg)          # adds reasons_rethresholded and kept_rethresholded
    judged.filter("kept_rethresholded")

What cannot change this way: the line-level cleaning (C4 line rules, boilerplate lines), the
language model's answer, and documents rejected before the filters ran (their ``quality`` is
null, and they keep their original reasons).
"""


from collections.abc import Mapping, Sequence
from typing import Any

from corpussieve.clean.config import CleanConfig, FiltersConfig
from corpussieve.clean.filters import FilterStack


def judge_rows(
    signals: Sequence[Mapping[str, Mapping[str, float] | None] | None],
    languages: Sequence[str | None],
    stack: FilterStack,
    previous: Sequence[Sequence[str] | None] | None = None,
) -> list[list[str]]:
    """Reasons per row under ``stack``'s thresholds; rows without signals keep ``previous`` reasons."""
    out = []
    for i, row in enumerate(signals):
        if row is None:
            out.append(list((previous[i] if previous is not None else None) or []))
            continue
        present = {name: values for name, values in row.items() if values is not None}
        out.append(stack.judge(present, languages[i]))
    return out


def rethreshold(df: Any, cfg: CleanConfig | FiltersConfig, reasons_column: str = "reject_reasons") -> Any:
    """``df`` (clean output rows with ``quality`` and ``language``) plus ``reasons_rethresholded``
    (array<string>) and ``kept_rethresholded`` (boolean) under ``cfg``'s filter thresholds.

    Rows whose ``quality`` is null keep the reasons in ``reasons_column`` (when the column exists).
    """
    import pyarrow as pa
    from pyspark.sql import functions as F

    filters = cfg.filters if isinstance(cfg, CleanConfig) else cfg
    has_previous = reasons_column in df.columns

    @F.arrow_udf("array<string>")
    def judge(quality: pa.Array, language: pa.Array, previous: pa.Array) -> pa.Array:
        stack = FilterStack(filters)  # the closure pickles the config model; a stack is cheap to build
        reasons = judge_rows(quality.to_pylist(), language.to_pylist(), stack, previous.to_pylist())
        return pa.array(reasons, pa.list_(pa.string()))

    previous = F.col(reasons_column) if has_previous else F.lit(None).cast("array<string>")
    judged = df.withColumn("reasons_rethresholded", judge(F.col("quality"), F.col("language"), previous))
    return judged.withColumn("kept_rethresholded", F.size("reasons_rethresholded") == 0)
