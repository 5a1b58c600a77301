"""The month-by-month story of a political run, in plain language.

Each month lists what happened (events, elections) and what changed notably: a tie that
changes sign or crosses the joint-list threshold, an arms race that turns from stable to
spiralling (or back), a large change in an actor's armed strength, a forecast that moves by
more than five points of its scale. The story is plain text, for the CLI, the report and the
web app alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from factions.simulate import RunResult

__all__ = ["Month", "story"]


@dataclass(frozen=True)
class Month:
    """One month of the story."""

    date: str
    lines: list[str]


def _signed(x: float, digits: int = 2) -> str:
    """``x`` with a sign, never ``-0.00``."""
    v = round(float(x), digits)
    return f"{0.0 if v == 0 else v:+.{digits}f}"


def _moves(a: float, b: float) -> str:
    """``from a to b`` with enough digits that a change shows (never "+0.50 to +0.50")."""
    for digits in (2, 3, 4):
        if _signed(a, digits) != _signed(b, digits):
            break
    return f"from {_signed(a, digits)} to {_signed(b, digits)}"


def story(result: RunResult) -> list[Month]:
    """The story of a political run (an empty list for a bargaining-only run)."""
    traj = result.trajectory
    if traj is None:
        return []
    s = result.scenario
    arr = result.arrays
    ids = arr.actor_ids
    names = {a.id: a.id for a in s.actors}  # ids read shorter than full names in a story
    n = len(ids)
    thr = s.dynamics.joint_list_threshold
    events_by_date = {e.id: e for e in s.events}
    from factions.dynamics.events import due_step

    due: dict[int, list[str]] = {}
    for e in s.events:
        t = due_step(e.date, traj.dates)
        if t is not None:
            due.setdefault(t, []).append(e.id)
    months: list[Month] = []
    for t in range(1, len(traj.dates)):
        lines: list[str] = []
        for eid in due.get(t, []):
            ev = events_by_date[eid]
            lines.append(f"Event: {ev.name} ({ev.date.isoformat()}).")
        for step, el in traj.elections:
            if step != t:
                continue
            seats = el.seats[0].sum(axis=0)
            votes = el.votes[0].sum(axis=0)
            total_v = votes.sum()
            parts = [
                f"{ids[i]} {int(seats[i])} seats ({100 * votes[i] / total_v:.0f}% of the vote)"
                for i in np.argsort(-seats)
                if votes[i] > 0
            ]
            lines.append(f"Election results: {', '.join(parts)}.")
        for i in range(n):
            for j in range(i + 1, n):
                w0, w1 = traj.ties[0, t - 1, i, j], traj.ties[0, t, i, j]
                pair = f"{names[ids[i]]} and {names[ids[j]]}"
                if traj.clashes is not None and traj.clashes[0, t, i, j] > 0:
                    lines.append(
                        f"Armed clash between {pair} (drawn from the month's clash hazard); "
                        f"their tie goes {_moves(w0, w1)}."
                    )
                # Sign changes count for real relationships only (|tie| > 0.1 at some point
                # so far), not for pairs drifting around zero.
                real = np.abs(traj.ties[0, : t + 1, i, j]).max() > 0.1
                if real and w0 >= 0 > w1:
                    lines.append(f"The tie between {pair} turns hostile ({_moves(w0, w1)}).")
                elif real and w0 < 0 <= w1:
                    lines.append(f"The tie between {pair} turns friendly ({_moves(w0, w1)}).")
                if w0 > thr >= w1:
                    lines.append(
                        f"{pair} are no longer close enough for a joint list: their tie falls "
                        f"{_moves(w0, w1)}, to the joint-list threshold {_signed(thr)} or below."
                    )
                g0, g1 = traj.growth[0, t - 1, i, j], traj.growth[0, t, i, j]
                rival = traj.rivals[0, t, i, j]
                armed = (
                    f"armed capability {ids[i]} {traj.capability[0, t, i, 2]:.0f}, "
                    f"{ids[j]} {traj.capability[0, t, j, 2]:.0f}"
                )
                if rival and g0 <= 0 < g1:
                    lines.append(
                        f"The arms race between {pair} starts to spiral: its growth rate turns "
                        f"positive ({_signed(g1, 3)}), each side's arming now feeding the "
                        f"other's ({armed})."
                    )
                elif rival and g0 > 0 >= g1:
                    lines.append(
                        f"The arms race between {pair} stops spiralling: its growth rate turns "
                        f"negative ({_signed(g1, 3)}), so the race no longer feeds on itself, "
                        f"though either side may still be arming ({armed})."
                    )
        for i in range(n):
            a0, a1 = traj.capability[0, t - 1, i, 2], traj.capability[0, t, i, 2]
            if a0 > 0 and abs(a1 - a0) / a0 > 0.1:
                verb = "arms" if a1 > a0 else "disarms"
                lines.append(
                    f"{names[ids[i]]} {verb}: armed capability {a0:.1f} to {a1:.1f} (its "
                    "resources weighted for the armed arena, with allies' help)."
                )
        for j, issue in enumerate(s.issues):
            f0, f1 = traj.forecast[0, t - 1, j], traj.forecast[0, t, j]
            if abs(f1 - f0) > 0.05:
                lo, hi = arr.low[j], arr.high[j]
                lines.append(
                    f"The forecast on {issue.name} moves from {lo + f0 * (hi - lo):.1f} "
                    f"to {lo + f1 * (hi - lo):.1f}."
                )
        months.append(Month(traj.dates[t].isoformat(), lines or ["No notable change."]))
    return months
