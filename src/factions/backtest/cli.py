"""``factions backtest`` (and ``factions run`` on a DEU file): the command-line side."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table

from factions.catalog import BACKTEST_MODELS
from factions.errors import Problem, ScenarioError
from factions.terminal import SafeConsole

__all__ = ["backtest_command", "is_deu_path", "run_deu", "validate_deu"]

out = SafeConsole(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 150)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)
EXIT_BAD_INPUT = 2


def _fail(problems: list[Problem], source: str | None = None) -> NoReturn:
    head = f"{source}: " if source else ""
    for p in problems:
        err.print(f"{head}{p}", markup=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def _f(v: Any, digits: int = 1) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def render_leaderboard(result: dict[str, Any], console: SafeConsole) -> None:
    """The leaderboard as a table, best MAE first."""
    ds = result["dataset"]
    table = Table(
        title=(
            f"Backtest of {ds['name']} (split {ds['split']}, {ds['n_issues']} issues, "
            f"capability {ds['capability']}); errors in points on 0-100"
        ),
        title_justify="left",
    )
    for col in ("model", "MAE", "RMSE", "MedAE", "≤5", "≤10", "≤20", "CRPS", "vs mean [95% CI]",
                "W/L", "cov50", "cov90"):  # fmt: skip
        table.add_column(col, justify="left" if col == "model" else "right")
    for name in result["leaderboard"]:
        m = result["models"][name]
        vs = m["vs_mean"]
        diff = (
            "baseline"
            if vs is None
            else f"{vs['mean_diff']:+.1f} [{vs['ci_low']:+.1f}, {vs['ci_high']:+.1f}]"
        )
        table.add_row(
            name,
            _f(m["mae"]),
            _f(m["rmse"]),
            _f(m["median_ae"]),
            _f(100 * m["within_5"], 0) + "%",
            _f(100 * m["within_10"], 0) + "%",
            _f(100 * m["within_20"], 0) + "%",
            _f(m["crps"]),
            diff,
            "" if vs is None else f"{vs['wins']}/{vs['losses']}",
            "" if m["coverage_50"] is None else _f(100 * m["coverage_50"], 0) + "%",
            "" if m["coverage_90"] is None else _f(100 * m["coverage_90"], 0) + "%",
        )
    console.print(table)
    if result["notes"]:
        console.print(
            f"{len(result['notes'])} import notes (missing values, repaired dates): see --json",
            markup=False,
        )


def backtest_command(
    cases: Annotated[
        str, typer.Argument(help="A DEU III file, or a folder of scenarios with outcomes.")
    ],
    models: Annotated[
        str,
        typer.Option(
            "--models",
            help="Comma-separated models (default: all); the weighted mean is always included.",
        ),
    ] = ",".join(BACKTEST_MODELS),
    split: Annotated[
        str,
        typer.Option("--split", help="Score only this split (train, dev, ...; 'all': every one)."),
    ] = "all",
    capability: Annotated[
        str,
        typer.Option("--capability", help="DEU capability rule: council (default) or equal."),
    ] = "council",
    split_file: Annotated[
        Path | None,
        typer.Option("--split-file", help="A split.json (default: one beside CASES, if any)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write an HTML backtest page here.")
    ] = None,
) -> None:
    """Score every model's forecasts against observed outcomes (see docs/validation.md)."""
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        _fail([Problem("--report", f"the report is an HTML file (.html), got '{report.name}'")])
    names = [m.strip() for m in models.split(",") if m.strip()]
    try:
        from factions.backtest.cases import load_cases

        lib = load_cases(cases, capability, split_file)
    except ScenarioError as e:
        _fail(e.problems, e.source or cases)
    splits = sorted({c.split for c in lib.cases if c.split})
    if split != "all" and split not in splits:
        have = ", ".join(splits) if splits else "none: give --split-file"
        _fail([Problem("--split", f"no case is in split '{split}' (splits here: {have})")])
    try:
        from factions.backtest.runner import backtest

        result = backtest(lib, names, None if split == "all" else split, capability)
    except ValueError as e:
        _fail([Problem("--models", str(e))])
    if report is not None:
        from factions.report.backtest import write_backtest_report

        try:
            write_backtest_report(result, report)
        except OSError as e:
            _fail([Problem("--report", f"cannot write the report: {e}")])
    if as_json:
        sys.stdout.write(json.dumps(result, indent=1) + "\n")
    else:
        render_leaderboard(result, out)
        if report is not None:
            out.print(f"Wrote the report {report}", markup=False)


def is_deu_path(name: str) -> bool:
    """Whether ``name`` is a file in the DEU layout (for ``factions run``)."""
    path = Path(name)
    if path.suffix.lower() not in (".csv", ".tsv", ".txt") or not path.is_file():
        return False
    from factions.scenario.deu import is_deu

    try:
        with path.open(encoding="utf-8-sig") as f:
            return is_deu(f.read(5000))
    except (OSError, UnicodeDecodeError):
        return False


def run_deu(name: str, model: str, seed: int, as_json: bool) -> None:
    """``factions run DEU.csv``: run ``model`` on every proposal; print forecast vs outcome."""
    from factions.engines import ENGINES

    if model not in ENGINES:
        known = ", ".join(sorted(ENGINES))
        _fail([Problem("--model", f"unknown model '{model}' (available: {known})")])
    try:
        from factions.backtest.cases import load_cases

        lib = load_cases(name)
    except ScenarioError as e:
        _fail(e.problems, e.source or name)
    from factions.backtest.models import run_engine

    fc = run_engine(model, lib, seed=seed)
    rows: list[dict[str, Any]] = [
        {
            "proposal": c.scenario,
            "issue": c.id,
            "forecast": round(100 * float(f), 4),
            "outcome": round(100 * c.outcome, 4),
        }
        for c, f in zip(lib.cases, fc, strict=True)
    ]
    if as_json:
        sys.stdout.write(json.dumps({"model": model, "issues": rows}, indent=1) + "\n")
        return
    table = Table(
        title=f"{model} on {len(lib.scenarios)} proposals of {lib.name} (0-100)",
        title_justify="left",
    )
    for col in ("proposal", "issue", "forecast", "outcome"):
        table.add_column(col, justify="right" if col in ("forecast", "outcome") else "left")
    for r in rows:
        table.add_row(
            str(r["proposal"]), str(r["issue"]), f"{r['forecast']:.1f}", f"{r['outcome']:.1f}"
        )
    out.print(table)
    out.print(f"Scored by 'factions backtest {name}'.", markup=False)


def validate_deu(name: str) -> bool:
    """``factions validate DEU.csv``: import every proposal; print a summary or the problems."""
    from factions.scenario.deu import import_deu_file

    try:
        found = import_deu_file(name)
    except ScenarioError as e:
        for p in e.problems:
            err.print(f"{name}: {p}", markup=False)
        return False
    scored = sum(1 for i in found.issues.values() if i.outcome is not None)
    out.print(
        f"{name}: valid DEU file ({len(found.scenarios)} proposals, {len(found.issues)} issues, "
        f"{scored} with an outcome; {len(found.notes)} notes)",
        markup=False,
    )
    return True
