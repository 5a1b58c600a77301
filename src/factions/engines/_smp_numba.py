"""Fused Numba kernels for the hot passes of the ``smp`` engine (``Kernels="numba"``).

Each kernel does in one compiled loop nest what :mod:`factions.engines.smp` does in several
NumPy passes, with the same IEEE operations in the same order (no ``fastmath``, so LLVM may
neither reassociate sums nor contract ``a * b + c`` into a fused multiply-add): the results are
bit-identical to the NumPy reference path, which stays the reference. The equation numbers
[E1]-[E14] are those of ``smp.py``'s docstring; the KTAB function each kernel follows is named
there (``Model::vote``, ``Model::coalitions``, ``SMPState::probEduChlg``,
``SMPState::setAllAUtil``, ``SMPState::updateBestBrgnPositions``).

Compiled with ``cache=True`` (the machine code is kept in ``__pycache__`` next to this file, so
only the first run on a machine pays the compilation), single-threaded (no ``parallel=True``).
Importing this module needs numba (the ``fast`` extra); ``smp.py`` imports it lazily and falls
back to NumPy with a warning when numba is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import numba
import numpy as np

# Codes of the voting rules and third-party commitments (the order of smp.py's options).
RULES = {
    "proportional": 0,
    "binary": 1,
    "prop_bin": 2,
    "prop_cbc": 3,
    "cubic": 4,
    "asym_prosp": 5,
}
COMMITS = {"semi_commit": 0, "full_commit": 1, "no_commit": 2}

_MIN_C = 1e-8  # Model::coalitions, minC
_MIN_CLTN = 1e-10  # SMPState::probEduChlg, minCltn
_BIN_TOL = 1e-8  # Model::vote, sTol

# error_model="numpy": a division by zero gives inf/nan as in NumPy (no Python exception
# check in the loops, which would also keep LLVM from vectorising them).
F = TypeVar("F", bound=Callable[..., object])


def _jit(fn: F) -> F:
    return cast(F, numba.njit(cache=True, nogil=True, error_model="numpy")(fn))


@_jit
def _clip1(x: float) -> float:
    if x < -1.0:
        return -1.0
    if x > 1.0:
        return 1.0
    return x


@_jit
def _vote(rule: int, w: float, u1: float, u2: float) -> float:
    """[E3] ``Model::vote``, as ``smp.vote`` computes it."""
    du = u1 - u2
    if rule == 0:
        return w * du
    if rule == 1:
        return w * _clip1(du / _BIN_TOL)
    if rule == 2:
        return w * ((1.0 - 0.2) * du + 0.2 * _clip1(du / _BIN_TOL))
    if rule == 3:
        return w * ((1.0 - 0.5) * du + 0.5 * (du * du * du))
    if rule == 4:
        return w * (du * du * du)
    if du < 0.0:
        return w * du
    if du > 0.0:
        return (2.0 * w * du) / 3.0
    return 0.0


@_jit
def coalitions(u: np.ndarray, w: np.ndarray, rule: int) -> np.ndarray:
    """[E4] ``smp._coalitions``: ``C[g, i, j]`` from ``u[g, voter, option]``, ``w[g, voter]``.

    Voters are added in index order for every (i, j); the loop over j is innermost so that
    it runs over contiguous memory (and can be vectorised: each j has its own sum).
    """
    ng, nk, m = u.shape
    c = np.empty((ng, m, m))
    for g in range(ng):
        for i in range(m):
            acc = c[g, i]
            acc[:] = _MIN_C
            for k in range(nk):
                wk = w[g, k]
                ui = u[g, k, i]
                row = u[g, k]
                if rule == 0:
                    for j in range(m):
                        v = wk * (ui - row[j])
                        acc[j] += v if not (v <= 0.0) else 0.0
                elif rule == 5:
                    for j in range(m):
                        # ASymProsp: the upper triangle holds the negative votes for (j:i)
                        v = _vote(rule, wk, ui, row[j]) if j < i else -_vote(rule, wk, row[j], ui)
                        acc[j] += v if not (v <= 0.0) else 0.0
                else:
                    for j in range(m):
                        v = _vote(rule, wk, ui, row[j])
                        acc[j] += v if not (v <= 0.0) else 0.0
            acc[i] = _MIN_C
    return c


@_jit
def _bs(d: float, r: float) -> float:
    """[E2] ``SMPModel::bsUtil`` for one distance, as ``smp._utilities`` computes U."""
    one_m = 1.0 - d
    if d <= 1.0:
        return one_m * (1.0 + d * r)
    return one_m * (1.0 + r)


@_jit
def own_utils(uf: np.ndarray) -> np.ndarray:
    """``own[b, i, j] = U[b, i, i, j] = u(d[b, i, j], R^h[b, i, i])`` from U's factors."""
    nb, _, n, m = uf.shape
    out = np.empty((nb, n, m))
    for b in range(nb):
        for i in range(n):
            r = uf[b, 1, i, i]
            for j in range(m):
                out[b, i, j] = _bs(uf[b, 0, i, j], r)
    return out


