"""Everything a report shows, as JSON-ready figure specs (shared with the web app).

A run is seen through a :class:`RunView`: one run (:func:`view_of_result`) or a stored
ensemble (:func:`view_of_run_dir`). :func:`run_figures` turns a view into a list of figure
dicts in report order, each::

    {"id": str, "section": str, "title": str, "kind": "plotly" | "network" | "table", ...}

- ``plotly``: ``"data"`` and ``"layout"``, a Plotly.js figure spec. Strings taken from the
  scenario are HTML-escaped (``&``, ``<``, ``>``) because Plotly renders text as a subset
  of HTML; Plotly turns the entities back into characters.
- ``network``: ``"snapshots"``, each ``{"date", "label", "elements"}`` (``label``: "start",
  "after: <election>", "end") with cytoscape.js elements: nodes ``{"data": {"id", "label",
  "size", "name", "color"}}`` (``size`` a diameter in pixels, from the actor's bargaining
  capability; ``name`` the full name; ``color`` the actor's colour in every figure) and
  edges ``{"data": {"id", "source", "target", "weight", "sign"}}`` (``weight`` the tie's
  strength ``|w|`` in [0, 1], ``sign`` ``"ally"`` or ``"rival"``). Labels are plain text.
- ``table``: ``"columns"`` and ``"rows"``; cells are plain text or numbers (escape them, or
  set them as text, when rendering).

Any figure may carry a plain-text ``"caption"``. Sections come in the order of
:data:`SECTIONS`; answers always come first. Every spec is JSON-serialisable with
``allow_nan=False`` (missing values are ``None``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from factions.dynamics.events import due_step
from factions.errors import FactionsError
from factions.labels import input_label
from factions.scenario.io import parse_scenario
from factions.scenario.schema import Actor, Scenario, Uncertain, value_of
from factions.simulate import RunResult, default_horizon, month_dates

__all__ = [
    "SECTIONS",
    "SECTION_TITLES",
    "RunView",
    "actor_colors",
    "input_label",
    "run_figures",
    "view_of_result",
    "view_of_run_dir",
]

Section = Literal[
    "answers", "issues", "alliances", "security", "elections", "sensitivity", "inputs"
]
#: The report's sections, in order.
SECTIONS: tuple[Section, ...] = (
    "answers",
    "issues",
    "alliances",
    "security",
    "elections",
    "sensitivity",
    "inputs",
)
SECTION_TITLES: dict[str, str] = {
    "answers": "Answers",
    "issues": "Issues: positions and forecasts",
    "alliances": "Alliances",
    "security": "Security: armed strength and threat",
    "elections": "Elections",
    "sensitivity": "Sensitivity: what drives each answer",
    "inputs": "Inputs and their sources",
}

Figure = dict[str, Any]
Band = Mapping[str, Sequence[float | None]]
QUANTILE_KEYS = ("q05", "q25", "q50", "q75", "q95")

#: Actor colours, assigned in the scenario's order (colour-blind-aware first, then more).
PALETTE = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#8c564b",
    "#7f7f7f",
    "#bcbd22",
    "#9467bd",
    "#17becf",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
)
FORECAST_COLOR = "#222222"
ALLY_COLOR = "#2a9d48"
RIVAL_COLOR = "#c0392b"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


# --------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunView:
    """What a report (or the web app) shows of a run.

    ``data`` is ``RunResult.to_json()`` for a single run (:func:`view_of_result` adds
    ``capability``: each actor's bargaining capability per state, used to size network
    nodes when present), and ``{"manifest", "aggregates", "sensitivity"}`` for an ensemble.
    """

    kind: Literal["single", "ensemble"]
    scenario: Scenario
    data: dict[str, Any]
    label: str


def view_of_result(result: RunResult) -> RunView:
    """The view of one run: its JSON, plus capabilities per state for political runs."""
    data = result.to_json()
    traj = result.trajectory
    if traj is not None:
        data["capability"] = {
            a: [float(v) for v in traj.capability[0, :, i, 0]]
            for i, a in enumerate(result.arrays.actor_ids)
        }
    seed = "no seed" if result.seed is None else f"seed {result.seed}"
    return RunView("single", result.scenario, data, f"{result.scenario.id}, {result.model}, {seed}")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise FactionsError(
            f"{path.parent}: not a complete factions run (no {path.name})"
        ) from None
    except (OSError, ValueError) as e:
        raise FactionsError(f"{path}: cannot read the {what} ({e})") from None


def view_of_run_dir(path: Path) -> RunView:
    """The view of a stored ensemble run (``manifest.json``, ``aggregates.json``,
    ``scenario.json``, optional ``sensitivity.json``).

    Raises
    ------
    FactionsError
        If ``path`` is not a directory of a complete factions run.
    """
    path = Path(path)
    if not path.is_dir():
        raise FactionsError(f"{path}: not a run directory (it does not exist or is a file)")
    if not (path / "manifest.json").is_file():
        raise FactionsError(f"{path}: not a factions run (no manifest.json)")
    manifest = _read_json(path / "manifest.json", "manifest")
    if not isinstance(manifest, dict) or "run_id" not in manifest or "status" not in manifest:
        raise FactionsError(f"{path}: not a factions run (manifest.json is not a run manifest)")
    if manifest["status"] != "complete":
        raise FactionsError(
            f"{path}: the run is not complete (status: {manifest['status']}); run the same "
            "`factions ensemble` command again to finish it"
        )
    aggregates = _read_json(path / "aggregates.json", "aggregates")
    if not isinstance(aggregates, dict) or not {"members", "questions", "series"} <= set(
        aggregates
    ):
        raise FactionsError(f"{path}: aggregates.json is not a factions aggregate")
    raw = _read_json(path / "scenario.json", "scenario")
    try:
        scenario = parse_scenario(raw, str(path / "scenario.json"))
    except FactionsError as e:
        raise FactionsError(f"{path}: scenario.json is not a valid scenario: {e}") from None
    sensitivity = None
    if (path / "sensitivity.json").is_file():
        sensitivity = _read_json(path / "sensitivity.json", "sensitivity ranking")
        if not isinstance(sensitivity, dict) or not isinstance(sensitivity.get("questions"), dict):
            raise FactionsError(f"{path}: sensitivity.json is not a sensitivity ranking")
    data = {"manifest": manifest, "aggregates": aggregates, "sensitivity": sensitivity}
    return RunView("ensemble", scenario, data, str(manifest["run_id"]))


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _esc(s: str) -> str:
    """Escape scenario text for Plotly, which renders a subset of HTML in its strings."""
    return html.escape(s, quote=False)


def _fmt(x: float | None, digits: int = 4) -> str:
    """A number for people: 4 significant digits, '-' when missing."""
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.{digits}g}"


def _pct(p: float | None) -> str:
    """A probability as a percentage."""
    if p is None:
        return "-"
    return f"{100 * p:.0f} %"


def _num(x: Any) -> float | None:
    """A finite float, or None (JSON has no NaN)."""
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _nums(xs: Iterable[Any]) -> list[float | None]:
    """A list of finite floats or None."""
    return [_num(x) for x in xs]


def actor_colors(scenario: Scenario) -> dict[str, str]:
    """One colour per actor, in the scenario's order, the same in every figure."""
    return {a.id: PALETTE[i % len(PALETTE)] for i, a in enumerate(scenario.actors)}


