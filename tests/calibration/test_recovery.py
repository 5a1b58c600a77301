"""Parameter recovery: coefficients drawn into simulated data come back within their
intervals (both targets), small and fast."""

from __future__ import annotations

from typing import Any

import numpy as np

from factions.calibration import arms, elections
from factions.calibration.elections import NAMES, _pad, simulate_shares

TRUE_ELECTIONS = {
    "beta_prev": 0.85,
    "gamma_incumbent": -0.15,
    "gamma_pm": 0.2,
    "gamma_cost": -0.05,
    "gamma_retro": -0.2,
    "alpha_other": 0.3,
    "kappa": 60.0,
}


def _synthetic_elections(n: int, seed: int) -> elections.Elections:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        k = int(rng.integers(3, 9))
        prev = rng.dirichlet(np.full(k + 1, 1.5))
        gov = np.zeros(k + 1)
        gov[rng.choice(k, size=int(rng.integers(1, 3)), replace=False)] = 1.0
        pm = np.zeros(k + 1)
        pm[int(np.flatnonzero(gov)[0])] = 1.0
        years = gov * rng.uniform(0.5, 4.5, k + 1)
        rows.append(
            {
                "id": i, "year": 1950 + i * 70 // n, "country": i % 20, "prev": prev.tolist(),
                "raw": prev.tolist(), "gov": gov.tolist(), "pm": pm.tolist(),
                "years": years.tolist(), "early": float(rng.random() < 0.3),
                "seats": [np.nan] * (k + 1), "seats_total": 0,
            }
        )  # fmt: skip
    d = _pad(rows, 5e-4)
    theta = np.array([TRUE_ELECTIONS[k] for k in NAMES])
    theta[-1] = np.log(theta[-1])
    shares = simulate_shares(theta, d, rng)
    for r, s in zip(rows, shares, strict=True):
        r["raw"] = s[: len(r["prev"])].tolist()
    return _pad(rows, 5e-4)


def test_elections_recovers_known_coefficients() -> None:
    d = _synthetic_elections(400, seed=11)
    fit = elections.fit(elections=d, files={}, cutoff=2010, bootstrap=40, seed=1, draws=200)
    covered = 0
    for name, truth in TRUE_ELECTIONS.items():
        c = fit.coefficients[name]
        sd = float(np.std(c.draws))
        assert abs(c.estimate - truth) <= 3 * sd + 1e-9, (name, c.estimate, truth, sd)
        covered += c.low <= truth <= c.high
    # Seven 90 % intervals: about 6.3 cover on average; fewer than 5 would be a failure.
    assert covered >= 5, covered
    # The fitted model knows the truth better than persistence does, out of sample.
    assert fit.scores["model"]["vote_mae_pp"] < fit.scores["baseline"]["vote_mae_pp"]


def test_arms_recovers_known_coefficients() -> None:
    truth = {"fear": 0.004, "restraint": 0.01, "sigma": 0.12}
    # 40 rivalries of 90 training years: with 30-year series the maximum likelihood
    # restraint is biased upwards by about 10 % (the small-sample bias of an autoregression,
    # Hurwicz 1950), more than the bootstrap interval's width.
    panel = arms.simulate_panel(
        truth["fear"], truth["restraint"], truth["sigma"], 40, 100, np.random.default_rng(5)
    )
    fit = arms.fit(panel=panel, files={}, cutoff=1990, bootstrap=60, seed=2)
    for name, value in truth.items():
        c = fit.coefficients[name]
        assert c.low <= value <= c.high, (name, c.low, c.estimate, c.high, value)
    assert fit.coefficients["fear"].maps_to == "fear"
    assert fit.coefficients["restraint"].maps_to == "restraint"
    assert fit.scores["model"]["log_mae_1y"] < fit.scores["baseline"]["log_mae_1y"]


def test_arms_prediction_matches_monthly_euler_steps() -> None:
    """The closed form (I + A)^(12 h) equals 12 h explicit monthly steps of the dynamics."""
    a, m, rho = 0.02, 0.05, np.array([3.0])
    x = np.array([[1.4, 0.7]])
    u = (x - 1.0)[0].copy()
    mat = np.array([[1 - m, a * rho[0]], [a / rho[0], 1 - m]])
    for _ in range(24):
        u = mat @ u
    np.testing.assert_allclose(arms.predict(a, m, rho, x, 2)[0], 1.0 + u, rtol=1e-12)


def test_auc_matches_definition() -> None:
    score = np.array([0.1, 0.4, 0.35, 0.8])
    label = np.array([False, False, True, True])
    assert arms.auc(score, label) == 0.75
    assert arms.auc(score, np.zeros(4, dtype=bool)) is None
