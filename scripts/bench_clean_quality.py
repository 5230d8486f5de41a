#!/usr/bin/env python
"""Quality and speed of the clean job's pure core, fold by fold.

The 92 aeb-dev pages are split into two folds by the sha1 of the page key (first byte even: fold A,
odd: fold B; 45 and 47 pages). Rules are designed on fold A and judged on fold B: a rule is kept only
if it helps (or is neutral and simplifies) on both. Every figure is printed per fold.

Prints:
  1. extraction scores per fold (F1, precision, recall, empty outputs) for trafilatura's own settings,
     ours, and ours with each of our extraction rules turned off (the ablation); then the same on the
     pages with their article cut in the DOM to its first 1, 2 and 3 paragraphs (short articles);
  2. per fold, for the defaults, each filter rule of issue 14 turned off, and the defaults before it: the true articles rejected by the whole pipeline (html input, reasons),
     the true article bodies rejected as text inputs, and their ledes (the first lines up to 250
     characters: what a paywall or a short news item leaves), with counts per reason; the usual
     FineWeb-style stack for comparison;
  3. the junk rejection rate per kind, html and text inputs, and the share rejected for the right
     kind of reason, for the same configurations;
  4. pages/s of our per-document pipeline and of trafilatura alone on the same pages (one process),
     and the ratio of their times.

The aeb-dev parts need ../shared next to the repository; they are skipped without it.

    PYTHONPATH=lib python scripts/bench_clean_quality.py [--junk-per-kind 50] [--speed-rounds 3] [--speed-repeat 1]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "lib"))

from corpussieve.clean.config import CleanConfig  # noqa: E402
from corpussieve.clean.document import clean_document, filter_text, prepare_text  # noqa: E402
from corpussieve.clean.extract import extract_main_text  # noqa: E402
from corpussieve.clean.filters import usual_stack_config  # noqa: E402
from corpussieve.clean.reasons import JUNK_EXPECTED_FAMILIES, families_of  # noqa: E402
from corpussieve.clean.scoring import score_extractions, short_article_page  # noqa: E402
from corpussieve.sample.junk import JUNK_KINDS, make_junk_page  # noqa: E402

AEB_DEV = REPO_ROOT / ".." / "shared" / "data" / "aeb-dev"
FOLDS = ("A", "B")
#: a lede: the first lines of a true article up to this many characters (a paywall teaser, a short item)
LEDE_CHARS = 250

OUR_RULES = {
    "drop_hidden": "hidden elements",
    "drop_boilerplate_blocks": "boilerplate class/id blocks",
    "drop_link_lists": "link lists",
    "drop_title": "title lines",
    "drop_boilerplate_lines": "boilerplate line patterns",
    "recall_fallback": "balanced-mode fallback",
    "unprecleaned_fallback": "unprecleaned fallback",
}
#: short articles: each page's article cut in the DOM to its first K paragraphs (``short_article_page``)
SHORT_KEEP = (1, 2, 3)


def _set(cfg: CleanConfig, path: str, value: Any) -> CleanConfig:
    """A copy of ``cfg`` with one dotted field ('filters.fineweb.line_punct_weight') set."""
    data = cfg.model_dump()
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[leaf] = value
    return CleanConfig.model_validate(data)


#: the rules of issue 14 that were kept (they helped on both folds), each one change of the config:
#: (label, dotted field, value with the rule, value without it). The candidates that were dropped (the
#: baseline extractor as a third pass, line punctuation weighted by characters or over prose-like lines,
#: FineWeb line ratios only from 5 lines, non-alpha judged on numeric lines) were measured behind flags in
#: commit 1e4e6e2 (README, "Generalization: fold by fold").
RULES: list[tuple[str, str, Any, Any]] = [
    ("too_few_words at 35 words, not 50", "filters.gopher_quality.min_words", 35, 50),
    ("too_few_sentences under 2, not 3", "filters.c4.min_sentences", 2, 3),
]


def variants() -> list[tuple[str, CleanConfig]]:
    """The defaults, the defaults with each rule flipped, and the defaults before issue 14 (every rule off)."""
    base = CleanConfig()
    rows = [("current defaults", base)]
    before = base
    for label, path, on, off in RULES:
        current = _get(base, path)
        flipped = off if current == on else on
        rows.append((f"  {'without' if current == on else 'with'} {label}", _set(base, path, flipped)))
        before = _set(before, path, off)
    rows.append(("before issue 14 (every rule above off)", before))
    return rows


def _get(cfg: CleanConfig, path: str) -> Any:
    node: Any = cfg
    for part in path.split("."):
        node = getattr(node, part)
    return node


def fold_of(key: str) -> str:
    """The page's fold: stable across runs, machines and Python versions (no ``hash()``)."""
    return FOLDS[hashlib.sha1(key.encode("utf-8")).digest()[0] % 2]


def load_aeb_dev() -> dict[str, dict[str, str]] | None:
    from corpussieve.clean.scoring import load_aeb_dev as load

    return load(AEB_DEV)


