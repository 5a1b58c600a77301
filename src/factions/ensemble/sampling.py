"""Uncertain inputs -> ensemble members.

Every number a scenario writes as ``{value, low, high}`` is an uncertain input. An ensemble
draws ``N`` points of the unit hypercube (one dimension per input) by Latin hypercube
sampling (McKay, Beckman & Conover 1979; the strata permuted by a keyed pseudo-random
permutation, so that each chunk's members are drawn on their own) or scrambled Sobol
sampling (``scipy.stats.qmc``; Owen 1998), maps each coordinate through the input's
distribution (uniform on ``[low, high]``, or triangular with its mode at ``value``), and
writes the values into the arrays of ``N`` members.

What is sampled: actors' ``capability``, stances' ``position`` and ``salience``,
resources' ``amount``, ties' ``strength``, events' change ``value`` and the ``base`` of an
election's districts (``governorate_elections``); and the structural
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
    target: str  # capability, position, salience, resource, tie, patron, change, base
    i: int
    j: int
    value: float
    low: float
    high: float
    dist: str
    change: tuple[int, int] = (-1, -1)  # (event, change), or (event, district) for "base"
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
        districts = ev.election.districts if ev.election is not None else []
        for g, dist in enumerate(districts):
            for who, q in dist.base.items():
                u = _ranged(q)
                if u is not None:
                    assert u.low is not None
                    assert u.high is not None
                    path = f"events.{e}.election.districts.{g}.base.{who}"
                    out.append(
                        Param(path, "base", a[who], -1, u.value, u.low, u.high, u.dist, (e, g))
                    )
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


def draw(
    params: list[Param], n: int, seed: int, method: Method = "lhs", start: int = 0,
    size: int | None = None,
) -> FloatArray:  # fmt: skip
    """Input values of members ``start .. start + size`` of an ``n``-member design.

    Deterministic for a seed, and a slice of the design is the same whether drawn alone or
    as part of a bigger slice: a worker draws only its chunk's members, so no process holds
    the ``(n, P)`` design. ``lhs``: Latin hypercube (member ``i`` of input ``d`` falls in
    stratum ``pi_d(i)`` of ``n``, ``pi_d`` a keyed pseudo-random permutation of ``0 .. n-1``,
    and uniformly within it); ``sobol``: scrambled Sobol (best with ``n`` a power of 2;
    skipped ahead to ``start``); ``random``: independent uniforms.
    """
    if n < 1:
        raise ValueError(f"runs must be a positive integer, got {n}")
    if method not in METHODS:
        raise ValueError(f"sampling method must be one of {', '.join(METHODS)}, got {method!r}")
    size = n - start if size is None else size
    if not 0 <= start <= start + size <= n:
        raise ValueError(f"members {start}..{start + size} are outside 0..{n}")
    if not params:
        return np.zeros((size, 0))
    dim = len(params)
    if method == "sobol":
        import warnings

        from scipy.stats import qmc  # here: importing scipy.stats costs a worker ~0.5 s

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # n not a power of 2: still valid
            engine = qmc.Sobol(d=dim, scramble=True, seed=np.random.default_rng(seed))
            if start:
                engine.fast_forward(start)
            u = engine.random(size) if size else np.zeros((0, dim))
    else:
        u = _uniforms(seed, start, size, dim)
        if method == "lhs":
            members = np.arange(start, start + size, dtype=np.uint64)
            strata = _permute_all(members, n, seed, dim)
            u = (strata.astype(np.float64) + u) / n
    return np.stack([p.from_unit(u[:, m]) for m, p in enumerate(params)], axis=1)


_BLOCK = 256  # members per block of the uniform stream


def _uniforms(seed: int, start: int, size: int, dim: int) -> FloatArray:
    """``(size, dim)`` uniforms for members ``start ..``: block ``b`` of 256 members uses
    the ``b``-th stream of ``SeedSequence([seed, 7919])``, so any slice is reproducible."""
    if size == 0:
        return np.zeros((0, dim))
    first, last = start // _BLOCK, (start + size - 1) // _BLOCK
    root = np.random.SeedSequence([seed, 7919])
    blocks = [
        np.random.default_rng(_child(root, b)).random((_BLOCK, dim)) for b in range(first, last + 1)
    ]
    out = np.concatenate(blocks)
    off = start - first * _BLOCK
    return out[off : off + size]


def _child(root: np.random.SeedSequence, b: int) -> np.random.SeedSequence:
    """The ``b``-th child of ``root`` (as ``root.spawn``'s ``b``-th), without spawning all."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, b),
                                  pool_size=root.pool_size)  # fmt: skip


