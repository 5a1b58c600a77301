"""``factions calibrate elections``: a vote model fitted on ParlGov, scored out of sample.

The model (a Dirichlet regression of vote shares; Katz & King 1999 use the same idea with a
logistic-normal; Dirichlet regression: Hijazi & Jernigan 2009). For election ``e`` with
previous election ``p`` in the same country, the components ``k`` are the parties that polled
at least ``min_share`` (1 %) at ``p`` and stand on their own at ``e`` (the ballot is known
before the vote), plus one ``other`` component (every other party: new ones, small ones, and
those that joined an alliance or stopped standing). The expected share is a multinomial logit

.. math:: \\mu_k \\propto \\exp(\\beta \\log v_{k,p} + \\gamma_{inc} G_k + \\gamma_{pm} M_k
          + \\gamma_{cost} Y_k + \\gamma_{retro} G_k E_e + \\alpha_{other} O_k)

with ``v_{k,p}`` the previous share, ``G_k`` = 1 if ``k`` sat in the cabinet in office at
the election (caretaker cabinets skipped back to the last partisan one), ``M_k`` = 1 if it
held the prime minister, ``Y_k`` the years ``k`` spent in cabinet between ``p`` and ``e``
(the cost of ruling per year of governing: Paldam 1986; Nannestad & Paldam 2002), and
``E_e`` = 1 if ``e`` was an early election (ParlGov's ``early``): the retrospective term, the
extra loss of governing parties whose cabinet broke down before its term. ParlGov has no
economic data, so a retrospective vote on the economy cannot be fitted from it; the early
election is the one verdict on the government's record that the data hold. The ``other``
component has ``G = M = Y = 0`` and an intercept ``alpha_other`` of its own (new parties
enter through it; without it ``beta`` has to fit both the parties and the newcomers).
Observed shares (floored at ``share_floor`` and renormalised: a party that did not stand
polls 0) follow ``Dirichlet(kappa mu)``; ``kappa`` (the concentration) is the noise: the
larger, the closer results stay to ``mu``.

Persistence is the nested model ``beta = 1``, ``gamma = 0``: the same shares as last time,
with its own fitted ``kappa`` (so that its log score is fair).

Fitting, on the elections before ``cutoff``: the mean coefficients by quasi maximum
likelihood (the fractional multinomial logit, ``sum_k y_k log mu_k``; Papke & Wooldridge
1996), maximised with ``scipy.optimize.minimize`` (L-BFGS-B); ``kappa`` by moments at the
fitted mean. (Full Dirichlet maximum likelihood is dominated by the ``log y`` of parties
that polled nearly nothing; quasi-ML fits the mean, which the forecasts use.) 90 %
intervals by the percentile bootstrap over elections (resampling whole elections, refitting
each time). The held-out elections
(from ``cutoff`` on) are scored: MAE of vote shares (percentage points, parties only),
seat MAE after D'Hondt on the national shares (ParlGov does not record electoral systems,
so one rule is assumed for model and baseline alike; percentage points of seats), and the
log score of the largest party (the log of the predicted probability that the party which
came first comes first, by Monte Carlo from the predictive Dirichlet).

References
----------
Döring, H. & Manow, P. ParlGov: Parliaments and governments database. parlgov.org.

Paldam, M. (1986). The distribution of election results and the two explanations of the cost
of ruling. *European Journal of Political Economy* 2(1), 5-24.

Nannestad, P. & Paldam, M. (2002). The cost of ruling. In H. Dorussen & M. Taylor (eds.),
*Economic Voting*, 17-44. Routledge (governments lose about 2-2.5 % of the vote per term).

Katz, J. N. & King, G. (1999). A statistical model for multiparty electoral data. *American
Political Science Review* 93(1), 15-32.

Papke, L. E. & Wooldridge, J. M. (1996). Econometric methods for fractional response
variables. *Journal of Applied Econometrics* 11(6), 619-632.

Mullahy, J. (2015). Multivariate fractional regression estimation of econometric share
models. *Journal of Econometric Methods* 4(1), 71-100.

Hijazi, R. H. & Jernigan, R. W. (2009). Modelling compositional data using Dirichlet
regression models. *Journal of Applied Probability & Statistics* 4(1), 77-91.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import gammaln, log_softmax

from factions.calibration.common import (
    Coefficient,
    Fit,
    FloatArray,
    ProgressFn,
    interval,
    no_progress,
)
from factions.calibration.data import DataSet, open_data
from factions.dynamics.elections import allocate

__all__ = [
    "NAMES",
    "Elections",
    "build",
    "fit",
    "loglik",
    "moment_kappa",
    "predict",
    "quasi_loglik",
    "simulate_shares",
]

#: Coefficient names in the parameter vector's order (log_kappa is reported as kappa).
NAMES = (
    "beta_prev",
    "gamma_incumbent",
    "gamma_pm",
    "gamma_cost",
    "gamma_retro",
    "alpha_other",
    "kappa",
)
COVARIATES = ("gov", "pm", "years", "retro", "other")
P = len(NAMES)


@dataclass(frozen=True)
class Elections:
    """Elections as padded arrays: ``E`` elections, up to ``K`` components each.

    Component 0..K-1 are parties (where ``mask``), the last valid one of each row is
    ``other`` (``is_other``). ``x`` holds the covariates ``(E, K, 5)``: G, M, Y, G*E, and 1
    for ``other``.
    """

    ids: NDArray[np.int64]
    year: NDArray[np.int64]
    country: NDArray[np.int64]
    prev: FloatArray  # (E, K) previous shares, sum 1 over mask
    share: FloatArray  # (E, K) observed shares (floored, renormalised)
    raw: FloatArray  # (E, K) observed shares as recorded (0 if not standing)
    x: FloatArray  # (E, K, 4)
    mask: NDArray[np.bool_]  # (E, K)
    is_other: NDArray[np.bool_]  # (E, K)
    seats: FloatArray  # (E, K) seats won (nan where unknown)
    seats_total: NDArray[np.int64]  # (E,) 0 where unknown

    def take(self, rows: NDArray[np.int64] | NDArray[np.bool_]) -> Elections:
        """The elections at ``rows`` (indices or a boolean mask)."""
        return Elections(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.ids)


def _int(s: str) -> int | None:
    try:
        return int(float(s))
    except ValueError:
        return None


def _float(s: str) -> float | None:
    try:
        v = float(s)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def _date(s: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(s.strip()[:10])
    except ValueError:
        return None


def build(data: DataSet, *, min_share: float = 0.01, share_floor: float = 5e-4) -> Elections:
    """The modelling table from ParlGov's tables (see the module docstring)."""
    code = data["datacore-Code.csv"]
    parl = {
        code["id"][i]
        for i in range(len(code["id"]))
        if code["table_variable"][i] == "election_type" and code["short"][i] == "parliament"
    }
    el = data["elections-Election.csv"]
    elections: dict[int, dict[str, Any]] = {}
    for i in range(len(el["id"])):
        eid, d = _int(el["id"][i]), _date(el["date"][i])
        if eid is None or d is None or el["type"][i] not in parl:
            continue
        elections[eid] = {
            "date": d,
            "country": _int(el["country"][i]) or 0,
            "early": _int(el["early"][i]) == 1,
            "seats_total": _int(el["seats_total"][i]) or 0,
            "prev": _int(el["previous_parliament_election"][i]),
            "cabinet": _int(el["previous_cabinet"][i]),
        }
    res = data["elections-ElectionResult.csv"]
    votes: dict[int, dict[int, float]] = defaultdict(dict)
    seats: dict[int, dict[int, float]] = defaultdict(dict)
    for i in range(len(res["election"])):
        eid, party = _int(res["election"][i]), _int(res["party"][i])
        share = _float(res["vote_share"][i])
        if eid not in elections or party is None or res["alliance"][i].strip():
            continue  # members of an alliance: the alliance's own row counts
        if share is None or share < 0:
            continue
        votes[eid][party] = votes[eid].get(party, 0.0) + share / 100.0
        s = _float(res["seats"][i])
        if s is not None:
            seats[eid][party] = seats[eid].get(party, 0.0) + s

    cab = data["cabinets-Cabinet.csv"]
    cabinets: dict[int, dict[str, Any]] = {}
    for i in range(len(cab["id"])):
        cid, d = _int(cab["id"][i]), _date(cab["start_date"][i])
        if cid is None or d is None:
            continue
        cabinets[cid] = {
            "country": _int(cab["country"][i]) or 0,
            "start": d,
            "caretaker": _int(cab["caretaker"][i]) == 1,
            "prev": _int(cab["previous_cabinet"][i]),
        }
    members: dict[int, dict[int, bool]] = defaultdict(dict)
    cp = data["cabinets-CabinetParty.csv"]
    for i in range(len(cp["cabinet"])):
        cid, party = _int(cp["cabinet"][i]), _int(cp["party"][i])
        if cid is not None and party is not None:
            members[cid][party] = members[cid].get(party, False) or _int(cp["pm"][i]) == 1
    # Each cabinet lasts until the next one in its country starts.
    by_country: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for cid, c in cabinets.items():
        by_country[c["country"]].append((c["start"], cid))
    spans: dict[int, list[tuple[dt.date, dt.date, int]]] = {}
    for country, lst in by_country.items():
        lst.sort()
        spans[country] = [
            (s, lst[k + 1][0] if k + 1 < len(lst) else dt.date(2100, 1, 1), cid)
            for k, (s, cid) in enumerate(lst)
        ]

    rows: list[dict[str, Any]] = []
    for eid, e in sorted(elections.items(), key=lambda kv: (kv[1]["date"], kv[0])):
        p = e["prev"]
        if p not in elections or not votes.get(eid) or not votes.get(p):
            continue
        # The lists on the ballot are known before the vote: a party that polled min_share
        # at p and stands on its own at e is a component; the rest is "other".
        before = {k: v for k, v in votes[p].items() if v >= min_share and k in votes[eid]}
        if len(before) < 2 or sum(before.values()) > 1.0 + 1e-6:
            continue
        after = votes[eid]
        if sum(after.values()) > 1.0 + 1e-6:
            continue
        # The cabinet in office at the election (caretakers skipped).
        cab_at: int | None = e["cabinet"]
        gov: dict[int, bool] = {}
        for _ in range(10):
            if cab_at is None or cab_at not in cabinets:
                break
            if not cabinets[cab_at]["caretaker"]:
                gov = members.get(cab_at, {})
                break
            cab_at = cabinets[cab_at]["prev"]
        # Years each party spent in cabinet between the two elections.
        years: dict[int, float] = defaultdict(float)
        t0, t1 = elections[p]["date"], e["date"]
        for begin, end, cab_id in spans.get(e["country"], []):
            overlap = (min(end, t1) - max(begin, t0)).days
            if overlap > 0 and not cabinets[cab_id]["caretaker"]:
                for party in members.get(cab_id, {}):
                    years[party] += overlap / 365.25
        parties = sorted(before, key=lambda k: -before[k])
        rows.append(
            {
                "id": eid,
                "year": e["date"].year,
                "country": e["country"],
                "prev": [before[k] for k in parties] + [1.0 - sum(before.values())],
                "raw": [after.get(k, 0.0) for k in parties]
                + [max(1.0 - sum(after.get(k, 0.0) for k in parties), 0.0)],
                "gov": [float(k in gov) for k in parties] + [0.0],
                "pm": [float(gov.get(k, False)) for k in parties] + [0.0],
                "years": [years.get(k, 0.0) for k in parties] + [0.0],
                "early": float(e["early"]),
                "seats": [seats.get(eid, {}).get(k, np.nan) for k in parties] + [np.nan],
                "seats_total": e["seats_total"],
            }
        )
    return _pad(rows, share_floor)


