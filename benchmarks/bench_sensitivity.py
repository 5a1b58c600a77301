"""Sensitivity: the README's ``factions sensitivity iraq-2008 --runs 2000``, end to end.

Run: ``.venv/bin/python benchmarks/bench_sensitivity.py [--repeat 3] [--runs 2000]``.
Prints a Markdown table for docs/benchmarks.md:

- the wall time of the command itself (a fresh Python process, a fresh runs directory, so
  no resume: import, sampling, the ensemble, the PRCC of every input for every question),
  median of ``--repeat`` runs; the target is under 5 s on 2 cores;
- the PRCC step alone on that run's ``(members, inputs)`` table: the vectorised
  :func:`~factions.ensemble.sensitivity.prcc` (one rank transform, one inverse) against the
  textbook :func:`~factions.ensemble.sensitivity.prcc_by_regression` (two least-squares
  fits per input and question), and the largest difference between the two.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import machine_line


def command_seconds(runs: int) -> float:
    """Wall time of ``factions sensitivity iraq-2008 --runs N --json`` in a fresh process."""
    exe = Path(sys.executable).parent / "factions"
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [str(exe), "sensitivity", "iraq-2008", "--runs", str(runs), "--runs-dir", tmp,
             "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        return time.perf_counter() - t0


def prcc_seconds(runs: int) -> tuple[float, float, float, int, int]:
    """(vectorised s, per-input regressions s, max |difference|, inputs, questions)."""
    import numpy as np

    from factions import load_scenario
    from factions.ensemble import run_ensemble
    from factions.ensemble.sensitivity import outputs_from_run, prcc, prcc_by_regression

    s = load_scenario("iraq-2008")
    with tempfile.TemporaryDirectory() as tmp:
        res = run_ensemble(s, runs=runs, seed=0, out=Path(tmp))
        _, x, outputs = outputs_from_run(res.run.path, s)
    ys = np.column_stack(list(outputs.values()))
    t0 = time.perf_counter()
    r_fast, _ = prcc(x, ys)
    fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    r_slow = np.column_stack([prcc_by_regression(x, ys[:, k])[0] for k in range(ys.shape[1])])
    slow = time.perf_counter() - t0
    diff = float(np.nanmax(np.abs(r_fast - r_slow)))
    return fast, slow, diff, x.shape[1], ys.shape[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-regression", action="store_true", help="Skip the slow reference.")
    args = ap.parse_args()
    times = [command_seconds(args.runs) for _ in range(args.repeat)]
    print(machine_line())
    print()
    print("| step | members | seconds |")
    print("|---|---|---|")
    print(
        f"| `factions sensitivity iraq-2008 --runs {args.runs}` (median of {args.repeat}; "
        f"all: {', '.join(f'{t:.2f}' for t in times)}) | {args.runs} | "
        f"{statistics.median(times):.2f} |"
    )
    if not args.skip_regression:
        fast, slow, diff, p, q = prcc_seconds(args.runs)
        print(f"| PRCC, vectorised ({p} inputs x {q} questions) | {args.runs} | {fast:.3f} |")
        print(f"| PRCC, 2 regressions per input and question | {args.runs} | {slow:.1f} |")
        print(f"\nlargest |difference| between the two PRCCs: {diff:.1e}")


if __name__ == "__main__":
    main()
