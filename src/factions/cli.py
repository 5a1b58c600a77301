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
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from factions import __version__
from factions.errors import BackendUnavailable, FactionsError, Problem, ScenarioError

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
)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_BAD_INPUT = 2

KernelsOption = Annotated[
    str, typer.Option("--kernels", help="Array backend of the eum kernels: numpy or jax.")
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Also write an HTML report here.")
]


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
    scenario: Annotated[str, typer.Argument(help="A built-in name or a scenario file.")],
) -> None:
    """Show a scenario's actors, issues, stances, resources, ties and events as tables."""
    s = _load(scenario)
    m = s.metadata
    out.print(f"[bold]{m.id}[/bold]: {m.title} (as of {m.date.isoformat()})")
    if m.description:
        out.print(m.description, markup=False)
    t = Table(title="Actors")
    for c in ("id", "name", "kind", "capability"):
        t.add_column(c)
    for a in s.actors:
        t.add_row(a.id, a.name, a.kind, _num(a.capability))
    out.print(t)
    t = Table(title="Issues")
    for c in ("id", "name", "scale", "low end", "high end"):
        t.add_column(c)
    for i in s.issues:
        sc = i.scale
        t.add_row(
            i.id, i.name, f"{sc.low:g}-{sc.high:g} {sc.unit}".strip(), sc.low_label, sc.high_label
        )
    out.print(t)
    t = Table(title="Stances")
    for c in ("actor", "issue", "position", "salience", "basis"):
        t.add_column(c)
    for st in s.stances:
        t.add_row(st.actor, st.issue, _num(st.position), _num(st.salience), _mark(st))
    out.print(t)
    if s.resources:
        t = Table(title="Resources")
        for c in ("actor", "kind", "amount", "basis"):
            t.add_column(c)
        for r in s.resources:
            t.add_row(r.actor, r.kind, _num(r.amount), _mark(r) or _mark(r.amount))
        out.print(t)
    if s.ties:
        t = Table(title="Ties")
        for c in ("a", "b", "kind", "strength", "basis"):
            t.add_column(c)
        for tie in s.ties:
            t.add_row(tie.a, tie.b, tie.kind, _num(tie.strength), _mark(tie) or _mark(tie.strength))
        out.print(t)
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
        out.print(t)
    if s.questions:
        t = Table(title="Questions")
        t.add_column("id")
        t.add_column("question")
        for q in s.questions:
            t.add_row(q.id, q.text)
        out.print(t)


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files (or built-in names).")],
) -> None:
    """Check scenario files: exit 0 when all are valid, else 2 with one line per problem."""
    from factions.scenario.io import load_scenario

    bad = False
    for f in files:
        try:
            s = load_scenario(f)
        except ScenarioError as e:
            bad = True
            for p in e.problems:
                err.print(f"{f}: {p}", markup=False)
            continue
        out.print(
            f"{f}: valid ({len(s.actors)} actors, {len(s.issues)} issues, "
            f"{len(s.stances)} stances, {len(s.events)} events, {len(s.questions)} questions)",
            markup=False,
        )
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


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
    console.print(f"[bold]{s.metadata.title}[/bold]  ({s.id}, as of {s.metadata.date.isoformat()})")
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
        console.print(t)
    if result.series:
        for j, issue in enumerate(s.issues):
            t = Table(title=f"{issue.name}: per round")
            t.add_column("round", justify="right")
            for name in result.series:
                t.add_column(name, justify="right")
            for k in range(result.steps):
                t.add_row(str(k + 1), *(f"{v[k, j]:.2f}" for v in result.series.values()))
            console.print(t)
    if traj is not None:
        _render_dynamics(result, console)
    console.print("[bold]Forecast[/bold]")
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
        console.print("[bold]Questions[/bold]")
        for ans in answers:
            line = f"- {ans.text} {ans.summary}" + (f" ({ans.evidence})" if ans.evidence else "")
            console.print(line, markup=False)