_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: NDArray[np.uint64], key: int | NDArray[np.uint64]) -> NDArray[np.uint64]:
    """A 64-bit mixing function (SplitMix64's finalizer; Steele, Lea & Flood 2014); ``key``
    an integer, or an array of keys already reduced to 64 bits, element-wise."""
    k = np.uint64(key & 0xFFFFFFFFFFFFFFFF) if isinstance(key, int) else key
    with np.errstate(over="ignore"):
        z = x + k * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return np.asarray(z ^ (z >> np.uint64(31)))


def _permute(i: NDArray[np.uint64], n: int, seed: int, dim: int) -> NDArray[np.uint64]:
    """``pi(i)`` for a keyed pseudo-random permutation ``pi`` of ``0 .. n-1``.

    A 4-round balanced Feistel network on ``2 h`` bits (``4^h >= n``) is a bijection of
    ``0 .. 4^h - 1``; cycle-walking (apply it again while the result is ``>= n``) restricts
    it to a bijection of ``0 .. n-1`` (Black & Rogaway 2002, "Ciphers with arbitrary finite
    domains", CT-RSA, section 3). Computed per element: O(1) memory for any ``n``.
    """
    half = max(1, (max(n - 1, 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    keys = [(seed * 1_000_003 + dim) * 4 + r for r in range(4)]

    def feistel(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
        left, right = x >> np.uint64(half), x & mask
        for k in keys:
            left, right = right, left ^ (_mix(right, k) & mask)
        return (left << np.uint64(half)) | right

    out = feistel(i.astype(np.uint64))
    todo = out >= np.uint64(n)
    while todo.any():
        out[todo] = feistel(out[todo])
        todo = out >= np.uint64(n)
    return out


def _permute_all(i: NDArray[np.uint64], n: int, seed: int, dims: int) -> NDArray[np.uint64]:
    """``(len(i), dims)``: column ``d`` is :func:`_permute` ``(i, n, seed, d)``, all
    dimensions in one vectorised pass (the same Feistel rounds, keys and cycle-walking,
    so the same values bit for bit; ``tests/ensemble/test_sampling.py`` checks it)."""
    half = max(1, (max(n - 1, 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    shift = np.uint64(half)
    # keys[r, d]: round r's key of dimension d, as _permute computes them
    keys = np.array(
        [[((seed * 1_000_003 + d) * 4 + r) & 0xFFFFFFFFFFFFFFFF for d in range(dims)]
         for r in range(4)],
        dtype=np.uint64,
    )  # fmt: skip

    def feistel(x: NDArray[np.uint64], k: NDArray[np.uint64]) -> NDArray[np.uint64]:
        left, right = x >> shift, x & mask
        for r in range(4):
            left, right = right, left ^ (_mix(right, k[r]) & mask)
        return (left << shift) | right

    x = np.broadcast_to(i.astype(np.uint64)[:, None], (len(i), dims))
    out = feistel(x, keys[:, None, :])
    todo = out >= np.uint64(n)
    while todo.any():
        rows, cols = np.nonzero(todo)
        out[rows, cols] = feistel(out[rows, cols], keys[:, cols])
        todo = out >= np.uint64(n)
    return out


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
        elif p.target == "base":  # a district's judged base (governorate_elections)
            e, k = p.change
            election = scenario.events[e].election
            assert election is not None
            actor = p.path.rsplit(".", 1)[-1]
            by_quantity[id(election.districts[k].base[actor])] = values[:, m]
    b = values.shape[0]

    def lookup(q: float | Uncertain) -> FloatArray:
        hit = by_quantity.get(id(q))
        return hit if hit is not None else np.full(b, value_of(q))

    return lookup
