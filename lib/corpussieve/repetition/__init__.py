"""Pure (Spark-free) core of the repetition job: tokenizers, window hashing, coverage, plan and risk grade.

Data flow, batch by batch (every step takes and returns numpy arrays)::

    texts --Tokenizer.encode_batch--> TokenBatch (CSR uint32 ids)
          --window_hashes-----------> WindowBatch (uint64 hash, doc, pos per window)
          [corpus-wide counts per hash, local counts per (doc, hash), effective counts: the Spark shuffle,
           or window_counts / weighted_counts on one machine]
          --coverage----------------> per-document figures, maximal spans, RepetitionFigures (mergeable)
    RepetitionFigures.effective_mass + TrainingPlan --assess_risk--> grade, explanation, chart data

The Spark job: ``job`` (stages and outputs), ``arrowfns`` (the Arrow batch functions it runs), ``report``
(report.json and report.html); ``synthetic`` makes unique text with known injected repeats for tests and
the benchmark.
"""

import corpussieve.config  # noqa: F401  (first: the root config imports this package's config)
from corpussieve.repetition.config import RepetitionConfig, RiskConfig
from corpussieve.repetition.coverage import (
    BUCKET_LABELS,
    CoverageResult,
    DocumentFigures,
    MassTable,
    RepetitionFigures,
    SpanBatch,
    coverage,
    coverage_of_batch,
    multiplicity_bucket,
    trailing_max,
)
from corpussieve.repetition.plan import (
    ResolvedPlan,
    SourcePlan,
    TrainingPlan,
    load_plan,
    plan_from_mapping,
    resolve_plan,
)
from corpussieve.repetition.reference import reference_coverage
from corpussieve.repetition.risk import (
    GRADES,
    PUBLISHED,
    EffectiveRepeatChart,
    HarmfulBand,
    PublishedConfiguration,
    RiskAssessment,
    SpanCluster,
    assess_risk,
    closest_published,
    effective_repeat_chart,
    grade_for_share,
    harmful_band,
)
from corpussieve.repetition.tokenizers import (
    TOKENIZER_NAMES,
    TokenBatch,
    Tokenizer,
    TokenizerUnavailableError,
    get_tokenizer,
)
from corpussieve.repetition.windows import (
    WindowBatch,
    local_counts,
    occurrence_counts,
    weighted_counts,
    window_counts,
    window_hash_scalar,
    window_hashes,
)

__all__ = [
    "BUCKET_LABELS",
    "GRADES",
    "PUBLISHED",
    "TOKENIZER_NAMES",
    "CoverageResult",
    "DocumentFigures",
    "EffectiveRepeatChart",
    "HarmfulBand",
    "MassTable",
    "PublishedConfiguration",
    "RepetitionConfig",
    "RepetitionFigures",
    "ResolvedPlan",
    "RiskAssessment",
    "RiskConfig",
    "SourcePlan",
    "SpanBatch",
    "SpanCluster",
    "TokenBatch",
    "Tokenizer",
    "TokenizerUnavailableError",
    "TrainingPlan",
    "WindowBatch",
    "assess_risk",
    "closest_published",
    "coverage",
    "coverage_of_batch",
    "effective_repeat_chart",
    "get_tokenizer",
    "grade_for_share",
    "harmful_band",
    "load_plan",
    "local_counts",
    "multiplicity_bucket",
    "occurrence_counts",
    "plan_from_mapping",
    "reference_coverage",
    "resolve_plan",
    "trailing_max",
    "weighted_counts",
    "window_counts",
    "window_hash_scalar",
    "window_hashes",
]
