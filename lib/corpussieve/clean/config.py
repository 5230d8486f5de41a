"""Typed configuration of the clean job: extraction, text repair, markup stripping, line boilerplate, filters.

Every filter has its own sub-config with an ``enabled`` flag and its thresholds, defined beside the filter
(``corpussieve.clean.filters.<module>``); ``FiltersConfig`` is assembled from the filters registry, so a new
filter needs no edit here. The filter configs are re-exported from this module for older imports. The
signals a filter measures do not depend on its thresholds, so a stored ``quality`` struct can be
re-thresholded later without recomputing anything.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from corpussieve.clean.filters import FiltersConfig
from corpussieve.clean.filters.base import FilterConfig
from corpussieve.clean.filters.c4 import C4Config
from corpussieve.clean.filters.fineweb import FineWebQualityConfig
from corpussieve.clean.filters.gopher_quality import GopherQualityConfig
from corpussieve.clean.filters.gopher_repetition import GopherRepetitionConfig
from corpussieve.clean.filters.language import LanguageConfig
from corpussieve.clean.filters.length import LengthConfig
from corpussieve.clean.steps import StepsConfig
from corpussieve.configbase import StrictModel
from corpussieve.reasons import MEMBER_NAME

#: a UT1 category folder's name
UT1_CATEGORY = r"[A-Za-z0-9_.-]+"


def list_member_name(name: str, category: str) -> str:
    """The list name of a UT1 category: ``ut1`` + ``audio-video`` -> ``ut1_audio_video``."""
    return f"{name}_{re.sub(r'[^a-z0-9_]', '_', category.lower())}"


class BlocklistFileConfig(StrictModel):
    """One blocklist: a domain or URL list file, or a UT1 folder (see ``corpussieve.clean.blocklist``)."""

    name: str = Field(
        pattern=rf"^{MEMBER_NAME}$",
        description="The list's name, in its reason url_blocklist:<name> (lower-case letters, digits, _). A UT1 "
        "folder gives one list per category, named <name>_<category> (ut1 + adult -> ut1_adult).",
    )
    path: str = Field(
        description="A list file (one entry per line; .gz read as gzip) or, for ut1, the folder of category folders."
    )
    format: Literal["auto", "domains", "urls", "ut1"] = Field(
        "auto",
        description="domains: one domain per line (hosts-file lines too; each blocks its subdomains); urls: one "
        "URL per line; ut1: a folder of category folders with domains and urls files; auto: a folder is ut1, "
        "a file whose entries mostly hold a path is urls, any other file domains.",
    )
    categories: list[str] = Field(
        default_factory=list,
        description="ut1: the categories to block (their folder names: adult, malware, phishing, ...); required.",
    )
    url_prefix: bool = Field(
        False,
        description="URL entries also block every URL below them (at / boundaries), as squidGuard reads UT1's urls "
        "files; off, a URL entry blocks that URL only.",
    )

    @model_validator(mode="after")
    def _categories(self) -> BlocklistFileConfig:
        if self.categories and self.format not in ("ut1", "auto"):
            raise ValueError(f"list {self.name}: categories are for ut1 folders, not a {self.format} list")
        for category in self.categories:
            if not re.fullmatch(UT1_CATEGORY, category):
                raise ValueError(f"list {self.name}: {category!r} is not a category folder name")
        if self.format == "ut1" and not self.categories:
            raise ValueError(f"list {self.name}: a ut1 list needs the categories to block")
        return self


class BannedWordsConfig(StrictModel):
    """Banned words in URLs: the URL, lower-cased, split into words on every non-alphanumeric character."""

    name: str = Field(
        "banned_words", pattern=rf"^{MEMBER_NAME}$",
        description="The rule's list name, in its reason url_blocklist:<name>.",
    )
    words: list[str] = Field(default_factory=list, description="Hard words: one of them in a URL blocks it.")
    words_file: str | None = Field(None, description="A file of more hard words, one per line (# comments).")
    soft_words: list[str] = Field(
        default_factory=list, description="Soft words: a URL is blocked when it holds soft_threshold distinct ones."
    )
    soft_words_file: str | None = Field(None, description="A file of more soft words, one per line (# comments).")
    soft_threshold: int = Field(
        2, ge=1, description="Distinct soft words that block a URL (one ambiguous word alone does not)."
    )

    @model_validator(mode="after")
    def _words(self) -> BannedWordsConfig:
        for word in (*self.words, *self.soft_words):
            if not re.fullmatch(r"[^\W_]+", word.strip()):
                raise ValueError(f"banned word {word!r} is not one word (letters and digits only): URLs are split "
                                 "into words on every other character, so it could never match")
        return self


class UrlBlocklistConfig(StrictModel):
    """URL blocklists, checked before extraction: a blocked page is never read, only rejected
    'url_blocklist:<list>'. Off (no list, no word) by default."""

    lists: list[BlocklistFileConfig] = Field(
        default_factory=list,
        description="The lists to block by, each {name, path, format: auto|domains|urls|ut1, categories (ut1), "
        "url_prefix}; e.g. [{name: ut1, path: /data/ut1/blacklists, format: ut1, categories: [adult, malware, "
        "phishing]}, {name: phishing, path: /data/phishing-domains.txt}].",
    )
    banned_words: BannedWordsConfig = Field(
        default_factory=BannedWordsConfig,
        description="Words that block a URL (rejected url_blocklist:<banned_words.name>); none by default.",
    )
    cache_dir: str | None = Field(
        None,
        description="A local folder where the lists, once read, are kept as one compact table (.npz, keyed by the "
        "list files' paths, sizes and times and these settings): the next run loads 5M domains in well under a "
        "second instead of reading the files again. None: read the files every run.",
    )

    @property
    def enabled(self) -> bool:
        bw = self.banned_words
        return bool(self.lists or bw.words or bw.words_file or bw.soft_words or bw.soft_words_file)

    @model_validator(mode="after")
    def _unique_names(self) -> UrlBlocklistConfig:
        names: list[str] = []
        for entry in self.lists:
            names.extend([list_member_name(entry.name, c) for c in entry.categories]
                         if entry.categories else [entry.name])
        bw = self.banned_words
        if bw.words or bw.words_file or bw.soft_words or bw.soft_words_file:
            names.append(bw.name)
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"blocklist names must be unique, {', '.join(repeated)} is given twice")
        return self


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
    unprecleaned_fallback: bool = Field(
        True,
        description=(
            "If nothing is left of the page once pre-cleaned, extract it again as it came (pre-cleaning never "
            "empties a page that has a main text)."
        ),
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


class ParagraphsConfig(StrictModel):
    """Paragraph dedup across documents (``corpussieve.clean.paragraphs``): a long line of the prepared text
    that several documents hold is kept in the first of them by the dedup keep order (``dedup.keep``) and
    removed from the others; in a lake, a paragraph an earlier batch holds is removed from new documents."""

    enabled: bool = Field(
        True, description="Run the paragraphs stage (one shuffle of the long lines' hashes, no text shuffled)."
    )
    min_chars: int = Field(
        200,
        ge=20,
        description="A line is a paragraph when its normalized form (as hashed: lower case, digit runs -> 0, "
        "punctuation and space runs -> one space) has at least this many characters. Shorter repeated lines "
        "are the site and corpus-wide line rules' (clean.lines); a line both rules match is theirs.",
    )
    broadcast_max_rows: int = Field(
        2_000_000,
        ge=0,
        description="The per-document lists of paragraphs to drop are broadcast to the removal stage while they "
        "hold at most this many (document, paragraph) pairs; above it they are joined by id with a shuffle.",
    )


class SpansConfig(StrictModel):
    """Span removal after the filters (``corpussieve.clean.spans``): every window of ``span_tokens`` tokens seen
    more than ``max_copies`` times among the documents the filters kept keeps its first ``max_copies`` copies
    in the keep order (``dedup.keep``) and loses every later one: the definitions of ``repetition --strip K``
    (``corpussieve.repetition.strip``), run on the kept documents of this run (of this batch, in a lake)."""

    enabled: bool = Field(
        False,
        description="Run the spans stage. Off by default: it costs a tokenization of the kept documents, a sort of "
        "their texts by the keep order and shuffles of window hashes (measured: +24% on 10,000 generated HTML "
        "pages, see the README).",
    )
    max_copies: int = Field(
        1, ge=1, description="Copies of a repeated span kept (K of repetition --strip K): 1 keeps the first only."
    )
    span_tokens: int | None = Field(
        None,
        ge=8,
        le=4096,
        description="Tokens per window; a span is removed when a window of this many tokens is over the limit. "
        "Unset: the repetition job's (repetition.span_tokens, 50).",
    )
    tokenizer: Literal["cl100k", "gpt2", "word"] | None = Field(
        None, description="cl100k, gpt2 or word (all offline). Unset: the repetition job's (repetition.tokenizer)."
    )
    min_chars_left: int | None = Field(
        None,
        ge=1,
        description="A document left with fewer characters (whitespace stripped) by span removal is rejected "
        "spans:too_short (spans:no_text_left when nothing is left). Unset: the length filter's min_chars when that "
        "filter is on, else 1 (only emptied documents).",
    )
    predict: bool = Field(
        True,
        description="Also measure the kept documents' repeated-token figures before removal (the repetition "
        "job's coverage pass over the cached tokens): the report's predicted tokens removed and repeated-token "
        "fraction. Off saves that pass.",
    )
    broadcast_max_rows: int = Field(
        1_000_000,
        ge=0,
        description="The cuts of the documents span removal changed are broadcast to the last pass while they are "
        "at most this many documents; above it they are joined by id with a shuffle.",
    )
    top_spans: int = Field(
        25, ge=0, le=1000, description="Most repeated removed windows shown in the report with their text."
    )


class CleanReportConfig(StrictModel):
    """What report.json and report.html show."""

    examples_per_reason: int = Field(3, ge=0, le=100, description="Example documents shown per rejection reason.")
    example_chars: int = Field(200, ge=20, le=5000, description="Characters shown of each example's text.")
    top_lines: int = Field(25, ge=0, le=1000, description="Most frequent boilerplate lines shown with their text.")
    top_paragraphs: int = Field(
        25, ge=0, le=1000, description="Most repeated paragraphs (paragraph dedup) shown with their text."
    )


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

    url_blocklist: UrlBlocklistConfig = Field(
        default_factory=UrlBlocklistConfig,
        description="URL blocklists checked before extraction (blocked pages are never read); off unless a list "
        "or a word is configured.",
    )
    extraction: ExtractionConfig = Field(default_factory=ExtractionConfig)
    repair: RepairConfig = Field(default_factory=RepairConfig)
    markup: MarkupConfig = Field(default_factory=MarkupConfig)
    lines: LineBoilerplateConfig = Field(default_factory=LineBoilerplateConfig)
    paragraphs: ParagraphsConfig = Field(default_factory=ParagraphsConfig)
    filters: FiltersConfig = Field(default_factory=FiltersConfig)
    spans: SpansConfig = Field(
        default_factory=SpansConfig,
        description="Span removal (repeated token spans beyond their first copies) on the documents the filters "
        "kept, before the document steps.",
    )
    steps: StepsConfig = Field(
        default_factory=StepsConfig,
        description="Document steps, run in this order on the documents the filters (and span removal) kept "
        "(each may rewrite the text and adds its audit columns to the outputs).",
    )
    job: CleanJobConfig = Field(default_factory=CleanJobConfig)
    report: CleanReportConfig = Field(default_factory=CleanReportConfig)


__all__ = [
    "BannedWordsConfig", "BlocklistFileConfig", "UrlBlocklistConfig", "C4Config", "CleanConfig", "CleanJobConfig", "CleanReportConfig", "ExtractionConfig", "FilterConfig",
    "FiltersConfig", "FineWebQualityConfig", "GopherQualityConfig", "GopherRepetitionConfig", "LanguageConfig",
    "LengthConfig", "LineBoilerplateConfig", "MarkupConfig", "ParagraphsConfig", "RepairConfig", "SpansConfig",
    "StepsConfig",
]  # fmt: skip
