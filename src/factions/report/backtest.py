"""The backtest page of the offline HTML report: leaderboard, errors, calibration, misses.

:func:`backtest_figures` turns the object :func:`factions.backtest.runner.backtest` returns
into figures (the same figure dicts as the run report: tables and Plotly charts) and
:func:`write_backtest_report` writes one self-contained page (Plotly.js inlined, offline).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from factions.report.html import _figure, page_html

__all__ = ["backtest_figures", "render_backtest_html", "write_backtest_report"]

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)


def _layout(title: str, x: str, y: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 15}},
        "height": 380,
        "margin": {"l": 64, "r": 24, "t": 48, "b": 52},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "xaxis": {"title": {"text": x}, "gridcolor": "#eeeeee"},
        "yaxis": {"title": {"text": y}, "gridcolor": "#eeeeee"},
        **extra,
    }


def _fig(fid: str, title: str, kind: str, caption: str = "", **payload: Any) -> dict[str, Any]:
    fig = {"id": fid, "section": "backtest", "title": title, "kind": kind, **payload}
    if caption:
        fig["caption"] = caption
    return fig


def backtest_figures(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The backtest page's figures."""
    models = result["models"]
    board: Sequence[str] = result["leaderboard"]
    issues = result["issues"]
    ds = result["dataset"]
    rows = []

    def pts(v: float | None) -> str | None:  # points on 0-100
        return None if v is None else f"{v:.1f}"

    def pct(v: float | None) -> str | None:  # a share
        return None if v is None else f"{100 * v:.0f}%"

    for name in board:
        m = models[name]
        vs = m["vs_mean"]
        rows.append(
            [
                name,
                m["kind"],
                pts(m["mae"]),
                pts(m["rmse"]),
                pts(m["median_ae"]),
                pct(m["within_10"]),
                pts(m["crps"]),
                None if vs is None else f"{vs['mean_diff'] + 0.0:+.2f}",
                None if vs is None else f"[{vs['ci_low']:+.2f}, {vs['ci_high']:+.2f}]",
                None if vs is None else f"{vs['wins']}/{vs['losses']}",
                pct(m["coverage_50"]),
                pct(m["coverage_90"]),
            ]
        )
    figs = [
        _fig(
            "leaderboard",
            f"Leaderboard: {ds['name']}, split {ds['split']} ({ds['n_issues']} issues)",
            "table",
            "Errors in points on 0-100. 'vs mean': mean difference of absolute errors from the "
            "weighted mean (negative is better) with its paired bootstrap 95% interval; W/L: "
            "issues won/lost against the mean. A point forecast's CRPS is its absolute error.",
            columns=[
                "model",
                "kind",
                "MAE",
                "RMSE",
                "median AE",
                "within 10",
                "CRPS",
                "vs mean",
                "95% CI",
                "W/L",
                "cov. 50%",
                "cov. 90%",
            ],
            rows=rows,
        )
    ]
    y = [it["outcome"] for it in issues]
    hist = []
    scatter = []
    for k, name in enumerate(board):
        color = PALETTE[k % len(PALETTE)]
        err = [it["forecasts"][name] - it["outcome"] for it in issues]
        hist.append(
            {
                "type": "histogram",
                "x": err,
                "name": name,
                "opacity": 0.55,
                "xbins": {"start": -100, "end": 100, "size": 5},
                "marker": {"color": color},
            }
        )
        scatter.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [it["forecasts"][name] for it in issues],
                "y": y,
                "name": name,
                "text": [it["id"] for it in issues],
                "marker": {"color": color, "size": 6, "opacity": 0.7},
                "visible": True if k < 3 else "legendonly",
            }
        )
    scatter.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": [0, 100],
            "y": [0, 100],
            "name": "forecast = outcome",
            "line": {"color": "#999999", "dash": "dot"},
        }
    )
    figs.append(
        _fig(
            "errors",
            "Error histograms (forecast minus outcome)",
            "plotly",
            data=hist,
            layout=_layout(
                "Error histograms", "forecast - outcome (points)", "issues", barmode="overlay"
            ),
        )
    )
    figs.append(
        _fig(
            "scatter",
            "Forecast against outcome",
            "plotly",
            "The three best models shown; click a legend entry to show another.",
            data=scatter,
            layout=_layout("Forecast against outcome", "forecast", "outcome"),
        )
    )
    pit = [
        {
            "type": "bar",
            "x": [f"{k / 10:.1f}-{(k + 1) / 10:.1f}" for k in range(10)],
            "y": models[name]["pit_histogram"],
            "name": name,
        }
        for name in board
        if models[name]["pit_histogram"]
    ]
    if pit:
        figs.append(
            _fig(
                "pit",
                "Calibration: PIT histograms",
                "plotly",
                "A calibrated forecaster's PIT values are uniform (flat bars). Coverage of the "
                "50% and 90% central intervals is in the leaderboard.",
                data=pit,
                layout=_layout("PIT histograms", "PIT bin", "issues", barmode="group"),
            )
        )
    worst = result.get("worst_misses", [])
    if worst:
        wrows = []
        for w in worst:
            actors = "; ".join(
                f"{a} {v['position']:g} ({v['salience']:g})" for a, v in w["actors"].items()
            )
            wrows.append(
                [
                    w["id"],
                    w["model"],
                    pts(w["forecast"]),
                    pts(w["outcome"]),
                    pts(w["reference_point"]),
                    pts(w["abs_error"]),
                    actors,
                ]
            )
        figs.append(
            _fig(
                "worst",
                f"Worst misses of the best model ({worst[0]['model']})",
                "table",
                "Inputs: each actor's position (salience), on 0-100.",
                columns=[
                    "issue",
                    "model",
                    "forecast",
                    "outcome",
                    "reference point",
                    "abs. error",
                    "actors: position (salience)",
                ],
                rows=wrows,
            )
        )
    return figs


def render_backtest_html(result: Mapping[str, Any]) -> str:
    """The backtest page (self-contained HTML)."""
    figs = backtest_figures(result)
    ds = result["dataset"]
    title = f"Backtest: {ds['name']}"
    body = "\n".join(_figure(f, None) for f in figs)
    meta = (
        f"<div><dt>Data</dt><dd>{escape(ds['name'])} (sha256 {escape(ds['sha256'][:16])}…)</dd>"
        f"</div><div><dt>Split</dt><dd>{escape(str(ds['split']))}</dd></div>"
        f"<div><dt>Issues</dt><dd>{ds['n_issues']}</dd></div>"
        f"<div><dt>Capability rule</dt><dd>{escape(str(ds['capability']))}</dd></div>"
    )
    return page_html(
        title=escape(title),
        header=f'<h1>{escape(title)}</h1>\n<dl class="meta">{meta}</dl>',
        body=(
            '<section class="part" id="backtest"><h2>Backtest</h2>\n<p class="intro">Every '
            "model's forecasts scored against the observed outcomes\n(see docs/validation.md "
            f"for the method).</p>\n{body}\n</section>"
        ),
        figures=figs,
    )


def write_backtest_report(result: Mapping[str, Any], out: Path) -> Path:
    """Write the backtest page to ``out`` (through a temporary file and a rename)."""
    from factions.report import _write_atomic

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(out, render_backtest_html(result))
    return out