def _rgba(color: str, alpha: float) -> str:
    """``#rrggbb`` with an opacity, as ``rgba(r,g,b,a)``."""
    r, g, b = (int(color[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _short(actor: Actor) -> str:
    """A legend label: always the actor's id (short, and what a user types), never a mix of
    ids and names; the full name is in the hover text and the actors' table."""
    return actor.id


class _Ctx:
    """What every figure builder needs: the view, labels, colours and the time axis."""

    def __init__(self, view: RunView) -> None:
        self.view = view
        self.scenario = view.scenario
        self.data = view.data
        self.colors = actor_colors(view.scenario)
        self.actors = {a.id: a for a in view.scenario.actors}
        self.issues = {i.id: i for i in view.scenario.issues}
        self.ensemble = view.kind == "ensemble"
        if self.ensemble:
            agg = view.data["aggregates"]
            self.agg: dict[str, Any] = agg
            self.series: dict[str, Any] = agg.get("series") or {}
            steps = list(agg.get("steps") or [0])
            self.political = any(k.startswith("issue:") for k in self.series)
            dates = self._ensemble_dates() if self.political else None
            if dates is not None and len(dates) == len(steps):
                self.dates: list[str] | None = [d.isoformat() for d in dates]
            else:
                self.dates = None
            self.steps = steps
        else:
            self.agg = {}
            self.series = {}
            self.political = "dates" in view.data
            self.dates = list(view.data["dates"]) if self.political else None
            self.steps = list(range(int(view.data["steps"]) + 1))
        self.x: list[Any] = self.dates if self.dates is not None else self.steps
        self.x_title = "date" if self.dates is not None else "round"

    def _ensemble_dates(self) -> list[dt.date]:
        meta = self.scenario.metadata
        start = meta.date
        return month_dates(start, meta.horizon or default_horizon(start))

    def name(self, actor_id: str) -> str:
        """An actor's legend label, escaped for Plotly."""
        a = self.actors.get(actor_id)
        return _esc(_short(a) if a is not None else actor_id)

    def plain(self, actor_id: str) -> str:
        """An actor's legend label, plain text."""
        a = self.actors.get(actor_id)
        return _short(a) if a is not None else actor_id

    def full(self, actor_id: str) -> str:
        """An actor's full name, escaped for Plotly."""
        a = self.actors.get(actor_id)
        return _esc(a.name if a is not None else actor_id)

    def color(self, actor_id: str) -> str:
        """An actor's colour."""
        return self.colors.get(actor_id, "#555555")

    def when(self, step: int) -> str:
        """A state index as a date (political) or a round."""
        if self.dates is not None and 0 <= step < len(self.dates):
            return self.dates[step]
        return f"round {step}"


def _layout(
    title: str,
    x_title: str,
    y_title: str,
    *,
    subtitle: str = "",
    height: int = 380,
    legend: bool = True,
) -> dict[str, Any]:
    """A clean Plotly layout with readable titles and axis labels."""
    t: dict[str, Any] = {
        "text": title,
        "x": 0.0,
        "xanchor": "left",
        "font": {"size": 15},
        "yref": "container",
        "y": 1.0,
        "yanchor": "top",
        "pad": {"t": 6},
    }
    if subtitle:
        t["subtitle"] = {"text": subtitle, "font": {"size": 11, "color": "#666666"}}
    return {
        "title": t,
        "height": height,
        "margin": {"l": 64, "r": 24, "t": 62 if subtitle else 40, "b": 52},
        "font": {"family": FONT, "size": 12, "color": "#222222"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "xaxis": {
            "title": {"text": x_title},
            "showgrid": True,
            "gridcolor": "#eeeeee",
            "linecolor": "#999999",
            "zeroline": False,
        },
        "yaxis": {
            "title": {"text": y_title},
            "showgrid": True,
            "gridcolor": "#eeeeee",
            "linecolor": "#999999",
            "zeroline": False,
        },
        "showlegend": legend,
        "legend": {"font": {"size": 11}},
        "hovermode": "x unified",
    }


def _line(
    x: Sequence[Any],
    y: Sequence[float | None],
    name: str,
    color: str,
    *,
    dash: str = "solid",
    width: float = 2.0,
    group: str | None = None,
    yaxis: str | None = None,
    hover: str | None = None,
) -> dict[str, Any]:
    """A Plotly line trace."""
    t: dict[str, Any] = {
        "type": "scatter",
        "mode": "lines" if len(x) > 1 else "markers",
        "x": list(x),
        "y": _nums(y),
        "name": name,
        "line": {"color": color, "width": width, "dash": dash},
        "marker": {"color": color, "size": 8},
    }
    if group is not None:
        t["legendgroup"] = group
    if yaxis is not None:
        t["yaxis"] = yaxis
    if hover is not None:
        t["hovertemplate"] = hover
    return t


def _band(
    x: Sequence[Any],
    band: Band,
    name: str,
    color: str,
    *,
    group: str,
    width: float = 2.0,
    dash: str = "solid",
    outer_alpha: float = 0.1,
    inner_alpha: float = 0.22,
) -> list[dict[str, Any]]:
    """Five traces: the 5-95 % and 25-75 % bands shaded (``fill: tonexty``), the median."""
    base = {
        "type": "scatter",
        "mode": "lines",
        "x": list(x),
        "legendgroup": group,
        "showlegend": False,
        "hoverinfo": "skip",
        "line": {"width": 0, "color": color},
    }
    return [
        {**base, "y": _nums(band["q05"]), "name": f"{name} 5 %"},
        {
            **base,
            "y": _nums(band["q95"]),
            "name": f"{name} 5-95 %",
            "fill": "tonexty",
            "fillcolor": _rgba(color, outer_alpha),
        },
        {**base, "y": _nums(band["q25"]), "name": f"{name} 25 %"},
        {
            **base,
            "y": _nums(band["q75"]),
            "name": f"{name} 25-75 %",
            "fill": "tonexty",
            "fillcolor": _rgba(color, inner_alpha),
        },
        {
            **_line(x, band["q50"], name, color, dash=dash, width=width, group=group),
            "mode": "lines",
        },
    ]


def _table(
    fid: str,
    section: Section,
    title: str,
    columns: list[str],
    rows: list[list[Any]],
    caption: str = "",
) -> Figure:
    """A table figure."""
    return _figure(fid, section, title, "table", caption, columns=columns, rows=rows)


def _plotly(
    fid: str,
    section: Section,
    title: str,
    data: list[dict[str, Any]],
    layout: dict[str, Any],
    caption: str = "",
) -> Figure:
    """A Plotly figure."""
    return _figure(fid, section, title, "plotly", caption, data=data, layout=layout)


def _figure(
    fid: str, section: Section, title: str, kind: str, caption: str, **payload: Any
) -> Figure:
    """A figure dict of any kind (the contract in the module docstring)."""
    fig: Figure = {"id": fid, "section": section, "title": title, "kind": kind, **payload}
    if caption:
        fig["caption"] = caption
    return fig


def _pair(a: str, b: str, order: Mapping[str, int]) -> tuple[str, str]:
    """A pair of actor ids in the scenario's order."""
    return (a, b) if order.get(a, 0) <= order.get(b, 0) else (b, a)


# --------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------


def _answers_single(c: _Ctx) -> list[Figure]:
    rows = []
    for q in c.data.get("questions", []):
        answer = q["summary"] if q["answered"] else "not answered"
        evidence = q["evidence"] if q["answered"] else q["summary"].removeprefix("not answered: ")
        rows.append([q["text"], answer, evidence])
    notes = {q.id: q.note for q in c.scenario.questions if q.note}
    caption = (
        "Each answer is read from the run's series; the evidence names the series, its "
        "value and the month (or round) it refers to."
    )
    if not rows:
        rows = [["(the scenario asks no questions)", "", ""]]
    fig = _table(
        "answers",
        "answers",
        "Answers to the scenario's questions",
        ["Question", "Answer", "Evidence"],
        rows,
        caption,
    )
    if notes:
        fig["notes"] = notes
    return [fig]


def _date_label(c: _Ctx, key: str) -> str:
    if key == "never":
        return "never"
    try:
        return c.when(int(key))
    except ValueError:
        return key


def _undecided(e: Mapping[str, Any]) -> str:
    """The share of members whose answer is too close to call, where the question sets a
    margin (``undecided_within``)."""
    if "undecided_share" not in e:
        return ""
    return f"; undecided in {_pct(float(e['undecided_share']))} ({e['undecided']} members)"


def _answers_ensemble(c: _Ctx) -> list[Figure]:
    members = int(c.agg.get("members", 0))
    questions: Mapping[str, Any] = c.agg.get("questions", {})
    rows: list[list[Any]] = []
    bars: list[dict[str, Any]] = []
    values: list[Figure] = []
    labels_used: set[str] = set()
    for q in c.scenario.questions:
        e = questions.get(q.id)
        if e is None or not e.get("answered"):
            note = (e or {}).get("note", "not answered")
            rows.append([q.text, "not answered", "-", note])
            continue
        n = int(e["answered"])
        label = _esc(q.text if len(q.text) <= 48 else q.text[:46] + "…")
        if label in labels_used:
            label = f"{label} ({q.id})"
        labels_used.add(label)
        if q.kind == "yes_no":
            p = float(e["probability_yes"])
            best, prob = ("yes", p) if p >= 0.5 else ("no", 1 - p)
            rows.append(
                [
                    q.text,
                    best,
                    _pct(prob),
                    f"yes {_pct(p)}, no {_pct(1 - p)} ({e.get('yes', '?')} of {n} members)"
                    + _undecided(e),
                ]
            )
            parts = [("yes", p, ALLY_COLOR), ("no", 1 - p, "#b8b8b8")]
        elif q.kind == "choice":
            probs: Mapping[str, float] = e["probabilities"]
            labels: Mapping[str, str] = e.get("labels", {})
            ranked = sorted(probs.items(), key=lambda kv: -kv[1])
            top, ptop = ranked[0]
            dist = ", ".join(f"{labels.get(k, k)} {_pct(v)}" for k, v in ranked)
            rows.append(
                [q.text, labels.get(top, top), _pct(ptop), f"{dist} ({n} members)" + _undecided(e)]
            )
            parts = [
                (labels.get(k, k), float(probs[k]), PALETTE[i % len(PALETTE)])
                for i, k in enumerate(probs)
            ]
        elif q.kind == "date":
            by_step: Mapping[str, float] = e.get("by_step", {})
            ranked = sorted(by_step.items(), key=lambda kv: -kv[1])
            top, ptop = ranked[0] if ranked else ("never", 0.0)
            dist = ", ".join(f"{_date_label(c, k)} {_pct(v)}" for k, v in ranked[:6])
            rows.append([q.text, _date_label(c, top), _pct(ptop), f"{dist} ({n} members)"])
            order = sorted(by_step, key=lambda k: (k == "never", int(k) if k.isdigit() else 0))
            parts = [
                (
                    _date_label(c, k),
                    float(by_step[k]),
                    "#b8b8b8" if k == "never" else PALETTE[i % len(PALETTE)],
                )
                for i, k in enumerate(order)
            ]
        else:  # value
            rows.append(
                [
                    q.text,
                    f"{_fmt(e.get('q50'))} (median)",
                    f"90 %: {_fmt(e.get('q05'))} to {_fmt(e.get('q95'))}",
                    f"50 %: {_fmt(e.get('q25'))} to {_fmt(e.get('q75'))} ({n} members)",
                ]
            )
            values.append(_value_answer(c, q.id, q.text, e))
            continue
        for name, p, color in parts:
            bars.append(
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [label],
                    "x": [p],
                    "name": _esc(name),
                    "marker": {"color": color, "line": {"color": "#ffffff", "width": 1}},
                    "text": [f"{_esc(name)} {_pct(p)}" if p >= 0.08 else ""],
                    "textposition": "inside",
                    "insidetextanchor": "middle",
                    "hovertemplate": f"{_esc(name)}: %{{x:.0%}}<extra>{label}</extra>",
                    "showlegend": False,
                }
            )
    caption = (
        f"Across {members} ensemble members drawn over the scenario's uncertain inputs. "
        "'Most likely answer' is the answer of the most members (for a value: the median)."
    )
    out = [
        _table(
            "answers",
            "answers",
            "Answers: how likely each is",
            ["Question", "Most likely answer", "Probability", "Distribution"],
            rows,
            caption,
        )
    ]
    if bars:
        n_q = len({b["y"][0] for b in bars})
        layout = _layout(
            "Probability of each answer",
            "probability",
            "",
            legend=False,
            height=max(200, 90 + 46 * n_q),
        )
        layout["barmode"] = "stack"
        layout["hovermode"] = "closest"
        layout["xaxis"].update({"range": [0, 1], "tickformat": ".0%"})
        layout["yaxis"].update({"autorange": "reversed", "automargin": True})
        layout["margin"]["l"] = 24
        out.append(
            _plotly("answer-probabilities", "answers", "Probability of each answer", bars, layout)
        )
    return out + values


def _value_answer(c: _Ctx, qid: str, text: str, e: Mapping[str, Any]) -> Figure:
    box = {
        "type": "box",
        "orientation": "h",
        "y": [_esc(text[:60])],
        "name": "",
        "q1": [e.get("q25")],
        "median": [e.get("q50")],
        "q3": [e.get("q75")],
        "lowerfence": [e.get("q05")],
        "upperfence": [e.get("q95")],
        "marker": {"color": FORECAST_COLOR},
        "line": {"color": FORECAST_COLOR},
        "fillcolor": _rgba("#888888", 0.3),
        "showlegend": False,
    }
    layout = _layout(
        _esc(text),
        "value",
        "",
        legend=False,
        height=200,
        subtitle="box: 25-75 %, line: median, whiskers: 5-95 %",
    )
    layout["hovermode"] = "closest"
    layout["yaxis"].update({"showticklabels": False})
    return _plotly(f"answer-value-{qid}", "answers", text, [box], layout)


# --------------------------------------------------------------------------------------
# Issues
# --------------------------------------------------------------------------------------


def _issue_layout(c: _Ctx, issue_id: str, title: str) -> dict[str, Any]:
    issue = c.issues[issue_id]
    sc = issue.scale
    ends = []
    if sc.low_label:
        ends.append(f"{sc.low:g} = {sc.low_label}")
    if sc.high_label:
        ends.append(f"{sc.high:g} = {sc.high_label}")
    y_title = f"position ({sc.unit})" if sc.unit else "position"
    layout = _layout(title, c.x_title, _esc(y_title), subtitle=_esc("; ".join(ends)), height=420)
    pad = 0.04 * (sc.high - sc.low)
    layout["yaxis"]["range"] = [sc.low - pad, sc.high + pad]
    return layout


def _issues_single(c: _Ctx) -> list[Figure]:
    out: list[Figure] = []
    data = c.data
    x = c.x
    rows = []
    for issue in c.scenario.issues:
        entry = data["issues"][issue.id]
        traces: list[dict[str, Any]] = []
        states = len(x)
        if states <= 1:
            out.append(_strip_single(c, issue.id, entry))
        else:
            for a, ys in entry["positions"].items():
                traces.append(_line(x, ys, c.name(a), c.color(a), group=a))
            if c.political:
                traces.append(
                    _line(
                        x,
                        data["forecasts"][issue.id],
                        "forecast",
                        FORECAST_COLOR,
                        dash="dash",
                        width=3,
                    )
                )
            else:
                for k, (name, dash) in enumerate((("median", "dash"), ("mean", "dot"))):
                    if name in entry:
                        ys = [None, *entry[name]]  # per round, from round 1
                        traces.append(
                            _line(
                                x,
                                ys,
                                f"{name} ({data['model']})",
                                FORECAST_COLOR if k == 0 else "#666666",
                                dash=dash,
                                width=3,
                            )
                        )
                traces.append(
                    {
                        **_line([x[-1]], [entry["forecast"]], "forecast", FORECAST_COLOR),
                        "marker": {"color": FORECAST_COLOR, "size": 11, "symbol": "diamond"},
                    }
                )
            title = _esc(issue.name)
            out.append(
                _plotly(
                    f"issue-{issue.id}",
                    "issues",
                    issue.name,
                    traces,
                    _issue_layout(c, issue.id, title),
                    "Each actor's position over time; the dashed line is the "
                    "model's forecast of the outcome.",
                )
            )
        sc = issue.scale
        rows.append(
            [
                issue.name,
                _fmt(entry["forecast"]),
                f"{sc.low:g} to {sc.high:g} {sc.unit}".strip(),
                sc.low_label,
                sc.high_label,
            ]
        )
    out.append(
        _table(
            "forecasts",
            "issues",
            "Forecast outcome of each issue",
            ["Issue", "Forecast", "Scale", "Low end", "High end"],
            rows,
            f"At the end of the run ({c.when(len(x) - 1)}).",
        )
    )
    return out


def _strip_single(c: _Ctx, issue_id: str, entry: Mapping[str, Any]) -> Figure:
    """One state only (a bargaining model that moves nobody): positions on the scale."""
    issue = c.issues[issue_id]
    actors = list(entry["positions"])
    traces = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": [entry["positions"][a][-1]],
            "y": [c.name(a)],
            "name": c.name(a),
            "marker": {"color": c.color(a), "size": 12},
            "showlegend": False,
        }
        for a in actors
    ]
    f = _num(entry["forecast"])
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": [f, f],
            "y": [c.name(actors[0]), c.name(actors[-1])],
            "name": "forecast",
            "line": {"color": FORECAST_COLOR, "dash": "dash", "width": 3},
        }
    )
    return _strip_layout(c, issue_id, traces, len(actors), "Positions and forecast", issue.name)


