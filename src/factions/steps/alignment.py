"""Alignment as a choice: whom each actor leans on, as a logit over partners (``alignment``).

Each month every actor ``i`` values each other actor ``k`` as a partner by

    U_ik = bond_ik trust_ik (sec_ik + elec_k) - dist_ik
    sec_ik  = min(C_k, raw_i) / (A_i + raw_i)  (the share of i's contest k's forces can cover)
    elec_k  = E_k / sum_l E_l                  (k's share of electoral capability)
    dist_ik = sum_d s_id |x_id - x_kd| / sum_d s_id   (policy distance, i's saliences)

with ``bond_ik = max(tie_ik, k_ki, 0)`` (an ally's or a protector's commitment: nobody
leans on a stranger), ``trust_ik = 1 - p_ik`` (a partner believed aggressive is worth
less: Kydd's beliefs), ``C`` armed and ``E`` electoral capability and ``raw_i`` the threat
``i`` faces before protection (the ``forces`` step's contest threat), ``A_i`` its own
fighters: the more ``i`` is threatened, the more a strong partner is worth. It leans on ``k``
with the multinomial-logit probability ``P_ik = exp(U_ik / tau) / sum_l exp(U_il / tau)``
(McFadden 1974), the partners being every other actor and "nobody" (``U = 0``);
``tau`` is ``dynamics.alignment_scale``. The equal weights of security, votes and policy
are a modelling choice. Axelrod & Bennett's (1993) landscape aggregates the same kind of
propensities into camps; here each actor's choice is read separately. The choice is
recorded (``lean:A:B`` series) and does not yet feed back into ties.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from factions.steps.base import BoolArray, Context, FloatArray, Month, Step
from factions.steps.bounded import _weights

__all__ = ["ALIGNMENT", "lean"]


def _shared_issues(mask: BoolArray) -> FloatArray:
    """``(D, B, i, k)`` 1 where both ``i`` and ``k`` hold a stance on the issue, else 0."""
    both = mask[:, :, None, :] & mask[:, None, :, :]
    return np.ascontiguousarray(np.moveaxis(both, -1, 0), dtype=np.float64)


def _distance(x: FloatArray, s: FloatArray, shared: FloatArray) -> FloatArray:
    """``(B, i, k)`` ``dist_ik = sum_d w_ikd |x_id - x_kd| / sum_d w_ikd``, with
    ``w_ikd = s_id`` on the issues both hold a stance on.

    One issue at a time over ``(B, n, n)`` arrays; with fewer than 8 issues the sums add
    the issues in order, as ``.sum(-1)`` over a ``(B, n, n, D)`` tensor does (bit-identical);
    with more, that tensor's sum (pairwise) is taken.
    """
    issues = s.shape[-1]
    weights, terms = [], []
    for d in range(issues):
        w = s[:, :, None, d] * shared[d]
        gap = np.abs(x[:, :, None, d] - x[:, None, :, d])
        gap *= w
        weights.append(w)
        terms.append(gap)
    if issues < 8:
        num, den = terms[0], weights[0].copy()
        for d in range(1, issues):
            num += terms[d]
            den += weights[d]
    else:
        num, den = np.stack(terms, -1).sum(-1), np.stack(weights, -1).sum(-1)
    return np.asarray(num / np.maximum(den, 1e-9))


def _prepare(month: Month, ctx: Context) -> dict[str, Any]:
    return {"shared_issues": _shared_issues(ctx.mask)}  # depends on the scenario only


def lean(month: Month, ctx: Context) -> FloatArray:
    """``(B, n, n)`` ``P_ik``: the probability that ``i`` leans on ``k`` (rows sum to at
    most 1; the rest is "nobody")."""
    st = month.state
    n = st.ties.shape[-1]
    cap = month.capability
    raw = np.einsum("bij,bj->bi", _weights(month), cap[..., 2])
    armed = cap[..., 2]
    own = st.resources[..., st.kinds.index("armed_strength")]
    cover = np.minimum(armed[:, None, :], raw[:, :, None])
    sec = cover / np.maximum(own[:, :, None] + raw[:, :, None], 1e-9)
    votes = cap[..., 1]
    elec = votes / np.maximum(votes.sum(axis=1, keepdims=True), 1e-9)
    shared = ctx.extra.get("shared_issues")
    if shared is None:
        shared = _shared_issues(ctx.mask)
    dist = _distance(st.x, st.s, shared)
    bond = np.maximum(np.maximum(st.ties, st.patron.transpose(0, 2, 1)), 0.0)
    trust = 1.0 - st.belief
    u = bond * trust * (sec + elec[:, None, :]) - dist
    u[:, np.arange(n), np.arange(n)] = -np.inf
    tau = ctx.dynamics.alignment_scale
    top = np.maximum(u.max(axis=2, keepdims=True), 0.0)
    e = np.exp((u - top) / tau)
    none = np.exp(-top / tau)
    return np.asarray(e / (e.sum(axis=2, keepdims=True) + none))


def _alignment(month: Month, ctx: Context) -> Month:
    return replace(month, lean=lean(month, ctx))


ALIGNMENT = Step(
    "alignment", _alignment,
    frozenset({"state.ties", "state.patron", "state.belief", "state.x", "state.s",
               "resources.armed_strength", "capability"}),
    frozenset({"lean"}),
    "whom each actor leans on: a logit over partners' security, electoral value and policy "
    "distance (steps/alignment.py)",
    prepare=_prepare,
)  # fmt: skip