def _pad(rows: list[dict[str, Any]], share_floor: float) -> Elections:
    e = len(rows)
    k = max((len(r["prev"]) for r in rows), default=1)
    mask = np.zeros((e, k), dtype=bool)
    other = np.zeros((e, k), dtype=bool)
    prev = np.zeros((e, k))
    raw = np.zeros((e, k))
    x = np.zeros((e, k, 5))
    seats = np.full((e, k), np.nan)
    for i, r in enumerate(rows):
        n = len(r["prev"])
        mask[i, :n] = True
        other[i, n - 1] = True
        prev[i, :n] = r["prev"]
        raw[i, :n] = r["raw"]
        x[i, :n, 0] = r["gov"]
        x[i, :n, 1] = r["pm"]
        x[i, :n, 2] = r["years"]
        x[i, :n, 3] = np.asarray(r["gov"]) * r["early"]
        x[i, n - 1, 4] = 1.0
        seats[i, :n] = r["seats"]
    prev = np.where(mask, np.maximum(prev, share_floor), 0.0)
    prev /= np.maximum(prev.sum(axis=1, keepdims=True), 1e-300)
    share = np.where(mask, np.maximum(raw, share_floor), 0.0)
    share /= np.maximum(share.sum(axis=1, keepdims=True), 1e-300)
    return Elections(
        ids=np.array([r["id"] for r in rows], dtype=np.int64),
        year=np.array([r["year"] for r in rows], dtype=np.int64),
        country=np.array([r["country"] for r in rows], dtype=np.int64),
        prev=prev,
        share=share,
        raw=raw,
        x=x,
        mask=mask,
        is_other=other,
        seats=seats,
        seats_total=np.array([r["seats_total"] for r in rows], dtype=np.int64),
    )


