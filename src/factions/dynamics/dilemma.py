"""The security dilemma: beliefs about rivals' aims, and the arms race they drive.

Each month, for every ordered pair (i, j):

1. **Signal.** ``i`` watches ``j``: how fast ``j``'s armed capability grows,
   ``z_arm = tanh(k dA_j / max(A_j, 1))`` with ``k`` = 5 (a 10 % rise reads as 0.46;
   shrinking reassures), and, when ``i`` runs a patronage programme, how strongly ``j``
   opposes it: ``z_opp = 0.5 s_jp |x_ip - x_jp|`` on the programme's issue ``p`` (the
   seed: the SIIC "opposed Maliki's plans to sponsor 'Support Councils.' This opposition
   feeds back to make Maliki and his party even more wary of the SIIC's intentions").
   Static disagreement is not news and moves no belief. The signal is
   ``z = clip(z_arm + z_opp, -0.95, 0.95)``.
2. **Bayesian update** (Kydd 2005, ch. 2): a greedy (aggressive) ``j`` sends the signal with
   probability ``q_G = (1 + g z) / 2``, a security seeker with ``q_S = (1 - g z) / 2``
   (``g`` = ``signal_gain``), so
   ``p' = p q_G / (p q_G + (1 - p) q_S)`` rises exactly when ``z > 0``.
3. **Arming** (Richardson 1960, with Kydd's beliefs in the fear term): ``i``'s armed
   strength follows ``dA_i/dt = a p_ij* C_j* - m A_i + g_i``, where ``j*`` is ``i``'s
   *main rival*: the rival with the largest threat ``p_ij C_j`` (``C_j`` is ``j``'s armed
   capability, own fighters and clients), ``a`` = ``fear``, ``m`` = ``restraint``.
   Richardson's model is for two nations; arming against the main threat is our n-actor
   reading (summing over all rivals makes any actor with several rivals race without
   bound). The grievance term ``g_i`` is set so that the scenario's initial armed
   strengths are an equilibrium: nobody arms until beliefs or capabilities change.
   Rivals are pairs of armed actors with no patron-client link whose tie is hostile (< 0)
   or where one suspects the other (belief > 0.5): allies turn into rivals as suspicion
   grows. Foreign states do not arm endogenously: their presence is policy, set by events
   (a documented choice). One explicit Euler step per month; strengths stay >= 0.
4. **Verdict.** A pair whose members are each other's main rival has the linearised race
   ``[[-m, a p_ij], [a p_ji, -m]]``: stable iff ``m^2 > a^2 p_ij p_ji`` (Richardson's
   ``m n > a b``), with growth rate (the ``race:A:B`` series) the leading eigenvalue
   ``-m + a sqrt(p_ij p_ji)``: above 0 the race spirals. A pair that is not mutually
   each other's main rival is not racing each other: its growth rate is ``-m``.

References
----------
Richardson, L. F. (1960). *Arms and Insecurity*. Boxwood Press (the two-nation model
``dx/dt = a y - m x + g``).

Kydd, A. H. (2005). *Trust and Mistrust in International Relations*. Princeton University
Press, ch. 2 (the security dilemma as incomplete information; Bayesian updating on the
rival's arming).

Jervis, R. (1978). Cooperation under the security dilemma. *World Politics* 30(2), 167-214.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from factions.dynamics.security import bayes_update

__all__ = [
    "RaceVerdict",
    "arm",
    "grievance_for_equilibrium",
    "main_rival",
    "programme_opposition",
    "race_growth",
    "rival_mask",
    "signals",
    "update_beliefs",
]

#: How strongly relative arming reads as a signal (tanh(k * growth)).
ARMING_SENSITIVITY = 5.0

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def rival_mask(
    ties: FloatArray, patron: FloatArray, belief: FloatArray, armed: FloatArray
) -> BoolArray:
    """``(B, n, n)`` the pairs in a security dilemma.

    ``i`` and ``j`` are rivals when both are armed (armed capability > 0), no patron-client
    link joins them, and either their tie is hostile (< 0) or one suspects the other
    (belief > 0.5). Allies become rivals when suspicion grows: the seed's "two suspicious
    Shiite allies".
    """
    n = ties.shape[-1]
    linked = (patron > 0) | (patron.transpose(0, 2, 1) > 0)
    both = (armed[:, :, None] > 0) & (armed[:, None, :] > 0)
    suspect = (belief > 0.5) | (belief.transpose(0, 2, 1) > 0.5)
    hostile = (ties < 0) | suspect
    return np.asarray(hostile & ~linked & both & ~np.eye(n, dtype=bool)[None])


def programme_opposition(
    x: FloatArray, s: FloatArray, active: NDArray[np.bool_], issue: int
) -> FloatArray:
    """``z_opp[b, i, j] = 0.5 s_jp |x_ip - x_jp|`` where ``i`` runs a programme (else 0)."""
    gap = np.abs(x[:, :, None, issue] - x[:, None, :, issue])
    return np.asarray(0.5 * s[:, None, :, issue] * gap * active[:, :, None])


def signals(armed_before: FloatArray, armed_now: FloatArray, opposition: FloatArray) -> FloatArray:
    """``z[b, i, j]``: what ``i`` reads from ``j``'s arming and opposition this month."""
    growth = (armed_now - armed_before) / np.maximum(armed_before, 1.0)
    z_arm = np.tanh(ARMING_SENSITIVITY * growth)[:, None, :]
    return np.asarray(np.clip(z_arm + opposition, -0.95, 0.95))


