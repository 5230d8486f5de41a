"""The clean job: HTML to main text, text repair, markup stripping, line boilerplate and quality filters.

Per document (``corpussieve.clean.document``): ``clean_document(html, text, url, cfg) -> CleanResult``;
per batch: ``clean_batch``. The phases are separately callable (``prepare_text``, then the Spark
line-boilerplate stage, then ``filter_text``). Plain Python and numpy/Arrow, testable without Spark.

The Spark job is ``corpussieve.clean.job`` (the stage order), with its Spark stages in ``stages``, the
Arrow functions its workers run in ``arrowfns`` and its pure report in ``report``. Each filter is one
module of ``corpussieve.clean.filters`` (config and rules); ``FILTERS`` lists them. Every rejection
reason is declared with a description (``corpussieve.clean.reasons``). ``rethreshold`` re-judges the
stored signals with other thresholds.
"""

from corpussieve.lazy import lazy_exports

_EXPORTS = {
    "BOILERPLATE_PATTERNS": "corpussieve.clean.boilerplate:PATTERNS",
    "drop_boilerplate_lines": "corpussieve.clean.boilerplate",
    "match_boilerplate": "corpussieve.clean.boilerplate",
    "CleanConfig": "corpussieve.clean.config",
    "FiltersConfig": "corpussieve.clean.config",
    "registered_domain": "corpussieve.clean.domain",
    "registered_domains": "corpussieve.clean.domain",
    "Extraction": "corpussieve.clean.extract",
    "extract_batch": "corpussieve.clean.extract",
    "extract_main_text": "corpussieve.clean.extract",
    "FILTERS": "corpussieve.clean.filters",
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
    "CleanResult": "corpussieve.clean.document",
    "Prepared": "corpussieve.clean.document",
    "clean_batch": "corpussieve.clean.document",
    "clean_document": "corpussieve.clean.document",
    "filter_text": "corpussieve.clean.document",
    "prepare_text": "corpussieve.clean.document",
    "repair_text": "corpussieve.clean.repair",
    "rethreshold": "corpussieve.clean.rethreshold",
}  # fmt: skip

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
