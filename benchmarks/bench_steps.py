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
tests/unit/test_governorate_elections.py); only the time differs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from _machine import machine_line

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


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(machine_line(), "\n")
    steps(args.members, args.repeat)
    comparisons(args.repeat)
    print(machine_line())


if __name__ == "__main__":
    main()
