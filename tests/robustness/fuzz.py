"""``make fuzz``: run generated hostile inputs through the command line and count failures.

    python tests/robustness/fuzz.py --cases 10000 --workers 2 --seed 0

Each worker process runs its share of cases in-process (tests/robustness/harness.py: a
20 s alarm per case, the resident-set high-water mark reset and read per case); the parent
prints one line per failing case and a summary: cases, failures by kind (tracebacks, hangs,
runs over 2 GiB, invalid JSON, other broken promises), the largest peak RSS and the time.
Exit status 1 if any case failed. docs/robustness.md records the figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[2]))

from tests.robustness.generators import any_case
from tests.robustness.harness import run_case


def _worker(args: tuple[int, int, int]) -> list[dict[str, Any]]:
    seed, start, count = args
    # A safety net for the machine: no worker may map more than 8 GiB.
    resource.setrlimit(resource.RLIMIT_AS, (8 * 1024**3, 8 * 1024**3))
    out = []
    for k in range(start, start + count):
        case = any_case(random.Random(f"{seed}:{k}"))
        with tempfile.TemporaryDirectory(prefix="factions-fuzz-") as d:
            o = run_case(case, Path(d))
        out.append(
            {"k": k, "case": case.name, "argv": case.argv, "exit": o.exit_code,
             "seconds": round(o.seconds, 3), "peak": o.peak_bytes, "failures": o.failures}
        )  # fmt: skip
    return out


def _kind(failure: str) -> str:
    for key in ("traceback", "hang", "memory", "invalid JSON"):
        if key in failure:
            return key
    return "other"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--json", type=Path, help="Write every outcome here.")
    a = ap.parse_args()
    # One BLAS thread per worker: the workers already use the cores, and oversubscribed
    # BLAS threads make small matrix products many times slower (docs/robustness.md).
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    tasks = [(a.seed, s, min(a.chunk, a.cases - s)) for s in range(0, a.cases, a.chunk)]
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    ctx = mp.get_context("spawn")
    with ctx.Pool(a.workers, maxtasksperchild=20) as pool:
        for chunk in pool.imap_unordered(_worker, tasks):
            results += chunk
            for r in chunk:
                if r["failures"]:
                    print(f"FAIL {r['k']} {r['case']} {r['argv']}: {r['failures']}", flush=True)
            if len(results) % 1000 < a.chunk:
                print(f"... {len(results)} cases, {time.perf_counter() - t0:.0f} s", flush=True)
    wall = time.perf_counter() - t0
    kinds = Counter(_kind(f) for r in results for f in r["failures"])
    failed = sum(1 for r in results if r["failures"])
    exits = Counter(str(r["exit"]) for r in results)
    families = Counter(r["case"].split(":")[0] for r in results)
    peaks = [r["peak"] for r in results if r["peak"]]
    slowest = max(results, key=lambda r: r["seconds"])
    summary = {
        "cases": len(results),
        "failed": failed,
        "tracebacks": kinds["traceback"],
        "hangs_over_20s": kinds["hang"],
        "over_2GiB": kinds["memory"],
        "invalid_json": kinds["invalid JSON"],
        "other": kinds["other"],
        "exit_codes": dict(exits),
        "families": dict(families),
        "max_peak_rss_MiB": round(max(peaks) / 1024**2, 1) if peaks else None,
        "slowest_case_s": slowest["seconds"],
        "slowest_case": slowest["case"],
        "wall_s": round(wall, 1),
        "workers": a.workers,
        "seed": a.seed,
    }
    print(json.dumps(summary, indent=2))
    if a.json:
        a.json.write_text(json.dumps({"summary": summary, "results": results}), "utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
