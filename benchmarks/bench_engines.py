"""Time the bargaining engines on the cases the engines issue names.

Run: ``.venv/bin/python benchmarks/bench_engines.py [--repeat 3]``. Prints a Markdown table
(median of the repeats, seconds) with the machine it ran on; paste it into
docs/benchmarks.md. Cases:

- smp on dummyData-a080 (one run) and dummyData-a160 (one run);
- smp on SOE-Pol-Comp as a batch of 1,000 perturbed members;
- eum on emission-standards as a batch of 10,000 perturbed members.

Perturbed members: positions and saliences jittered by up to +-5 points (of 100),
capabilities by up to +-10 %, from a fixed seed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from factions.engines import ENGINES
from factions.scenario.arrays import ScenarioArrays, to_arrays
from factions.scenario.io import load_scenario

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "ktab"


from _machine import machine_line  # noqa: E402 (this folder is on sys.path)


def batch(a: ScenarioArrays, b: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """``b`` perturbed copies of a scenario's arrays (positions on [0, 1])."""
    rng = np.random.default_rng(seed)
    x = np.clip(a.to_unit(a.positions)[None] + rng.uniform(-0.05, 0.05, (b, a.n, a.d)), 0, 1)
    s = np.clip(a.salience[None] + rng.uniform(-0.05, 0.05, (b, a.n, a.d)), 0, 1)
    s = s / np.maximum(1.0, s.sum(axis=2, keepdims=True))
    c = a.capability[None] * rng.uniform(0.9, 1.1, (b, a.n))
    return x, s, c


def single(a: ScenarioArrays) -> tuple[np.ndarray, ...]:
    return a.to_unit(a.positions)[None], a.salience[None], a.capability[None]


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases: list[tuple[str, str, str, Callable[[], object]]] = []
    if "smp" in ENGINES:
        smp = ENGINES["smp"].run
        for name in ("dummyData-a080", "dummyData-a160"):
            x, s, c = single(to_arrays(load_scenario(DATA / f"{name}.csv")))
            cases.append(
                (
                    f"smp, {name}, one run",
                    "< 0.5 s" if "080" in name else "-",
                    name,
                    lambda x=x, s=s, c=c: smp(x, s, c),
                )
            )
        x, s, c = batch(to_arrays(load_scenario("soe-reform")), 1000)
        cases.append(("smp, SOE-Pol-Comp, 1,000 members", "< 10 s", "soe", lambda: smp(x, s, c)))
    eum = ENGINES["eum"].run
    xe, se, ce = batch(to_arrays(load_scenario("emission-standards")), 10_000)
    cases.append(
        ("eum, emission-standards, 10,000 members", "< 2 s", "bdm", lambda: eum(xe, se, ce))
    )
    try:
        import jax

        def eum_jax() -> object:
            return eum(xe, se, ce, kernels="jax")

        eum_jax()  # compile once: the timing is of the compiled kernels
        device = jax.devices()[0].platform
        label = f"eum, emission-standards, 10,000 members, jax kernels ({device})"
        cases.append((label, "-", "bdm", eum_jax))
    except ImportError:  # jax is optional
        pass

    print(machine_line())
    print()
    print(f"| case | target | seconds (median of {args.repeat}) |")
    print("|---|---|---|")
    for label, target, _, fn in cases:
        print(f"| {label} | {target} | {timed(fn, args.repeat):.3f} |", flush=True)


if __name__ == "__main__":
    main()
