"""The agenda-setter model of the EU's legislative procedures, on each issue separately.

The agenda setter (the Commission) proposes the point closest to its ideal ``a`` that the
actors whose assent the procedure needs prefer to the reference point ``q`` (Romer &
Rosenthal's setter logic as applied to the EU by Steunenberg 1994, Crombez 1996 and
Tsebelis & Garrett 2000). With one dimension and Euclidean preferences:

- the Council (voting weights ``c_i``, present members only) accepts a move to the right of
  ``q`` when members holding at least the threshold ``t`` of the weight prefer it: the right
  pivot ``p_R`` is the largest position such that members at or right of it hold ``>= t``
  of the weight, and the Council accepts any ``x`` in ``[q, 2 p_R - q]``; the left pivot
  ``p_L`` mirrors it. Unanimity is ``t = 1`` (the pivot is the member farthest from the
  setter's side); QMV uses ``qmv_threshold`` (default 62/87, the Amsterdam quota; the DEU
  importer writes the regime's quota);
- under co-decision (``procedure="COD"``) the Parliament (a unitary actor at ``e``) must also
  prefer the proposal to ``q``: ``x`` in ``[q, 2e - q]`` (Steunenberg 1994's conditional
  veto player; Tsebelis & Garrett 2000 on co-decision);
- the outcome is ``a`` clipped to the acceptable interval on ``a``'s side of ``q`` (``q``
  when nothing there is acceptable);
- under consultation (``procedure="CNS"``) the Council may amend by unanimity (Crombez
  1996): an outcome outside the Council members' range is moved to its nearest end (option
  ``amendment="unanimity"``, the default, or ``"none"``).

Roles come from option ``roles`` (one of ``"setter"``, ``"parliament"``, ``"council"``,
``"none"`` per actor; the DEU importer writes them). Without roles (option ``no_roles``):
``"strongest"`` (default) makes the strongest actor (highest capability) the setter and
every other actor a Council member, with no parliament. An issue where the setter holds no
stance takes the capability x salience weighted mean of the others as the setter's ideal
(judgment). An issue without a reference point (option ``no_reference``) takes the
capability x salience weighted ``"median"`` (default: the majority core), the ``"mean"``,
or the ``"setter"``'s ideal.

Verification: the papers argue with figures of one-dimensional councils and print no
numerical example, so ``tests/reference/test_institutional.py`` checks the result that
Tsebelis (2002, ch. 11, Figure 11.1) states in words for a seven-member Council (the
outcome is the reflection of the status quo through the pivotal member 3', close to 4';
the coordinates are ours), further seven-member configurations in the style of those
figures (equal members, 5 of 7 for a qualified majority; the numbers are ours), and
compares the engine with a brute-force oracle of the definition (the grid point nearest
the setter that a weighted qualified majority, and under co-decision the Parliament,
weakly prefers to ``q``) in the EU-15 Council with its pre-Nice weights and quota of 62
of 87.

References
----------
Steunenberg, B. (1994). Decision making under different institutional arrangements:
legislation by the European Community. *J. Institutional and Theoretical Economics* 150(4),
642-669.

Crombez, C. (1996). Legislative procedures in the European Community. *British Journal of
Political Science* 26(2), 199-228.

Tsebelis, G. & Garrett, G. (2000). Legislative politics in the European Union. *European
Union Politics* 1(1), 9-36.

Tsebelis, G. (2002). *Veto Players: How Political Institutions Work*, ch. 11, Princeton UP
(Figure 11.1: the pivotal member of a seven-member Council).

Romer, T. & Rosenthal, H. (1978). Political resource allocation, controlled agendas, and
the status quo. *Public Choice* 33(4), 27-43 (the setter model).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from factions.engines._common import check_choice, presence, reference_points
from factions.engines.base import EngineResult, EngineSpec, FloatArray, register
from factions.engines.mean import weighted_mean
from factions.engines.median import weighted_median

__all__ = ["OPTIONS", "pivots", "run_procedural", "setter_outcome"]

#: Named options and their allowed values (the first is the default).
OPTIONS: dict[str, tuple[str, ...]] = {
    "procedure": ("CNS", "COD"),
    "voting_rule": ("qmv", "unanimity"),
    "amendment": ("unanimity", "none"),
    "no_roles": ("strongest",),
    "no_reference": ("median", "mean", "setter"),
}
ROLES = ("setter", "parliament", "council", "none")
AMSTERDAM_QUOTA = 62 / 87


def pivots(
    x: FloatArray, weight: FloatArray, member: Any, threshold: float
) -> tuple[FloatArray, FloatArray]:
    """The left and right pivots of a weighted vote with quota ``threshold``.

    ``x``, ``weight`` and ``member`` are ``(B, n, D)``. The right pivot is the largest
    position ``p`` such that the members at or right of ``p`` hold at least ``threshold``
    of the members' weight; the left pivot mirrors it. NaN where there are no members.
    """
    w = np.where(member, weight, 0.0)
    total = w.sum(axis=1)
    need = threshold * total * (1.0 - 1e-12)
    out = []
    for sign in (1.0, -1.0):  # ascending (left pivot), then descending (right pivot)
        key = np.where(member, sign * x, np.inf)
        order = np.argsort(key, axis=1, kind="stable")
        xs = np.take_along_axis(x, order, axis=1)
        cum = np.cumsum(np.take_along_axis(w, order, axis=1), axis=1)
        k = np.argmax(cum >= need[:, None, :], axis=1)
        p = np.take_along_axis(xs, k[:, None, :], axis=1)[:, 0]
        out.append(np.where(total > 0, p, np.nan))
    return out[0], out[1]


def setter_outcome(
    a: FloatArray,
    q: FloatArray,
    left: FloatArray,
    right: FloatArray,
    parliament: FloatArray | None = None,
) -> FloatArray:
    """The setter's best acceptable proposal: ``a`` clipped to what the vetoes accept.

    ``a``, ``q``, the pivots and the parliament's ideal (NaN: no parliament) are ``(B, D)``.
    """
    up_bound = np.where(right > q, 2.0 * right - q, q)
    low_bound = np.where(left < q, 2.0 * left - q, q)
    if parliament is not None:
        has = np.isfinite(parliament)
        e = np.where(has, parliament, q)
        up_bound = np.where(has, np.minimum(up_bound, np.where(e > q, 2.0 * e - q, q)), up_bound)
        low_bound = np.where(has, np.maximum(low_bound, np.where(e < q, 2.0 * e - q, q)), low_bound)
    out = np.where(a > q, np.minimum(a, up_bound), np.where(a < q, np.maximum(a, low_bound), q))
    return np.asarray(out, dtype=np.float64)


def _role_array(roles: Any, n: int, c: FloatArray, no_roles: str) -> tuple[Any, ...]:
    if roles is None:
        check_choice("procedural", "no_roles", no_roles, OPTIONS["no_roles"])
        strongest = np.argmax(c, axis=1)  # (B,)
        setter = np.arange(n)[None, :] == strongest[:, None]
        return setter, np.zeros_like(setter), ~setter
    r = [str(v) for v in roles]
    if len(r) != n or any(v not in ROLES for v in r):
        raise ValueError(f"procedural option roles: expected {n} of {', '.join(map(repr, ROLES))}")
    arr = np.asarray(r)
    return (arr == "setter")[None], (arr == "parliament")[None], (arr == "council")[None]


def _ideal(x: FloatArray, who: Any, present: Any) -> FloatArray:
    """The (first) ideal of the actors marked ``who`` per issue, NaN where none is present."""
    sel = np.broadcast_to(who[:, :, None], x.shape) & present
    k = np.argmax(sel, axis=1)
    val = np.take_along_axis(x, k[:, None, :], axis=1)[:, 0]
    return np.where(sel.any(axis=1), val, np.nan)


def run_procedural(
    x: FloatArray,
    s: FloatArray,
    c: FloatArray,
    *,
    rng: Any = None,
    mask: Any = None,
    reference: Any = None,
    roles: Any = None,
    procedure: str = "CNS",
    voting_rule: str = "qmv",
    qmv_threshold: float = AMSTERDAM_QUOTA,
    amendment: str = "unanimity",
    no_roles: str = "strongest",
    no_reference: str = "median",
    **unknown: Any,
) -> EngineResult:
    """Forecast the agenda setter's outcome on every issue; nobody moves."""
    if unknown:
        raise ValueError(
            f"unknown procedural option '{sorted(unknown)[0]}' (known: reference, roles, "
            "qmv_threshold, " + ", ".join(OPTIONS) + ")"
        )
    procedure = str(procedure).upper()
    check_choice("procedural", "procedure", procedure, OPTIONS["procedure"])
    check_choice("procedural", "voting_rule", voting_rule, OPTIONS["voting_rule"])
    check_choice("procedural", "amendment", amendment, OPTIONS["amendment"])
    check_choice("procedural", "no_reference", no_reference, OPTIONS["no_reference"])
    t = float(qmv_threshold)
    if not 0.5 < t <= 1.0:
        raise ValueError(f"procedural option qmv_threshold={t}: expected a share in (0.5, 1]")
    x = np.asarray(x, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    b, n, d = x.shape
    present = presence(mask, x.shape)
    setter, parl, council = _role_array(roles, n, c, no_roles)
    q = reference_points(reference, b, d, "procedural")
    sz = np.where(present, s, 0.0)
    mean = weighted_mean(x, sz, c)
    a = _ideal(x, setter, present)
    a = np.where(np.isfinite(a), a, mean)
    voters: NDArray[np.bool_] = np.broadcast_to(np.asarray(council)[:, :, None], x.shape) & present
    no_council: NDArray[np.bool_] = np.asarray(~voters.any(axis=1), dtype=bool)
    # Without Council members present, every present actor votes (a documented fallback).
    voters = np.where(no_council[:, None, :], present, voters)
    cw = np.broadcast_to(c[:, :, None], x.shape)
    left, right = pivots(x, cw, voters, 1.0 if voting_rule == "unanimity" else t)
    e = _ideal(x, parl, present) if procedure == "COD" else None
    has = np.isfinite(q)
    qz = np.where(has, q, 0.0)
    out = setter_outcome(a, qz, left, right, e)
    if procedure == "CNS" and amendment == "unanimity":
        lo = np.where(voters, x, np.inf).min(axis=1)
        hi = np.where(voters, x, -np.inf).max(axis=1)
        out = np.clip(out, lo, hi)
    if no_reference == "median":
        fallback = weighted_median(x, sz, c)
    elif no_reference == "mean":
        fallback = mean
    else:
        fallback = a
    forecast = np.clip(np.where(has, out, fallback), 0.0, 1.0)
    return EngineResult(positions=x[:, None].copy(), forecast=forecast, steps=0)


PROCEDURAL = register(
    EngineSpec(
        name="procedural",
        title="Agenda-setter model of the EU procedures (CNS/COD, QMV/unanimity)",
        citation=(
            "Tsebelis & Garrett (2000), EU Politics 1(1); Crombez (1996), BJPolS 26(2); "
            "Steunenberg (1994), JITE 150(4)"
        ),
        run=run_procedural,
        options={
            "reference": None,
            "roles": None,
            "procedure": "CNS",
            "voting_rule": "qmv",
            "qmv_threshold": AMSTERDAM_QUOTA,
            "amendment": "unanimity",
            "no_roles": "strongest",
            "no_reference": "median",
        },
        accepts_mask=True,
    )
)