def predict(theta: FloatArray, d: Elections) -> FloatArray:
    """``(E, K)`` expected shares ``mu`` under ``theta`` (β, γ_inc, γ_pm, γ_cost, γ_retro)."""
    eta = theta[0] * np.log(np.where(d.mask, d.prev, 1.0)) + d.x @ theta[1:6]
    eta = np.where(d.mask, eta, -np.inf)
    return np.asarray(np.exp(log_softmax(eta, axis=1)))


def loglik(theta: FloatArray, d: Elections, weights: FloatArray | None = None) -> float:
    """The Dirichlet log likelihood of the (floored) observed shares (``theta[6]`` = log kappa)."""
    kappa = np.exp(theta[6])
    alpha = np.where(d.mask, kappa * np.maximum(predict(theta, d), 1e-300), 1.0)
    per = gammaln(kappa) + np.where(
        d.mask, (alpha - 1.0) * np.log(np.where(d.mask, d.share, 1.0)) - gammaln(alpha), 0.0
    ).sum(axis=1)
    w = np.ones(len(d)) if weights is None else weights
    return float((w * per).sum())


def quasi_loglik(theta: FloatArray, d: Elections, weights: FloatArray | None = None) -> float:
    """The fractional multinomial quasi log likelihood ``sum_k y_k log mu_k`` (Papke &
    Wooldridge 1996; Mullahy 2015): consistent for the mean whatever the noise, and a
    party that polled 0 costs nothing extra (the Dirichlet's ``log y`` would be ``-inf``)."""
    eta = theta[0] * np.log(np.where(d.mask, d.prev, 1.0)) + d.x @ theta[1:6]
    logmu = log_softmax(np.where(d.mask, eta, -np.inf), axis=1)
    per = np.where(d.mask, d.raw * np.where(d.mask, logmu, 0.0), 0.0).sum(axis=1)
    w = np.ones(len(d)) if weights is None else weights
    return float((w * per).sum())


