"""The simulation loop: a bargaining engine coupled with the political dynamics.

Two kinds of run:

- **Bargaining only** (a scenario without ``metadata.horizon``, or ``dynamics=False``): the
  engine runs its own rounds to its own stopping rule on the issues; states are rounds.
- **Political** (a scenario with a horizon): a fixed monthly step from the scenario's date
  to its horizon. Each month runs a declared sequence of simulation steps
  (:mod:`factions.steps`; ``dynamics.steps`` switches or replaces them). The standard
  sequence, in this order (docs/model.md):

  1. capability per arena from resources, with allies' lending (:mod:`.dynamics.power`);
  2. ``bargaining_rounds`` rounds of the engine on the issues, with bargaining capability;
  3. patronage: stipends, loyalty, recruitment (:mod:`.dynamics.clientele`);
  4. the security dilemma: signals, Bayesian beliefs, Richardson arming
     (:mod:`.dynamics.dilemma`);
  5. alliances: affinity, balance and suspicion move the ties (:mod:`.dynamics.alliances`);
  6. the events and elections that fall due (:mod:`.dynamics.events`,
     :mod:`.dynamics.voting`); seats feed capability from the next month.

  :data:`factions.steps.BOUNDED_SEQUENCE` replaces patronage and the security dilemma with
  budgets, bounded forces, protection and Kydd's updating, the alliances with ties that
  start from equilibrium and feel the bargaining outcome, and adds the alignment choice
  (:mod:`factions.steps.bounded`, :mod:`factions.steps.ties`,
  :mod:`factions.steps.alignment`); the ``coupling`` step feeds the bargaining outcome back
  into budgets and protection.

Everything is vectorized over a leading batch axis (ensemble members); one seed gives one
result.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from factions._random import SeedLike, as_generator
from factions.calibration.store import calibrated_dynamics
from factions.dynamics import clientele, dilemma, power
from factions.dynamics.events import compile_changes, due_events
from factions.dynamics.state import State, initial_state
from factions.dynamics.voting import ElectionResult
from factions.engines import ENGINES
from factions.engines.base import EngineSpec
from factions.errors import Problem, ScenarioError
from factions.scenario.arrays import ScenarioArrays, to_arrays
from factions.scenario.schema import MAX_MONTHS, Scenario, Uncertain, value_of
from factions.steps import STEPS, Context, Month, Step, resolve
from factions.steps.alignment import lean
from factions.steps.bounded import contest_race, race_parts
from factions.steps.standard import capabilities

__all__ = ["RunResult", "Trajectory", "month_dates", "simulate", "simulate_batch"]

FloatArray = NDArray[np.float64]
Values = Callable[[float | Uncertain], FloatArray]


@dataclass(frozen=True)
class Trajectory:
    """A political run's series, each with a leading batch axis ``B`` and time ``T + 1``.

    Positions and forecasts are on the unit interval; see :class:`RunResult` for the
    scale-converted single-run view.
    """

    dates: list[dt.date]
    kinds: tuple[str, ...]
    x: FloatArray  # (B, T+1, n, D)
    forecast: FloatArray  # (B, T+1, D)
    resources: FloatArray  # (B, T+1, n, K)
    capability: FloatArray  # (B, T+1, n, 3): bargaining (with allies), electoral, armed
    ties: FloatArray  # (B, T+1, n, n)
    belief: FloatArray  # (B, T+1, n, n)
    growth: FloatArray  # (B, T+1, n, n): each pair's arms-race growth rate
    rivals: NDArray[np.bool_]  # (B, T+1, n, n)
    elections: list[tuple[int, ElectionResult]] = field(default_factory=list)
    councils: list[tuple[int, Any]] = field(default_factory=list)
    race_parts: FloatArray | None = None  # (B, n, n, 3) at the horizon (bounded steps)
    budget: FloatArray | None = None  # (B, T, n) money left each month (bounded steps)
    threat: FloatArray | None = None  # (B, T, n) contest threat felt (bounded steps)
    lean: FloatArray | None = None  # (B, T+1, n, n) whom each leans on (alignment step)
    clashes: FloatArray | None = None  # (B, T+1, n, n) 1 where a pair clashed that month


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run of one model on one scenario.

    Attributes
    ----------
    positions
        ``(T + 1, n, D)`` every actor's position at each state on the issues' own scales,
        the initial state first.
    forecast
        ``(D,)`` the model's forecast per issue at the last state, on the issues' scales.
    series
        Extra per-round outputs (``(T, D)`` each), on the issues' scales.
    trajectory
        For political runs: every series of the dynamics (batch of one).
    """

    scenario: Scenario
    arrays: ScenarioArrays
    model: str
    seed: int | None
    steps: int
    positions: FloatArray
    forecast: FloatArray
    series: Mapping[str, FloatArray] = field(default_factory=dict)
    trajectory: Trajectory | None = None

    @property
    def dates(self) -> list[dt.date] | None:
        """The date of each state (political runs), else None."""
        return self.trajectory.dates if self.trajectory else None

    def issue_positions(self, issue_id: str) -> dict[str, list[float]]:
        """Each actor's positions on ``issue_id`` at every state, for actors with a stance."""
        j = self.arrays.issue_ids.index(issue_id)
        return {
            a: [float(v) for v in self.positions[:, i, j]]
            for i, a in enumerate(self.arrays.actor_ids)
            if self.arrays.has_stance[i, j]
        }

    def to_arrow(self) -> Any:
        """Every series as a tidy ``pyarrow.Table``: member, step, date, series, value."""
        from factions.frames import run_table

        return run_table(self)

    def to_frame(self) -> Any:
        """:meth:`to_arrow` as a pandas DataFrame (needs pandas: ``factions[frames]``)."""
        from factions.frames import to_frame

        return to_frame(self.to_arrow())

    def _repr_html_(self) -> str:
        from factions.frames import run_html

        return run_html(self)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data (issues and actors in the scenario's order)."""
        from factions.forecast import answer_questions, trajectory_json

        issues: dict[str, Any] = {}
        for j, issue_id in enumerate(self.arrays.issue_ids):
            entry: dict[str, Any] = {
                "positions": self.issue_positions(issue_id),
                "forecast": float(self.forecast[j]),
            }
            for name, values in self.series.items():
                entry[name] = [float(v) for v in values[:, j]]
            issues[issue_id] = entry
        out: dict[str, Any] = {
            "scenario": self.scenario.id,
            "title": self.scenario.metadata.title,
            "model": self.model,
            "seed": self.seed,
            "steps": self.steps,
            "issues": issues,
        }
        if self.trajectory is not None:
            out.update(trajectory_json(self))
        out["questions"] = [a.to_json() for a in answer_questions(self)]
        return out


def _add_months(start: dt.date, k: int) -> dt.date:
    """``start`` plus ``k`` months: the same day of the month, clamped to the month's end."""
    y, m = divmod(start.month - 1 + k, 12)
    year, month = start.year + y, m + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise ScenarioError(
            [Problem("metadata.horizon", f"month {k} after {start.isoformat()} is out of range")]
        )
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(start.day, last))


