"""The contract of a simulation step: what a month carries, what a step may read and write.

A **simulation step** is one stage of the monthly loop (:mod:`factions.simulate`): a pure
function ``(month, ctx) -> month`` over arrays with a leading batch axis. It declares the
fields of :class:`Month` it reads and the fields it writes; it must change nothing else
(``tests/unit/test_steps.py`` checks every registered step against its declaration). The
fixed parameters of a run (the scenario, its dynamics, the engine, per-member coefficients,
the compiled events) come in :class:`Context`, which no step changes.

Steps are built on the mechanism modules and the published kernels of
:mod:`factions.dynamics`; a step is the only place where the loop calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from factions.dynamics.events import CompiledChange
from factions.dynamics.state import State
from factions.dynamics.voting import ElectionResult
from factions.engines.base import EngineSpec
from factions.scenario.arrays import ScenarioArrays
from factions.scenario.schema import Dynamics, Event, Scenario

__all__ = ["FIELDS", "Context", "Month", "Step", "StepFn"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Month:
    """Everything the loop carries from step to step (each array with a leading batch axis).

    Attributes
    ----------
    state
        The dynamic state (positions, saliences, resources, ties, patronage, beliefs).
    t
        The month's index (1 for the first simulated month).
    capability
        ``(B, n, 3)`` bargaining (with allies' lending), electoral and armed capability, as
        last computed by the ``capability`` step.
    forecast
        ``(B, D)`` the engine's forecast per issue on the unit interval.
    paid
        ``(B, n, n)`` patron -> client stipends paid this month (0 until paid).
    armed_before
        ``(B, n)`` each actor's armed capability as others last saw it (the security
        dilemma's baseline for arming signals).
    rivals
        ``(B, n, n)`` the pairs in a security dilemma, as last judged.
    elections
        The elections held so far, with the month they were held.
    budget
        ``(B, n)`` money left this month after stipends and recruiting (bounded steps).
    threat
        ``(B, n)`` the contest threat each actor feels, after protection (bounded steps).
    planned, gap
        ``(B, n)`` this month's change in own fighters a security seeker makes (stipends'
        recruits included), and how many more a greedy type would raise (bounded steps).
    start_armed
        ``(B, n)`` own fighters at the start of the month (what observers compare with).
    lent
        ``(B, n)`` the fighters each patron's loyal clients lend it (bounded steps).
    race
        ``(B, n, n, 3)`` the factors of each pair's mutual best-response slope, as the
        ``forces`` step last saw them (bounded steps).
    lean
        ``(B, n, n)`` the probability that each actor leans on each other (``alignment``).
    coupled
        ``(B, D)`` the forecast the ``coupling`` step last applied.
    councils
        The governorate elections held so far (``governorate_elections``), with the month.
    clashes
        ``(B, n, n)`` 1 for each pair that clashed this month (``clashes`` step), else 0.
    """

    state: State
    t: int
    capability: FloatArray
    forecast: FloatArray
    paid: FloatArray
    armed_before: FloatArray
    rivals: BoolArray
    elections: tuple[tuple[int, ElectionResult], ...] = ()
    budget: FloatArray | None = None
    threat: FloatArray | None = None
    planned: FloatArray | None = None
    gap: FloatArray | None = None
    start_armed: FloatArray | None = None
    lent: FloatArray | None = None
    race: FloatArray | None = None
    lean: FloatArray | None = None
    coupled: FloatArray | None = None
    councils: tuple[tuple[int, Any], ...] = ()
    clashes: FloatArray | None = None

    def with_resource(self, kind: str, values: FloatArray) -> Month:
        """A copy with one resource column of the state replaced."""
        return replace(self, state=self.state.with_col(kind, values))


#: The fields a step may declare: ``state.<field>``, ``resources.<kind>`` or a Month field.
FIELDS = (
    *(f"state.{f.name}" for f in fields(State) if f.name not in ("kinds", "resources")),
    *(f.name for f in fields(Month) if f.name not in ("state", "t")),
)


@dataclass(frozen=True)
class Context:
    """The fixed parameters of one run, shared by every step (never changed by a step)."""

    scenario: Scenario
    arrays: ScenarioArrays
    engine: EngineSpec
    dynamics: Dynamics
    options: Mapping[str, Any]
    rng: np.random.Generator
    fear: FloatArray  # (B, 1) Richardson's fear per member
    restraint: FloatArray  # (B, 1) Richardson's restraint per member
    weights: FloatArray  # arena weight matrix
    mask: BoolArray  # (B, n, D) who holds a stance
    endogenous: BoolArray  # (n,) actors that arm by themselves
    grievance: FloatArray  # (B, n) makes the initial strengths an equilibrium
    belief0: FloatArray  # (B, n, n) beliefs at the start
    base_clients: FloatArray  # (B, n) the scenario's `clients` at the start
    lent0: FloatArray  # (B, n) what clients lent their patrons at the start
    program_issue: int | None
    changes: Mapping[int, list[CompiledChange]]
    events: Mapping[int, list[Event]]
    coefficients: Mapping[str, FloatArray] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Each uncertain number of the scenario's events per member, ``(B,)`` (sampled by an
    #: ensemble, else its value): e.g. a district's judged ``base``.
    values: Callable[[Any], FloatArray] | None = None

    def coef(self, name: str) -> FloatArray:
        """``(B, 1)`` a structural coefficient per member (sampled, else the dynamics')."""
        b = self.fear.shape[0]
        v = self.coefficients.get(name)
        if v is None:
            v = np.full(b, float(getattr(self.dynamics, name)))
        return np.asarray(v, dtype=np.float64).reshape(b, 1)

    def kind(self, name: str, month: Month) -> int:
        """The column of resource kind ``name``."""
        return month.state.kinds.index(name)


StepFn = Callable[[Month, Context], Month]


@dataclass(frozen=True)
class Step:
    """One named stage of the monthly loop.

    Attributes
    ----------
    name
        The name a scenario uses in ``dynamics.steps``.
    run
        The pure function ``(month, ctx) -> month``.
    reads, writes
        The :class:`Month` fields it reads and writes: ``state.x``, ``state.ties``, ...,
        ``resources.<kind>`` for one resource column, or a Month field (``capability``,
        ``forecast``, ``paid``, ``armed_before``, ``rivals``, ``elections``).
    doc
        One line: what it does and which mechanism module and kernels it uses.
    prepare
        Optional: computed once from the initial month, before the first step runs; what
        it returns is in ``ctx.extra`` (e.g. the values that make the start an
        equilibrium).
    """

    name: str
    run: StepFn
    reads: frozenset[str]
    writes: frozenset[str]
    doc: str
    prepare: Callable[[Month, Context], Mapping[str, Any]] | None = None

    def __call__(self, month: Month, ctx: Context) -> Month:
        return self.run(month, ctx)