def update_beliefs(belief: FloatArray, z: FloatArray, gain: float) -> FloatArray:
    """Kydd's Bayesian update with ``q_G = (1 + g z)/2`` and ``q_S = (1 - g z)/2``."""
    q_g = 0.5 * (1.0 + gain * z)
    q_s = 0.5 * (1.0 - gain * z)
    out = np.asarray(bayes_update(belief, q_g, q_s), dtype=np.float64)
    n = belief.shape[-1]
    return np.asarray(np.clip(out, 1e-6, 1 - 1e-6) * (1.0 - np.eye(n))[None])


def main_rival(belief: FloatArray, rivals: BoolArray, capability: FloatArray) -> FloatArray:
    """``(B, n, n)`` one-hot: ``j`` is ``i``'s main rival (largest ``p_ij C_j``)."""
    threat = np.where(rivals, belief * capability[:, None, :], -1.0)
    best = np.argmax(threat, axis=2)
    onehot = best[:, :, None] == np.arange(threat.shape[2])[None, None, :]
    return np.asarray(onehot & rivals, dtype=np.float64)


def _threat(belief: FloatArray, rivals: BoolArray, capability: FloatArray) -> FloatArray:
    main = main_rival(belief, rivals, capability)
    return np.asarray(np.einsum("bij,bij,bj->bi", main, belief, capability))


def arm(
    armed: FloatArray,
    capability: FloatArray,
    belief: FloatArray,
    rivals: BoolArray,
    grievance: FloatArray,
    endogenous: BoolArray,
    *,
    fear: float | FloatArray,
    restraint: float | FloatArray,
) -> FloatArray:
    """One month of Richardson arming, ``A + (a p_ij* C_j* - m A + g)``, kept >= 0.

    Only ``endogenous`` actors ``(n,)`` arm; the others keep their strength.
    """
    threat = fear * _threat(belief, rivals, capability)
    new = np.clip(armed + threat - restraint * armed + grievance, 0.0, None)
    return np.asarray(np.where(endogenous[None], new, armed))


def grievance_for_equilibrium(
    armed: FloatArray,
    capability: FloatArray,
    belief: FloatArray,
    rivals: BoolArray,
    *,
    fear: float | FloatArray,
    restraint: float | FloatArray,
) -> FloatArray:
    """``g_i = m A_i - a p_ij* C_j*``: makes the initial strengths an equilibrium."""
    return np.asarray(restraint * armed - fear * _threat(belief, rivals, capability))


def race_growth(
    belief: FloatArray,
    rivals: BoolArray,
    capability: FloatArray,
    *,
    fear: float | FloatArray,
    restraint: float | FloatArray,
) -> FloatArray:
    """``(B, n, n)`` each pair's growth rate: ``-m + a sqrt(p_ij p_ji)`` for mutual main
    rivals, ``-m`` otherwise."""
    main = main_rival(belief, rivals, capability)
    mutual = main * main.transpose(0, 2, 1)
    coupling = mutual * belief * belief.transpose(0, 2, 1)
    return np.asarray(-restraint + fear * np.sqrt(coupling))


@dataclass(frozen=True)
class RaceVerdict:
    """Whether a rival pair's arms race is stable or spiralling, and why."""

    a: str
    b: str
    growth: float
    stable: bool
    reason: str


def verdict(
    a: str,
    b: str,
    p_ab: float,
    p_ba: float,
    mutual: bool,
    *,
    fear: float,
    restraint: float,
) -> RaceVerdict:
    """The stability verdict for one pair at one time, in words."""
    if not mutual:
        return RaceVerdict(
            a, b, -restraint, True,
            f"stable: {a} and {b} are not each other's main rival, so neither arms against "
            f"the other (p({a} sees {b} as aggressive) = {p_ab:.2f}, "
            f"p({b} sees {a} as aggressive) = {p_ba:.2f})",
        )  # fmt: skip
    lhs, rhs = restraint**2, fear**2 * p_ab * p_ba
    growth = -restraint + fear * float(np.sqrt(p_ab * p_ba))
    stable = lhs > rhs
    why = (
        f"{a} and {b} are each other's main rival; restraint m^2 = {lhs:.4f} "
        f"{'>' if stable else '<='} fear a^2 p_ab p_ba = {rhs:.4f} (a = {fear:g}; "
        f"p({a} sees {b} as aggressive) = {p_ab:.2f}, p({b} sees {a} as aggressive) = {p_ba:.2f})"
    )
    return RaceVerdict(a, b, growth, stable, ("stable: " if stable else "spiralling: ") + why)
