"""The bounded steps over a 10-year horizon for 10,000 members (issue 10, "Bounded").

Run: ``.venv/bin/python benchmarks/bench_bounded.py [--members 10000] [--chunk 2500]``.
Runs the shipped iraq-2008 (its ``dynamics.steps``: the bounded sequence with the coupling,
elections by governorate and alignment) with the horizon moved to 2018-10-15 (121 months),
members sampled as ``factions ensemble`` samples them (inputs and the structural priors), in
chunks. Checks that no actor's fighters exceed its recruitable
pool (``pool_factor`` x its strength at the start; the tribes are left out of this check,
because the Babil battalion event adds to them and an event's change is taken as given even
past the pool, after which the forces step stands the surplus down) and that no budget is
negative; prints the wall time per chunk, the machine and its load. The
test suite runs a 1,000-member slice (tests/unit/test_bounded.py).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import yaml
from _machine import machine_line

from factions.dynamics.state import initial_state
from factions.ensemble.sampling import (
    apply_params,
    change_values,
    coefficient_values,
    draw,
    uncertain_params,
)
from factions.scenario.arrays import to_arrays
from factions.scenario.io import _builtin_text, parse_scenario
from factions.simulate import simulate_batch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--chunk", type=int, default=2_500)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    data: dict[str, Any] = yaml.safe_load(_builtin_text("iraq-2008"))
    data["metadata"]["horizon"] = "2018-10-15"
    sc = parse_scenario(data)
    arr = to_arrays(sc)
    params = uncertain_params(sc, arr)
    values = draw(params, args.members, args.seed)
    ids = [a.id for a in sc.actors]
    tribes = ids.index("tribes")
    worst_over, worst_budget, walls, months = 0.0, np.inf, [], 0
    for start in range(0, args.members, args.chunk):
        v = values[start : start + args.chunk]
        t0 = time.perf_counter()
        traj = simulate_batch(
            sc, "mean", rng=np.random.default_rng(args.seed + start),
            state=initial_state(arr, inputs=apply_params(arr, params, v)),
            values=change_values(sc, params, v), coefficients=coefficient_values(params, v),
        )  # fmt: skip
        walls.append(time.perf_counter() - t0)
        months = len(traj.dates) - 1
        armed = traj.resources[..., traj.kinds.index("armed_strength")]
        factor = coefficient_values(params, v)["pool_factor"]
        pool = factor[:, None] * armed[:, 0]
        over = armed - pool[:, None, :]
        over[:, :, tribes] = 0.0  # reinforced by an event after the start (see docstring)
        worst_over = max(worst_over, float(over.max()))
        assert traj.budget is not None
        worst_budget = min(worst_budget, float(traj.budget.min()))
        assert np.isfinite(armed).all()
    print(f"members: {args.members} in chunks of {args.chunk}; months: {months}")
    print(f"largest excess of fighters over pool: {worst_over:.3g} (<= 0 means within)")
    print(f"smallest budget left in any month: {worst_budget:.3g} (>= 0 means solvent)")
    print(f"wall per chunk (s): {', '.join(f'{w:.1f}' for w in walls)}; total {sum(walls):.1f}")
    print(machine_line())
    if worst_over > 1e-9 or worst_budget < -1e-9:
        raise SystemExit("bounds violated")


if __name__ == "__main__":
    main()
