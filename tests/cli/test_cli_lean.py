"""Lean single runs: light CLI start-up, one BLAS thread for `factions run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from factions.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_cli_start_up_imports_neither_numpy_nor_the_schema() -> None:
    code = (
        "import sys; sys.argv = ['factions', '--version']\n"
        "from factions.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('numpy', 'pydantic', 'factions.scenario.schema', 'scipy')"
        " if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    assert out.splitlines() == ["factions 0.1.0", "[]"]


def test_factions_simulate_stays_the_function_whatever_the_import_order() -> None:
    code = (
        "import factions.simulate, sys\n"
        "from factions import simulate, RunResult\n"
        "print(callable(simulate), simulate.__module__, type(sys.modules['factions.simulate']))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    assert out.split()[:2] == ["True", "factions.simulate"]
    assert "module" in out


def test_scenarios_lists_the_builtins_without_the_schema() -> None:
    code = (
        "import sys; sys.argv = ['factions', 'scenarios']\n"
        "from factions.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('numpy' in sys.modules, 'factions.scenario.schema' in sys.modules,"
        " 'pydantic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    # typer builds a pydantic adapter for every command's --help flag unless LeanGroup
    # gives it a pass-through (factions._cli_lean): pydantic alone costs about 0.1 s.
    assert out.splitlines()[-1] == "False False False"
    for name in ("emission-standards", "iraq-2008", "soe-reform"):
        assert name in out
    assert "Iraq 2008: Maliki between U.S. backing and the SIIC alliance" in out
    assert "2008-10-15" in out


def test_run_uses_one_blas_thread_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    from threadpoolctl import threadpool_info

    import factions.simulate  # noqa: F401  (loads the submodule)

    sim = sys.modules["factions.simulate"]  # the submodule (factions.simulate is the function)

    real = sim.simulate
    seen: list[list[int]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"])
        return real(*args, **kwargs)

    monkeypatch.setattr(sim, "simulate", spy)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    r = CliRunner().invoke(app, ["run", "emission-standards", "--json"])
    assert r.exit_code == 0, r.output
    assert seen[-1]
    assert set(seen[-1]) == {1}
    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # told otherwise: left as it is
    r = CliRunner().invoke(app, ["run", "emission-standards", "--json"])
    assert r.exit_code == 0, r.output
    assert seen[-1] == before


def test_the_light_catalog_agrees_with_the_registries() -> None:
    # The CLI lists models from factions.catalog so that start-up imports no NumPy; the
    # tables must say what the registries say.
    from factions.backtest.runner import ALL_MODELS
    from factions.catalog import BACKTEST_MODELS, ENGINE_TITLES
    from factions.engines import ENGINES

    assert {k: v.title.split(" (")[0] for k, v in ENGINES.items()} == ENGINE_TITLES
    assert tuple(ALL_MODELS) == BACKTEST_MODELS


def test_help_flags_still_work_without_pydantic_and_other_options_are_still_checked() -> None:
    runner = CliRunner()
    for args in (["--help"], ["scenarios", "--help"], ["runs", "--help"],
                 ["runs", "list", "--help"]):  # fmt: skip
        r = runner.invoke(app, args)
        assert r.exit_code == 0, (args, r.output)
        assert "Usage:" in r.output
        assert "--help" in r.output
    # Options other than --help keep typer's own (pydantic) conversion and its messages.
    r = runner.invoke(app, ["ensemble", "iraq-2008", "--runs", "many"])
    assert r.exit_code == 2
    assert "Invalid value for '--runs'" in r.output


@pytest.mark.parametrize(
    ("told", "command"),
    [
        ("", "run emission-standards --json"),
        ("OPENBLAS_NUM_THREADS", "run emission-standards --json"),
        ("OMP_NUM_THREADS", "run emission-standards --json"),
        ("", "ensemble emission-standards --runs 4 --backend processes --workers 1 --json"),
        ("OPENBLAS_NUM_THREADS", "ensemble emission-standards --runs 4 --json"),
        ("", "sensitivity emission-standards --runs 16 --json"),
    ],
)
def test_run_starts_no_blas_threads_unless_told_otherwise(
    told: str, command: str, tmp_path: Path
) -> None:
    """`factions run`, `ensemble` and `sensitivity` set one OpenBLAS thread before NumPy is
    imported (OpenBLAS's threads spin at start even when every call is limited to one later,
    and again in every worker forked from the process); a user's variable stands."""
    argv = ["factions", *command.split()]
    if argv[1] != "run":
        argv += ["--runs-dir", str(tmp_path)]
    code = (
        "import sys\n"
        "from factions.cli import main\n"
        f"sys.argv = {argv!r}\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import os\n"
        "from threadpoolctl import threadpool_info\n"
        "n = [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']\n"
        "print('THREADS', os.environ.get('OPENBLAS_NUM_THREADS'), n, file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}  # fmt: skip
    if told:
        env[told] = "2"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stderr.splitlines() if x.startswith("THREADS"))
    if told == "OPENBLAS_NUM_THREADS":
        assert line.startswith("THREADS 2")
    elif told:
        assert line.startswith("THREADS None")
    else:
        assert line.startswith("THREADS 1 [1")


def test_the_command_is_the_first_word_that_is_not_an_option() -> None:
    from factions.cli import _command

    assert _command(["run", "iraq-2008"]) == "run"
    assert _command(["--no-color", "run"]) == "run"
    assert _command(["--version"]) is None


def test_the_exit_skips_the_last_full_collection_and_loses_nothing(tmp_path: Path) -> None:
    """After the command, every object is frozen (the interpreter's exit then does not walk
    them all again); the output is complete and atexit handlers still run."""
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('ATEXIT', file=sys.stderr))\n"
        "from factions.cli import main\n"
        "sys.argv = ['factions', 'ensemble', 'emission-standards', '--runs', '4', '--json',\n"
        f"            '--runs-dir', {str(tmp_path)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('FROZEN', gc.get_freeze_count() > 1000, file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["members"] == 4
    assert "FROZEN True" in r.stderr
    assert r.stderr.rstrip().endswith("ATEXIT")