def moment_kappa(mu: FloatArray, d: Elections, weights: FloatArray | None = None) -> float:
    """Dirichlet concentration by moments: ``Var y_k = mu_k (1 - mu_k) / (kappa + 1)``, so
    ``kappa = sum mu (1 - mu) / sum (y - mu)^2 - 1`` over all components."""
    w = (np.ones(len(d)) if weights is None else weights)[:, None]
    num = (w * np.where(d.mask, mu * (1 - mu), 0.0)).sum()
    den = (w * np.where(d.mask, (d.raw - mu) ** 2, 0.0)).sum()
    return float(max(num / max(den, 1e-12) - 1.0, 1.0))


def _mle(
    d: Elections, start: FloatArray, free: NDArray[np.bool_], weights: FloatArray | None = None
) -> FloatArray:
    """Mean coefficients by quasi-ML, then kappa by moments at the fitted mean."""
    out = start.copy()
    idx = np.flatnonzero(free[:6])
    if len(idx):

        def nll(z: FloatArray) -> float:
            theta = start.copy()
            theta[idx] = z
            return -quasi_loglik(theta, d, weights) / len(d)

        res = minimize(nll, start[idx], method="L-BFGS-B", bounds=[(-3.0, 3.0)] * len(idx))
        out[idx] = res.x
    out[6] = np.log(moment_kappa(predict(out, d), d, weights))
    return out


