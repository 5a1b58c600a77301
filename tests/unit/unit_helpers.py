"""Helpers shared by the tests of the simulation steps (not a test module).

- :func:`ensemble`: members of a scenario sampled as ``factions ensemble`` samples them, with
  an optional counterfactual on every member's initial state (members stay paired);
- :func:`idx`: an actor's index;
- :func:`changed`, :func:`allowed`, :func:`checked`: what a step changed in a month, and a
  wrapper that fails when a step writes a field it does not declare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace

import numpy as np

from factions.dynamics.state import State, initial_state
from factions.ensemble.sampling import (
    apply_params,
    change_values,
    coefficient_values,
    draw,
    uncertain_params,
)
from factions.scenario.arrays import to_arrays
from factions.scenario.schema import Scenario
from factions.simulate import Trajectory, simulate_batch
from factions.steps import Context, Month, Step

N = 500
Counterfactual = Callable[[State, Scenario], State]


def ensemble(
    sc: Scenario,
    n: int = N,
    seed: int = 0,
    counterfactual: Counterfactual | None = None,
    model: str = "mean",
) -> Trajectory:
    """``n`` members of ``sc`` sampled as ``factions ensemble`` samples them; a
    counterfactual changes every member's initial state, so members stay paired."""
    arr = to_arrays(sc)
    params = uncertain_params(sc, arr)
    values = draw(params, n, seed)
    state = initial_state(arr, inputs=apply_params(arr, params, values))
    if counterfactual is not None:
        state = counterfactual(state, sc)
    return simulate_batch(
        sc, model, rng=np.random.default_rng(seed), state=state,
        values=change_values(sc, params, values),
        coefficients=coefficient_values(params, values),
    )  # fmt: skip


def idx(sc: Scenario, actor: str) -> int:
    return [a.id for a in sc.actors].index(actor)


def changed(before: Month, after: Month) -> set[str]:
    """The fields a step changed: ``state.F``, ``resources.KIND`` and the month's own."""
    out: set[str] = set()
    for f in fields(State):
        if f.name in ("kinds", "resources"):
            continue
        if not np.array_equal(getattr(before.state, f.name), getattr(after.state, f.name)):
            out.add(f"state.{f.name}")
    for k, kind in enumerate(before.state.kinds):
        if not np.array_equal(before.state.resources[..., k], after.state.resources[..., k]):
            out.add(f"resources.{kind}")
    for f in fields(Month):
        if f.name in ("state", "t"):
            continue
        a, b = getattr(before, f.name), getattr(after, f.name)
        same = a == b if f.name in ("elections", "councils") else np.array_equal(a, b)
        if not same:
            out.add(f.name)
    return out


def allowed(name: str, writes: frozenset[str]) -> bool:
    if name in writes:
        return True
    if name.startswith("resources.") and "resources.*" in writes:
        return True
    return name.startswith("state.") and "state.*" in writes


def checked(step: Step, seen: dict[str, set[str]]) -> Step:
    """``step``, failing if it writes a field it does not declare; what it changed is
    collected in ``seen[step.name]``."""

    def run(month: Month, ctx: Context) -> Month:
        out = step.run(month, ctx)
        diff = changed(month, out)
        undeclared = {c for c in diff if not allowed(c, step.writes)}
        assert not undeclared, f"step '{step.name}' wrote {undeclared} undeclared"
        seen.setdefault(step.name, set()).update(diff)
        return out

    return replace(step, run=run)
