"""Two-way coupling: the bargaining outcome feeds budgets and protection (``coupling``).

The engine's forecast on named issues changes the resources that the dynamics run on, so
that the choice of engine reaches elections, alliances and security (docs/model.md):

- **The head of government's budget** (``dynamics.budget_issue``, ``budget_holder``): the
  outcome on the issue (0-1, e.g. iraq-2008's ``pm-power``) is the share of the state's
  money the holder controls, so its ``money`` moves in proportion:
  ``M_h <- M_h x_t / x_(t-1)``. A proportional update keeps what events did to ``money``.
- **Protection** (``dynamics.protection_issue``, e.g. ``us-security-role``): every outside
  power's (``foreign_state``) commitment to its clients moves in proportion to the outcome,
  ``k_fc <- clip(k_fc y_t / y_(t-1), 0, 1)``: a forecast U.S. drawdown withdraws cover.

Both are modelling choices (which issues stand for the budget and for protection, and the
proportional form). The engine's rounds per month are ``dynamics.bargaining_rounds``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from factions.errors import Problem, ScenarioError
from factions.steps.base import Context, Month, Step

__all__ = ["COUPLING"]


def _issue(ctx: Context, field: str) -> int | None:
    name = getattr(ctx.dynamics, field)
    if name is None:
        return None
    if name not in ctx.arrays.issue_ids:
        raise ScenarioError([Problem(f"dynamics.{field}", f"unknown issue '{name}'")])
    return ctx.arrays.issue_ids.index(name)


def _ratio(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    return np.asarray(np.where(before > 1e-9, now / np.maximum(before, 1e-9), 1.0))


def _coupling(month: Month, ctx: Context) -> Month:
    st = month.state
    before = month.coupled if month.coupled is not None else ctx.extra["forecast0"]
    res, patron = st.resources, st.patron
    j = _issue(ctx, "budget_issue")
    if j is not None and ctx.dynamics.budget_holder is not None:
        ids = ctx.arrays.actor_ids
        holder = ctx.dynamics.budget_holder
        if holder not in ids:
            raise ScenarioError([Problem("dynamics.budget_holder", f"unknown actor '{holder}'")])
        h, k = ids.index(holder), st.kinds.index("money")
        res = res.copy()
        res[:, h, k] = res[:, h, k] * _ratio(month.forecast[:, j], before[:, j])
    j = _issue(ctx, "protection_issue")
    if j is not None:
        foreign = np.array([a.kind == "foreign_state" for a in ctx.scenario.actors])
        scale = _ratio(month.forecast[:, j], before[:, j])[:, None, None]
        patron = np.where(foreign[None, :, None], np.clip(patron * scale, 0.0, 1.0), patron)
    return replace(month, state=replace(st, resources=res, patron=patron), coupled=month.forecast)


def _prepare(month: Month, ctx: Context) -> dict[str, np.ndarray]:
    return {"forecast0": month.forecast}


COUPLING = Step(
    "coupling", _coupling,
    frozenset({"forecast", "coupled", "resources.money", "state.patron"}),
    frozenset({"resources.money", "state.patron", "coupled"}),
    "the bargaining outcome sets the budget holder's money and outside powers' protection "
    "(steps/coupling.py)",
    prepare=_prepare,
)  # fmt: skip
