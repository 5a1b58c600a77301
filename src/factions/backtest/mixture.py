"""Probabilistic forecasters: a naive baseline and a mixture with fitted weights.

``positions`` (not fitted; the naive baseline of issue 9): the outcome is one of the actors'
positions with probability proportional to capability x salience (an atom at each), or the
weighted mean (an atom), each half.

``mixture`` (fitted): a mixture of normals whose components sit at candidate outcomes,

.. math:: p(y) = \\sum_k \\pi_k \\, N(y; m_k, \\sigma_k^2), \\qquad
          \\pi_k = \\mathrm{softmax}_k(\\theta \\cdot f_k),

with candidates ``m_k``: every actor's position, the reference point, the weighted mean,
the weighted median and the forecasts of the ``procedural``, ``nash`` and ``exchange``
engines, plus a wide component at the weighted mean. Features ``f_k`` of an actor's
position: an intercept, the log of its share of capability x salience, the log of the
share held by every actor at that same position (within 0.5 points), whether it is the
Commission (role ``setter``) or the Parliament (``parliament``), whether it coincides with
the reference point, with the procedural outcome or with the setter's position, and
whether it is an end of the scale. Each other candidate has its own intercept. The narrow
components share one width ``sigma``, the wide one has ``sigma_wide``. The point forecast
is the predictive median (it minimises the expected absolute error).

The parameters are fitted on the ``train`` split only, by minimising the mean negative log
score (maximum likelihood) or the mean CRPS with ``scipy.optimize.minimize`` (L-BFGS-B);
the variant is chosen on ``dev`` by CRPS. The fit ships as a versioned JSON file in the
package (:data:`FIT_FILE`) with the data's sha256, the split and the scores, and every
backtest uses it without refitting (see ``benchmarks/fit_mixture.py`` to refit).

References
----------
Gneiting, T. & Raftery, A. E. (2007), JASA 102(477): proper scoring rules for fitting and
choosing (minimum CRPS and maximum likelihood estimation).

Achen, C. H. (2006), in *The European Union Decides*, ch. 4 and 10: the weighted mean as
the baseline; Thomson et al. (2006), ch. 1: outcomes often coincide with actors' positions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import logsumexp

from factions.backtest.cases import Case
from factions.backtest.scores import Predictive

__all__ = [
    "ENGINE_INPUTS",
    "FEATURES",
    "FIT_FILE",
    "Design",
    "Fit",
    "design",
    "fit_mixture",
    "load_fit",
    "mixture_predictive",
    "positions_predictive",
]

FloatArray = NDArray[np.float64]
FIT_FILE = "mixture-v1.json"
#: The engine forecasts the mixture uses as candidates.
ENGINE_INPUTS = ("mean", "median", "procedural", "nash", "exchange")
#: The parameters, in order: feature weights, then log widths.
FEATURES = (
    "actor",
    "actor_log_share",
    "actor_is_setter",
    "actor_is_parliament",
    "actor_at_reference",
    "actor_at_procedural",
    "actor_log_cluster",
    "actor_at_end",
    "actor_at_setter",
    "reference",
    "mean",
    "median",
    "procedural",
    "nash",
    "exchange",
    "wide",
    "log_sigma",
    "log_sigma_wide",
)
SPECIALS = ("reference", "mean", "median", "procedural", "nash", "exchange", "wide")


def positions_predictive(cases: Sequence[Case]) -> Predictive:
    """The naive baseline: atoms at positions (capability x salience) and the mean, half each."""
    n = max(len(c.x) for c in cases) + 1
    means = np.zeros((len(cases), n))
    weights = np.zeros((len(cases), n))
    for k, c in enumerate(cases):
        w = c.c * c.s
        tot = w.sum()
        share = w / tot if tot > 0 else np.full(len(w), 1.0 / len(w))
        means[k, : len(c.x)] = 100.0 * c.x
        weights[k, : len(c.x)] = 0.5 * share
        means[k, -1] = 100.0 * float((share * c.x).sum())
        weights[k, -1] += 0.5
    return Predictive(means, np.zeros_like(means), weights)


@dataclass(frozen=True)
class Design:
    """Candidates and features per issue: ``(N, K)`` means, ``(N, K, F)`` features, masks."""

    means: FloatArray
    features: FloatArray
    valid: NDArray[np.bool_]
    wide: NDArray[np.bool_]


def design(cases: Sequence[Case], engines: Mapping[str, FloatArray]) -> Design:
    """The mixture's candidates and features for ``cases`` (engine forecasts on 0-1)."""
    n_act = max(len(c.x) for c in cases)
    k_all = n_act + len(SPECIALS)
    nf = len(FEATURES) - 2
    means = np.zeros((len(cases), k_all))
    feats = np.zeros((len(cases), k_all, nf))
    valid = np.zeros((len(cases), k_all), dtype=bool)
    col = {name: FEATURES.index(name) for name in FEATURES[:nf]}
    for k, c in enumerate(cases):
        m = len(c.x)
        w = c.c * c.s
        share = w / w.sum() if w.sum() > 0 else np.full(m, 1.0 / m)
        x = 100.0 * c.x
        proc = 100.0 * float(engines["procedural"][k])
        means[k, :m] = x
        valid[k, :m] = True
        feats[k, :m, col["actor"]] = 1.0
        feats[k, :m, col["actor_log_share"]] = np.log(share + 1e-3)
        if c.roles:
            roles = np.asarray(c.roles)
            feats[k, :m, col["actor_is_setter"]] = roles == "setter"
            feats[k, :m, col["actor_is_parliament"]] = roles == "parliament"
        if c.reference is not None:
            feats[k, :m, col["actor_at_reference"]] = np.abs(x - 100.0 * c.reference) < 0.5
        feats[k, :m, col["actor_at_procedural"]] = np.abs(x - proc) < 0.5
        same = np.abs(x[:, None] - x[None, :]) < 0.5
        feats[k, :m, col["actor_log_cluster"]] = np.log(same @ share + 1e-3)
        feats[k, :m, col["actor_at_end"]] = (x < 0.5) | (x > 99.5)
        if c.roles and "setter" in c.roles:
            xs = x[list(c.roles).index("setter")]
            feats[k, :m, col["actor_at_setter"]] = np.abs(x - xs) < 0.5
        for j, name in enumerate(SPECIALS):
            slot = n_act + j
            if name == "reference":
                if c.reference is None:
                    continue
                means[k, slot] = 100.0 * c.reference
            elif name == "wide":
                means[k, slot] = 100.0 * float(engines["mean"][k])
            else:
                means[k, slot] = 100.0 * float(engines[name][k])
            valid[k, slot] = True
            feats[k, slot, col[name]] = 1.0
    wide = np.zeros(k_all, dtype=bool)
    wide[-1] = True
    return Design(means, feats, valid, np.broadcast_to(wide, means.shape).copy())


