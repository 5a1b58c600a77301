"""The contract of the engines with a reference point and masks (nash, procedural, exchange)."""

from __future__ import annotations

import numpy as np
import pytest

from factions.engines import ENGINES
from factions.engines.base import EngineResult
from factions.scenario.io import load_scenario
from factions.simulate import simulate

NAMES = ["nash", "procedural", "exchange"]


def inputs(b: int, n: int = 7, d: int = 3, seed: int = 3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.random((b, n, d))
    s = rng.uniform(0.0, 1.0, (b, n, d))
    c = rng.uniform(1.0, 30.0, (b, n))
    mask = rng.random((b, n, d)) > 0.25
    mask[:, 0] = True
    q = np.where(rng.random((b, d)) > 0.3, rng.random((b, d)), np.nan)
    return x, s, c, mask, q


def call(
    name: str, x: np.ndarray, s: np.ndarray, c: np.ndarray, mask: np.ndarray, q: np.ndarray
) -> EngineResult:
    opts: dict[str, object] = {"mask": mask}
    if name != "exchange":
        opts["reference"] = q
    return ENGINES[name].run(x, s, c, rng=np.random.default_rng(1), **opts)


@pytest.mark.parametrize("name", NAMES)
def test_batch_equals_singles_with_reference_and_mask(name: str) -> None:
    x, s, c, mask, q = inputs(5)
    batch = call(name, x, s, c, mask, q)
    assert np.all((batch.forecast >= 0) & (batch.forecast <= 1))
    for k in range(5):
        single = call(name, x[k : k + 1], s[k : k + 1], c[k : k + 1], mask[k : k + 1], q[k : k + 1])
        np.testing.assert_allclose(batch.forecast[k], single.forecast[0], atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_absent_actors_do_not_count(name: str) -> None:
    x, s, c, mask, q = inputs(2)
    base = call(name, x, s, c, mask, q).forecast
    moved = np.where(mask, x, 1.0 - x)  # change only positions nobody holds
    np.testing.assert_allclose(call(name, moved, s, c, mask, q).forecast, base, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "opts", "message"),
    [
        ("nash", {"utility": "cubic"}, "nash option utility='cubic'"),
        ("nash", {"reference": [2.0, 0, 0]}, "nash option reference"),
        ("nash", {"colour": 1}, "unknown nash option 'colour'"),
        ("procedural", {"procedure": "OLP"}, "procedural option procedure='OLP'"),
        ("procedural", {"qmv_threshold": 0.4}, "qmv_threshold=0.4"),
        ("procedural", {"roles": ["setter"]}, "procedural option roles"),
        ("exchange", {"variant": "best"}, "exchange option variant='best'"),
        ("exchange", {"rounds": 0}, "exchange option rounds=0"),
    ],
)
def test_bad_options_name_themselves(name: str, opts: dict[str, object], message: str) -> None:
    x, s, c, _, _ = inputs(1)
    with pytest.raises(ValueError, match=message):
        ENGINES[name].run(x, s, c, rng=None, **opts)


@pytest.mark.parametrize("name", NAMES)
def test_runs_on_any_scenario(name: str) -> None:
    """No reference point, no roles, no procedure: the documented fallbacks apply."""
    scenario = load_scenario("iraq-2008")
    result = simulate(scenario, name, seed=0)
    assert result.model == name
    assert np.isfinite(result.forecast).all()
    low, high = result.arrays.low, result.arrays.high
    assert np.all((result.forecast >= low - 1e-9) & (result.forecast <= high + 1e-9))


def test_random_exchange_is_seeded() -> None:
    x, s, c, mask, _ = inputs(2)
    run = ENGINES["exchange"].run
    a = run(x, s, c, mask=mask, variant="random", rng=np.random.default_rng(4)).forecast
    b = run(x, s, c, mask=mask, variant="random", rng=np.random.default_rng(4)).forecast
    np.testing.assert_array_equal(a, b)