def _strip_layout(
    c: _Ctx, issue_id: str, traces: list[dict[str, Any]], n: int, what: str, name: str
) -> Figure:
    layout = _issue_layout(c, issue_id, _esc(name))
    sc = c.issues[issue_id].scale
    layout["xaxis"], layout["yaxis"] = layout["yaxis"], layout["xaxis"]
    layout["xaxis"]["title"] = {"text": _esc(f"position ({sc.unit})" if sc.unit else "position")}
    layout["yaxis"] = {"automargin": True, "autorange": "reversed", "showgrid": False}
    layout["hovermode"] = "closest"
    layout["height"] = max(260, 90 + 28 * n)
    return _plotly(
        f"issue-{issue_id}",
        "issues",
        name,
        traces,
        layout,
        f"{what}: every actor's position on the scale, the dashed line the forecast.",
    )


def _issues_ensemble(c: _Ctx) -> list[Figure]:
    out: list[Figure] = []
    x = c.x
    forecasts: Mapping[str, Any] = c.agg.get("forecasts", {})
    rows = []
    for issue in c.scenario.issues:
        actors = [a.id for a in c.scenario.actors if f"position:{a.id}:{issue.id}" in c.series]
        if len(x) <= 1:
            out.append(_strip_ensemble(c, issue.id, actors, forecasts.get(issue.id)))
        else:
            traces: list[dict[str, Any]] = []
            for a in actors:
                traces += _band(
                    x,
                    c.series[f"position:{a}:{issue.id}"],
                    c.name(a),
                    c.color(a),
                    group=a,
                    outer_alpha=0.06,
                    inner_alpha=0.14,
                )
            for name, dash in (
                (f"issue:{issue.id}", "dash"),
                (f"median:{issue.id}", "dash"),
                (f"mean:{issue.id}", "dot"),
            ):
                if name in c.series:
                    label = "forecast" if name.startswith("issue:") else name.split(":")[0]
                    traces += _band(
                        x,
                        c.series[name],
                        label,
                        FORECAST_COLOR,
                        group=name,
                        dash=dash,
                        width=3,
                        outer_alpha=0.06,
                        inner_alpha=0.14,
                    )
            out.append(
                _plotly(
                    f"issue-{issue.id}",
                    "issues",
                    issue.name,
                    traces,
                    _issue_layout(c, issue.id, _esc(issue.name)),
                    "Lines: medians across the ensemble; shaded: 25-75 % (darker) and "
                    "5-95 % of members. Click a legend entry to hide an actor.",
                )
            )
        f = forecasts.get(issue.id, {})
        sc = issue.scale
        rows.append(
            [
                issue.name,
                _fmt(f.get("q50")),
                f"{_fmt(f.get('q25'))} to {_fmt(f.get('q75'))}",
                f"{_fmt(f.get('q05'))} to {_fmt(f.get('q95'))}",
                f"{sc.low:g} = {sc.low_label or 'low'}; {sc.high:g} = {sc.high_label or 'high'}",
            ]
        )
    out.append(
        _table(
            "forecasts",
            "issues",
            "Forecast outcome of each issue",
            ["Issue", "Median", "50 % band", "90 % band", "Scale"],
            rows,
            "At the end of the run, across the ensemble.",
        )
    )
    return out