def _components(d: Design, params: FloatArray) -> tuple[FloatArray, FloatArray]:
    nf = d.features.shape[2]
    logits = d.features @ params[:nf]
    logits = np.where(d.valid, logits, -np.inf)
    logw = logits - logsumexp(logits, axis=1, keepdims=True)
    sd = np.where(d.wide, np.exp(params[nf + 1]), np.exp(params[nf]))
    return logw, sd


def mixture_predictive(d: Design, params: FloatArray) -> Predictive:
    """The fitted mixture's predictive distributions (0-100)."""
    logw, sd = _components(d, np.asarray(params, dtype=np.float64))
    return Predictive(d.means, sd, np.exp(logw))


def _nll(params: FloatArray, d: Design, y: FloatArray) -> float:
    logw, sd = _components(d, params)
    z = (y[:, None] - d.means) / sd
    logpdf = -0.5 * z**2 - np.log(sd) - 0.5 * np.log(2 * np.pi)
    return float(-logsumexp(np.where(d.valid, logw + logpdf, -np.inf), axis=1).mean())


def _crps(params: FloatArray, d: Design, y: FloatArray) -> float:
    return float(mixture_predictive(d, params).crps(y).mean())


@dataclass(frozen=True)
class Fit:
    """A fitted mixture: its parameters and the record of how it was fitted."""

    params: FloatArray
    record: Mapping[str, Any]


def fit_mixture(d: Design, y: FloatArray, objective: str = "log_score") -> FloatArray:
    """Fit the mixture's parameters on ``(d, y)`` (0-100 outcomes) by ``objective``.

    The start (log-share weight 1, widths 3 and 25 points) and the bounds (weights within
    +-20, narrow width 0.3-20, wide width 5-100) are judgment; the values are fitted.
    """
    nf = d.features.shape[2]
    x0 = np.zeros(nf + 2)
    x0[FEATURES.index("actor_log_share")] = 1.0
    x0[nf] = np.log(3.0)
    x0[nf + 1] = np.log(25.0)
    bounds = [(-20.0, 20.0)] * nf + [(np.log(0.3), np.log(20.0)), (np.log(5.0), np.log(100.0))]
    fun = _nll if objective == "log_score" else _crps
    res = minimize(fun, x0, args=(d, y), method="L-BFGS-B", bounds=bounds)
    return np.asarray(res.x, dtype=np.float64)


def load_fit() -> Fit:
    """The shipped fit (:data:`FIT_FILE` in ``factions.backtest.fits``)."""
    text = resources.files("factions.backtest.fits").joinpath(FIT_FILE).read_text("utf-8")
    raw = json.loads(text)
    params = np.array([raw["params"][name] for name in FEATURES], dtype=np.float64)
    return Fit(params=params, record=raw)
