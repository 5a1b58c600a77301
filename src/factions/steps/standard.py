"""The standard simulation steps of the monthly loop (docs/model.md, "One month, in order").

Each step wraps one mechanism module of :mod:`factions.dynamics` and declares what it reads
and writes; :data:`factions.steps.STANDARD_SEQUENCE` is their order.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from factions.dynamics import alliances, clientele, dilemma, power
from factions.dynamics.events import apply_changes
from factions.dynamics.voting import hold_election
from factions.scenario.schema import MAX_MAGNITUDE, Election
from factions.steps.base import Context, FloatArray, Month, Step

BoolArray = NDArray[np.bool_]

__all__ = [
    "ALLIANCES",
    "BARGAINING",
    "CAPABILITY",
    "ELECTIONS",
    "EVENTS",
    "PATRONAGE",
    "SECURITY",
    "capabilities",
]


def capabilities(month: Month, ctx: Context) -> FloatArray:
    """``(B, n, 3)`` capability per arena, allies lending bargaining weight
    (:func:`factions.dynamics.power.capabilities`, :func:`~factions.dynamics.power.lend`)."""
    st = month.state
    c = power.capabilities(st.resources, ctx.weights)
    c[..., 0] = power.lend(c[..., 0], st.ties, ctx.dynamics.ally_lend)
    return c


def _capability(month: Month, ctx: Context) -> Month:
    return replace(month, capability=capabilities(month, ctx))


def _bargaining(month: Month, ctx: Context) -> Month:
    from factions.simulate import _engine_call

    st = month.state
    res = _engine_call(
        ctx.engine, ctx.scenario, st.x, st.s, month.capability[..., 0], ctx.mask, ctx.rng,
        ctx.options, ctx.dynamics.bargaining_rounds,
    )  # fmt: skip
    forecast = np.asarray(res.forecast)
    if ctx.engine.rounds_option is None:
        return replace(month, forecast=forecast)
    return replace(month, state=replace(st, x=np.asarray(res.positions[:, -1])), forecast=forecast)


def _patronage(month: Month, ctx: Context) -> Month:
    st = month.state
    b = st.x.shape[0]
    k_arm, k_money, k_clients = (ctx.kind(k, month) for k in ("armed_strength", "money", "clients"))
    if not ctx.dynamics.patronage:
        program = np.zeros(b)
    elif ctx.program_issue is not None:
        program = np.clip(month.forecast[:, ctx.program_issue], 0.0, 1.0)
    else:
        program = np.ones(b)
    armed, loyal, paid = clientele.patronage_step(
        st.patron, st.ties, st.resources[..., k_money], st.resources[..., k_arm], program,
        spend=ctx.dynamics.patronage_spend, discount=ctx.dynamics.discount,
        detection=ctx.dynamics.detection,
    )  # fmt: skip
    lent = clientele.client_strength(st.patron, loyal, armed)
    res = st.resources.copy()
    res[..., k_arm] = np.clip(armed, 0.0, MAX_MAGNITUDE)  # in the schema's range
    res[..., k_clients] = np.maximum(ctx.base_clients + lent - ctx.lent0, 0.0)
    return replace(month, state=replace(st, resources=res), paid=paid)


def _security(month: Month, ctx: Context) -> Month:
    st = month.state
    k_arm = ctx.kind("armed_strength", month)
    c = month.capability
    if ctx.program_issue is not None:
        active = month.paid.sum(axis=2) > 0
        opposition = dilemma.programme_opposition(st.x, st.s, active, ctx.program_issue)
    else:
        opposition = np.zeros_like(st.belief)
    z = dilemma.signals(month.armed_before, c[..., 2], opposition)
    belief = dilemma.update_beliefs(st.belief, z, ctx.dynamics.signal_gain)
    rivals = dilemma.rival_mask(st.ties, st.patron, belief, c[..., 2])
    armed = dilemma.arm(
        st.resources[..., k_arm], c[..., 2], belief, rivals, ctx.grievance, ctx.endogenous,
        fear=ctx.fear, restraint=ctx.restraint,
    )  # fmt: skip
    res = st.resources.copy()
    res[..., k_arm] = np.clip(armed, 0.0, MAX_MAGNITUDE)  # in the schema's range
    return replace(
        month,
        state=replace(st, resources=res, belief=belief),
        rivals=rivals,
        armed_before=c[..., 2],
    )


def _alliances(month: Month, ctx: Context) -> Month:
    st = month.state
    belief, belief0 = st.belief, ctx.belief0
    susp = 0.5 * (belief + belief.transpose(0, 2, 1))
    susp0 = 0.5 * (belief0 + belief0.transpose(0, 2, 1))
    d = ctx.dynamics
    ties = alliances.update_ties(
        st.ties, st.x, st.s, month.capability[..., 0], susp - susp0,
        affinity_rate=d.affinity_rate, balance_rate=d.balance_rate, threat_rate=d.threat_rate,
    )  # fmt: skip
    return replace(month, state=replace(st, ties=ties))


def _events(month: Month, ctx: Context) -> Month:
    if month.t not in ctx.changes:
        return month
    return replace(month, state=apply_changes(month.state, ctx.changes[month.t], ctx.arrays))


def contestants(election: Election, ctx: Context, electoral: FloatArray) -> BoolArray:
    """``(n,)``: who runs in ``election``: its ``contestants``, or every actor that is not a
    foreign state or the public; in either case only actors with some electoral capability
    in some member (``electoral`` is ``(B, n)``)."""
    arr = ctx.arrays
    names = election.contestants or [
        a.id for a in ctx.scenario.actors if a.kind not in ("foreign_state", "public")
    ]
    contest = np.zeros(arr.n, dtype=bool)
    contest[[arr.actor_ids.index(a) for a in names]] = True
    runs: BoolArray = contest & (electoral.max(axis=0) > 0)
    return runs


def _elections(month: Month, ctx: Context) -> Month:
    held = list(month.elections)
    arr = ctx.arrays
    for ev in ctx.events.get(month.t, []):
        if ev.election is None:
            continue
        st = month.state
        k_seats = ctx.kind("seats", month)
        c = capabilities(month, ctx)
        contest = contestants(ev.election, ctx, c[..., 1])
        result = hold_election(
            ev.id, ev.election, arr.actor_ids, c[..., 1], st.ties, contest,
            joint_threshold=ctx.dynamics.joint_list_threshold,
        )  # fmt: skip
        held.append((month.t, result))
        total = result.seats.sum(axis=(1, 2))
        share = result.seats.sum(axis=1) / np.maximum(total, 1)[:, None]
        res = st.resources.copy()
        res[..., k_seats] = np.where(contest[None], 100.0 * share, res[..., k_seats])
        month = replace(month, state=replace(st, resources=res))
    return replace(month, elections=tuple(held))


_CAP_READS = frozenset({"resources.*", "state.ties"})

CAPABILITY = Step(
    "capability", _capability, _CAP_READS, frozenset({"capability"}),
    "capability per arena from resources, allies lending bargaining weight "
    "(dynamics/power.py)",
)  # fmt: skip
BARGAINING = Step(
    "bargaining", _bargaining,
    frozenset({"state.x", "state.s", "capability"}), frozenset({"state.x", "forecast"}),
    "the engine's rounds on the issues with bargaining capability (engines/)",
)  # fmt: skip
PATRONAGE = Step(
    "patronage", _patronage,
    frozenset({"state.patron", "state.ties", "resources.money", "resources.armed_strength",
               "forecast"}),
    frozenset({"resources.armed_strength", "resources.clients", "paid"}),
    "stipends, grim-trigger loyalty, recruitment, clients' lending (dynamics/clientele.py; "
    "kernel dynamics/patronage.py)",
)  # fmt: skip
SECURITY = Step(
    "security", _security,
    frozenset({"state.x", "state.s", "state.belief", "state.ties", "state.patron",
               "resources.armed_strength", "capability", "paid", "armed_before"}),
    frozenset({"state.belief", "resources.armed_strength", "rivals", "armed_before"}),
    "signals, Kydd's Bayesian beliefs, Richardson arming (dynamics/dilemma.py; kernel "
    "dynamics/security.py)",
)  # fmt: skip
ALLIANCES = Step(
    "alliances", _alliances,
    frozenset({"state.ties", "state.x", "state.s", "state.belief", "capability"}),
    frozenset({"state.ties"}),
    "affinity, structural balance and suspicion move the ties (dynamics/alliances.py; "
    "kernel dynamics/balance.py)",
)  # fmt: skip
EVENTS = Step(
    "events", _events,
    frozenset({"state.*"}),
    frozenset({"resources.*", "state.ties", "state.patron", "state.s", "state.x"}),
    "the scenario's events that fall due change resources, ties, saliences, positions "
    "(dynamics/events.py)",
)  # fmt: skip
ELECTIONS = Step(
    "elections", _elections,
    frozenset({"resources.*", "state.ties", "elections"}),
    frozenset({"resources.seats", "elections"}),
    "elections that fall due: joint lists, votes, seats by the election's rule "
    "(dynamics/voting.py; kernel dynamics/elections.py)",
)  # fmt: skip