def _strip_ensemble(
    c: _Ctx, issue_id: str, actors: list[str], forecast: Mapping[str, Any] | None
) -> Figure:
    """One state only: each actor's position distribution as a box on the scale."""
    traces = []
    for a in actors:
        b = c.series[f"position:{a}:{issue_id}"]
        traces.append(_hbox(c.name(a), b, c.color(a)))
    if forecast:
        traces.append(
            _hbox("forecast", {k: [forecast.get(k)] for k in QUANTILE_KEYS}, FORECAST_COLOR)
        )
    return _strip_layout(
        c,
        issue_id,
        traces,
        len(traces),
        "Positions and forecast (boxes: 25-75 %, whiskers 5-95 %)",
        c.issues[issue_id].name,
    )


def _hbox(name: str, band: Band, color: str) -> dict[str, Any]:
    """A horizontal box from precomputed quantiles (the last state of a band)."""
    return {
        "type": "box",
        "orientation": "h",
        "y": [name],
        "name": name,
        "q1": [_num(band["q25"][-1])],
        "median": [_num(band["q50"][-1])],
        "q3": [_num(band["q75"][-1])],
        "lowerfence": [_num(band["q05"][-1])],
        "upperfence": [_num(band["q95"][-1])],
        "marker": {"color": color},
        "line": {"color": color},
        "fillcolor": _rgba(color, 0.3),
        "showlegend": False,
    }


