"""Bounded forces, budgets, protection and Kydd's updating (issue 10, items 1 and 2).

Directional tests run the shipped iraq-2008 (the bounded steps, with the coupling and
elections by governorate: its ``dynamics.steps``) on ensembles of 500 members that sample
the scenario's inputs and the structural coefficients' priors, the way ``factions
ensemble`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import yaml
from unit_helpers import Counterfactual, N, ensemble, idx

from factions.calibration.store import structural
from factions.dynamics.state import State
from factions.ensemble.sampling import (
    coefficient_values,
    draw,
    uncertain_params,
)
from factions.scenario.arrays import to_arrays
from factions.scenario.io import _builtin_text, parse_scenario
from factions.scenario.schema import BOUNDED_PRIORS, Scenario
from factions.simulate import Trajectory, simulate_batch
from factions.steps import BOUNDED_SEQUENCE, Context, Month, Step
from factions.steps.bounded import lending_shares

Mutate = Callable[[dict[str, Any]], None]


def scenario(*mutations: Mutate, steps: tuple[str, ...] | None = None) -> Scenario:
    """iraq-2008 as shipped (the bounded sequence with coupling and elections by
    governorate), or with ``steps`` in its place."""
    data = yaml.safe_load(_builtin_text("iraq-2008"))
    if steps is not None:
        data["dynamics"]["steps"] = list(steps)
    for m in mutations:
        m(data)
    return parse_scenario(data)


def pools(sc: Scenario, n: int = N, seed: int = 0) -> np.ndarray:
    params = uncertain_params(sc, to_arrays(sc))
    return coefficient_values(params, draw(params, n, seed))["pool_factor"]


def resource(actor: str, kind: str, value: float) -> Counterfactual:
    def cf(st: State, sc: Scenario) -> State:
        who = np.arange(st.x.shape[1]) == idx(sc, actor)
        return st.with_col(kind, np.where(who[None], value, st.col(kind)))

    return cf


def commitment(patron: str, client: str, value: float) -> Counterfactual:
    def cf(st: State, sc: Scenario) -> State:
        p, c = idx(sc, patron), idx(sc, client)
        pat, ties = st.patron.copy(), st.ties.copy()
        pat[:, p, c] = value
        ties[:, p, c] = ties[:, c, p] = value
        return replace(st, patron=pat, ties=ties)

    return cf


def all_ties(value: float) -> Counterfactual:
    def cf(st: State, sc: Scenario) -> State:
        n = st.x.shape[1]
        linked = (st.patron > 0) | (st.patron.transpose(0, 2, 1) > 0)
        ties = np.where(linked, st.ties, value) * (1 - np.eye(n))[None]
        belief = np.clip(0.5 * (1.0 - ties), 0.02, 0.98) * (1.0 - np.eye(n))[None]
        return replace(st, ties=ties, belief=belief)

    return cf


def no_events(d: dict[str, Any]) -> None:
    d["events"] = []
    d["questions"] = []


def no_patronage(d: dict[str, Any]) -> None:
    d["dynamics"]["patronage"] = False


def armed(traj: Trajectory) -> np.ndarray:
    return traj.resources[..., traj.kinds.index("armed_strength")]


@pytest.fixture(scope="module")
def base() -> tuple[Scenario, Trajectory]:
    sc = scenario()
    return sc, ensemble(sc)


def test_the_ensemble_samples_the_structural_priors(base: tuple[Scenario, Trajectory]) -> None:
    sc, _ = base
    names = {s.name for s in structural(sc)}
    assert set(BOUNDED_PRIORS) <= names
    params = uncertain_params(sc, to_arrays(sc))
    values = draw(params, N, 0)
    coef = coefficient_values(params, values)
    for name, (_, low, high) in BOUNDED_PRIORS.items():
        assert low <= coef[name].min() < coef[name].max() <= high
    # the standard sequence does not grow new inputs
    plain = scenario(steps=())
    assert not set(BOUNDED_PRIORS) & {s.name for s in structural(plain)}


def test_us_withdrawing_its_commitment_raises_dawas_threat(
    base: tuple[Scenario, Trajectory],
) -> None:
    sc, traj = base
    alt = ensemble(sc, counterfactual=commitment("us", "dawa", 0.0))
    d = idx(sc, "dawa")
    assert traj.threat is not None
    assert alt.threat is not None
    raised = alt.threat[:, 0, d] > traj.threat[:, 0, d]
    assert raised.mean() > 0.95
    assert alt.threat[:, -1, d].mean() > 1.5 * traj.threat[:, -1, d].mean()


def test_us_troops_95_to_5_raises_arming(base: tuple[Scenario, Trajectory]) -> None:
    sc, traj = base
    alt = ensemble(sc, counterfactual=resource("us", "armed_strength", 5.0))
    iraqi = [idx(sc, a) for a in ("dawa", "siic", "sadrists", "tribes")]
    total, total_alt = armed(traj)[:, -1, iraqi].sum(1), armed(alt)[:, -1, iraqi].sum(1)
    # measured: +2.0 % on average, higher in 75 % of the members (seed 0, the shipped
    # sequence with its random clashes; +3.6 % and 80 % with clash_base 0, +4 % and 84 %
    # before bounded_alliances). The clashes' draws differ between the two worlds, so the
    # paired comparison is noisier than without them: a clear majority is asked for.
    assert total_alt.mean() > 1.01 * total.mean()
    assert (total_alt > total).mean() > 0.7


def test_the_siic_crushed_ends_the_race_and_does_not_rebuild_past_its_pool(
    base: tuple[Scenario, Trajectory],
) -> None:
    sc, traj = base
    alt = ensemble(sc, counterfactual=resource("siic", "armed_strength", 5.0))
    d, s = idx(sc, "dawa"), idx(sc, "siic")
    # Da'wa feels far less threat and keeps fewer fighters than facing an intact SIIC
    assert traj.threat is not None
    assert alt.threat is not None
    assert (alt.threat[:, -1, d] < traj.threat[:, -1, d]).mean() > 0.95
    assert armed(alt)[:, -1, d].mean() < 0.95 * armed(traj)[:, -1, d].mean()
    # the SIIC never exceeds its recruitable pool (pool_factor x its crushed strength)
    pool = pools(sc) * armed(alt)[:, 0, s]
    assert (armed(alt)[:, :, s] <= pool[:, None] + 1e-9).all()


def test_patronage_off_lowers_the_siics_fear(base: tuple[Scenario, Trajectory]) -> None:
    sc, traj = base
    alt = ensemble(scenario(no_patronage))
    s = idx(sc, "siic")
    # measured: 108.1 -> 105.6 on average, lower in 80 % of the members (seed 0)
    assert traj.threat is not None
    assert alt.threat is not None
    assert alt.threat[:, -1, s].mean() < traj.threat[:, -1, s].mean()


def test_all_ties_zero_does_not_make_everyone_arm_harder(
    base: tuple[Scenario, Trajectory],
) -> None:
    sc, traj = base
    alt = ensemble(sc, counterfactual=all_ties(0.0))
    inner = [idx(sc, a) for a in ("dawa", "siic", "sadrists", "tribes")]
    harder = armed(alt)[:, -1, inner].mean(axis=0) > armed(traj)[:, -1, inner].mean(axis=0)
    assert not harder.all()


def sadrists_rearm(d: dict[str, Any]) -> None:
    """A counterfactual event: the Mahdi Army rearms to 90 a fortnight after the start."""
    d["events"].append(
        {
            "id": "sadrists-rearm", "date": "2008-11-01", "name": "The Mahdi Army rearms",
            "kind": "change", "judgment": "a counterfactual for the test",
            "changes": [
                {"target": "resource", "actor": "sadrists", "resource": "armed_strength",
                 "op": "set", "value": 90},
            ],
        }
    )  # fmt: skip


def test_a_strong_sadrist_threat_binds_dawa_and_the_siic(
    base: tuple[Scenario, Trajectory],
) -> None:
    """The Sadrists rearming (an event: ties start from equilibrium, so a threat already
    there at the start is taken as what the scenario's ties reflect) draws Da'wa and the
    SIIC together. Measured (seed 0): +0.134 on their tie at the horizon, higher in 98 % of
    members, mostly through Kydd's updating (each side's arming is explained by the
    Sadrists, so suspicion falls); the common-threat pull alone adds +0.039 (docs/model.md)."""
    sc, traj = base
    alt = ensemble(scenario(sadrists_rearm))
    d, s = idx(sc, "dawa"), idx(sc, "siic")
    gain = alt.ties[:, -1, d, s] - traj.ties[:, -1, d, s]
    assert (gain > 0).mean() > 0.9
    assert gain.mean() > 0.05


def test_with_no_events_and_no_patronage_the_state_stays_where_it_started() -> None:
    """The whole shipped sequence, ties included: ``bounded_alliances`` measures its pulls
    against their values at the start, so a tie moves only when something changes. No
    events, no patronage links and no clashes (random events: ``clash_base`` 0)."""

    def no_clashes(d: dict[str, Any]) -> None:
        # a clash is an event too, drawn at random: none here
        d["dynamics"]["clash_base"] = 0.0

    sc = scenario(no_events, no_clashes)

    def no_links(st: State, sc: Scenario) -> State:
        return replace(st, patron=np.zeros_like(st.patron))

    traj = ensemble(sc, counterfactual=no_links)
    a = armed(traj)
    assert np.allclose(a[:, -1], a[:, 0])
    assert np.allclose(traj.belief[:, -1], traj.belief[:, 0])
    assert np.allclose(traj.ties[:, -1], traj.ties[:, 0])
    assert np.allclose(traj.resources[:, -1], traj.resources[:, 0])
    assert traj.budget is not None
    money = traj.resources[:, 1:, :, traj.kinds.index("money")]
    assert np.allclose(traj.budget, money)
    # the standard alliances step, by contrast, pulls ties towards positional affinity
    # even when nothing happens
    seq = tuple("alliances" if s == "bounded_alliances" else s for s in BOUNDED_SEQUENCE)
    drift = ensemble(scenario(no_events, no_clashes, steps=seq), counterfactual=no_links)
    assert not np.allclose(drift.ties[:, -1], drift.ties[:, 0])


def test_a_ten_year_horizon_stays_bounded() -> None:
    """The fast slice of benchmarks/bench_bounded.py (10,000 members there)."""

    def horizon(d: dict[str, Any]) -> None:
        d["metadata"]["horizon"] = "2018-10-15"

    sc = scenario(horizon)
    n = 1000
    traj = ensemble(sc, n=n, seed=3)
    factor = pools(sc, n, 3)
    a = armed(traj)
    pool = factor[:, None] * a[:, 0]
    # events add to the tribes after the start: their pool is the one they grow into
    assert len(traj.dates) > 120
    assert np.isfinite(a).all()
    over = a[:, -1] > pool + 1e-9
    tribes = idx(sc, "tribes")
    over[:, tribes] = False
    assert not over.any()
    assert traj.budget is not None
    assert (traj.budget >= 0).all()  # exactly: no deficit, not even a rounding one


# --- accounting: one test per resource flow -------------------------------------------


def _one_month(sc: Scenario) -> tuple[Month, Month, Month, Context]:
    """Month 1 before and after ``bounded_patronage``, and after ``forces``."""
    seen: list[Month] = []
    ctxs: list[Context] = []

    def spy(month: Month, ctx: Context) -> Month:
        seen.append(month)
        ctxs.append(ctx)
        return month

    probe = Step("probe", spy, frozenset(), frozenset(), "records")
    seq: list[str | Step] = [
        "capability", "bargaining", probe, "bounded_patronage", probe, "capability", "forces",
        probe,
    ]  # fmt: skip
    simulate_batch(sc, "mean", rng=np.random.default_rng(0), steps=seq)
    return seen[0], seen[1], seen[2], ctxs[0]


def test_stipends_come_out_of_the_patrons_money() -> None:
    sc = scenario()
    before, after, _, _ = _one_month(sc)
    k_money = before.state.kinds.index("money")
    money = before.state.resources[..., k_money]
    paid = after.paid.sum(axis=2)
    assert paid.sum() > 0
    assert (paid <= money + 1e-9).all()
    # the outside power pays no militia stipend: its support is protection
    us = idx(sc, "us")
    assert after.paid[:, us].sum() == 0


def test_recruiting_is_paid_from_what_is_left_and_the_budget_adds_up() -> None:
    sc = scenario()
    before, _, after, ctx = _one_month(sc)
    k_arm, k_money = (before.state.kinds.index(k) for k in ("armed_strength", "money"))
    money = before.state.resources[..., k_money]
    assert after.budget is not None
    assert (after.budget >= 0).all()
    spent = money - after.paid.sum(axis=2) - after.budget
    a0 = before.state.resources[..., k_arm]
    a1 = after.state.resources[..., k_arm]
    recruits = a1 - a0
    # money spent on arming = unit cost x fighters raised beyond attrition's replacement
    # and the stipends' recruits, and never more than was left
    assert (spent >= -1e-9).all()
    assert (spent <= money - after.paid.sum(axis=2) + 1e-9).all()
    assert np.all(spent <= ctx.dynamics.unit_cost * np.maximum(recruits, 0) + 1e-9)


def test_clients_fighters_are_lent_not_copied() -> None:
    sc = scenario()
    before, after, _, _ = _one_month(sc)
    foreign = np.array([a.kind == "foreign_state" for a in sc.actors])
    share = lending_shares(after.state.patron, foreign)
    # each client lends at most all of its fighters, across all its patrons
    assert (share.sum(axis=1) <= 1 + 1e-12).all()
    # the U.S. borrows none of Da'wa's fighters: its clients resource does not move
    k_cl = before.state.kinds.index("clients")
    us = idx(sc, "us")
    assert np.array_equal(after.state.resources[:, us, k_cl], before.state.resources[:, us, k_cl])
    # Da'wa's clients move by exactly its share of what the tribes recruited, and the
    # tribes keep their own fighters
    d, tr = idx(sc, "dawa"), idx(sc, "tribes")
    k_arm = before.state.kinds.index("armed_strength")
    dc = after.state.resources[:, d, k_cl] - before.state.resources[:, d, k_cl]
    da = after.state.resources[:, tr, k_arm] - before.state.resources[:, tr, k_arm]
    assert (da > 0).all()
    assert np.allclose(dc, share[:, d, tr] * da)
    assert np.allclose(after.state.resources[:, d, k_arm], before.state.resources[:, d, k_arm])


def test_an_events_change_to_clients_persists() -> None:
    sc = scenario()
    traj = ensemble(sc, n=8)
    d = idx(sc, "dawa")
    k_cl = traj.kinds.index("clients")
    t = next(i for i, day in enumerate(traj.dates) if str(day) >= "2008-12-01")
    jump = traj.resources[:, t, d, k_cl] - traj.resources[:, t - 1, d, k_cl]
    assert (jump >= 5 - 1e-9).all()  # the battalion adds 5-20 to Da'wa's clients
    # a month later the added clients are still there (they used to be erased)
    later = traj.resources[:, t + 1, d, k_cl] - traj.resources[:, t - 1, d, k_cl]
    assert (later >= 0.8 * jump).all()


# --- the verdict per pair ---------------------------------------------------------------


def test_the_contest_verdict_names_the_deciding_factor() -> None:
    from factions.steps.bounded import contest_race, contest_verdict

    stable, why = contest_verdict("a", "b", np.array([0.1, 0.9, 0.8]))
    assert stable
    assert "decided by prize" in why
    stable, why = contest_verdict("a", "b", np.array([2.0, 0.2, 0.9]))
    assert stable
    assert "decided by protection" in why
    stable, why = contest_verdict("a", "b", np.array([9.0, 1.0, 0.5]))
    assert not stable
    assert why.startswith("escalates")
    assert "decided by prize" in why
    parts = np.array([[[[9.0, 1.0, 0.5], [0.1, 0.9, 0.8]]]])
    race = contest_race(parts)
    assert race[0, 0, 0] > 0 > race[0, 0, 1]


def test_a_bounded_run_reports_the_contest_race_and_its_verdict() -> None:
    from factions.simulate import simulate
    from factions.steps.bounded import contest_race

    sc = scenario()
    run = simulate(sc, "mean", seed=0)
    traj = run.trajectory
    assert traj is not None
    assert traj.race_parts is not None
    d, s = idx(sc, "dawa"), idx(sc, "siic")
    assert traj.growth[0, -1, d, s] == pytest.approx(contest_race(traj.race_parts)[0, d, s])
    verdict = run.to_json()["security"]["dawa|siic"]["verdict"]
    assert "decided by" in verdict
    assert verdict.startswith(("levels off", "escalates"))


# --- alignment as a choice ----------------------------------------------------------------


def test_us_withdrawing_moves_whom_dawa_leans_on_away_from_the_us(
    base: tuple[Scenario, Trajectory],
) -> None:
    """Measured: P(Da'wa leans on the U.S.) at the horizon 0.63 -> 0.04, lower in every
    member (seed 0)."""
    sc, traj = base
    alt = ensemble(sc, counterfactual=commitment("us", "dawa", 0.0))
    d, u = idx(sc, "dawa"), idx(sc, "us")
    assert traj.lean is not None
    assert alt.lean is not None
    assert (alt.lean[:, -1, d, u] < traj.lean[:, -1, d, u]).mean() > 0.95
    assert alt.lean[:, -1, d, u].mean() < 0.5 * traj.lean[:, -1, d, u].mean()


def test_a_threatening_siic_is_leaned_on_less_and_the_us_more(
    base: tuple[Scenario, Trajectory],
) -> None:
    sc, traj = base
    d, s, u = idx(sc, "dawa"), idx(sc, "siic"), idx(sc, "us")

    def suspicious(st: State, sc: Scenario) -> State:
        belief = st.belief.copy()
        belief[:, d, s] = 0.95
        return replace(st, belief=belief)

    alt = ensemble(sc, counterfactual=suspicious)
    assert traj.lean is not None
    assert alt.lean is not None
    assert alt.lean[:, 0, d, s].mean() < traj.lean[:, 0, d, s].mean()
    lower = alt.lean[:, 0, d, s] < traj.lean[:, 0, d, s]
    # measured: lower in 98.6 % of members; P(leans on the U.S.) 0.76 -> 0.85 (seed 0)
    assert lower.mean() > 0.95
    assert alt.lean[:, 0, d, u].mean() > traj.lean[:, 0, d, u].mean()


def test_lean_rows_are_probabilities(base: tuple[Scenario, Trajectory]) -> None:
    _, traj = base
    assert traj.lean is not None
    rows = traj.lean.sum(axis=-1)
    assert (traj.lean >= 0).all()
    assert (rows <= 1 + 1e-9).all()
    n = traj.lean.shape[-1]
    assert np.allclose(traj.lean[..., np.arange(n), np.arange(n)], 0.0)


# --- two-way coupling -----------------------------------------------------------------------


def coupled(d: dict[str, Any]) -> None:
    """The bounded sequence with the coupling and the ``elections`` step (the shipped
    scenario has the same coupling, with elections by governorate)."""
    seq = list(BOUNDED_SEQUENCE)
    seq.insert(seq.index("bargaining") + 1, "coupling")
    d["dynamics"].update(
        steps=seq, budget_issue="pm-power", budget_holder="dawa",
        protection_issue="us-security-role",
    )  # fmt: skip


def test_coupling_moves_protection_with_the_outcome() -> None:
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    def probe(month: Month, ctx: Context) -> Month:
        seen.append((month.state.patron.copy(), month.forecast.copy()))
        return month

    sc = scenario(coupled)
    assert sc.dynamics.steps is not None
    seq: list[str | Step] = list(sc.dynamics.steps)
    seq.insert(seq.index("coupling") + 1, Step("probe", probe, frozenset(), frozenset(), "."))
    seq.insert(0, Step("probe", probe, frozenset(), frozenset(), "."))
    simulate_batch(sc, "eum", rng=np.random.default_rng(0), steps=seq)
    u, d = idx(sc, "us"), idx(sc, "dawa")
    j = list(to_arrays(sc).issue_ids).index("us-security-role")
    # probes come in pairs per month: at its start, and just after its coupling step
    starts, afters = seen[0::2], seen[1::2]
    ratios = [afters[t][1][0, j] / afters[t - 1][1][0, j] for t in range(1, len(afters))]
    t = 1 + int(np.argmax(np.abs(np.log(ratios))))
    assert abs(ratios[t - 1] - 1) > 1e-3  # the engine moved the outcome that month
    (p0, _), (p1, _) = starts[t], afters[t]
    assert p1[0, u, d] == pytest.approx(min(p0[0, u, d] * ratios[t - 1], 1.0))
    assert p1[0, u, d] != pytest.approx(p0[0, u, d])
    # a domestic patron's commitment is not touched
    assert p1[0, d, idx(sc, "tribes")] == p0[0, d, idx(sc, "tribes")]


def test_coupling_moves_the_budget_holders_money_with_the_outcome() -> None:
    sc = scenario(coupled)
    traj = ensemble(sc, n=50, model="eum")
    d = idx(sc, "dawa")
    j, k = list(to_arrays(sc).issue_ids).index("pm-power"), traj.kinds.index("money")
    money = traj.resources[:, :, d, k]
    pm = traj.forecast[:, :, j]
    # no event changes Da'wa's money, so it is proportional to the PM's power throughout
    assert np.allclose(money[:, 1:] / money[:, :1], pm[:, 1:] / pm[:, :1])
    assert not np.allclose(money[:, -1], money[:, 0])


def test_changing_the_engine_changes_an_election_answer() -> None:
    """Measured with 500 members, seed 0: P(Da'wa wins most seats) 96.8 % (mean) against
    89.8 % (eum) with the coupling step."""
    sc = scenario(coupled)

    def dawa_first(traj: Trajectory) -> float:
        _, result = traj.elections[0]
        seats = result.seats.sum(axis=1)
        return float((seats.argmax(axis=1) == idx(sc, "dawa")).mean())

    mean, eum = ensemble(sc, model="mean"), ensemble(sc, model="eum")
    assert dawa_first(mean) - dawa_first(eum) > 0.05


def answers(sc: Scenario, traj: Trajectory) -> dict[str, np.ndarray]:
    """Per member, the code of every question's answer."""
    from factions.forecast import BatchView, evaluate

    view = BatchView(sc, to_arrays(sc), traj.x, traj.forecast[:, -1], traj)
    return {q.id: np.asarray(evaluate(q, view).code, dtype=float) for q in sc.questions}


def breaks(sc: Scenario, traj: Trajectory) -> np.ndarray:
    """Per member: does ``alliance-breaks`` resolve yes (the tie below 0 before the
    provincial elections)?"""
    return answers(sc, traj)["alliance-breaks"]


@pytest.fixture(scope="module")
def engines() -> dict[str, tuple[Scenario, Trajectory]]:
    sc = scenario(coupled)
    return {m: (sc, ensemble(sc, model=m)) for m in ("mean", "eum")}


def test_changing_the_engine_changes_an_alliance_answer(
    engines: dict[str, tuple[Scenario, Trajectory]],
) -> None:
    """The grievance pull of ``bounded_alliances``: eum's outcome departs from the start's
    compromise, and the side it goes against blames the other. Measured (500 members, seed
    0): P(alliance-breaks) 30.6 % with ``mean``, 55.2 % with ``eum``."""
    (sc, mean), (_, eum) = engines["mean"], engines["eum"]
    assert breaks(sc, eum).mean() - breaks(sc, mean).mean() > 0.1
    d, s = idx(sc, "dawa"), idx(sc, "siic")
    assert eum.ties[:, -1, d, s].mean() < mean.ties[:, -1, d, s].mean() - 0.1


def test_changing_the_engine_changes_a_security_series(
    engines: dict[str, tuple[Scenario, Trajectory]],
) -> None:
    """Da'wa's contest threat at the horizon, same members: the eroded Da'wa-SIIC tie weighs
    the SIIC's fighters more (``w = p (1 - max(tie, 0))``). Measured (seed 0): 28.7 with
    ``mean``, 31.9 with ``eum`` (+11 %), higher in 73 % of members."""
    (sc, mean), (_, eum) = engines["mean"], engines["eum"]
    d = idx(sc, "dawa")
    assert mean.threat is not None
    assert eum.threat is not None
    assert eum.threat[:, -1, d].mean() > 1.05 * mean.threat[:, -1, d].mean()
    assert (eum.threat[:, -1, d] > mean.threat[:, -1, d]).mean() > 0.5


@pytest.mark.parametrize("reference", ["compromise", "engine"])
def test_the_grievance_reference_is_a_named_choice(reference: str) -> None:
    """Against the compromise at the start, eum's first outcome is already a loss to one
    side; against eum's own forecast at the start, the first month is an equilibrium."""
    from factions.steps.ties import pulls

    seen: list[float] = []

    def probe(month: Month, ctx: Context) -> Month:
        p = pulls(month, ctx, ctx.extra["reference"], ctx.extra["ideal"])
        seen.append(float(p["grievance"].max()))
        return month

    def ref(d: dict[str, Any]) -> None:
        d["dynamics"]["grievance_reference"] = reference

    sc = scenario(ref)
    assert sc.dynamics.steps is not None
    seq: list[str | Step] = list(sc.dynamics.steps)
    seq.insert(seq.index("bounded_alliances"), Step("probe", probe, frozenset(), frozenset(), "."))
    simulate_batch(sc, "eum", rng=np.random.default_rng(0), steps=seq)
    if reference == "engine":
        assert seen[0] < 1e-9
    else:
        assert seen[0] > 0.05


def governorates(per_seat: float) -> Mutate:
    def m(d: dict[str, Any]) -> None:
        seq = ["governorate_elections" if s == "elections" else s for s in BOUNDED_SEQUENCE]
        d["dynamics"].update(steps=seq, provincial_budget=per_seat)
        # the shipped judged range would be sampled in its place: a fixed value here
        d["dynamics"].get("coefficients", {}).pop("provincial_budget", None)

    return m


def test_governorships_feed_money_once() -> None:
    """Accounting: from the provincial elections' month on, the parties governing each
    council hold its budget (``provincial_budget`` per seat), split by their seats in the
    government; added once, not every month."""
    from factions.steps.governorates import provincial_money

    sc = scenario(governorates(0.05))
    traj = ensemble(sc, n=50)
    ((t, el),) = traj.councils
    money = traj.resources[..., traj.kinds.index("money")]
    jump = money[:, t] - money[:, t - 1]
    expected = provincial_money(((t, el),), 0.05, len(sc.actors))
    assert np.allclose(jump, expected)
    # each governorate's budget goes, whole, to the parties of its government
    formed = el.council.government.any(-1)  # (B, G)
    budgets = 0.05 * np.where(formed, el.seats.sum(-1), 0).sum(-1)
    assert np.allclose(jump.sum(-1), budgets)
    assert budgets.min() > 0
    # only parties in some council's government gain, and only once
    member = np.take_along_axis(
        el.council.government, np.broadcast_to(el.lists[:, None, :], el.seats.shape), axis=2
    ).any(1)
    assert (jump[~member] == 0).all()
    assert np.allclose(money[:, t:], money[:, t : t + 1])
    # off by default: no money moves at the election
    plain = ensemble(scenario(governorates(0.0)), n=50)
    money0 = plain.resources[..., plain.kinds.index("money")]
    assert np.array_equal(money0[:, t], money0[:, t - 1])


def test_a_coupling_issue_that_does_not_exist_is_a_clear_error() -> None:
    from factions.errors import ScenarioError

    def bad(d: dict[str, Any]) -> None:
        coupled(d)
        d["dynamics"]["budget_issue"] = "no-such-issue"

    with pytest.raises(ScenarioError, match=r"dynamics\.budget_issue: unknown issue"):
        simulate_batch(scenario(bad), "mean")


def test_changing_the_engine_changes_the_shipped_answers() -> None:
    """The done-when of issue 10 on the shipped iraq-2008 (elections by governorate, clashes,
    coupling, ``bounded_alliances``), the same 500 members under ``mean`` and ``eum``.
    Measured (seed 0): P(alliance-breaks) 31.0 % -> 54.6 %; P(the SIIC wins fewer seats
    than Da'wa) 1.6 % -> 4.2 % (the election answers differ in 5 % of members); P(an armed
    clash between Badr and Da'wa-aligned forces) 28.6 % -> 33.0 %."""
    sc = scenario()
    mean, eum = answers(sc, ensemble(sc, model="mean")), answers(sc, ensemble(sc, model="eum"))
    # an alliance answer
    assert eum["alliance-breaks"].mean() - mean["alliance-breaks"].mean() > 0.1
    # an election answer
    assert eum["siic-fewer-seats"].mean() - mean["siic-fewer-seats"].mean() > 0.01
    assert (eum["election-gains"] != mean["election-gains"]).mean() > 0.02
    # a security answer
    assert eum["badr-clash"].mean() - mean["badr-clash"].mean() > 0.02