def by_fold(pages: dict[str, dict[str, str]]) -> dict[str, dict[str, dict[str, str]]]:
    folds: dict[str, dict[str, dict[str, str]]] = {fold: {} for fold in FOLDS}
    for key, page in pages.items():
        folds[fold_of(key)][key] = page
    return folds


def lede(text: str, chars: int = LEDE_CHARS) -> str:
    """The first lines of a text until they reach ``chars`` characters."""
    out: list[str] = []
    for line in text.split("\n"):
        out.append(line)
        if len("\n".join(out).strip()) >= chars:
            break
    return "\n".join(out).strip()


def _fold_cells(folds: dict[str, dict[str, dict[str, str]]], predict: Callable[[str, dict[str, str]], str | None]
                ) -> str:
    cells = []
    for fold, pages in folds.items():
        score = score_extractions({k: predict(k, p) for k, p in pages.items()}, {k: p["truth"] for k, p in pages.items()})
        cells.append(f"{fold}: F1 {score.f1:.4f} P {score.precision:.4f} R {score.recall:.4f} "
                     f"empty {score.empty}/{score.pages}")
    return " | ".join(cells)


def extraction_scores(folds: dict[str, dict[str, dict[str, str]]]) -> None:
    import trafilatura

    print(f"\n== Extraction on aeb-dev, per fold ({', '.join(f'{f} {len(p)} pages' for f, p in folds.items())}) ==")
    settings = [
        ("trafilatura extract() defaults", {}),
        ("trafilatura include_comments=False", {"include_comments": False}),
        ("trafilatura best (no comments, favor_precision)", {"include_comments": False, "favor_precision": True}),
        ("trafilatura best, fast (no readability/jusText)",
         {"include_comments": False, "favor_precision": True, "fast": True}),
    ]
    for label, kwargs in settings:
        print(f"{label:58s} {_fold_cells(folds, lambda k, p, kw=kwargs: trafilatura.extract(p['html'], **kw))}")
    ours = CleanConfig().extraction
    print(f"{'ours (current defaults)':58s} {_fold_cells(folds, lambda k, p: extract_main_text(p['html'], ours).text)}")
    for field, label in OUR_RULES.items():
        cfg = ours.model_copy(update={field: False})
        print(f"{'  ours without ' + label:58s} "
              f"{_fold_cells(folds, lambda k, p, c=cfg: extract_main_text(p['html'], c).text)}")


def short_article_scores(folds: dict[str, dict[str, dict[str, str]]]) -> None:
    """Extraction on the same pages with their article cut to its first K paragraphs in the DOM: a short
    news item or a teaser on a real site, with all of its chrome (the kind of page that came out empty on
    unseen pages in issue 14)."""
    import trafilatura

    ours = CleanConfig().extraction
    rows: list[tuple[str, Callable[[str], str | None]]] = [
        ("trafilatura best (no comments, favor_precision)",
         lambda h: trafilatura.extract(h, include_comments=False, favor_precision=True)),
        ("ours (current defaults)", lambda h: extract_main_text(h, ours).text),
        ("  ours without unprecleaned fallback",
         lambda h, c=ours.model_copy(update={"unprecleaned_fallback": False}): extract_main_text(h, c).text),
    ]
    for keep in SHORT_KEEP:
        short = {fold: {k: {"html": cut[0], "truth": cut[1]} for k, p in pages.items()
                        if (cut := short_article_page(p["html"], p["truth"], keep)) is not None}
                 for fold, pages in folds.items()}
        sizes = ", ".join(f"{f} {len(p)} pages" for f, p in short.items())
        print(f"\n== Short articles: first {keep} paragraph(s) kept in the DOM, per fold ({sizes}) ==")
        for label, run in rows:
            print(f"{label:58s} {_fold_cells(short, lambda k, p, r=run: r(p['html']))}")


def _rejections(results: list[list[str]]) -> tuple[int, Counter[str]]:
    return sum(1 for r in results if r), Counter(x for r in results for x in r)


def rejection_rates(folds: dict[str, dict[str, dict[str, str]]]) -> None:
    """Per fold and variant: true articles rejected (html through the whole pipeline), true bodies and
    their ledes rejected as text inputs."""
    print("\n== True articles rejected, per fold: html -> whole pipeline | true body as text | its lede as text ==")
    prepared_cache: dict[str, dict[str, Any]] = {}
    rows = [*variants(), ("usual FineWeb-style stack", CleanConfig(filters=usual_stack_config()))]
    for label, cfg in rows:
        print(label)
        extraction_key = cfg.extraction.model_dump_json()
        if extraction_key not in prepared_cache:
            prepared_cache[extraction_key] = {
                k: prepare_text(p["html"], None, cfg) for pages in folds.values() for k, p in pages.items()}
        prepared = prepared_cache[extraction_key]
        for fold, pages in folds.items():
            html = [prepared[k].reasons or filter_text(prepared[k].text, cfg).reasons for k in pages]
            body = [clean_document(text=p["truth"], cfg=cfg).reasons for p in pages.values()]
            ledes = [clean_document(text=lede(p["truth"]), cfg=cfg).reasons for p in pages.values()]
            cells = []
            for name, results in (("html", html), ("body", body), ("lede", ledes)):
                n, reasons = _rejections(results)
                cells.append(f"{name} {n:2d}/{len(pages)} = {100 * n / len(pages):4.1f}%")
            print(f"  fold {fold}: " + " | ".join(cells))
            for name, results in (("html", html), ("body", body), ("lede", ledes)):
                n, reasons = _rejections(results)
                if n:
                    print(f"           {name} reasons: {dict(reasons.most_common(6))}")


