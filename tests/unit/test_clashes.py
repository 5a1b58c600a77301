"""Armed clashes as events: the hazard kernel, the ``clashes`` step and its consequences
(issue 10, item 6). The directional tests run a copy of iraq-2008 with the bounded steps,
the clashes step and governorate elections on 500 members sampled as ``factions ensemble``
samples them."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import yaml
from unit_helpers import N, changed, ensemble, idx

from factions.calibration.store import structural
from factions.dynamics.clashes import casualties, clash_hazard, evenness, pair_mask
from factions.dynamics.state import State, initial_state
from factions.ensemble.sampling import (
    coefficient_values,
    draw,
    uncertain_params,
)
from factions.scenario.arrays import to_arrays
from factions.scenario.io import _builtin_text, parse_scenario
from factions.scenario.schema import CLASH_PRIORS, Scenario
from factions.simulate import Trajectory, simulate_batch
from factions.steps import BOUNDED_SEQUENCE, STEPS, Context, Month, Step
from factions.steps.clashes import hazard


def clash_sequence(elections: str = "governorate_elections") -> list[str]:
    seq = [elections if s == "elections" else s for s in BOUNDED_SEQUENCE]
    seq.insert(seq.index("forces") + 1, "clashes")
    return seq


def scenario(steps: list[str] | None = None, **dynamics: Any) -> Scenario:
    data = yaml.safe_load(_builtin_text("iraq-2008"))
    data["dynamics"]["steps"] = steps if steps is not None else clash_sequence()
    data["dynamics"].update(dynamics)
    return parse_scenario(data)


def ever(traj: Trajectory, sc: Scenario, a: str, b: str) -> np.ndarray:
    assert traj.clashes is not None
    return np.asarray(traj.clashes[:, :, idx(sc, a), idx(sc, b)].sum(axis=1) > 0)


# --- the kernel ------------------------------------------------------------------------


def _hazard(
    belief: float = 0.5, tie: float = 0.0, caps: tuple[float, float] = (10.0, 10.0),
    cover: tuple[float, float] = (0.0, 0.0), **coef: float,
) -> float:  # fmt: skip
    c = {"base": 0.02, "suspicion": 1.5, "hostility": 1.0, "balance": 1.5, "cover_weight": 1.0}
    c.update(coef)
    p = clash_hazard(
        np.full((1, 2, 2), belief), np.full((1, 2, 2), tie), np.array([caps]),
        np.array([cover]), np.array([[[False, True], [True, False]]]),
        **{k: np.array([[v]]) for k, v in c.items()},
    )  # fmt: skip
    assert p[0, 0, 1] == p[0, 1, 0]
    return float(p[0, 0, 1])


def test_the_reference_pair_has_the_base_rate() -> None:
    # undecided beliefs, a neutral tie, parity, no cover: lambda = h0
    assert _hazard() == pytest.approx(1 - np.exp(-0.02), rel=1e-12)


def test_the_hazard_rises_with_suspicion_hostility_and_evenness_and_falls_with_cover() -> None:
    assert _hazard(belief=0.3) < _hazard(belief=0.5) < _hazard(belief=0.9)
    assert _hazard(tie=0.5) < _hazard(tie=0.0) < _hazard(tie=-0.8)
    assert _hazard(caps=(10.0, 1.0)) < _hazard(caps=(10.0, 5.0)) < _hazard(caps=(10.0, 10.0))
    assert _hazard(cover=(0.8, 0.0)) < _hazard(cover=(0.3, 0.0)) < _hazard()
    # a coefficient of 0 switches its term off
    assert _hazard(belief=0.9, suspicion=0.0) == pytest.approx(_hazard())
    assert _hazard(caps=(10.0, 1.0), balance=0.0) == pytest.approx(_hazard())


def test_evenness_is_one_at_parity_and_falls_with_the_gap() -> None:
    e = evenness(np.array([[10.0, 10.0, 1.0, 0.0]]))
    assert e[0, 0, 1] == 1.0
    assert e[0, 0, 2] == pytest.approx(40 / 121)
    assert e[0, 0, 3] == 0.0


def test_patrons_clients_and_the_unarmed_cannot_clash() -> None:
    armed = np.array([[10.0, 5.0, 0.0, 3.0]])
    patron = np.zeros((1, 4, 4))
    patron[0, 0, 3] = 0.4  # 0 is 3's patron
    m = pair_mask(armed, patron)[0]
    assert m[0, 1]
    assert m[1, 3]
    assert not m[0, 3]  # bound by patronage
    assert not m[3, 0]
    assert not m[0, 2]  # 2 holds no fighters
    assert not m[2, 1]
    assert not m.diagonal().any()


def test_casualties_fall_harder_on_the_weaker_side() -> None:
    armed = np.array([[10.0, 10.0, 2.0]])
    clash = np.zeros((1, 3, 3))
    clash[0, 0, 1] = clash[0, 1, 0] = 1.0
    lost = casualties(armed, armed, clash, 0.02)
    assert lost[0].tolist() == pytest.approx([0.2, 0.2, 0.0])  # parity: 2 % each
    clash[0, 0, 2] = clash[0, 2, 0] = 1.0
    lost = casualties(armed, armed, clash, 0.02)
    # against the weak actor 2, actor 0 loses 2 x 2/12 %; actor 2 loses 2 x 20/12 %
    assert lost[0, 0] == pytest.approx(0.2 + 0.02 * 10 * 2 * 2 / 12)
    assert lost[0, 2] == pytest.approx(0.02 * 2 * 2 * 10 / 12)


# --- the step ----------------------------------------------------------------------------


def _first_month(sc: Scenario, n: int, seed: int = 0) -> tuple[Month, Month, Context]:
    """Month 1 just before and after the ``clashes`` step, for ``n`` members."""
    seen: list[Month] = []
    ctxs: list[Context] = []

    def spy(month: Month, ctx: Context) -> Month:
        if month.t == 1:
            seen.append(month)
            ctxs.append(ctx)
        return month

    probe = Step("probe", spy, frozenset(), frozenset(), "records")
    seq: list[str | Step] = list(clash_sequence())
    k = seq.index("clashes")
    seq[k + 1 : k + 1] = [probe]
    seq[k:k] = [probe]
    arr = to_arrays(sc)
    state = initial_state(arr, n)
    simulate_batch(sc, "mean", rng=np.random.default_rng(seed), state=state, steps=seq)
    return seen[0], seen[1], ctxs[0]


def test_clashes_occur_at_the_hazard_rate() -> None:
    sc = scenario()
    before, after, ctx = _first_month(sc, 4000)
    p = hazard(before, ctx)
    assert after.clashes is not None
    iu = np.triu_indices(p.shape[1], 1)
    expected = p[:, iu[0], iu[1]].sum(axis=0)
    observed = after.clashes[:, iu[0], iu[1]].sum(axis=0)
    sd = np.sqrt(np.maximum((p * (1 - p))[:, iu[0], iu[1]].sum(axis=0), 1e-12))
    assert expected.sum() > 50  # the check is not vacuous
    assert np.all(np.abs(observed - expected) <= 4 * sd + 1e-9)
    assert np.array_equal(after.clashes, after.clashes.transpose(0, 2, 1))
    assert not after.clashes[p == 0].any()


def test_a_clash_lowers_the_tie_raises_beliefs_and_costs_fighters() -> None:
    sc = scenario(clash_base=1.0)  # a clash in most pairs
    before, after, _ = _first_month(sc, 50)
    assert after.clashes is not None
    hit = after.clashes > 0
    assert hit.sum() > 100
    d = sc.dynamics
    drop = np.clip(before.state.ties - d.clash_tie_drop, -1, 1)
    assert np.allclose(after.state.ties[hit], drop[hit])
    assert np.array_equal(after.state.ties[~hit], before.state.ties[~hit])
    up = after.state.belief[hit] - before.state.belief[hit]
    assert np.all(up > 0)
    assert np.array_equal(after.state.belief[~hit], before.state.belief[~hit])
    k = sc_kind(before, "armed_strength")
    lost = before.state.resources[..., k] - after.state.resources[..., k]
    fought = hit.any(axis=2)
    assert np.all(lost[fought] > 0)
    assert np.all(lost[~fought] == 0)
    # observers see casualties as casualties: the month's baseline falls by the same amount
    assert before.start_armed is not None
    assert after.start_armed is not None
    assert np.allclose(before.start_armed - after.start_armed, lost)


def sc_kind(month: Month, kind: str) -> int:
    return month.state.kinds.index(kind)


def test_the_clashes_step_writes_only_what_it_declares() -> None:
    sc = scenario(clash_base=0.5)
    seen: set[str] = set()
    step = STEPS["clashes"]

    def run(month: Month, ctx: Context) -> Month:
        out = step.run(month, ctx)
        diff = changed(month, out)
        assert diff <= step.writes, diff
        seen.update(diff)
        return out

    seq = [replace(step, run=run) if s == "clashes" else s for s in clash_sequence()]
    simulate_batch(sc, "mean", rng=np.random.default_rng(0), state=initial_state(
        to_arrays(sc), 20), steps=seq)  # fmt: skip
    assert {"state.ties", "state.belief", "resources.armed_strength", "clashes"} <= seen


def test_clashes_are_reproducible_and_drawn_from_the_seed() -> None:
    sc = scenario()
    a, b, c = (ensemble(sc, 100, seed=0), ensemble(sc, 100, seed=0), ensemble(sc, 100, seed=1))
    assert a.clashes is not None
    assert b.clashes is not None
    assert c.clashes is not None
    assert np.array_equal(a.clashes, b.clashes)
    assert not np.array_equal(a.clashes, c.clashes)


def test_without_the_step_no_clash_is_recorded() -> None:
    traj = ensemble(scenario(list(BOUNDED_SEQUENCE)), 5)
    assert traj.clashes is None


def test_ensembles_sample_the_clash_priors_only_with_the_step() -> None:
    names = {s.name for s in structural(scenario())}
    assert set(CLASH_PRIORS) <= names
    sc = scenario(list(BOUNDED_SEQUENCE))
    assert not set(CLASH_PRIORS) & {s.name for s in structural(sc)}
    # a value the scenario sets itself is fixed, not replaced by the prior
    assert "clash_base" not in {s.name for s in structural(scenario(clash_base=0.1))}
    # an ensemble's workers parse the scenario from its JSON, with every field given
    sc = scenario()
    again = parse_scenario(json.loads(sc.model_dump_json()))
    assert {s.name for s in structural(again)} == {s.name for s in structural(sc)}
    params = uncertain_params(scenario(), to_arrays(scenario()))
    drawn = coefficient_values(params, draw(params, N, 0))
    for name, (_, lo, hi) in CLASH_PRIORS.items():
        assert drawn[name].min() >= lo
        assert drawn[name].max() <= hi
        assert drawn[name].std() > 0


# --- directions, on 500 members ----------------------------------------------------------


@pytest.fixture(scope="module")
def base() -> tuple[Scenario, Trajectory]:
    sc = scenario()
    return sc, ensemble(sc)


def test_the_clash_answer_is_neither_certain_nor_impossible(
    base: tuple[Scenario, Trajectory],
) -> None:
    sc, traj = base
    p = (ever(traj, sc, "siic", "dawa") | ever(traj, sc, "siic", "tribes")).mean()
    assert 0.05 < p < 0.95


def test_mutual_suspicion_raises_the_chance_of_a_clash(
    base: tuple[Scenario, Trajectory],
) -> None:
    sc, traj = base

    def suspicious(st: State, sc: Scenario) -> State:
        i, j = idx(sc, "dawa"), idx(sc, "siic")
        belief = st.belief.copy()
        belief[:, i, j] = belief[:, j, i] = 0.95
        return replace(st, belief=belief)

    alt = ensemble(sc, counterfactual=suspicious)
    p0, p1 = ever(traj, sc, "dawa", "siic").mean(), ever(alt, sc, "dawa", "siic").mean()
    assert p1 > p0 + 0.05


def test_the_us_withdrawing_its_cover_raises_the_chance_of_a_dawa_siic_clash(
    base: tuple[Scenario, Trajectory],
) -> None:
    sc, traj = base

    def withdrawn(st: State, sc: Scenario) -> State:
        us, dawa = idx(sc, "us"), idx(sc, "dawa")
        pat = st.patron.copy()
        pat[:, us, dawa] = 0.0
        return replace(st, patron=pat)

    alt = ensemble(sc, counterfactual=withdrawn)
    assert traj.clashes is not None
    assert alt.clashes is not None
    i, j = idx(sc, "dawa"), idx(sc, "siic")
    # paired members, same draws: more clashes in total and at least as many members
    assert alt.clashes[:, :, i, j].sum() > traj.clashes[:, :, i, j].sum()
    assert ever(alt, sc, "dawa", "siic").mean() > ever(traj, sc, "dawa", "siic").mean()


def test_a_single_run_lists_its_clashes_with_dates() -> None:
    from factions.simulate import simulate

    sc = scenario(clash_base=0.5)
    r = simulate(sc, "mean", seed=0)
    out = r.to_json()["clashes"]
    traj = r.trajectory
    assert traj is not None
    assert traj.clashes is not None
    assert len(out) == int(np.triu(traj.clashes[0], 1).sum()) > 0
    first = out[0]
    t = [d.isoformat() for d in traj.dates].index(first["date"])
    assert traj.clashes[0, t, idx(sc, first["pair"][0]), idx(sc, first["pair"][1])] == 1


def test_a_sampled_priors_label_names_it_a_judgment_prior() -> None:
    from factions.labels import input_label

    sc = scenario()
    assert input_label(sc, "dynamics.coefficients.clash_base") == (
        "coefficient clash_base (judgment prior)"
    )
    sc = sc.model_copy(update={"dynamics": sc.dynamics.model_copy(update={"calibration": "arms"})})
    assert input_label(sc, "dynamics.coefficients.fear") == "coefficient fear (arms calibration)"
