"""The clean job's pure core: HTML to main text, text repair, markup stripping, line boilerplate
helpers and quality filters. Plain Python and numpy/Arrow, testable without Spark.

Per document: ``clean_document(html, text, url, cfg) -> CleanResult``; per batch: ``clean_batch``.
The phases are separately callable (``prepare_text``, then the Spark line-boilerplate stage, then
``filter_text``). The Spark job is ``corpussieve.clean.job``; ``rethreshold`` re-judges its stored
signals with other thresholds.
"""

from corpussieve.lazy import lazy_exports

_EXPORTS = {
    "BOILERPLATE_PATTERNS": "corpussieve.clean.boilerplate:PATTERNS",
    "drop_boilerplate_lines": "corpussieve.clean.boilerplate",
    "match_boilerplate": "corpussieve.clean.boilerplate",
    "CleanConfig": "corpussieve.clean.config",
    "registered_domain": "corpussieve.clean.domain",
    "registered_domains": "corpussieve.clean.domain",
    "Extraction": "corpussieve.clean.extract",
    "extract_batch": "corpussieve.clean.extract",
    "extract_main_text": "corpussieve.clean.extract",
    "FilterOutcome": "corpussieve.clean.filters",
    "FilterStack": "corpussieve.clean.filters",
    "identify_language": "corpussieve.clean.filters",
    "usual_stack_config": "corpussieve.clean.filters",
    "hash_lines": "corpussieve.clean.lines",
    "normalize_line": "corpussieve.clean.lines",
    "normalize_lines": "corpussieve.clean.lines",
    "rejoin": "corpussieve.clean.lines",
    "split_lines": "corpussieve.clean.lines",
    "strip_markup": "corpussieve.clean.markup",
    "CleanResult": "corpussieve.clean.pipeline",
    "Prepared": "corpussieve.clean.pipeline",
    "clean_batch": "corpussieve.clean.pipeline",
    "clean_document": "corpussieve.clean.pipeline",
    "filter_text": "corpussieve.clean.pipeline",
    "prepare_text": "corpussieve.clean.pipeline",
    "repair_text": "corpussieve.clean.repair",
    "rethreshold": "corpussieve.clean.rethreshold",
}  # fmt: skip

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