# --------------------------------------------------------------------------------------
# Alliances
# --------------------------------------------------------------------------------------


def _snapshot_steps(c: _Ctx) -> list[int]:
    """The states the network is drawn at: the start, each election, the end."""
    last = len(c.x) - 1
    steps = [0]
    if c.dates is not None:
        dates = [dt.date.fromisoformat(d) for d in c.dates]
        for ev in sorted(c.scenario.events, key=lambda e: e.date):
            if ev.kind == "election":
                t = due_step(ev.date, dates)
                if t is not None:
                    steps.append(t)
    steps.append(last)
    return sorted(set(steps))


def _snapshot_labels(c: _Ctx) -> dict[int, str]:
    """What each snapshot state is: the start, after an election, the end."""
    out = {0: "start"}
    if c.dates is not None:
        dates = [dt.date.fromisoformat(d) for d in c.dates]
        for ev in c.scenario.events:
            t = due_step(ev.date, dates) if ev.kind == "election" else None
            if t is not None:
                out.setdefault(t, f"after: {ev.name}")
    last = len(c.x) - 1
    out[last] = f"{out[last]}; end" if last in out and last != 0 else "end"
    return out


def _tie_series(c: _Ctx) -> dict[tuple[str, str], list[float | None]]:
    """Every pair's tie series (the median for an ensemble)."""
    out: dict[tuple[str, str], list[float | None]] = {}
    if c.ensemble:
        for key, band in c.series.items():
            if key.startswith("tie:"):
                a, _, b = key[4:].partition("|")
                out[(a, b)] = list(band["q50"])
    else:
        for key, ys in c.data.get("alliances", {}).items():
            a, _, b = key.partition("|")
            out[(a, b)] = _nums(ys)
    return out


def _capabilities(c: _Ctx) -> dict[str, list[float | None]]:
    """Bargaining capability per actor per state (median for ensembles), if known."""
    if c.ensemble:
        return {
            a.id: list(c.series[f"capability:{a.id}"]["q50"])
            for a in c.scenario.actors
            if f"capability:{a.id}" in c.series
        }
    caps = c.data.get("capability")
    if isinstance(caps, dict):
        return {a: _nums(v) for a, v in caps.items()}
    # A stored run's JSON: the scenario's starting capability, held constant.
    from factions.scenario.arrays import to_arrays

    arr = to_arrays(c.scenario)
    return {a: [float(arr.capability[i])] * len(c.x) for i, a in enumerate(arr.actor_ids)}


def _network(c: _Ctx, ties: Mapping[tuple[str, str], list[float | None]]) -> Figure:
    caps = _capabilities(c)
    snapshots = []
    labels = _snapshot_labels(c)
    for t in _snapshot_steps(c):
        vals = [v for ser in caps.values() if t < len(ser) and (v := ser[t]) is not None]
        top = max([*vals, 1e-9])
        elements: list[dict[str, Any]] = []
        for actor in c.scenario.actors:
            s = caps.get(actor.id)
            v = s[t] if s is not None and t < len(s) else None
            size = 20 + 40 * math.sqrt(max(v or 0.0, 0.0) / top)
            elements.append(
                {
                    "data": {
                        "id": actor.id,
                        "label": _short(actor),
                        "name": actor.name,
                        "size": round(size, 1),
                        "color": c.color(actor.id),
                    }
                }
            )
        for (src, dst), ys in ties.items():
            w = ys[t] if t < len(ys) else None
            if w is None or abs(w) < 0.05:
                continue
            elements.append(
                {
                    "data": {
                        "id": f"{src}|{dst}",
                        "source": src,
                        "target": dst,
                        "weight": round(abs(w), 4),
                        "sign": "ally" if w > 0 else "rival",
                    }
                }
            )
        snapshots.append({"date": c.when(t), "label": labels.get(t, ""), "elements": elements})
    what = "median tie across the ensemble" if c.ensemble else "tie"
    caption = (
        f"At the start, at each election and at the end. Edges: the {what} between two "
        "actors (green: allies, red: rivals; thicker: stronger; ties weaker than 0.05 are "
        "left out). Node size: bargaining capability."
    )
    return _figure(
        "alliance-network", "alliances", "The alliance network", "network", caption,
        snapshots=snapshots,
    )  # fmt: skip


def _shown_pairs(
    c: _Ctx, ties: Mapping[tuple[str, str], list[float | None]], cap: int = 10
) -> list[tuple[str, str]]:
    """The pairs worth a line: asked about, stated in the scenario, or strongly moved."""
    order = {a: i for i, a in enumerate(c.scenario.actor_ids)}
    asked: set[tuple[str, str]] = set()
    for q in c.scenario.questions:
        for s in [q.series or "", *(ch.series for ch in q.choices)]:
            kind, _, rest = s.partition(":")
            if kind in ("tie", "race"):
                a, _, b = rest.partition(":")
                asked.add(_pair(a, b, order))
    stated = {_pair(t.a, t.b, order) for t in c.scenario.ties}

    def strength(p: tuple[str, str]) -> float:
        return max((abs(v) for v in ties[p] if v is not None), default=0.0)

    pairs = [p for p in ties if p in asked or p in stated or strength(p) >= 0.2]
    pairs.sort(key=lambda p: (p not in asked, -strength(p)))
    return pairs[:cap]


