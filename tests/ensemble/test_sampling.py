"""Uncertain inputs -> members (factions.ensemble.sampling)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from factions import load_scenario
from factions.ensemble.sampling import apply_params, change_values, draw, uncertain_params
from factions.scenario.arrays import to_arrays
from factions.scenario.io import parse_scenario


def test_iraq_inputs_are_found_in_document_order() -> None:
    s = load_scenario("iraq-2008")
    params = uncertain_params(s, to_arrays(s))
    paths = [p.path for p in params]
    assert len(params) > 50
    # The scenario's own inputs in document order, then the structural coefficients of the
    # steps it runs (the bounded, clash and vote-model judgment priors, and the scenario's
    # own judged range for the provincial budgets).
    own = [p for p in paths if not p.startswith("dynamics.")]
    assert paths[len(own) :] == [
        f"dynamics.coefficients.{c}"
        for c in ("prize", "pool_factor", "recruit_rate", "attrition", "greed",
                  "common_threat_rate", "grievance_rate", "clash_base", "clash_suspicion",
                  "clash_hostility", "clash_balance", "clash_cover", "vote_retro",
                  "vote_capability", "joint_list_threshold", "provincial_budget")
    ]  # fmt: skip
    assert own == sorted(own, key=lambda p: (["actors", "stances", "resources", "ties",
                                              "events"].index(p.split(".")[0]),
                                             int(p.split(".")[1])))  # fmt: skip
    assert any(p.target == "change" for p in params)
    assert all(p.low <= p.value <= p.high for p in params)


def test_latin_hypercube_stratifies_every_input() -> None:
    s = load_scenario("iraq-2008")
    params = uncertain_params(s, to_arrays(s))
    n = 40
    v = draw(params, n, seed=3)
    for m, p in enumerate(params):
        if p.dist != "uniform" or p.high <= p.low:
            continue
        u = (v[:, m] - p.low) / (p.high - p.low)
        assert sorted(np.floor(u * n).astype(int).tolist()) == list(range(n))


def test_draws_are_seeded() -> None:
    s = load_scenario("iraq-2008")
    params = uncertain_params(s, to_arrays(s))
    np.testing.assert_array_equal(draw(params, 10, 1), draw(params, 10, 1))
    assert not np.array_equal(draw(params, 10, 1), draw(params, 10, 2))
    for method in ("sobol", "random"):
        assert draw(params, 8, 1, method).shape == (8, len(params))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="runs must be a positive integer"):
        draw(params, 0, 1)
    with pytest.raises(ValueError, match="sampling method"):
        draw(params, 4, 1, "grid")  # type: ignore[arg-type]


def test_triangular_inverse_cdf() -> None:
    s = parse_scenario({
        "metadata": {"id": "t", "title": "T", "date": "2000-01-01"},
        "actors": [{"id": "a", "name": "A", "capability":
                    {"value": 2, "low": 0, "high": 10, "dist": "triangular"}}],
        "issues": [{"id": "x", "name": "X"}],
        "stances": [{"actor": "a", "issue": "x", "position": 5, "salience": 50}],
    })  # fmt: skip
    (p,) = uncertain_params(s, to_arrays(s))
    v = p.from_unit(np.linspace(0, 1, 100001))
    assert v[0] == 0.0
    assert v[-1] == pytest.approx(10.0)
    # The CDF at the mode is (mode - low) / (high - low) = 0.2.
    assert p.from_unit(np.array([0.2]))[0] == pytest.approx(2.0)
    # Empirical CDF against the triangular CDF: F(1) = 1/20, F(3) = 1 - 49/80.
    assert np.mean(v <= 1) == pytest.approx(0.05, abs=1e-4)
    assert np.mean(v <= 3) == pytest.approx(1 - 49 / 80, abs=1e-4)


def test_apply_params_writes_each_target(minimal: dict[str, Any]) -> None:
    minimal["actors"][0]["capability"] = {"value": 60, "low": 50, "high": 70}
    minimal["stances"][0]["position"] = {"value": 2, "low": 1, "high": 3}
    minimal["stances"][1]["salience"] = {"value": 90, "low": 80, "high": 100}
    minimal["ties"] = [{"a": "a", "b": "b", "strength": {"value": 0.1, "low": -0.5, "high": 0.5}}]
    minimal["events"] = [{"id": "e", "date": "2009-01-01", "name": "E", "changes": [
        {"target": "tie", "actor": "a", "other": "b", "value": {"value": 0, "low": -1, "high": 1}}
    ]}]  # fmt: skip
    s = parse_scenario(minimal)
    arr = to_arrays(s)
    params = uncertain_params(s, arr)
    assert [p.target for p in params] == ["capability", "position", "salience", "tie", "change"]
    values = np.array([[55.0, 1.5, 85.0, -0.25, 0.75], [65.0, 2.5, 95.0, 0.25, -0.75]])
    inp = apply_params(arr, params, values)
    assert inp.capability[:, 0].tolist() == [55.0, 65.0]
    assert inp.positions[:, 0, 0].tolist() == [1.5, 2.5]
    assert inp.salience[:, 1, 0].tolist() == pytest.approx([0.85, 0.95])
    assert inp.ties[:, 0, 1].tolist() == inp.ties[:, 1, 0].tolist() == [-0.25, 0.25]
    lookup = change_values(s, params, values)
    assert lookup(s.events[0].changes[0].value).tolist() == [0.75, -0.75]
    assert lookup(3.0).tolist() == [3.0, 3.0]


@pytest.mark.parametrize("method", ["lhs", "sobol", "random"])
def test_a_slice_of_the_design_equals_the_same_rows_of_the_whole(method: str) -> None:
    s = load_scenario("iraq-2008")
    params = uncertain_params(s, to_arrays(s))
    whole = draw(params, 1000, 5, method)  # type: ignore[arg-type]
    for start, size in [(0, 1), (0, 300), (255, 2), (300, 300), (999, 1), (512, 488)]:
        part = draw(params, 1000, 5, method, start=start, size=size)  # type: ignore[arg-type]
        np.testing.assert_array_equal(part, whole[start : start + size])


def test_latin_hypercube_of_a_large_design_is_a_permutation_per_input() -> None:
    from factions.ensemble.sampling import _permute

    for n in (1, 2, 3, 1000, 65_537):
        i = np.arange(n, dtype=np.uint64)
        for dim in (0, 1):
            assert np.array_equal(np.sort(_permute(i, n, 11, dim)), i)
    a, b = _permute(np.arange(1000, dtype=np.uint64), 1000, 11, 0), np.arange(1000)
    assert abs(np.corrcoef(a.astype(float), b)[0, 1]) < 0.1  # not the identity


@pytest.mark.parametrize("n", [1, 2, 7, 500, 20_000, 1_000_000, 12_345])
def test_the_vectorised_permutation_is_the_per_dimension_one(n: int) -> None:
    """``_permute_all`` (every dimension in one pass) equals ``_permute`` column by column,
    bit for bit, cycle-walking included, so Latin hypercube designs did not change."""
    from factions.ensemble.sampling import _permute, _permute_all

    for seed in (0, 3, 2**40 + 3):
        start = max(0, n - 300) // 2
        i = np.arange(start, min(n, start + 300), dtype=np.uint64)
        per_dim = np.stack([_permute(i, n, seed, d) for d in range(23)], axis=1)
        assert np.array_equal(_permute_all(i, n, seed, 23), per_dim)