#: Starting point; persistence is (1, 0, 0, 0, 0, log kappa).
START = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 0.0, np.log(100.0)])
ALL = np.ones(P, dtype=bool)
PERSIST = np.array([False] * (P - 1) + [True])


def simulate_shares(
    theta: FloatArray, d: Elections, rng: np.random.Generator, draws: int | None = None
) -> FloatArray:
    """Dirichlet draws of the shares: ``(E, K)``, or ``(E, draws, K)`` when ``draws``."""
    mu = predict(theta, d)
    alpha = np.where(d.mask, np.exp(theta[6]) * np.maximum(mu, 1e-12), 0.0)
    shape = alpha.shape if draws is None else (alpha.shape[0], draws, alpha.shape[1])
    a = alpha if draws is None else np.broadcast_to(alpha[:, None, :], shape)
    g = rng.gamma(np.where(a > 0, a, 1.0), size=shape) * (a > 0)
    return np.asarray(g / np.maximum(g.sum(axis=-1, keepdims=True), 1e-300))


def _seat_mae(shares: FloatArray, d: Elections) -> float | None:
    """Seat MAE (percentage points of seats) after D'Hondt on the national shares."""
    errs: list[FloatArray] = []
    for i in range(len(d)):
        total = int(d.seats_total[i])
        m = d.mask[i]
        observed = d.seats[i, m & ~d.is_other[i]]
        if total < 1 or np.isnan(observed).any():
            continue
        won = allocate(shares[i, m], total, "dhondt")
        party = ~d.is_other[i, m]
        errs.append(np.abs(won[party] - observed) / total * 100.0)
    return float(np.mean(np.concatenate(errs))) if errs else None


def _scores(
    theta: FloatArray, d: Elections, rng: np.random.Generator, draws: int
) -> dict[str, float | None]:
    mu = predict(theta, d)
    party = d.mask & ~d.is_other
    mae = float(np.abs(mu - d.raw)[party].mean() * 100.0)
    sims = simulate_shares(theta, d, rng, draws)  # (E, S, K)
    sims = np.where(party[:, None, :], sims, -1.0)
    winner_sim = sims.argmax(axis=2)  # (E, S)
    winner = np.where(party, d.raw, -1.0).argmax(axis=1)
    counts = (winner_sim == winner[:, None]).sum(axis=1)
    n_party = party.sum(axis=1)
    p = (counts + 0.5) / (draws + 0.5 * n_party)  # Jeffreys-smoothed Monte Carlo frequency
    return {
        "vote_mae_pp": mae,
        "seat_mae_pp": _seat_mae(mu, d),
        "winner_log_score": float(np.mean(np.log(p))),
        "winner_accuracy": float(np.mean(np.where(party, mu, -1.0).argmax(axis=1) == winner)),
    }


