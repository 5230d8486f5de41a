"""LSH banding: choosing bands x rows, and hashing each band of a signature into a bucket key.

A pair with Jaccard s shares at least one band (becomes a candidate) with probability
``P(s) = 1 - (1 - s^rows)^bands``. The false-positive mass is the integral of P over [0, threshold] and
the false-negative mass the integral of 1 - P over [threshold, 1], as in datasketch's ``_optimal_param``.
Equal weights favour precision too much for dedup: at threshold 0.8 and 128 permutations they pick
9 x 13, which makes a pair at J = 0.85 a candidate only 69% of the time. Missed pairs are lost for good,
while extra candidates only cost verification, so :func:`plan_banding` weights misses more and requires
P(threshold + recall_margin) >= min_recall among the plans it considers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from corpussieve.dedup.config import DedupConfig
from corpussieve.hashing import fmix64, splitmix64_stream

REPORT_POINTS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
"""Jaccard values at which a plan reports P(candidate)."""

_K_BAND = np.uint64(splitmix64_stream(0x4C534842414E44, 1)[0])


def candidate_probability(similarity: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """P(a pair of Jaccard ``similarity`` shares at least one of ``bands`` bands of ``rows`` values)."""
    s = np.asarray(similarity, dtype=np.float64)
    p = 1.0 - (1.0 - s**rows) ** bands
    return float(p) if p.ndim == 0 else p


@dataclass(frozen=True)
class BandingPlan:
    """Bands x rows with their error masses and S-curve at :data:`REPORT_POINTS`."""

    bands: int
    rows: int
    threshold: float
    num_perm: int
    fp_mass: float
    """Integral of P(candidate) over Jaccard [0, threshold]."""
    fn_mass: float
    """Integral of 1 - P(candidate) over Jaccard [threshold, 1]."""
    optimized: bool
    """False when bands and rows were given explicitly."""
    candidate_probabilities: dict[float, float] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for logs and reports."""
        curve = ", ".join(f"P({s:g})={p:.3f}" for s, p in self.candidate_probabilities.items())
        source = "optimized" if self.optimized else "configured"
        return (
            f"{self.bands} bands x {self.rows} rows ({source}, threshold {self.threshold:g}, "
            f"{self.num_perm} perms): FP mass {self.fp_mass:.4f}, FN mass {self.fn_mass:.4f}; {curve}"
        )


def _error_masses(threshold: float, bands: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FP and FN masses for arrays of (bands, rows), by Gauss-Legendre quadrature.

    P(s) is a polynomial of degree bands * rows, and m-point Gauss-Legendre is exact up to degree 2m - 1,
    so enough nodes make these integrals exact up to rounding.
    """
    degree = int((bands * rows).max())
    nodes, weights = np.polynomial.legendre.leggauss(max(32, degree // 2 + 1))

    def integral(lo: float, hi: float, complement: bool) -> np.ndarray:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        p = 1.0 - (1.0 - s[None, :] ** rows[:, None]) ** bands[:, None]
        values = 1.0 - p if complement else p
        return (hi - lo) / 2 * (values @ weights)

    return integral(0.0, threshold, False), integral(threshold, 1.0, True)


def plan_banding(
    threshold: float,
    num_perm: int,
    *,
    fn_weight: float = 0.9,
    fp_weight: float = 0.1,
    min_recall: float = 0.99,
    recall_margin: float = 0.05,
    bands: int | None = None,
    rows: int | None = None,
) -> BandingPlan:
    """Choose bands x rows (bands * rows <= num_perm), or evaluate the explicit ``bands`` and ``rows``.

    Among all plans whose P(candidate | J = min(threshold + recall_margin, 1)) >= min_recall, pick the one
    minimizing ``fp_weight * FP + fn_weight * FN`` (fewer bands on a tie). If no plan reaches min_recall,
    the plans with the highest such probability are considered instead.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold must be in (0, 1)")
    if (bands is None) != (rows is None):
        raise ValueError("bands and rows must be given together")
    if bands is not None and rows is not None:
        if bands < 1 or rows < 1 or bands * rows > num_perm:
            raise ValueError(f"{bands} bands x {rows} rows does not fit {num_perm} permutations")
        b_all, r_all = np.array([bands]), np.array([rows])
    else:
        pairs = [(b, r) for r in range(1, num_perm + 1) for b in range(1, num_perm // r + 1)]
        b_all = np.array([b for b, _ in pairs])
        r_all = np.array([r for _, r in pairs])
    fp, fn = _error_masses(threshold, b_all, r_all)
    if bands is None:
        recall = candidate_probability(min(threshold + recall_margin, 1.0), b_all, r_all)
        eligible = recall >= min_recall
        if not eligible.any():
            eligible = recall >= recall.max() - 1e-12
        objective = np.where(eligible, fp_weight * fp + fn_weight * fn, np.inf)
        best = int(np.lexsort((b_all, objective))[0])
    else:
        best = 0
    b, r = int(b_all[best]), int(r_all[best])
    return BandingPlan(
        bands=b,
        rows=r,
        threshold=threshold,
        num_perm=num_perm,
        fp_mass=float(fp[best]),
        fn_mass=float(fn[best]),
        optimized=bands is None,
        candidate_probabilities={s: float(candidate_probability(s, b, r)) for s in REPORT_POINTS},
    )


def plan_for_config(config: DedupConfig) -> BandingPlan:
    """:func:`plan_banding` with the config's threshold, permutations, weights and optional override."""
    return plan_banding(
        config.threshold,
        config.num_perm,
        fn_weight=config.fn_weight,
        fp_weight=config.fp_weight,
        min_recall=config.min_recall,
        recall_margin=config.recall_margin,
        bands=config.bands,
        rows=config.rows,
    )


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) int64 bucket keys: band j hashes signature values [j*rows, (j+1)*rows) and the index j.

    Two documents share key (j, band_hashes[:, j]) exactly when their band j values are equal (up to 64-bit
    hash collisions), so the Spark job buckets by (band, key). The int64 is the uint64 hash's bit pattern,
    for Spark LongType. Rows flagged empty must be kept out of bucketing: their marker signatures are equal.
    """
    sig = np.asarray(signatures)
    if sig.ndim != 2 or bands * rows > sig.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows needs (n, >= {bands * rows}) signatures, got {sig.shape}")
    values = sig[:, : bands * rows].reshape(sig.shape[0], bands, rows).astype(np.uint64)
    acc = np.empty((sig.shape[0], bands), dtype=np.uint64)
    acc[:] = fmix64(np.arange(bands, dtype=np.uint64) + _K_BAND)
    for r in range(rows):
        acc ^= values[:, :, r]
        fmix64(acc, out=acc)
    return acc.view(np.int64)
