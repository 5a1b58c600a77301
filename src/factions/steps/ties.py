"""Alliances that start from equilibrium and feel the bargaining outcome (``bounded_alliances``).

The bounded sequence's tie step (docs/model.md, "bounded_alliances"). The standard
``alliances`` step pulls every tie towards positional affinity ``2 aff - 1`` from the first
month, so ties move even when nothing happens. Here the scenario's ties are taken as the
equilibrium of the forces that made them (the same device as the ``forces`` step's offset):
each pull is measured against its value at the start, so only *changes* move a tie, and a
tie an event moved returns towards where it started at ``affinity_rate``:

    w' = clip(w + alpha (w0 - w) + 2 alpha (aff - aff0) + beta (bal - bal0)
              + kappa (E - E0) - gamma (susp - susp0) - delta max(G_ij, G_ji), -1, 1)

- ``aff``: positional affinity on the positions the engine moved (``eum`` and ``smp`` move
  positions; ``mean`` and ``median`` do not), :func:`factions.dynamics.alliances.affinity`;
- ``bal``: structural balance weighted by bargaining capability (Heider 1946; Cartwright &
  Harary 1956), :func:`~factions.dynamics.alliances.balance_pull`;
- ``E``: the common armed threat (Walt 1987), rate ``common_threat_rate``,
  :func:`~factions.dynamics.alliances.common_threat`;
- ``susp``: mutual suspicion (Kydd's beliefs), rate ``threat_rate``;
- ``G``: grievance, rate ``grievance_rate``: the policy loss the month's bargaining outcome
  imposes on each actor beyond the compromise at the start (the capability x salience
  weighted mean of the initial positions: Achen 2006's compromise model, the Nash bargaining
  solution under quadratic loss), blamed on those who pulled the outcome away,
  :func:`~factions.dynamics.alliances.grievance`. The tie falls with the larger of the two
  partners' grievances: an alliance lasts while each member prefers it to leaving (Morrow
  1991), so the less satisfied partner sets the pace. With the ``mean`` engine the outcome is
  the compromise until capabilities change; an engine that forecasts another outcome
  imposes a loss on one side from the first month. That is how the engine reaches the ties.
  ``dynamics.grievance_reference: engine`` measures the loss against the engine's own
  forecast at the start instead, so that the start is an equilibrium under every engine and
  the engine reaches the ties only through how its forecast changes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from factions.dynamics import alliances
from factions.engines.mean import weighted_mean
from factions.steps.base import Context, FloatArray, Month, Step

__all__ = ["BOUNDED_ALLIANCES", "pulls"]


def pulls(
    month: Month, ctx: Context, reference: FloatArray, ideal: FloatArray
) -> dict[str, FloatArray]:
    """``(B, n, n)`` each pull's current value: affinity, balance, common threat, suspicion
    and grievance (of actors whose ideal points are ``ideal`` against ``reference``, the
    compromise at the start)."""
    st = month.state
    s = np.where(ctx.mask, st.s, 0.0)
    aff, _ = alliances.affinity(st.x, s)
    c = month.capability
    susp = 0.5 * (st.belief + st.belief.transpose(0, 2, 1))
    g = alliances.grievance(ideal, s, c[..., 0], month.forecast, reference)
    return {
        "aff": aff,  # 0.5 where the pair shares no issue (affinity's own fallback)
        "bal": alliances.balance_pull(st.ties, c[..., 0]),
        "threat": alliances.common_threat(st.ties, c[..., 2]),
        "susp": susp,
        "grievance": np.maximum(g, g.transpose(0, 2, 1)),
    }


def _prepare(month: Month, ctx: Context) -> dict[str, Any]:
    st = month.state
    s = np.where(ctx.mask, st.s, 0.0)
    if ctx.dynamics.grievance_reference == "engine":
        reference = month.forecast  # the engine's own forecast at the start
    else:
        reference = weighted_mean(st.x, s, month.capability[..., 0])
        reference = np.where(np.isfinite(reference), reference, 0.5)
    start = pulls(month, ctx, reference, st.x)
    return {"ties0": st.ties.copy(), "reference": reference, "ideal": st.x, "pulls0": start}


def _bounded_alliances(month: Month, ctx: Context) -> Month:
    st = month.state
    now = pulls(month, ctx, ctx.extra["reference"], ctx.extra["ideal"])
    p0 = ctx.extra["pulls0"]
    w0 = ctx.extra["ties0"]
    d = ctx.dynamics
    alpha = d.affinity_rate
    new = (
        st.ties
        + alpha * (w0 - st.ties)
        + 2.0 * alpha * (now["aff"] - p0["aff"])
        + d.balance_rate * (now["bal"] - p0["bal"])
        + ctx.coef("common_threat_rate")[..., None] * (now["threat"] - p0["threat"])
        - d.threat_rate * (now["susp"] - p0["susp"])
        - ctx.coef("grievance_rate")[..., None] * now["grievance"]
    )
    n = new.shape[-1]
    new = np.clip(new, -1.0, 1.0) * (1.0 - np.eye(n))[None]
    return replace(month, state=replace(st, ties=np.asarray(0.5 * (new + new.transpose(0, 2, 1)))))


BOUNDED_ALLIANCES = Step(
    "bounded_alliances", _bounded_alliances,
    frozenset({"state.ties", "state.x", "state.s", "state.belief", "capability", "forecast"}),
    frozenset({"state.ties"}),
    "ties from equilibrium: changes in affinity, balance, common threat and suspicion, and "
    "the grievance the bargaining outcome imposes (steps/ties.py; dynamics/alliances.py)",
    prepare=_prepare,
)  # fmt: skip
