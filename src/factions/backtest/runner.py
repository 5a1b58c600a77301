"""Run every model on a case library and score it: the object ``factions backtest`` prints."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from factions.backtest.cases import CaseLibrary, case_summary
from factions.backtest.mixture import (
    ENGINE_INPUTS,
    FIT_FILE,
    design,
    load_fit,
    mixture_predictive,
    positions_predictive,
)
from factions.backtest.models import ENGINE_MODELS, run_engine
from factions.backtest.scores import (
    QUANTILES,
    Predictive,
    paired_comparison,
    point_scores,
    probabilistic_scores,
)
from factions.engines import ENGINES

__all__ = ["ALL_MODELS", "BASELINE", "PROBABILISTIC", "backtest"]

BASELINE = "mean"
#: Models with a predictive distribution (not engines).
PROBABILISTIC = {
    "positions": (
        "Naive: actors' positions (capability x salience) and the weighted mean, half each"
    ),
    "mixture": "Fitted mixture over positions, reference point and engine forecasts",
}
ALL_MODELS = (*ENGINE_MODELS, *PROBABILISTIC)


def _check_models(models: Sequence[str]) -> list[str]:
    known = set(ENGINES) | set(PROBABILISTIC)
    bad = [m for m in models if m not in known]
    if bad:
        raise ValueError(f"unknown model '{bad[0]}' (available: {', '.join(sorted(known))})")
    out = list(dict.fromkeys(models))
    if BASELINE not in out:
        out.insert(0, BASELINE)
    return out


def backtest(
    lib: CaseLibrary,
    models: Sequence[str] = ALL_MODELS,
    split: str | None = None,
    capability: str = "council",
    seed: int = 0,
    worst: int = 10,
) -> dict[str, Any]:
    """Score ``models`` on the cases of ``split`` (None: all scored cases) of ``lib``.

    Raises
    ------
    ValueError
        An unknown model, or a split with no cases.
    """
    names = _check_models(models)
    sel = lib.select(split)
    if not sel.cases:
        raise ValueError(f"no case is in split '{split}'")
    cases = sel.cases
    y = 100.0 * np.array([c.outcome for c in cases])
    timings: dict[str, float] = {}
    engine_fc: dict[str, np.ndarray] = {}
    need = [m for m in names if m in ENGINES]
    if "mixture" in names:
        need += [m for m in ENGINE_INPUTS if m not in need]
    for m in need:
        t0 = time.perf_counter()
        engine_fc[m] = 100.0 * run_engine(m, sel, seed=seed)
        timings[m] = time.perf_counter() - t0
    preds: dict[str, Predictive] = {}
    fit_record: dict[str, Any] | None = None
    if "positions" in names:
        t0 = time.perf_counter()
        preds["positions"] = positions_predictive(cases)
        timings["positions"] = time.perf_counter() - t0
    if "mixture" in names:
        t0 = time.perf_counter()
        fit = load_fit()
        d = design(cases, {m: engine_fc[m] / 100.0 for m in ENGINE_INPUTS})
        preds["mixture"] = mixture_predictive(d, fit.params)
        timings["mixture"] = time.perf_counter() - t0 + sum(timings[m] for m in ENGINE_INPUTS)
        fit_record = {
            k: fit.record[k]
            for k in ("version", "objective", "data", "split", "fitted_on", "scores")
            if k in fit.record
        }
        fit_record["file"] = FIT_FILE
        fit_record["in_sample_here"] = bool(
            fit.record.get("data", {}).get("sha256") == lib.sha256
            and any(c.split == fit.record.get("split") for c in cases)
        )
    quantiles = {m: p.quantiles() for m, p in preds.items()}
    point = {m: engine_fc[m] for m in names if m in engine_fc}
    point |= {m: quantiles[m][:, 2] for m in preds}
    base_err = point[BASELINE] - y
    out_models: dict[str, Any] = {}
    for m in names:
        err = point[m] - y
        entry: dict[str, Any] = {
            "kind": "probabilistic" if m in preds else "point",
            "title": PROBABILISTIC.get(m) or ENGINES[m].title,
            "citation": ENGINES[m].citation if m in ENGINES else None,
            **point_scores(err),
            "seconds": round(timings.get(m, 0.0), 4),
        }
        if m in preds:
            entry |= probabilistic_scores(preds[m], y)
        else:
            entry |= {
                "crps": float(np.abs(err).mean()),
                "log_score": None,
                "coverage_50": None,
                "coverage_90": None,
                "pit_histogram": None,
            }
        entry["vs_mean"] = paired_comparison(err, base_err) if m != BASELINE else None
        entry["subsets"] = _subsets(cases, err)
        if m == "mixture":
            entry["fit"] = fit_record
        out_models[m] = entry
    board = sorted(names, key=lambda m: (out_models[m]["mae"], m))
    issues = []
    for k, c in enumerate(cases):
        item: dict[str, Any] = {
            "id": c.id,
            "scenario": c.scenario,
            "split": c.split,
            "outcome": _r(y[k]),
            "reference_point": None if c.reference is None else _r(100.0 * c.reference),
            "forecasts": {m: _r(point[m][k]) for m in names},
        }
        if quantiles:
            item["quantiles"] = {
                m: {f"{p:g}": _r(q[k, j]) for j, p in enumerate(QUANTILES)}
                for m, q in quantiles.items()
            }
        issues.append(item)
    return {
        "dataset": {
            "name": lib.name,
            "sha256": lib.sha256,
            "n_issues": len(cases),
            "split": split or "all",
            "capability": capability,
            "scale": "0-100 (each issue's scale rescaled)",
        },
        "baseline": BASELINE,
        "leaderboard": board,
        "models": out_models,
        "issues": issues,
        "worst_misses": _worst(cases, point, y, board[0], worst),
        "notes": list(lib.notes),
    }


def _r(v: float) -> float:
    return round(float(v), 4)


def _subsets(cases: Sequence[Any], err: np.ndarray) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    labels = [c.subsets for c in cases]
    for key in ("procedure", "voting_rule", "reference_point"):
        groups: dict[str, list[int]] = {}
        for k, lab in enumerate(labels):
            groups.setdefault(lab[key], []).append(k)
        out[key] = {g: point_scores(err[idx]) for g, idx in sorted(groups.items())}
    return out


def _worst(
    cases: Sequence[Any], point: dict[str, np.ndarray], y: np.ndarray, model: str, k: int
) -> list[dict[str, Any]]:
    err = np.abs(point[model] - y)
    order = np.argsort(-err, kind="stable")[:k]
    return [
        {
            **case_summary(cases[i]),
            "model": model,
            "forecast": _r(point[model][i]),
            "abs_error": _r(err[i]),
            "forecasts": {m: _r(v[i]) for m, v in point.items()},
        }
        for i in order
    ]