@_jit
def challenges(
    uf: np.ndarray, wch: np.ndarray, sig: np.ndarray, rule: int, commit: int
) -> tuple[np.ndarray, np.ndarray]:
    """[E8] ``smp._prob_edu`` from each challenger's own view (h = k = i), for every target j.

    ``uf`` holds the U tensor's factors ``d = uf[:, 0]`` and ``R^h = uf[:, 1]``, with
    ``U[b, h, i, j] = u(d[b, i, j], R^h[b, h, i])`` evaluated here where needed (U itself is
    never stored). Returns ``(phi[b, i, j], edu[b, i, j])`` as ``_bcn``'s challenge loop
    does. For each contest (i, j) the third parties are added in index order, from ``C^0``;
    the loop over targets j is innermost (contiguous, one sum per j, so LLVM vectorises it
    without reordering any sum). A principal adds a vote of 0 (as ``keep = 0`` does in
    NumPy), which leaves the positive sums unchanged.
    """
    nb, n = wch.shape
    phij = np.empty((nb, n, n))
    edu = np.empty((nb, n, n))
    chij = np.empty(n)
    chji = np.empty(n)
    for b in range(nb):
        for i in range(n):
            d = uf[b, 0]
            rh = uf[b, 1, i]  # rh[t]: i's estimate of t's risk attitude
            uii = _bs(d[i, i], rh[i])
            wi = wch[b, i]
            cij = phij[b, i]  # the sums, then phi, in place
            cji = edu[b, i]
            for j in range(n):
                ci = _vote(rule, wi, uii, _bs(d[i, j], rh[i]))
                cj = _vote(rule, wch[b, j], _bs(d[j, i], rh[j]), _bs(d[j, j], rh[j]))
                chij[j] = (_MIN_CLTN + max(ci, 0.0)) + max(cj, 0.0)
                chji[j] = (_MIN_CLTN - min(ci, 0.0)) - min(cj, 0.0)
                cij[j] = chij[j]
                cji[j] = chji[j]
            for t in range(n):
                if t == i:
                    continue
                wn = wch[b, t]
                rt = rh[t]
                uni = _bs(d[t, i], rt)
                unn = _bs(d[t, t], rt)
                row = d[t]
                a_semi = (uni + uni) + unn
                c_semi = 3.0 * uni
                if rule == 0 and commit == 0:  # the defaults, the hot case
                    for j in range(n):
                        unj = _bs(row[j], rt)
                        cn = wn * (uni - unj)
                        cni = (cn if not (cn <= 0.0) else 0.0) + chij[j]
                        cnj = chji[j] - (cn if not (cn >= 0.0) else 0.0)
                        pin = cni / (cni + cnj)
                        pjn = 1.0 - pin
                        u_ik_j = pin * a_semi + (unj * 3.0) * pjn
                        u_i_jk = pin * c_semi + ((unj * 2.0) + unn) * pjn
                        vn = (u_ik_j - u_i_jk) * wn
                        if j == t:
                            vn = 0.0
                        cij[j] += vn if not (vn <= 0.0) else 0.0
                        cji[j] += -vn if not (vn >= 0.0) else 0.0
                else:
                    for j in range(n):
                        unj = _bs(row[j], rt)
                        cn = _vote(rule, wn, uni, unj)
                        cni = max(cn, 0.0) + chij[j]
                        cnj = chji[j] - min(cn, 0.0)
                        pin = cni / (cni + cnj)
                        pjn = 1.0 - pin
                        if commit == 0:
                            u_ik_j = pin * a_semi + (unj * 3.0) * pjn
                            u_i_jk = pin * c_semi + ((unj * 2.0) + unn) * pjn
                        elif commit == 1:
                            fa = (uni + uni) + uni
                            fb = (unj + unj) + unj
                            u_ik_j = pin * fa + pjn * fb
                            u_i_jk = pin * fa + pjn * fb
                        else:
                            na = (uni + uni) + unn
                            nbb = (unj + unj) + unn
                            u_ik_j = pin * na + pjn * nbb
                            u_i_jk = pin * na + pjn * nbb
                        if rule == 0:
                            vn = (u_ik_j - u_i_jk) * wn
                        else:
                            vn = _vote(rule, wn, u_ik_j, u_i_jk)
                        if j == t:
                            vn = 0.0
                        cij[j] += vn if not (vn <= 0.0) else 0.0
                        cji[j] += -vn if not (vn >= 0.0) else 0.0
            for j in range(n):
                tot = cij[j] + cji[j]
                ph = cij[j] / tot
                pj = cji[j] / tot
                uij = _bs(d[i, j], rh[i])
                eu_vict = uii + uii
                eu_def = uij + uij
                eu_sq = uii + uij
                eu_cntst = ph * eu_vict + pj * eu_def
                sj = sig[b, j]
                phij[b, i, j] = ph
                edu[b, i, j] = ((1.0 - sj) * eu_vict + sj * eu_cntst) - eu_sq
    return phij, edu


@_jit
def bargain_values(
    u_init: np.ndarray,
    u_rcvr: np.ndarray,
    own_t: np.ndarray,
    g_init: np.ndarray,
    g_rcvr: np.ndarray,
) -> np.ndarray:
    """[E11] ``val_b[b, g, a]``: the mean over actors of a's utility of their positions after
    bargain g (the two movers at their bargained positions), summed in KTAB's order (uInit,
    uRcvr, then actor m's status quo, 0 for the movers), as ``smp._bcn``'s ``terms`` array."""
    nb, ng, na = u_init.shape
    n = own_t.shape[1]
    out = np.empty((nb, ng, na))
    for b in range(nb):
        for g in range(ng):
            gi = g_init[b, g]
            gr = g_rcvr[b, g]
            acc = out[b, g]
            for a in range(na):
                acc[a] = u_init[b, g, a] + u_rcvr[b, g, a]
            for m in range(n):
                k = 0.0 if (m == gi or m == gr) else 1.0  # noqa: SIM109 (numba)
                row = own_t[b, m]
                for a in range(na):
                    acc[a] += row[a] * k
            for a in range(na):
                acc[a] = acc[a] / n
    return out