def month_dates(start: dt.date, end: dt.date) -> list[dt.date]:
    """Monthly dates from ``start`` up to ``end`` (same day of month, clamped to its end).

    The number of months is computed first and checked against
    :data:`factions.scenario.schema.MAX_MONTHS`, so that the loop is bounded whatever the
    dates (a horizon in December 9999 cannot make it run forever).
    """
    if end < start:
        return [start]
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > MAX_MONTHS:
        raise ScenarioError(
            [
                Problem(
                    "metadata.horizon",
                    f"{months} months after the date; at most {MAX_MONTHS} are simulated",
                )
            ]
        )
    out = [start]
    for k in range(1, months + 1):
        d = _add_months(start, k)
        if d > end:
            break
        out.append(d)
    if out[-1] < end:
        out.append(end)
    return out


def default_horizon(start: dt.date) -> dt.date:
    """One year after ``start`` (28 February for 29 February)."""
    return _add_months(start, 12)


#: The largest runs factions starts (issue 14, item 16; measured in docs/robustness.md):
#: past them a single run takes minutes or gigabytes, so it is refused with a message.
#: A month-by-month run records n x n ties, beliefs and races every month, so its cost and
#: output grow as actors^2 x months; the eum engine's cost grows as actors^3 x issues and
#: smp's about as actors^4 x issues.
MAX_ACTOR_MONTHS = 100_000
MAX_ENGINE_COST = {"eum": 30_000_000, "smp": 250_000_000}
_ENGINE_POWER = {"eum": 3, "smp": 4}
#: Each call of eum or smp costs about as much as 5,000 units of actors^k x issues.
_CALL_OVERHEAD = 5_000


