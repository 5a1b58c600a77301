"""Uncertain inputs -> ensemble members.

Every number a scenario writes as ``{value, low, high}`` is an uncertain input. An ensemble
draws ``N`` points of the unit hypercube (one dimension per input) by Latin hypercube or
scrambled Sobol sampling (``scipy.stats.qmc``; McKay, Beckman & Conover 1979; Owen 1998),
maps each coordinate through the input's distribution (uniform on ``[low, high]``, or
triangular with its mode at ``value``), and writes the values into the arrays of ``N``
members.

What is sampled: actors' ``capability``, stances' ``position`` and ``salience``,
resources' ``amount``, ties' ``strength`` and events' change ``value``; and the structural
coefficients the scenario takes from a calibration (``dynamics.calibration``: sampled from
the calibration's bootstrap draws, their empirical quantiles) or gives its own range for
(``dynamics.coefficients``). (District strengths and the other ``dynamics`` parameters are
fixed at their values.)

References
----------
McKay, M. D., Beckman, R. J. & Conover, W. J. (1979). A comparison of three methods for
selecting values of input variables in the analysis of output from a computer code.
*Technometrics* 21(2), 239-245.

Owen, A. B. (1998). Scrambling Sobol' and Niederreiter-Xing points. *Journal of
Complexity* 14(4), 466-489.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.stats import qmc

from factions.calibration.store import structural
from factions.scenario.arrays import Inputs, ScenarioArrays
from factions.scenario.schema import Scenario, Uncertain, value_of

__all__ = [
    "METHODS",
    "Param",
    "apply_params",
    "change_values",
    "coefficient_values",
    "draw",
    "uncertain_params",
]

FloatArray = NDArray[np.float64]
Method = Literal["lhs", "sobol", "random"]
METHODS: tuple[Method, ...] = ("lhs", "sobol", "random")


@dataclass(frozen=True)
class Param:
    """One uncertain input: where it lives and how it is distributed."""

    path: str  # e.g. "stances.3.salience"
    target: str  # capability, position, salience, resource, tie, patron, change
    i: int
    j: int
    value: float
    low: float
    high: float
    dist: str
    change: tuple[int, int] = (-1, -1)  # (event, change) for target "change"
    draws: tuple[float, ...] = ()  # for dist "empirical": a calibration's bootstrap draws

    def from_unit(self, u: FloatArray) -> FloatArray:
        """Map points of [0, 1] to values (inverse CDF)."""
        lo, hi = self.low, self.high
        if self.dist == "empirical" and self.draws:
            return np.asarray(np.quantile(np.asarray(self.draws), np.asarray(u)))
        if hi <= lo:
            return np.full(np.shape(u), lo)
        if self.dist == "triangular":
            c = (self.value - lo) / (hi - lo)
            return np.asarray(
                np.where(
                    u < c,
                    lo + np.sqrt(u * (hi - lo) * (self.value - lo)),
                    hi - np.sqrt((1 - u) * (hi - lo) * (hi - self.value)),
                )
            )
        return np.asarray(lo + u * (hi - lo))


def _ranged(q: float | Uncertain | None) -> Uncertain | None:
    if isinstance(q, Uncertain) and q.low is not None and q.high is not None:
        return q
    return None


def uncertain_params(scenario: Scenario, arr: ScenarioArrays) -> list[Param]:
    """Every uncertain input of ``scenario`` with a range, in document order."""
    a = {x: i for i, x in enumerate(arr.actor_ids)}
    d = {x: j for j, x in enumerate(arr.issue_ids)}
    k = {x: m for m, x in enumerate(arr.resource_kinds)}
    out: list[Param] = []

    def add(q: float | Uncertain | None, path: str, target: str, i: int, j: int = -1) -> None:
        u = _ranged(q)
        if u is not None:
            assert u.low is not None
            assert u.high is not None
            out.append(Param(path, target, i, j, u.value, u.low, u.high, u.dist))

    for n, actor in enumerate(scenario.actors):
        add(actor.capability, f"actors.{n}.capability", "capability", n)
    for n, st in enumerate(scenario.stances):
        add(st.position, f"stances.{n}.position", "position", a[st.actor], d[st.issue])
        add(st.salience, f"stances.{n}.salience", "salience", a[st.actor], d[st.issue])
    for n, r in enumerate(scenario.resources):
        add(r.amount, f"resources.{n}.amount", "resource", a[r.actor], k[r.kind])
    for n, t in enumerate(scenario.ties):
        target = "tie" if t.kind == "relation" else "patron"
        add(t.strength, f"ties.{n}.strength", target, a[t.a], a[t.b])
    for e, ev in enumerate(scenario.events):
        for c, ch in enumerate(ev.changes):
            u = _ranged(ch.value)
            if u is not None:
                assert u.low is not None
                assert u.high is not None
                p = Param(
                    f"events.{e}.changes.{c}.value", "change", -1, -1, u.value, u.low, u.high,
                    u.dist, (e, c),
                )  # fmt: skip
                out.append(p)
    for co in structural(scenario):
        if co.high > co.low:
            out.append(
                Param(
                    f"dynamics.coefficients.{co.name}", "coefficient", -1, -1, co.value, co.low,
                    co.high, co.dist, draws=co.draws,
                )
            )  # fmt: skip
    return out


def coefficient_values(params: list[Param], values: FloatArray) -> dict[str, FloatArray]:
    """The members' sampled structural coefficients ``(B,)`` by Dynamics field."""
    return {
        p.path.rsplit(".", 1)[-1]: values[:, m]
        for m, p in enumerate(params)
        if p.target == "coefficient"
    }


