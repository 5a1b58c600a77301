"""Simulation steps: the monthly loop of a political run as a declared sequence.

Two kinds of code model the dynamics, and their names say which is which:

- **Published kernels** (:mod:`factions.dynamics.elections`, ``coalitions``, ``security``,
  ``balance``, ``patronage``): closed formulas from the literature, each checked against
  the published result (docs/dynamics-kernels.md). They know nothing of a simulation.
- **Simulation steps** (this package): each a :class:`~factions.steps.base.Step`, a pure
  function ``(month, ctx) -> month`` that declares which fields it reads and writes, built
  on a mechanism module of :mod:`factions.dynamics` (``power``, ``clientele``, ``dilemma``,
  ``alliances``, ``events``, ``voting``), which in turn uses the kernels.

A month runs :data:`STANDARD_SEQUENCE` (docs/model.md has the diagram). A scenario may
run another sequence with ``dynamics.steps`` (a list of step names: leave one out to switch
it off); Python code may :func:`register` a replacement under a new name, or pass
:class:`Step` objects to :func:`factions.simulate.simulate_batch`.
"""

from __future__ import annotations

from collections.abc import Sequence

from factions.errors import Problem, ScenarioError
from factions.steps.alignment import ALIGNMENT
from factions.steps.base import Context, Month, Step
from factions.steps.bounded import BOUNDED_PATRONAGE, BOUNDED_SEQUENCE, FORCES, KYDD_BELIEFS
from factions.steps.clashes import CLASHES
from factions.steps.coupling import COUPLING
from factions.steps.governorates import GOVERNORATE_ELECTIONS
from factions.steps.standard import (
    ALLIANCES,
    BARGAINING,
    CAPABILITY,
    ELECTIONS,
    EVENTS,
    PATRONAGE,
    SECURITY,
)
from factions.steps.ties import BOUNDED_ALLIANCES

__all__ = [
    "BOUNDED_SEQUENCE",
    "STANDARD_SEQUENCE",
    "STEPS",
    "Context",
    "Month",
    "Step",
    "register",
    "resolve",
]

#: Every step by name (the standard ones, and any a user registers).
STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        CAPABILITY, BARGAINING, PATRONAGE, SECURITY, ALLIANCES, EVENTS, ELECTIONS,
        BOUNDED_PATRONAGE, FORCES, KYDD_BELIEFS, ALIGNMENT, COUPLING, GOVERNORATE_ELECTIONS,
        CLASHES,
        BOUNDED_ALLIANCES,
    )
}  # fmt: skip

#: The standard month. ``capability`` runs again after patronage (the security dilemma and
#: alliances see the clients' new fighters) and once more at the end (what is recorded).
STANDARD_SEQUENCE: tuple[str, ...] = (
    "capability",
    "bargaining",
    "patronage",
    "capability",
    "security",
    "alliances",
    "events",
    "elections",
    "capability",
)


def register(step: Step, *, replace: bool = False) -> None:
    """Make ``step`` available by name to ``dynamics.steps`` (``replace`` to overwrite)."""
    if step.name in STEPS and not replace:
        raise ValueError(f"a step named '{step.name}' exists (pass replace=True to replace it)")
    STEPS[step.name] = step


def resolve(steps: Sequence[str | Step] | None, where: str = "dynamics.steps") -> tuple[Step, ...]:
    """The steps to run: names looked up in :data:`STEPS`, :class:`Step` objects as given;
    ``None`` is the standard sequence."""
    out: list[Step] = []
    for i, s in enumerate(STANDARD_SEQUENCE if steps is None else steps):
        if isinstance(s, Step):
            out.append(s)
        elif s in STEPS:
            out.append(STEPS[s])
        else:
            raise ScenarioError(
                [Problem(f"{where}.{i}", f"unknown step '{s}' (known: {', '.join(STEPS)})")]
            )
    return tuple(out)
