"""Scores of the backtest: point scores, the paired bootstrap, CRPS, PIT, the mixture fit."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
from scipy.stats import norm

from factions.backtest.mixture import FEATURES, Design, fit_mixture, load_fit
from factions.backtest.scores import Predictive, paired_comparison, point_scores


def test_point_scores() -> None:
    s = point_scores(np.array([-3.0, 4.0, 12.0, -30.0]))
    assert s["mae"] == pytest.approx(12.25)
    assert s["rmse"] == pytest.approx(np.sqrt((9 + 16 + 144 + 900) / 4))
    assert s["median_ae"] == pytest.approx(8.0)
    assert (s["within_5"], s["within_10"], s["within_20"]) == (0.5, 0.5, 0.75)


def test_paired_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(0, 20, 100)
    model = base * 0.5
    a = paired_comparison(model, base)
    assert a == paired_comparison(model, base)  # fixed seed
    assert a["ci_low"] < a["mean_diff"] < a["ci_high"] < 0
    assert a["wins"] + a["losses"] + a["ties"] == 100
    same = paired_comparison(base, base)
    assert same["mean_diff"] == 0
    assert same["ties"] == 100


def test_crps_of_atoms_and_of_a_normal() -> None:
    y = np.array([3.0, 50.0])
    point = Predictive(np.array([[10.0], [40.0]]), np.zeros((2, 1)), np.ones((2, 1)))
    np.testing.assert_allclose(point.crps(y), [7.0, 10.0])  # a point's CRPS: |error|
    two = Predictive(np.array([[0.0, 10.0]]), np.zeros((1, 2)), np.full((1, 2), 0.5))
    # E|X - 5| - E|X - X'| / 2 = 5 - 5 / 2.
    assert two.crps(np.array([5.0]))[0] == pytest.approx(2.5)
    # A normal: the closed form of Gneiting & Raftery (2007), eq. 21.
    mu, sd, obs = 20.0, 4.0, 26.0
    z = (obs - mu) / sd
    want = sd * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))
    g = Predictive(np.array([[mu]]), np.array([[sd]]), np.ones((1, 1)))
    assert g.crps(np.array([obs]))[0] == pytest.approx(want, rel=1e-9)
    assert g.log_score(np.array([obs]))[0] == pytest.approx(-norm.logpdf(obs, mu, sd))
    q = g.quantiles((0.05, 0.5, 0.95))[0]
    np.testing.assert_allclose(q, norm.ppf([0.05, 0.5, 0.95], mu, sd), atol=1e-6)
    assert g.pit(np.array([mu]))[0] == pytest.approx(0.5)
    assert point.log_score(y) is None


def test_fit_recovers_a_known_mixture() -> None:
    """Outcomes drawn at candidate 0 (weight 0.8) or candidate 1: the fit finds the weights."""
    rng = np.random.default_rng(1)
    n, nf = 400, len(FEATURES) - 2
    means = rng.uniform(0, 100, (n, 3))
    pick = np.where(rng.random(n) < 0.8, 0, 1)
    y = means[np.arange(n), pick] + rng.normal(0, 2.0, n)
    feats = np.zeros((n, 3, nf))
    feats[:, 0, FEATURES.index("mean")] = 1.0
    feats[:, 1, FEATURES.index("median")] = 1.0
    feats[:, 2, FEATURES.index("wide")] = 1.0
    wide = np.zeros((n, 3), dtype=bool)
    wide[:, 2] = True
    d = Design(means, feats, np.ones((n, 3), dtype=bool), wide)
    p = fit_mixture(d, y)
    logits = p[[FEATURES.index("mean"), FEATURES.index("median"), FEATURES.index("wide")]]
    w = np.exp(logits) / np.exp(logits).sum()
    assert w[0] == pytest.approx(0.8, abs=0.06)
    assert np.exp(p[nf]) == pytest.approx(2.0, rel=0.2)


def test_shipped_fit_records_its_data_and_split() -> None:
    fit = load_fit()
    rec = fit.record
    assert rec["split"] == "train"
    assert rec["data"]["name"] == "deu3-dev.csv"
    digest = "2b965bed489d4f042f38958ed0af8ee111fd3a8d46717f753f6165818d0f1aea"
    assert rec["data"]["sha256"] == digest
    assert rec["fitted_on"] == 140
    assert set(rec["params"]) == set(FEATURES)
    raw = resources.files("factions.backtest.fits").joinpath("mixture-v1.json").read_text()
    assert json.loads(raw)["scores"]["dev"]["n"] == 105


def test_the_fit_sees_train_issues_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """fit_file hands the optimiser the 140 train issues and nothing else."""
    from pathlib import Path

    from factions.backtest import fit as fit_module
    from factions.backtest.cases import load_cases

    seen: list[np.ndarray] = []

    def fake_fit(d: Design, y: np.ndarray, objective: str = "log_score") -> np.ndarray:
        seen.append(y.copy())
        return np.zeros(len(FEATURES))

    monkeypatch.setattr(fit_module, "fit_mixture", fake_fit)
    data = Path(__file__).parents[1] / "data" / "deu3" / "deu3-dev.csv"
    record = fit_module.fit_file(data)
    train = sorted(100 * c.outcome for c in load_cases(data).select("train").cases)
    assert len(seen) == 2  # one fit per objective
    for y in seen:
        np.testing.assert_allclose(sorted(y), train)
    assert record["fitted_on"] == 140
    assert record["chosen_on"] == 105