def fit(
    data_dir: Path | None = None,
    *,
    cutoff: int = 2000,
    bootstrap: int = 200,
    seed: int = 0,
    draws: int = 2000,
    progress: ProgressFn = no_progress,
    elections: Elections | None = None,
    files: dict[str, str] | None = None,
) -> Fit:
    """Fit the vote model on elections before ``cutoff``; score it on the rest.

    ``elections`` (with ``files``) replaces the ParlGov data (tests: simulated data).
    """
    t0 = time.perf_counter()
    if elections is None:
        data = open_data("parlgov", data_dir)
        elections, files = build(data), dict(data.files)
    d = elections
    train, test = d.take(d.year < cutoff), d.take(d.year >= cutoff)
    if len(train) < 10 or len(test) < 1:
        from factions.errors import Problem, ScenarioError

        raise ScenarioError(
            [Problem("--cutoff", f"{cutoff} leaves {len(train)} elections to fit and "
                     f"{len(test)} to score; need at least 10 and 1")]
        )  # fmt: skip
    rng = np.random.default_rng(seed)
    total = bootstrap + 2
    theta = _mle(train, START, ALL)
    persist = _mle(train, START, PERSIST)
    progress(2, total)
    boot = np.empty((bootstrap, P))
    n = len(train)
    for b in range(bootstrap):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        boot[b] = _mle(train, theta, ALL, w)
        progress(b + 3, total)
    coefs: dict[str, Coefficient] = {}
    desc = {
        "beta_prev": ("", "elasticity of the expected share in the previous share"),
        "gamma_incumbent": ("log-odds", "in the cabinet at the election"),
        "gamma_pm": ("log-odds", "held the prime minister (on top of incumbent)"),
        "gamma_cost": ("log-odds per year", "per year in cabinet since the last election"),
        "gamma_retro": ("log-odds", "incumbent at an early election (cabinet broke down)"),
        "alpha_other": ("log-odds", "intercept of 'other' (new and small parties)"),
        "kappa": ("", "Dirichlet concentration of the shares (noise: larger is less)"),
    }
    for i, name in enumerate(NAMES):
        est, draws_i = theta[i], boot[:, i]
        if name == "kappa":
            est, draws_i = np.exp(est), np.exp(draws_i)
        lo, hi = interval(draws_i)
        unit, text = desc[name]
        coefs[name] = Coefficient(name, float(est), lo, hi, tuple(map(float, draws_i)), unit, text)
    srng = np.random.default_rng([seed, 1])
    scores = {
        "model": _scores(theta, test, srng, draws),
        "baseline": _scores(persist, test, srng, draws),
    }
    mu_test = predict(theta, test)
    party = test.mask & ~test.is_other
    plots = {
        "predicted_change_pp": ((mu_test - test.prev)[party] * 100).tolist(),
        "observed_change_pp": ((test.raw - test.prev)[party] * 100).tolist(),
        "incumbent": (test.x[..., 0][party] > 0).tolist(),
    }
    # Percentage points at a typical party: d mu = mu (1 - mu) gamma (30 % party).
    derived = {
        f"{k}_pp_at_30pct": 0.3 * 0.7 * coefs[k].estimate * 100.0
        for k in ("gamma_incumbent", "gamma_pm", "gamma_cost", "gamma_retro")
    }
    return Fit(
        target="elections",
        coefficients=coefs,
        scores=scores,
        split={
            "kind": "cutoff year",
            "cutoff": cutoff,
            "train": f"{len(train)} elections before {cutoff}",
            "test": f"{len(test)} elections from {cutoff} on",
            "baseline": "persistence: the previous shares, Dirichlet noise fitted on train",
        },
        data=dict(files or {}),
        method={
            "estimator": (
                "quasi maximum likelihood, fractional multinomial logit "
                "(scipy.optimize.minimize, L-BFGS-B); kappa by moments"
            ),
            "interval": f"90% percentile bootstrap over elections, {bootstrap} refits",
            "seed": seed,
            "monte_carlo_draws": draws,
            "baseline_kappa": float(np.exp(persist[6])),
            "derived": derived,
        },
        plots=plots,
        seconds=time.perf_counter() - t0,
    )
