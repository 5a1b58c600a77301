"""Run the registered engines on every case of a library, batched.

Single-issue engines (every engine but ``exchange``) see each issue on its own: issues are
grouped by the number of actors present (and, for ``procedural``, by roles and procedure)
and each group is one batched call with the issues on the batch axis. ``exchange`` sees a
whole proposal (scenario) at once, its issues on the issue axis with a mask of who holds a
stance; scenarios with the same shape share a call. Forecasts are on each issue's unit
interval.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from factions.backtest.cases import Case, CaseLibrary, FloatArray
from factions.engines import ENGINES
from factions.scenario.arrays import to_arrays

__all__ = ["ENGINE_MODELS", "run_engine", "run_engines"]

#: The engines a backtest runs by default, in the leaderboard's order of introduction.
ENGINE_MODELS = ("mean", "median", "eum", "smp", "nash", "exchange", "procedural")


def _group_key(case: Case, name: str) -> tuple[Any, ...]:
    if name == "procedural":
        return (len(case.x), case.roles, case.procedure, case.voting_rule, case.qmv_threshold)
    return (len(case.x),)


def _procedural_options(case: Case) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if case.roles:
        opts["roles"] = list(case.roles)
    if case.procedure in ("CNS", "COD"):
        opts["procedure"] = case.procedure
    if case.voting_rule in ("qmv", "unanimity"):
        opts["voting_rule"] = case.voting_rule
    if case.qmv_threshold is not None:
        opts["qmv_threshold"] = case.qmv_threshold
    return opts


def _run_single_issue(
    name: str, cases: Sequence[Case], options: Mapping[str, Any], seed: int
) -> FloatArray:
    spec = ENGINES[name]
    out = np.full(len(cases), np.nan)
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for k, case in enumerate(cases):
        groups[_group_key(case, name)].append(k)
    for key in sorted(groups, key=repr):
        idx = groups[key]
        x = np.stack([cases[k].x for k in idx])[:, :, None]
        s = np.stack([cases[k].s for k in idx])[:, :, None]
        c = np.stack([cases[k].c for k in idx])
        if spec.salience_budget:
            # KTAB's SMP needs every salience in (0, 1]: an actor present with salience 0
            # gets 1e-6 (it then weighs nothing in the votes but may still move).
            s = np.clip(s, 1e-6, 1.0)
        opts = dict(options)
        if name in ("nash", "procedural"):
            opts.setdefault(
                "reference",
                np.array(
                    [[np.nan if cases[k].reference is None else cases[k].reference] for k in idx]
                ),
            )
        if name == "procedural":
            opts = {**_procedural_options(cases[idx[0]]), **opts}
        res = spec.run(x, s, c, rng=np.random.default_rng(seed), **opts)
        out[idx] = res.forecast[:, 0]
    return out


def _run_exchange(lib: CaseLibrary, options: Mapping[str, Any], seed: int) -> FloatArray:
    spec = ENGINES["exchange"]
    index = {c.id: k for k, c in enumerate(lib.cases)}
    out = np.full(len(lib.cases), np.nan)
    groups: dict[tuple[int, int], list[Any]] = defaultdict(list)
    wanted = {(c.scenario, c.issue): index[c.id] for c in lib.cases}
    for sid, sc in lib.scenarios.items():
        slots = [(j, wanted.get((sid, iss))) for j, iss in enumerate(sc.issue_ids)]
        if not any(k is not None for _, k in slots):
            continue
        arr = to_arrays(sc)
        part = arr.has_stance.any(axis=1)
        x = (arr.positions[part] - arr.low) / (arr.high - arr.low)
        groups[(int(part.sum()), len(sc.issue_ids))].append(
            (x, arr.salience[part], arr.capability[part], arr.has_stance[part], slots)
        )
    for key in sorted(groups):
        items = groups[key]
        x = np.stack([it[0] for it in items])
        s = np.stack([it[1] for it in items])
        c = np.stack([it[2] for it in items])
        mask = np.stack([it[3] for it in items])
        res = spec.run(x, s, c, rng=np.random.default_rng(seed), mask=mask, **options)
        for b, it in enumerate(items):
            for j, k in it[4]:
                if k is not None:
                    out[k] = res.forecast[b, j]
    return out


def run_engine(
    name: str, lib: CaseLibrary, options: Mapping[str, Any] | None = None, seed: int = 0
) -> FloatArray:
    """``(N,)`` the engine's forecast for every case, on each issue's unit interval."""
    opts = dict(options or {})
    if name == "exchange":
        return _run_exchange(lib, opts, seed)
    return _run_single_issue(name, lib.cases, opts, seed)


def run_engines(names: Sequence[str], lib: CaseLibrary, seed: int = 0) -> dict[str, FloatArray]:
    """Every named engine's forecasts (see :func:`run_engine`)."""
    return {name: run_engine(name, lib, seed=seed) for name in names}