def _alliances(c: _Ctx) -> list[Figure]:
    if not c.political:
        return []
    ties = _tie_series(c)
    out = [_network(c, ties)]
    pairs = _shown_pairs(c, ties)
    x = c.x
    traces: list[dict[str, Any]] = []
    for k, (a, b) in enumerate(pairs):
        color = PALETTE[k % len(PALETTE)]
        name = f"{c.name(a)} – {c.name(b)}"
        if c.ensemble:
            traces += _band(
                x,
                c.series[f"tie:{a}|{b}"],
                name,
                color,
                group=f"{a}|{b}",
                outer_alpha=0.07,
                inner_alpha=0.16,
            )
        else:
            traces.append(_line(x, ties[(a, b)], name, color, group=f"{a}|{b}"))
    layout = _layout(
        "Tie strengths over time",
        c.x_title,
        "tie (-1 rivals, +1 allies)",
        subtitle="the pairs asked about, stated in the scenario, or strongly moved",
        height=420,
    )
    layout["yaxis"].update({"range": [-1.05, 1.05], "zeroline": True, "zerolinecolor": "#999999"})
    caption = (
        "Bands: 25-75 % and 5-95 % of members; lines: medians."
        if c.ensemble
        else "A tie moves towards positional affinity, up with common enemies, down with suspicion."
    )
    out.append(_plotly("ties", "alliances", "Tie strengths over time", traces, layout, caption))
    bal = c.data.get("balance") if not c.ensemble else None
    if isinstance(bal, dict) and bal.get("index"):
        layout = _layout(
            "Structural balance", c.x_title, "share of balanced triads", legend=False, height=300
        )
        layout["yaxis"]["range"] = [0, 1.05]
        camps = bal.get("camps_end") or [[], []]
        caption = (
            "1 = every triad of ties is balanced (friends of friends are friends). Camps at the "
            f"end: {', '.join(camps[0]) or '-'} | {', '.join(camps[1]) or '-'}."
        )
        out.append(
            _plotly(
                "balance",
                "alliances",
                "Structural balance",
                [_line(x, bal["index"], "balance", FORECAST_COLOR)],
                layout,
                caption,
            )
        )
    return out


# --------------------------------------------------------------------------------------
# Security
# --------------------------------------------------------------------------------------


def _security_single(c: _Ctx) -> list[Figure]:
    sec: Mapping[str, Any] = c.data.get("security", {})
    if not sec:
        return []
    x = c.x
    armed: dict[str, list[float | None]] = {}
    for entry in sec.values():
        for a, ys in entry["armed"].items():
            armed.setdefault(a, _nums(ys))
    order = [a for a in c.scenario.actor_ids if a in armed]
    layout = _layout("Armed strength", c.x_title, "armed capability (index)", height=400)
    traces = [_line(x, armed[a], c.name(a), c.color(a), group=a) for a in order]
    out = [
        _plotly(
            "armed-strength",
            "security",
            "Armed strength",
            traces,
            layout,
            "Armed capability of every actor in a rival pair (armed strength, clients "
            "and money; 0-100 at the start, a spiralling race takes it past 100).",
        )
    ]
    pairs = sorted(sec.items(), key=lambda kv: (bool(kv[1]["stable"]), kv[0]))
    for key, entry in pairs:
        a, _, b = key.partition("|")
        verdict = "stable" if entry["stable"] else "spiralling"
        title = f"{c.plain(a)} and {c.plain(b)}: {verdict}"
        traces = [
            _line(x, entry["armed"][p], f"{c.name(p)} armed", c.color(p), group=p) for p in (a, b)
        ]
        for (who, ys), p in zip(entry["belief"].items(), (a, b), strict=False):
            other = b if p == a else a
            traces.append(
                _line(
                    x,
                    ys,
                    f"{c.name(p)} fears {c.name(other)}",
                    c.color(p),
                    dash="dot",
                    yaxis="y2",
                    group=p,
                    hover=f"{_esc(who)}: %{{y:.2f}}<extra></extra>",
                )
            )
        layout = _layout(
            _esc(title),
            c.x_title,
            "armed capability (index)",
            height=380,
            subtitle="solid: armed capability (left); dotted: probability that "
            "one believes the other aggressive (right)",
        )
        layout["yaxis2"] = {
            "title": {"text": "belief: p(aggressive)"},
            "overlaying": "y",
            "side": "right",
            "range": [0, 1],
            "showgrid": False,
            "tickformat": ".0%",
            # Round ticks of its own (synced to the left axis they fell at 13, 33, 54 %...).
            "tickmode": "array",
            "tickvals": [0, 0.25, 0.5, 0.75, 1],
        }
        layout["margin"]["r"] = 64
        layout["legend"].update({"orientation": "h", "y": -0.2})
        out.append(
            _plotly(
                f"security-{a}-vs-{b}",
                "security",
                title,
                traces,
                layout,
                str(entry.get("verdict", "")),
            )
        )
    return out


def _security_ensemble(c: _Ctx) -> list[Figure]:
    if not c.political:
        return []
    x = c.x
    armed = [
        a.id
        for a in c.scenario.actors
        if f"armed:{a.id}" in c.series
        and any((v or 0) > 0 for v in c.series[f"armed:{a.id}"]["q95"])
    ]
    if not armed:
        return []
    traces: list[dict[str, Any]] = []
    for a in armed:
        traces += _band(
            x,
            c.series[f"armed:{a}"],
            c.name(a),
            c.color(a),
            group=a,
            outer_alpha=0.07,
            inner_alpha=0.16,
        )
    layout = _layout("Armed strength", c.x_title, "armed capability (index)", height=420)
    out = [
        _plotly(
            "armed-strength",
            "security",
            "Armed strength",
            traces,
            layout,
            "Medians across the ensemble with 25-75 % and 5-95 % bands. Beliefs are "
            "per member and not aggregated; see a single run for them.",
        )
    ]
    order = {a: i for i, a in enumerate(c.scenario.actor_ids)}
    questions: Mapping[str, Any] = c.agg.get("questions", {})
    seen: set[tuple[str, str]] = set()
    for q in c.scenario.questions:
        kind, _, rest = (q.series or "").partition(":")
        if kind != "race":
            continue
        a, _, b = rest.partition(":")
        a, b = _pair(a, b, order)
        if (a, b) in seen or f"armed:{a}" not in c.series or f"armed:{b}" not in c.series:
            continue
        seen.add((a, b))
        traces = []
        for p in (a, b):
            traces += _band(x, c.series[f"armed:{p}"], c.name(p), c.color(p), group=p)
        p_yes = questions.get(q.id, {}).get("probability_yes")
        sub = f"“{_esc(q.text)}” yes in {_pct(p_yes)} of members" if p_yes is not None else ""
        layout = _layout(
            _esc(f"{c.plain(a)} and {c.plain(b)}"),
            c.x_title,
            "armed capability (index)",
            subtitle=sub,
            height=380,
        )
        out.append(
            _plotly(
                f"security-{a}-vs-{b}", "security", f"{c.plain(a)} and {c.plain(b)}", traces, layout
            )
        )
    return out


# --------------------------------------------------------------------------------------
# Elections
# --------------------------------------------------------------------------------------


def _event_name(c: _Ctx, event_id: str) -> str:
    ev = next((e for e in c.scenario.events if e.id == event_id), None)
    return ev.name if ev is not None else event_id


def _event_date(c: _Ctx, event_id: str, default: str = "") -> str:
    ev = next((e for e in c.scenario.events if e.id == event_id), None)
    return ev.date.isoformat() if ev is not None else default


