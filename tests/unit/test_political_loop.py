"""The political dynamics and the monthly loop that composes them (docs/model.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from factions import load_scenario, simulate
from factions.dynamics import alliances, clientele, dilemma, power
from factions.dynamics.events import apply_changes, compile_changes, due_step
from factions.dynamics.state import initial_state
from factions.dynamics.voting import components, hare_split, hold_election
from factions.scenario.arrays import to_arrays
from factions.scenario.io import parse_scenario
from factions.scenario.schema import Election
from factions.simulate import month_dates, simulate_batch
from factions.steps import STANDARD_SEQUENCE


def iraq(**dynamics: Any) -> Any:
    """iraq-2008 on the standard sequence with the arms calibration, the way it shipped
    before it ran the bounded model: this file tests the standard steps (Richardson,
    stipends, the elections step); tests/unit/test_bounded.py tests the shipped sequence."""
    s = load_scenario("iraq-2008")
    update = {"steps": list(STANDARD_SEQUENCE), "calibration": "arms", **dynamics}
    return s.model_copy(update={"dynamics": s.dynamics.model_copy(update=update)})


# -- power -----------------------------------------------------------------------------
def test_capabilities_and_lending_by_hand() -> None:
    res = np.array([[[10.0, 0.0], [0.0, 20.0]]])  # two actors, kinds (money, armed)
    w = power.weight_matrix(("money", "armed_strength"), {"armed": {"armed_strength": 1.0}})
    c = power.capabilities(res, w)
    assert c[0, :, 2].tolist() == [0.0, 20.0]
    ties = np.array([[[0.0, 0.5], [0.5, 0.0]]])
    lent = power.lend(np.array([[10.0, 20.0]]), ties, 0.25)
    assert lent.tolist() == [[10.0 + 0.25 * 0.5 * 20.0, 20.0 + 0.25 * 0.5 * 10.0]]
    # Rivals lend nothing.
    assert power.lend(np.array([[10.0, 20.0]]), -ties, 0.25).tolist() == [[10.0, 20.0]]


# -- alliances ---------------------------------------------------------------------------
def test_affinity_by_hand() -> None:
    x = np.array([[[0.0, 0.0], [1.0, 0.0]]])
    s = np.array([[[1.0, 1.0], [1.0, 1.0]]])
    aff, joint = alliances.affinity(x, s)
    assert aff[0, 0, 1] == pytest.approx(0.5)  # far apart on one of two equally salient issues
    assert joint[0, 0, 1] == 2.0


def test_common_enemy_pulls_together_only_while_strong() -> None:
    ties = np.array([[[0, 0, -1], [0, 0, -1], [-1, -1, 0]]], dtype=float)
    strong = alliances.balance_pull(ties, np.array([[1.0, 1.0, 10.0]]))
    crushed = alliances.balance_pull(ties, np.array([[1.0, 1.0, 0.0]]))
    assert strong[0, 0, 1] == pytest.approx(1.0)  # (-1)(-1) * 10 / 10
    assert crushed[0, 0, 1] == 0.0


def test_ties_stay_symmetric_and_bounded() -> None:
    rng = np.random.default_rng(1)
    w = rng.uniform(-1, 1, (3, 5, 5))
    w = 0.5 * (w + w.transpose(0, 2, 1))
    new = alliances.update_ties(
        w, rng.random((3, 5, 2)), rng.random((3, 5, 2)), rng.random((3, 5)),
        rng.uniform(-1, 1, (3, 5, 5)), affinity_rate=1.0, balance_rate=1.0, threat_rate=1.0,
    )  # fmt: skip
    np.testing.assert_allclose(new, new.transpose(0, 2, 1))
    assert np.all(np.abs(new) <= 1.0)
    assert np.all(np.diagonal(new, axis1=1, axis2=2) == 0)


# -- security dilemma ----------------------------------------------------------------------
def test_beliefs_rise_on_arming_and_fall_on_disarming() -> None:
    p = np.full((1, 2, 2), 0.5) * (1 - np.eye(2))
    up = dilemma.update_beliefs(p, dilemma.signals(np.array([[10.0, 10.0]]),
                                                   np.array([[10.0, 12.0]]),
                                                   np.zeros((1, 2, 2))), 0.5)  # fmt: skip
    assert up[0, 0, 1] > 0.5  # 0 saw 1 arm
    assert up[0, 1, 0] == pytest.approx(0.5)  # 1 saw no change in 0
    down = dilemma.update_beliefs(p, dilemma.signals(np.array([[10.0, 10.0]]),
                                                     np.array([[10.0, 8.0]]),
                                                     np.zeros((1, 2, 2))), 0.5)  # fmt: skip
    assert down[0, 0, 1] < 0.5


def test_initial_strengths_are_an_equilibrium() -> None:
    armed = np.array([[30.0, 80.0]])
    belief = np.array([[[0.0, 0.6], [0.7, 0.0]]])
    rivals = np.array([[[False, True], [True, False]]])
    kw = {"fear": 0.4, "restraint": 0.3}
    g = dilemma.grievance_for_equilibrium(armed, armed, belief, rivals, **kw)
    same = dilemma.arm(armed, armed, belief, rivals, g, np.array([True, True]), **kw)
    np.testing.assert_allclose(same, armed)
    more = dilemma.arm(armed, armed, belief + 0.2 * (1 - np.eye(2)), rivals, g,
                       np.array([True, True]), **kw)  # fmt: skip
    assert np.all(more > armed)


def test_race_verdict_follows_richardson() -> None:
    # Mutual main rivals: spiral iff a^2 p_ab p_ba > m^2 (Richardson's m n < a b).
    assert dilemma.verdict("a", "b", 0.9, 0.9, True, fear=0.4, restraint=0.3).stable is False
    calm = dilemma.verdict("a", "b", 0.5, 0.5, True, fear=0.4, restraint=0.3)
    assert calm.stable
    assert calm.growth == pytest.approx(-0.3 + 0.4 * 0.5)
    assert (
        "main rival" in dilemma.verdict("a", "b", 0.9, 0.9, False, fear=0.4, restraint=0.3).reason
    )


# -- patronage ------------------------------------------------------------------------------
def test_patronage_pays_loyal_clients_who_recruit() -> None:
    patron = np.array([[[0.0, 0.5], [0.0, 0.0]]])
    ties = np.zeros((1, 2, 2))
    armed, loyal, paid = clientele.patronage_step(
        patron, ties, np.array([[100.0, 0.0]]), np.array([[0.0, 10.0]]), np.array([1.0]),
        spend=0.2, discount=0.9, detection=0.8,
    )  # fmt: skip
    assert loyal[0, 0, 1]
    assert paid[0, 0, 1] == pytest.approx(10.0)
    assert armed[0, 1] == pytest.approx(10.0 + clientele.RECRUIT * 10.0)


def test_rich_rival_buys_the_client_away() -> None:
    patron = np.array([[[0, 0.1, 0], [0, 0, 0], [0, 0, 0]]], dtype=float)
    ties = np.array([[[0, 0, -1], [0, 0, 0], [-1, 0, 0]]], dtype=float)
    _, loyal, paid = clientele.patronage_step(
        patron, ties, np.array([[10.0, 0.0, 1000.0]]), np.zeros((1, 3)), np.array([1.0]),
        spend=0.2, discount=0.5, detection=0.5,
    )  # fmt: skip
    # Offer 200 > d q s / (1 - d) = 0.5 * 0.5 * 0.2 / 0.5 = 0.1: the client defects.
    assert not loyal[0, 0, 1]
    assert paid.sum() == 0


# -- events and elections --------------------------------------------------------------------
def test_events_change_parameters(minimal: dict[str, Any]) -> None:
    minimal["resources"] = [{"actor": "a", "kind": "money", "amount": 10}]
    minimal["ties"] = [{"a": "a", "b": "b", "strength": 0.5}]
    minimal["events"] = [{"id": "e", "date": "2009-01-01", "name": "E", "changes": [
        {"target": "resource", "actor": "a", "resource": "money", "op": "multiply", "value": 3},
        {"target": "tie", "actor": "b", "other": "a", "op": "add", "value": -0.7},
        {"target": "salience", "actor": "a", "issue": "x", "op": "set", "value": 10},
        {"target": "position", "actor": "b", "issue": "x", "op": "add", "value": 5},
    ]}]  # fmt: skip
    s = parse_scenario(minimal)
    arr = to_arrays(s)
    st = initial_state(arr, 2)
    changes = compile_changes(s.events[0], arr, st.kinds, lambda q: np.full(2, float(q)))  # type: ignore[arg-type]
    new = apply_changes(st, changes, arr)
    assert new.col("money")[:, 0].tolist() == [30.0, 30.0]
    assert new.ties[0, 0, 1] == new.ties[0, 1, 0] == pytest.approx(-0.2)
    assert new.s[0, 0, 0] == pytest.approx(0.1)
    assert new.x[0, 1, 0] == pytest.approx(1.0)  # 8 + 5 clipped to the scale's top, 10


def test_due_step_and_month_dates() -> None:
    dates = month_dates(dt.date(2008, 10, 15), dt.date(2009, 6, 30))
    assert dates[:3] == [dt.date(2008, 10, 15), dt.date(2008, 11, 15), dt.date(2008, 12, 15)]
    assert dates[-1] == dt.date(2009, 6, 30)
    assert due_step(dt.date(2008, 11, 4), dates) == 1
    assert due_step(dt.date(2009, 1, 31), dates) == 4
    assert due_step(dt.date(2010, 1, 1), dates) is None
    assert month_dates(dt.date(2009, 1, 31), dt.date(2009, 3, 31))[1] == dt.date(2009, 2, 28)


def test_components_and_hare_split() -> None:
    adj = np.zeros((1, 4, 4), dtype=bool)
    adj[0, 1, 3] = adj[0, 3, 1] = True
    assert components(adj).tolist() == [[0, 1, 2, 1]]
    assert hare_split(np.array([[60.0, 30.0, 10.0]]), np.array([10])).tolist() == [[6, 3, 1]]
    assert hare_split(np.array([[50.0, 50.0, 0.0]]), np.array([3])).sum() == 3


def test_joint_lists_pool_votes() -> None:
    election = Election(body="council", rule="dhondt", seats=10)
    ties = np.array([[[0, 0.9, 0], [0.9, 0, 0], [0, 0, 0]]], dtype=float)
    votes = np.array([[30.0, 25.0, 45.0]])
    joint = hold_election("e", election, ("a", "b", "c"), votes, ties, np.ones(3, bool),
                          joint_threshold=0.5)  # fmt: skip
    apart = hold_election("e", election, ("a", "b", "c"), votes, ties, np.ones(3, bool),
                          joint_threshold=0.95)  # fmt: skip
    assert joint.lists[0].tolist() == [0, 0, 2]
    assert joint.seats[0].sum() == apart.seats[0].sum() == 10
    # D'Hondt rewards the larger joint list: a + b win 6 together, 5 apart.
    assert joint.seats[0, 0, :2].sum() == 6
    assert apart.seats[0, 0, :2].sum() == 5


# -- the loop -----------------------------------------------------------------------------------
def test_iraq_run_is_monthly_and_deterministic() -> None:
    a, b = simulate(iraq(), seed=1), simulate(iraq(), seed=1)
    assert a.to_json() == b.to_json()
    assert a.dates is not None
    assert a.dates[0] == dt.date(2008, 10, 15)
    assert a.dates[-1] == dt.date(2009, 6, 30)
    assert a.steps == len(a.dates) - 1


def test_us_election_event_cuts_patron_support_in_its_month() -> None:
    r = simulate(iraq())
    traj = r.trajectory
    assert traj is not None
    dawa, k = r.arrays.actor_ids.index("dawa"), traj.kinds.index("patron_support")
    support = traj.resources[0, :, dawa, k]
    assert support[0] == 70.0  # before the US election (2008-11-04, due at step 1)
    assert support[1] == pytest.approx(0.85 * support[0])
    assert support[2] == pytest.approx(support[1])


def test_switching_off_the_support_councils_lowers_siic_arming() -> None:
    """The feedback loop lives in the model: same data, patronage off -> the SIIC arms less.

    With the judgment defaults of docs/model.md (fear 0.4, restraint 0.3): the built-in
    arms calibration fits fear = 0, which switches the arming response off (next test).
    """
    on = simulate(iraq(patronage=True, calibration=None))
    off = simulate(iraq(patronage=False, calibration=None))
    assert on.trajectory is not None
    assert off.trajectory is not None
    siic = on.arrays.actor_ids.index("siic")
    k = on.trajectory.kinds.index("armed_strength")
    armed_on = on.trajectory.resources[0, :, siic, k]
    armed_off = off.trajectory.resources[0, :, siic, k]
    assert armed_on[0] == armed_off[0]
    assert armed_on[-1] > armed_off[-1] * 1.2
    assert np.all(armed_on >= armed_off - 1e-9)
    # ... because Da'wa's arming through its tribal clients alarms the SIIC sooner.
    p_on = on.trajectory.belief[0, 3, siic, on.arrays.actor_ids.index("dawa")]
    p_off = off.trajectory.belief[0, 3, siic, on.arrays.actor_ids.index("dawa")]
    assert p_on > p_off


def test_calibrated_iraq_does_not_arm_against_its_rivals() -> None:
    """With the arms calibration (fear ~0.00001, restraint ~0.0003 a month) nobody arms
    measurably in response to a rival: the SIIC's strength stays within 1 % of its start,
    and no race spirals."""
    r = simulate(iraq())
    assert r.trajectory is not None
    siic = r.arrays.actor_ids.index("siic")
    k = r.trajectory.kinds.index("armed_strength")
    armed = r.trajectory.resources[0, :, siic, k]
    assert armed[-1] == pytest.approx(armed[0], rel=0.01)
    assert np.all(r.trajectory.growth[0] < 0)


def test_batch_of_members_equals_single_runs() -> None:
    s = iraq()
    arr = to_arrays(s)
    st = initial_state(arr, 3)
    res = st.resources.copy()
    res[1, :, st.kinds.index("money")] *= 0.5
    res[2, :, st.kinds.index("armed_strength")] *= 1.5
    batch_state = type(st)(st.kinds, st.x, st.s, res, st.ties, st.patron, st.belief)
    batch = simulate_batch(s, "mean", state=batch_state)
    for k in range(3):
        single_state = type(st)(
            st.kinds, st.x[k : k + 1], st.s[k : k + 1], res[k : k + 1], st.ties[k : k + 1],
            st.patron[k : k + 1], st.belief[k : k + 1],
        )  # fmt: skip
        single = simulate_batch(s, "mean", state=single_state)
        np.testing.assert_allclose(batch.resources[k], single.resources[0], atol=1e-12)
        np.testing.assert_allclose(batch.ties[k], single.ties[0], atol=1e-12)


def test_every_engine_runs_the_political_loop() -> None:
    for model in ("mean", "median", "eum"):
        r = simulate(iraq(), model)
        assert r.trajectory is not None
        assert np.all(np.isfinite(r.trajectory.resources))
        assert np.all((r.positions >= 0) & (r.positions <= 100))


def test_check_finite_names_the_first_month_and_passes_huge_finite_values() -> None:
    from factions.errors import ScenarioError
    from factions.simulate import _check_finite

    s = load_scenario("iraq-2008")
    dates = month_dates(dt.date(2008, 1, 1), dt.date(2008, 5, 1))
    a = np.ones((3, len(dates), 2, 2))
    huge = np.full_like(a, 1e308)  # its sum overflows; every value is finite
    _check_finite([a, huge], dates, s)
    for bad in (np.nan, np.inf, -np.inf):
        b = a.copy()
        b[1, 3, 0, 1], b[2, 4, 1, 1] = bad, bad
        with pytest.raises(ScenarioError, match=f"month 3 \\({dates[3].isoformat()}\\)"):
            _check_finite([huge, b], dates, s)


def test_components_equal_the_closure_by_integer_path_counts() -> None:
    rng = np.random.default_rng(4)
    for n in (1, 3, 8, 16):
        adj = rng.random((200, n, n)) < 1.5 / n
        adj = adj | adj.transpose(0, 2, 1)
        reach = adj | np.eye(n, dtype=bool)[None]
        for _ in range(n):  # the closure, one step at a time
            reach = reach | (np.einsum("bij,bjk->bik", reach.astype(int), adj.astype(int)) > 0)
        np.testing.assert_array_equal(components(adj), np.argmax(reach, axis=2))
