"""Scores of forecasts against outcomes, on a 0-100 scale.

- Point scores: MAE, RMSE, median absolute error, the share of issues within 5, 10 and 20
  points.
- The paired comparison with a baseline: the mean difference of absolute errors with a
  paired bootstrap 95% percentile interval (resampling issues with replacement, 2,000
  resamples, fixed seed), and wins/losses/ties (ties: within 1e-9).
- Predictive distributions are mixtures of normals (an atom is a normal of width 0):
  CRPS (Gneiting & Raftery 2007), closed form for normal mixtures by ``scoringrules``
  (``crps_mixnorm``; Grimit et al. 2006) and, for atoms, ``E|X - y| - E|X - X'| / 2``;
  the log score (``scoringrules.logs_mixnorm``; negative log density, lower is better;
  undefined for atoms); 50% and 90% central interval coverage; the PIT (mid-PIT at atoms)
  and its 10-bin histogram. A point forecast's CRPS is its absolute error.

Why ``scoringrules``: it is maintained, runs on Python 3.11 (numpy/scipy only) and has the
normal-mixture CRPS and log score in closed form; ``properscoring`` has no mixture.

References
----------
Gneiting, T. & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
estimation. *JASA* 102(477), 359-378.

Grimit, E. P., Gneiting, T., Berrocal, V. J. & Johnson, N. A. (2006). The continuous ranked
probability score for circular variables and its application to mesoscale forecast ensemble
verification. *QJRMS* 132, 2925-2942 (the CRPS of a normal mixture).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scoringrules as sr
from numpy.typing import NDArray
from scipy.special import ndtr

__all__ = [
    "QUANTILES",
    "Predictive",
    "paired_comparison",
    "point_scores",
    "probabilistic_scores",
]

FloatArray = NDArray[np.float64]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BOOTSTRAP_SEED = 20260101
BOOTSTRAP_RESAMPLES = 2000


def point_scores(err: FloatArray) -> dict[str, float]:
    """MAE, RMSE, median AE and the shares within 5/10/20 of absolute errors ``err``."""
    a = np.abs(np.asarray(err, dtype=np.float64))
    if a.size == 0:
        return {"n": 0}
    return {
        "n": int(a.size),
        "mae": float(a.mean()),
        "rmse": float(np.sqrt((a**2).mean())),
        "median_ae": float(np.median(a)),
        "within_5": float((a <= 5).mean()),
        "within_10": float((a <= 10).mean()),
        "within_20": float((a <= 20).mean()),
    }


def paired_comparison(
    err: FloatArray,
    base: FloatArray,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, float]:
    """A model's absolute errors against a baseline's on the same issues.

    Returns the mean difference (model minus baseline: negative is better), its paired
    bootstrap 95% percentile interval, and the model's wins, losses and ties.
    """
    diff = np.abs(err) - np.abs(base)
    n = diff.size
    if n == 0:
        return {"n": 0}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    means = diff[idx].mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return {
        "n": int(n),
        "mean_diff": float(diff.mean()),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "wins": int((diff < -1e-9).sum()),
        "losses": int((diff > 1e-9).sum()),
        "ties": int((np.abs(diff) <= 1e-9).sum()),
    }


@dataclass(frozen=True)
class Predictive:
    """A mixture of normals per issue, on 0-100: ``(N, K)`` means, widths and weights.

    Width 0 is an atom. Weights are non-negative and sum to 1 per issue (padding: 0).
    """

    means: FloatArray
    sds: FloatArray
    weights: FloatArray

    def cdf(self, y: FloatArray, left: bool = False) -> FloatArray:
        """``F(y)`` per issue (``left``: ``F(y-)``, the mass strictly below ``y``)."""
        z = np.asarray(y, dtype=np.float64)[:, None] - self.means
        with np.errstate(divide="ignore", invalid="ignore"):
            normal = ndtr(z / self.sds)
        atom = (z > 0) if left else (z >= 0)
        part = np.where(self.sds > 0, normal, atom.astype(np.float64))
        return np.asarray((self.weights * part).sum(axis=1), dtype=np.float64)

    def quantiles(self, probs: tuple[float, ...] = QUANTILES) -> FloatArray:
        """``(N, len(probs))`` quantiles on 0-100 (by bisection on the CDF)."""
        n = self.means.shape[0]
        out = np.empty((n, len(probs)))
        for k, p in enumerate(probs):
            lo, hi = np.full(n, -50.0), np.full(n, 150.0)
            for _ in range(50):
                mid = 0.5 * (lo + hi)
                below = self.cdf(mid) < p
                lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
            out[:, k] = hi
        return np.clip(out, 0.0, 100.0)

    def crps(self, y: FloatArray) -> FloatArray:
        """``(N,)`` the CRPS of each issue's distribution at its outcome."""
        y = np.asarray(y, dtype=np.float64)
        atoms = self.sds <= 0
        if atoms.all():
            e1 = (self.weights * np.abs(self.means - y[:, None])).sum(axis=1)
            pair = np.abs(self.means[:, :, None] - self.means[:, None, :])
            e2 = (self.weights[:, :, None] * self.weights[:, None, :] * pair).sum(axis=(1, 2))
            return np.asarray(e1 - 0.5 * e2, dtype=np.float64)
        sds = np.where(atoms, 1e-9, self.sds)
        return np.asarray(sr.crps_mixnorm(y, self.means, sds, self.weights), dtype=np.float64)

    def log_score(self, y: FloatArray) -> FloatArray | None:
        """``(N,)`` negative log density at the outcome; None when a component is an atom."""
        if (self.sds <= 0).any():
            return None
        return np.asarray(
            sr.logs_mixnorm(np.asarray(y, dtype=np.float64), self.means, self.sds, self.weights),
            dtype=np.float64,
        )

    def pit(self, y: FloatArray) -> FloatArray:
        """``(N,)`` the (mid-)PIT: ``(F(y-) + F(y)) / 2``."""
        return 0.5 * (self.cdf(y, left=True) + self.cdf(y))

    def subset(self, idx: Any) -> Predictive:
        """The distributions of the issues ``idx``."""
        return Predictive(self.means[idx], self.sds[idx], self.weights[idx])


def probabilistic_scores(pred: Predictive, y: FloatArray) -> dict[str, Any]:
    """CRPS, log score, 50%/90% coverage and the PIT histogram of ``pred`` at outcomes ``y``."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return {}
    q = pred.quantiles()
    logs = pred.log_score(y)
    pit = pred.pit(y)
    hist, _ = np.histogram(np.clip(pit, 0.0, 1.0), bins=10, range=(0.0, 1.0))
    return {
        "crps": float(pred.crps(y).mean()),
        "log_score": None if logs is None else float(logs.mean()),
        "coverage_50": float(((q[:, 1] <= y) & (y <= q[:, 3])).mean()),
        "coverage_90": float(((q[:, 0] <= y) & (y <= q[:, 4])).mean()),
        "pit_histogram": [int(v) for v in hist],
    }
