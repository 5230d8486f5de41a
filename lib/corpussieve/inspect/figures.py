"""The data card's pure figures: length bins, URL path depth, domain concentration, the three axis scores and
the synthetic share. Plain Python and numpy, no Spark: the Spark stages reduce the table to the sums these
functions take, and the tests check them against brute-force definitions.

Concentration of tokens over registered domains
-----------------------------------------------
With ``t_d`` the tokens of domain d (domains holding no token left out), ``T = sum t_d`` and ``p_d = t_d / T``:

* Shannon entropy ``H = -sum p_d ln p_d = ln T - (sum t_d ln t_d) / T`` (nats). The second form is what Spark
  sums: one aggregation over the per-domain rows, no domain list on the driver.
* normalized entropy ``H / ln D`` in [0, 1]: 1 when every domain holds the same tokens, 0 when one holds all
  (0 too for a single domain).
* effective number of domains ``exp(H)``: the count of equally large domains with the same entropy.
* top share: the tokens of the ``ceil(fraction x D)`` largest domains (at least one) over ``T``.

Axis scores (each in [0, 1]; the overall figure is their product)
----------------------------------------------------------------
* **quantity** = ``min(1, tokens x allowed_epochs / training_tokens)``: the corpus repeated up to
  ``allowed_epochs`` times (4, Muennighoff et al. 2023) against the tokens the run trains on (the plan's
  ``training_tokens``, else ``tokens_per_param`` x parameters, 20 per Hoffmann et al. 2022).
* **quality** = the product of the measured factors: the share of documents that passed clean's filters
  (``kept / (kept + rejected)``, with a rejected table), the share that were not duplicates
  (``1 - removed / (kept + rejected + removed)`` with a removed table, else
  ``1 - sum(cluster_size - 1) / sum(cluster_size)`` over the kept documents' dedup cluster columns), and
  the share of tokens that are not excess repeats (``1 - excess_token_fraction`` of a repetition report).
  Each factor counts only when its input was given; none given: quality is not measured.
* **coverage** = the mean of the normalized entropies of tokens over registered domains (whenever the table has
  urls; a single domain scores 0), over languages and over sources (each only when the table holds at least
  two: a single-language or single-source corpus is a choice, not a gap).

The weakest axis is the measured axis with the lowest score, named with its lowest factor.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np

# ---------------------------------------------------------------- lengths and urls


def length_bins(values: np.ndarray) -> np.ndarray:
    """Power-of-two bin of each length: 0 for 0, k >= 1 for [2^(k-1), 2^k)."""
    values = np.asarray(values, dtype=np.int64)
    out = np.zeros(values.shape, dtype=np.int64)
    positive = values > 0
    # frexp is exact for integers below 2^53: x = m * 2^e with 0.5 <= m < 1, so 2^(e-1) <= x < 2^e
    out[positive] = np.frexp(values[positive].astype(np.float64))[1]
    return out


def bin_bounds(k: int) -> tuple[int, int]:
    """The lengths [low, high) of bin ``k`` (bin 0 holds 0 only)."""
    return (0, 1) if k == 0 else (1 << (k - 1), 1 << k)


def bin_label(k: int) -> str:
    low, high = bin_bounds(k)
    return "0" if k == 0 else (str(low) if high - low == 1 else f"{_short(low)}-{_short(high - 1)}")


def _short(n: int) -> str:
    for unit, scale in (("M", 1 << 20), ("k", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.4g}{unit}"
    return str(n)


def bin_quantile(counts: Mapping[int, int], q: float) -> int | None:
    """The bin holding the ``q`` quantile of a binned distribution (None when empty)."""
    total = sum(counts.values())
    if not total:
        return None
    rank = q * total
    seen = 0
    for k in sorted(counts):
        seen += counts[k]
        if seen >= rank and seen > 0:
            return k
    return max(counts)


def path_depth(url: str | None) -> int | None:
    """Non-empty segments of a URL's path (``https://a.org/x/y/`` -> 2, ``https://a.org`` -> 0); None for no
    URL, one that does not parse, or one with no host (``not a url``: its text would read as a path)."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.netloc:
        return None
    return sum(1 for part in parts.path.split("/") if part)


