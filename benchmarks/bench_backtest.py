"""Time ``factions backtest`` on the 258 DEU III issues: every model, all splits.

Run: ``.venv/bin/python benchmarks/bench_backtest.py [--repeat 3] [--data FILE]``. Prints
the median wall time of the whole backtest (import, every engine, the naive and fitted
probabilistic models, the scores and the bootstrap) and each model's own time, with the
machine and its load. Target (issue 9): under 60 s on 2 cores. Data: the project's copy,
``tests/data/deu3/deu3-dev.csv``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from factions.backtest.cases import load_cases
from factions.backtest.runner import ALL_MODELS, backtest

DATA = Path(__file__).parents[1] / "tests" / "data" / "deu3" / "deu3-dev.csv"


from _machine import machine_line  # noqa: E402 (this folder is on sys.path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    walls: list[float] = []
    per_model: dict[str, list[float]] = {m: [] for m in ALL_MODELS}
    n = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        lib = load_cases(args.data)
        result = backtest(lib, ALL_MODELS)
        walls.append(time.perf_counter() - t0)
        n = result["dataset"]["n_issues"]
        for m in ALL_MODELS:
            per_model[m].append(result["models"][m]["seconds"])
    print(machine_line())
    print(f"{len(lib.scenarios)} proposals, {n} scored issues; median of {args.repeat}")
    print("| model | seconds |\n|---|---|")
    for m in ALL_MODELS:
        print(f"| {m} | {statistics.median(per_model[m]):.2f} |")
    print(f"| **whole backtest** | **{statistics.median(walls):.2f}** |")


if __name__ == "__main__":
    main()
