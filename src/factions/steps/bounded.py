"""Bounded forces, budgets, protection and Kydd's updating: the ``bounded`` simulation steps.

Three steps that a scenario runs in place of ``patronage`` and ``security`` with
``dynamics.steps`` (:data:`BOUNDED_SEQUENCE`, which also runs ``bounded_alliances``,
:mod:`factions.steps.ties`, in place of ``alliances``); docs/model.md, "Bounded forces", has
the equations and their sources.

- ``bounded_patronage``: money is a monthly flow. A patron pays its clients stipends out of
  its month's money (``spend * money * k * programme``, scaled down so they never exceed
  it); a loyal client recruits with them from its own free pool; a client's fighters stay
  the client's and are *lent* to its patrons weighted by commitment (shares summing to at
  most 1, so a fighter is never counted for two patrons); an outside power's link to a
  client (``foreign_state`` patron) is protection, not a stipend, and borrows no fighters.
  The patron's ``clients`` resource moves by the change in what its clients lend, so an
  event's change to it persists.
- ``forces``: the threat an actor feels is a Tullock contest (Tullock 1980; Hirshleifer
  1989): ``R_i = (1 - pi_i) sum_j w_ij C_j`` with smooth weights
  ``w_ij = p_ij (1 - max(tie_ij, 0))`` over unlinked armed actors (no knife-edge main
  rival), and a protector's commitment ``k`` and forces ``A_k`` lower it,
  ``pi_i = max_k k_ki A_k / (A_k + sum_j w_ij C_j)`` (Posen 1993; Walter 1997). Arming is
  the bounded best response in a contest for a stake ``V_i``:
  ``A*_i = clip(g_i + max(sqrt(V_i R_i) - R_i, 0), 0, pool_i)``, which never exceeds
  ``g_i + V_i / 4``, so races level off. Fighters are a stock: a share ``attrition`` is
  lost each month and replaced from the pool up to the target; growth beyond that is
  limited to ``recruit_rate`` of the free pool and paid for (``unit_cost`` per fighter) out
  of the money left after stipends; a surplus is stood down at rate ``adjust``.
- ``kydd_beliefs``: at the month's end each actor compares every unlinked armed actor's
  change in fighters with what a security seeker would have done given its own threat
  (``planned``) and what a greedy type would have done (``planned + gap``, greedy types
  recruit ``greed`` times the security seeker's rate from their free pool); with Gaussian
  noise ``obs_noise * pool``, Bayes' rule. An actor that did not move sends no evidence.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from factions.dynamics.patronage import stays_loyal
from factions.dynamics.security import bayes_update
from factions.steps.base import BoolArray, Context, FloatArray, Month, Step

__all__ = [
    "BOUNDED_PATRONAGE",
    "BOUNDED_SEQUENCE",
    "FORCES",
    "KYDD_BELIEFS",
    "best_response",
    "best_response_slope",
    "contest_race",
    "contest_threat",
    "contest_verdict",
    "lending_shares",
    "protection",
    "race_parts",
]

#: Fighters (armed-strength index points) a loyal client raises per point of stipend.
RECRUIT = 0.5

#: The month with the bounded steps in place of ``patronage`` and ``security``.
BOUNDED_SEQUENCE: tuple[str, ...] = (
    "capability",
    "bargaining",
    "bounded_patronage",
    "capability",
    "forces",
    "bounded_alliances",
    "events",
    "elections",
    "kydd_beliefs",
    "capability",
    "alignment",
)


def _foreign(ctx: Context) -> BoolArray:
    return np.array([a.kind == "foreign_state" for a in ctx.scenario.actors])


def lending_shares(patron: FloatArray, foreign: BoolArray) -> FloatArray:
    """``(B, p, c)`` the share of client ``c``'s fighters lent to patron ``p``: its
    commitment, scaled so a client's shares sum to at most 1; outside powers borrow none."""
    k = np.where(foreign[None, :, None], 0.0, patron)
    total = k.sum(axis=1, keepdims=True)
    return np.asarray(k / np.maximum(total, 1.0))


def _weights(month: Month) -> FloatArray:
    st = month.state
    n = st.ties.shape[-1]
    linked = (st.patron > 0) | (st.patron.transpose(0, 2, 1) > 0)
    armed = month.capability[..., 2] > 0
    w = st.belief * (1.0 - np.clip(st.ties, 0.0, 1.0))
    keep = ~linked & armed[:, None, :] & ~np.eye(n, dtype=bool)[None]
    return np.asarray(np.where(keep, w, 0.0))


