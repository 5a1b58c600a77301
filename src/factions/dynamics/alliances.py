"""Alliances: signed, weighted ties that move with positional affinity, structural balance
and mutual suspicion.

Each month every relation tie ``w_ij`` in [-1, 1] moves by three pulls (rates per month from
``scenario.dynamics``):

1. **Affinity** (``affinity_rate``, alpha): towards ``2 aff_ij - 1``, where
   ``aff_ij = 1 - sum_d s_id s_jd |x_id - x_jd| / sum_d s_id s_jd`` is the salience-weighted
   closeness of the two actors' positions on the issues both care about (Axelrod & Bennett
   1993's landscape theory scores pairs by the same kind of propensity; here it is the
   positional part). Pairs with no shared salient issue feel no pull.
2. **Balance** (``balance_rate``, beta): up by
   ``bal_ij = sum_k w_ik w_kj c_k / sum_k c_k`` (k != i, j): a common enemy or common friend
   draws two actors together, a friend's enemy pushes them apart (Heider 1946;
   Cartwright & Harary 1956), weighted by the third party's bargaining capability ``c_k`` so
   that a common enemy who is crushed stops being glue (the seed: Da'wa and the SIIC "worked
   together to get rid of their former strong ally"; with Sadr's militia "largely
   decimated" the alliance loses its reason). This is the continuous-time balance dynamics
   ``dW/dt = W^2`` of Kułakowski et al. (2005) and Marvel et al. (2011), capability-weighted.
3. **Suspicion** (``threat_rate``, gamma): down by the rise in mutual suspicion since the
   start, ``(p_ij + p_ji)/2 - (p0_ij + p0_ji)/2``, where ``p`` are the Kydd beliefs of the
   security module (the seed: the SIIC's opposition "feeds back to make Maliki and his party
   even more wary").

.. math:: w' = \\operatorname{clip}\\big(w + \\alpha (2\\,aff - 1 - w) + \\beta\\, bal
          - \\gamma\\,\\Delta susp, -1, 1\\big)

Camps and a balance index over time come from :mod:`factions.dynamics.balance`.

The bounded sequence's ``bounded_alliances`` step (:mod:`factions.steps.ties`) measures
these pulls against their values at the start and adds two: :func:`common_threat`, a third
party hostile to both, weighted by its armed share (Walt 1987), and :func:`grievance`, the
policy loss the bargaining outcome imposes beyond the compromise at the start (Achen 2006),
blamed on those who pulled it away.

References
----------
Heider, F. (1946). Attitudes and cognitive organization. *Journal of Psychology* 21, 107-112.

Cartwright, D. & Harary, F. (1956). Structural balance: a generalization of Heider's theory.
*Psychological Review* 63(5), 277-293.

Axelrod, R. & Bennett, D. S. (1993). A landscape theory of aggregation. *British Journal of
Political Science* 23(2), 211-233.

Kułakowski, K., Gawroński, P. & Gronek, P. (2005). The Heider balance: a continuous
approach. *International Journal of Modern Physics C* 16(5), 707-716.

Marvel, S. A., Kleinberg, J., Kleinberg, R. D. & Strogatz, S. H. (2011). Continuous-time
model of structural balance. *PNAS* 108(5), 1771-1776.

Walt, S. M. (1987). *The Origins of Alliances*. Cornell UP.

Achen, C. H. (2006). Institutional realism and bargaining models. In Thomson, Stokman, Achen
& König (eds.), *The European Union Decides*, ch. 4. Cambridge UP.

Morrow, J. D. (1991). Alliances and asymmetry: an alternative to the capability aggregation
model of alliances. *American Journal of Political Science* 35(4), 904-933.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["affinity", "balance_pull", "common_threat", "grievance", "update_ties"]

FloatArray = NDArray[np.float64]


def affinity(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Salience-weighted positional closeness of every pair.

    Returns ``(aff, weight)``, both ``(B, n, n)``: ``aff`` in [0, 1] (1 = same positions)
    and the total joint salience ``sum_d s_id s_jd`` (0 where the pair shares no issue).
    """
    joint = np.einsum("bid,bjd->bij", s, s)
    # num = sum_d s_id s_jd |x_id - x_jd|, one issue at a time: the same products summed in
    # the same order as ``einsum("bid,bjd,bijd->bij", s, s, dist)``, without the
    # (B, n, n, D) distance tensor.
    b, n, issues = s.shape
    num = np.zeros((b, n, n))
    dist = np.empty((b, n, n))
    term = np.empty((b, n, n))
    for d in range(issues):
        np.subtract(x[:, :, None, d], x[:, None, :, d], out=dist)
        np.abs(dist, out=dist)
        np.multiply(s[:, :, None, d], s[:, None, :, d], out=term)
        term *= dist
        num += term
    with np.errstate(invalid="ignore", divide="ignore"):
        aff = np.where(joint > 0, 1.0 - num / joint, 0.5)
    return np.asarray(aff), np.asarray(joint)


