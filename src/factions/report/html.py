"""The report as one self-contained HTML page: inline CSS, the figures' JSON, Plotly.js.

The page needs nothing from the network: the vendored Plotly.js is inlined in a
``<script>``, the figure specs are embedded as JSON (``<script type="application/json">``)
and drawn by a small inline script, and a Content-Security-Policy forbids every fetch.
Tables are rendered here, as HTML, so the answers read even without JavaScript. Every string
that comes from the scenario or the run is escaped (:func:`html.escape`); the embedded JSON
has ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026`` so that it can
never close its ``<script>`` element.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from html import escape
from importlib import resources
from typing import Any

from factions import __version__
from factions.errors import FactionsError
from factions.report.figures import SECTION_TITLES, SECTIONS, RunView

__all__ = ["PLOTLY_PATH", "embed_json", "plotly_js", "plotly_version", "render_html"]

#: Where the vendored Plotly.js lives in the package.
PLOTLY_PATH = ("web", "static", "vendor", "plotly.min.js")

_INTROS: dict[str, str] = {
    "answers": "What the run says about each of the scenario's questions.",
    "issues": (
        "Where each actor stands on each issue over time, and the model's forecast of the "
        "outcome, on the issue's own scale."
    ),
    "alliances": (
        "Who is allied with whom: the network at the start, at each election and at the end, "
        "and the strength of each tie over time (-1: deadly rivals, +1: firm allies)."
    ),
    "security": (
        "The security dilemma: each actor's armed capability and, for each rival pair, how "
        "strongly each believes the other aggressive."
    ),
    "elections": "Votes, seats and power in the elected bodies.",
    "sensitivity": (
        "Which uncertain inputs drive each answer, strongest first (a partial rank "
        "correlation or Sobol index across the ensemble)."
    ),
    "inputs": (
        "Every input the run starts from, with its range and where it comes from: a quoted "
        "source, or the analyst's judgment."
    ),
}

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:"
)

_CSS = """
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
sans-serif;font-size:15px;line-height:1.5;color:#1f2328;background:#f6f7f9}
a{color:#0b5cad}
.layout{display:grid;grid-template-columns:230px minmax(0,1fr);max-width:1480px;margin:0 auto}
.layout.single{display:block}
nav.toc{position:sticky;top:0;align-self:start;height:100vh;overflow:auto;padding:20px 14px;
border-right:1px solid #e3e5e8;background:#fff;font-size:13px}
nav.toc h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#6a737d;
margin:0 0 8px}
nav.toc ol{list-style:none;margin:0;padding:0}
nav.toc li{margin:2px 0}
nav.toc > ol > li{margin-top:8px}
nav.toc > ol > li > a{font-weight:600;color:#1f2328;text-decoration:none}
nav.toc ol ol{padding-left:10px;border-left:2px solid #eef0f2;margin-top:2px}
nav.toc ol ol a{color:#57606a;text-decoration:none}
nav.toc a:hover{text-decoration:underline}
nav.toc .absent{color:#9aa1a9;font-weight:400}
main{padding:20px 28px 48px;min-width:0}
header.top{background:#fff;border:1px solid #e3e5e8;border-radius:8px;padding:12px 18px;
margin-bottom:6px}
header.top h1{font-size:22px;line-height:1.25;margin:0 0 6px}
dl.meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:0;font-size:13px}
dl.meta div{display:flex;gap:6px}
dl.meta dt{color:#6a737d}
dl.meta dd{margin:0;font-weight:600}
details.about{margin-top:8px;font-size:13px;color:#444c56}
details.about summary{cursor:pointer;color:#0b5cad}
section.part{margin-top:18px}
section.part > h2{font-size:19px;margin:0 0 8px;padding-bottom:4px;border-bottom:2px solid #d8dde3}
section.part > p.intro{color:#57606a;margin:-4px 0 10px;font-size:14px}
p.absent{color:#6a737d;font-style:italic;margin:6px 0}
figure.fig{margin:0 0 14px;background:#fff;border:1px solid #e3e5e8;border-radius:8px;
padding:10px 14px 8px}
figure.fig h3{font-size:15px;margin:2px 0 6px}
figure.fig .plot{width:100%;min-height:120px}
figure.fig .caption{font-size:12.5px;color:#57606a;margin:6px 0 2px}
figure.fig .png{font-size:12px;margin:2px 0 0}
.net{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:6px}
.net-panel{min-height:360px}
.table-wrap{overflow:auto}
.table-wrap.long{max-height:620px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #eceff2}
th{background:#f3f5f7;font-weight:600;position:sticky;top:0;z-index:1}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:hover{background:#fafbfc}
table.answers td:first-child{font-weight:600;min-width:16em}
table.answers td:nth-child(2){font-weight:700;color:#0b5cad;min-width:8em}
table.answers td:nth-child(n+3){font-size:12.5px;color:#444c56}
table.inputs td:first-child{min-width:11em}
table.inputs td:nth-child(2){min-width:8em}
table.inputs td:nth-child(5),table.inputs td:nth-child(6){min-width:18em;color:#444c56}
footer{margin-top:28px;font-size:12px;color:#6a737d}
@media (max-width:900px){.layout{display:block}nav.toc{position:static;height:auto;
border-right:0;border-bottom:1px solid #e3e5e8}}
@media print{nav.toc{display:none}.layout{display:block}body{background:#fff}}
"""

_JS = """
(function () {
  "use strict";
  var ALLY = "#2a9d48", RIVAL = "#c0392b";
  var figs = JSON.parse(document.getElementById("report-figures").textContent);
  var config = {responsive: true, displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d"],
    toImageButtonOptions: {format: "png", scale: 2}};
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function network(el, fig) {
    fig.snapshots.forEach(function (snap) {
      var panel = document.createElement("div");
      panel.className = "net-panel";
      el.appendChild(panel);
      var nodes = snap.elements.filter(function (e) { return !e.data.source; });
      var edges = snap.elements.filter(function (e) { return e.data.source; });
      var pos = {}, n = nodes.length;
      nodes.forEach(function (nd, i) {
        var a = Math.PI / 2 - 2 * Math.PI * i / n;
        pos[nd.data.id] = [Math.cos(a), Math.sin(a)];
      });
      var names = {};
      nodes.forEach(function (nd) { names[nd.data.id] = nd.data.label; });
      var traces = [], mx = [], my = [], mt = [];
      edges.forEach(function (e) {
        var s = pos[e.data.source], t = pos[e.data.target];
        if (!s || !t) { return; }
        traces.push({type: "scatter", mode: "lines", x: [s[0], t[0]], y: [s[1], t[1]],
          line: {color: e.data.sign === "ally" ? ALLY : RIVAL, width: 1 + 8 * e.data.weight},
          opacity: 0.35 + 0.6 * e.data.weight, hoverinfo: "skip", showlegend: false});
        mx.push((s[0] + t[0]) / 2); my.push((s[1] + t[1]) / 2);
        mt.push(esc(names[e.data.source] + " \\u2013 " + names[e.data.target]) + ": " +
          (e.data.sign === "ally" ? "allies " : "rivals ") + e.data.weight.toFixed(2));
      });
      traces.push({type: "scatter", mode: "markers", x: mx, y: my, text: mt,
        hoverinfo: "text", marker: {size: 14, opacity: 0}, showlegend: false});
      traces.push({type: "scatter", mode: "markers+text",
        x: nodes.map(function (nd) { return pos[nd.data.id][0]; }),
        y: nodes.map(function (nd) { return pos[nd.data.id][1]; }),
        text: nodes.map(function (nd) { return esc(nd.data.label); }),
        hovertext: nodes.map(function (nd) { return esc(nd.data.name || nd.data.label); }),
        hoverinfo: "text",
        textposition: nodes.map(function (nd) {
          return pos[nd.data.id][1] >= -0.01 ? "top center" : "bottom center"; }),
        textfont: {size: 11},
        marker: {size: nodes.map(function (nd) { return nd.data.size; }),
          color: nodes.map(function (nd) { return nd.data.color || "#7f7f7f"; }),
          opacity: 1, line: {color: "#ffffff", width: 1.5}},
        showlegend: false});
      Plotly.newPlot(panel, traces, {
        title: {text: esc(snap.date), x: 0.5, font: {size: 13},
          subtitle: {text: esc(snap.label || ""), font: {size: 11, color: "#666666"}}},
        height: 360, margin: {l: 8, r: 8, t: 48, b: 8}, showlegend: false,
        hovermode: "closest", paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
        xaxis: {visible: false, range: [-1.55, 1.55], fixedrange: true},
        yaxis: {visible: false, range: [-1.42, 1.5], fixedrange: true}
      }, config);
    });
  }
  var done = 0;
  figs.forEach(function (fig) {
    var el = document.getElementById("plot-" + fig.id);
    if (!el) { return; }
    try {
      if (fig.kind === "plotly") { Plotly.newPlot(el, fig.data, fig.layout, config); }
      else if (fig.kind === "network") { network(el, fig); }
      done += 1;
    } catch (err) {
      el.textContent = "This chart could not be drawn: " + err;
    }
  });
  document.body.setAttribute("data-rendered", String(done));
})();
"""


@functools.cache
def plotly_js() -> str:
    """The vendored Plotly.js, safe to inline in a ``<script>`` element.

    Raises
    ------
    FactionsError
        If the vendored file is missing from the installation.
    """
    path = resources.files("factions").joinpath(*PLOTLY_PATH)
    try:
        text = path.read_text("utf-8")
    except OSError as e:
        raise FactionsError(f"the vendored Plotly.js is missing ({path}): {e}") from None
    # "</script" would end the element early; "<\\/script" means the same in JS strings
    # and regular expressions.
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def plotly_version() -> str:
    """The version of the vendored Plotly.js (from its header), or 'unknown'."""
    m = re.search(r"plotly\.js v([0-9][0-9A-Za-z.\-]*)", plotly_js()[:400])
    return m.group(1) if m else "unknown"


def embed_json(data: Any) -> str:
    """JSON that can sit inside a ``<script>`` element (no NaN; no ``<``, ``>``, ``&``)."""
    text = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _cell(v: Any) -> tuple[str, bool]:
    """A table cell's escaped text, and whether it is a number."""
    if v is None:
        return "–", False
    if isinstance(v, bool):
        return ("yes" if v else "no"), False
    if isinstance(v, int):
        return str(v), True
    if isinstance(v, float):
        return f"{v:.4g}", True
    return escape(str(v)), False


def _table(fig: Mapping[str, Any]) -> str:
    cols = "".join(f"<th>{escape(str(c))}</th>" for c in fig["columns"])
    body = []
    for row in fig["rows"]:
        cells = []
        for v in row:
            text, num = _cell(v)
            cells.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    long = " long" if len(fig["rows"]) > 25 else ""
    kind = escape(str(fig["id"]))
    return (
        f'<div class="table-wrap{long}"><table class="{kind}"><thead><tr>{cols}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _figure(fig: Mapping[str, Any], png: str | None) -> str:
    fid = escape(str(fig["id"]))
    title = escape(str(fig["title"]))
    parts = [f'<figure class="fig" id="fig-{fid}" aria-label="{title}">']
    if fig["kind"] != "plotly":  # a Plotly chart draws its own title
        parts.append(f"<h3>{title}</h3>")
    if fig["kind"] == "table":
        parts.append(_table(fig))
    elif fig["kind"] == "network":
        parts.append(f'<div class="net" id="plot-{fid}"></div>')
    else:
        parts.append(f'<div class="plot" id="plot-{fid}"></div>')
    if fig.get("caption"):
        parts.append(f'<p class="caption">{escape(str(fig["caption"]))}</p>')
    if png:
        parts.append(f'<p class="png"><a href="{escape(png)}">PNG</a></p>')
    parts.append("</figure>")
    return "\n".join(parts)


def _absent_note(view: RunView, section: str) -> str:
    sid = escape(view.scenario.id)
    political = view.scenario.metadata.horizon is not None
    if section == "sensitivity":
        if view.kind == "single":
            return (
                "A single run has no sensitivity ranking: <code>factions sensitivity "
                f"{sid}</code> ranks the inputs that drive each answer, and "
                "<code>factions report RUN_DIR</code> shows it."
            )
        return (
            "This ensemble has no sensitivity ranking: <code>factions sensitivity "
            f"{sid}</code> computes one."
        )
    if section in ("alliances", "security", "elections"):
        dated = "dates" in view.data if view.kind == "single" else political
        if not dated:
            return (
                "This is a bargaining-only run: alliances, the security dilemma and elections "
                "are simulated month by month only for a scenario with a horizon."
            )
        if section == "elections":
            return "No election falls due within this run."
        if section == "security":
            return "No pair of armed actors became rivals in this run."
    return "Nothing to show for this run."


def _meta(view: RunView) -> list[tuple[str, str]]:
    s = view.scenario
    meta = s.metadata
    if view.kind == "single":
        d = view.data
        items = [("Scenario", s.id), ("Model", str(d.get("model", "")))]
        if "dates" in d:
            items.append(("Period", f"{d['dates'][0]} to {d['dates'][-1]} ({d['steps']} months)"))
        else:
            items.append(("Rounds", str(d.get("steps", ""))))
        items.append(("Seed", "none" if d.get("seed") is None else str(d["seed"])))
        return items
    m = view.data["manifest"]
    agg = view.data["aggregates"]
    items = [("Run", view.label), ("Scenario", s.id), ("Model", str(m.get("model", "")))]
    political = any(k.startswith("issue:") for k in agg.get("series", {}))
    if political:
        end = meta.horizon.isoformat() if meta.horizon else "one year on"
        items.append(("Period", f"{meta.date.isoformat()} to {end}"))
    else:
        items.append(("Rounds", str(max(len(agg.get("steps", [0])) - 1, 0))))
    items += [
        ("Members", str(agg.get("members", m.get("runs", "")))),
        ("Sampling", str(m.get("method", ""))),
        ("Seed", str(m.get("seed", ""))),
        ("Uncertain inputs", str(len(m.get("inputs", [])))),
    ]
    if view.data.get("sensitivity"):
        items.append(("Sensitivity", str(view.data["sensitivity"].get("method", ""))))
    return items


def render_html(
    view: RunView, figures: Sequence[Mapping[str, Any]], pngs: Mapping[str, str] | None = None
) -> str:
    """The report page of ``view`` with ``figures`` (from :func:`run_figures`).

    ``pngs`` maps figure ids to the relative paths of their PNGs (linked under each figure).
    """
    pngs = pngs or {}
    s = view.scenario
    by_section: dict[str, list[Mapping[str, Any]]] = {k: [] for k in SECTIONS}
    for f in figures:
        by_section[str(f["section"])].append(f)

    toc = []
    body = []
    for sec in SECTIONS:
        title = escape(SECTION_TITLES[sec])
        figs = by_section[sec]
        if figs:
            subs = "".join(
                f'<li><a href="#fig-{escape(str(f["id"]))}">{escape(str(f["title"]))}</a></li>'
                for f in figs
            )
            toc.append(f'<li><a href="#{sec}">{title}</a><ol>{subs}</ol></li>')
            inner = "\n".join(_figure(f, pngs.get(str(f["id"]))) for f in figs)
        else:
            toc.append(f'<li><a class="absent" href="#{sec}">{title}</a></li>')
            inner = f'<p class="absent">{_absent_note(view, sec)}</p>'
        body.append(
            f'<section class="part" id="{sec}"><h2>{title}</h2>'
            + (f'<p class="intro">{escape(_INTROS[sec])}</p>' if sec != "answers" else "")
            + f"\n{inner}\n</section>"
        )

    meta = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in _meta(view))
    about = ""
    if s.metadata.description:
        about = (
            '<details class="about"><summary>About the scenario</summary>'
            f"<p>{escape(s.metadata.description)}</p></details>"
        )
    kind = "an ensemble" if view.kind == "ensemble" else "a single run"
    title = escape(s.metadata.title)
    return page_html(
        title=f"{title}: {escape(view.label)}",
        header=(
            f"<h1>{title}</h1>\n"
            f'<dl class="meta"><div><dt>Report of</dt><dd>{kind}</dd></div>{meta}</dl>\n{about}'
        ),
        body="".join(body),
        figures=list(figures),
        toc=(
            f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{"".join(toc)}</ol></nav>'
        ),
    )


def page_html(
    *,
    title: str,
    header: str,
    body: str,
    figures: Sequence[Any],
    toc: str | None = None,
    note: str = "",
    what: str = "report",
) -> str:
    """One self-contained, offline page (the run report, the backtest and calibration
    pages): ``title``, ``header`` and ``body`` are HTML already escaped by the caller;
    ``figures`` go in as JSON for the page's script to draw; without a ``toc`` the content
    spans the page."""
    layout = '<div class="layout">' + toc if toc is not None else '<div class="layout single">'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="generator" content="factions {escape(__version__)}">
<title>{title}</title>
<style>{_CSS}</style>
</head>
<body>
{layout}
<main>
<header class="top">
{header}
</header>
{body}
<footer>Written by factions {escape(__version__)}{note}. Charts drawn by Plotly.js
v{escape(plotly_version())} (MIT licence), inlined in this file: the {what} works offline.
</footer>
</main>
</div>
<script type="application/json" id="report-figures">{embed_json(list(figures))}</script>
<script>{plotly_js()}</script>
<script>{_JS}</script>
</body>
</html>
"""