def check_run_size(scenario: Scenario, model: str, months: int | None) -> None:
    """Refuse a run beyond :data:`MAX_ACTOR_MONTHS` or :data:`MAX_ENGINE_COST`.

    Raises
    ------
    ScenarioError
        Naming the field to change (``actors`` or ``metadata.horizon``).
    """
    n, m = len(scenario.actors), len(scenario.issues)
    problems: list[Problem] = []
    if months is not None and n * n * (months + 1) > MAX_ACTOR_MONTHS:
        problems.append(
            Problem(
                "metadata.horizon",
                f"a month-by-month run of {n} actors over {months} months is too large "
                f"(actors^2 x months = {n * n * (months + 1)}; at most {MAX_ACTOR_MONTHS}): "
                "shorten the horizon or use fewer actors",
            )
        )
    if model in MAX_ENGINE_COST:
        k = _ENGINE_POWER[model]
        calls = 1 if months is None else (months + 1) * scenario.dynamics.bargaining_rounds
        cost = (n**k * m + _CALL_OVERHEAD) * calls
        if cost > MAX_ENGINE_COST[model]:
            per = "" if months is None else f" x engine calls ({calls})"
            problems.append(
                Problem(
                    "actors",
                    f"the {model} model is too slow for {n} actors on {m} issue(s) "
                    f"((actors^{k} x issues + {_CALL_OVERHEAD}){per} = {cost}; "
                    f"at most {MAX_ENGINE_COST[model]}): "
                    "use fewer actors, issues or months, or the mean or median model",
                )
            )
    if problems:
        raise ScenarioError(problems, scenario.id)


def _check_model(model: str) -> EngineSpec:
    if model not in ENGINES:
        raise ScenarioError(
            [Problem("model", f"unknown model '{model}' (available: {', '.join(sorted(ENGINES))})")]
        )
    return ENGINES[model]


def _engine_call(
    spec: EngineSpec,
    scenario: Scenario,
    x: FloatArray,
    s: FloatArray,
    c: FloatArray,
    mask: NDArray[np.bool_],
    rng: np.random.Generator,
    options: Mapping[str, Any],
    rounds: int | None = None,
) -> Any:
    """Call an engine on the actors that hold a stance on some issue.

    Actors without any stance take no part in bargaining: they are left out of the call and
    keep their positions. For engines with a salience budget (KTAB's SMP), an actor's
    saliences are scaled down by their sum where it exceeds 1.
    """
    merged = {**scenario.options.get(spec.name, {}), **options}
    part = np.asarray(mask).any(axis=(0, 2))
    if spec.accepts_mask:
        merged["mask"] = mask[:, part]
    if rounds is not None and spec.rounds_option is not None:
        merged[spec.rounds_option] = rounds
    sp = s[:, part]
    if spec.salience_budget:
        sp = sp / np.maximum(sp.sum(axis=2, keepdims=True), 1.0)
    try:
        res = spec.run(x[:, part], sp, c[:, part], rng=rng, **merged)
    except ValueError as e:  # a bad engine option, from the scenario or the caller
        raise ScenarioError([Problem(f"options.{spec.name}", str(e))], scenario.id) from None
    if part.all():
        return res
    full = np.repeat(x[:, None], res.positions.shape[1], axis=1)
    full[:, :, part] = res.positions
    return replace(res, positions=full)


