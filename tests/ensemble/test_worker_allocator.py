"""Worker processes reuse their freed memory (``keep_freed_memory``); the caller's process
is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import pytest

from factions.ensemble import DaskBackend, backends
from factions.ensemble.backends import LocalBackend, ProcessBackend


@dataclass(frozen=True)
class Task:
    k: int


def tuned(t: Task) -> tuple[int, int, bool]:
    """Which process ran the task, and whether its allocator was tuned."""
    return t.k, os.getpid(), backends._TUNED == [True]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt: Linux")
@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_workers_are_tuned_and_the_caller_is_not(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A LocalCluster started with Dask's defaults (as a test elsewhere does) leaves this
    # variable in the environment; ours must not add it.
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    before = backends._TUNED == [True]
    done: list[tuple[int, int, bool]] = []
    b = ProcessBackend(2) if backend == "processes" else DaskBackend(workers=2)
    b.map(tuned, [Task(k) for k in range(6)], done.append)
    assert sorted(k for k, _, _ in done) == list(range(6))
    assert all(pid != os.getpid() and ok for _, pid, ok in done)
    assert bool(backends._TUNED) == before  # this process: untouched
    LocalBackend().map(tuned, [Task(0)], done.append)
    assert done[-1][1:] == (os.getpid(), before)
    # Dask leaves its pre-spawn variables in this process's environment: not this one,
    # which would reach (and stop) the tuning of forked workers.
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt: Linux")
def test_tuning_calls_mallopt_once() -> None:
    """In a fresh process: ``mallopt`` is called twice (both thresholds) the first time and
    never again."""
    code = textwrap.dedent(
        """
        import ctypes
        calls = []
        class Libc:
            def mallopt(self, param, value):
                calls.append((param, value))
                return 1
        ctypes.CDLL = lambda name: Libc()
        from factions.ensemble.backends import MMAP_THRESHOLD, TRIM_THRESHOLD, keep_freed_memory
        keep_freed_memory()
        keep_freed_memory()
        print(calls == [(-3, MMAP_THRESHOLD), (-1, TRIM_THRESHOLD)], len(calls),
              keep_freed_memory())
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    assert out == ["True", "2", "True"]