def _render_dynamics(result: RunResult, console: Console) -> None:
    """The story, then tables of alliances, security and elections (political runs)."""
    from factions.forecast import trajectory_json
    from factions.story import story

    console.print("[bold]The story, month by month[/bold]")
    for month in story(result):
        console.print(f"{month.date}:", markup=False)
        for line in month.lines:
            console.print(f"  - {line}", markup=False)
    data = trajectory_json(result)
    if data["alliances"]:
        t = Table(title="Alliances (tie strength, -1 rivals to 1 allies)")
        for col in ("pair", "start", "end"):
            t.add_column(col, justify="left" if col == "pair" else "right")
        for pair, series in data["alliances"].items():
            t.add_row(pair.replace("|", " - "), f"{series[0]:+.2f}", f"{series[-1]:+.2f}")
        console.print(t)
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
        t = Table(title="Security dilemma (armed strength and beliefs, start -> end)")
        for col in ("pair", "armed", "beliefs (p aggressive)", "verdict"):
            t.add_column(col)
        for pair, sec in data["security"].items():
            armed = ", ".join(f"{a} {v[0]:.0f}->{v[-1]:.0f}" for a, v in sec["armed"].items())
            beliefs = ", ".join(f"{k}: {v[0]:.2f}->{v[-1]:.2f}" for k, v in sec["belief"].items())
            t.add_row(pair.replace("|", " - "), armed, beliefs, sec["verdict"].split(":")[0])
        console.print(t)
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
        console.print(t)
        if council:
            mwc = "; ".join(" + ".join(c) for c in council["minimal_winning_coalitions"])
            console.print(
                f"Majority {council['quota']} seats; minimal winning coalitions: {mwc}.",
                markup=False,
            )


