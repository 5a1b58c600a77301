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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from factions.errors import BackendUnavailable, Problem, ScenarioError
from factions.labels import input_label
from factions.scenario.schema import Scenario

__all__ = ["Sensitivity", "outputs_from_run", "prcc", "prcc_by_regression", "run_sensitivity"]

FloatArray = NDArray[np.float64]


def prcc(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Partial rank correlation of each column of ``x (N, P)`` with ``y``, and p-values.

    ``y`` is one output ``(N,)`` (results ``(P,)``) or several ``(N, Q)`` (results
    ``(P, Q)``). For input ``j`` and output ``q``: the correlation of the residuals of
    ``rank(x_j)`` and ``rank(y_q)``, each regressed on the ranks of the other inputs
    (Marino et al. 2008, section 3.2). All at once: rank-transform once, then read every
    partial correlation off the inverse ``W`` of the rank correlation matrix of
    ``[inputs, y_q]``: ``PRCC_jq = -W[j, y] / sqrt(W[j, j] W[y, y])`` (Whittaker 1990,
    *Graphical Models in Applied Multivariate Statistics*, section 5.7), which equals the
    residual correlation exactly. The inputs' block is inverted once and each output
    added by its Schur complement. Inputs or outputs without variation get NaN.
    """
    one = y.ndim == 1
    ys = y[:, None] if one else y
    n, p = x.shape
    q = ys.shape[1]
    out = np.full((p, q), np.nan)
    pval = np.full((p, q), np.nan)
    rx = stats.rankdata(x, axis=0) if p else np.zeros((n, 0))
    ry = stats.rankdata(ys, axis=0)
    keep = np.flatnonzero(rx.std(axis=0) > 0)
    live = np.flatnonzero(ry.std(axis=0) > 0)
    dof = n - 2 - (len(keep) - 1)
    if dof < 1 or not len(live):
        return (out[:, 0], pval[:, 0]) if one else (out, pval)
    zx = _standardise(rx[:, keep])
    zy = _standardise(ry[:, live])
    cxx = zx.T @ zx / n  # (K, K) rank correlations among the inputs
    cxy = zx.T @ zy / n  # (K, L) inputs with outputs
    a = np.linalg.pinv(cxx, hermitian=True)
    ab = a @ cxy  # (K, L)
    # Inverse of [[cxx, c], [c', 1]] by blocks, with s = 1 - c' A c (Schur complement):
    # W[j, y] = -(A c)_j / s, W[j, j] = A_jj + (A c)_j^2 / s, W[y, y] = 1 / s, so
    # PRCC_j = (A c)_j / sqrt(A_jj s + (A c)_j^2), which stays finite as s -> 0.
    schur = np.maximum(1.0 - np.einsum("kl,kl->l", cxy, ab), 0.0)
    denom = np.sqrt(np.diag(a)[:, None] * schur + ab**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.clip(ab / denom, -1.0, 1.0)
    r[~(denom > 0)] = np.nan
    t = r * np.sqrt(dof / np.maximum(1.0 - r * r, 1e-300))
    pv = 2 * stats.t.sf(np.abs(t), dof)
    out[np.ix_(keep, live)] = r
    pval[np.ix_(keep, live)] = np.where(np.isnan(r), np.nan, pv)
    return (out[:, 0], pval[:, 0]) if one else (out, pval)


def prcc_by_regression(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The textbook PRCC, one pair of least-squares regressions per input (reference only).

    Slow (``2 P`` regressions per output); kept to check :func:`prcc` against.
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


def _standardise(a: FloatArray) -> FloatArray:
    """Columns centred and scaled to unit (population) standard deviation."""
    c = a - a.mean(axis=0)
    return np.asarray(c / c.std(axis=0), dtype=np.float64)


@dataclass(frozen=True)
class Sensitivity:
    """A ranked table per question: (input path, index, p-value or total index)."""

    method: str
    members: int
    rankings: dict[str, list[dict[str, Any]]]
    run_dir: str
    #: Why a question has no ranking, in words (its answer never varies, or no member
    #: answered it).
    notes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "members": self.members,
            "run": self.run_dir,
            "questions": self.rankings,
            "notes": self.notes,
        }


def outputs_from_run(
    run_path: Path, scenario: Scenario, notes: dict[str, str] | None = None
) -> tuple[list[str], FloatArray, dict[str, FloatArray]]:
    """The inputs ``(N, P)`` and each question's numeric output ``(N,)`` of a stored run.

    A question no member answered, or whose answer is the same in every member, has no
    output; ``notes`` (when given) receives why, in words.
    """
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
    dates = _step_dates(run_path, scenario)
    for q in scenario.questions:
        y = np.asarray(table[f"q:{q.id}"], dtype=np.float64)
        if np.all(np.isnan(y)) and q.kind != "date":  # a date's NaN is "never"
            if notes is not None:
                notes[q.id] = "no member answered it (this model does not answer it)"
            continue
        same = np.all(np.isnan(y)) or (not np.isnan(y).any() and np.all(y == y[0]))
        if same:
            if notes is not None:
                notes[q.id] = (
                    f"the answer never varies ({_answer_text(q, float(y[0]), dates)} in every "
                    "member), so no input drives it"
                )
            continue
        if q.kind == "choice":
            vals, counts = np.unique(y[~np.isnan(y)], return_counts=True)
            y = (y == vals[np.argmax(counts)]).astype(np.float64)
        elif q.kind == "date":
            y = np.where(np.isnan(y), np.nanmax(y) + 1 if np.any(~np.isnan(y)) else 0.0, y)
        outputs[q.id] = y
    return [c[3:] for c in inputs], x, outputs


def _step_dates(run_path: Path, scenario: Scenario) -> list[str] | None:
    """The dates of a political run's steps (None for a bargaining-only run)."""
    import json

    from factions.labels import step_dates

    try:
        manifest = json.loads((run_path / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        manifest = {}
    return step_dates(scenario, manifest.get("dynamics"))


def _answer_text(q: Any, y: float, dates: list[str] | None) -> str:
    """One member's numeric answer in words."""
    from factions.labels import step_label

    if q.kind == "yes_no":
        return "yes" if y == 1 else "no"
    if q.kind == "choice" and not np.isnan(y) and 0 <= int(y) < len(q.choices):
        return str(q.choices[int(y)].label)
    if q.kind == "date":
        return step_label(None if np.isnan(y) else int(y), dates)
    return f"{y:.4g}"


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
        notes: dict[str, str] = {}
        names, x, outputs = outputs_from_run(res.run.path, scenario, notes)
        labels = [input_label(scenario, name) for name in names]
        rankings: dict[str, list[dict[str, Any]]] = {q.id: [] for q in scenario.questions}
        if outputs:
            # Every question at once: one rank transform, one inverse (see prcc()).
            r_all, p_all = prcc(x, np.column_stack(list(outputs.values())))
        for k, qid in enumerate(outputs):
            r, p = r_all[:, k], p_all[:, k]
            order = np.argsort(-np.nan_to_num(np.abs(r), nan=-1.0))
            rows = [
                {"input": names[j], "label": labels[j],
                 "prcc": None if np.isnan(r[j]) else float(r[j]),
                 "p_value": None if np.isnan(p[j]) else float(p[j])}
                for j in order
            ]  # fmt: skip
            if all(row["prcc"] is None for row in rows):
                notes[qid] = (
                    f"not estimable: PRCC needs more members ({x.shape[0]}) than inputs "
                    f"({x.shape[1]}) plus two"
                )
                rows = []
            rankings[qid] = rows[:top] if top else rows
        return _stored(Sensitivity("prcc", x.shape[0], rankings, str(res.run.path), notes))
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
        notes = {}
        names, _, outputs = outputs_from_run(res.run.path, scenario, notes)
        labels = [input_label(scenario, name) for name in names]
        rankings = {q.id: [] for q in scenario.questions}
        for qid, y in outputs.items():
            si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            order = np.argsort(-np.asarray(si["ST"]))
            rows = [
                {"input": names[j], "label": labels[j], "S1": float(si["S1"][j]),
                 "ST": float(si["ST"][j]), "ST_conf": float(si["ST_conf"][j])}
                for j in order
            ]  # fmt: skip
            rankings[qid] = rows[:top] if top else rows
        return _stored(Sensitivity("sobol", len(values), rankings, str(res.run.path), notes))
    raise ScenarioError([Problem("--method", f"must be prcc or sobol, got {method!r}")])