def junk_rates(per_kind: int, cfg: CleanConfig, label: str, verbose: bool) -> None:
    totals: Counter[str] = Counter()
    lines = []
    for kind in JUNK_KINDS:
        cells = []
        for field in ("html", "text"):
            rejected = right = 0
            reasons: Counter[str] = Counter()
            for i in range(per_kind):
                page = make_junk_page(kind, random.Random(f"bench:{kind}:{i}"))
                result = clean_document(**{field: page[field]}, cfg=cfg)
                if result.reasons:
                    rejected += 1
                    right += bool(families_of(result.reasons) & set(JUNK_EXPECTED_FAMILIES[kind]))
                    reasons.update({r for r in result.reasons})
            totals[f"{field}_rejected"] += rejected
            totals[f"{field}_right"] += right
            top = ", ".join(r for r, _ in reasons.most_common(2))
            cells.append(f"{field} {100 * rejected / per_kind:5.1f}% (right kind {right}/{rejected}; {top})")
        lines.append(f"  {kind:16s} " + " | ".join(cells))
    n = per_kind * len(JUNK_KINDS)
    summary = " | ".join(f"{field}: rejected {100 * totals[f'{field}_rejected'] / n:.1f}%, right kind "
                         f"{100 * totals[f'{field}_right'] / n:.1f}%" for field in ("html", "text"))
    print(f"{label:58s} {summary}")
    if verbose:
        print("\n".join(lines))


def speed(pages: dict[str, dict[str, str]], rounds: int, repeat: int) -> None:
    import trafilatura

    htmls = [page["html"] for page in pages.values()] * repeat
    megabytes = sum(len(h.encode()) for h in htmls) / 1e6
    cfg = CleanConfig()
    clean_document(html=htmls[0], cfg=cfg)  # warm-up: lazy singletons (extractor, language model)

    def timed(run: Callable[[str], object]) -> float:
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            for html in htmls:
                run(html)
            best = min(best, time.perf_counter() - start)
        return best

    t_traf = timed(lambda h: trafilatura.extract(h, include_comments=False, favor_precision=True))
    t_extract = timed(lambda h: extract_main_text(h, cfg.extraction))
    t_ours = timed(lambda h: clean_document(html=h, cfg=cfg))
    print(f"\n== Speed, one process, aeb-dev x{repeat}: {len(htmls)} pages ({megabytes:.1f} MB HTML), "
          f"best of {rounds} ==")
    print(f"trafilatura alone (best setting)   {len(htmls) / t_traf:7.1f} pages/s  {t_traf:7.1f} s")
    print(f"our extraction (pre/post-cleaning) {len(htmls) / t_extract:7.1f} pages/s  {t_extract:7.1f} s")
    print(f"our whole per-document pipeline    {len(htmls) / t_ours:7.1f} pages/s  {t_ours:7.1f} s  "
          f"= {t_ours / t_traf:.2f}x trafilatura's time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--junk-per-kind", type=int, default=50, help="junk pages per kind and input type")
    parser.add_argument("--speed-rounds", type=int, default=3, help="timing rounds (best is reported)")
    parser.add_argument("--speed-repeat", type=int, default=1, help="time the aeb-dev pages repeated this often")
    parser.add_argument("--skip", nargs="*", default=[], choices=["extraction", "short", "rejection", "junk", "speed"])
    args = parser.parse_args()
    pages = load_aeb_dev()
    if pages is None:
        print(f"aeb-dev not found at {AEB_DEV.resolve()}: extraction, good-text and speed parts skipped")
    else:
        folds = by_fold(pages)
        if "extraction" not in args.skip:
            extraction_scores(folds)
        if "short" not in args.skip:
            short_article_scores(folds)
        if "rejection" not in args.skip:
            rejection_rates(folds)
    if "junk" not in args.skip:
        print(f"\n== Junk rejection ({args.junk_per_kind} pages per kind, full pipeline) ==")
        for i, (label, cfg) in enumerate(variants()):
            junk_rates(args.junk_per_kind, cfg, label, verbose=i == 0)
    if pages is not None and "speed" not in args.skip:
        speed(pages, args.speed_rounds, args.speed_repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
