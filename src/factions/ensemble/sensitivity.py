"""Global sensitivity: which uncertain inputs drive each answer.

Two methods:

- ``prcc`` (default, cheap: one Latin-hypercube ensemble): the partial rank correlation
  coefficient of each input with each answer, controlling for all other inputs (Marino,
  Hogue, Ray & Kirschner 2008, section 3.2; Blower & Dowlatabadi 1994): the correlation
  between the residuals of the input's ranks and of the output's ranks, each regressed on
  the ranks of the other inputs, with a t-test p-value
  (``t = PRCC sqrt((N - 2 - (P - 1)) / (1 - PRCC^2))``).
- ``sobol`` (costly: ``N (P + 2)`` members on a Saltelli design): first-order and total
  Sobol indices through SALib (Saltelli 2002).

Answers are turned into numbers: yes/no as 1/0, a value as itself, a choice as the
indicator of the ensemble's most frequent choice, a date as its step (never = one past the
last step).

References
----------
Marino, S., Hogue, I. B., Ray, C. J. & Kirschner, D. E. (2008). A methodology for
performing global uncertainty and sensitivity analysis in systems biology. *Journal of
Theoretical Biology* 254(1), 178-196.

Blower, S. M. & Dowlatabadi, H. (1994). Sensitivity and uncertainty analysis of complex
models of disease transmission. *International Statistical Review* 62(2), 229-243.

Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices.
*Computer Physics Communications* 145(2), 280-297.

Herman, J. & Usher, W. (2017). SALib: an open-source Python library for sensitivity
analysis. *Journal of Open Source Software* 2(9), 97.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from factions.errors import BackendUnavailable, Problem, ScenarioError
from factions.scenario.schema import Scenario

__all__ = ["Sensitivity", "outputs_from_run", "prcc", "run_sensitivity"]

FloatArray = NDArray[np.float64]


def prcc(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Partial rank correlation of each column of ``x (N, P)`` with ``y (N,)``, and p-values.

    For each input ``j``: the correlation of the residuals of ``rank(x_j)`` and of
    ``rank(y)``, each regressed (least squares, with an intercept) on the ranks of the
    other inputs. Inputs or outputs without variation get NaN.
    """
    n, p = x.shape
    out = np.full(p, np.nan)
    pval = np.full(p, np.nan)
    ry = stats.rankdata(y)
    if np.std(ry) == 0:
        return out, pval
    rx = stats.rankdata(x, axis=0) if p else np.zeros((n, 0))
    keep = np.flatnonzero(rx.std(axis=0) > 0)
    dof = n - 2 - (len(keep) - 1)
    if dof < 1:
        return out, pval
    ones = np.ones((n, 1))
    for j in keep:
        others = np.hstack([ones, rx[:, [k for k in keep if k != j]]])
        res_x = rx[:, j] - others @ np.linalg.lstsq(others, rx[:, j], rcond=None)[0]
        res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        denom = np.sqrt((res_x @ res_x) * (res_y @ res_y))
        if denom <= 0:
            continue
        r = float(np.clip(res_x @ res_y / denom, -1.0, 1.0))
        out[j] = r
        t = r * np.sqrt(dof / max(1.0 - r * r, 1e-300))
        pval[j] = 2 * stats.t.sf(abs(t), dof)
    return out, pval


@dataclass(frozen=True)
class Sensitivity:
    """A ranked table per question: (input path, index, p-value or total index)."""

    method: str
    members: int
    rankings: dict[str, list[dict[str, Any]]]
    run_dir: str

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "members": self.members,
            "run": self.run_dir,
            "questions": self.rankings,
        }


