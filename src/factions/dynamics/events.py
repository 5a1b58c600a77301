"""Events: dated changes to any parameter, and scheduled elections.

An event falls due in the first month whose date is on or after the event's date (the
loop's step ``t`` covers the month ending at its date). Its changes apply in the order
written, to every ensemble member, with each member's own value of an uncertain quantity:

- ``resource``: the actor's amount of a resource (kept between 0 and ``MAX_MAGNITUDE``);
- ``tie``: the relation tie between two actors (kept in [-1, 1]); if a patron-client link
  joins them, its commitment changes by the same operation (kept in [0, 1]);
- ``salience``: a stance's salience (given on 0-100, kept in [0, 100]);
- ``position``: a stance's position, given on the issue's own scale (kept on the scale).

``set`` replaces, ``add`` adds, ``multiply`` multiplies (positions: on the issue's scale).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from factions.dynamics.state import State
from factions.scenario.arrays import ScenarioArrays
from factions.scenario.schema import MAX_MAGNITUDE, Change, Event, Scenario, Uncertain

__all__ = ["CompiledChange", "apply_changes", "compile_changes", "due_step"]

FloatArray = NDArray[np.float64]
Values = Callable[[float | Uncertain], FloatArray]


@dataclass(frozen=True)
class CompiledChange:
    """One change, resolved to array indices, with a value per ensemble member."""

    event: str
    target: str
    op: str
    i: int
    j: int  # the other actor, the issue, or the resource column; -1 if unused
    value: FloatArray  # (B,)


def due_step(date: dt.date, dates: list[dt.date]) -> int | None:
    """The first step whose date is on or after ``date`` (None: after the horizon)."""
    for t, d in enumerate(dates):
        if t > 0 and d >= date:
            return t
    return None


def compile_changes(
    event: Event, arr: ScenarioArrays, kinds: tuple[str, ...], values: Values
) -> list[CompiledChange]:
    """Resolve an event's changes to indices; ``values`` draws each number per member."""
    a_idx = {a: i for i, a in enumerate(arr.actor_ids)}
    out = []
    for ch in event.changes:
        out.append(
            CompiledChange(
                event=event.id,
                target=ch.target,
                op=ch.op,
                i=a_idx[ch.actor],
                j=_second_index(ch, arr, kinds, a_idx),
                value=values(ch.value),
            )
        )
    return out


def _second_index(
    ch: Change, arr: ScenarioArrays, kinds: tuple[str, ...], a_idx: dict[str, int]
) -> int:
    if ch.target == "tie" and ch.other is not None:
        return a_idx[ch.other]
    if ch.target == "resource" and ch.resource is not None:
        return kinds.index(ch.resource) if ch.resource in kinds else -1
    if ch.issue is not None:
        return arr.issue_ids.index(ch.issue)
    return -1


def _apply(old: FloatArray, op: str, v: FloatArray) -> FloatArray:
    if op == "set":
        return v
    if op == "add":
        return old + v
    return old * v


def apply_changes(state: State, changes: list[CompiledChange], arr: ScenarioArrays) -> State:
    """Apply compiled changes to a state (all members at once), returning a new state."""
    res, ties, patron = state.resources.copy(), state.ties.copy(), state.patron.copy()
    x, s = state.x.copy(), state.s.copy()
    for ch in changes:
        i, j, v = ch.i, ch.j, ch.value
        if ch.target == "resource":
            if j < 0:
                continue
            res[:, i, j] = np.clip(_apply(res[:, i, j], ch.op, v), 0.0, MAX_MAGNITUDE)
        elif ch.target == "tie":
            new = np.clip(_apply(ties[:, i, j], ch.op, v), -1.0, 1.0)
            ties[:, i, j] = ties[:, j, i] = new
            for p, c in ((i, j), (j, i)):
                linked = patron[:, p, c] > 0
                patron[:, p, c] = np.where(
                    linked, np.clip(_apply(patron[:, p, c], ch.op, v), 0.0, 1.0), 0.0
                )
        elif ch.target == "salience":
            s[:, i, j] = np.clip(_apply(100.0 * s[:, i, j], ch.op, v), 0.0, 100.0) / 100.0
        else:  # position, on the issue's own scale
            lo, hi = arr.low[j], arr.high[j]
            old = lo + x[:, i, j] * (hi - lo)
            if ch.op == "add":
                new_pos = old + v
            elif ch.op == "multiply":
                new_pos = old * v
            else:
                new_pos = v
            x[:, i, j] = (np.clip(new_pos, lo, hi) - lo) / (hi - lo)
    return replace(state, resources=res, ties=ties, patron=patron, x=x, s=s)


def due_events(scenario: Scenario, dates: list[dt.date]) -> dict[int, list[Event]]:
    """Events by the step at which they fall due (events after the horizon are dropped)."""
    out: dict[int, list[Event]] = {}
    for ev in sorted(scenario.events, key=lambda e: e.date):
        t = due_step(ev.date, dates)
        if t is not None:
            out.setdefault(t, []).append(ev)
    return out
