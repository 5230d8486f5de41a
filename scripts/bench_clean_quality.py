#!/usr/bin/env python
"""Quality and speed of the clean job's pure core.

Prints:
  1. extraction scores on the aeb-dev pages (F1, precision, recall, empty outputs) for trafilatura's
     own settings, ours, and ours with each of our rules turned off (the ablation);
  2. the rejection rate of the true article bodies (as text inputs) by our filter stack and by the
     usual FineWeb-style stack, with counts per reason; and of our own extractions;
  3. the junk rejection rate per kind, html and text inputs, and the share rejected for the right
     kind of reason;
  4. pages/s of our per-document pipeline and of trafilatura alone on the same pages (one process).

The aeb-dev parts need ../shared next to the repository; they are skipped without it.

    PYTHONPATH=lib python scripts/bench_clean_quality.py [--junk-per-kind 50] [--speed-rounds 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "lib"))

from corpussieve.clean.config import CleanConfig, ExtractionConfig  # noqa: E402
from corpussieve.clean.extract import extract_main_text  # noqa: E402
from corpussieve.clean.filters import usual_stack_config  # noqa: E402
from corpussieve.clean.document import clean_document  # noqa: E402
from corpussieve.clean.reasons import JUNK_EXPECTED_FAMILIES, families_of  # noqa: E402
from corpussieve.clean.scoring import score_extractions  # noqa: E402
from corpussieve.sample.junk import JUNK_KINDS, make_junk_page  # noqa: E402

AEB_DEV = REPO_ROOT / ".." / "shared" / "data" / "aeb-dev"

OUR_RULES = {
    "drop_hidden": "hidden elements",
    "drop_boilerplate_blocks": "boilerplate class/id blocks",
    "drop_link_lists": "link lists",
    "drop_title": "title lines",
    "drop_boilerplate_lines": "boilerplate line patterns",
    "recall_fallback": "balanced-mode fallback",
}


def load_aeb_dev() -> dict[str, dict[str, str]] | None:
    from corpussieve.clean.scoring import load_aeb_dev as load

    return load(AEB_DEV)


def trafilatura_predictions(pages: dict[str, dict[str, str]], **kwargs: object) -> dict[str, str | None]:
    import trafilatura

    return {key: trafilatura.extract(page["html"], **kwargs) for key, page in pages.items()}


def extraction_scores(pages: dict[str, dict[str, str]]) -> None:
    truths = {key: page["truth"] for key, page in pages.items()}
    rows: list[tuple[str, object]] = [
        ("trafilatura extract() defaults", score_extractions(trafilatura_predictions(pages), truths)),
        ("trafilatura include_comments=False",
         score_extractions(trafilatura_predictions(pages, include_comments=False), truths)),
        ("trafilatura best (no comments, favor_precision)",
         score_extractions(trafilatura_predictions(pages, include_comments=False, favor_precision=True), truths)),
        ("trafilatura best, fast (no readability/jusText)",
         score_extractions(trafilatura_predictions(
             pages, include_comments=False, favor_precision=True, fast=True), truths)),
    ]
    ours = ExtractionConfig()
    rows.append(("ours (all rules)", score_extractions(
        {k: extract_main_text(p["html"], ours).text for k, p in pages.items()}, truths)))
    every = ours.model_copy(update={"compare_every_page": True})
    rows.append(("  ours comparing with readability/jusText on every page", score_extractions(
        {k: extract_main_text(p["html"], every).text for k, p in pages.items()}, truths)))
    for field, label in OUR_RULES.items():
        cfg = ours.model_copy(update={field: False})
        predictions = {k: extract_main_text(p["html"], cfg).text for k, p in pages.items()}
        rows.append((f"  ours without {label}", score_extractions(predictions, truths)))
    bare = ours.model_copy(update={field: False for field in OUR_RULES})
    rows.append(("  ours with every rule off", score_extractions(
        {k: extract_main_text(p["html"], bare).text for k, p in pages.items()}, truths)))
    print(f"\n== Extraction on aeb-dev ({len(pages)} pages) ==")
    for label, score in rows:
        print(f"{label:52s} {score}")


def rejection_rates(pages: dict[str, dict[str, str]]) -> None:
    print(f"\n== Good-text rejection: true article bodies as text inputs ({len(pages)} pages) ==")
    for label, cfg in (("ours", CleanConfig()), ("usual stack", CleanConfig(filters=usual_stack_config()))):
        per_reason: Counter[str] = Counter()
        per_filter: Counter[str] = Counter()
        rejected = 0
        for page in pages.values():
            reasons = clean_document(text=page["truth"], cfg=cfg).reasons
            rejected += bool(reasons)
            per_reason.update(reasons)
            per_filter.update({r.split(":")[0] for r in reasons})
        print(f"{label:12s} rejected {rejected}/{len(pages)} = {100 * rejected / len(pages):.1f}%")
        print(f"{'':12s} documents per filter: {dict(per_filter.most_common())}")
        print(f"{'':12s} per reason: {dict(per_reason.most_common())}")
    cfg = CleanConfig()
    results = [clean_document(html=page["html"], cfg=cfg) for page in pages.values()]
    rejected = [r.reasons for r in results if r.reasons]
    print(f"ours, html -> full pipeline: rejected {len(rejected)}/{len(pages)} = "
          f"{100 * len(rejected) / len(pages):.1f}%  {Counter(x for rs in rejected for x in rs).most_common()}")


def junk_rates(per_kind: int) -> None:
    print(f"\n== Junk rejection ({per_kind} pages per kind, full pipeline) ==")
    cfg = CleanConfig()
    totals = Counter()
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
        print(f"{kind:16s} " + " | ".join(cells))
    n = per_kind * len(JUNK_KINDS)
    for field in ("html", "text"):
        print(f"all kinds, {field}: rejected {100 * totals[f'{field}_rejected'] / n:.1f}%, "
              f"right kind {totals[f'{field}_right']}/{totals[f'{field}_rejected']}")


def speed(pages: dict[str, dict[str, str]], rounds: int) -> None:
    import trafilatura

    htmls = [page["html"] for page in pages.values()]
    megabytes = sum(len(h.encode()) for h in htmls) / 1e6
    cfg = CleanConfig()
    clean_document(html=htmls[0], cfg=cfg)  # warm-up: lazy singletons (extractor, language model)

    def timed(run) -> float:
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
    print(f"\n== Speed, one process, {len(htmls)} pages ({megabytes:.1f} MB HTML), best of {rounds} ==")
    print(f"trafilatura alone (best setting)   {len(htmls) / t_traf:7.1f} pages/s")
    print(f"our extraction (pre/post-cleaning) {len(htmls) / t_extract:7.1f} pages/s")
    print(f"our whole per-document pipeline    {len(htmls) / t_ours:7.1f} pages/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--junk-per-kind", type=int, default=50, help="junk pages per kind and input type")
    parser.add_argument("--speed-rounds", type=int, default=3, help="timing rounds (best is reported)")
    args = parser.parse_args()
    pages = load_aeb_dev()
    if pages is None:
        print(f"aeb-dev not found at {AEB_DEV.resolve()}: extraction, good-text and speed parts skipped")
    else:
        extraction_scores(pages)
        rejection_rates(pages)
    junk_rates(args.junk_per_kind)
    if pages is not None:
        speed(pages, args.speed_rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