def balance_pull(ties: FloatArray, c: FloatArray) -> FloatArray:
    """``bal_ij = sum_{k != i,j} w_ik w_kj c_k / sum_{k != i,j} c_k``, ``(B, n, n)``."""
    n = ties.shape[-1]
    w = ties * (1.0 - np.eye(n))[None]
    num = np.einsum("bik,bk,bkj->bij", w, c, w)
    # The denominator leaves out i and j themselves.
    total = c.sum(axis=1)[:, None, None] - c[:, :, None] - c[:, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(total > 0, num / total, 0.0))


def update_ties(
    ties: FloatArray,
    x: FloatArray,
    s: FloatArray,
    c: FloatArray,
    suspicion_rise: FloatArray,
    *,
    affinity_rate: float,
    balance_rate: float,
    threat_rate: float,
) -> FloatArray:
    """One month of tie dynamics (the equation in the module docstring).

    Parameters
    ----------
    ties
        ``(B, n, n)`` relation strengths.
    x, s
        ``(B, n, D)`` positions and saliences.
    c
        ``(B, n)`` bargaining capabilities (weights of third parties).
    suspicion_rise
        ``(B, n, n)`` the rise in mutual suspicion since the start (symmetric).
    """
    aff, joint = affinity(x, s)
    pull_aff = np.where(joint > 0, (2.0 * aff - 1.0) - ties, 0.0)
    pull_bal = balance_pull(ties, c)
    new = ties + affinity_rate * pull_aff + balance_rate * pull_bal - threat_rate * suspicion_rise
    new = np.clip(new, -1.0, 1.0)
    n = ties.shape[-1]
    new = new * (1.0 - np.eye(n))[None]
    return np.asarray(0.5 * (new + new.transpose(0, 2, 1)))


def grievance(
    x: FloatArray, s: FloatArray, c: FloatArray, outcome: FloatArray, reference: FloatArray
) -> FloatArray:
    """``G_ij``, ``(B, n, n)``: ``i``'s excess policy loss from ``outcome``, attributed to ``j``.

    ``i``'s excess loss on issue ``d`` is what the outcome costs it beyond the
    ``reference`` (the compromise at the start), weighted by its salience,
    ``e_id = s_id max(|x_id - o_d| - |x_id - r_d|, 0)``. It is blamed on those who pulled the
    outcome from the reference to where it is: the actors on that side of the reference, in
    proportion to their pull ``c_j s_jd |x_jd - r_d|`` (the capability x salience weight of
    the compromise model, Achen 2006, times the distance it pulls over),

    ``G_ij = sum_d e_id b_jd / sum_d s_id``,
    ``b_jd = c_j s_jd max(sgn(o_d - r_d) (x_jd - r_d), 0) / sum_k (same for k)``.

    ``G`` lies in [0, 1]; it is 0 where the outcome is the reference. ``x``, ``s`` are
    ``(B, n, D)`` (``s`` 0 where an actor holds no stance), ``c`` ``(B, n)`` bargaining
    capability, ``outcome`` and ``reference`` ``(B, D)``.
    """
    o, r = outcome[:, None, :], reference[:, None, :]
    excess = s * np.maximum(np.abs(x - o) - np.abs(x - r), 0.0)
    side = np.sign(o - r)
    pull = c[:, :, None] * s * np.maximum(side * (x - r), 0.0)
    share = pull / np.maximum(pull.sum(axis=1, keepdims=True), 1e-300)
    g = np.einsum("bid,bjd->bij", excess, share) / np.maximum(s.sum(-1), 1e-300)[:, :, None]
    n = x.shape[1]
    return np.asarray(g * (1.0 - np.eye(n))[None])


def common_threat(ties: FloatArray, armed: FloatArray) -> FloatArray:
    """``E_ij``, ``(B, n, n)``: how strongly a common enemy threatens both ``i`` and ``j``.

    ``E_ij = sum_{k != i, j} h_ik h_jk C_k / (C_i + C_j + C_k)``, with ``h = max(-w, 0)`` the
    enmity of each tie and ``C`` armed capability: a third party hostile to both (the
    common-enemy term ``w_ik w_kj`` of structural balance), weighted by its share in a contest
    against the two together (Tullock's ratio form). Walt (1987): states ally against the
    power that threatens them, and threat grows with the other's power and hostility.
    """
    h = np.maximum(-ties, 0.0)
    c = np.maximum(armed, 0.0)
    n = ties.shape[-1]
    # One third party k at a time, (B, i, j) each: the same products summed in the same
    # order as ``einsum("bik,bjk,bijk->bij", h, h, share)`` over the (B, i, j, k) share
    # tensor, at a quarter of the cost.
    both = c[:, :, None] + c[:, None, :]  # C_i + C_j
    e = np.zeros(ties.shape)
    pair = np.empty(ties.shape)
    share = np.empty(ties.shape)
    term = np.empty(ties.shape)
    for k in range(n):
        c_k = c[:, k, None, None]
        np.add(both, c_k, out=pair)
        share.fill(0.0)
        np.divide(c_k, pair, out=share, where=pair > 0)
        np.multiply(h[:, :, None, k], h[:, None, :, k], out=term)
        term *= share
        e += term
    e *= 1.0 - np.eye(n)
    return e