def _check_weights(arr: ScenarioArrays, scenario: Scenario) -> None:
    weight = (arr.capability[:, None] * arr.salience).sum(axis=0)
    empty = [
        Problem(f"issues.{j}", f"no actor has both capability and salience on '{issue}'")
        for j, issue in enumerate(arr.issue_ids)
        if not weight[j] > 0
    ]
    if empty:
        raise ScenarioError(empty, scenario.id)


def _check_political_weights(
    cap: FloatArray, s: FloatArray, mask: Any, arr: ScenarioArrays, scenario: Scenario
) -> None:
    """Month-by-month runs derive capability from resources: every issue needs weight."""
    weight = (cap[:, :, None] * s * mask).sum(axis=1)  # (B, m)
    bad = [j for j in range(weight.shape[1]) if not np.all(weight[:, j] > 0)]
    if bad:
        raise ScenarioError(
            [
                Problem(
                    f"issues.{j}",
                    f"no actor has both salience on '{arr.issue_ids[j]}' and capability from "
                    "its resources, which a month-by-month run (a scenario with a horizon) "
                    "derives capability from: give the actors resources, or remove "
                    "metadata.horizon to bargain once with the stated capabilities",
                )
                for j in bad
            ],
            scenario.id,
        )


def _check_finite(arrays: list[FloatArray], dates: list[dt.date], scenario: Scenario) -> None:
    """A run whose numbers stopped being finite is an error, never a NaN in the output.

    Each array has the batch first and the month second.
    """
    ok = np.ones(len(dates), dtype=bool)
    for a in arrays:
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(a.sum()):  # a NaN or infinity in ``a`` would be in its sum
                continue
        ok &= np.isfinite(a).reshape(a.shape[0], a.shape[1], -1).all(axis=(0, 2))
    if not ok.all():
        t = int(np.argmin(ok))
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"the simulation produced non-finite values in month {t} "
                    f"({dates[t].isoformat()}); the scenario's numbers are out of the range "
                    "the model can compute",
                )
            ],
            scenario.id,
        )


def simulate(
    scenario: Scenario,
    model: str = "mean",
    *,
    seed: SeedLike = None,
    options: Mapping[str, Any] | None = None,
    dynamics: bool | None = None,
) -> RunResult:
    """Run ``model`` on ``scenario`` once, using each uncertain quantity's ``value``.

    Parameters
    ----------
    scenario
        A validated scenario.
    model
        A name in :data:`factions.engines.ENGINES`.
    seed
        Seeds the engine's random choices, if it makes any (0 is a seed like any other).
    options
        Engine options, on top of those the scenario recommends for this engine.
    dynamics
        Simulate the political dynamics month by month (default: when the scenario has a
        horizon), or bargain only.

    Raises
    ------
    ScenarioError
        When the model or an option is unknown, or an issue has no actor with both
        capability and salience.
    """
    spec = _check_model(model)
    arr = to_arrays(scenario)
    rng = as_generator(seed)
    opts = dict(options or {})
    seed_out = seed if isinstance(seed, int) else None
    political = scenario.metadata.horizon is not None if dynamics is None else dynamics
    if not political:
        check_run_size(scenario, model, None)
        _check_weights(arr, scenario)
        x = arr.to_unit(arr.positions)[None]
        result = _engine_call(
            spec, scenario, x, arr.salience[None], arr.capability[None],
            arr.has_stance[None], rng, opts,
        )  # fmt: skip
        if not (np.isfinite(result.forecast).all() and np.isfinite(result.positions).all()):
            raise ScenarioError(
                [
                    Problem(
                        "",
                        f"the {model} model produced non-finite values; the scenario's numbers "
                        "are out of the range the model can compute",
                    )
                ],
                scenario.id,
            )
        return RunResult(
            scenario=scenario,
            arrays=arr,
            model=model,
            seed=seed_out,
            steps=result.steps,
            positions=arr.from_unit(result.positions[0]),
            forecast=arr.from_unit(result.forecast[0]),
            series={k: arr.from_unit(v[0]) for k, v in result.series.items()},
        )
    traj = simulate_batch(scenario, model, rng=rng, options=opts)
    return RunResult(
        scenario=scenario,
        arrays=arr,
        model=model,
        seed=seed_out,
        steps=len(traj.dates) - 1,
        positions=arr.from_unit(traj.x[0]),
        forecast=arr.from_unit(traj.forecast[0, -1]),
        series={},
        trajectory=traj,
    )


