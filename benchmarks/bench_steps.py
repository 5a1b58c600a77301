"""Where a chunk of the shipped iraq-2008 spends its time, step by step, and two side-by-side
comparisons of a vectorised pass against the per-row path it replaced.

Run: ``.venv/bin/python benchmarks/bench_steps.py [--members 500] [--repeat 5]``.

- Each step of iraq-2008's ``dynamics.steps`` timed inside ``simulate_batch`` on one chunk of
  ``--members`` members sampled as ``factions ensemble`` samples them (model ``mean``), median
  of ``--repeat`` runs, with the whole chunk's time;
- the Latin hypercube's keyed permutation for all inputs in one pass (``_permute_all``)
  against one pass per input (``_permute``), for a chunk of the design of a million members;
- the governorate step's seats per contestant: its list's seats, split among its members
  only where a list is joint (``actor_seats``), against the largest-remainder split of every
  row of lists x members (``hare_split``), on the shapes of iraq-2008 (14 councils, 8 actors).

Both comparisons give the same values (tests/ensemble/test_sampling.py,
tests/unit/test_governorate_elections.py); only the time differs. Then two choices a
worker makes for a whole chunk (``runner.run_chunk``: the members, their sketch and their
Parquet parts), with the same results either way:

- the chunk's Parquet parts (the stored series and the members) written with dictionary
  pages (pyarrow's default) and without (``store.write_parquet_atomic``): write and read
  time, file size;
- a whole chunk in a fresh process with glibc's default allocator thresholds, with Dask's
  default ``MALLOC_TRIM_THRESHOLD_=65536`` in the environment (which also fixes glibc's
  mmap threshold at 128 KiB), and with ``backends.keep_freed_memory`` (what factions'
  ``processes`` and ``dask`` workers do): CPU seconds per chunk, median of ``--repeat``
  chunks after a warm-up chunk.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from dataclasses import replace

import numpy as np
from _machine import machine_line
from bench_engines import timed as median_time

from factions import load_scenario
from factions.dynamics.state import initial_state
from factions.dynamics.voting import hare_split
from factions.ensemble.sampling import (
    _permute,
    _permute_all,
    apply_params,
    change_values,
    coefficient_values,
    draw,
    uncertain_params,
)
from factions.scenario.arrays import to_arrays
from factions.simulate import simulate_batch
from factions.steps import Context, Month, Step, resolve
from factions.steps.governorates import actor_seats


def steps(members: int, repeat: int) -> None:
    sc = load_scenario("iraq-2008")
    arr = to_arrays(sc)
    params = uncertain_params(sc, arr)
    values = draw(params, members, 0)
    spent: dict[str, list[float]] = defaultdict(list)

    def timed(step: Step) -> Step:
        def run(month: Month, ctx: Context) -> Month:
            t0 = time.perf_counter()
            out = step.run(month, ctx)
            spent[step.name][-1] += time.perf_counter() - t0
            return out

        return replace(step, run=run)

    seq = [timed(s) for s in resolve(sc.dynamics.steps)]

    def chunk() -> None:
        for name in {s.name for s in seq}:
            spent[name].append(0.0)
        state = initial_state(arr, inputs=apply_params(arr, params, values))
        simulate_batch(
            sc, "mean", rng=np.random.default_rng(0), state=state, steps=seq,
            values=change_values(sc, params, values),
            coefficients=coefficient_values(params, values),
        )  # fmt: skip

    chunk()  # warm-up
    spent.clear()
    total = median_time(chunk, repeat)
    print(f"## iraq-2008, one chunk of {members:,} members (model mean), median of {repeat}\n")
    print(f"whole chunk (simulate_batch): {total:.3f} s\n")
    print("| step | seconds per chunk | share |")
    print("|---|---:|---:|")
    rows = sorted(((statistics.median(v), k) for k, v in spent.items()), reverse=True)
    for sec, name in rows:
        print(f"| `{name}` | {sec:.4f} | {100 * sec / total:.0f} % |")
    print()


def comparisons(repeat: int) -> None:
    print(f"## Side by side (same values; median of {repeat})\n")
    print("| what | one pass | per row / per input | speed-up |")
    print("|---|---:|---:|---:|")
    i = np.arange(500_000, 500_500, dtype=np.uint64)
    dims = len(uncertain_params(load_scenario("iraq-2008"), to_arrays(load_scenario("iraq-2008"))))
    one = median_time(lambda: _permute_all(i, 1_000_000, 0, dims), repeat)
    per = median_time(
        lambda: np.stack([_permute(i, 1_000_000, 0, d) for d in range(dims)], axis=1), repeat
    )
    print(f"| LHS permutation, 500 members x {dims} inputs | {1e3 * one:.1f} ms | "
          f"{1e3 * per:.1f} ms | {per / one:.1f}x |")  # fmt: skip

    rng = np.random.default_rng(0)
    b, g, n = 500, 14, 8
    lists = np.minimum(rng.integers(0, n, size=(b, n)), np.arange(n)[None])
    lists[rng.random(b) < 0.97] = np.arange(n)  # as in iraq-2008: nearly all run alone
    onehot = (lists[:, :, None] == np.arange(n)[None, None, :]).astype(np.float64)
    shares = rng.dirichlet(np.ones(n), size=(b, g))
    member = (shares[:, :, :, None] * onehot[:, None, :, :]).transpose(0, 1, 3, 2)
    seats = np.where(member.sum(-1) > 0, rng.integers(1, 40, size=(b, g, n)), 0)
    one = median_time(lambda: actor_seats(shares, lists, seats), repeat)
    per = median_time(
        lambda: hare_split(member.reshape(-1, n), seats.reshape(-1)).reshape(b, g, n, n).sum(2),
        repeat,
    )
    print(f"| seats per contestant, {b} members x {g} councils x {n} lists | {1e3 * one:.1f} ms | "
          f"{1e3 * per:.1f} ms | {per / one:.1f}x |")  # fmt: skip
    print()


def parquet(repeat: int) -> None:
    import tempfile
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    from factions.ensemble.runner import _context, member_outputs

    sc, arr, params = _context(load_scenario("iraq-2008").model_dump_json())
    members, series = member_outputs(
        sc, arr, params, draw(params, 1_000_000, 0, "lhs", 0, 500), "mean",
        rng=np.random.default_rng(0),
    )  # fmt: skip
    print(f"## A chunk's Parquet parts (500 members, zstd; median of {repeat})\n")
    print("| part | dictionary pages | write | read | size |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "part.parquet"
        for name, cols in (("series", series), ("members", members)):
            table = pa.table(cols)
            for label, dictionary in (("yes (pyarrow's default)", True), ("no (factions)", False)):
                write = median_time(
                    lambda t=table, u=dictionary: pq.write_table(
                        t, path, compression="zstd", use_dictionary=u
                    ),
                    repeat,
                )
                read = median_time(lambda: pq.read_table(path), repeat)
                print(f"| {name} ({table.num_rows:,} rows x {table.num_columns} columns) | "
                      f"{label} | {1e3 * write:.1f} ms | {1e3 * read:.1f} ms | "
                      f"{path.stat().st_size / 1e6:.2f} MB |")  # fmt: skip
    print()


ALLOCATOR = """
import sys, tempfile, time, statistics
from pathlib import Path
from factions import load_scenario
from factions.ensemble import backends, runner
if sys.argv[1] == "1":
    backends.keep_freed_memory()
