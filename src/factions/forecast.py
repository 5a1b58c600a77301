"""Answer a scenario's questions from a run, naming the evidence.

Each :class:`~factions.scenario.schema.Question` names a series (``issue:ISSUE``,
``tie:A:B``, ``race:A:B``, ``seats:A:EVENT`` ...). This module looks the series up in a run
and answers: yes/no, a value, a choice, or a date, with the evidence (which series, which
state, which value). A series the run does not produce (a bargaining-only run has no ties or
elections) gives an honest "not answered" with the reason, never a guess.

Semantics: a ``yes_no`` question with ``by`` asks whether the condition holds at any state
up to the deadline (a date, or the step at which an event falls due); without ``by``,
whether it holds at the last state. A ``date`` question asks for the first state's date at
which it holds. ``value`` and ``choice`` read the series at the deadline, or the last state.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from factions.calibration.store import calibrated_dynamics
from factions.dynamics import balance, coalitions, dilemma
from factions.dynamics.events import due_step
from factions.scenario.schema import Question
from factions.steps.bounded import contest_verdict

if TYPE_CHECKING:
    from factions.scenario.arrays import ScenarioArrays
    from factions.scenario.schema import Scenario
    from factions.simulate import RunResult, Trajectory

__all__ = ["Answer", "answer_questions", "series_of", "trajectory_json"]

FloatArray = NDArray[np.float64]

_OPS: dict[str, Callable[[Any, float], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

NOT_MODELLED = (
    "this series comes from the political dynamics (alliances, security, patronage, "
    "elections), which a bargaining-only run does not simulate (give the scenario a horizon)"
)


@dataclass(frozen=True)
class Answer:
    """The answer to one question, with its evidence."""

    question_id: str
    text: str
    kind: str
    answered: bool
    answer: bool | float | str | None
    summary: str
    evidence: str
    undecided: bool | None = None  # None: the question sets no undecided_within

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "id": self.question_id,
            "text": self.text,
            "kind": self.kind,
            "answered": self.answered,
            "answer": self.answer,
            "summary": self.summary,
            "evidence": self.evidence,
        }
        if self.undecided is not None:
            out["undecided"] = self.undecided
        return out


@dataclass(frozen=True)
class BatchView:
    """What the question machinery reads from a run of ``B`` members.

    ``positions`` ``(B, T + 1, n, D)`` and ``forecast`` ``(B, D)`` are on the issues' own
    scales; ``trajectory`` is present for political runs.
    """

    scenario: Scenario
    arrays: ScenarioArrays
    positions: FloatArray
    forecast: FloatArray
    trajectory: Trajectory | None

    @property
    def dates(self) -> list[dt.date] | None:
        return self.trajectory.dates if self.trajectory is not None else None

    @classmethod
    def of(cls, result: RunResult) -> BatchView:
        return cls(
            result.scenario, result.arrays, result.positions[None], result.forecast[None],
            result.trajectory,
        )  # fmt: skip


def series_batch(view: BatchView, series: str) -> FloatArray | None:
    """``(B, S)``: ``series`` at each state of every member (NaN where undefined), or None.

    A bargaining-only run gives an issue forecast for its final state only (``S = 1``).
    Election series (``seats``, ``votes``) are NaN before the election and hold its result
    from the step at which it falls due.
    """
    kind, _, rest = series.partition(":")
    parts = rest.split(":")
    arr = view.arrays
    traj = view.trajectory
    a = {x: i for i, x in enumerate(arr.actor_ids)}
    if kind == "issue":
        j = arr.issue_ids.index(parts[0])
        if traj is None:
            return np.asarray(view.forecast[:, j : j + 1])
        lo, hi = arr.low[j], arr.high[j]
        return np.asarray(lo + traj.forecast[:, :, j] * (hi - lo))
    if kind == "position":
        return np.asarray(view.positions[:, :, a[parts[0]], arr.issue_ids.index(parts[1])])
    if traj is None:
        return None
    if kind == "tie":
        return np.asarray(traj.ties[:, :, a[parts[0]], a[parts[1]]])
    if kind == "resource":
        if parts[1] not in traj.kinds:
            return None
        return np.asarray(traj.resources[:, :, a[parts[0]], traj.kinds.index(parts[1])])
    if kind == "capability":
        return np.asarray(traj.capability[:, :, a[parts[0]], 0])
    if kind == "armed":
        return np.asarray(traj.capability[:, :, a[parts[0]], 2])
    if kind == "race":
        return np.asarray(traj.growth[:, :, a[parts[0]], a[parts[1]]])
    if kind == "lean":
        if traj.lean is None:
            return None
        return np.asarray(traj.lean[:, :, a[parts[0]], a[parts[1]]])
    if kind in ("seats", "votes"):
        out = np.full(traj.ties.shape[:2], np.nan)
        for t, el in traj.elections:
            if el.event == parts[1]:
                table = el.seats if kind == "seats" else el.votes
                out[:, t:] = table[:, :, a[parts[0]]].sum(axis=1)[:, None]
        return out
    if kind == "clash":  # the number of clashes between the pair up to each month
        if traj.clashes is None:
            return None
        return np.asarray(np.cumsum(traj.clashes[:, :, a[parts[0]], a[parts[1]]], axis=1))
    if kind == "joint":  # 1 if the two ran one list (both contesting), from the election on
        out = np.full(traj.ties.shape[:2], np.nan)
        i, j = a[parts[0]], a[parts[1]]
        for t, el in traj.elections:
            if el.event == parts[2]:
                ran = (el.votes[:, :, i].sum(axis=1) > 0) & (el.votes[:, :, j].sum(axis=1) > 0)
                same = ran & (el.lists[:, i] == el.lists[:, j])
                out[:, t:] = same.astype(np.float64)[:, None]
        return out
    if kind == "councils":  # the councils in whose government the actor's list sits
        found = [(t, c) for t, c in traj.councils if c.event == parts[1]]
        if not found:
            return None
        out = np.full(traj.ties.shape[:2], np.nan)
        i = a[parts[0]]
        for t, c in found:
            own = c.lists[:, i]  # (B,) the list the actor ran on
            gov = np.take_along_axis(c.council.government, own[:, None, None], axis=2)[..., 0]
            stood = c.shares[:, :, i] > 0  # (B, G) where the actor stood
            out[:, t:] = (gov & stood).sum(axis=1).astype(np.float64)[:, None]
        return out
    return None


def _missing(view: BatchView, series: str) -> str:
    """Why ``series`` has no values in this run."""
    kind = series.partition(":")[0]
    if view.trajectory is not None and kind == "clash":
        return f"'{series}': the run has no clashes step (add 'clashes' to dynamics.steps)"
    if view.trajectory is not None and kind == "councils":
        return (
            f"'{series}': no governorate election by that name in this run (councils come "
            "from the governorate_elections step)"
        )
    return f"'{series}': {NOT_MODELLED}"


def compared(view: BatchView, series: str, than: str | None) -> FloatArray | str:
    """``(B, S)`` ``series`` less ``than`` (where given), or why it cannot be read."""
    s = series_batch(view, series)
    if s is None:
        return _missing(view, series)
    if than is None:
        return s
    o = series_batch(view, than)
    if o is None:
        return _missing(view, than)
    if o.shape != s.shape:  # a bargaining-only run's issue forecast has one state
        return f"'{series}' and '{than}' are not read at the same states"
    return np.asarray(s - o)


def series_of(result: RunResult, series: str) -> FloatArray | None:
    """The values of ``series`` at each state of a single run, or None (see
    :func:`series_batch`)."""
    out = series_batch(BatchView.of(result), series)
    return None if out is None else np.asarray(out[0])


def _deadline(q: Question, scenario: Scenario, dates: list[dt.date] | None) -> int | None:
    """The last state index a question looks at (None: the last state)."""
    if q.by is None or dates is None:
        return None
    if isinstance(q.by, dt.date):
        idx = [t for t, d in enumerate(dates) if d <= q.by]
        return idx[-1] if idx else 0
    event = next((e for e in scenario.events if e.id == q.by), None)
    if event is None:
        return None
    t = due_step(event.date, dates)
    # "Before the election": the state before the step at which it falls due.
    return (t - 1) if t is not None else None


@dataclass(frozen=True)
class Evaluation:
    """A question evaluated for every member of a batch.

    ``code`` ``(B,)``: yes/no as 1/0, a value, a choice's index, or a date question's first
    state index (NaN: never). ``step`` ``(B,)``: the state the evidence refers to.
    ``values`` ``(B, S)``: the series read, less ``than`` where given (for a choice,
    ``(B, choices)`` at ``step``; for ``all``/``any``, the conditions' combined excess over
    their margins, see :func:`condition_excess`). ``reason``: why the question cannot be
    answered (then the arrays are empty).
    """

    code: FloatArray
    step: NDArray[np.int64]
    values: FloatArray
    reason: str | None = None
    scaled: bool = False  # values are the conditions' combined excess over their margins


def evaluate(q: Question, view: BatchView) -> Evaluation:
    """Evaluate one question for every member (the semantics of the module docstring)."""
    empty = np.zeros(0)

    def fail(reason: str) -> Evaluation:
        return Evaluation(empty, np.zeros(0, dtype=np.int64), empty, reason)

    end = _deadline(q, view.scenario, view.dates)
    if q.kind == "choice":
        cols = []
        for c in q.choices:
            s = series_batch(view, c.series)
            if s is None:
                return fail(f"'{c.series}': {NOT_MODELLED}")
            t = s.shape[1] - 1 if end is None else min(end, s.shape[1] - 1)
            cols.append(s[:, t])
        table = np.stack(cols, axis=1)
        if np.all(np.isnan(table)):
            return fail("none of the choices' series has a value by the deadline")
        best = np.argmax(np.where(np.isnan(table), -np.inf, table), axis=1)
        step = np.full(len(best), t, dtype=np.int64)
        return Evaluation(best.astype(np.float64), step, table)
    scaled = bool(q.all or q.any)
    if scaled:
        read = _combined(q, view)
        if isinstance(read, str):
            return fail(read)
        s, holds_all = read
    else:
        assert q.series is not None
        got = compared(view, q.series, q.than)
        if isinstance(got, str):
            return fail(got)
        s = got
    b = s.shape[0]
    last = s.shape[1] - 1 if end is None else min(end, s.shape[1] - 1)
    at_last = np.full(b, last, dtype=np.int64)
    if q.kind == "value":
        return Evaluation(np.asarray(s[:, last]), at_last, s)
    if scaled:
        holds = holds_all[:, : last + 1]
    else:
        assert q.op is not None
        window = s[:, : last + 1]
        with np.errstate(invalid="ignore"):
            holds = ~np.isnan(window) & _OPS[q.op](window, q.threshold or 0.0)
    ever = np.asarray(holds.any(axis=1))
    first = np.where(ever, np.argmax(holds, axis=1), last)
    if q.kind == "date":
        if view.dates is None:
            return fail("a bargaining-only run's states are rounds, not dated months")
        return Evaluation(np.where(ever, first, np.nan).astype(np.float64), first, s, None, scaled)
    if q.by is not None and view.dates is not None:
        return Evaluation(ever.astype(np.float64), first, s, None, scaled)
    return Evaluation(holds[:, last].astype(np.float64), at_last, s, None, scaled)


def condition_excess(
    s: FloatArray, op: str, threshold: float, margin: float | None
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """One condition's excess over its margin, and where it holds, ``(B, S)`` each.

    The excess is ``sign (s - threshold) / margin`` (``sign`` +1 for ``>``/``>=``, -1 for
    ``<``/``<=``): above 0 where the condition holds, within [-1, 1] where it is too close to
    call. Without a margin it is +inf where the condition holds and -inf where it does not
    (or the series is undefined), so such a condition never makes an answer undecided.
    """
    with np.errstate(invalid="ignore"):
        holds = ~np.isnan(s) & _OPS[op](s, threshold)
    sign = 1.0 if op in (">", ">=") else -1.0
    crisp = np.where(holds, np.inf, -np.inf)
    if margin is None:
        return crisp, holds
    excess = sign * (s - threshold)
    if margin == 0:
        scaled = np.where(excess == 0, 0.0, crisp)
    else:
        scaled = np.where(np.isnan(s), -np.inf, excess / margin)
    return np.asarray(scaled), holds


def _combined(q: Question, view: BatchView) -> tuple[FloatArray, NDArray[np.bool_]] | str:
    """An ``all``/``any`` question's combined excess (min or max over its conditions, the
    fuzzy-logic AND/OR of :func:`condition_excess`) and where it holds, or why not."""
    conds = q.all or q.any
    excess, holds = [], []
    for c in conds:
        got = compared(view, c.series, c.than)
        if isinstance(got, str):
            return got
        e, h = condition_excess(got, c.op, c.threshold, c.undecided_within)
        excess.append(e)
        holds.append(h)
    if len({e.shape for e in excess}) > 1:
        return "the conditions' series are not read at the same states"
    if q.all:
        return np.asarray(np.min(excess, axis=0)), np.asarray(np.all(holds, axis=0))
    return np.asarray(np.max(excess, axis=0)), np.asarray(np.any(holds, axis=0))


def undecided(q: Question, ev: Evaluation) -> NDArray[np.bool_] | None:
    """``(B,)`` whether each member's answer is too close to call: a yes/no question's
    series within ``q.undecided_within`` of its threshold at the evidence's state, or a
    choice's two leading series within it of each other. None where the question sets no
    margin or has no threshold to be near (value, date)."""
    if ev.reason is not None:
        return None
    if ev.scaled:  # all/any: each condition's margin; the combined excess is within 1
        if q.kind != "yes_no" or all(c.undecided_within is None for c in q.all or q.any):
            return None
        return _close(q, ev, ev.values, 1.0)
    margin = q.undecided_within
    if margin is None:
        return None
    if q.kind == "choice":
        table = np.where(np.isnan(ev.values), -np.inf, ev.values)
        top = np.sort(table, axis=1)[:, -2:]
        return np.asarray(top[:, 1] - top[:, 0] <= margin)
    if q.kind != "yes_no" or q.op is None:
        return None
    sign = 1.0 if q.op in (">", ">=") else -1.0
    excess = sign * (ev.values - (q.threshold or 0.0))  # > 0 where the condition holds
    return _close(q, ev, excess, margin)


def _close(q: Question, ev: Evaluation, excess: FloatArray, margin: float) -> NDArray[np.bool_]:
    """Whether the excess at the evidence's state (with ``by``: its furthest excursion up to
    the deadline) is within ``margin`` of 0."""
    if q.by is not None:  # the furthest the series got towards or past the threshold
        window = excess[:, : int(ev.step.max()) + 1]
        with np.errstate(invalid="ignore"):
            best = np.nanmax(np.where(np.isnan(window), -np.inf, window), axis=1)
        return np.asarray(np.abs(best) <= margin)
    at = excess[np.arange(len(ev.step)), ev.step]
    return np.asarray(np.abs(at) <= margin)


def _with_flag(q: Question, ev: Evaluation, a: Answer) -> Answer:
    flag = undecided(q, ev)
    if flag is None:
        return a
    close = bool(flag[0])
    within = "its conditions' margins" if ev.scaled else _fmt(q.undecided_within or 0.0)
    summary = f"{a.summary} (undecided: within {within})" if close else a.summary
    return replace(a, undecided=close, summary=summary)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _when(result: RunResult, t: int, final: bool = False) -> str:
    if result.dates is None:
        if final or t >= result.steps:
            return f"the end of the run (step {result.steps})"
        return f"step {t}"
    return f"{result.dates[t].isoformat()} (step {t})"


def _answer(q: Question, result: RunResult) -> Answer:
    ev = evaluate(q, BatchView.of(result))
    if ev.reason is not None:
        return Answer(q.id, q.text, q.kind, False, None, f"not answered: {ev.reason}", "")
    t = int(ev.step[0])
    if q.kind == "choice":
        best = q.choices[int(ev.code[0])]
        parts = ", ".join(
            f"{c.series} = {_fmt(float(ev.values[0, k]))}" for k, c in enumerate(q.choices)
        )
        when = _when(result, t, final=q.by is None)
        return Answer(q.id, q.text, q.kind, True, best.id, best.label, f"{parts} at {when}")
    final = t == ev.values.shape[1] - 1
    if q.kind == "value":
        v = float(ev.code[0])
        evidence = f"{_name(q.series, q.than)} = {_fmt(v)} at {_when(result, t, final)}"
        return Answer(q.id, q.text, q.kind, True, v, _fmt(v), evidence)
    cond = _condition_text(q)
    if q.kind == "date":
        if np.isnan(ev.code[0]):
            return Answer(
                q.id, q.text, q.kind, True, None, "never (within the run)",
                f"{cond} does not hold up to {_when(result, t)}",
            )  # fmt: skip
        assert result.dates is not None
        d = result.dates[t].isoformat()
        evidence = f"{_reading(q, result, t)} at {_when(result, t)}; {cond}"
        return Answer(q.id, q.text, q.kind, True, d, d, evidence)
    yes = bool(ev.code[0])
    if q.by is not None and result.dates is not None:
        evidence = f"{_reading(q, result, t)} at {_when(result, t)}; {cond}" + (
            "" if yes else " never holds up to the deadline"
        )
    else:
        evidence = f"{_reading(q, result, t)} at {_when(result, t, final)}; condition {cond}"
    return Answer(q.id, q.text, q.kind, True, yes, "yes" if yes else "no", evidence)


def _name(series: str | None, than: str | None) -> str:
    return f"{series} - {than}" if than is not None else str(series)


def _condition_text(q: Question) -> str:
    """The condition a yes/no or date question asks, as text."""
    if q.all or q.any:
        parts = [f"{_name(c.series, c.than)} {c.op} {_fmt(c.threshold)}" for c in q.all or q.any]
        return (" and " if q.all else " or ").join(parts)
    return f"{_name(q.series, q.than)} {q.op} {_fmt(float(q.threshold or 0.0))}"


def _reading(q: Question, result: RunResult, t: int) -> str:
    """The values a question reads at state ``t`` of a single run, as text."""
    view = BatchView.of(result)
    pairs = (
        [(c.series, c.than) for c in q.all or q.any]
        if q.all or q.any
        else [(q.series or "", q.than)]
    )
    out = []
    for series, than in pairs:
        got = compared(view, series, than)
        v = float("nan") if isinstance(got, str) else float(got[0, min(t, got.shape[1] - 1)])
        out.append(f"{_name(series, than)} = {_fmt(v)}")
    return ", ".join(out)


def answer_questions(result: RunResult) -> list[Answer]:
    """Answer every question of ``result.scenario``, in the scenario's order; a question
    with ``undecided_within`` says whether its answer is too close to call."""
    view = BatchView.of(result)
    return [_with_flag(q, evaluate(q, view), _answer(q, result)) for q in result.scenario.questions]


def _floats(a: Any) -> list[float]:
    out: list[float] = np.asarray(a, dtype=np.float64).ravel().tolist()
    return out


def council_power(names: list[str], seats: list[int]) -> dict[str, Any]:
    """Power in the elected council: a simple majority of seats as the quota.

    Shapley-Shubik and normalised Banzhaf indices (exact up to 20 parties, sampled with a
    fixed seed above) and the minimal winning coalitions (Riker's size principle).
    """
    if not seats:
        return {}
    quota = sum(seats) // 2 + 1
    method: Any = "exact" if len(seats) <= 20 else "sample"
    ss = coalitions.shapley_shubik(seats, quota, method=method, rng=0)
    bz = coalitions.banzhaf(seats, quota, method=method, rng=0)
    mwc = (
        coalitions.minimal_winning_coalitions(seats, quota)
        if len(seats) <= 20
        else np.zeros((0, 0))
    )
    return {
        "quota": quota,
        "shapley_shubik": {a: float(v) for a, v in zip(names, np.asarray(ss), strict=True)},
        "banzhaf": {a: float(v) for a, v in zip(names, np.asarray(bz), strict=True)},
        "minimal_winning_coalitions": [
            [a for a, member in zip(names, row, strict=True) if member] for row in mwc
        ],
    }


def trajectory_json(result: RunResult) -> dict[str, Any]:
    """The dynamics of a political run as JSON-ready data.

    ``dates``; ``forecasts`` per issue per month; ``alliances`` (the tie series of every
    pair that has a tie at some point); ``security`` (for every pair that is ever a rival
    pair: armed capability and belief series, growth rate, and the stability verdict at the
    last state); ``elections`` (date, votes and seats per contestant); ``clashes`` (each
    clash's date and pair, where the run has the clashes step).
    """
    traj = result.trajectory
    assert traj is not None
    arr = result.arrays
    ids = arr.actor_ids
    n = len(ids)
    cfg = calibrated_dynamics(result.scenario)
    out: dict[str, Any] = {"dates": [d.isoformat() for d in traj.dates]}
    out["forecasts"] = {
        issue: _floats(arr.low[j] + traj.forecast[0, :, j] * (arr.high[j] - arr.low[j]))
        for j, issue in enumerate(arr.issue_ids)
    }
    ties: dict[str, list[float]] = {}
    security: dict[str, Any] = {}
    ever_rival = traj.rivals[0].any(axis=0)

    def pair_entry(i: int, j: int, stable: bool, reason: str) -> dict[str, Any]:
        """A rival pair's armed capability, beliefs and race series, and its verdict."""
        return {
            "armed": {ids[i]: _floats(traj.capability[0, :, i, 2]),
                      ids[j]: _floats(traj.capability[0, :, j, 2])},
            "belief": {f"{ids[i]} about {ids[j]}": _floats(traj.belief[0, :, i, j]),
                       f"{ids[j]} about {ids[i]}": _floats(traj.belief[0, :, j, i])},
            "growth": _floats(traj.growth[0, :, i, j]),
            "stable": stable,
            "verdict": reason,
        }  # fmt: skip

    for i in range(n):
        for j in range(i + 1, n):
            series = traj.ties[0, :, i, j]
            if np.any(series != 0):
                ties[f"{ids[i]}|{ids[j]}"] = _floats(series)
            if traj.race_parts is not None:  # the bounded steps: the contest's verdict
                parts = traj.race_parts[0, i, j]
                if parts[2] > 0 and traj.capability[0, 0, [i, j], 2].min() > 0:
                    security[f"{ids[i]}|{ids[j]}"] = pair_entry(
                        i, j, *contest_verdict(ids[i], ids[j], parts)
                    )
            elif ever_rival[i, j] and (
                traj.capability[0, 0, i, 2] > 0 and traj.capability[0, 0, j, 2] > 0
            ):
                p_ij, p_ji = float(traj.belief[0, -1, i, j]), float(traj.belief[0, -1, j, i])
                mutual = bool(traj.growth[0, -1, i, j] > -cfg.restraint)
                if cfg.fear == 0:  # no coupling: the growth rate cannot tell; ask directly
                    main = dilemma.main_rival(
                        traj.belief[:1, -1], traj.rivals[:1, -1], traj.capability[:1, -1, :, 2]
                    )[0]
                    mutual = bool(main[i, j] and main[j, i])
                v = dilemma.verdict(
                    ids[i], ids[j], p_ij, p_ji, mutual, fear=cfg.fear, restraint=cfg.restraint
                )
                security[f"{ids[i]}|{ids[j]}"] = pair_entry(i, j, v.stable, v.reason)
    out["alliances"] = ties
    index = balance.balance_index(traj.ties[0], tie_tolerance=0.05)

    def camp_lists(w: FloatArray) -> list[list[str]]:
        labels = balance.camps(w)
        return [[ids[i] for i in range(n) if labels[i] == side] for side in (1, -1)]

    out["balance"] = {
        "index": [None if np.isnan(v) else float(v) for v in index],
        "balanced": [bool(v) for v in balance.is_balanced(traj.ties[0], tie_tolerance=0.05)],
        "camps_start": camp_lists(traj.ties[0, 0]),
        "camps_end": camp_lists(traj.ties[0, -1]),
    }
    out["security"] = security
    elections = []
    by_governorate = {(t, ge.event): ge for t, ge in traj.councils}
    for t, el in traj.elections:
        votes = el.votes[0].sum(axis=0)
        seats = el.seats[0].sum(axis=0)
        contest = votes > 0
        entry: dict[str, Any] = {
            "event": el.event,
            "date": traj.dates[t].isoformat(),
            "votes": {ids[i]: float(votes[i]) for i in range(n) if contest[i]},
            "seats": {ids[i]: int(seats[i]) for i in range(n) if contest[i]},
            "lists": {ids[i]: ids[int(el.lists[0, i])] for i in range(n) if contest[i]},
            "districts": list(el.district_ids),
        }
        ge = by_governorate.get((t, el.event))
        if ge is None:
            entry["council"] = council_power(
                [ids[i] for i in range(n) if seats[i] > 0],
                [int(seats[i]) for i in range(n) if seats[i] > 0],
            )
        else:  # one council per governorate: power and government per council, never summed
            entry["council"] = {}
            entry["governorates"] = governorate_councils(ge, contest)
        elections.append(entry)
    out["elections"] = elections
    if traj.clashes is not None:  # the clashes step: each clash, dated
        t_idx, i_idx, j_idx = np.nonzero(np.triu(traj.clashes[0], 1))
        out["clashes"] = [
            {"date": traj.dates[t].isoformat(), "pair": [ids[i], ids[j]]}
            for t, i, j in zip(t_idx.tolist(), i_idx.tolist(), j_idx.tolist(), strict=True)
        ]
    return out


def governorate_councils(ge: Any, contest: NDArray[np.bool_]) -> list[dict[str, Any]]:
    """The first member's council in each governorate (``governorate_elections`` step):
    each contestant's seats, each list's Shapley-Shubik power (quota: a majority of the
    council) and the lists in its government, keyed by their lowest-index member."""
    ids = ge.actor_ids
    out = []
    for g, district in enumerate(ge.district_ids):
        council = ge.council
        out.append(
            {
                "id": district,
                "seats": {ids[i]: int(ge.seats[0, g, i]) for i in np.flatnonzero(contest)},
                "power": {
                    ids[i]: float(council.power[0, g, i])
                    for i in np.flatnonzero(council.seats[0, g] > 0)
                },
                "government": [ids[i] for i in np.flatnonzero(council.government[0, g])],
            }
        )
    return out