def _point_values(batch: int) -> Values:
    def values(q: float | Uncertain) -> FloatArray:
        return np.full(batch, value_of(q))

    return values


def simulate_batch(
    scenario: Scenario,
    model: str = "mean",
    *,
    rng: np.random.Generator | None = None,
    options: Mapping[str, Any] | None = None,
    state: State | None = None,
    values: Values | None = None,
    coefficients: Mapping[str, FloatArray] | None = None,
    steps: Sequence[str | Step] | None = None,
) -> Trajectory:
    """Run the political simulation for a batch of members (see the module docstring).

    Parameters
    ----------
    state
        The members' initial states (default: one member at the scenario's values).
    values
        Draws an event's uncertain number for every member (default: its ``value``).
    coefficients
        Per-member structural coefficients ``(B,)`` by Dynamics field (``fear``,
        ``restraint``), e.g. sampled from a calibration by an ensemble; the others come
        from the scenario's dynamics, with its calibration applied
        (:func:`factions.calibration.store.calibrated_dynamics`).
    steps
        The month's steps, by name or as :class:`~factions.steps.Step` objects (default:
        the scenario's ``dynamics.steps``, else :data:`factions.steps.STANDARD_SEQUENCE`).
    """
    spec = _check_model(model)
    arr = to_arrays(scenario)
    if state is None:
        _check_weights(arr, scenario)
        state = initial_state(arr, 1)
    rng = rng if rng is not None else as_generator(None)
    b = state.x.shape[0]
    values = values or _point_values(b)
    cfg = calibrated_dynamics(scenario)
    sequence = resolve(steps if steps is not None else cfg.steps)
    coef = dict(coefficients or {})
    # Richardson's coefficients, per member where sampled: (B, 1) against (B, n) arrays.
    fear = np.asarray(coef.get("fear", np.full(b, cfg.fear)), dtype=np.float64)[:, None]
    restraint = np.asarray(coef.get("restraint", np.full(b, cfg.restraint)), dtype=np.float64)[
        :, None
    ]
    start = scenario.metadata.date
    horizon = scenario.metadata.horizon or default_horizon(start)
    dates = month_dates(start, horizon)
    steps_n = len(dates) - 1
    check_run_size(scenario, model, steps_n)
    k_arm, k_clients = state.kinds.index("armed_strength"), state.kinds.index("clients")
    events = due_events(scenario, dates)
    loyal0 = state.patron > 0
    ctx = Context(
        scenario=scenario,
        arrays=arr,
        engine=spec,
        dynamics=cfg,
        options=dict(options or {}),
        rng=rng,
        fear=fear,
        restraint=restraint,
        weights=power.weight_matrix(state.kinds, cfg.arena_weights),
        mask=np.broadcast_to(arr.has_stance[None], state.x.shape),
        endogenous=np.array([a.kind != "foreign_state" for a in scenario.actors]),
        grievance=np.zeros((b, arr.n)),
        belief0=state.belief.copy(),
        base_clients=state.resources[..., k_clients].copy(),
        lent0=clientele.client_strength(state.patron, loyal0, state.resources[..., k_arm]),
        program_issue=(
            arr.issue_ids.index(cfg.patronage_issue) if cfg.patronage_issue is not None else None
        ),
        changes={
            t: [ch for ev in evs for ch in compile_changes(ev, arr, state.kinds, values)]
            for t, evs in events.items()
        },
        events=events,
        coefficients={k: np.asarray(v, dtype=np.float64) for k, v in coef.items()},
        values=values,
    )

    # Time 0: the forecast the engine would make now; nobody has moved yet.
    n = state.x.shape[1]
    empty = Month(
        state=state, t=0, capability=np.zeros((b, n, 3)), forecast=np.zeros((b, arr.d)),
        paid=np.zeros((b, n, n)), armed_before=np.zeros((b, n)),
        rivals=np.zeros((b, n, n), dtype=bool),
    )  # fmt: skip
    c0 = capabilities(empty, ctx)
    _check_political_weights(c0[..., 0], state.s, ctx.mask, arr, scenario)
    f0 = STEPS["bargaining"](replace(empty, capability=c0), ctx).forecast
    rivals0 = dilemma.rival_mask(state.ties, state.patron, state.belief, c0[..., 2])
    ctx = replace(
        ctx,
        grievance=dilemma.grievance_for_equilibrium(
            state.resources[..., k_arm], c0[..., 2], state.belief, rivals0,
            fear=fear, restraint=restraint,
        ),
    )  # fmt: skip
    month = replace(
        empty, capability=c0, forecast=f0, armed_before=c0[..., 2], rivals=rivals0,
        start_armed=state.resources[..., k_arm],
    )  # fmt: skip
    extra: dict[str, Any] = {}
    for step in dict.fromkeys(sequence):
        if step.prepare is not None:
            extra.update(step.prepare(month, replace(ctx, extra=extra)))
    ctx = replace(ctx, extra=extra)

    if "stake" in extra and any(step.name == "forces" for step in sequence):
        month = replace(month, race=race_parts(month, ctx))

    if any(step.name == "alignment" for step in sequence):
        month = replace(month, lean=lean(month, ctx))

    def growth(m: Month) -> FloatArray:
        if m.race is not None:  # the bounded steps: the contest's race index
            return contest_race(m.race)
        return dilemma.race_growth(
            m.state.belief, m.rivals, m.capability[..., 2],
            fear=fear[..., None], restraint=restraint[..., None],
        )  # fmt: skip

    rec: dict[str, list[NDArray[Any]]] = {
        "x": [state.x], "forecast": [f0], "resources": [state.resources], "capability": [c0],
        "ties": [state.ties], "belief": [state.belief], "rivals": [rivals0],
        "growth": [growth(month)],
    }  # fmt: skip
    if month.lean is not None:
        rec["lean"] = [month.lean]
    for t in range(1, steps_n + 1):
        month = replace(
            month, t=t, paid=np.zeros((b, n, n)), budget=None, planned=None, gap=None,
            start_armed=month.state.resources[..., k_arm], clashes=None,
        )  # fmt: skip
        for step in sequence:
            month = step(month, ctx)
        st = month.state
        rec["x"].append(st.x)
        rec["forecast"].append(month.forecast)
        rec["resources"].append(st.resources)
        rec["capability"].append(month.capability)
        rec["ties"].append(st.ties)
        rec["belief"].append(st.belief)
        rec["rivals"].append(month.rivals)
        rec["growth"].append(growth(month))
        if month.budget is not None:
            rec.setdefault("budget", []).append(month.budget)
        if month.threat is not None:
            rec.setdefault("threat", []).append(month.threat)
        if month.lean is not None:
            rec.setdefault("lean", []).append(month.lean)
        if month.clashes is not None:
            rec.setdefault("clashes", []).append(month.clashes)
    state = month.state
    elections = list(month.elections)

    def stack(name: str) -> Any:
        return np.stack(rec[name], axis=1)

    checked = {k: stack(k) for k in ("forecast", "x", "resources", "capability", "ties", "belief")}
    _check_finite(list(checked.values()), dates, scenario)

    return Trajectory(
        dates=dates,
        kinds=state.kinds,
        x=checked["x"],
        forecast=checked["forecast"],
        resources=checked["resources"],
        capability=checked["capability"],
        ties=checked["ties"],
        belief=checked["belief"],
        growth=stack("growth"),
        rivals=stack("rivals"),
        elections=elections,
        councils=list(month.councils),
        race_parts=month.race,
        budget=stack("budget") if len(rec.get("budget", ())) == steps_n else None,
        threat=stack("threat") if len(rec.get("threat", ())) == steps_n else None,
        lean=stack("lean") if len(rec.get("lean", ())) == steps_n + 1 else None,
        clashes=(
            np.concatenate([np.zeros((b, 1, n, n)), stack("clashes")], axis=1)
            if len(rec.get("clashes", ())) == steps_n
            else None
        ),
    )