def _elections_single(c: _Ctx) -> list[Figure]:
    out: list[Figure] = []
    for el in c.data.get("elections", []):
        ev = el["event"]
        votes: Mapping[str, float] = el["votes"]
        seats: Mapping[str, int] = el["seats"]
        total_v = sum(votes.values()) or 1.0
        total_s = sum(seats.values()) or 1
        actors = list(votes)
        names = [c.name(a) for a in actors]
        colors = [c.color(a) for a in actors]
        vote_share = [100 * votes[a] / total_v for a in actors]
        seat_share = [100 * seats[a] / total_s for a in actors]
        traces = [
            {
                "type": "bar",
                "x": names,
                "y": vote_share,
                "name": "vote share",
                "marker": {
                    "color": [_rgba(k, 0.35) for k in colors],
                    "line": {"color": colors, "width": 1.5},
                },
                "hovertemplate": "%{x}: %{y:.1f} % of votes<extra></extra>",
            },
            {
                "type": "bar",
                "x": names,
                "y": seat_share,
                "name": "seat share",
                "marker": {"color": colors},
                "text": [f"{seats[a]} seats" for a in actors],
                "textposition": "outside",
                "hovertemplate": "%{x}: %{y:.1f} % of seats (%{text})<extra></extra>",
            },
        ]
        title = f"{_event_name(c, ev)}, {_event_date(c, ev, el['date'])}"
        layout = _layout(
            _esc(title),
            "",
            "share (%)",
            height=400,
            subtitle=f"pale bars: vote share; solid bars: seat share ({total_s} seats)",
        )
        layout["barmode"] = "group"
        layout["hovermode"] = "closest"
        layout["legend"].update({"orientation": "h", "y": -0.15})
        layout["yaxis"]["rangemode"] = "tozero"
        out.append(
            _plotly(
                f"election-{ev}",
                "elections",
                title,
                traces,
                layout,
                "Joint lists pool their votes; seats follow the election's rule.",
            )
        )
        council = el.get("council") or {}
        ss = council.get("shapley_shubik", {})
        bz = council.get("banzhaf", {})
        rows = [
            [
                c.plain(a),
                c.plain(el["lists"].get(a, a)),
                round(vote_share[k], 1),
                seats[a],
                round(seat_share[k], 1),
                _num(ss.get(a)),
                _num(bz.get(a)),
            ]
            for k, a in enumerate(actors)
        ]
        mwc = council.get("minimal_winning_coalitions") or []
        caption = (
            f"Power in the elected council with a majority quota of {council.get('quota', '-')} "
            "seats. Minimal winning coalitions: "
            + ("; ".join(" + ".join(c.plain(a) for a in m) for m in mwc) or "none")
            + "."
        )
        governorates = el.get("governorates") or []
        if governorates:
            caption = (
                "Seats summed over the governorates' councils; power is per council "
                "(next table), never over the sum."
            )
        out.append(
            _table(
                f"election-{ev}-table",
                "elections",
                f"{_event_name(c, ev)}: results",
                [
                    "Contestant",
                    "List",
                    "Votes (%)",
                    "Seats",
                    "Seats (%)",
                    "Shapley-Shubik",
                    "Banzhaf",
                ],
                rows,
                caption,
            )
        )
        if governorates:
            out.append(
                _table(
                    f"election-{ev}-councils",
                    "elections",
                    f"{_event_name(c, ev)}: the council of each governorate",
                    ["Governorate", *(c.plain(a) for a in actors), "Power", "Government"],
                    [
                        [
                            g["id"],
                            *(g["seats"].get(a, 0) for a in actors),
                            ", ".join(
                                f"{c.plain(a)} {v:.2f}" for a, v in g["power"].items() if v > 0
                            ),
                            " + ".join(c.plain(a) for a in g["government"]),
                        ]
                        for g in governorates
                    ],
                    "Seats per contestant; power: each list's Shapley-Shubik index in its own "
                    "council (quota a majority of its seats); government: the coalition the "
                    "council formed.",
                )
            )
    return out


def _elections_ensemble(c: _Ctx) -> list[Figure]:
    out: list[Figure] = []
    elections: Mapping[str, Any] = c.agg.get("elections", {})
    for ev, by_actor in elections.items():
        actors = [a for a in c.scenario.actor_ids if a in by_actor]
        traces = []
        for a in actors:
            e = by_actor[a]
            traces.append(
                {
                    "type": "box",
                    "x": [c.name(a)],
                    "name": c.name(a),
                    "q1": [e.get("q25")],
                    "median": [e.get("q50")],
                    "q3": [e.get("q75")],
                    "lowerfence": [e.get("q05")],
                    "upperfence": [e.get("q95")],
                    "marker": {"color": c.color(a)},
                    "line": {"color": c.color(a)},
                    "fillcolor": _rgba(c.color(a), 0.35),
                    "showlegend": False,
                }
            )
        title = f"Seats: {_event_name(c, ev)}, {_event_date(c, ev)}".rstrip(", ")
        layout = _layout(
            _esc(title),
            "",
            "seats",
            height=400,
            subtitle="boxes: 25-75 % of members, line: median, whiskers: 5-95 %; "
            "P(most seats): a tie of k contestants counts 1/k each",
            legend=False,
        )
        layout["hovermode"] = "closest"
        layout["yaxis"]["rangemode"] = "tozero"
        layout["annotations"] = [
            {
                "x": c.name(a),
                "y": 1.0,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"P(most seats) {_pct(by_actor[a].get('probability_most_seats'))}",
                "font": {"size": 11, "color": "#444444"},
            }
            for a in actors
        ]
        layout["margin"]["t"] = 96
        out.append(_plotly(f"election-{ev}", "elections", title, traces, layout))
        rows = [
            [
                c.plain(a),
                _whole(by_actor[a].get("q50")),
                f"{_whole(by_actor[a].get('q25'))} to {_whole(by_actor[a].get('q75'))}",
                f"{_whole(by_actor[a].get('q05'))} to {_whole(by_actor[a].get('q95'))}",
                _pct(by_actor[a].get("probability_most_seats")),
            ]
            for a in actors
        ]
        out.append(
            _table(
                f"election-{ev}-table",
                "elections",
                f"{_event_name(c, ev)}: seat distributions",
                ["Contestant", "Median seats", "50 % band", "90 % band", "P(most seats)"],
                rows,
                "Seats are whole: bands are rounded to the nearest seat. P(most seats): a tie "
                "for most seats between k contestants counts 1/k for each, so the column sums "
                "to 100 %.",
            )
        )
    return out


def _whole(x: Any) -> Any:
    """A seat count as a whole number (quantiles interpolate: 159.2 seats is not a count)."""
    v = _num(x)
    return None if v is None else round(v)


# --------------------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------------------