def protection(
    patron: FloatArray, armed: FloatArray, raw: FloatArray, foreign: BoolArray
) -> FloatArray:
    """``(B, n)`` ``pi_i = max_k k_ki A_k / (A_k + raw_i)`` over outside protectors ``k``."""
    a_k = np.where(foreign[None], armed, 0.0)[:, :, None]  # (B, k, 1)
    share = a_k / np.maximum(a_k + raw[:, None, :], 1e-9)
    return np.asarray(np.clip((patron * share).max(axis=1), 0.0, 1.0))


def _contest(
    month: Month, foreign: BoolArray, k_arm: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(w, raw, pi)``: the contest weights ``(B, n, n)``, the threat before protection
    and the protectors' cover ``(B, n)``."""
    w = _weights(month)
    raw = np.einsum("bij,bj->bi", w, month.capability[..., 2])
    pi = protection(month.state.patron, month.state.resources[..., k_arm], raw, foreign)
    return w, raw, pi


def contest_threat(
    month: Month,
    foreign: BoolArray,
    k_arm: int,
    contest: tuple[FloatArray, FloatArray, FloatArray] | None = None,
) -> FloatArray:
    """``(B, n)`` the threat each actor feels after its protectors' cover (``contest`` is
    ``_contest``'s ``(w, raw, pi)`` for this month where already computed)."""
    _, raw, pi = _contest(month, foreign, k_arm) if contest is None else contest
    return np.asarray((1.0 - pi) * raw)


def best_response(stake: FloatArray, threat: FloatArray) -> FloatArray:
    """Tullock's best response to rivals' total ``R`` for a stake ``V``: ``sqrt(VR) - R``,
    at least 0; at most ``V / 4``."""
    return np.asarray(np.maximum(np.sqrt(stake * np.maximum(threat, 0.0)) - threat, 0.0))


def best_response_slope(stake: FloatArray, threat: FloatArray) -> FloatArray:
    """``dBR/dR = sqrt(V / 4R) - 1`` where the best response is positive, else 0."""
    r = np.maximum(threat, 1e-9)
    slope = np.sqrt(stake / (4.0 * r)) - 1.0
    return np.asarray(np.where(threat < stake, slope, 0.0))


def race_parts(
    month: Month,
    ctx: Context,
    contest: tuple[FloatArray, FloatArray, FloatArray] | None = None,
) -> FloatArray:
    """``(B, n, n, 3)`` the three factors of a pair's mutual best-response slope
    ``s_ij s_ji``: the stakes' slopes ``BR'_i BR'_j`` (clipped at 0 where a target sits at
    0 or at the pool), the cover ``(1 - pi_i)(1 - pi_j)`` and the beliefs ``w_ij w_ji``.
    ``contest`` is ``_contest``'s ``(w, raw, pi)`` for this month where already computed."""
    st = month.state
    if contest is None:
        contest = _contest(month, _foreign(ctx), st.kinds.index("armed_strength"))
    w, raw, pi = contest
    cover = 1.0 - pi
    threat = cover * raw
    pool, stake, offset = ctx.extra["pool"], ctx.extra["stake"], ctx.extra["offset"]
    free = offset + best_response(stake, threat)
    inside = (free > 0) & (free < pool) & ctx.endogenous[None]
    slope = np.where(inside, best_response_slope(stake, threat), 0.0)
    return np.stack(
        [
            slope[:, :, None] * slope[:, None, :],
            cover[:, :, None] * cover[:, None, :],
            w * w.transpose(0, 2, 1),
        ],
        axis=-1,
    )


def contest_race(parts: FloatArray) -> FloatArray:
    """``(B, n, n)`` a pair's race index ``sqrt(max(s_ij s_ji, 0)) - 1``: above 0 each side's
    best response amplifies the other's (the race escalates until pools or budgets stop
    it), at or below 0 it levels off. A pair without coupling is -1."""
    product = parts.prod(axis=-1)
    return np.asarray(np.sqrt(np.maximum(product, 0.0)) - 1.0)


FACTORS = ("prize", "protection", "beliefs")


def contest_verdict(a: str, b: str, parts: FloatArray) -> tuple[bool, str]:
    """Whether a pair's contest race levels off, and which factor decides it: the factor
    furthest from 1 in the direction of the verdict (the stakes' slopes come from
    ``prize``; cover from protection; beliefs from Kydd's updating)."""
    product = float(np.prod(parts))
    stable = product <= 1.0
    logs = np.log(np.maximum(parts, 1e-12))
    k = int(np.argmin(logs) if stable else np.argmax(logs))
    values = ", ".join(f"{n} {v:.3g}" for n, v in zip(FACTORS, parts, strict=True))
    why = (
        f"{a} and {b}: product of best-response slopes {product:.3g} "
        f"{'<=' if stable else '>'} 1 ({values}); decided by {FACTORS[k]}"
    )
    return stable, ("levels off: " if stable else "escalates: ") + why


def _prepare_forces(month: Month, ctx: Context) -> dict[str, Any]:
    k_arm = month.state.kinds.index("armed_strength")
    a0 = month.state.resources[..., k_arm]
    pool = ctx.coef("pool_factor") * a0
    r0 = contest_threat(month, _foreign(ctx), k_arm)
    stake = ctx.coef("prize") * (pool + r0)
    return {
        "pool": pool,
        "stake": stake,
        "offset": a0 - best_response(stake, r0),
        "armed0": a0,
    }


def _bounded_patronage(month: Month, ctx: Context) -> Month:
    st = month.state
    b = st.x.shape[0]
    kinds = st.kinds
    k_arm, k_money, k_cl = (kinds.index(k) for k in ("armed_strength", "money", "clients"))
    money, armed = st.resources[..., k_money], st.resources[..., k_arm]
    foreign = _foreign(ctx)
    d = ctx.dynamics
    if not d.patronage:
        program = np.zeros(b)
    elif ctx.program_issue is not None:
        program = np.clip(month.forecast[:, ctx.program_issue], 0.0, 1.0)
    else:
        program = np.ones(b)
    paying = np.where(foreign[None, :, None], 0.0, st.patron)
    stipend = d.patronage_spend * money[:, :, None] * paying * program[:, None, None]
    total = stipend.sum(axis=2, keepdims=True)
    over = total > money[:, :, None]
    scale = np.divide(money[:, :, None], total, out=np.ones_like(total), where=over)
    stipend = stipend * scale
    rival = st.ties < 0
    offer = d.patronage_spend * np.max(np.where(rival, money[:, None, :], 0.0), axis=2)
    loyal = (st.patron > 0) & stays_loyal(
        np.broadcast_to(offer[:, :, None], st.patron.shape), stipend, d.discount, d.detection
    )
    paid = np.where(loyal & (paying > 0), stipend, 0.0)
    pool = ctx.extra["pool"]
    recruits = np.minimum(RECRUIT * paid.sum(axis=1), np.maximum(pool - armed, 0.0))
    new_armed = armed + recruits
    share = lending_shares(st.patron, foreign)
    lent = np.einsum("bpc,bc->bp", share * loyal, new_armed)
    if month.lent is not None:
        lent_before = month.lent
    else:  # the scenario's clients already count what its loyal clients lend at the start
        lent_before = np.einsum("bpc,bc->bp", share * (st.patron > 0), ctx.extra["armed0"])
    res = st.resources.copy()
    res[..., k_arm] = new_armed
    res[..., k_cl] = np.maximum(res[..., k_cl] + lent - lent_before, 0.0)
    planned = (month.planned if month.planned is not None else 0.0) + recruits
    return replace(
        month,
        state=replace(st, resources=res),
        paid=paid,
        lent=lent,
        # stipends are scaled to fit the money: what is left is >= 0 (the max only absorbs
        # floating-point rounding, about 1e-17)
        budget=np.maximum(money - paid.sum(axis=2), 0.0),
        planned=np.asarray(planned),
    )


def _forces(month: Month, ctx: Context) -> Month:
    st = month.state
    k_arm, k_money = st.kinds.index("armed_strength"), st.kinds.index("money")
    armed = st.resources[..., k_arm]
    money = st.resources[..., k_money]
    pool, stake, offset = ctx.extra["pool"], ctx.extra["stake"], ctx.extra["offset"]
    foreign = _foreign(ctx)
    contest = _contest(month, foreign, k_arm)
    threat = contest_threat(month, foreign, k_arm, contest)
    target = np.clip(offset + best_response(stake, threat), 0.0, pool)
    attrition, rate = ctx.coef("attrition"), ctx.coef("recruit_rate")
    base = (1.0 - attrition) * armed
    replaced = np.clip(target - base, 0.0, attrition * armed)
    kept = base + replaced
    budget = month.budget if month.budget is not None else money - month.paid.sum(axis=2)
    budget = np.maximum(budget, 0.0)
    free = np.maximum(pool - kept, 0.0)
    cost = ctx.dynamics.unit_cost
    growth = np.minimum(np.maximum(target - kept, 0.0), np.minimum(rate * free, budget / cost))
    stand_down = ctx.dynamics.adjust * np.minimum(target - kept, 0.0)
    new = np.where(ctx.endogenous[None], kept + growth + stand_down, armed)
    spent = np.where(ctx.endogenous[None], cost * growth, 0.0)
    gap = np.where(ctx.endogenous[None], ctx.coef("greed") * rate * free, 0.0)
    res = st.resources.copy()
    res[..., k_arm] = new
    planned = (month.planned if month.planned is not None else 0.0) + (new - armed)
    month = replace(month, race=race_parts(month, ctx, contest))
    return replace(
        month,
        state=replace(st, resources=res),
        threat=threat,
        budget=np.maximum(budget - spent, 0.0),  # growth <= budget / cost: rounding only
        planned=np.asarray(planned),
        gap=np.asarray(gap),
        armed_before=month.capability[..., 2],
    )


def _kydd_beliefs(month: Month, ctx: Context) -> Month:
    st = month.state
    k_arm = st.kinds.index("armed_strength")
    armed = st.resources[..., k_arm]
    start = month.start_armed if month.start_armed is not None else armed
    moved = armed - start
    s = month.planned if month.planned is not None else np.zeros_like(armed)
    # a greedy type arms whatever its fears (Kydd 2005, ch. 2): at least ``gap`` a month
    g = np.maximum(s, month.gap if month.gap is not None else 0.0)
    sigma = ctx.dynamics.obs_noise * np.maximum(ctx.extra["pool"], 1.0)
    log_lr = ((moved - s) ** 2 - (moved - g) ** 2) / (2.0 * sigma**2)  # log L_G / L_S
    observed = np.abs(moved) > sigma  # a move within the noise is not seen
    lr = np.exp(np.clip(log_lr, -30.0, 30.0))
    q_g, q_s = lr / (1.0 + lr), 1.0 / (1.0 + lr)
    n = armed.shape[-1]
    linked = (st.patron > 0) | (st.patron.transpose(0, 2, 1) > 0)
    both = (armed[:, :, None] > 0) & (armed[:, None, :] > 0)
    relevant = observed[:, None, :] & both & ~linked & ~np.eye(n, dtype=bool)[None]
    post = bayes_update(st.belief, q_g[:, None, :], q_s[:, None, :])
    post = np.clip(np.asarray(post, dtype=np.float64), 1e-6, 1 - 1e-6)
    belief = np.where(relevant, post, st.belief)
    return replace(month, state=replace(st, belief=np.asarray(belief)))


BOUNDED_PATRONAGE = Step(
    "bounded_patronage", _bounded_patronage,
    frozenset({"state.patron", "state.ties", "resources.money", "resources.armed_strength",
               "resources.clients", "forecast", "lent", "planned"}),
    frozenset({"resources.armed_strength", "resources.clients", "paid", "lent", "budget",
               "planned"}),
    "stipends out of the month's money, recruits within the client's pool, fighters lent "
    "not copied, outside powers protect (steps/bounded.py; kernel dynamics/patronage.py)",
    prepare=_prepare_forces,
)  # fmt: skip
FORCES = Step(
    "forces", _forces,
    frozenset({"state.belief", "state.ties", "state.patron", "resources.armed_strength",
               "resources.money", "capability", "paid", "budget", "planned"}),
    frozenset({"resources.armed_strength", "threat", "budget", "planned", "gap",
               "armed_before", "race"}),
    "Tullock contest threat after protection, bounded best-response arming, pool, "
    "attrition, recruiting paid from the budget (steps/bounded.py)",
    prepare=_prepare_forces,
)  # fmt: skip
KYDD_BELIEFS = Step(
    "kydd_beliefs", _kydd_beliefs,
    frozenset({"state.belief", "state.patron", "resources.armed_strength", "start_armed",
               "planned", "gap"}),
    frozenset({"state.belief"}),
    "Kydd's updating: each observed move against a security seeker's and a greedy type's "
    "(steps/bounded.py; kernel dynamics/security.py)",
    prepare=_prepare_forces,
)  # fmt: skip
