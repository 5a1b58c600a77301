"""Wall and CPU time of ``factions calibrate elections`` and ``factions calibrate arms``.

Run: ``.venv/bin/python benchmarks/bench_calibrate.py [--repeat 3] [--bootstrap 200]``.

Each repeat runs the full command (the default 200 bootstrap refits, on the shipped data,
``--json`` so that no progress bar is drawn) in a fresh Python process, and records its wall
time, its CPU time (user + system, from ``getrusage`` of the child) and its peak resident
memory. Prints a Markdown table for docs/benchmarks.md with the medians, the machine and the
load average before the runs (other processes on the machine lengthen the wall time; the
CPU time is the steadier figure).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

#: Runs the CLI and reports the process's own peak resident memory on stderr.
CHILD = """
import resource, sys
from factions.cli import main
try:
    main()
finally:
    sys.stderr.write(f"\\nMAXRSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
"""


from _machine import machine_line  # noqa: E402 (this folder is on sys.path)


def run_once(target: str, bootstrap: int) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of one calibrate run in a new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            "calibrate",
            target,
            "--bootstrap",
            str(bootstrap),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss_kib = int(proc.stderr.strip().rsplit("MAXRSS ", 1)[-1])
    return wall, cpu, rss_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args()
    print(machine_line() + " (before the runs)")
    print()
    print("| target | bootstrap | wall s (median) | CPU s (median) | peak RSS MiB | runs |")
    print("|---|---:|---:|---:|---:|---:|")
    for target in ("elections", "arms"):
        runs = [run_once(target, args.bootstrap) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = max(r[2] for r in runs)
        print(
            f"| {target} | {args.bootstrap} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {args.repeat} |"
        )


if __name__ == "__main__":
    main()
