"""The capability-weighted Nash bargaining solution, the reference point as disagreement point.

On each issue the outcome maximises the asymmetric Nash product of the actors' gains over
the disagreement point ``q`` (the reference point, the status quo), each actor weighted by
capability times salience ``w_i = c_i s_i``:

.. math:: \\hat{x} = \\arg\\max_{x \\in F} \\sum_i w_i \\log\\big(u_i(x) - u_i(q)\\big),
          \\qquad F = \\{x : u_i(x) > u_i(q) \\ \\forall i: w_i > 0\\},

with quadratic utilities ``u_i(x) = -(x - x_i)^2`` (option ``utility="quadratic"``, Achen
2006) or linear ones ``u_i(x) = -|x - x_i|`` (``"linear"``). ``F`` is an interval with ``q``
at one end; when actors stand on both sides of ``q`` (or one stands at ``q``) it is empty
and the solution is ``q`` itself: every actor holds a veto. The objective is concave on
``F``, so the maximum is found by bisection on its derivative (60 halvings, vectorised over
members and issues). Achen (2006) shows that as the disagreement point recedes the
quadratic solution tends to the capability x salience weighted mean (the compromise model).

Issues without a reference point: option ``no_reference`` names the fallback, ``"mean"``
(default: that limit, the weighted mean) or ``"median"`` (the weighted median).

Engine options: ``reference`` (per issue on the unit interval, null where none; the DEU
importer writes it under ``options.nash``), ``utility``, ``no_reference``.

Verification: no published worked example with numbers was found (Achen 2006 and
Schneider, Finke & Bailer 2010 apply the model to the DEU data without printing
per-issue predictions), so ``tests/reference/test_institutional.py`` checks the solution
against independent optimisers of the weighted Nash product (a root finder for two actors,
scipy's bounded scalar search for five asymmetric actors under both utilities) and against
Achen's limit (the weighted mean as ``q`` recedes).

References
----------
Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155-162.

Achen, C. H. (2006). Institutional realism and bargaining models. In Thomson, Stokman,
Achen & König (eds.), *The European Union Decides*, ch. 4, Cambridge UP: the Nash
bargaining model with the reference point as disagreement point, and the compromise model
as its limit.

Schneider, G., Finke, D. & Bailer, S. (2010). Bargaining power in the European Union: an
evaluation of competing game-theoretic models. *Political Studies* 58(1), 85-103: the
asymmetric (capability x salience weighted) Nash bargaining solution.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from factions.engines._common import check_choice, presence, reference_points, weights
from factions.engines.base import EngineResult, EngineSpec, FloatArray, register
from factions.engines.mean import weighted_mean
from factions.engines.median import weighted_median

__all__ = ["OPTIONS", "nash_solution", "run_nash"]

#: Named options and their allowed values (the first is the default).
OPTIONS: dict[str, tuple[str, ...]] = {
    "utility": ("quadratic", "linear"),
    "no_reference": ("mean", "median"),
}


def nash_solution(
    x: FloatArray, w: FloatArray, q: FloatArray, utility: str = "quadratic"
) -> FloatArray:
    """The weighted Nash bargaining solution per issue.

    Parameters
    ----------
    x, w
        ``(B, n, D)`` positions and weights (``w = 0``: the actor takes no part).
    q
        ``(B, D)`` disagreement points (finite).
    utility
        ``"quadratic"`` or ``"linear"`` loss.

    Returns
    -------
    ``(B, D)`` the solution: ``q`` where the feasible set is empty.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[0.2], [0.8]]]); w = np.ones((1, 2, 1))
    >>> round(float(nash_solution(x, w, np.array([[0.0]]))[0, 0]), 4)
    0.2576
    """
    active = w > 0
    gap = np.abs(q[:, None, :] - x)  # each actor's distance from q
    far = 2.0 * x - q[:, None, :]  # the other end of each actor's gain interval
    ends_lo = np.where(active, np.minimum(q[:, None, :], far), -np.inf)
    ends_hi = np.where(active, np.maximum(q[:, None, :], far), np.inf)
    lo = ends_lo.max(axis=1)
    hi = ends_hi.min(axis=1)
    # Actors' ideals bound the maximiser: outside them every gain shrinks.
    xmin = np.where(active, x, np.inf).min(axis=1)
    xmax = np.where(active, x, -np.inf).max(axis=1)
    lo_s, hi_s = np.maximum(lo, xmin), np.minimum(hi, xmax)
    feasible = (hi - lo > 1e-12) & (hi_s >= lo_s)
    a, b = np.where(feasible, lo_s, q), np.where(feasible, hi_s, q)

    def slope(z: FloatArray) -> FloatArray:
        d = z[:, None, :] - x
        if utility == "quadratic":
            gain = gap**2 - d**2
            term = -2.0 * d
        else:
            gain = gap - np.abs(d)
            term = -np.sign(d)
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(active, w * term / np.where(gain > 0, gain, np.nan), 0.0)
        # Outside an actor's gain interval its log-gain is -inf: push back inside.
        push = np.where(d > 0, -np.inf, np.where(d < 0, np.inf, 0.0))
        part = np.where(active & ~(gain > 0), push, part)
        with np.errstate(invalid="ignore"):
            total = part.sum(axis=1)
        return np.asarray(np.nan_to_num(total, nan=0.0), dtype=np.float64)

    for _ in range(60):
        mid = 0.5 * (a + b)
        up = slope(mid) > 0
        a, b = np.where(up, mid, a), np.where(up, b, mid)
    out = 0.5 * (a + b)
    return np.where(feasible, np.clip(out, 0.0, 1.0), np.clip(q, 0.0, 1.0))


def run_nash(
    x: FloatArray,
    s: FloatArray,
    c: FloatArray,
    *,
    rng: Any = None,
    mask: Any = None,
    reference: Any = None,
    utility: str = "quadratic",
    no_reference: str = "mean",
    **unknown: Any,
) -> EngineResult:
    """Forecast the weighted Nash bargaining solution on every issue; nobody moves."""
    if unknown:
        raise ValueError(
            f"unknown nash option '{sorted(unknown)[0]}' (known: reference, "
            + ", ".join(OPTIONS)
            + ")"
        )
    check_choice("nash", "utility", utility, OPTIONS["utility"])
    check_choice("nash", "no_reference", no_reference, OPTIONS["no_reference"])
    x = np.asarray(x, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    b, _, d = x.shape
    present = presence(mask, x.shape)
    w = weights(s, c, present)
    q = reference_points(reference, b, d, "nash")
    has = np.isfinite(q)
    sol = nash_solution(x, w, np.where(has, q, 0.0), utility)
    sz = np.where(present, s, 0.0)  # saliences, zero where an actor holds no stance
    fallback = (weighted_mean if no_reference == "mean" else weighted_median)(x, sz, c)
    forecast = np.where(has, sol, fallback)
    return EngineResult(positions=x[:, None].copy(), forecast=forecast, steps=0)


NASH = register(
    EngineSpec(
        name="nash",
        title="Capability-weighted Nash bargaining solution (reference point as disagreement)",
        citation=(
            "Achen (2006), The European Union Decides, ch. 4; Schneider, Finke & Bailer (2010),"
            " Political Studies 58(1)"
        ),
        run=run_nash,
        options={"reference": None, "utility": "quadratic", "no_reference": "mean"},
        accepts_mask=True,
    )
)
