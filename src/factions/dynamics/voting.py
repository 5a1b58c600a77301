"""Elections in the simulation: votes per district from power, lists from alliances, seats
by the election's rule, and seats fed back into capability.

1. **Votes.** In district ``d``, contestant ``i`` polls
   ``v_id = c^{el}_i * strength_id``: its electoral capability (popular support, clients'
   votes, clergy backing, money, incumbency: :mod:`factions.dynamics.power`) times its
   relative local strength from the scenario (default 1). This is a share model in the
   spirit of the proportional ("attraction") vote models of political science; it is a
   documented choice, not an estimate.
2. **Lists.** Contestants whose relation tie exceeds ``joint_list_threshold`` run on one
   joint list (the connected groups of such ties); otherwise each runs alone.
3. **Seats** per district by the rule (:func:`factions.dynamics.elections.allocate`):
   D'Hondt, Sainte-Laguë (first divisor configurable), Hare largest remainder, or Iraq's
   2009 provincial rule. A joint list's seats go to its members in proportion to their
   votes (Hare largest remainder).
4. **Feedback.** Each contestant's ``seats`` resource becomes its share of all seats
   (0-100), which feeds its bargaining and electoral capability from the next month.

References
----------
Taagepera, R. & Shugart, M. S. (1989). *Seats and Votes*. Yale University Press (allocation
rules and their effects).

Iraq, Law No. 36 of 2008 on provincial, district and sub-district council elections (the
2009 rule; see :mod:`factions.dynamics.elections`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from factions.dynamics.elections import allocate
from factions.scenario.schema import Election, value_of

__all__ = ["ElectionResult", "components", "hare_split", "hold_election"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class ElectionResult:
    """Votes and seats of one election, per member, district and contestant.

    ``votes`` and ``seats`` are ``(B, districts, n)`` (0 for non-contestants); ``lists`` is
    ``(B, n)``: the index of the list each contestant ran on (its lowest-index member).
    """

    event: str
    votes: FloatArray
    seats: IntArray
    lists: IntArray
    district_ids: tuple[str, ...]


def components(adj: BoolArray) -> IntArray:
    """``(B, n)`` the lowest index in each node's connected group of ``adj`` (B, n, n)."""
    n = adj.shape[1]
    reach = adj | np.eye(n, dtype=bool)[None]
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))))):
        r = reach.astype(np.float64)  # path counts up to n: exact in floats
        reach = reach | (np.matmul(r, r) > 0)
    return np.asarray(np.argmax(reach, axis=2), dtype=np.int64)


def hare_split(votes: FloatArray, seats: IntArray) -> IntArray:
    """Largest-remainder split of ``seats (R,)`` among ``votes (R, n)``, row by row."""
    total = votes.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        quota = np.where(total > 0, votes * seats[:, None] / total, 0.0)
    base = np.floor(quota + 1e-12).astype(np.int64)
    left = seats - base.sum(axis=1)
    rem = quota - base
    order = np.argsort(-rem, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(votes.shape[1])[None].repeat(len(votes), 0), axis=1)
    extra = (rank < left[:, None]) & (votes > 0)
    return np.asarray(base + extra.astype(np.int64))


def district_arrays(
    election: Election, actor_ids: Sequence[str]
) -> tuple[NDArray[np.int64], FloatArray, tuple[str, ...]]:
    """An election's districts as arrays: seats ``(D,)``, each actor's relative local
    strength ``(D, n)`` (default 1) and the district ids; one national district when the
    election names none."""
    n = len(actor_ids)
    if not election.districts:
        return np.array([election.seats or 1], dtype=np.int64), np.ones((1, n)), ("national",)
    a_idx = {a: i for i, a in enumerate(actor_ids)}
    seats = np.array([d.seats for d in election.districts], dtype=np.int64)
    strength = np.ones((len(seats), n))
    for k, dist in enumerate(election.districts):
        for a, v in dist.strength.items():
            strength[k, a_idx[a]] = value_of(v)
    return seats, strength, tuple(d.id for d in election.districts)


def hold_election(
    event_id: str,
    election: Election,
    actor_ids: tuple[str, ...],
    electoral: FloatArray,
    ties: FloatArray,
    contestants: BoolArray,
    *,
    joint_threshold: float,
) -> ElectionResult:
    """Hold one election for every ensemble member.

    Parameters
    ----------
    electoral
        ``(B, n)`` electoral capabilities.
    ties
        ``(B, n, n)`` relation ties.
    contestants
        ``(n,)`` which actors run.
    """
    b, n = electoral.shape
    seats_d, strength, ids = district_arrays(election, actor_ids)
    nd = len(seats_d)
    votes = electoral[:, None, :] * strength[None] * contestants[None, None, :]
    joint = (ties > joint_threshold) & contestants[None, :, None] & contestants[None, None, :]
    lists = components(joint)
    # Votes per list, indexed by the list's lowest-index member.
    onehot = (lists[:, :, None] == np.arange(n)[None, None, :]).astype(np.float64)  # (B, n, L)
    list_votes = np.einsum("bdi,bil->bdl", votes, onehot)
    flat = list_votes.reshape(b * nd, n)
    list_seats = np.empty((b * nd, n), dtype=np.int64)
    # allocate() takes one seat total per call: group the rows by district.
    list_seats[:] = 0
    for k in range(nd):
        rows = np.arange(k, b * nd, nd)
        rows = rows[flat[rows].sum(axis=1) > 0]  # a district where nobody polls elects nobody
        if len(rows):
            list_seats[rows] = allocate(
                flat[rows], int(seats_d[k]), election.rule, first_divisor=election.first_divisor
            )
    list_seats = list_seats.reshape(b, nd, n)
    # Split each list's seats among its members by their votes.
    member_votes = (votes[:, :, :, None] * onehot[:, None, :, :]).transpose(0, 1, 3, 2)
    split = hare_split(member_votes.reshape(-1, n), list_seats.reshape(-1)).reshape(b, nd, n, n)
    seats = split.sum(axis=2)
    return ElectionResult(event_id, votes, np.asarray(seats, dtype=np.int64), lists, ids)