# ---------------------------------------------------------------- concentration


def top_count(domains: int, fraction: float) -> int:
    """How many domains are the 'top ``fraction``': ``ceil(fraction x domains)``, at least one (0 for none)."""
    return 0 if domains <= 0 else max(1, math.ceil(fraction * domains - 1e-9))


@dataclass(frozen=True)
class Concentration:
    """How tokens spread over registered domains (see the module docstring)."""

    domains: int
    """Domains holding at least one token."""
    tokens: int
    entropy: float
    """Shannon entropy of the token distribution, nats."""
    normalized_entropy: float
    effective_domains: float
    top_fraction: float
    top_domains: int
    top_tokens: int
    top_share: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def concentration_from_sums(domains: int, tokens: int, sum_t_ln_t: float, top_tokens: int,
                            top_fraction: float) -> Concentration:
    """Concentration from what one Spark aggregation gives: the domains holding tokens, their tokens, the sum of
    ``t ln t`` over domains, and the tokens of the ``top_count(domains, top_fraction)`` largest."""
    if domains <= 0 or tokens <= 0:
        return Concentration(0, 0, 0.0, 0.0, 0.0, top_fraction, 0, 0, 0.0)
    entropy = max(0.0, math.log(tokens) - sum_t_ln_t / tokens)  # rounding can leave -1e-16 for one domain
    normalized = entropy / math.log(domains) if domains > 1 else 0.0
    return Concentration(domains, int(tokens), entropy, min(1.0, normalized), math.exp(entropy), top_fraction,
                         top_count(domains, top_fraction), int(top_tokens), top_tokens / tokens)


def concentration(tokens_per_domain: Iterable[int], top_fraction: float = 0.01) -> Concentration:
    """Concentration of a list of per-domain token counts (zeros ignored), by the same sums Spark computes."""
    values = np.array([v for v in tokens_per_domain if v > 0], dtype=np.float64)
    k = top_count(values.size, top_fraction)
    top = int(np.sort(values)[::-1][:k].sum()) if values.size else 0
    return concentration_from_sums(int(values.size), int(values.sum()), float((values * np.log(values)).sum()),
                                   top, top_fraction)


def normalized_entropy(counts: Iterable[float]) -> float | None:
    """Shannon entropy of a categorical distribution over ln(categories): None below two non-empty categories."""
    values = np.array([c for c in counts if c > 0], dtype=np.float64)
    if values.size < 2:
        return None
    p = values / values.sum()
    return float(min(1.0, max(0.0, -(p * np.log(p)).sum() / math.log(values.size))))


# ---------------------------------------------------------------- axes


@dataclass
class Factor:
    """One measured figure of an axis: its value in [0, 1], the sentence that states it, and what would lift it."""

    name: str
    value: float
    figure: str
    lift: str


@dataclass
class Axis:
    name: str
    rule: str
    """How the score is computed from the factors, in words."""
    factors: list[Factor] = field(default_factory=list)
    combine: str = "product"
    missing: list[str] = field(default_factory=list)
    """Factors not measured, and what input would measure them."""

    @property
    def score(self) -> float | None:
        if not self.factors:
            return None
        values = [min(1.0, max(0.0, f.value)) for f in self.factors]
        if self.combine == "mean":
            return float(sum(values) / len(values))
        return float(np.prod(values))

    def weakest_factor(self) -> Factor | None:
        return min(self.factors, key=lambda f: f.value) if self.factors else None

    def as_dict(self) -> dict[str, Any]:
        return {"axis": self.name, "score": self.score, "rule": self.rule, "combine": self.combine,
                "factors": [asdict(f) for f in self.factors], "not_measured": self.missing}


def _pct(value: float) -> str:
    """A share as a percentage with three significant digits: 89.9%, 0.00362% (a tiny quantity share stays
    readable)."""
    return f"{100 * value:.3g}%"


