"""Pure (Spark-free) core of the repetition job: tokenizers, window hashing, coverage, plan and risk grade.

Data flow, batch by batch (every step takes and returns numpy arrays)::

    texts --Tokenizer.encode_batch--> TokenBatch (CSR uint32 ids)
          --window_hashes-----------> WindowBatch (uint64 hash, doc, pos per window)
          [corpus-wide counts per hash, local counts per (doc, hash), effective counts: the Spark shuffle,
           or window_counts / weighted_counts on one machine]
          --coverage----------------> per-document figures, maximal spans, RepetitionFigures (mergeable)
    RepetitionFigures.effective_mass + TrainingPlan --assess_risk--> grade, explanation, chart data
    TokenBatch + keep ranks + CopyLimits --strip_tokens--> kept tokens, cuts --cut_text_*--> stripped texts

The Spark job: ``job`` (arguments and the stage order), ``stages`` (the Spark side of each stage: reads,
``mapInArrow``/``applyInArrow`` calls, aggregations), ``arrowfns`` (the Arrow functions workers run, each with
its output schema and the factory closing over the config; importable without Spark), ``report`` (pure:
report.json's sections and report.html from plain values); ``synthetic`` makes unique text with known injected
repeats for tests and the benchmark. Only the pure core is re-exported here.
"""

from corpussieve.lazy import lazy_exports

_EXPORTS = {
    "RepetitionConfig": "corpussieve.repetition.config",
    "RiskConfig": "corpussieve.repetition.config",
    "BUCKET_LABELS": "corpussieve.repetition.coverage",
    "CoverageResult": "corpussieve.repetition.coverage",
    "DocumentFigures": "corpussieve.repetition.coverage",
    "MassTable": "corpussieve.repetition.coverage",
    "RepetitionFigures": "corpussieve.repetition.coverage",
    "SpanBatch": "corpussieve.repetition.coverage",
    "coverage": "corpussieve.repetition.coverage",
    "coverage_of_batch": "corpussieve.repetition.coverage",
    "multiplicity_bucket": "corpussieve.repetition.coverage",
    "trailing_max": "corpussieve.repetition.coverage",
    "ResolvedPlan": "corpussieve.repetition.plan",
    "SourcePlan": "corpussieve.repetition.plan",
    "TrainingPlan": "corpussieve.repetition.plan",
    "load_plan": "corpussieve.repetition.plan",
    "plan_from_mapping": "corpussieve.repetition.plan",
    "resolve_plan": "corpussieve.repetition.plan",
    "reference_coverage": "corpussieve.repetition.reference",
    "reference_cut_text": "corpussieve.repetition.reference",
    "reference_strip": "corpussieve.repetition.reference",
    "GRADES": "corpussieve.repetition.risk",
    "PUBLISHED": "corpussieve.repetition.risk",
    "EffectiveRepeatChart": "corpussieve.repetition.risk",
    "HarmfulBand": "corpussieve.repetition.risk",
    "PublishedConfiguration": "corpussieve.repetition.risk",
    "RiskAssessment": "corpussieve.repetition.risk",
    "SpanCluster": "corpussieve.repetition.risk",
    "assess_risk": "corpussieve.repetition.risk",
    "closest_published": "corpussieve.repetition.risk",
    "effective_repeat_chart": "corpussieve.repetition.risk",
    "grade_for_share": "corpussieve.repetition.risk",
    "harmful_band": "corpussieve.repetition.risk",
    "CopyLimits": "corpussieve.repetition.strip",
    "StripResult": "corpussieve.repetition.strip",
    "byte_cuts": "corpussieve.repetition.strip",
    "copy_limits": "corpussieve.repetition.strip",
    "cut_text_bytes": "corpussieve.repetition.strip",
    "cut_text_words": "corpussieve.repetition.strip",
    "predicted_removed": "corpussieve.repetition.strip",
    "smallest_copies": "corpussieve.repetition.strip",
    "strip_tokens": "corpussieve.repetition.strip",
    "TOKENIZER_NAMES": "corpussieve.repetition.tokenizers",
    "TokenBatch": "corpussieve.repetition.tokenizers",
    "Tokenizer": "corpussieve.repetition.tokenizers",
    "TokenizerUnavailableError": "corpussieve.repetition.tokenizers",
    "get_tokenizer": "corpussieve.repetition.tokenizers",
    "WindowBatch": "corpussieve.repetition.windows",
    "local_counts": "corpussieve.repetition.windows",
    "occurrence_counts": "corpussieve.repetition.windows",
    "weighted_counts": "corpussieve.repetition.windows",
    "window_counts": "corpussieve.repetition.windows",
    "window_hash_scalar": "corpussieve.repetition.windows",
    "window_hashes": "corpussieve.repetition.windows",
}  # fmt: skip

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
