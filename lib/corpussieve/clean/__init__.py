"""The clean job's pure core: HTML to main text, text repair, markup stripping, line boilerplate
helpers and quality filters. Plain Python and numpy/Arrow, testable without Spark.

Per document: ``clean_document(html, text, url, cfg) -> CleanResult``; per batch: ``clean_batch``.
The phases are separately callable (``prepare_text``, then the Spark line-boilerplate stage, then
``filter_text``). The Spark job is ``corpussieve.clean.job``; ``rethreshold`` re-judges its stored
signals with other thresholds.
"""

from corpussieve.clean.boilerplate import PATTERNS as BOILERPLATE_PATTERNS
from corpussieve.clean.boilerplate import drop_boilerplate_lines, match_boilerplate
from corpussieve.clean.config import CleanConfig
from corpussieve.clean.domain import registered_domain, registered_domains
from corpussieve.clean.extract import Extraction, extract_batch, extract_main_text
from corpussieve.clean.filters import FilterOutcome, FilterStack, identify_language, usual_stack_config
from corpussieve.clean.lines import hash_lines, normalize_line, normalize_lines, rejoin, split_lines
from corpussieve.clean.markup import strip_markup
from corpussieve.clean.pipeline import CleanResult, Prepared, clean_batch, clean_document, filter_text, prepare_text
from corpussieve.clean.repair import repair_text
from corpussieve.clean.rethreshold import rethreshold

__all__ = [
    "BOILERPLATE_PATTERNS", "CleanConfig", "CleanResult", "Extraction", "FilterOutcome", "FilterStack", "Prepared",
    "clean_batch", "clean_document", "drop_boilerplate_lines", "extract_batch", "extract_main_text", "filter_text",
    "hash_lines", "identify_language", "match_boilerplate", "normalize_line", "normalize_lines", "prepare_text",
    "registered_domain", "registered_domains", "rejoin", "repair_text", "rethreshold", "split_lines", "strip_markup",
    "usual_stack_config",
]  # fmt: skip