def _write_outputs(target: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` into ``target`` so that no reader ever sees a half-written file."""
    if target.exists() and not target.is_dir():
        _fail([Problem("--out", f"'{target}' exists and is not a directory")])
    parent = target.parent if str(target.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
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
        typer.Argument(help="A built-in name or a scenario file (YAML, JSON, TOML, KTAB, BDM)."),
    ] = "iraq-2008",
    model: Annotated[str, typer.Option("--model", "-m", help="The bargaining model.")] = "mean",
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (0 is a seed like any other).")
    ] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Also write result.json, forecast.txt, scenario.yaml here."),
    ] = None,
    kernels: KernelsOption = "numpy",
    report: ReportOption = None,
) -> None:
    """Run a model on a scenario and print the forecast."""
    from factions._threads import single_blas_thread
    from factions.engines import ENGINES
    from factions.scenario.io import dumps_scenario
    from factions.simulate import simulate

    if model not in ENGINES:
        _fail(
            [
                Problem(
                    "--model", f"unknown model '{model}' (available: {', '.join(sorted(ENGINES))})"
                )
            ]
        )
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
        buf = Console(record=True, width=100, file=io.StringIO())
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
    if as_json:
        sys.stdout.write(text + "\n")
    else:
        render_run(result, out)
        if out_dir is not None:
            out.print(f"Wrote {out_dir}/result.json, forecast.txt, scenario.yaml", markup=False)
        if report is not None:
            out.print(f"Wrote the report {report}", markup=False)


def _kernel_options(model: str, kernels: str) -> dict[str, Any]:
    """Engine options selecting the array backend (only ``eum`` has JAX kernels)."""
    if kernels not in ("numpy", "jax"):
        _fail([Problem("--kernels", f"must be numpy or jax, got {kernels!r}")])
    if kernels == "numpy":
        return {}
    if model != "eum":
        _fail([Problem("--kernels", f"jax kernels exist for the eum model only, not {model}")])
    return {"kernels": kernels}


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


def render_ensemble(agg: Mapping[str, Any], manifest: Mapping[str, Any], console: Console) -> None:
    """Print an ensemble's answers with probabilities and its forecast bands."""
    console.print(
        f"[bold]Ensemble[/bold] of {agg['members']} members: {manifest['scenario']}, "
        f"model {manifest['model']}, seed {manifest['seed']}, {manifest['method']} sampling of "
        f"{len(manifest['inputs'])} uncertain inputs; run {manifest['run_id']}"
    )
    t = Table(title="Answers (probability across the ensemble)")
    t.add_column("question")
    t.add_column("answer")
    for q in agg["questions"].values():
        if q.get("answered", 0) == 0:
            t.add_row(q["text"], q.get("note", "not answered"))
        elif q["kind"] == "yes_no":
            t.add_row(
                q["text"], f"yes {_pct(q['probability_yes'])}, no {_pct(1 - q['probability_yes'])}"
            )
        elif q["kind"] == "choice":
            ranked = sorted(q["probabilities"].items(), key=lambda kv: -kv[1])
            t.add_row(q["text"], ", ".join(f"{q['labels'][k]} {_pct(v)}" for k, v in ranked))
        elif q["kind"] == "value":
            t.add_row(q["text"], _band(q, "{:.3g}"))
        else:
            t.add_row(q["text"], ", ".join(f"step {k}: {_pct(v)}" for k, v in q["by_step"].items()))
    console.print(t)
    t = Table(title="Forecasts (median and bands)")
    t.add_column("issue")
    t.add_column("forecast")
    for issue, q in agg["forecasts"].items():
        t.add_row(issue, _band(q))
    console.print(t)
    for event, table in agg.get("elections", {}).items():
        t = Table(title=f"Seats at {event} (median and bands)")
        for col in ("contestant", "seats", "P(most seats)"):
            t.add_column(col)
        for actor, q in table.items():
            t.add_row(actor, _band(q, "{:.0f}"), _pct(q["probability_most_seats"]))
        console.print(t)


@app.command()
def ensemble(
    scenario: Annotated[
        str, typer.Argument(help="A built-in name or a scenario file.")
    ] = "iraq-2008",
    runs: Annotated[int, typer.Option("--runs", "-n", help="Ensemble members.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampling and the runs.")] = 0,
    model: Annotated[str, typer.Option("--model", "-m", help="The bargaining model.")] = "mean",
    method: Annotated[
        str, typer.Option("--method", help="Sampling: lhs, sobol or random.")
    ] = "lhs",
    backend: Annotated[str, typer.Option("--backend", help="local, processes or dask.")] = "local",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="A Dask scheduler, tcp://HOST:PORT.")
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Worker processes.")] = None,
    chunk_size: Annotated[
        int | None, typer.Option("--chunk-size", help="Members per chunk (default 500).")
    ] = None,
    runs_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Runs directory (default $FACTIONS_RUNS or ./runs)."),
    ] = None,
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

    if runs < 1:
        _fail([Problem("--runs", f"must be a positive integer, got {runs}")])
    if method not in ("lhs", "sobol", "random"):
        _fail([Problem("--method", f"must be lhs, sobol or random, got {method!r}")])
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
        render_ensemble(result.aggregates, result.manifest, out)
        out.print(f"Stored in {result.run.path}", markup=False)
        if report is not None:
            out.print(f"Wrote the report {report}", markup=False)


runs_app = typer.Typer(help="List, show and remove stored ensemble runs.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")


def _runs_root(root: Path | None) -> Path:
    from factions.store import default_runs_dir

    return root if root is not None else default_runs_dir()


@runs_app.command("list")
def runs_list(
    root: Annotated[Path | None, typer.Option("--out", help="Runs directory.")] = None,
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
                  m.get("status", "?"), m.get("updated", "?"))  # fmt: skip
    out.print(t)


def _find_run(run_id: str, root: Path | None) -> Any:
    from factions.store import RunDir

    base = _runs_root(root)
    if "/" in run_id or run_id.startswith(".") or not run_id:
        _fail([Problem("RUN", f"not a run id: {run_id!r}")])
    path = base / run_id
    if not (path / "manifest.json").is_file():
        _fail([Problem("RUN", f"no run '{run_id}' in {base}")])
    return RunDir(path)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id (see factions runs list).")],
    root: Annotated[Path | None, typer.Option("--out", help="Runs directory.")] = None,
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
        render_ensemble(agg, manifest, out)


@runs_app.command("rm")
def runs_rm(
    run_ids: Annotated[list[str], typer.Argument(help="Run ids to remove.")],
    root: Annotated[Path | None, typer.Option("--out", help="Runs directory.")] = None,
) -> None:
    """Remove stored runs."""
    runs = [_find_run(r, root) for r in run_ids]
    for r in runs:
        r.remove()
        out.print(f"removed {r.id}", markup=False)


@app.command()
def sensitivity(
    scenario: Annotated[
        str, typer.Argument(help="A built-in name or a scenario file.")
    ] = "iraq-2008",
    runs: Annotated[
        int, typer.Option("--runs", "-n", help="Members (sobol: base samples).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    model: Annotated[str, typer.Option("--model", "-m")] = "mean",
    method: Annotated[
        str, typer.Option("--method", help="prcc (cheap) or sobol (SALib).")
    ] = "prcc",
    backend: Annotated[str, typer.Option("--backend", help="local, processes or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler")] = None,
    workers: Annotated[int | None, typer.Option("--workers")] = None,
    top: Annotated[int, typer.Option("--top", help="Inputs shown per question.")] = 8,
    runs_dir: Annotated[Path | None, typer.Option("--out", help="Runs directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rank the uncertain inputs that drive each question's answer."""
    from factions.ensemble.sensitivity import run_sensitivity
    from factions.progress import rich_progress

    if runs < 1:
        _fail([Problem("--runs", f"must be a positive integer, got {runs}")])
    if method not in ("prcc", "sobol"):
        _fail([Problem("--method", f"must be prcc or sobol, got {method!r}")])
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
    out.print(f"[bold]What drives each answer[/bold] ({res.method}, {res.members} members)")
    texts = {q.id: q.text for q in s.questions}
    for qid, rows in res.rankings.items():
        t = Table(title=texts.get(qid, qid))
        t.add_column("input")
        if res.method == "prcc":
            t.add_column("PRCC", justify="right")
            t.add_column("p-value", justify="right")
            for row in rows:
                r, p = row["prcc"], row["p_value"]
                t.add_row(row["input"], "-" if r is None else f"{r:+.3f}",
                          "-" if p is None else f"{p:.3g}")  # fmt: skip
        else:
            for col in ("S1", "ST", "ST 95% conf."):
                t.add_column(col, justify="right")
            for row in rows:
                t.add_row(
                    row["input"], f"{row['S1']:.3f}", f"{row['ST']:.3f}", f"{row['ST_conf']:.3f}"
                )
        out.print(t)


def _write_report(source: Any, target: Path) -> list[Path]:
    from factions.report import write_report

    if target.suffix.lower() not in (".html", ".htm"):
        _fail([Problem("--report", f"the report is an HTML file (.html), got '{target.name}'")])
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
            help="An ensemble run (directory or id in the runs directory) or a scenario."
        ),
    ] = "iraq-2008",
    target: Annotated[
        Path | None, typer.Option("--out", help="The HTML file (default: SOURCE-report.html).")
    ] = None,
    model: Annotated[
        str, typer.Option("--model", "-m", help="For a scenario: the model.")
    ] = "mean",
    seed: Annotated[int, typer.Option("--seed", help="For a scenario: the seed.")] = 0,
    runs_dir: Annotated[Path | None, typer.Option("--runs", help="Runs directory.")] = None,
) -> None:
    """Write a self-contained HTML report (with PNG figures) of a run or a scenario."""
    from factions.engines import ENGINES
    from factions.simulate import simulate

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
        if model not in ENGINES:
            _fail([Problem("--model", f"unknown model '{model}'")])
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
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    runs_dir: Annotated[Path | None, typer.Option("--runs", help="Runs directory.")] = None,
    scenarios_dir: Annotated[
        Path | None, typer.Option("--scenarios", help="Where saved scenarios live.")
    ] = None,
) -> None:
    """Start the local web app (open http://127.0.0.1:8000 in a browser)."""
    try:
        from factions.web.app import serve as serve_app
    except ImportError as e:
        _fail([Problem("", f"the web app needs its extra: pip install 'factions[web]' ({e})")])
    if not 0 < port < 65536:
        _fail([Problem("--port", f"must be between 1 and 65535, got {port}")])
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"warning: serving on {host}: anyone who can reach it can run models", markup=False
        )
    serve_app(host=host, port=port, runs_dir=runs_dir, scenarios_dir=scenarios_dir)


def main() -> None:
    """Entry point: run the app, turning any factions error into exit status 2."""
    try:
        app()
    except FactionsError as e:  # pragma: no cover - the commands catch these themselves
        err.print(str(e), markup=False)
        sys.exit(EXIT_BAD_INPUT)
