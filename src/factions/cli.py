"""The ``factions`` command line: thin wrappers over the public API.

Bad input (an invalid scenario, an unknown model, an unwritable output folder) exits with
status 2 and one line per problem, ``path: message``; never a traceback.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from factions import __version__
from factions._cli_lean import LeanGroup
from factions.catalog import ENGINE_TITLES
from factions.errors import BackendUnavailable, FactionsError, Problem, ScenarioError
from factions.terminal import SafeConsole

if TYPE_CHECKING:  # imported where used: start-up stays light (``factions --version``)
    from factions.scenario.schema import Scenario, Uncertain
    from factions.simulate import RunResult

__all__ = ["app", "main"]

app = typer.Typer(
    name="factions",
    help="Simulate and forecast power struggles between political factions.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    cls=LeanGroup,  # typer would import pydantic for every command's --help flag
)


class _Console(SafeConsole):
    """The CLI's console: no markup read in user text, control characters shown as escapes
    (SafeConsole); a closed pipe (``factions run | head -1``) ends the command with status
    0, as ``cat`` and ``grep`` do, not 1 (rich's default)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        _quiet_stdout()
        raise SystemExit(0)


def _console(**kw: Any) -> Console:
    """A console that honours NO_COLOR (https://no-color.org) fully: no colour, and no bold
    or italic either (rich alone drops only the colours)."""
    if os.environ.get("NO_COLOR"):
        kw["color_system"] = None
    return _Console(soft_wrap=True, **kw)


out = _console()
err = _console(stderr=True)

EXIT_BAD_INPUT = 2

# Every option is checked here, at the boundary, by typer: a bad value exits 2 with
# "Invalid value for '--name'", never a traceback from deep inside a model. An option name
# has one meaning in every command: --runs is a count of members, --runs-dir the directory
# of stored runs, --out a folder of output files, --report an HTML report file.
if TYPE_CHECKING:
    ModelName = str
    KernelName = str
    SampleMethod = str
    BackendName = str
else:
    ModelName = Literal[tuple(sorted(ENGINE_TITLES))]
    KernelName = Literal["numpy", "jax", "numba"]
    SampleMethod = Literal["lhs", "sobol", "random"]
    BackendName = Literal["local", "processes", "dask"]

KernelsOption = Annotated[
    KernelName,
    typer.Option(
        "--kernels", help="Kernels: numpy, jax (eum only) or numba (smp only, bit-identical)."
    ),
]
ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        metavar="FILE.html",
        help="Also write a self-contained HTML report to this file (its folder must exist).",
    ),
]
ModelOption = Annotated[
    ModelName,
    typer.Option(
        "--model",
        "-m",
        help="The bargaining model: "
        + "; ".join(f"{k} ({title})" for k, title in sorted(ENGINE_TITLES.items()))
        + ".",
    ),
]
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed",
        min=0,
        metavar="SEED",
        help="Random seed, a non-negative integer (0 is a seed like any other).",
    ),
]
RunsDirOption = Annotated[
    Path | None,
    typer.Option(
        "--runs-dir",
        metavar="DIR",
        help="Directory of stored ensemble runs (default $FACTIONS_RUNS or ./runs).",
    ),
]
BackendOption = Annotated[
    BackendName,
    typer.Option("--backend", help="Where members run: local, processes or dask."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler", metavar="tcp://HOST:PORT", help="A Dask scheduler (with --backend dask)."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, metavar="N", help="Worker processes (processes, dask)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


#: Columns holding what a user types back (ids, paths, dates): never cut, never wrapped.
ID_COLUMNS = frozenset(
    {"id", "actor", "issue", "a", "b", "kind", "run", "scenario", "model", "status", "date",
     "contestant", "list", "pair", "path (in the scenario)"}
)  # fmt: skip


def _fit(table: Table) -> Table:
    """Fit a table to the terminal without cutting an id: id columns keep their full width
    (``support-councils``, never ``support-coun...``); descriptions fold onto more lines."""
    for col in table.columns:
        if str(col.header) in ID_COLUMNS:
            cells = [len(str(c)) for c in col._cells] or [0]
            col.no_wrap = True
            col.min_width = max(max(cells), len(str(col.header)))
        else:
            col.overflow = "fold"
            col.min_width = min(len(str(col.header)), 10)
    return table


def _fail(problems: list[Problem], source: str | None = None) -> NoReturn:
    head = f"{source}: " if source else ""
    for p in problems:
        err.print(f"{head}{p}", markup=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def _load(name: str) -> Scenario:
    from factions.scenario.io import load_scenario

    try:
        return load_scenario(name)
    except ScenarioError as e:
        _fail(e.problems, e.source or name)


def _version(value: bool) -> None:
    if value:
        out.print(f"factions {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Simulate and forecast power struggles between political factions."""
    # Non-finite results are errors with a path (simulate checks them); numpy's own
    # RuntimeWarnings would only be mixed into the `path: message` lines.
    warnings.filterwarnings("ignore", category=RuntimeWarning)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    from factions.scenario.catalog import builtin_summaries

    table = Table(title="Built-in scenarios")
    table.add_column("name")
    table.add_column("title")
    table.add_column("date")
    for name, title, date in builtin_summaries():
        table.add_row(name, title, date)
    out.print(table)


def _num(x: float | Uncertain | None) -> str:
    from factions.scenario.schema import Uncertain, value_of

    if x is None:
        return ""
    if isinstance(x, Uncertain) and x.low is not None:
        return f"{x.value:g} [{x.low:g}-{x.high:g}]"
    return f"{value_of(x):g}"


def _mark(rec: Any) -> str:
    if getattr(rec, "source", None):
        return "quoted"
    judgment = getattr(rec, "judgment", False)
    return "judgment" if judgment else ""


@app.command()
def show(
    scenario: Annotated[
        str, typer.Argument(metavar="SCENARIO", help="A built-in name or a scenario file.")
    ],
) -> None:
    """Show a scenario's actors, issues, stances, resources, ties and events as tables."""
    s = _load(scenario)
    m = s.metadata
    out.print(f"{m.id}: {m.title} (as of {m.date.isoformat()})", style="bold")
    if m.description:
        out.print(m.description, markup=False)
    from factions.scenario.arrays import to_arrays

    arr = to_arrays(s)
    t = Table(
        title="Actors",
        caption="capability: the actor's bargaining weight, as stated, or derived: the sum of "
        "its resources (see Resources)",
    )
    for c in ("id", "name", "kind", "capability"):
        t.add_column(c)
    for k, a in enumerate(s.actors):
        cap = (
            f"{arr.capability[k]:g} (derived)" if arr.capability_derived[k] else _num(a.capability)
        )
        t.add_row(a.id, a.name, a.kind, cap)
    out.print(_fit(t))
    t = Table(title="Issues")
    for c in ("id", "name", "scale", "low end", "high end"):
        t.add_column(c)
    for i in s.issues:
        sc = i.scale
        t.add_row(
            i.id, i.name, f"{sc.low:g}-{sc.high:g} {sc.unit}".strip(), sc.low_label, sc.high_label
        )
    out.print(_fit(t))
    t = Table(title="Stances")
    for c in ("actor", "issue", "position", "salience", "basis"):
        t.add_column(c)
    for st in s.stances:
        t.add_row(st.actor, st.issue, _num(st.position), _num(st.salience), _mark(st))
    out.print(_fit(t))
    if s.resources:
        t = Table(
            title="Resources",
            caption="amounts of each resource as given; a run weighs them into capability per "
            "arena (bargaining, electoral, armed), which is what `factions run` reports",
        )
        for c in ("actor", "kind", "amount", "basis"):
            t.add_column(c)
        for r in s.resources:
            t.add_row(r.actor, r.kind, _num(r.amount), _mark(r) or _mark(r.amount))
        out.print(_fit(t))
    if s.ties:
        t = Table(title="Ties")
        for c in ("a", "b", "kind", "strength", "basis"):
            t.add_column(c)
        for tie in s.ties:
            t.add_row(tie.a, tie.b, tie.kind, _num(tie.strength), _mark(tie) or _mark(tie.strength))
        out.print(_fit(t))
    if s.events:
        t = Table(title="Events")
        for c in ("date", "id", "name", "kind", "changes"):
            t.add_column(c)
        for e in s.events:
            changes = "; ".join(
                f"{ch.op} {ch.target} {ch.actor}"
                + (
                    f"/{ch.other or ch.issue or ch.resource}"
                    if (ch.other or ch.issue or ch.resource)
                    else ""
                )
                + f" {_num(ch.value)}"
                for ch in e.changes
            )
            if e.election:
                changes = f"{e.election.body} ({e.election.rule})"
            t.add_row(e.date.isoformat(), e.id, e.name, e.kind, changes)
        out.print(_fit(t))
    if s.questions:
        t = Table(title="Questions")
        t.add_column("id")
        t.add_column("question")
        for q in s.questions:
            t.add_row(q.id, q.text)
        out.print(_fit(t))


@app.command()
def new(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The new scenario's id.")],
    folder: Annotated[
        Path,
        typer.Option("--out", metavar="DIR", help="Write NAME.yaml into this folder."),
    ] = Path("."),
) -> None:
    """Write NAME.yaml: a commented scenario skeleton that validates and runs."""
    from factions.new import write_skeleton

    if not folder.is_dir():
        _fail([Problem("--out", f"no such folder '{folder}' (create it first)")])
    try:
        path = write_skeleton(name, folder)
    except ValueError as e:
        _fail([Problem("NAME", str(e))])
    except FileExistsError:
        _fail([Problem("NAME", f"'{folder / (name + '.yaml')}' exists already; not overwritten")])
    except OSError as e:
        _fail([Problem("--out", f"cannot write into '{folder}': {e.strerror or e}")])
    out.print(f"Wrote {path}: edit it, then `factions run {path}`", markup=False)


@app.command()
def validate(
    files: Annotated[
        list[str], typer.Argument(metavar="SCENARIO", help="Scenario files (or built-in names).")
    ],
) -> None:
    """Check scenario files: exit 0 when all are valid, else 2 with one line per problem."""
    from factions.scenario.io import load_scenario

    bad = False
    for f in files:
        from factions.backtest.cli import is_deu_path, validate_deu

        if is_deu_path(f):  # a DEU III file: one scenario per proposal
            bad |= not validate_deu(f)
            continue
        try:
            s = load_scenario(f)
            from factions.calibration.store import calibrated_dynamics

            calibrated_dynamics(s)  # a calibration it names must exist and be one
        except ScenarioError as e:
            bad = True
            for p in e.problems:
                err.print(f"{f}: {p}", markup=False)
            continue
        counts = ", ".join(
            _count(len(items), noun)
            for items, noun in (
                (s.actors, "actor"),
                (s.issues, "issue"),
                (s.stances, "stance"),
                (s.events, "event"),
                (s.questions, "question"),
            )
        )
        out.print(f"{f}: valid ({counts})", markup=False)
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


def _count(n: int, noun: str) -> str:
    """``1 issue``, ``2 issues``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@app.command()
def schema() -> None:
    """Print the scenario format's JSON Schema."""
    from factions.scenario.schema import Scenario

    out.print_json(json.dumps(Scenario.model_json_schema()))


def _reading(x: float, low: float, high: float, low_label: str, high_label: str) -> str:
    f = (x - low) / (high - low)
    lo = low_label or f"{low:g}"
    hi = high_label or f"{high:g}"
    if f <= 0.15:
        return f"at the low end: {lo}"
    if f <= 0.4:
        return f"leaning towards: {lo}"
    if f < 0.6:
        return f"in between ({lo} / {hi})"
    if f < 0.85:
        return f"leaning towards: {hi}"
    return f"at the high end: {hi}"


def render_run(result: RunResult, console: Console) -> None:
    """Print a run as a readable forecast: tables first, then plain-language answers."""
    from factions.engines import ENGINES
    from factions.forecast import answer_questions

    s = result.scenario
    spec = ENGINES[result.model]
    console.print(
        f"{s.metadata.title}  ({s.id}, as of {s.metadata.date.isoformat()})", style="bold"
    )
    console.print(f"Model: {spec.name}: {spec.title}. {spec.citation}.", markup=False)
    arr = result.arrays
    traj = result.trajectory
    if traj is not None:
        console.print(
            f"Simulated month by month: {traj.dates[0].isoformat()} to "
            f"{traj.dates[-1].isoformat()} ({result.steps} months).",
            markup=False,
        )
        cap = traj.capability[0, 0, :, 0]
    else:
        console.print(f"Steps: {result.steps}", markup=False)
        cap = arr.capability
    weight = cap[:, None] * arr.salience
    share = weight / weight.sum(axis=0, keepdims=True)
    for j, issue in enumerate(s.issues):
        t = Table(
            title=f"{issue.name} ({issue.scale.low:g} = {issue.scale.low_label or 'low'}; "
            f"{issue.scale.high:g} = {issue.scale.high_label or 'high'})"
        )
        t.add_column("actor")
        t.add_column("position", justify="right")
        t.add_column("salience", justify="right")
        t.add_column("weight share", justify="right")
        if result.steps:
            t.add_column("final position", justify="right")
        for i, a in enumerate(arr.actor_ids):
            if not arr.has_stance[i, j]:
                continue
            row = [
                a,
                f"{result.positions[0, i, j]:.1f}",
                f"{100 * arr.salience[i, j]:.0f}",
                f"{100 * share[i, j]:.0f}%",
            ]
            if result.steps:
                row.append(f"{result.positions[-1, i, j]:.1f}")
            t.add_row(*row)
        console.print(_fit(t))
    if result.series:
        for j, issue in enumerate(s.issues):
            t = Table(title=f"{issue.name}: per round")
            t.add_column("round", justify="right")
            for name in result.series:
                t.add_column(name, justify="right")
            for k in range(result.steps):
                t.add_row(str(k + 1), *(f"{v[k, j]:.2f}" for v in result.series.values()))
            console.print(_fit(t))
    if traj is not None:
        _render_dynamics(result, console)
    console.print("Forecast", style="bold")
    for j, issue in enumerate(s.issues):
        sc = issue.scale
        x = float(result.forecast[j])
        unit = f" {sc.unit}" if sc.unit else ""
        reading = _reading(x, sc.low, sc.high, sc.low_label, sc.high_label)
        console.print(
            f"- {issue.name}: {x:.1f} (on {sc.low:g}-{sc.high:g}{unit}), {reading}.", markup=False
        )
    answers = answer_questions(result)
    if answers:
        console.print("Questions", style="bold")
        for ans in answers:
            line = f"- {ans.text} {ans.summary}" + (f" ({ans.evidence})" if ans.evidence else "")
            console.print(line, markup=False)


#: The most pairs a table of the terminal output lists (every pair is in --json).
MAX_PAIRS = 40


def _largest(table: Mapping[str, Any], key: Any) -> list[tuple[str, Any]]:
    """The :data:`MAX_PAIRS` rows of ``table`` with the largest ``key``, in table order."""
    rows = list(table.items())
    if len(rows) <= MAX_PAIRS:
        return rows
    keep = set(sorted(range(len(rows)), key=lambda i: -key(rows[i][1]))[:MAX_PAIRS])
    return [r for i, r in enumerate(rows) if i in keep]


def _more(console: Console, shown: int, total: int, which: str) -> None:
    if shown < total:
        console.print(
            f"({shown} of {total} pairs shown, those {which}; all are in --json)", markup=False
        )


def _render_dynamics(result: RunResult, console: Console) -> None:
    """The story, then tables of alliances, security and elections (political runs)."""
    from factions.forecast import trajectory_json
    from factions.story import _signed, story

    console.print("The story, month by month", style="bold")
    for month in story(result):
        console.print(f"{month.date}:", markup=False)
        for line in month.lines:
            console.print(f"  - {line}", markup=False)
    data = trajectory_json(result)
    if data["alliances"]:
        t = Table(title="Alliances (tie strength, -1 rivals to 1 allies)")
        for col in ("pair", "start", "end"):
            t.add_column(col, justify="left" if col == "pair" else "right")
        pairs = _largest(data["alliances"], lambda v: abs(v[-1] - v[0]))
        for pair, series in pairs:
            t.add_row(pair.replace("|", " - "), _signed(series[0]), _signed(series[-1]))
        console.print(_fit(t))
        _more(console, len(pairs), len(data["alliances"]), "that changed most")
    bal = data["balance"]
    idx = [v for v in bal["index"] if v is not None]
    if idx:
        console.print(
            f"Structural balance: {100 * idx[0]:.0f}% of triads balanced at the start, "
            f"{100 * idx[-1]:.0f}% at the end; camps at the end: "
            + " | ".join(", ".join(c) for c in bal["camps_end"] if c),
            markup=False,
        )
    if data["security"]:
        t = Table(
            title="Security dilemma (armed capability and beliefs, start -> end)",
            caption="armed capability: each actor's resources weighted for the armed arena, "
            "with allies' help (not the armed_strength resource of `factions show`); "
            "beliefs: the probability each puts on the other being aggressive",
        )
        for col in ("pair", "armed capability", "beliefs (p aggressive)", "verdict, and why"):
            t.add_column(col)
        rows = _largest(data["security"], lambda sec: max(v[-1] for v in sec["armed"].values()))
        for pair, sec in rows:
            armed = ", ".join(f"{a} {v[0]:.0f}->{v[-1]:.0f}" for a, v in sec["armed"].items())
            beliefs = ", ".join(f"{k}: {v[0]:.2f}->{v[-1]:.2f}" for k, v in sec["belief"].items())
            t.add_row(pair.replace("|", " - "), armed, beliefs, sec["verdict"])
        console.print(_fit(t))
        _more(console, len(rows), len(data["security"]), "best armed")
    for el in data["elections"]:
        t = Table(title=f"Election {el['event']} ({el['date']})")
        for col in ("contestant", "list", "votes", "seats"):
            t.add_column(col, justify="left" if col in ("contestant", "list") else "right")
        total = sum(el["votes"].values()) or 1.0
        council = el.get("council") or {}
        if council:
            t.add_column("Shapley-Shubik", justify="right")
            t.add_column("Banzhaf", justify="right")
        for a, v in el["votes"].items():
            row = [a, el["lists"][a], f"{100 * v / total:.1f}%", str(el["seats"][a])]
            if council:
                row += [
                    f"{council['shapley_shubik'].get(a, 0.0):.3f}",
                    f"{council['banzhaf'].get(a, 0.0):.3f}",
                ]
            t.add_row(*row)
        console.print(_fit(t))
        if council:
            mwc = "; ".join(" + ".join(c) for c in council["minimal_winning_coalitions"])
            console.print(
                f"Majority {council['quota']} seats; minimal winning coalitions: {mwc}.",
                markup=False,
            )
        if el.get("governorates"):
            _render_governorates(console, el)


def _render_governorates(console: Console, el: Mapping[str, Any]) -> None:
    """One row per governorate council: seats, power within it, and its government."""
    parties = list(el["votes"])
    t = Table(
        title=f"Councils of {el['event']}, one per governorate",
        caption="seats per contestant; power: each list's Shapley-Shubik index in its own "
        "council (quota a majority of that council's seats); government: the coalition "
        "the council formed (dynamics.council_formation)",
    )
    for col in ("governorate", *parties, "power", "government"):
        t.add_column(col, justify="right" if col in parties else "left")
    for g in el["governorates"]:
        power = ", ".join(f"{a} {v:.2f}" for a, v in g["power"].items() if v > 0)
        t.add_row(
            g["id"], *(str(g["seats"].get(a, 0)) for a in parties), power,
            " + ".join(g["government"]),
        )  # fmt: skip
    console.print(_fit(t))


def _write_outputs(target: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` into ``target`` so that no reader ever sees a half-written file."""
    if target.exists() and not target.is_dir():
        _fail([Problem("--out", f"'{target}' exists and is not a directory")])
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        _fail([Problem("--out", f"no such folder '{parent}' (create it first)")])
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    except OSError as e:
        _fail([Problem("--out", f"cannot create '{target}': {e.strerror or e}")])
    try:
        for name, text in files.items():
            (staging / name).write_text(text, "utf-8")
        if not target.exists():
            os.replace(staging, target)
            return
        for name in files:
            os.replace(staging / name, target / name)
    except OSError as e:
        _fail([Problem("--out", f"cannot write into '{target}': {e.strerror or e}")])
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


@app.command()
def run(
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="SCENARIO",
            help="A built-in name or a scenario file (YAML, JSON, TOML, KTAB, BDM).",
        ),
    ] = "iraq-2008",
    model: ModelOption = "mean",
    seed: SeedOption = 0,
    as_json: JsonOption = False,
    fmt: Annotated[
        Literal["text", "json", "csv", "parquet"],
        typer.Option(
            "--format",
            help="What to print on stdout: text (the forecast), json (as --json), or every "
            "series as a tidy table (member, step, date, series, value) in csv or parquet.",
        ),
    ] = "text",
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Also write result.json, forecast.txt, scenario.yaml into this folder.",
        ),
    ] = None,
    kernels: KernelsOption = "numpy",
    report: ReportOption = None,
) -> None:
    """Run a model on a scenario and print the forecast."""
    from factions._threads import single_blas_thread
    from factions.scenario.io import dumps_scenario
    from factions.simulate import simulate

    _check_report_target(report)
    if fmt == "parquet" and sys.stdout.isatty():
        _fail([Problem("--format", "parquet is binary: redirect it (> run.parquet)")])
    # --model is checked by typer against factions.catalog (tested equal to the registry).
    from factions.backtest.cli import is_deu_path, run_deu

    if is_deu_path(scenario):  # a DEU III file: one scenario per proposal
        run_deu(scenario, model, seed, as_json)
        return
    s = _load(scenario)
    try:
        with single_blas_thread():
            result = simulate(s, model, seed=seed, options=_kernel_options(model, kernels))
    except ScenarioError as e:
        _fail(e.problems, e.source or scenario)
    except BackendUnavailable as e:
        _fail([Problem("--kernels", str(e))])
    data = result.to_json()
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if out_dir is not None:
        buf = SafeConsole(record=True, width=100, file=io.StringIO())
        render_run(result, buf)
        _write_outputs(
            out_dir,
            {
                "result.json": text + "\n",
                "forecast.txt": buf.export_text(),
                "scenario.yaml": dumps_scenario(s),
            },
        )
    if report is not None:
        _write_report(result, report)
    if fmt in ("csv", "parquet"):
        _write_table(result.to_arrow(), fmt)
    elif as_json or fmt == "json":
        sys.stdout.write(text + "\n")
    else:
        render_run(result, out)
        if out_dir is not None:
            out.print(f"Wrote {out_dir}/result.json, forecast.txt, scenario.yaml", markup=False)
        if report is not None:
            out.print(f"Wrote the report {report}", markup=False)


def _write_table(table: Any, fmt: str) -> None:
    """A tidy table on stdout as CSV (text) or Parquet (binary)."""
    sys.stdout.flush()
    if fmt == "csv":
        import pyarrow.csv as pacsv

        buf = io.BytesIO()
        pacsv.write_csv(table, buf)
        sys.stdout.buffer.write(buf.getvalue())
    else:
        import pyarrow.parquet as pq

        buf = io.BytesIO()
        pq.write_table(table, buf)
        sys.stdout.buffer.write(buf.getvalue())
    sys.stdout.buffer.flush()


def _kernel_options(model: str, kernels: str) -> dict[str, Any]:
    """Engine options selecting the kernels (JAX for ``eum``, Numba for ``smp``)."""
    only = {"jax": "eum", "numba": "smp"}
    if kernels not in ("numpy", *only):
        _fail([Problem("--kernels", f"must be numpy, jax or numba, got {kernels!r}")])
    if kernels == "numpy":
        return {}
    if model != only[kernels]:
        _fail(
            [
                Problem(
                    "--kernels",
                    f"{kernels} kernels exist for the {only[kernels]} model only, not {model}",
                )
            ]
        )
    return {"kernels": kernels}


def _check_members(runs: int) -> None:
    """Ensembles are bounded too (docs/scenario-format.md, "Limits")."""
    from factions.scenario.schema import MAX_MEMBERS

    if runs > MAX_MEMBERS:
        _fail([Problem("--runs", f"must be at most {MAX_MEMBERS}, got {runs}")])


def _backend(backend: str, workers: int | None, scheduler: str | None) -> Any:
    from factions.ensemble.backends import make_backend

    try:
        return make_backend(backend, workers=workers, scheduler=scheduler)
    except ValueError as e:
        _fail([Problem("", str(e))])


def _pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def _band(q: Mapping[str, Any], fmt: str = "{:.1f}") -> str:
    if q.get("q50") is None:
        return "-"
    return (
        f"{fmt.format(q['q50'])} (50%: {fmt.format(q['q25'])}-{fmt.format(q['q75'])}; "
        f"90%: {fmt.format(q['q05'])}-{fmt.format(q['q95'])})"
    )


def render_ensemble(
    agg: Mapping[str, Any],
    manifest: Mapping[str, Any],
    console: Console,
    dates: list[str] | None = None,
) -> None:
    """Print an ensemble's answers with probabilities and its forecast bands.

    ``dates``: the date of each step of a political run, so that a date question's answer
    reads as dates, not step numbers.
    """
    from factions.labels import step_label

    console.print(
        f"Ensemble of {agg['members']} members: {manifest['scenario']}, "
        f"model {manifest['model']}, seed {manifest['seed']}, {manifest['method']} sampling of "
        f"{len(manifest['inputs'])} uncertain inputs; run {manifest['run_id']}",
        style="bold",
    )
    t = Table(title="Answers (probability across the ensemble)")
    t.add_column("question")
    t.add_column("answer")
    for q in agg["questions"].values():
        close = f"; undecided {_pct(q['undecided_share'])}" if "undecided_share" in q else ""
        if q.get("answered", 0) == 0:
            t.add_row(q["text"], q.get("note", "not answered"))
        elif q["kind"] == "yes_no":
            p = q["probability_yes"]
            t.add_row(q["text"], f"yes {_pct(p)}, no {_pct(1 - p)}{close}")
        elif q["kind"] == "choice":
            ranked = sorted(q["probabilities"].items(), key=lambda kv: -kv[1])
            t.add_row(
                q["text"], ", ".join(f"{q['labels'][k]} {_pct(v)}" for k, v in ranked) + close
            )
        elif q["kind"] == "value":
            t.add_row(q["text"], _band(q, "{:.3g}"))
        else:
            ranked = sorted(q["by_step"].items(), key=lambda kv: -kv[1])
            t.add_row(q["text"], ", ".join(f"{step_label(k, dates)} {_pct(v)}" for k, v in ranked))
    console.print(_fit(t))
    t = Table(title="Forecasts (median and bands)")
    t.add_column("issue")
    t.add_column("forecast")
    for issue, q in agg["forecasts"].items():
        t.add_row(issue, _band(q))
    console.print(_fit(t))
    for event, table in agg.get("elections", {}).items():
        t = Table(
            title=f"Seats at {event} (median and bands)",
            caption="P(most seats): ties split, a tie of k contestants for most seats counts "
            "1/k for each",
        )
        for col in ("contestant", "seats", "P(most seats)"):
            t.add_column(col)
        for actor, q in table.items():
            t.add_row(actor, _band(q, "{:.0f}"), _pct(q["probability_most_seats"]))
        console.print(_fit(t))


@app.command()
def ensemble(
    scenario: Annotated[
        str, typer.Argument(metavar="SCENARIO", help="A built-in name or a scenario file.")
    ] = "iraq-2008",
    runs: Annotated[
        int, typer.Option("--runs", "-n", min=1, metavar="N", help="Ensemble members.")
    ] = 1000,
    seed: SeedOption = 0,
    model: ModelOption = "mean",
    method: Annotated[
        SampleMethod, typer.Option("--method", help="Sampling: lhs, sobol or random.")
    ] = "lhs",
    backend: BackendOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", min=1, metavar="N", help="Members per chunk (default 500)."),
    ] = None,
    runs_dir: RunsDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the aggregates as JSON.")] = False,
    kernels: KernelsOption = "numpy",
    report: ReportOption = None,
    store_series: Annotated[
        bool, typer.Option(help="Store every member's series (parts/series-*.parquet).")
    ] = True,
) -> None:
    """Run an ensemble over the scenario's uncertain inputs; resumes an interrupted run."""
    from factions.ensemble.runner import run_ensemble
    from factions.progress import rich_progress

    _check_report_target(report)
    _check_runs_dir(runs_dir)
    _check_members(runs)
    s = _load(scenario)
    be = _backend(backend, workers, scheduler)
    try:
        with rich_progress(err, f"{s.id}: {runs} members") as progress:
            result = run_ensemble(
                s, runs=runs, seed=seed, model=model, method=method,  # type: ignore[arg-type]
                backend=be, chunk_size=chunk_size, out=runs_dir, progress=progress,
                options=_kernel_options(model, kernels), store_series=store_series,
                warn=lambda m: err.print(f"warning: {m}", markup=False),
            )  # fmt: skip
    except ScenarioError as e:
        _fail(e.problems, e.source)
    except FactionsError as e:
        _fail([Problem("", str(e))])
    if report is not None:
        _write_report(result.run.path, report)
    if as_json:
        sys.stdout.write(json.dumps(result.aggregates, indent=2) + "\n")
    else:
        from factions.labels import step_dates

        dates = step_dates(s, result.manifest.get("dynamics"))
        render_ensemble(result.aggregates, result.manifest, out, dates)
        out.print(f"Stored in {result.run.path}", markup=False)
        if report is not None:
            out.print(f"Wrote the report {report}", markup=False)


from factions.backtest.cli import backtest_command  # noqa: E402 (light: imports on use)

app.command(name="backtest")(backtest_command)

runs_app = typer.Typer(
    help="List, show and remove stored ensemble runs.", no_args_is_help=True, cls=LeanGroup
)
app.add_typer(runs_app, name="runs")


def _check_runs_dir(root: Path | None) -> None:
    """--runs-dir names a folder (created when missing), never a file."""
    if root is not None and root.exists() and not root.is_dir():
        _fail([Problem("--runs-dir", f"'{root}' is not a folder")])


def _runs_root(root: Path | None) -> Path:
    from factions.store import default_runs_dir

    _check_runs_dir(root)
    return root if root is not None else default_runs_dir()


@runs_app.command("list")
def runs_list(
    root: RunsDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifests as JSON.")] = False,
) -> None:
    """List the stored runs, newest first."""
    from factions.store import list_runs

    runs = list_runs(_runs_root(root))
    if as_json:
        sys.stdout.write(json.dumps([r.manifest() for r in runs], indent=2) + "\n")
        return
    t = Table(title=f"Runs in {_runs_root(root)}")
    t.add_column("run", no_wrap=True)
    for col in ("scenario", "model", "members", "status", "updated"):
        t.add_column(col)
    for r in runs:
        m = r.manifest()
        t.add_row(r.id, m.get("scenario", "?"), m.get("model", "?"), str(m.get("runs", "?")),
                  m.get("status", "?"), str(m.get("updated", "?"))[:16].replace("T", " "),
        )  # fmt: skip
    out.print(_fit(t))


def _find_run(run_id: str, root: Path | None) -> Any:
    from factions.store import RunDir

    base = _runs_root(root)
    if "/" in run_id or run_id.startswith(".") or not run_id:
        _fail([Problem("RUN", f"not a run id: {run_id!r}")])
    path = base / run_id
    if not (path / "manifest.json").is_file():
        _fail([Problem("RUN", f"no run '{run_id}' in {base}")])
    return RunDir(path)


def _run_dates(path: Path, manifest: Mapping[str, Any]) -> list[str] | None:
    """The step dates of a stored run (None when its scenario cannot be read back)."""
    from factions.labels import step_dates
    from factions.scenario.io import parse_scenario

    try:
        s = parse_scenario(json.loads((path / "scenario.json").read_text("utf-8")))
    except (OSError, ValueError, FactionsError):
        return None
    return step_dates(s, manifest.get("dynamics"))


@runs_app.command("show")
def runs_show(
    run_id: Annotated[
        str, typer.Argument(metavar="RUN", help="A run id (see factions runs list).")
    ],
    root: RunsDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print manifest and aggregates.")] = False,
) -> None:
    """Show one run: its manifest and, when complete, its aggregates."""
    run = _find_run(run_id, root)
    manifest = run.manifest()
    agg_path = run.path / "aggregates.json"
    agg = json.loads(agg_path.read_text("utf-8")) if agg_path.exists() else None
    if as_json:
        sys.stdout.write(json.dumps({"manifest": manifest, "aggregates": agg}, indent=2) + "\n")
        return
    for key in ("run_id", "scenario", "model", "seed", "runs", "method", "status", "backend",
                "factions_version", "created", "updated", "wall_seconds"):  # fmt: skip
        out.print(f"{key}: {manifest.get(key)}", markup=False)
    if agg:
        render_ensemble(agg, manifest, out, _run_dates(run.path, manifest))


@runs_app.command("rm")
def runs_rm(
    run_ids: Annotated[list[str], typer.Argument(metavar="RUN", help="Run ids to remove.")],
    root: RunsDirOption = None,
) -> None:
    """Remove stored runs."""
    runs = [_find_run(r, root) for r in run_ids]
    for r in runs:
        r.remove()
        out.print(f"removed {r.id}", markup=False)


@app.command()
def sensitivity(
    scenario: Annotated[
        str, typer.Argument(metavar="SCENARIO", help="A built-in name or a scenario file.")
    ] = "iraq-2008",
    runs: Annotated[
        int,
        typer.Option(
            "--runs", "-n", min=1, metavar="N", help="Ensemble members (sobol: base samples)."
        ),
    ] = 1000,
    seed: SeedOption = 0,
    model: ModelOption = "mean",
    method: Annotated[
        Literal["prcc", "sobol"],
        typer.Option("--method", help="prcc (one ensemble, cheap) or sobol (SALib, N (P + 2))."),
    ] = "prcc",
    backend: BackendOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    top: Annotated[
        int, typer.Option("--top", min=0, metavar="N", help="Inputs shown per question (0: all).")
    ] = 8,
    runs_dir: RunsDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rankings as JSON.")] = False,
) -> None:
    """Rank the uncertain inputs that drive each question's answer."""
    from factions.ensemble.sensitivity import run_sensitivity
    from factions.progress import rich_progress

    _check_runs_dir(runs_dir)
    _check_members(runs)
    s = _load(scenario)
    be = _backend(backend, workers, scheduler)
    try:
        with rich_progress(err, f"{s.id}: sensitivity") as progress:
            res = run_sensitivity(
                s, runs=runs, seed=seed, model=model, method=method, backend=be, out=runs_dir,
                progress=progress, top=top,
            )  # fmt: skip
    except ScenarioError as e:
        _fail(e.problems, e.source)
    except FactionsError as e:
        _fail([Problem("", str(e))])
    if as_json:
        sys.stdout.write(json.dumps(res.to_json(), indent=2) + "\n")
        return
    out.print(f"What drives each answer ({res.method}, {res.members} members)", style="bold")
    texts = {q.id: q.text for q in s.questions}
    for qid, rows in res.rankings.items():
        if not rows:
            note = res.notes.get(qid, "no ranking")
            out.print(f"{texts.get(qid, qid)}: {note}.", markup=False)
            continue
        t = Table(title=texts.get(qid, qid))
        t.add_column("input")
        t.add_column("path (in the scenario)")
        if res.method == "prcc":
            t.add_column("PRCC", justify="right")
            t.add_column("p-value", justify="right")
            for row in rows:
                r, p = row["prcc"], row["p_value"]
                t.add_row(row["label"], row["input"], "-" if r is None else f"{r:+.3f}",
                          "-" if p is None else f"{p:.3g}")  # fmt: skip
        else:
            for col in ("S1", "ST", "ST 95% conf."):
                t.add_column(col, justify="right")
            for row in rows:
                t.add_row(row["label"], row["input"], f"{row['S1']:.3f}", f"{row['ST']:.3f}",
                          f"{row['ST_conf']:.3f}")  # fmt: skip
        out.print(_fit(t))


def _check_report_target(target: Path | None) -> None:
    """Refuse a report path before any work: an .html file in an existing folder."""
    if target is None:
        return
    if target.suffix.lower() not in (".html", ".htm"):
        _fail([Problem("--report", f"the report is an HTML file (.html), got '{target.name}'")])
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        _fail([Problem("--report", f"no such folder '{folder}' (create it first)")])
    if target.is_dir():
        _fail([Problem("--report", f"'{target}' is a folder, not a file")])


def _write_report(source: Any, target: Path) -> list[Path]:
    from factions.report import write_report

    _check_report_target(target)
    try:
        return write_report(source, target)
    except OSError as e:
        _fail([Problem("--report", f"cannot write '{target}': {e.strerror or e}")])
    except FactionsError as e:
        _fail([Problem("", str(e))])


@app.command()
def report(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="An ensemble run (directory or id in the runs directory) or a scenario.",
        ),
    ] = "iraq-2008",
    target: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="FILE.html",
            help="The HTML file (default: SOURCE-report.html; its folder must exist).",
        ),
    ] = None,
    model: ModelOption = "mean",
    seed: SeedOption = 0,
    runs_dir: RunsDirOption = None,
) -> None:
    """Write a self-contained HTML report (with PNG figures) of a run or a scenario."""
    from factions.simulate import simulate

    _check_report_target(target)
    path = Path(source)
    run_path: Path | None = None
    if (path / "manifest.json").is_file():
        run_path = path
    elif "/" not in source and (_runs_root(runs_dir) / source / "manifest.json").is_file():
        run_path = _runs_root(runs_dir) / source
    if run_path is not None:
        name = run_path.name
        what: Any = run_path
    else:
        s = _load(source)
        try:
            what = simulate(s, model, seed=seed)
        except ScenarioError as e:
            _fail(e.problems, e.source or source)
        name = s.id
    target = target or Path(f"{name}-report.html")
    written = _write_report(what, target)
    out.print(f"Wrote {target} and {len(written) - 1} figures", markup=False)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Interface to bind (default: local only).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, metavar="PORT", help="TCP port.")
    ] = 8000,
    runs_dir: RunsDirOption = None,
    scenarios_dir: Annotated[
        Path | None,
        typer.Option("--scenarios-dir", metavar="DIR", help="Where saved scenarios live."),
    ] = None,
) -> None:
    """Start the local web app (open http://127.0.0.1:8000 in a browser)."""
    _check_runs_dir(runs_dir)
    try:
        from factions.web.app import serve as serve_app
    except ImportError as e:
        _fail([Problem("", f"the web app needs its extra: pip install 'factions[web]' ({e})")])
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"warning: serving on {host}: anyone who can reach it can run models", markup=False
        )
    serve_app(host=host, port=port, runs_dir=runs_dir, scenarios_dir=scenarios_dir)


from factions.calibration.command import calibrate  # noqa: E402 (light: imports on use)

app.command()(calibrate)
from factions.steps_command import steps_command  # noqa: E402 (light: imports on use)

app.command(name="steps")(steps_command)


#: Commands whose computations run on one BLAS thread each: a single run, and ensembles
#: (each chunk, in whichever process, runs under ``threadpool_limits(1)``). Their process
#: starts with one OpenBLAS thread (:func:`factions._threads.one_blas_thread_from_the_start`):
#: otherwise OpenBLAS's worker threads spin at start, and again in every worker forked
#: from it (about 0.1 CPU-seconds each, taken from the chunks when the workers fill the
#: cores: a 2-worker Dask run of 20,000 iraq-2008 members took 4.37 s with them, 4.24 s
#: without; scratch A/B runs, medians of 5, on the 2-core development VM).
ONE_BLAS_THREAD = ("run", "ensemble", "sensitivity")


def _command(args: list[str]) -> str | None:
    """The subcommand a command line names (its first word that is not an option)."""
    return next((a for a in args if not a.startswith("-")), None)


def main() -> None:
    """Entry point: run the app, turning any factions error into exit status 2.

    A reader that stops early (``factions run | head -1``) is not an error: a closed pipe
    ends the command quietly with status 0, as ``cat`` and ``grep`` do.
    """
    if _command(sys.argv[1:]) in ONE_BLAS_THREAD:  # set before NumPy starts its threads
        from factions._threads import one_blas_thread_from_the_start

        one_blas_thread_from_the_start()
    try:
        app()
    except FactionsError as e:  # pragma: no cover - the commands catch these themselves
        err.print(str(e), markup=False)
        sys.exit(EXIT_BAD_INPUT)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)
    except SystemExit as e:
        # typer (like click) turns a closed pipe into exit 1 after wrapping the streams in
        # a PacifyFlushWrapper; that wrapper is how we know the reader went away.
        if e.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            _quiet_stdout()
            sys.exit(0)
        raise
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
        _skip_the_last_collection()


def _skip_the_last_collection() -> None:
    """The command is done and its output flushed: move every object to the collector's
    permanent generation, so that the interpreter's exit does not walk them all once more.

    Python's exit runs a full garbage collection over every object still alive (the
    imported modules' functions, classes and constants: 80,000 objects once Dask is
    imported), then frees them: 0.13 s of a ``factions ensemble --backend dask`` run's exit
    on the 2-core development VM, 0.02 s when they are frozen first (scratch timings).
    Nothing a command writes depends on it: every file is closed by then, and the
    ``atexit`` handlers still run. Only finalizers of objects caught in reference cycles no
    longer run at exit, which Python never promises anyway."""
    import gc

    gc.freeze()


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that Python's own flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