repeat = int(sys.argv[2])
with tempfile.TemporaryDirectory() as d:
    (Path(d) / "parts").mkdir()
    js = load_scenario("iraq-2008").model_dump_json()
    cpu = []
    for i in range(repeat + 1):
        task = runner.ChunkTask(js, "mean", {}, None, i, 500 * i, 500, None, 0, d, True,
                                1_000_000)
        c = time.process_time()
        assert runner.run_chunk(task).error is None
        cpu.append(time.process_time() - c)
print(statistics.median(cpu[1:]))
"""


def allocator(repeat: int) -> None:
    import os
    import subprocess
    import sys

    print("## A whole chunk in a worker, by allocator setting (500 members, series stored)\n")
    print("| glibc allocator | CPU seconds per chunk |")
    print("|---|---:|")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    cases = {  # label: (keep_freed_memory called, environment)
        "default thresholds": ("0", clean),
        "`MALLOC_TRIM_THRESHOLD_=65536` (Dask's default for its workers)":
            ("0", {**clean, "MALLOC_TRIM_THRESHOLD_": "65536"}),
        "`keep_freed_memory` (factions' workers)": ("1", clean),
    }  # fmt: skip
    got: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(3):  # fresh processes, alternating
        for label, (tune, env) in cases.items():
            cmd = [sys.executable, "-c", ALLOCATOR, tune, str(repeat)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
            got[label].append(float(out.split()[-1]))
    for label, times in got.items():
        print(f"| {label} | {statistics.median(times):.3f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(machine_line(), "\n")
    steps(args.members, args.repeat)
    comparisons(args.repeat)
    parquet(args.repeat)
    allocator(args.repeat)
    print(machine_line())


if __name__ == "__main__":
    main()
