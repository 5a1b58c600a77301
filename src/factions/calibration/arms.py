"""``factions calibrate arms``: the Richardson arming of the dynamics fitted on COW spending.

The mechanism (:mod:`factions.dynamics.dilemma`): each month ``i``'s armed strength moves by
``a p C_j - m A_i + g_i``, with ``g_i`` set so that the scenario's start is an equilibrium;
``a`` is ``Dynamics.fear``, ``m`` is ``Dynamics.restraint``. So the deviations
``D = A - A_0`` of two rivals follow ``D_{k+1} = (I + [[-m, a p], [a p, -m]]) D_k`` (one
Euler step a month, as in the simulation), and after ``12 h`` months
``D(h) = (I + A)^{12 h} D(0)``.

Data. Every strategic rivalry of Thompson & Dreyer (2012) in the COW years (1816-): each
year in which both rivals report military expenditure (``milex`` > 0). A state's armament is
its share of the world's military expenditure that year (the sum over reporting states):
shares remove inflation and world growth from COW's current dollars, and because the
mechanism is linear and homogeneous, ``a`` and ``m`` do not depend on the unit in which both
rivals are measured. Each rivalry's baseline ``A_0`` is its first observed year (the
simulation's start; ``baseline="start"``), or, as a named alternative
(``baseline="window"``, ``--baseline window``), the mean of the five years before each
prediction: a moving equilibrium. Assumptions, each written in docs/calibration.md: rivals
in a strategic rivalry hold the belief ``p = 1`` that the other is aggressive, so the
fitted ``a`` is ``fear`` at certainty; a rival's capability ``C_j`` is its spending (no
clients); the rivalry's baseline is its equilibrium.

With ``rho = A_{0,j} / A_{0,i}`` and ``X = A / A_0``, the relative deviations ``u = X - 1``
evolve by ``u_i' = (1 - m) u_i + a rho u_j``; the monthly matrix has eigenvalues
``1 - m +/- a`` and ``M^k = c I + s [[0, rho], [1/rho, 0]]`` with
``c = (l_+^k + l_-^k) / 2``, ``s = (l_+^k - l_-^k) / 2``. The prediction of ``X`` after ``h``
years is ``1 + c u_i + s rho u_j``, kept at least 1 % of the baseline (the simulation keeps
strength >= 0). Observed ``log X`` scatters around the log prediction with Student-t noise
(4 degrees of freedom: wars multiply spending tenfold; a normal likelihood would be fitted
to them), scale ``sigma`` per year.

Fitting: maximum likelihood (``scipy.optimize.minimize``, L-BFGS-B) of ``(a, m, log sigma)``
on the one-year transitions before ``cutoff``; 90 % intervals by the percentile bootstrap
over rivalries (whole rivalries resampled, refitted). Persistence (``a = m = 0``: next year's
share is this year's) gets its own fitted ``sigma``. Held-out transitions (from ``cutoff``
on) are scored one and five years ahead: MAE and median absolute error of ``log`` spending
share, and the mean log predictive density (one year). Races: the model's probability that
both rivals' shares grow over the next three years (from its predictive distribution),
mapped to a probability of a race by a logistic (Platt) fit on the training years, is scored
against the Gibler-Rider-Hutchison races (a rivalry-year is a race year when a GRH race of
the two states covers it) by Brier score and AUC, against the training base rate, on the
held-out years up to 1993 (the end of GRH's coverage).

References
----------
Richardson, L. F. (1960). *Arms and Insecurity*. Boxwood Press.

Singer, J. D., Bremer, S. & Stuckey, J. (1972); Singer, J. D. (1987): the COW National
Material Capabilities data (``milex``).

Thompson, W. R. & Dreyer, D. R. (2012). *Handbook of International Rivalries, 1494-2010*.
CQ Press.

Gibler, D. M., Rider, T. J. & Hutchison, M. L. (2005). Taking arms against a sea of troubles:
conventional arms races during periods of rivalry. *Journal of Peace Research* 42(2),
131-147.

Platt, J. (1999). Probabilistic outputs for support vector machines. In *Advances in Large
Margin Classifiers*, 61-74 (the logistic map of a score to a probability).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import norm, rankdata
from scipy.stats import t as student_t

from factions.calibration.common import (
    Coefficient,
    Fit,
    FloatArray,
    ProgressFn,
    interval,
    no_progress,
)
from factions.calibration.data import DataSet, open_data
from factions.errors import Problem, ScenarioError

__all__ = [
    "BASELINES",
    "NAMES",
    "Panel",
    "auc",
    "build",
    "fit",
    "predict",
    "simulate_panel",
    "with_baseline",
]

NAMES = ("fear", "restraint", "sigma")
#: Degrees of freedom of the Student-t noise.
NU = 4.0
#: Horizons scored, in years; the race window, in years; the end of GRH's coverage.
HORIZONS = (1, 5)
RACE_WINDOW = 3
GRH_END = 1993
FLOOR = 0.01


@dataclass(frozen=True)
class Panel:
    """Rivalry-years: ``R`` rivalries, ``T`` years each (padded), two rivals.

    ``x`` is ``(R, T, 2)``, the shares relative to the baseline (``nan`` where missing);
    ``rho`` ``(R,)`` the baseline ratio ``A_{0,2} / A_{0,1}``; ``race`` ``(R, T)`` whether a
    GRH race covers the year.
    """

    names: tuple[str, ...]
    years: NDArray[np.int64]  # (T,) calendar years of the columns
    x: FloatArray
    rho: FloatArray
    race: NDArray[np.bool_]
    active: NDArray[np.bool_]  # (R, T) the rivalry is on that year
    #: ``(R, T, 2)`` the equilibrium each year's prediction starts from, in the units of
    #: ``x``: ones for ``baseline="start"``; see :func:`with_baseline`.
    base: FloatArray | None = None

    def take(self, rows: NDArray[np.int64]) -> Panel:
        return Panel(
            tuple(self.names[i] for i in rows), self.years, self.x[rows], self.rho[rows],
            self.race[rows], self.active[rows], None if self.base is None else self.base[rows],
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.names)


def _num(s: str) -> float | None:
    try:
        v = float(s)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def build(data: DataSet) -> Panel:
    """The panel of Thompson-Dreyer rivalries in COW years (see the module docstring)."""
    nmc = data["cow_nmc.csv"]
    spend: dict[tuple[int, int], float] = {}
    for c_s, y_s, m_s in zip(nmc["ccode"], nmc["year"], nmc["milex"], strict=True):
        cc, yy, mm = _num(c_s), _num(y_s), _num(m_s)
        if cc is not None and yy is not None and mm is not None and mm > 0:
            spend[int(cc), int(yy)] = mm
    if not spend:
        raise ScenarioError([Problem("--data: cow/cow_nmc.csv", "no positive milex values")])
    world: dict[int, float] = defaultdict(float)
    for (_, yr), amount in spend.items():
        world[yr] += amount
    y0, y1 = min(world), max(world)
    years = np.arange(y0, y1 + 1, dtype=np.int64)
    races: dict[frozenset[int], list[tuple[int, int]]] = defaultdict(list)
    g = data["grh_arms_races.csv"]
    for row in zip(g["ccode1"], g["ccode2"], g["styear"], g["endyear"], strict=True):
        nums = [_num(v) for v in row]
        if all(v is not None for v in nums):
            va, vb, vs, ve = (int(v or 0) for v in nums)
            races[frozenset((va, vb))].append((vs, ve))
    td = data["td_rivalries.csv"]
    names: list[str] = []
    xs: list[FloatArray] = []
    rhos: list[float] = []
    race_rows: list[NDArray[np.bool_]] = []
    active_rows: list[NDArray[np.bool_]] = []
    for i in range(len(td["rivalryno"])):
        fa, fb = _num(td["ccode1"][i]), _num(td["ccode2"][i])
        fs, fe = _num(td["styear"][i]), _num(td["endyear"][i])
        if fa is None or fb is None or fs is None or fe is None:
            continue
        ca, cb = int(fa), int(fb)
        on = (years >= fs) & (years <= fe)
        share = np.full((len(years), 2), np.nan)
        for k, code in enumerate((ca, cb)):
            for t, yv in enumerate(years.tolist()):
                if on[t] and (code, yv) in spend:
                    share[t, k] = spend[code, yv] / world[yv]
        both = ~np.isnan(share).any(axis=1)
        if both.sum() < 3:
            continue
        first = int(np.argmax(both))
        base = share[first]
        names.append(td["rivalryname"][i] or f"{ca}-{cb}")
        xs.append(share / base)
        rhos.append(float(base[1] / base[0]))
        spans = races.get(frozenset((ca, cb)), [])
        race_rows.append(np.array([any(s0 <= y <= s1 for s0, s1 in spans) for y in years]))
        active_rows.append(on)
    return Panel(
        tuple(names), years, np.stack(xs), np.array(rhos), np.stack(race_rows),
        np.stack(active_rows),
    )  # fmt: skip


def predict(a: float, m: float, rho: FloatArray, x: FloatArray, h: int) -> FloatArray:
    """``(..., 2)`` the relative armaments ``h`` years after ``x`` ``(..., 2)`` (``rho`` (...))."""
    k = 12 * h
    lp, lm = (1.0 - m + a) ** k, (1.0 - m - a) ** k
    c, s = (lp + lm) / 2.0, (lp - lm) / 2.0
    u = x - 1.0
    r = np.asarray(rho)
    out = np.stack(
        [1 + c * u[..., 0] + s * r * u[..., 1], 1 + s / r * u[..., 0] + c * u[..., 1]], -1
    )
    return np.asarray(np.maximum(out, FLOOR))


#: The named choices of the equilibrium a prediction reverts to (``baseline`` of :func:`fit`).
BASELINES = ("start", "window")
#: Years averaged by ``baseline="window"``.
WINDOW = 5


def with_baseline(p: Panel, baseline: str) -> Panel:
    """``p`` with the equilibrium of each year set by ``baseline``.

    ``"start"``: the rivalry's first observed year, for every year (the simulation's
    construction: the scenario's date is the equilibrium). ``"window"``: the mean of the
    :data:`WINDOW` years before (a moving equilibrium: deviations from the recent level are
    what the coupling acts on); years without a full window have none.
    """
    if baseline not in BASELINES:
        raise ScenarioError(
            [Problem("--baseline", f"must be one of {', '.join(BASELINES)}, got {baseline!r}")]
        )
    if baseline == "start":
        return replace(p, base=None)
    base = np.full(p.x.shape, np.nan)
    for k in range(WINDOW, p.x.shape[1]):
        base[:, k] = p.x[:, k - WINDOW : k].mean(axis=1)  # nan when any year is missing
    return replace(p, base=base)


def _origin(p: Panel) -> tuple[FloatArray, FloatArray]:
    """``(R, T, 2)`` baselines and ``(R, T)`` effective ratios ``rho b_2 / b_1``."""
    base = np.ones_like(p.x) if p.base is None else p.base
    return base, p.rho[:, None] * base[..., 1] / base[..., 0]


def _pairs(
    p: Panel, h: int, mask: NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int64]]:
    """Transitions ``t -> t + h`` with both ends observed and ``mask[:, t]`` true, in units
    of the baseline at ``t``: (now, later, rho, rivalry index)."""
    base, rho = _origin(p)
    now, later, b0 = p.x[:, :-h], p.x[:, h:], base[:, :-h]
    ok = ~np.isnan(now).any(-1) & ~np.isnan(later).any(-1) & ~np.isnan(b0).any(-1) & mask[:, :-h]
    r, t = np.nonzero(ok)
    return now[r, t] / b0[r, t], later[r, t] / b0[r, t], rho[r, t], r


def _nll(
    theta: FloatArray, now: FloatArray, later: FloatArray, rho: FloatArray, w: FloatArray
) -> float:
    a, m, logs = theta
    resid = np.log(later) - np.log(predict(a, m, rho, now, 1))
    ll = student_t.logpdf(resid / np.exp(logs), NU) - logs
    return -float((w[:, None] * ll).sum() / w.sum())


def _mle(
    now: FloatArray,
    later: FloatArray,
    rho: FloatArray,
    w: FloatArray,
    start: FloatArray,
    free: bool,
) -> FloatArray:
    if not free:
        res = minimize(
            lambda z: _nll(np.array([0.0, 0.0, z[0]]), now, later, rho, w), [start[2]],
            method="L-BFGS-B", bounds=[(-8.0, 3.0)],
        )  # fmt: skip
        return np.array([0.0, 0.0, res.x[0]])
    res = minimize(
        _nll, start, args=(now, later, rho, w), method="L-BFGS-B",
        bounds=[(0.0, 0.2), (0.0, 0.2), (-8.0, 3.0)],
    )  # fmt: skip
    return np.asarray(res.x)


def auc(score: FloatArray, label: NDArray[np.bool_]) -> float | None:
    """Area under the ROC curve (Mann-Whitney), ties counted half; None without both classes."""
    pos, neg = int(label.sum()), int((~label).sum())
    if pos == 0 or neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _race_score(theta: FloatArray, x: FloatArray, rho: FloatArray) -> FloatArray:
    """P(both rivals' shares higher in RACE_WINDOW years), from the predictive distribution."""
    a, m, logs = theta
    mu = np.log(predict(a, m, rho, x, RACE_WINDOW)) - np.log(x)
    sd = np.exp(logs) * np.sqrt(RACE_WINDOW)
    p = norm.cdf(mu / sd)
    return np.asarray(p[..., 0] * p[..., 1])


def _platt(score: FloatArray, label: NDArray[np.bool_]) -> FloatArray:
    z = np.log(np.clip(score, 1e-6, 1 - 1e-6) / (1 - np.clip(score, 1e-6, 1 - 1e-6)))

    def nll(c: FloatArray) -> float:
        q = np.clip(expit(c[0] + c[1] * z), 1e-12, 1 - 1e-12)
        return -float(np.mean(label * np.log(q) + (~label) * np.log(1 - q)))

    return np.asarray(minimize(nll, np.zeros(2), method="L-BFGS-B").x)


def _race_rows(
    p: Panel, mask: NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    base, rho = _origin(p)
    ok = ~np.isnan(p.x).any(-1) & ~np.isnan(base).any(-1) & mask
    r, t = np.nonzero(ok)
    return p.x[r, t] / base[r, t], rho[r, t], p.race[r, t]


def simulate_panel(
    a: float, m: float, sigma: float, rivalries: int, years: int, rng: np.random.Generator
) -> Panel:
    """A panel drawn from the model itself (parameter recovery tests)."""
    rho = np.exp(rng.normal(0.0, 1.0, rivalries))
    x = np.ones((rivalries, years, 2))
    for t in range(1, years):
        mean = predict(a, m, rho, x[:, t - 1], 1)
        x[:, t] = mean * np.exp(sigma * rng.standard_t(NU, size=(rivalries, 2)))
    race = np.zeros((rivalries, years), dtype=bool)
    return Panel(
        tuple(f"r{i}" for i in range(rivalries)), np.arange(1900, 1900 + years, dtype=np.int64),
        x, rho, race, np.ones((rivalries, years), dtype=bool),
    )  # fmt: skip


def _scores(theta: FloatArray, p: Panel, test: NDArray[np.bool_]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    a, m, logs = theta
    for h in HORIZONS:
        now, later, rho, _ = _pairs(p, h, test)
        err = np.abs(np.log(later) - np.log(predict(a, m, rho, now, h)))
        out[f"log_mae_{h}y"] = float(err.mean()) if err.size else None
        out[f"log_median_ae_{h}y"] = float(np.median(err)) if err.size else None
        if h == 1:
            resid = np.log(later) - np.log(predict(a, m, rho, now, 1))
            ll = student_t.logpdf(resid / np.exp(logs), NU) - logs
            out["log_score_1y"] = float(ll.mean()) if ll.size else None
        out[f"transitions_{h}y"] = float(err.size // 2)
    return out


def fit(
    data_dir: Path | None = None,
    *,
    cutoff: int = 1946,
    bootstrap: int = 200,
    seed: int = 0,
    baseline: str = "start",
    progress: ProgressFn = no_progress,
    panel: Panel | None = None,
    files: dict[str, str] | None = None,
) -> Fit:
    """Fit ``fear`` and ``restraint`` on rivalry-years before ``cutoff``; score the rest.

    ``baseline`` names the equilibrium predictions revert to (:func:`with_baseline`).
    """
    t0 = time.perf_counter()
    if panel is None:
        data = open_data("cow", data_dir)
        panel, files = build(data), dict(data.files)
    p = with_baseline(panel, baseline)
    # A training transition t -> t + 1 ends before the cut-off: no held-out year is fitted.
    train_mask = p.active & (p.years + 1 < cutoff)[None, :]
    test_mask = p.active & (p.years >= cutoff)[None, :]
    now, later, rho, rows = _pairs(p, 1, train_mask)
    n_test = int(_pairs(p, 1, test_mask)[0].shape[0])
    if len(now) < 20 or n_test < 1:
        raise ScenarioError(
            [Problem("--cutoff", f"{cutoff} leaves {len(now)} rivalry-years to fit and "
                     f"{n_test} to score; need at least 20 and 1")]
        )  # fmt: skip
    rng = np.random.default_rng(seed)
    total = bootstrap + 2
    start = np.array([0.01, 0.01, np.log(0.2)])
    w1 = np.ones(len(now))
    theta = _mle(now, later, rho, w1, start, True)
    persist = _mle(now, later, rho, w1, start, False)
    progress(2, total)
    boot = np.empty((bootstrap, 3))
    n_riv = len(p)
    for b in range(bootstrap):
        counts = np.bincount(rng.integers(0, n_riv, n_riv), minlength=n_riv).astype(np.float64)
        boot[b] = _mle(now, later, rho, counts[rows], theta, True)
        progress(b + 3, total)
    desc = {
        "fear": ("per month", "Dynamics.fear: arming per unit of the rival's spending (p = 1)"),
        "restraint": ("per month", "Dynamics.restraint: the share of own arms run down a month"),
        "sigma": ("log share per year", "scale of the Student-t noise (4 d.f.) on log spending"),
    }
    coefs: dict[str, Coefficient] = {}
    for i, name in enumerate(NAMES):
        est, dr = theta[i], boot[:, i]
        if name == "sigma":
            est, dr = np.exp(est), np.exp(dr)
        lo, hi = interval(dr)
        unit, text = desc[name]
        maps = name if name in ("fear", "restraint") else None
        coefs[name] = Coefficient(name, float(est), lo, hi, tuple(map(float, dr)), unit, text, maps)
    scores = {"model": _scores(theta, p, test_mask), "baseline": _scores(persist, p, test_mask)}
    # Races: held-out years up to GRH_END, Platt-scaled on the training years.
    race_test = test_mask & (p.years <= GRH_END)[None, :]
    x_tr, rho_tr, y_tr = _race_rows(p, train_mask)
    x_te, rho_te, y_te = _race_rows(p, race_test)
    base = float(y_tr.mean()) if y_tr.size else 0.0
    if y_te.size:
        s_tr, s_te = _race_score(theta, x_tr, rho_tr), _race_score(theta, x_te, rho_te)
        c = _platt(s_tr, y_tr)
        z = np.log(np.clip(s_te, 1e-6, 1 - 1e-6) / (1 - np.clip(s_te, 1e-6, 1 - 1e-6)))
        prob = expit(c[0] + c[1] * z)
        scores["model"].update(
            race_brier=float(np.mean((prob - y_te) ** 2)), race_auc=auc(prob, y_te)
        )
        scores["baseline"].update(
            race_brier=float(np.mean((base - y_te) ** 2)),
            race_auc=auc(np.full(len(y_te), base), y_te),
        )
        scores["model"]["race_years"] = float(y_te.sum())
        scores["baseline"]["race_years"] = float(y_te.sum())
    now_te, later_te, rho_te1, _ = _pairs(p, 1, test_mask)
    pred_te = predict(theta[0], theta[1], rho_te1, now_te, 1)
    plots = {
        "predicted_growth": (np.log(pred_te) - np.log(now_te)).ravel().tolist(),
        "observed_growth": (np.log(later_te) - np.log(now_te)).ravel().tolist(),
    }
    growth = -theta[1] + theta[0]
    return Fit(
        target="arms",
        coefficients=coefs,
        scores=scores,
        split={
            "kind": "cutoff year",
            "cutoff": cutoff,
            "train": f"{len(now)} one-year rivalry transitions ending before {cutoff}",
            "test": f"{n_test} one-year rivalry transitions from {cutoff} on "
            f"(races: up to {GRH_END})",
            "baseline": "persistence: next year's share is this year's (sigma fitted on train); "
            "races: the training base rate",
            "rivalries": len(p),
        },
        data=dict(files or {}),
        method={
            "estimator": "maximum likelihood (scipy.optimize.minimize, L-BFGS-B), "
            f"Student-t noise with {NU:g} d.f. on log spending share",
            "interval": f"90% percentile bootstrap over rivalries, {bootstrap} refits",
            "seed": seed,
            "baseline": baseline,
            "baseline_sigma": float(np.exp(persist[2])),
            "race_base_rate": base,
            "structural_growth_per_month": float(growth),
        },
        plots=plots,
        seconds=time.perf_counter() - t0,
    )