def quantity_axis(tokens: int, training_tokens: float, target_source: str, allowed_epochs: float) -> Axis:
    """``min(1, tokens x allowed_epochs / training_tokens)``."""
    axis = Axis("quantity", f"min(1, tokens x {allowed_epochs:g} allowed epochs / training tokens)")
    budget = tokens * allowed_epochs
    value = min(1.0, budget / training_tokens) if training_tokens > 0 else 1.0
    short = max(0.0, training_tokens / allowed_epochs - tokens)
    lift = ("enough tokens for the run" if short <= 0 else
            f"add about {short:,.0f} unique tokens (training tokens / {allowed_epochs:g} - tokens), or plan a "
            "shorter run or a smaller model")
    axis.factors.append(Factor(
        "tokens_vs_training", value,
        f"{tokens:,} tokens x {allowed_epochs:g} epochs = {budget:,.0f} of {training_tokens:,.0f} training tokens "
        f"({target_source}): {_pct(min(1.0, budget / training_tokens) if training_tokens > 0 else 1.0)}", lift))
    return axis


def quality_axis(*, kept: int, rejected: int | None, top_reason: str | None, removed: int | None,
                 duplicate_source: str | None, excess_token_fraction: float | None, grade: str | None,
                 duplicates_seen: int | None = None) -> Axis:
    """The product of the measured factors: passed clean, not a duplicate, not an excess repeat. The duplicate
    rate is ``removed / duplicates_seen``; without ``duplicates_seen``, over kept + rejected + removed."""
    axis = Axis("quality", "product of: share of documents passing clean's filters, share not removed as "
                           "duplicates, share of tokens that are not excess repeats (each when measured)")
    if rejected is not None and kept + rejected > 0:
        share = kept / (kept + rejected)
        axis.factors.append(Factor(
            "passed_filters", share, f"{kept:,} of {kept + rejected:,} documents passed clean's filters ({_pct(share)})",
            f"most rejections are {top_reason}: fix the sources that produce them or drop those sources"
            if top_reason else "fewer rejected documents"))
    else:
        axis.missing.append("passed_filters (give --rejected or --lake)")
    if removed is not None:
        seen = duplicates_seen if duplicates_seen is not None else kept + (rejected or 0) + removed
        rate = removed / seen if seen else 0.0
        axis.factors.append(Factor(
            "not_duplicate", 1.0 - rate,
            f"{removed:,} of {seen:,} documents were duplicates ({_pct(rate)}, {duplicate_source})",
            "crawl new pages rather than re-crawls and mirrors of the same ones"))
    else:
        axis.missing.append("not_duplicate (give --removed or --lake, or a table with dedup's cluster_size)")
    if excess_token_fraction is not None:
        axis.factors.append(Factor(
            "not_excess_repeat", 1.0 - excess_token_fraction,
            f"{_pct(excess_token_fraction)} of tokens are excess copies of repeated spans (repetition grade {grade})",
            "remove repeated spans (boilerplate lines, templated passages) with clean's line rules or dedup"))
    else:
        axis.missing.append("not_excess_repeat (give --repetition REPORT.json or --lake with a repetition report)")
    return axis


def coverage_axis(*, domains: Concentration | None, top_domain: str | None, languages: Mapping[str, float],
                  sources: Mapping[str, float]) -> Axis:
    """The mean of the normalized entropies over domains, languages and sources (see the module docstring)."""
    axis = Axis("coverage", "mean of the normalized entropy of tokens over registered domains (when urls are "
                            "present), over languages and over sources (each when at least two are present)",
                combine="mean")
    if domains is not None:
        axis.factors.append(Factor(
            "domain_spread", domains.normalized_entropy,
            f"tokens over {domains.domains:,} registered domains: normalized entropy "
            f"{domains.normalized_entropy:.3f}, effective domains {domains.effective_domains:,.1f}, the top "
            f"{domains.top_domains:,} ({domains.top_fraction:.0%}) hold {_pct(domains.top_share)}",
            f"cap the tokens per domain (the largest is {top_domain}) and add documents from more domains"))
    else:
        axis.missing.append("domain_spread (the table has no url column)")
    for name, counts in (("language", languages), ("source", sources)):
        spread = normalized_entropy(counts.values())
        if spread is None:
            axis.missing.append(f"{name}_spread (fewer than two {name}s)")
            continue
        largest = max(counts, key=lambda k: counts[k])
        share = counts[largest] / sum(counts.values())
        axis.factors.append(Factor(
            f"{name}_spread", spread,
            f"tokens over {len(counts)} {name}s: normalized entropy {spread:.3f}; {largest} holds {_pct(share)}",
            f"add {name}s other than {largest}, or sample it down"))
    return axis


