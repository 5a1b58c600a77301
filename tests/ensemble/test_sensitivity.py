"""Global sensitivity (PRCC and Sobol)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factions import load_scenario
from factions.ensemble.sensitivity import prcc, run_sensitivity
from factions.scenario.io import parse_scenario


def test_prcc_finds_the_driver() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((400, 3))
    y = 3 * x[:, 0] - 0.5 * x[:, 2] + 0.05 * rng.standard_normal(400)
    r, p = prcc(x, y)
    assert r[0] > 0.95
    assert abs(r[1]) < 0.15
    assert r[2] < -0.5
    assert p[0] < 1e-10
    assert p[1] > 0.001


def test_prcc_constant_columns_are_nan() -> None:
    x = np.column_stack([np.arange(20.0), np.ones(20)])
    r, _ = prcc(x, np.arange(20.0) ** 2)
    assert r[0] == pytest.approx(1.0)
    assert np.isnan(r[1])


def small(minimal: dict[str, Any]) -> Any:
    # The forecast is a weighted mean: position of a drives it, b's capability too.
    minimal["stances"][0]["position"] = {"value": 2, "low": 0, "high": 4}
    minimal["actors"][1]["capability"] = {"value": 40, "low": 30, "high": 50}
    minimal["actors"][0]["capability"] = {"value": 60, "low": 59.9, "high": 60.1}
    minimal["questions"] = [{"id": "v", "text": "Where?", "kind": "value", "series": "issue:x"}]
    return parse_scenario(minimal)


def test_prcc_ranking_on_a_scenario(tmp_path: Path, minimal: dict[str, Any]) -> None:
    res = run_sensitivity(small(minimal), runs=200, seed=1, out=tmp_path)
    rows = res.rankings["v"]
    assert rows[0]["input"] == "stances.0.position"
    assert rows[0]["prcc"] > 0.9
    assert res.members == 200


def test_sobol_through_salib(tmp_path: Path, minimal: dict[str, Any]) -> None:
    res = run_sensitivity(small(minimal), runs=64, seed=1, method="sobol", out=tmp_path)
    rows = res.rankings["v"]
    assert res.members == 64 * (3 + 2)  # Saltelli design without second-order terms
    assert rows[0]["input"] == "stances.0.position"
    assert rows[0]["ST"] > 0.5
    assert rows[-1]["ST"] < 0.05  # a's capability barely varies


def test_iraq_sensitivity_ranks_every_question(tmp_path: Path) -> None:
    res = run_sensitivity(load_scenario("iraq-2008"), runs=120, seed=2, out=tmp_path, top=5)
    assert set(res.rankings) >= {"alliance-breaks", "councils-survive"}
    assert all(len(rows) <= 5 for rows in res.rankings.values())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_prcc_equals_the_regression_version(seed: int) -> None:
    """One matrix inverse gives the same PRCC and p-values as 2 P regressions per output."""
    from factions.ensemble.sensitivity import prcc_by_regression

    rng = np.random.default_rng(seed)
    n, p = 150, 7
    x = rng.random((n, p))
    x[:, 3] = 0.5  # a constant input
    x[:, 4] = np.round(x[:, 4], 1)  # ties
    ys = np.column_stack(
        [
            x[:, 0] - 2 * x[:, 1] ** 3 + 0.3 * rng.standard_normal(n),
            (x[:, 2] + x[:, 4] > 1).astype(float),  # a yes/no answer: heavy ties
            np.full(n, 7.0),  # an answer that never varies
            np.exp(x[:, 5]) + x[:, 6] * x[:, 0],
        ]
    )
    r_all, p_all = prcc(x, ys)
    assert r_all.shape == p_all.shape == (p, ys.shape[1])
    for q in range(ys.shape[1]):
        r_ref, p_ref = prcc_by_regression(x, ys[:, q])
        r_one, _ = prcc(x, ys[:, q])
        np.testing.assert_allclose(r_all[:, q], r_ref, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(r_one, r_ref, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(p_all[:, q], p_ref, rtol=1e-6, atol=1e-14)
    assert np.all(np.isnan(r_all[3]))
    assert np.all(np.isnan(r_all[:, 2]))
