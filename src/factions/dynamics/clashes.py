"""Armed clashes as events: a monthly hazard per pair of armed actors, and its consequences.

The mechanism behind the opt-in ``clashes`` step (:mod:`factions.steps.clashes`);
docs/model.md, "Questions that resolve", has the equations and their sources. Pure
functions over arrays with a leading batch axis ``B``; the step draws the events.

**Hazard.** Between two armed actors ``i`` and ``j`` not bound by patronage, a clash
occurs in a month with probability ``1 - exp(-lambda_ij)``, a proportional hazard:

    lambda_ij = h0 exp(b_s (2 m_ij - 1) - b_h w_ij + b_b (e_ij - 1)) (1 - c pi_i)(1 - c pi_j)

- ``m_ij = sqrt(p_ij p_ji)``: mutual suspicion, the geometric mean of Kydd's beliefs
  (both sides must fear the other; Fearon 1995, section "Private information and
  incentives to misrepresent": war as bargaining failure under private information, here
  read through the beliefs that information problems leave);
- ``w_ij`` the tie, from -1 (deadly rivals) to 1 (firm allies): hostility raises the hazard;
- ``e_ij = 4 C_i C_j / (C_i + C_j)^2`` how evenly matched their armed capabilities are
  (1 at parity, 0 when one side is sure to win): ``4 P (1 - P)`` with ``P = C_i / (C_i + C_j)``
  the Tullock/Hirshleifer ratio contest success function, so the hazard is highest when
  neither side is sure to win (Fearon 1995: with a known, lopsided balance both sides can
  agree on a bargain that reflects it; Hirshleifer 1989 on the ratio form);
- ``pi_i`` the cover an outside protector gives ``i`` (the ``forces`` step's
  ``pi_i = max_k k_ki A_k / (A_k + raw_i)``; Walter 1997 on third-party guarantees), scaled
  by ``c``.

The reference pair (``h0``): undecided beliefs (``m = 1/2``), a neutral tie, parity, no cover.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["casualties", "clash_hazard", "evenness", "pair_mask"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def evenness(cap: FloatArray) -> FloatArray:
    """``(B, n, n)`` ``4 C_i C_j / (C_i + C_j)^2`` from armed capabilities ``(B, n)``: 1 at
    parity, towards 0 as one side becomes sure to win (0 where both are 0)."""
    c = np.maximum(cap, 0.0)
    total = c[:, :, None] + c[:, None, :]
    return np.asarray(
        np.divide(4.0 * c[:, :, None] * c[:, None, :], total**2,
                  out=np.zeros_like(total), where=total > 0)
    )  # fmt: skip


def pair_mask(armed: FloatArray, patron: FloatArray) -> BoolArray:
    """``(B, n, n)`` the pairs that can clash: both hold fighters of their own (``armed``
    ``(B, n)``), neither is the other's patron, ``i != j``."""
    n = armed.shape[-1]
    linked = (patron > 0) | (patron.transpose(0, 2, 1) > 0)
    both = (armed[:, :, None] > 0) & (armed[:, None, :] > 0)
    return np.asarray(both & ~linked & ~np.eye(n, dtype=bool)[None])


def clash_hazard(
    belief: FloatArray,
    ties: FloatArray,
    cap: FloatArray,
    cover: FloatArray,
    eligible: BoolArray,
    *,
    base: FloatArray,
    suspicion: FloatArray,
    hostility: FloatArray,
    balance: FloatArray,
    cover_weight: FloatArray,
) -> FloatArray:
    """``(B, n, n)`` the monthly probability of a clash in each pair (symmetric, 0 off
    ``eligible``): ``1 - exp(-lambda_ij)`` with ``lambda`` as in the module docstring.

    ``belief``/``ties`` ``(B, n, n)``, ``cap`` armed capability ``(B, n)``, ``cover`` each
    actor's protection ``pi`` ``(B, n)``; the coefficients are ``(B, 1)`` per member.
    """
    b3 = (slice(None), None, None)  # (B, 1) -> (B, 1, 1)
    mutual = np.sqrt(np.clip(belief * belief.transpose(0, 2, 1), 0.0, 1.0))
    w = 0.5 * (ties + ties.transpose(0, 2, 1))
    even = evenness(cap)
    shelter = 1.0 - cover_weight * np.clip(cover, 0.0, 1.0)  # (B, n)
    exponent = (
        suspicion[:, 0][b3] * (2.0 * mutual - 1.0)
        - hostility[:, 0][b3] * w
        + balance[:, 0][b3] * (even - 1.0)
    )
    lam = base[:, 0][b3] * np.exp(exponent) * shelter[:, :, None] * shelter[:, None, :]
    return np.asarray(np.where(eligible, -np.expm1(-lam), 0.0))


def casualties(armed: FloatArray, cap: FloatArray, clash: FloatArray, losses: float) -> FloatArray:
    """``(B, n)`` fighters each actor loses in this month's clashes: in each clash a share
    ``losses * 2 C_j / (C_i + C_j)`` of its own fighters (``losses`` at parity; the weaker
    side loses more, as in a ratio contest), summed over its clashes, at most all of them."""
    c = np.maximum(cap, 0.0)
    total = c[:, :, None] + c[:, None, :]
    share = np.divide(2.0 * c[:, None, :], total, out=np.zeros_like(total), where=total > 0)
    rate = np.clip(losses * (clash * share).sum(axis=2), 0.0, 1.0)
    return np.asarray(rate * np.maximum(armed, 0.0))
