"""The command line follows the conventions of Unix tools and of Python (issue 12, item 11).

These run the installed command in a fresh process: pipes, environment variables and the
interpreter's own exit handling are what is tested.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = Path(sys.executable).parent / "factions"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


def test_python_dash_m_factions() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "factions", "--version"], capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("factions ")


@pytest.mark.parametrize("args", [["run"], ["show", "iraq-2008"], ["run", "--json"]])
def test_a_reader_that_stops_early_is_not_an_error(args: list[str]) -> None:
    """``factions run | head -1``: the reader closes the pipe before factions writes."""
    proc = subprocess.Popen(
        [str(EXE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # before the command has printed anything: its first write fails
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, stderr
    assert stderr == ""


def test_no_color_means_no_styling_at_all() -> None:
    """NO_COLOR: no colours, and no bold or italic either (even on a forced terminal)."""
    styled = subprocess.run([str(EXE), "run"], capture_output=True, text=True, check=True,
                            env=_env(FORCE_COLOR="1"))  # fmt: skip
    assert "\x1b[" in styled.stdout  # the check below can fail
    plain = subprocess.run([str(EXE), "run"], capture_output=True, text=True, check=True,
                           env=_env(FORCE_COLOR="1", NO_COLOR="1"))  # fmt: skip
    assert "\x1b[" not in plain.stdout
    assert "Forecast" in plain.stdout


def test_ensemble_into_a_pipe_writes_nothing_to_stderr(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(EXE), "ensemble", "-n", "5", "--runs-dir", str(tmp_path), "--json"],
        capture_output=True, text=True, check=False, env=_env(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
