"""The ``factions calibrate`` command (registered in :mod:`factions.cli`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from factions.errors import FactionsError, Problem, ScenarioError
from factions.terminal import SafeConsole

if TYPE_CHECKING:
    from factions.calibration.common import Fit

__all__ = ["TARGETS", "calibrate", "run_target"]

TARGETS = ("elections", "arms")
_out = SafeConsole(highlight=False, soft_wrap=False)
_err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)


def _fail(problems: list[Problem]) -> typer.Exit:
    for p in problems:
        _err.print(str(p), markup=False)
    return typer.Exit(2)


def run_target(
    target: str,
    data: Path | None,
    *,
    seed: int,
    bootstrap: int,
    cutoff: int | None,
    progress: bool,
    baseline: str | None = None,
) -> Fit:
    """Fit one target (with a progress bar on stderr when ``progress``)."""
    from factions.calibration import arms, elections

    kwargs: dict[str, int | str] = {"seed": seed, "bootstrap": bootstrap}
    if cutoff is not None:
        kwargs["cutoff"] = cutoff
    if baseline is not None:
        kwargs["baseline"] = baseline
    module = elections if target == "elections" else arms
    if not progress:
        fit: Fit = module.fit(data, **kwargs)
        return fit
    from factions.progress import rich_progress

    with rich_progress(_err, f"calibrate {target}") as update:
        fitted: Fit = module.fit(data, progress=update, **kwargs)
        return fitted


def _print(fit: Fit, console: SafeConsole) -> None:
    t = Table(title=f"{fit.target}: fitted coefficients (90% bootstrap intervals)")
    for col in ("coefficient", "estimate", "90% interval", "sets"):
        t.add_column(col)
    for name, c in fit.coefficients.items():
        t.add_row(name, f"{c.estimate:.4g}", f"{c.low:.4g} to {c.high:.4g}", c.maps_to or "-")
    console.print(t)
    t = Table(title=f"Held-out scores ({fit.split['test']})")
    for col in ("metric", "model", "baseline"):
        t.add_column(col)
    for m in fit.scores["model"]:
        mv, bv = fit.scores["model"][m], fit.scores["baseline"].get(m)
        t.add_row(m, "-" if mv is None else f"{mv:.4g}", "-" if bv is None else f"{bv:.4g}")
    console.print(t)
    console.print(f"Baseline: {fit.split['baseline']}. Fitted in {fit.seconds:.1f} s.")


def calibrate(
    target: Annotated[str, typer.Argument(help="What to calibrate: elections or arms.")],
    data: Annotated[
        Path | None,
        typer.Option("--data", help="A folder with parlgov/ and cow/ (default: the shipped copy)."),
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the calibration file (JSON) here.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the calibration page (HTML).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap refits for the intervals.")
    ] = 200,
    cutoff: Annotated[
        int | None,
        typer.Option(
            "--cutoff",
            help="Fit before this year, score from it on (default: "
            "2000 for elections, 1946 for arms).",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", help="arms: the equilibrium, start (default) or window."),
    ] = None,
) -> None:
    """Fit the dynamics' coefficients on historical data and score them out of sample."""
    if target not in TARGETS:
        raise _fail(
            [Problem("TARGET", f"unknown target '{target}' (one of: {', '.join(TARGETS)})")]
        )
    if baseline is not None and target != "arms":
        raise _fail([Problem("--baseline", "applies to the arms target only")])
    if bootstrap < 2:
        raise _fail([Problem("--bootstrap", f"must be at least 2, got {bootstrap}")])
    if data is not None and not data.is_dir():
        raise _fail([Problem("--data", f"'{data}' is not a folder")])
    for opt, path in (("--out", out_file), ("--report", report)):
        if path is not None and (path.is_dir() or not path.parent.resolve().is_dir()):
            raise _fail([Problem(opt, f"cannot write '{path}' (not a file in an existing folder)")])
    try:
        fit = run_target(
            target, data, seed=seed, bootstrap=bootstrap, cutoff=cutoff,
            progress=not as_json, baseline=baseline,
        )  # fmt: skip
    except ScenarioError as e:
        raise _fail(e.problems) from None
    except FactionsError as e:
        raise _fail([Problem("", str(e))]) from None
    try:
        if out_file is not None:
            from factions.report import _write_atomic

            # Through a temporary file and a rename, with the usual permissions (umask).
            text = json.dumps(fit.calibration_file(), indent=2, allow_nan=False) + "\n"
            _write_atomic(out_file, text)
        if report is not None:
            from factions.calibration.report import write_calibration_report

            write_calibration_report(fit, report)
    except OSError as e:
        raise _fail([Problem("--out" if report is None else "--report", str(e))]) from None
    if as_json:
        sys.stdout.write(json.dumps(fit.summary(), indent=2) + "\n")
        return
    _print(fit, _out)
    for label, path in (("calibration file", out_file), ("calibration page", report)):
        if path is not None:
            _out.print(f"Wrote the {label} {path}", markup=False)
