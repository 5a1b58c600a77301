"""Scenario -> dense arrays: the only view of a scenario that engines and dynamics see.

Positions are kept on each issue's own scale here; engines work on the unit interval and
:meth:`ScenarioArrays.to_unit` / :meth:`ScenarioArrays.from_unit` convert.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from factions.scenario.schema import Scenario, value_of

__all__ = ["Inputs", "ScenarioArrays", "to_arrays"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class ScenarioArrays:
    """A scenario's numbers as arrays, in the scenario's order of actors and issues.

    Attributes
    ----------
    actor_ids, issue_ids, resource_kinds
        The labels of the axes.
    low, high
        ``(D,)`` each issue's scale.
    positions
        ``(n, D)`` positions on each issue's scale (the scale's midpoint where the actor
        holds no stance; see ``has_stance``).
    salience
        ``(n, D)`` salience on 0-1 (0 where the actor holds no stance).
    has_stance
        ``(n, D)`` whether the actor holds a stance on the issue.
    capability
        ``(n,)`` bargaining capability (see :func:`to_arrays`).
    resources
        ``(n, K)`` amounts of each resource kind.
    ties
        ``(n, n)`` symmetric relation strengths in [-1, 1] (0 where none is given).
    patronage
        ``(n, n)`` patron (row) -> client (column) commitment in [0, 1].
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    resource_kinds: tuple[str, ...]
    low: FloatArray
    high: FloatArray
    positions: FloatArray
    salience: FloatArray
    has_stance: BoolArray
    capability: FloatArray
    capability_derived: BoolArray
    resources: FloatArray
    ties: FloatArray
    patronage: FloatArray

    @property
    def n(self) -> int:
        """The number of actors."""
        return len(self.actor_ids)

    @property
    def d(self) -> int:
        """The number of issues."""
        return len(self.issue_ids)

    def to_unit(self, x: FloatArray) -> FloatArray:
        """Map positions on the issues' scales (last axis = issue) to [0, 1]."""
        return np.asarray((x - self.low) / (self.high - self.low), dtype=np.float64)

    def from_unit(self, u: FloatArray) -> FloatArray:
        """Map positions on [0, 1] (last axis = issue) back to the issues' scales."""
        return np.asarray(self.low + u * (self.high - self.low), dtype=np.float64)


@dataclass(frozen=True)
class Inputs:
    """The numbers an ensemble varies, for ``B`` members (leading axis).

    ``positions`` ``(B, n, D)`` on the issues' scales; ``salience`` ``(B, n, D)`` on 0-1;
    ``capability`` ``(B, n)``; ``resources`` ``(B, n, K)`` in ``ScenarioArrays.resource_kinds``
    order; ``ties`` and ``patronage`` ``(B, n, n)``.
    """

    positions: FloatArray
    salience: FloatArray
    capability: FloatArray
    resources: FloatArray
    ties: FloatArray
    patronage: FloatArray

    @classmethod
    def repeat(cls, arr: ScenarioArrays, batch: int) -> Inputs:
        """``batch`` copies of a scenario's single-run values."""

        def rep(a: NDArray[np.float64]) -> FloatArray:
            return np.repeat(np.asarray(a, dtype=np.float64)[None], batch, axis=0)

        return cls(
            positions=rep(arr.positions),
            salience=rep(arr.salience),
            capability=rep(arr.capability),
            resources=rep(arr.resources),
            ties=rep(arr.ties),
            patronage=rep(arr.patronage),
        )

    @property
    def batch(self) -> int:
        """The number of members."""
        return int(self.positions.shape[0])


def to_arrays(scenario: Scenario) -> ScenarioArrays:
    """Build the array view of ``scenario`` (single-run values: each quantity's ``value``).

    Capability: an actor's stated ``capability`` when it has one; otherwise the sum of its
    resource amounts (every kind counted alike, on the scenario's 0-100 convention). This
    unweighted sum is a bargaining-only run's capability; a political run weighs the
    resources per arena every month instead (:mod:`factions.dynamics.power`).
    """
    actor_ids = tuple(scenario.actor_ids)
    issue_ids = tuple(scenario.issue_ids)
    a_index = {a: i for i, a in enumerate(actor_ids)}
    i_index = {x: j for j, x in enumerate(issue_ids)}
    n, d = len(actor_ids), len(issue_ids)
    low = np.array([iss.scale.low for iss in scenario.issues], dtype=np.float64)
    high = np.array([iss.scale.high for iss in scenario.issues], dtype=np.float64)
    positions = np.tile((low + high) / 2.0, (n, 1))
    salience = np.zeros((n, d))
    has_stance = np.zeros((n, d), dtype=bool)
    for st in scenario.stances:
        i, j = a_index[st.actor], i_index[st.issue]
        positions[i, j] = value_of(st.position)
        salience[i, j] = value_of(st.salience) / 100.0
        has_stance[i, j] = True

    kinds = tuple(dict.fromkeys(r.kind for r in scenario.resources))
    k_index = {k: m for m, k in enumerate(kinds)}
    resources = np.zeros((n, len(kinds)))
    for r in scenario.resources:
        resources[a_index[r.actor], k_index[r.kind]] = value_of(r.amount)

    capability = resources.sum(axis=1)
    derived = np.ones(n, dtype=bool)
    for i, actor in enumerate(scenario.actors):
        if actor.capability is not None:
            capability[i] = value_of(actor.capability)
            derived[i] = False

    ties = np.zeros((n, n))
    patronage = np.zeros((n, n))
    for t in scenario.ties:
        a, b = a_index[t.a], a_index[t.b]
        if t.kind == "relation":
            ties[a, b] = ties[b, a] = value_of(t.strength)
        else:
            patronage[a, b] = value_of(t.strength)

    return ScenarioArrays(
        actor_ids=actor_ids,
        issue_ids=issue_ids,
        resource_kinds=kinds,
        low=low,
        high=high,
        positions=positions,
        salience=salience,
        has_stance=has_stance,
        capability=capability,
        capability_derived=derived,
        resources=resources,
        ties=ties,
        patronage=patronage,
    )