def draw(params: list[Param], n: int, seed: int, method: Method = "lhs") -> FloatArray:
    """``(n, P)`` input values for ``n`` members (deterministic for a seed).

    ``lhs``: Latin hypercube; ``sobol``: scrambled Sobol (best with ``n`` a power of 2);
    ``random``: independent uniforms.
    """
    if n < 1:
        raise ValueError(f"runs must be a positive integer, got {n}")
    if method not in METHODS:
        raise ValueError(f"sampling method must be one of {', '.join(METHODS)}, got {method!r}")
    if not params:
        return np.zeros((n, 0))
    dim = len(params)
    rng = np.random.default_rng(seed)
    if method == "lhs":
        u = qmc.LatinHypercube(d=dim, seed=rng).random(n)
    elif method == "sobol":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # n not a power of 2: still valid
            u = qmc.Sobol(d=dim, scramble=True, seed=rng).random(n)
    else:
        u = rng.random((n, dim))
    return np.stack([p.from_unit(u[:, m]) for m, p in enumerate(params)], axis=1)


def apply_params(arr: ScenarioArrays, params: list[Param], values: FloatArray) -> Inputs:
    """The members' inputs: the scenario's values with the sampled ones written in."""
    inp = Inputs.repeat(arr, values.shape[0])
    pos, sal, cap = inp.positions, inp.salience, inp.capability
    res, ties, pat = inp.resources, inp.ties, inp.patronage
    for m, p in enumerate(params):
        v = values[:, m]
        if p.target == "capability":
            cap[:, p.i] = v
        elif p.target == "position":
            pos[:, p.i, p.j] = v
        elif p.target == "salience":
            sal[:, p.i, p.j] = v / 100.0
        elif p.target == "resource":
            res[:, p.i, p.j] = v
        elif p.target == "tie":
            ties[:, p.i, p.j] = ties[:, p.j, p.i] = v
        elif p.target == "patron":
            pat[:, p.i, p.j] = v
    # Derived capabilities (actors without a stated one) follow their sampled resources.
    derived = arr.capability_derived
    if derived.any():
        cap[:, derived] = res.sum(axis=2)[:, derived]
    return replace(inp, positions=pos, salience=sal, capability=cap)


def change_values(
    scenario: Scenario, params: list[Param], values: FloatArray
) -> Callable[[float | Uncertain], FloatArray]:
    """A ``values`` callable for the simulation: each event change's value per member."""
    by_quantity: dict[int, FloatArray] = {}
    for m, p in enumerate(params):
        if p.target == "change":
            e, c = p.change
            by_quantity[id(scenario.events[e].changes[c].value)] = values[:, m]
    b = values.shape[0]

    def lookup(q: float | Uncertain) -> FloatArray:
        hit = by_quantity.get(id(q))
        return hit if hit is not None else np.full(b, value_of(q))

    return lookup
