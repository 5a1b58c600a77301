"""Results as data: tidy tables of runs and ensembles, and their notebook view.

One tidy layout for a single run and for an ensemble: one row per member, step and series,
with the columns ``member`` (0 for a single run), ``step``, ``date`` (ISO date of a
political run's month; null for a bargaining run's rounds), ``series`` and ``value``. The
series are named as in an ensemble's stored parts (``position:ACTOR:ISSUE``,
``issue:ISSUE``, ``armed:ACTOR``, ``capability:ACTOR``, ``tie:A|B``, and for bargaining
runs the engine's per-round series such as ``median:ISSUE``).

The tables are PyArrow tables (:func:`run_table`, :func:`ensemble_table`): pyarrow is a
core dependency already (the ensemble store is Parquet). ``to_frame()`` converts to a
pandas DataFrame when pandas is installed (``pip install 'factions[frames]'``); pandas is
not a core dependency because nothing in factions needs it, and a 20 MB install to offer
a conversion that pyarrow already does (``Table.to_pandas()``) does not earn its place.

``_repr_html_`` (scenarios, runs, ensembles) gives a notebook a table and a small SVG
chart, with no JavaScript and nothing fetched.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from factions.scenario.schema import Scenario
    from factions.simulate import RunResult

__all__ = ["ensemble_table", "run_table", "to_frame"]


def _run_series(result: RunResult) -> dict[str, np.ndarray[Any, Any]]:
    """Every series of a single run, each ``(T + 1,)``, named as in an ensemble."""
    arr = result.arrays
    out: dict[str, np.ndarray[Any, Any]] = {}
    for i, a in enumerate(arr.actor_ids):
        for j, issue in enumerate(arr.issue_ids):
            if arr.has_stance[i, j]:
                out[f"position:{a}:{issue}"] = result.positions[:, i, j]
    traj = result.trajectory
    if traj is not None:
        for j, issue in enumerate(arr.issue_ids):
            lo, hi = arr.low[j], arr.high[j]
            out[f"issue:{issue}"] = lo + traj.forecast[0, :, j] * (hi - lo)
        for i, a in enumerate(arr.actor_ids):
            out[f"armed:{a}"] = traj.capability[0, :, i, 2]
            out[f"capability:{a}"] = traj.capability[0, :, i, 0]
        n = arr.n
        for i in range(n):
            for k in range(i + 1, n):
                out[f"tie:{arr.actor_ids[i]}|{arr.actor_ids[k]}"] = traj.ties[0, :, i, k]
    else:
        for name, v in result.series.items():
            padded = np.concatenate([v[:1], v], axis=0)  # per-round series start at round 1
            for j, issue in enumerate(arr.issue_ids):
                out[f"{name}:{issue}"] = padded[:, j]
    return out


def run_table(result: RunResult) -> Any:
    """A single run as a tidy ``pyarrow.Table`` (member, step, date, series, value)."""
    import pyarrow as pa

    series = _run_series(result)
    steps = result.positions.shape[0]
    dates = [d.isoformat() for d in result.dates] if result.dates else [None] * steps
    names = list(series)
    return pa.table(
        {
            "member": pa.array(np.zeros(steps * len(names), dtype=np.int64)),
            "step": pa.array(np.tile(np.arange(steps, dtype=np.int64), len(names))),
            "date": pa.array(dates * len(names), type=pa.string()),
            "series": pa.array(np.repeat(names, steps).tolist(), type=pa.string()),
            "value": pa.array(
                np.concatenate([np.asarray(series[k], dtype=np.float64) for k in names])
                if names
                else np.zeros(0)
            ),
        }
    )


def ensemble_table(run_path: Path, scenario: Scenario | None = None) -> Any:
    """A stored ensemble's series as a tidy ``pyarrow.Table`` (one row per member, step and
    series), read from its Parquet parts by DuckDB."""
    import json

    import duckdb
    import pyarrow as pa

    from factions.labels import step_dates
    from factions.scenario.io import parse_scenario

    run_path = Path(run_path)
    if scenario is None:
        scenario = parse_scenario(json.loads((run_path / "scenario.json").read_text("utf-8")))
    manifest = json.loads((run_path / "manifest.json").read_text("utf-8"))
    dates = step_dates(scenario, manifest.get("dynamics"))
    glob = str(run_path / "parts" / "series-*.parquet").replace("'", "''")
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        rel = con.sql(
            f"SELECT member, step, series, value FROM (UNPIVOT read_parquet('{glob}') "
            "ON COLUMNS(* EXCLUDE (member, step)) INTO NAME series VALUE value) "
            "ORDER BY series, member, step"
        )
        # DuckDB >= 1.4 names it to_arrow_table(); earlier 1.x releases, arrow().
        table = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
    finally:
        con.close()
    steps = np.asarray(table.column("step").to_numpy(), dtype=np.int64)
    if dates is not None:
        lookup = np.asarray(dates, dtype=object)
        date_col = pa.array(lookup[np.clip(steps, 0, len(dates) - 1)].tolist(), pa.string())
    else:
        date_col = pa.nulls(len(steps), pa.string())
    return pa.table(
        {
            "member": table.column("member").cast(pa.int64()),
            "step": table.column("step").cast(pa.int64()),
            "date": date_col,
            "series": table.column("series").cast(pa.string()),
            "value": table.column("value").cast(pa.float64()),
        }
    )


def to_frame(table: Any) -> Any:
    """A pyarrow table as a pandas DataFrame (needs pandas: ``factions[frames]``)."""
    try:
        import pandas  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError as e:
        raise ImportError(
            "to_frame() needs pandas: pip install 'factions[frames]' "
            "(or use to_arrow(), which needs nothing more)"
        ) from e
    return table.to_pandas()


# -- notebook views ---------------------------------------------------------------------

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th style='text-align:left'>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def svg_lines(
    series: Mapping[str, Sequence[float]],
    low: float,
    high: float,
    title: str,
    width: int = 420,
    height: int = 180,
) -> str:
    """A small line chart (inline SVG) of ``series`` on the range ``[low, high]``."""
    pad_l, pad_r, pad_t, pad_b = 36, 120, 22, 18
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    span = (high - low) or 1.0
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"role='img' aria-label='{_e(title)}' style='font:11px sans-serif'>",
        f"<text x='{pad_l}' y='14'>{_e(title)}</text>",
        f"<line x1='{pad_l}' y1='{pad_t + h}' x2='{pad_l + w}' y2='{pad_t + h}' stroke='#999'/>",
        f"<text x='{pad_l - 4}' y='{pad_t + 4}' text-anchor='end'>{high:g}</text>",
        f"<text x='{pad_l - 4}' y='{pad_t + h}' text-anchor='end'>{low:g}</text>",
    ]
    for k, (name, ys) in enumerate(series.items()):
        vals = [float(v) for v in ys]
        if not vals:
            continue
        n = max(len(vals) - 1, 1)
        pts = " ".join(
            f"{pad_l + w * t / n:.1f},{pad_t + h * (1 - (v - low) / span):.1f}"
            for t, v in enumerate(vals)
        )
        color = PALETTE[k % len(PALETTE)]
        parts.append(f"<polyline fill='none' stroke='{color}' stroke-width='2' points='{pts}'/>")
        y_end = pad_t + h * (1 - (vals[-1] - low) / span)
        parts.append(
            f"<text x='{pad_l + w + 4}' y='{y_end + 4:.1f}' fill='{color}'>{_e(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def scenario_html(s: Scenario) -> str:
    """A scenario in a notebook: its actors, and where each stands on the first issue."""
    from factions.scenario.schema import value_of

    rows = [[a.id, a.name, a.kind] for a in s.actors]
    issue = s.issues[0]
    stances = {st.actor: value_of(st.position) for st in s.stances if st.issue == issue.id}
    chart = svg_lines(
        {a: [v, v] for a, v in stances.items()},
        issue.scale.low,
        issue.scale.high,
        f"positions on {issue.name}",
    )
    return (
        f"<div><strong>{_e(s.metadata.title)}</strong> ({_e(s.id)}, as of "
        f"{s.metadata.date.isoformat()}): {len(s.actors)} actors, {len(s.issues)} issues, "
        f"{len(s.questions)} questions"
        + _html_table(["id", "name", "kind"], rows)
        + chart
        + "</div>"
    )


def run_html(result: RunResult) -> str:
    """A run in a notebook: the forecast per issue, the answers, and a chart of the issues."""
    from factions.forecast import answer_questions

    s = result.scenario
    arr = result.arrays
    rows = [
        [i.name, f"{float(result.forecast[j]):.1f}", f"{i.scale.low:g}-{i.scale.high:g}"]
        for j, i in enumerate(s.issues)
    ]
    answers = [[a.text, a.summary] for a in answer_questions(result)]
    series = _run_series(result)
    j0 = 0
    issue = s.issues[j0]
    key = f"issue:{issue.id}"
    lines = (
        {issue.name: series[key]}
        if key in series
        else {
            a: result.positions[:, i, j0]
            for i, a in enumerate(arr.actor_ids)
            if arr.has_stance[i, j0]
        }
    )
    chart = svg_lines(
        {k: list(v) for k, v in lines.items()},
        issue.scale.low,
        issue.scale.high,
        f"{issue.name}, step by step",
    )
    return (
        f"<div><strong>{_e(s.metadata.title)}</strong>: model {_e(result.model)}, "
        f"{result.steps} steps"
        + _html_table(["issue", "forecast", "scale"], rows)
        + (_html_table(["question", "answer"], answers) if answers else "")
        + chart
        + "</div>"
    )


def ensemble_html(aggregates: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """An ensemble in a notebook: forecast bands per issue and the median path of each."""
    rows = []
    lines: dict[str, list[float]] = {}
    for issue, q in aggregates.get("forecasts", {}).items():
        if q.get("q50") is None:
            continue
        rows.append([issue, f"{q['q50']:.1f}", f"{q['q05']:.1f} to {q['q95']:.1f}"])
    for key, band in aggregates.get("series", {}).items():
        if key.startswith("issue:") and band.get("q50"):
            lines[key.split(":", 1)[1]] = [float(v) for v in band["q50"] if v is not None]
    every = [v for vs in lines.values() for v in vs] or [0.0, 1.0]
    chart = svg_lines(lines, min(every), max(every), "median path of each issue")
    return (
        f"<div><strong>Ensemble</strong> {_e(manifest.get('run_id', ''))}: "
        f"{aggregates.get('members', '?')} members of {_e(manifest.get('scenario', '?'))}, "
        f"model {_e(manifest.get('model', '?'))}"
        + _html_table(["issue", "median", "90 % band"], rows)
        + (chart if lines else "")
        + "</div>"
    )
