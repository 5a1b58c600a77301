"""The monthly loop as a declared sequence of steps (issue 10, item 7)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from unit_helpers import checked

from factions.errors import ScenarioError
from factions.scenario.io import load_scenario
from factions.scenario.schema import Scenario
from factions.simulate import simulate_batch
from factions.steps import STANDARD_SEQUENCE, STEPS, Context, Month, Step, resolve
from factions.steps.base import FIELDS


def _judgment(sc: Scenario, **dyn: Any) -> Scenario:
    """iraq-2008 with the judgment fear/restraint (the calibrated fear is ~0, so nobody
    would race) and any other dynamics options."""
    return sc.model_copy(
        update={"dynamics": sc.dynamics.model_copy(update={"calibration": None, **dyn})}
    )


@pytest.fixture(scope="module")
def iraq() -> Scenario:
    """iraq-2008 on the standard sequence (the shipped scenario runs the bounded one,
    tested below), with the judgment fear and restraint."""
    return _judgment(load_scenario("iraq-2008"), steps=list(STANDARD_SEQUENCE))


def test_every_step_writes_only_what_it_declares(iraq: Scenario) -> None:
    seen: dict[str, set[str]] = {}

    steps = [checked(s, seen) for s in resolve(None)]
    simulate_batch(iraq, "eum", rng=np.random.default_rng(0), steps=steps)
    # the check is not vacuous: every standard step changed something over the run
    assert set(seen) == set(STANDARD_SEQUENCE)
    assert all(seen[name] for name in ("capability", "bargaining", "patronage", "security"))
    assert "resources.seats" in seen["elections"]


def test_the_shipped_iraq_steps_write_only_what_they_declare() -> None:
    """The shipped iraq-2008 runs the bounded sequence with coupling after the bargaining
    and elections by governorate (docs/model.md)."""
    from factions.steps import BOUNDED_SEQUENCE

    seq = ["governorate_elections" if s == "elections" else s for s in BOUNDED_SEQUENCE]
    seq.insert(seq.index("bargaining") + 1, "coupling")
    seq.insert(seq.index("forces") + 1, "clashes")
    sc = load_scenario("iraq-2008")
    assert sc.dynamics.steps == seq
    assert (sc.dynamics.budget_issue, sc.dynamics.budget_holder) == ("pm-power", "dawa")
    assert sc.dynamics.protection_issue == "us-security-role"
    seen: dict[str, set[str]] = {}

    simulate_batch(
        sc, "eum", rng=np.random.default_rng(0), steps=[checked(s, seen) for s in resolve(seq)]
    )
    # kydd_beliefs runs but, in this single run, sees no move larger than the observation
    # noise that tells a greedy type from a security seeker (docs/model.md)
    assert "kydd_beliefs" in seen
    for name in ("coupling", "bounded_patronage", "forces", "bounded_alliances", "alignment"):
        assert seen[name], name
    assert {"resources.seats", "resources.money", "councils"} <= seen["governorate_elections"]


def test_declarations_name_known_fields() -> None:
    for step in STEPS.values():
        for name in step.reads | step.writes:
            assert name in FIELDS or name.startswith(("resources.", "state.")), name


def test_the_default_sequence_is_the_standard_one(iraq: Scenario) -> None:
    rng = np.random.default_rng
    unnamed = _judgment(iraq, steps=None)  # no dynamics.steps: the standard sequence
    a = simulate_batch(unnamed, "eum", rng=rng(1))
    b = simulate_batch(unnamed, "eum", rng=rng(1), steps=list(STANDARD_SEQUENCE))
    c = simulate_batch(iraq, "eum", rng=rng(1))
    for t in (b, c):
        assert np.array_equal(a.resources, t.resources)
        assert np.array_equal(a.belief, t.belief)
        assert np.array_equal(a.x, t.x)


def test_a_step_left_out_is_switched_off(iraq: Scenario) -> None:
    seq = [s for s in STANDARD_SEQUENCE if s != "security"]
    traj = simulate_batch(_judgment(iraq, steps=seq), "mean", rng=np.random.default_rng(0))
    # no security step: beliefs never move
    assert np.array_equal(traj.belief[:, -1], traj.belief[:, 0])
    full = simulate_batch(iraq, "mean", rng=np.random.default_rng(0))
    assert not np.array_equal(full.belief[:, -1], full.belief[:, 0])


def test_a_user_step_replaces_a_standard_one(iraq: Scenario) -> None:
    k = 0

    def calm(month: Month, ctx: Context) -> Month:
        nonlocal k
        k += 1
        return month  # a security step in which nobody reads anything as a threat

    mine = Step("calm", calm, frozenset(), frozenset(), "does nothing")
    seq = [mine if s == "security" else s for s in STANDARD_SEQUENCE]
    traj = simulate_batch(iraq, "mean", rng=np.random.default_rng(0), steps=seq)
    assert k == len(traj.dates) - 1
    assert np.array_equal(traj.belief[:, -1], traj.belief[:, 0])


def test_an_unknown_step_is_a_clear_error(iraq: Scenario) -> None:
    with pytest.raises(ScenarioError) as e:
        simulate_batch(_judgment(iraq, steps=["capability", "nonsense"]), "mean")
    assert "dynamics.steps.1" in str(e.value)
    assert "unknown step 'nonsense'" in str(e.value)
