"""The ``clashes`` step: armed clashes as observable events (opt-in).

A scenario puts ``clashes`` in ``dynamics.steps`` (after ``forces`` in the bounded sequence,
after ``security`` in the standard one). Each month, for every member and every pair of
actors that hold fighters and are not bound by patronage, a clash occurs with the monthly
probability of :func:`factions.dynamics.clashes.clash_hazard` (mutual suspicion, hostility,
how evenly matched, a protector's cover), drawn from the run's random generator (one
uniform per pair and member, drawn every month whatever the state, so that runs are
reproducible). A clash has three consequences, each a named choice (docs/model.md,
"Questions that resolve"):

- the pair's tie falls by ``clash_tie_drop`` (bloodshed sours a relation);
- each side's belief that the other is aggressive is updated by Bayes' rule with the
  likelihood ratio ``clash_evidence`` (a clash is evidence of greed, Kydd 2005, ch. 2);
- each side loses fighters (:func:`~factions.dynamics.clashes.casualties`), which observers
  see as casualties, not as a move in arms: ``start_armed`` falls by the same amount, so
  the ``kydd_beliefs`` step does not read the losses as standing down.

The month's clashes are recorded (``clashes``); the ``clash:A:B`` series counts them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from factions.dynamics.clashes import casualties, clash_hazard, pair_mask
from factions.dynamics.security import bayes_update
from factions.steps.base import Context, FloatArray, Month, Step
from factions.steps.bounded import _foreign, _weights, protection

__all__ = ["CLASHES", "hazard"]


def hazard(month: Month, ctx: Context) -> FloatArray:
    """``(B, n, n)`` this month's clash probability in each pair."""
    st = month.state
    k_arm = st.kinds.index("armed_strength")
    armed = st.resources[..., k_arm]
    cap = month.capability[..., 2]
    raw = np.einsum("bij,bj->bi", _weights(month), cap)
    cover = protection(st.patron, armed, raw, _foreign(ctx))
    return clash_hazard(
        st.belief, st.ties, cap, cover, pair_mask(armed, st.patron),
        base=ctx.coef("clash_base"), suspicion=ctx.coef("clash_suspicion"),
        hostility=ctx.coef("clash_hostility"), balance=ctx.coef("clash_balance"),
        cover_weight=ctx.coef("clash_cover"),
    )  # fmt: skip


def _clashes(month: Month, ctx: Context) -> Month:
    st = month.state
    b, n = st.ties.shape[:2]
    p = hazard(month, ctx)
    upper = np.triu(ctx.rng.random((b, n, n)), 1)
    u = upper + upper.transpose(0, 2, 1)
    clash = (u < p) & (p > 0)
    d = ctx.dynamics
    ties = np.where(clash, np.clip(st.ties - d.clash_tie_drop, -1.0, 1.0), st.ties)
    lr = d.clash_evidence
    post = np.asarray(bayes_update(st.belief, lr / (1.0 + lr), 1.0 / (1.0 + lr)))
    belief = np.where(clash, np.clip(post, 1e-6, 1 - 1e-6), st.belief)
    k_arm = st.kinds.index("armed_strength")
    armed = st.resources[..., k_arm]
    lost = casualties(armed, month.capability[..., 2], clash.astype(np.float64), d.clash_losses)
    res = st.resources.copy()
    res[..., k_arm] = armed - lost
    start = month.start_armed if month.start_armed is not None else armed
    return replace(
        month,
        state=replace(st, ties=np.asarray(ties), belief=np.asarray(belief), resources=res),
        start_armed=np.asarray(start - lost),
        clashes=clash.astype(np.float64),
    )


CLASHES = Step(
    "clashes", _clashes,
    frozenset({"state.belief", "state.ties", "state.patron", "resources.armed_strength",
               "capability", "start_armed"}),
    frozenset({"state.ties", "state.belief", "resources.armed_strength", "start_armed",
               "clashes"}),
    "armed clashes drawn from a monthly hazard (suspicion, hostility, evenness, cover); a "
    "clash lowers the tie, raises beliefs, costs fighters (dynamics/clashes.py)",
)  # fmt: skip