def outputs_from_run(
    run_path: Path, scenario: Scenario
) -> tuple[list[str], FloatArray, dict[str, FloatArray]]:
    """The inputs ``(N, P)`` and each question's numeric output ``(N,)`` of a stored run."""
    import duckdb

    from factions.store import RunDir

    # An explicit list of the journal's parts, passed as a parameter: a run's path may hold
    # quotes or glob characters, and stray files in parts/ are not members.
    files = [str(f) for f in RunDir(run_path).part_files("members")]
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # it would write to stdout
    table = con.execute("SELECT * FROM read_parquet(?) ORDER BY member", [files]).fetchnumpy()
    con.close()
    inputs = [c for c in table if c.startswith("in:")]
    x = (
        np.column_stack([np.asarray(table[c], dtype=np.float64) for c in inputs])
        if inputs
        else np.zeros((len(table["member"]), 0))
    )
    outputs: dict[str, FloatArray] = {}
    for q in scenario.questions:
        y = np.asarray(table[f"q:{q.id}"], dtype=np.float64)
        if np.all(np.isnan(y)):
            continue
        if q.kind == "choice":
            vals, counts = np.unique(y[~np.isnan(y)], return_counts=True)
            y = (y == vals[np.argmax(counts)]).astype(np.float64)
        elif q.kind == "date":
            y = np.where(np.isnan(y), np.nanmax(y) + 1 if np.any(~np.isnan(y)) else 0.0, y)
        outputs[q.id] = y
    return [c[3:] for c in inputs], x, outputs


def _stored(result: Sensitivity) -> Sensitivity:
    """Write the ranking into its run's directory (``sensitivity.json``) for reports."""
    from factions.store import write_json_atomic

    write_json_atomic(Path(result.run_dir) / "sensitivity.json", result.to_json())
    return result


def run_sensitivity(
    scenario: Scenario,
    *,
    runs: int,
    seed: int = 0,
    model: str = "mean",
    method: str = "prcc",
    backend: Any = None,
    out: Path | None = None,
    progress: Any = None,
    top: int | None = None,
) -> Sensitivity:
    """Run the design an analysis needs, then rank each question's drivers."""
    from factions.ensemble.runner import run_ensemble
    from factions.ensemble.sampling import uncertain_params
    from factions.scenario.arrays import to_arrays

    params = uncertain_params(scenario, to_arrays(scenario))
    if not params:
        raise ScenarioError(
            [Problem("", "the scenario has no uncertain inputs ({value, low, high})")], scenario.id
        )
    if method == "prcc":
        res = run_ensemble(
            scenario, runs=runs, seed=seed, model=model, backend=backend, out=out, progress=progress
        )
        names, x, outputs = outputs_from_run(res.run.path, scenario)
        rankings: dict[str, list[dict[str, Any]]] = {}
        for qid, y in outputs.items():
            r, p = prcc(x, y)
            order = np.argsort(-np.nan_to_num(np.abs(r), nan=-1.0))
            rows = [
                {"input": names[j], "prcc": None if np.isnan(r[j]) else float(r[j]),
                 "p_value": None if np.isnan(p[j]) else float(p[j])}
                for j in order
            ]  # fmt: skip
            rankings[qid] = rows[:top] if top else rows
        return _stored(Sensitivity("prcc", x.shape[0], rankings, str(res.run.path)))
    if method == "sobol":
        try:
            from SALib.analyze import sobol as sobol_analyze
            from SALib.sample import sobol as sobol_sample
        except ImportError as e:
            raise BackendUnavailable(
                "sobol sensitivity needs SALib: pip install 'factions[sensitivity]'"
            ) from e
        problem = {
            "num_vars": len(params),
            "names": [p.path for p in params],
            "bounds": [[0.0, 1.0]] * len(params),
        }
        u = sobol_sample.sample(problem, runs, calc_second_order=False, seed=seed)
        values = np.column_stack([p.from_unit(u[:, m]) for m, p in enumerate(params)])
        res = run_ensemble(
            scenario, runs=len(values), seed=seed, model=model, backend=backend, out=out,
            progress=progress, values=values,
        )  # fmt: skip
        names, _, outputs = outputs_from_run(res.run.path, scenario)
        rankings = {}
        for qid, y in outputs.items():
            if np.std(y) == 0:
                rankings[qid] = []
                continue
            si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            order = np.argsort(-np.asarray(si["ST"]))
            rows = [
                {"input": names[j], "S1": float(si["S1"][j]), "ST": float(si["ST"][j]),
                 "ST_conf": float(si["ST_conf"][j])}
                for j in order
            ]  # fmt: skip
            rankings[qid] = rows[:top] if top else rows
        return _stored(Sensitivity("sobol", len(values), rankings, str(res.run.path)))
    raise ScenarioError([Problem("--method", f"must be prcc or sobol, got {method!r}")])
