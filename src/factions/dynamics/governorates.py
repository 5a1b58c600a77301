"""Elections by governorate: a multinomial-logit share model per council, Dirichlet noise,
seats by the election's rule, council power indices and government formation per council.

**Shares** (:func:`governorate_vote_shares`). In governorate ``g``, list or party ``k``
polls the expected share

.. math:: \\mu_{gk} \\propto \\exp(\\beta \\log b_{gk} + \\gamma_{inc} I_{gk}
          + \\gamma_{retro} r_g I_{gk} + \\lambda \\log(c_k / \\bar c))

the multinomial logit of party choice aggregated to shares (Adams, Merrill & Grofman 2005,
ch. 2; the same mean as the fitted vote model, :mod:`factions.calibration.elections`, after
Katz & King 1999): ``b_gk`` the party's base (its share at the previous election in ``g``
where known, else its electoral capability share there), ``I_gk`` = 1 if it sat in the
council's government (incumbency), ``r_g`` in ``[-1, 1]`` the voters' verdict on the
council's record on security and services (retrospective voting: Fiorina 1981), and
``c_k / c-bar`` its electoral capability relative to the contestants' geometric mean: the
channel of patronage and clients' votes (clients, money and incumbency feed ``c_k``,
:mod:`factions.dynamics.power`). The realised shares are ``Dirichlet(kappa mu)`` (the noise
of the fitted vote model; with many voters the Dirichlet-multinomial's shares tend to it).

**Councils** (:func:`council_outcome`). Seats by the election's rule in each governorate;
Shapley-Shubik power in each council (a simple majority of its seats), never over a sum of
councils; and the government each council forms: the smallest minimal connected winning
coalition (Axelrod 1970; lists ordered on one policy dimension) or, under Baron-Ferejohn
bargaining with recognition in proportion to seats, the proposer (drawn by seats) with the
cheapest partners: the winning coalition of least weight containing it (with recognition by
weight, continuation values are proportional to weight, so votes cost the same per seat:
Snyder, Ting & Ansolabehere 2005; Baron & Ferejohn 1989).

References
----------
Adams, J., Merrill, S. & Grofman, B. (2005). *A Unified Theory of Party Competition*.
Cambridge UP, ch. 2 (the conditional-logit vote model).

Katz, J. N. & King, G. (1999). A statistical model for multiparty electoral data. *APSR*
93(1), 15-32.

Fiorina, M. (1981). *Retrospective Voting in American National Elections*. Yale UP.

Axelrod, R. (1970). *Conflict of Interest*. Markham, ch. 8 (minimal connected winning).

Baron, D. P. & Ferejohn, J. A. (1989). Bargaining in legislatures. *APSR* 83(4), 1181-1206.

Snyder, J. M., Ting, M. M. & Ansolabehere, S. (2005). Legislative bargaining under weighted
voting. *American Economic Review* 95(4), 981-1004.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from factions.dynamics.coalitions import shapley_shubik
from factions.dynamics.elections import Rule, allocate

__all__ = [
    "MAX_COUNCIL_LISTS",
    "CouncilOutcome",
    "VoteCoefficients",
    "council_outcome",
    "fitted_coefficients",
    "governorate_vote_shares",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Formation enumerates the 2^L coalitions of a council's lists.
MAX_COUNCIL_LISTS = 16
_CHUNK = 1 << 22  # elements per block of rows x coalitions x lists in formation
_FLOOR = 5e-4  # a base share below this becomes this, as in the fit (share_floor)


@dataclass(frozen=True)
class VoteCoefficients:
    """The share model's coefficients (docs/calibration.md maps the fitted ones).

    ``beta``, ``gamma_incumbent`` and ``kappa`` default to the built-in ``elections``
    calibration (ParlGov, :func:`fitted_coefficients`); ``gamma_retro`` (prior: 0.3 log-odds
    per unit of record, range 0-1) and ``lam`` (prior: 0.3, range 0-1) are judgments
    (``dynamics.vote_retro``, ``vote_capability``). ``gamma_retro`` and ``lam`` may be
    ``(B, 1, 1)`` arrays, one value per member (an ensemble samples their priors).
    """

    beta: float = 1.0
    gamma_incumbent: float = 0.0
    gamma_retro: float | FloatArray = 0.0
    lam: float | FloatArray = 0.0
    kappa: float = float("inf")


def fitted_coefficients() -> VoteCoefficients:
    """The built-in ``elections`` calibration's beta_prev, gamma_incumbent and kappa, with
    the judgment priors gamma_retro = 0.3 and lam = 0.3."""
    from factions.calibration.store import load_calibration  # cached; no import cycle

    cal = load_calibration("elections")
    return VoteCoefficients(
        beta=float(cal.coefficient("beta_prev")["estimate"]),
        gamma_incumbent=float(cal.coefficient("gamma_incumbent")["estimate"]),
        gamma_retro=0.3,
        lam=0.3,
        kappa=float(cal.coefficient("kappa")["estimate"]),
    )


def governorate_vote_shares(
    base: FloatArray,
    incumbent: BoolArray,
    record: FloatArray,
    electoral: FloatArray,
    stands: BoolArray,
    coef: VoteCoefficients,
    rng: np.random.Generator | None = None,
) -> FloatArray:
    """``(B, G, n)`` vote shares per member, governorate and party (0 where it does not stand).

    Parameters
    ----------
    base
        ``(B, G, n)`` or ``(G, n)`` the base shares (floored at 5e-4, the fit's floor).
    incumbent
        ``(G, n)`` who sat in each council's government.
    record
        ``(G,)`` or ``(B, G)`` the council's record on security and services, in [-1, 1].
    electoral
        ``(B, n)`` electoral capability (> 0 where a party stands).
    stands
        ``(G, n)`` or ``(B, G, n)`` who stands in each governorate.
    coef
        The coefficients; ``kappa = inf`` gives the expected shares (no noise).
    rng
        Needed when ``kappa`` is finite.
    """
    b = electoral.shape[0]
    base_b = np.broadcast_to(base, (b, *base.shape[-2:]))
    g, n = base_b.shape[1:]
    st = np.broadcast_to(stands, (b, g, n))
    rec = np.broadcast_to(np.asarray(record, dtype=np.float64).reshape(-1, g), (b, g))
    inc = np.broadcast_to(incumbent, (b, g, n)).astype(np.float64)
    cap = np.where(st, np.maximum(electoral[:, None, :], 1e-300), 1.0)
    logc = np.log(cap)
    logc_mean = (logc * st).sum(-1, keepdims=True) / np.maximum(st.sum(-1, keepdims=True), 1)
    eta = (
        coef.beta * np.log(np.maximum(np.where(st, base_b, 1.0), _FLOOR))
        + coef.gamma_incumbent * inc
        + coef.gamma_retro * rec[..., None] * inc
        + coef.lam * (logc - logc_mean)
    )
    eta = np.where(st, eta, -np.inf)
    top = np.max(eta, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    w = np.exp(eta - top)
    mu = w / np.maximum(w.sum(-1, keepdims=True), 1e-300)
    if not np.isfinite(coef.kappa):
        return np.asarray(mu, dtype=np.float64)
    if rng is None:
        raise ValueError("rng is required when kappa is finite")
    draw = np.where(st, rng.standard_gamma(np.maximum(coef.kappa * mu, 1e-12)), 0.0)
    return np.asarray(draw / np.maximum(draw.sum(-1, keepdims=True), 1e-300), dtype=np.float64)


@dataclass(frozen=True)
class CouncilOutcome:
    """Seats, power and the government formed, per member and governorate.

    ``seats`` ``(B, G, n)`` per list (indexed by its lowest-index member); ``power``
    ``(B, G, n)`` Shapley-Shubik index in each council; ``government`` ``(B, G, n)`` the lists
    in the government formed (all False where no majority could be formed); ``proposer``
    ``(B, G)`` the formateur (Baron-Ferejohn) or the largest list in the government (-1: none).
    """

    seats: IntArray
    power: FloatArray
    government: BoolArray
    proposer: IntArray


def _seats(votes: FloatArray, council: IntArray, rule: Rule, first_divisor: float) -> IntArray:
    b, g, n = votes.shape
    out = np.zeros((b, g, n), dtype=np.int64)
    for k in range(g):  # allocate() takes one seat total per call
        v = votes[:, k]
        ok = v.sum(-1) > 0
        if ok.any():
            out[ok, k] = allocate(v[ok], int(council[k]), rule, first_divisor=first_divisor)
    return out


def council_outcome(
    list_votes: FloatArray,
    council: IntArray,
    position: FloatArray,
    *,
    rule: Rule = "sainte_lague",
    first_divisor: float = 1.0,
    formation: Literal["mcw", "baron_ferejohn"] = "mcw",
    rng: np.random.Generator | None = None,
) -> CouncilOutcome:
    """Seats by ``rule`` in each council, Shapley-Shubik power per council, and the government.

    Parameters
    ----------
    list_votes
        ``(B, G, n)`` votes (or shares) per list; lists with none are not players.
    council
        ``(G,)`` council sizes.
    position
        ``(B, n)`` each list's position on the dimension that orders connectedness.
    formation
        ``"mcw"``: the minimal connected winning coalition of least weight (Axelrod 1970);
        ``"baron_ferejohn"``: the formateur drawn with probability in proportion to seats,
        with the winning coalition of least weight that contains it (needs ``rng``).
    """
    b, g, n = list_votes.shape
    if n > MAX_COUNCIL_LISTS:
        raise ValueError(f"at most {MAX_COUNCIL_LISTS} lists per council, got {n}")
    seats = _seats(list_votes, council, rule, first_divisor)
    w = seats.reshape(b * g, n).astype(np.float64)
    total = w.sum(-1)
    quota = np.floor(total / 2.0) + 1.0
    power = np.zeros_like(w)
    ok = total > 0
    if ok.any():
        power[ok] = shapley_shubik(w[ok], quota[ok])
    if formation not in ("mcw", "baron_ferejohn"):
        raise ValueError(f"formation must be 'mcw' or 'baron_ferejohn', got {formation!r}")
    pos = np.repeat(position, g, axis=0)  # (R, n), rows are b * g + k
    prop = np.full(len(w), -1, dtype=np.int64)
    if formation == "baron_ferejohn":
        if rng is None:
            raise ValueError("rng is required for baron_ferejohn formation")
        # Recognition in proportion to seats.
        cum = np.cumsum(w, -1)
        u = rng.random(len(w))[:, None] * total[:, None]
        above = cum > u
        prop = np.where(above.any(-1), np.argmax(above, -1), np.argmax(w, -1))
    # Every coalition of the n lists as a bit mask (K = 2^n); rows in chunks (memory).
    masks = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)  # (K, n)
    best = np.zeros(len(w), dtype=np.int64)
    found = np.zeros(len(w), dtype=bool)
    step = max(1, _CHUNK // ((1 << n) * n))
    for r0 in range(0, len(w), step):
        sl = slice(r0, r0 + step)
        best[sl], found[sl] = _form(w[sl], quota[sl], ok[sl], pos[sl], prop[sl], masks, formation)
    gov = masks[best] & found[:, None]
    if formation == "baron_ferejohn":
        proposer = np.where(found, prop, -1)
    else:
        proposer = np.where(found, np.argmax(np.where(gov, w, -1.0), -1), -1)
    return CouncilOutcome(
        seats=seats,
        power=power.reshape(b, g, n),
        government=gov.reshape(b, g, n),
        proposer=np.asarray(proposer, dtype=np.int64).reshape(b, g),
    )


def _form(
    w: FloatArray,
    quota: FloatArray,
    ok: BoolArray,
    pos: FloatArray,
    prop: IntArray,
    masks: BoolArray,
    formation: str,
) -> tuple[IntArray, BoolArray]:
    """The government per row: the index of its bit mask, and whether one was found.

    Every quantity is a ``(K, R)`` array (coalitions x rows) built list by list, never an
    ``(R, K, n)`` one: a coalition's weight and end positions are those of its mask without
    its highest list, updated by that list (masks ``2^j .. 2^(j+1) - 1`` extend masks
    ``0 .. 2^j - 1`` by list ``j``); the masks with list ``j`` and those without it are the
    two halves of a ``(K / 2^(j+1), 2, 2^j, R)`` view. A coalition with a non-player (a list
    without seats) is never a candidate, so these need to be right only where a mask's lists
    are all players. Weights are whole seats, so every sum is exact in any order.
    """
    r, n = w.shape
    k = masks.shape[0]
    wc, pc, player = w.T.copy(), pos.T.copy(), (w > 0).T.copy()  # (n, R) each
    held = (np.int64(1) << np.arange(n, dtype=np.int64)) @ player  # each row's players
    valid = (np.arange(k, dtype=np.int64)[:, None] & ~held[None, :]) == 0  # players only
    wt = np.zeros((k, r))
    for j in range(n):
        np.add(wt[: 1 << j], wc[j], out=wt[1 << j : 2 << j])
    cand = (wt >= quota) & valid & ok
    if formation == "mcw":
        lo, hi = np.empty((k, r)), np.empty((k, r))
        lo[0], hi[0] = np.inf, -np.inf
        for j in range(n):
            np.minimum(lo[: 1 << j], pc[j], out=lo[1 << j : 2 << j])
            np.maximum(hi[: 1 << j], pc[j], out=hi[1 << j : 2 << j])
        # Axelrod: connected (no player outside it lies strictly between its ends),
        # winning, and losing if either end member leaves.
        w_lo, w_hi = np.zeros((k, r)), np.zeros((k, r))
        pp = np.where(player, pc, np.nan)  # a non-player lies between no ends
        for j in range(n):
            split = (k >> (j + 1), 2, 1 << j, r)
            lo2, hi2, c2 = lo.reshape(split), hi.reshape(split), cand.reshape(split)
            c2[:, 0] &= ~((pp[j] > lo2[:, 0]) & (pp[j] < hi2[:, 0]))
            np.add(w_lo.reshape(split)[:, 1], wc[j], out=w_lo.reshape(split)[:, 1],
                   where=pc[j] == lo2[:, 1])  # fmt: skip
            np.add(w_hi.reshape(split)[:, 1], wc[j], out=w_hi.reshape(split)[:, 1],
                   where=pc[j] == hi2[:, 1])  # fmt: skip
        cand &= (wt - w_lo < quota) & (wt - w_hi < quota)
    else:
        cand &= masks[:, prop]  # the coalitions that contain the formateur
    score = np.where(cand, wt, np.inf)
    best = np.asarray(np.argmin(score, axis=0), dtype=np.int64)  # least weight; ties: lowest mask
    return best, np.asarray(np.isfinite(score.min(0)))
