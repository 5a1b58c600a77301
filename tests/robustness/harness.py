"""Run one command line in-process against one input, and check factions' promises.

The promises (HELPERS.md, issue 14): bad input gets exit 2 and one ``path: message`` line
per problem on stderr; good input exit 0; never a traceback, a hang or a half-written
output; ``--json`` prints valid JSON (no ``NaN``/``Infinity``); no control character of the
input reaches the terminal; no numpy warning is mixed into the problem lines. Each case runs
under a time cap (an alarm turns a hang into a failure) and its peak memory is measured (the
resident set's high-water mark, reset before the case where Linux allows it).

Used by tests/robustness/test_corpus.py, test_fuzz.py (the fast slice in ``make test``) and
fuzz.py (``make fuzz``, 10,000 cases).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from factions.cli import app

__all__ = ["Case", "Outcome", "peak_rss", "run_case"]

#: Seconds a case may take before it counts as a hang.
TIME_CAP = 20.0
#: Bytes of resident memory a case may reach.
MEMORY_CAP = 2 * 1024**3

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
_runner = CliRunner()


@dataclass
class Case:
    """Input files (name -> bytes, written into a fresh folder) and a command line.

    ``argv`` may use ``{dir}`` (the folder), ``{file}`` (the first file) and ``{out}``
    (a path for ``--out`` that does not exist yet). ``special`` names a file to make a
    FIFO, a link to /dev/zero, a directory, or to leave missing, instead of writing it.
    """

    name: str
    files: dict[str, bytes]
    argv: list[str]
    special: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    case: str
    argv: list[str]
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_bytes: int | None
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


class _Hang(BaseException):
    """Raised by the alarm when a case runs past its time cap."""


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def ring(signum: int, frame: Any) -> None:
        raise _Hang()

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss() -> int | None:
    """This process's resident-set high-water mark in bytes (Linux), else None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _materialise(case: Case, folder: Path) -> dict[str, str]:
    names: dict[str, str] = {"dir": str(folder), "out": str(folder / "out")}
    for i, (name, content) in enumerate(case.files.items()):
        path = folder / name
        kind = case.special.get(name)
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "devzero":
            path.symlink_to("/dev/zero")
        elif kind == "dir":
            path.mkdir()
        elif kind == "missing":
            pass
        else:
            path.write_bytes(content)
        if i == 0:
            names["file"] = str(path)
    return names


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def run_case(case: Case, folder: Path, *, time_cap: float = TIME_CAP) -> Outcome:
    """Run ``case`` in ``folder`` (empty), check every promise, and say what failed."""
    names = _materialise(case, folder)
    argv = [a.format(**names) for a in case.argv]
    before = _listing(folder)
    reset = _reset_peak()
    start = time.perf_counter()
    failures: list[str] = []
    exit_code: int | None = None
    stdout = stderr = ""
    cwd = os.getcwd()
    try:
        os.chdir(folder)
        with _alarm(time_cap):
            result = _runner.invoke(app, argv, catch_exceptions=True)
        exit_code = result.exit_code
        stdout, stderr = result.stdout, result.stderr
        exc = result.exception
        if isinstance(exc, _Hang):
            failures.append(f"hang: over {time_cap:g} s")
        elif exc is not None and not isinstance(exc, SystemExit):
            failures.append(f"traceback: {type(exc).__name__}: {str(exc)[:200]}")
    except _Hang:
        failures.append(f"hang: over {time_cap:g} s")
    finally:
        os.chdir(cwd)
    seconds = time.perf_counter() - start
    peak = peak_rss() if reset else None
    if seconds > time_cap and not any(f.startswith("hang") for f in failures):
        failures.append(f"hang: {seconds:.1f} s")
    if peak is not None and peak > MEMORY_CAP:
        failures.append(f"memory: {peak / 1024**3:.2f} GiB")
    if not failures:
        failures += _check_output(argv, exit_code, stdout, stderr)
        failures += _check_files(folder, before, names["out"], exit_code, argv)
    return Outcome(case.name, argv, exit_code, stdout, stderr, seconds, peak, failures)


def _check_output(argv: list[str], code: int | None, stdout: str, stderr: str) -> list[str]:
    out: list[str] = []
    if code not in (0, 2):
        out.append(f"exit status {code} (expected 0 or 2)")
    if "Traceback" in stderr or "Traceback" in stdout:
        out.append("a traceback was printed")
    if "Warning:" in stderr:
        out.append("a warning was mixed into the output")
    if _CONTROL.search(stderr) or _CONTROL.search(stdout):
        out.append("a control character reached the terminal")
    if code == 2:
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        if not lines:
            out.append("exit 2 without a problem line")
        bad = [ln for ln in lines if ": " not in ln]
        if bad:
            out.append(f"not a 'path: message' line: {bad[0][:120]!r}")
    if code == 0 and "--json" in argv:
        try:
            json.loads(stdout, parse_constant=_reject_constant)
        except ValueError as e:
            out.append(f"--json printed invalid JSON: {e}")
    return out


def _check_files(
    folder: Path, before: set[str], out_dir: str, code: int | None, argv: list[str]
) -> list[str]:
    after = _listing(folder)
    new = sorted(after - before)
    out_name = os.path.relpath(out_dir, folder)
    wrote = "--out" in argv and out_dir in argv and code == 0
    expected = {out_name, *(f"{out_name}/{f}" for f in _OUT_FILES)} if wrote else set()
    extra = [p for p in new if p not in expected]
    problems = []
    if extra:
        problems.append(f"left behind: {extra[:3]}")
    if wrote and not expected <= after:
        problems.append(f"--out is incomplete: {sorted(expected - after)}")
    return problems


_OUT_FILES = ("result.json", "forecast.txt", "scenario.yaml")