def weakest_axis(axes: Sequence[Axis]) -> dict[str, Any] | None:
    """The measured axis with the lowest score, its lowest factor, and the overall figure (product of scores)."""
    measured = [a for a in axes if a.score is not None]
    if not measured:
        return None
    axis = min(measured, key=lambda a: a.score)
    factor = axis.weakest_factor()
    assert factor is not None
    return {"axis": axis.name, "score": axis.score, "factor": factor.name, "figure": factor.figure,
            "lift": factor.lift, "overall": float(np.prod([a.score for a in measured])),
            "not_measured": [a.name for a in axes if a.score is None]}


# ---------------------------------------------------------------- synthetic share

SYNTHETIC_CITATIONS = (
    "Shumailov et al. 2023, The Curse of Recursion: Training on Generated Data Makes Models Forget "
    "(arXiv 2305.17493): models trained on their predecessors' output lose the tails of the distribution "
    "(model collapse)",
    "Gerstgrasser et al. 2024, Is Model Collapse Inevitable? Breaking the Curse of Recursion by Accumulating "
    "Real and Synthetic Data (arXiv 2404.01413): keeping the real data beside the synthetic avoids it",
)


def synthetic_share(source_tokens: Mapping[str, int], passes: Mapping[str, float], synthetic: Iterable[str],
                    max_share: float) -> dict[str, Any]:
    """Tokens of the sources marked synthetic, their share of the corpus and of the training mix (tokens x the
    plan's passes), and the warnings: more than ``max_share`` of the mix, or the whole mix synthetic."""
    marked = sorted(set(synthetic))
    present = [s for s in marked if s in source_tokens]
    corpus = float(sum(source_tokens.values()))
    mix = {s: float(t) * float(passes.get(s, 1.0)) for s, t in source_tokens.items()}
    mix_total = sum(mix.values())
    synthetic_tokens = int(sum(source_tokens[s] for s in present))
    mix_share = sum(mix[s] for s in present) / mix_total if mix_total else 0.0
    warnings = []
    if mix_total and present and mix_share >= 1.0 - 1e-12:
        warnings.append(
            f"the training mix is entirely synthetic ({', '.join(present)}): with no real data beside it, "
            f"training on it risks model collapse [{SYNTHETIC_CITATIONS[0]}]; keep real data in the mix "
            f"[{SYNTHETIC_CITATIONS[1]}]")
    elif mix_share > max_share:
        warnings.append(
            f"synthetic sources ({', '.join(present)}) hold {_pct(mix_share)} of the training mix, more than "
            f"inspect.max_synthetic_share = {_pct(max_share)}: a mix dominated by generated text risks model "
            f"collapse [{SYNTHETIC_CITATIONS[0]}]; accumulate real data beside it rather than replacing it "
            f"[{SYNTHETIC_CITATIONS[1]}]")
    return {"synthetic_sources": marked, "synthetic_sources_absent": [s for s in marked if s not in source_tokens],
            "synthetic_tokens": synthetic_tokens, "corpus_share": synthetic_tokens / corpus if corpus else 0.0,
            "training_mix_share": mix_share, "max_share": max_share, "warnings": warnings,
            "citations": list(SYNTHETIC_CITATIONS)}
