"""The calibration page: fitted coefficients with intervals, held-out scores against the
baseline, and calibration plots (predicted against observed), as one offline HTML file.

It reuses the run report's page style, figure markup, inlined Plotly.js and atomic writer
(:mod:`factions.report`).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from factions.calibration.common import Fit
from factions.report import _write_atomic
from factions.report.html import _figure, page_html

__all__ = ["calibration_figures", "render_calibration", "write_calibration_report"]

_LABELS = {
    "elections": ("predicted change of vote share (pp)", "observed change of vote share (pp)"),
    "arms": (
        "predicted one-year growth of log spending share",
        "observed one-year growth of log spending share",
    ),
}


def _binned(pred: np.ndarray, obs: np.ndarray, bins: int = 10) -> tuple[list[float], list[float]]:
    """Mean observed per decile of the prediction (the calibration curve)."""
    if pred.size == 0:
        return [], []
    edges = np.unique(np.quantile(pred, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, pred, side="right") - 1, 0, max(len(edges) - 2, 0))
    xs, ys = [], []
    for k in range(max(len(edges) - 1, 1)):
        sel = which == k
        if sel.any():
            xs.append(float(pred[sel].mean()))
            ys.append(float(obs[sel].mean()))
    return xs, ys


def calibration_figures(fit: Fit) -> list[dict[str, Any]]:
    """The page's figures (same dict contract as the run report's)."""
    figs: list[dict[str, Any]] = []
    rows = [
        [name, c.estimate, c.low, c.high, c.unit, c.maps_to or "–", c.description]
        for name, c in fit.coefficients.items()
    ]
    figs.append(
        {
            "id": "coefficients", "section": "answers", "kind": "table",
            "title": "Fitted coefficients (90% bootstrap intervals)",
            "columns": ["coefficient", "estimate", "low", "high", "unit", "sets", "meaning"],
            "rows": rows,
            "caption": f"{fit.method.get('estimator', '')}; {fit.method.get('interval', '')}.",
        }
    )  # fmt: skip
    metrics = sorted(set(fit.scores["model"]) | set(fit.scores["baseline"]))
    figs.append(
        {
            "id": "scores", "section": "answers", "kind": "table",
            "title": "Held-out scores: model against baseline",
            "columns": ["metric", "model", "baseline"],
            "rows": [
                [m, fit.scores["model"].get(m), fit.scores["baseline"].get(m)] for m in metrics
            ],
            "caption": f"Split: {fit.split.get('train')}; scored on {fit.split.get('test')}. "
            f"Baseline: {fit.split.get('baseline')}. Errors and Brier scores: lower is better; "
            "log scores, accuracy and AUC: higher is better.",
        }
    )  # fmt: skip
    xl, yl = _LABELS.get(fit.target, ("predicted", "observed"))
    pred = np.asarray(fit.plots.get("predicted_change_pp", fit.plots.get("predicted_growth", [])))
    obs = np.asarray(fit.plots.get("observed_change_pp", fit.plots.get("observed_growth", [])))
    if pred.size:
        rng = np.random.default_rng(0)
        keep = rng.permutation(pred.size)[:3000]
        bx, by = _binned(pred, obs)
        lo = float(np.quantile(np.concatenate([pred, obs]), 0.01))
        hi = float(np.quantile(np.concatenate([pred, obs]), 0.99))
        figs.append(
            {
                "id": "calibration", "section": "answers", "kind": "plotly",
                "title": "Predicted against observed (held out)",
                "data": [
                    {"type": "scatter", "mode": "markers", "name": "held-out cases",
                     "x": pred[keep].tolist(), "y": obs[keep].tolist(),
                     "marker": {"size": 4, "opacity": 0.3, "color": "#7f7f7f"}},
                    {"type": "scatter", "mode": "lines+markers", "name": "mean per decile",
                     "x": bx, "y": by, "line": {"color": "#0b5cad", "width": 2}},
                    {"type": "scatter", "mode": "lines", "name": "perfect calibration",
                     "x": [lo, hi], "y": [lo, hi], "line": {"dash": "dash", "color": "#c0392b"}},
                ],
                "layout": {"title": {"text": "Predicted against observed (held out)"},
                           "xaxis": {"title": {"text": xl}, "range": [lo, hi]},
                           "yaxis": {"title": {"text": yl}, "range": [lo, hi]},
                           "height": 460, "margin": {"l": 60, "r": 20, "t": 50, "b": 50}},
                "caption": "Each grey point is one held-out case (at most 3000 shown); the "
                "blue line the mean observed value per decile of the prediction. A calibrated "
                "model follows the dashed diagonal.",
            }
        )  # fmt: skip
    return figs


def render_calibration(fit: Fit) -> str:
    """The calibration page as one self-contained HTML document."""
    figs = calibration_figures(fit)
    body = "\n".join(_figure(f, None) for f in figs)
    files = "".join(
        f"<li><code>{escape(name)}</code> sha256 <code>{escape(h)}</code></li>"
        for name, h in fit.data.items()
    )
    title = f"Calibration: {escape(fit.target)}"
    return page_html(
        title=title,
        header=(
            f'<h1>{title}</h1>\n<dl class="meta"><div><dt>Split</dt><dd>'
            f"{escape(str(fit.split.get('kind')))}\n{escape(str(fit.split.get('cutoff')))}"
            f"</dd></div>\n<div><dt>Seed</dt><dd>{escape(str(fit.method.get('seed')))}</dd>"
            f"</div>\n<div><dt>Seconds</dt><dd>{fit.seconds:.1f}</dd></div></dl>\n"
            f'<details class="about"><summary>Data</summary><ul>{files}</ul></details>'
        ),
        body=(
            '<section class="part" id="answers"><h2>Fit and held-out scores</h2>\n'
            f"{body}\n</section>"
        ),
        figures=figs,
        note="; docs/calibration.md explains the models,\nthe mapping to the simulation "
        "and where they fail",
        what="page",
    )


def write_calibration_report(fit: Fit, out: Path) -> Path:
    """Write the page to ``out`` (through a temporary file and a rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(out, render_calibration(fit))
    return out
