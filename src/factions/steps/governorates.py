"""The ``governorate_elections`` step: elections by governorate with a council in each.

Opt-in (not in the standard sequence): a scenario puts ``governorate_elections`` in
``dynamics.steps`` in place of ``elections``. For each election that falls due, each of its
districts is a governorate council:

1. **Shares** by :func:`factions.dynamics.governorates.governorate_vote_shares`: the base is
   the district's ``base`` (previous result, where known; the actors not named share what is
   left by local electoral capability, ``c^{el}_i * strength_gi``), incumbency from
   ``incumbents``, the retrospective term from ``record``, and the capability term (clients'
   votes, patronage money) from electoral capability; Dirichlet noise. Coefficients: the
   built-in ``elections`` calibration (docs/calibration.md has the mapping) and two
   judgments, ``dynamics.vote_retro`` and ``dynamics.vote_capability``, whose priors
   (``schema.GOVERNORATE_PRIORS``) ensembles sample.
2. **Lists**: allies whose tie exceeds ``joint_list_threshold`` run one joint list (as in the
   ``elections`` step; here the threshold is a judgment prior that ensembles sample,
   ``schema.GOVERNORATE_PRIORS``); a list's share is its members' sum.
3. **Councils** by :func:`factions.dynamics.governorates.council_outcome`: seats by the
   election's rule in each governorate, Shapley-Shubik power per council, and the government
   each council forms (``dynamics.council_formation``). Lists are ordered for connectedness on
   the first issue (members' mean position, weighted by electoral capability).
4. **Feedback**: each contestant's ``seats`` resource becomes its share of all council seats
   (0-100), as in the ``elections`` step; the election is also recorded in ``elections``
   (votes: each governorate's shares times its council size).
5. **Provincial budgets** (:func:`provincial_money`): the parties in each council's government
   control that governorate's budget, ``dynamics.provincial_budget`` money a month per
   council seat (budgets roughly in proportion to population, as council sizes are), split
   among them by their seats in the government. It is added to their ``money`` (a monthly
   flow) from the election's month on; a later election of the same governorate replaces
   the earlier control, so each governorate's budget is counted once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from factions.dynamics.governorates import (
    MAX_COUNCIL_LISTS,
    CouncilOutcome,
    council_outcome,
    fitted_coefficients,
    governorate_vote_shares,
)
from factions.dynamics.voting import ElectionResult, components, district_arrays, hare_split
from factions.errors import Problem, ScenarioError
from factions.scenario.schema import value_of
from factions.steps.base import Context, Month, Step
from factions.steps.standard import capabilities, contestants

__all__ = [
    "GOVERNORATE_ELECTIONS",
    "GovernorateElection",
    "actor_seats",
    "provincial_money",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_T = TypeVar("_T", bound=np.generic)


@dataclass(frozen=True)
class GovernorateElection:
    """One election by governorate, per member.

    ``shares`` ``(B, G, n)`` each contestant's vote share per governorate; ``lists`` ``(B, n)``
    the list each ran on (its lowest-index member); ``council`` the councils' seats, power and
    governments per list (indexed by the list's lowest-index member); ``seats`` ``(B, G, n)``
    the seats each contestant holds.
    """

    event: str
    district_ids: tuple[str, ...]
    actor_ids: tuple[str, ...]
    shares: FloatArray
    lists: IntArray
    council: CouncilOutcome
    seats: IntArray


def _control(el: GovernorateElection, per_seat: float | FloatArray) -> FloatArray:
    """``(B, G, n)`` the money a month each party controls in each governorate of ``el``."""
    gov = np.take_along_axis(
        el.council.government, np.broadcast_to(el.lists[:, None, :], el.seats.shape), axis=2
    )  # (B, G, n): in government if its list is
    held = np.where(gov, el.seats, 0).astype(np.float64)
    share = held / np.maximum(held.sum(-1, keepdims=True), 1.0)
    per = np.reshape(np.asarray(per_seat, dtype=np.float64), (-1, 1, 1))  # one, or per member
    budget = per * el.seats.sum(-1, keepdims=True).astype(np.float64)  # (B, G, 1)
    return np.asarray(budget * share)


def provincial_money(
    councils: tuple[tuple[int, Any], ...], per_seat: float | FloatArray, n: int
) -> FloatArray:
    """``(B, n)`` the provincial budgets each party controls a month after the governorate
    elections ``councils`` (for each governorate, the latest election held there counts)."""
    latest: dict[str, FloatArray] = {}
    for _, el in councils:
        control = _control(el, per_seat)
        for g, district in enumerate(el.district_ids):
            latest[district] = control[:, g]
    if not latest:
        return np.zeros((1, n))
    return np.asarray(sum(latest.values()))


def _gov_elections(month: Month, ctx: Context) -> Month:
    held, councils = list(month.elections), list(month.councils)
    arr = ctx.arrays
    a_idx = {a: i for i, a in enumerate(arr.actor_ids)}
    n = arr.n
    for ev in ctx.events.get(month.t, []):
        el = ev.election
        if el is None:
            continue
        st = month.state
        c = capabilities(month, ctx)[..., 1]  # (B, n) electoral
        contest = contestants(el, ctx, c)
        if contest.sum() > MAX_COUNCIL_LISTS:
            raise ScenarioError(
                [Problem(f"events.{ev.id}.election.contestants",
                         f"governorate_elections allows at most {MAX_COUNCIL_LISTS} "
                         f"contestants, got {int(contest.sum())}")]
            )  # fmt: skip
        dists = el.districts
        council, strength, ids = district_arrays(el, arr.actor_ids)
        g = len(council)
        b = c.shape[0]
        given = np.zeros((b, g, n))
        named = np.zeros((g, n), dtype=bool)
        incumbent = np.zeros((g, n), dtype=bool)
        record = np.zeros(g)
        for k, d in enumerate(dists):
            for a, v2 in d.base.items():
                # per member: a judged base with a range is sampled by ensembles
                given[:, k, a_idx[a]] = ctx.values(v2) if ctx.values is not None else value_of(v2)
                named[k, a_idx[a]] = True
            for a in d.incumbents:
                incumbent[k, a_idx[a]] = True
            record[k] = d.record
        stands = contest[None] & (strength > 0)  # (G, n)
        local = np.where(stands[None], c[:, None, :] * strength[None], 0.0)  # (B, G, n)
        unnamed = np.where(named[None], 0.0, local)
        left = np.clip(1.0 - given.sum(-1), 0.0, 1.0)[..., None]
        fill = left * unnamed / np.maximum(unnamed.sum(-1, keepdims=True), 1e-300)
        base = np.where(named[None], given, fill)
        # The two judgment coefficients per member (sampled by ensembles from their priors,
        # schema.GOVERNORATE_PRIORS); the fitted ones are the calibration's estimates.
        coef = replace(
            fitted_coefficients(),
            gamma_retro=ctx.coef("vote_retro")[:, :, None],
            lam=ctx.coef("vote_capability")[:, :, None],
        )
        shares = governorate_vote_shares(base, incumbent, record, c, stands, coef, ctx.rng)
        # per member: the threshold is sampled by ensembles (schema.GOVERNORATE_PRIORS)
        threshold = ctx.coef("joint_list_threshold")[:, :, None]
        joint = (st.ties > threshold) & contest[None, :, None]
        lists = components(joint & contest[None, None, :])
        onehot = (lists[:, :, None] == np.arange(n)[None, None, :]).astype(np.float64)
        # Compress to the contestants (formation enumerates 2^L coalitions of lists).
        idx = np.flatnonzero(contest)
        list_shares = np.einsum("bgi,bil->bgl", shares, onehot)[..., idx]
        weight = np.maximum(c, 1e-300)[:, :, None] * onehot  # (B, n, L)
        pos = np.einsum("bi,bil->bl", st.x[..., 0], weight) / np.maximum(weight.sum(1), 1e-300)
        out = council_outcome(
            list_shares, council, pos[:, idx], rule=el.rule, first_divisor=el.first_divisor,
            formation=ctx.dynamics.council_formation, rng=ctx.rng,
        )  # fmt: skip
        full = CouncilOutcome(
            seats=_expand(out.seats, idx, n, 0),
            power=_expand(out.power, idx, n, 0.0),
            government=_expand(out.government, idx, n, False),
            proposer=np.where(out.proposer >= 0, idx[np.maximum(out.proposer, 0)], -1),
        )
        seats_i = actor_seats(shares, lists, full.seats)  # each contestant's seats
        councils.append(
            (month.t, GovernorateElection(ev.id, ids, arr.actor_ids, shares, lists, full, seats_i))
        )
        # Votes in the record: each governorate's shares times its council size (no
        # turnout is known), so that votes summed over governorates weigh councils by size.
        votes = shares * council[None, :, None].astype(np.float64)
        held.append((month.t, ElectionResult(ev.id, votes, seats_i, lists, ids)))
        total = seats_i.sum(axis=(1, 2))
        share = seats_i.sum(axis=1) / np.maximum(total, 1)[:, None]
        k_seats = ctx.kind("seats", month)
        res = st.resources.copy()
        res[..., k_seats] = np.where(contest[None], 100.0 * share, res[..., k_seats])
        # per member: a scenario may give the budget a judged range that ensembles sample
        per_seat = ctx.coef("provincial_budget")[:, 0]
        if np.any(per_seat > 0):
            before = provincial_money(tuple(councils[:-1]), per_seat, n)
            after = provincial_money(tuple(councils), per_seat, n)
            k_money = ctx.kind("money", month)
            res[..., k_money] = res[..., k_money] + after - before
        month = replace(month, state=replace(st, resources=res))
    return replace(month, elections=tuple(held), councils=tuple(councils))


def actor_seats(shares: FloatArray, lists: IntArray, list_seats: IntArray) -> IntArray:
    """``(B, G, n)`` the seats each contestant holds, given its votes ``shares`` ``(B, G, n)``,
    the list it ran on ``lists`` ``(B, n)`` and each list's seats ``list_seats``
    ``(B, G, L)``: the largest-remainder split of each list's seats among its members, summed
    over the lists (a contestant is on one list), without ``(B, G, L, n)`` arrays. A one-member
    list's seats go to its member (if it has votes); a joint list's are split among its
    members by largest remainder (:func:`hare_split`), on the same votes."""
    b, g, n = shares.shape
    onehot = (lists[:, :, None] == np.arange(n)[None, None, :]).astype(np.float64)  # (B, n, L)
    joint = onehot.sum(axis=1) >= 2  # (B, L)
    own = np.take_along_axis(list_seats, np.broadcast_to(lists[:, None, :], (b, g, n)), axis=2)
    alone = ~np.take_along_axis(joint, lists, axis=1)  # (B, n): on a one-member list
    out = np.where((shares > 0) & alone[:, None, :], own, 0).astype(np.int64, copy=False)
    jb, jl = np.nonzero(joint)
    if jb.size:
        member = shares[jb] * onehot[jb, :, jl][:, None, :]  # (J, G, n) each joint list's votes
        split = hare_split(member.reshape(-1, n), list_seats[jb, :, jl].reshape(-1))
        np.add.at(out, jb, split.reshape(len(jb), g, n))  # to members only; jb may repeat
    return out


def _expand(a: NDArray[_T], idx: IntArray, n: int, fill: object) -> NDArray[_T]:
    out: NDArray[_T] = np.full((*a.shape[:-1], n), fill, dtype=a.dtype)
    out[..., idx] = a
    return out


GOVERNORATE_ELECTIONS = Step(
    "governorate_elections", _gov_elections,
    frozenset({"resources.*", "state.ties", "state.x", "elections", "councils"}),
    frozenset({"resources.seats", "resources.money", "elections", "councils"}),
    "elections by governorate: logit shares (base, incumbency, record, capability) with "
    "Dirichlet noise, joint lists, seats per council, council power and government; "
    "governing parties control provincial budgets (dynamics/governorates.py)",
)  # fmt: skip