def _sensitivity(c: _Ctx) -> list[Figure]:
    sens = c.data.get("sensitivity") if c.ensemble else None
    if not isinstance(sens, dict):
        return []
    method = str(sens.get("method", "prcc"))
    members = sens.get("members", "?")
    inputs = len(c.data["manifest"].get("inputs", []))
    key = "prcc" if method == "prcc" else "ST"
    texts = {q.id: q.text for q in c.scenario.questions}
    rows: list[list[Any]] = []
    figs: list[Figure] = []
    missing = 0
    for qid, ranking in sens["questions"].items():
        ranked = [r for r in ranking if _num(r.get(key)) is not None]
        text = texts.get(qid, qid)
        note = (sens.get("notes") or {}).get(qid)
        if not ranked:
            explained = bool(note) and not str(note).startswith("not estimable")
            rows.append([text, None, str(note) if explained else "not estimable (see below)",
                         "", None, None])  # fmt: skip
            missing += not explained
            continue
        top = ranked[:10]
        for rank, r in enumerate(top, 1):
            label = str(r.get("label") or input_label(c.scenario, r["input"]))
            if method == "prcc":
                rows.append([text, rank, label, r["input"], _num(r["prcc"]), _num(r["p_value"])])
            else:
                rows.append([text, rank, label, r["input"], _num(r["S1"]), _num(r["ST"])])
        vals = [float(r[key]) for r in top]
        colors = [ALLY_COLOR if v >= 0 else RIVAL_COLOR for v in vals]
        bar = {
            "type": "bar",
            "orientation": "h",
            "x": vals,
            "y": [_esc(str(r.get("label") or input_label(c.scenario, r["input"]))) for r in top],
            "marker": {"color": colors},
            "showlegend": False,
            "hovertemplate": "%{y}: %{x:.3f}<extra></extra>",
        }
        x_title = "partial rank correlation (PRCC)" if method == "prcc" else "total Sobol index"
        layout = _layout(
            _esc(text),
            x_title,
            "",
            legend=False,
            height=max(240, 90 + 26 * len(top)),
            subtitle="the inputs that drive this answer most, strongest first",
        )
        layout["hovermode"] = "closest"
        layout["yaxis"].update({"autorange": "reversed", "automargin": True})
        if method == "prcc":
            layout["xaxis"]["range"] = [-1, 1]
        figs.append(_plotly(f"sensitivity-{qid}", "sensitivity", f"Drivers: {text}", [bar], layout))
    columns = (
        ["Question", "Rank", "Input", "Path", "PRCC", "p-value"]
        if method == "prcc"
        else ["Question", "Rank", "Input", "Path", "S1", "ST"]
    )
    caption = (
        f"{'PRCC' if method == 'prcc' else 'Sobol'} over {members} members: the ten inputs with "
        "the largest effect on each answer. "
        + (
            "PRCC: the rank correlation of an input with the answer, other inputs held fixed "
            "(-1 to 1)."
            if method == "prcc"
            else "S1: the input's own share of the answer's variance; ST: with interactions."
        )
    )
    if missing:
        caption += " Not estimable: the answer does not vary across members" + (
            f", or there are too few members ({members}) for the inputs ({inputs}): PRCC "
            "needs more members than inputs."
            if method == "prcc"
            else "."
        )
    table = _table("sensitivity", "sensitivity", "Sensitivity ranking", columns, rows, caption)
    return [table, *figs]


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


def _provenance(*items: Any) -> tuple[str, str]:
    """The source quotes and judgments of a value and the record it belongs to."""
    sources: list[str] = []
    judgments: list[str] = []
    for it in items:
        src = getattr(it, "source", None)
        if src and src not in sources:
            sources.append(src)
        j = getattr(it, "judgment", False)
        if j is True and "judgment" not in judgments:
            judgments.append("judgment")
        elif isinstance(j, str) and j and j not in judgments:
            judgments.append(j)
    return " | ".join(sources), " ".join(judgments)


def _value_cells(q: float | Uncertain | None) -> tuple[Any, str]:
    """A number's value and its range, for the inputs table."""
    if q is None:
        return None, ""
    v = value_of(q)
    if isinstance(q, Uncertain) and q.low is not None and q.high is not None:
        dist = "" if q.dist == "uniform" else f" ({q.dist})"
        return v, f"{q.low:g} to {q.high:g}{dist}"
    return v, ""


def _inputs(c: _Ctx) -> list[Figure]:
    s = c.scenario
    rows: list[list[Any]] = []

    def add(item: str, field: str, q: float | Uncertain | None, *prov: Any) -> None:
        v, rng = _value_cells(q)
        src, judgment = _provenance(*reversed(prov))
        rows.append([item, field, v, rng, src, judgment])

    for a in s.actors:
        if a.capability is not None:
            add(a.name, "capability", a.capability, a, a.capability)
        else:
            src, j = _provenance(a)
            rows.append([a.name, f"actor ({a.kind})", None, "", src, j])
    for i in s.issues:
        src, j = _provenance(i)
        sc = i.scale
        rows.append(
            [
                i.name,
                "issue scale",
                None,
                f"{sc.low:g} ({sc.low_label or 'low'}) to {sc.high:g} ({sc.high_label or 'high'})",
                src,
                j,
            ]
        )
    for st in s.stances:
        add(f"{st.actor} on {st.issue}", "position", st.position, st, st.position)
        add(f"{st.actor} on {st.issue}", "salience", st.salience, st, st.salience)
    for r in s.resources:
        add(r.actor, r.kind, r.amount, r, r.amount)
    for t in s.ties:
        what = f"tie {t.a}–{t.b}" if t.kind == "relation" else f"patronage {t.a} → {t.b}"
        add(what, t.kind, t.strength, t, t.strength)
    for ev in s.events:
        src, j = _provenance(ev)
        rows.append([f"{ev.id} ({ev.date.isoformat()})", ev.name, None, "", src, j])
        for ch in ev.changes:
            target = {
                "resource": f"{ch.actor} {ch.resource}",
                "tie": f"tie {ch.actor}–{ch.other}",
                "salience": f"{ch.actor} salience of {ch.issue}",
                "position": f"{ch.actor} position on {ch.issue}",
            }[ch.target]
            add(f"{ev.id}: {ch.op}", target, ch.value, ch, ch.value)
        if ev.election is not None:
            for d in ev.election.districts:
                src, j = _provenance(d)
                strengths = ", ".join(f"{a} {_fmt(value_of(v))}" for a, v in d.strength.items())
                rows.append(
                    [
                        f"{ev.id}: district {d.name}",
                        "seats; local strength",
                        d.seats,
                        strengths,
                        src,
                        j,
                    ]
                )
    caption = (
        "Every number the run starts from, with its range (sampled by ensembles) and where it "
        "comes from: a quoted source, or the analyst's judgment."
    )
    out = [
        _table(
            "inputs",
            "inputs",
            "The scenario's inputs",
            ["Item", "Field", "Value", "Range", "Source", "Judgment"],
            rows,
            caption,
        )
    ]
    refs = [[r.key, r.citation, r.url or "", r.note or ""] for r in s.metadata.sources]
    if refs:
        out.append(
            _table(
                "sources",
                "inputs",
                "Works drawn on",
                ["Key", "Citation", "Address", "Note"],
                refs,
                s.metadata.license or "",
            )
        )
    return out


# --------------------------------------------------------------------------------------
# Everything
# --------------------------------------------------------------------------------------


def _unique(figures: list[Figure]) -> list[Figure]:
    """Make ids unique (a suffix on repeats); ids are built from url-safe scenario ids."""
    seen: set[str] = set()
    for f in figures:
        base = fid = f["id"]
        k = 2
        while fid in seen:
            fid = f"{base}-{k}"
            k += 1
        f["id"] = fid
        seen.add(fid)
    return figures


def run_figures(view: RunView) -> list[Figure]:
    """Every figure of the report of ``view``, in report order (answers first)."""
    c = _Ctx(view)
    if c.ensemble:
        parts = [
            _answers_ensemble(c),
            _issues_ensemble(c),
            _alliances(c),
            _security_ensemble(c),
            _elections_ensemble(c),
            _sensitivity(c),
            _inputs(c),
        ]
    else:
        parts = [
            _answers_single(c),
            _issues_single(c),
            _alliances(c),
            _security_single(c),
            _elections_single(c),
            [],
            _inputs(c),
        ]
    return _unique([f for part in parts for f in part])
