"""Typed configuration of the clean job: extraction, text repair, markup stripping, line boilerplate, filters.

Every filter has its own sub-config with an ``enabled`` flag and its thresholds. The signals a filter
measures do not depend on its thresholds, so a stored ``quality`` struct can be re-thresholded later
without recomputing anything.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from corpussieve.configbase import StrictModel


class ExtractionConfig(StrictModel):
    """HTML to main text (trafilatura, wrapped in DOM pre-cleaning and line post-cleaning)."""

    timeout_seconds: float = Field(
        10.0, gt=0, le=600, description="Wall-clock limit per page; a page over it is rejected 'extract:timeout'."
    )
    max_page_bytes: int = Field(
        5_000_000, ge=1_000, description="Pages larger than this (UTF-8 bytes) are rejected 'extract:too_large'."
    )
    max_tree_nodes: int = Field(
        150_000, ge=100, description="Pages whose parsed DOM has more elements are rejected 'extract:too_many_nodes'."
    )
    favor_precision: bool = Field(True, description="trafilatura favor_precision: less text, less boilerplate.")
    include_comments: bool = Field(False, description="Keep the page's reader comments (trafilatura).")
    include_tables: bool = Field(True, description="Keep the text of HTML tables inside the main content.")
    drop_hidden: bool = Field(
        True, description="Remove elements that a browser does not show (hidden, aria-hidden, display:none)."
    )
    drop_boilerplate_blocks: bool = Field(
        True,
        description="Remove elements whose class/id names a boilerplate block (share, related, newsletter, ...).",
    )
    drop_link_lists: bool = Field(True, description="Remove lists whose text is almost all link text.")
    max_link_list_density: float = Field(
        0.85, gt=0, le=1, description="A list whose link text share is above this is a link list."
    )
    protect_main_share: float = Field(
        0.4,
        gt=0,
        le=1,
        description="Never pre-clean an element holding more than this share of the page's paragraph text.",
    )
    drop_title: bool = Field(
        True, description="Drop leading lines that repeat the page title (the title is metadata, not body)."
    )
    drop_boilerplate_lines: bool = Field(
        True, description="Drop extracted lines that match the built-in universal boilerplate patterns."
    )
    compare_every_page: bool = Field(
        False,
        description=(
            "Run trafilatura's comparison with readability and jusText on every page (its non-fast mode). "
            "Off, only the recall fallback runs it, on pages whose precision pass returns too little."
        ),
    )
    recall_fallback: bool = Field(
        True,
        description="If the precision pass returns too little, retry in trafilatura's balanced mode with its comparison.",
    )
    fallback_below_chars: int = Field(
        250, ge=0, description="The precision pass 'returns too little' below this many characters."
    )


class RepairConfig(StrictModel):
    """Mojibake repair and Unicode/whitespace normalization."""

    fix_mojibake: bool = Field(True, description="Repair mojibake and bad escapes with ftfy.")
    unicode_form: Literal["NFC", "NFKC", "none"] = Field("NFC", description="Unicode normalization form.")
    normalize_whitespace: bool = Field(
        True, description="Collapse runs of spaces/tabs, trim lines, unify newlines, drop control characters."
    )
    max_blank_lines: int = Field(1, ge=0, le=10, description="Longest run of blank lines kept between paragraphs.")


class MarkupConfig(StrictModel):
    """``text`` inputs: size cap, Markdown and HTML residue."""

    max_text_chars: int = Field(
        5_000_000,
        ge=1_000,
        description="Text inputs longer than this are rejected 'input:too_large' before any processing.",
    )
    strip_markup: bool = Field(True, description="Strip Markdown and HTML residue from text inputs.")
    code_blocks: Literal["keep", "drop"] = Field(
        "keep", description="Fenced and indented code blocks: keep their content (without fences) or drop them."
    )


class LineBoilerplateConfig(StrictModel):
    """Line-level boilerplate: universal patterns per document, then (Spark stage) lines frequent within
    a site or across the corpus.

    A line's identity is the xxh3 hash of its normalized form (lower case, digit runs -> 0, punctuation
    and space runs -> one space), counted once per document. A site is the URL's registered domain.
    """

    drop_universal_patterns: bool = Field(
        True, description="Drop lines matching the built-in universal boilerplate patterns (cookie, share, ...)."
    )
    site_lines: bool = Field(
        True, description="Run the Spark stage that drops lines frequent within a site or across the corpus."
    )
    min_line_chars: int = Field(
        3, ge=1, description="Shorter normalized lines are never counted as boilerplate (too generic: '0', 'a')."
    )
    min_site_size: int = Field(
        5,
        ge=2,
        description="Sites with fewer documents (with text) are not judged on their own lines: too few pages "
        "to tell a template from content.",
    )
    min_site_docs: int = Field(
        5, ge=2, description="A line is site boilerplate if it appears in at least this many documents of a site..."
    )
    min_site_fraction: float = Field(
        0.1, gt=0, le=1, description="...and in at least this fraction of that site's documents."
    )
    min_corpus_docs: int = Field(
        50, ge=2, description="A line is corpus-wide boilerplate if this many documents contain it..."
    )
    min_corpus_sites: int = Field(
        10, ge=1, description="...on at least this many different sites..."
    )
    max_corpus_line_chars: int = Field(
        300,
        ge=1,
        description="...and its normalized form is at most this long. Longer lines shared across many sites are "
        "syndicated paragraphs, left to dedup and the repetition report.",
    )
    max_corpus_lines: int = Field(
        100_000, ge=0, description="At most this many corpus-wide lines are dropped (the most widespread first)."
    )
    broadcast_max_lines: int = Field(
        2_000_000,
        ge=0,
        description="Per-site boilerplate lists are broadcast to the removal stage when they hold at most this "
        "many lines in all; above it they are joined to documents by site with a shuffle.",
    )


class FilterConfig(StrictModel):
    """Common to every filter."""

    enabled: bool = Field(True, description="Run this filter (its signals are measured only when enabled).")


class GopherQualityConfig(FilterConfig):
    """Gopher quality rules (Rae et al. 2021), with words defined as tokens holding a letter or digit."""

    min_words: int = Field(50, ge=0, description="Fewer words: rejected 'too_few_words'.")
    max_words: int = Field(100_000, ge=1, description="More words: rejected 'too_many_words'.")
    min_mean_word_length: float = Field(3.0, ge=0, description="Shorter mean word length: 'short_words'.")
    max_mean_word_length: float = Field(10.0, gt=0, description="Longer mean word length: 'long_words'.")
    max_symbol_word_ratio: float = Field(
        0.1, ge=0, description="('#' + '...' + '…') per word above this: 'symbol_ratio'."
    )
    max_bullet_lines_ratio: float = Field(0.9, ge=0, le=1, description="Share of lines starting with a bullet.")
    max_ellipsis_lines_ratio: float = Field(0.3, ge=0, le=1, description="Share of lines ending with an ellipsis.")
    min_lines_for_line_ratios: int = Field(
        5, ge=0, description="The bullet and ellipsis line ratios are judged only on documents with this many lines "
        "(one truncated line of three is not a pattern).",
    )
    min_alpha_word_ratio: float = Field(
        0.8, ge=0, le=1, description="Share of words holding a letter; below it: 'non_alpha_words'."
    )
    min_stop_words: int = Field(
        2, ge=0, description="Fewer function words of the document's language: 'few_stop_words'."
    )
    count_punctuation_as_words: bool = Field(
        False,
        description="Reproduce the common flaw: punctuation tokens count as (non-alphabetic) words. Off: fixed.",
    )
    stop_words: Literal["per_language", "english"] = Field(
        "per_language",
        description="Function words of the detected language (languages without a list skip the rule), "
        "or always English as in Gopher.",
    )
    spaceless_languages: list[str] = Field(
        default_factory=lambda: ["zh", "ja", "th", "lo", "km", "my", "bo"],
        description="Languages written without spaces: word-length and word-count rules are not applied.",
    )

    @model_validator(mode="after")
    def _ranges(self) -> GopherQualityConfig:
        if self.min_words > self.max_words:
            raise ValueError("min_words must not exceed max_words")
        if self.min_mean_word_length > self.max_mean_word_length:
            raise ValueError("min_mean_word_length must not exceed max_mean_word_length")
        return self


class GopherRepetitionConfig(FilterConfig):
    """Gopher repetition rules: duplicate lines/paragraphs and repeated n-grams, as character fractions."""

    max_dup_line_fraction: float = Field(0.3, ge=0, le=1, description="Share of lines that repeat an earlier one.")
    max_dup_para_fraction: float = Field(
        0.3, ge=0, le=1, description="Share of paragraphs that repeat an earlier one."
    )
    max_dup_line_char_fraction: float = Field(
        0.2, ge=0, le=1, description="Share of characters in repeated lines."
    )
    max_dup_para_char_fraction: float = Field(
        0.2, ge=0, le=1, description="Share of characters in repeated paragraphs."
    )
    max_top_ngram_char_fraction: dict[int, float] = Field(
        default_factory=lambda: {2: 0.2, 3: 0.18, 4: 0.16},
        description="n -> max share of characters covered by the most frequent n-gram.",
    )
    max_dup_ngram_char_fraction: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
        description="n -> max share of characters covered by repeated n-grams.",
    )

    @model_validator(mode="after")
    def _ngram_sizes(self) -> GopherRepetitionConfig:
        for table in (self.max_top_ngram_char_fraction, self.max_dup_ngram_char_fraction):
            for n, frac in table.items():
                if not 1 <= n <= 20 or not 0 <= frac <= 1:
                    raise ValueError(f"n-gram rule {n}: {frac} needs 1 <= n <= 20 and 0 <= fraction <= 1")
        return self


class C4Config(FilterConfig):
    """C4 rules (Raffel et al. 2020): line-level removals, then document-level rejections."""

    punctuation_rule: bool = Field(
        False, description="Drop lines without terminal punctuation (the 'punctuation rule'; off in FineWeb)."
    )
    min_words_per_line: int = Field(
        0, ge=0, description="Drop lines with fewer words (C4 uses 3; 0 keeps headings and short lines)."
    )
    max_word_length: int = Field(1000, ge=1, description="Drop lines holding a longer word.")
    drop_javascript_lines: bool = Field(True, description="Drop lines mentioning 'javascript'.")
    drop_policy_lines: bool = Field(True, description="Drop lines about terms of use, privacy or cookie policies.")
    reject_lorem_ipsum: bool = Field(True, description="Reject documents holding 'lorem ipsum'.")
    reject_curly_braces: bool = Field(True, description="Reject documents holding '{' (code, templates).")
    max_curly_braces: int = Field(
        0, ge=0, description="Documents with more '{' than this are rejected when reject_curly_braces is on."
    )
    min_sentences: int = Field(3, ge=0, description="Documents with fewer sentences are rejected.")


class FineWebQualityConfig(FilterConfig):
    """FineWeb quality rules (Penedo et al. 2024)."""

    min_line_punct_ratio: float = Field(
        0.12, ge=0, le=1, description="Share of lines ending in terminal punctuation; below it: 'line_punct_ratio'."
    )
    max_short_line_ratio: float = Field(
        0.67, ge=0, le=1, description="Share of lines at most short_line_chars long; at or above: 'short_lines'."
    )
    short_line_chars: int = Field(30, ge=1, description="A line this long or shorter is short.")
    max_dup_line_char_ratio: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Share of characters in repeated lines; at or above: 'dup_line_chars'. FineWeb uses 0.01, "
        "which rejects an article for one repeated subheading; site boilerplate is removed by its own stage.",
    )
    max_newline_word_ratio: float = Field(
        0.3, ge=0, description="Line breaks per word above this: 'list_like' (a list, not prose)."
    )
    count_punctuation_as_words: bool = Field(
        False, description="Reproduce the usual tokenization: punctuation tokens count as words."
    )


class LanguageConfig(FilterConfig):
    """Language identification with py3langid (ships its model; normalized probabilities)."""

    languages: list[str] | None = Field(
        None, description="Accepted ISO 639-1 codes; null accepts every language that clears min_score."
    )
    min_score: float = Field(0.5, ge=0, le=1, description="Lowest accepted language probability.")
    max_chars: int = Field(
        20_000, ge=100, description="Only the first this many characters are classified (speed, same answer)."
    )


class LengthConfig(FilterConfig):
    """Minimum and maximum document length in characters."""

    min_chars: int = Field(200, ge=0, description="Shorter documents are rejected 'too_short'.")
    max_chars: int = Field(1_000_000, ge=1, description="Longer documents are rejected 'too_long'.")

    @model_validator(mode="after")
    def _range(self) -> LengthConfig:
        if self.min_chars > self.max_chars:
            raise ValueError("min_chars must not exceed max_chars")
        return self


class FiltersConfig(StrictModel):
    """The document filter stack, in the order signals are measured."""

    c4: C4Config = Field(default_factory=C4Config)
    length: LengthConfig = Field(default_factory=LengthConfig)
    language: LanguageConfig = Field(default_factory=LanguageConfig)
    gopher_quality: GopherQualityConfig = Field(default_factory=GopherQualityConfig)
    gopher_repetition: GopherRepetitionConfig = Field(default_factory=GopherRepetitionConfig)
    fineweb: FineWebQualityConfig = Field(default_factory=FineWebQualityConfig)


class CleanReportConfig(StrictModel):
    """What report.json and report.html show."""

    examples_per_reason: int = Field(3, ge=0, le=100, description="Example documents shown per rejection reason.")
    example_chars: int = Field(200, ge=20, le=5000, description="Characters shown of each example's text.")
    top_lines: int = Field(25, ge=0, le=1000, description="Most frequent boilerplate lines shown with their text.")


class CleanJobConfig(StrictModel):
    """How the Spark job moves data (never what it decides)."""

    batch_rows: int = Field(
        256,
        ge=1,
        le=100_000,
        description="Rows per Arrow batch sent to the Python stages (HTML pages are large: keep worker memory low).",
    )
    docs_per_partition: int = Field(
        2500,
        ge=1,
        description="The input is spread over at least ceil(docs / this) partitions, and at least 2 per core, "
        "so that every core extracts pages.",
    )
    keep_html: bool = Field(False, description="Carry the input's html column into documents and rejected.")
    compress_cache: bool = Field(
        False,
        description="Compress the job's cached intermediate rows (Spark's in-memory columnar compression). "
        "Off, the JVM skips encoding statistics over every text, and the cache takes more memory "
        "(it spills to disk when memory is short).",
    )


class CleanConfig(StrictModel):
    """``corpussieve clean``: main text from HTML, text repair, line boilerplate removal, quality filters."""

    extraction: ExtractionConfig = Field(default_factory=ExtractionConfig)
    repair: RepairConfig = Field(default_factory=RepairConfig)
    markup: MarkupConfig = Field(default_factory=MarkupConfig)
    lines: LineBoilerplateConfig = Field(default_factory=LineBoilerplateConfig)
    filters: FiltersConfig = Field(default_factory=FiltersConfig)
    job: CleanJobConfig = Field(default_factory=CleanJobConfig)
    report: CleanReportConfig = Field(default_factory=CleanReportConfig)
