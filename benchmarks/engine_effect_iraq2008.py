"""The engine-effect table of docs/model.md ("coupling").

iraq-2008 with the bounded sequence and the ``coupling`` step, 500 members paired across
engines (the same sampled inputs), seed 0. For each engine: P(alliance-breaks), P(Da'wa wins
most seats), P(rivalry-spirals), Da'wa's contest threat and the SIIC's fighters at the
horizon, and the largest Da'wa-SIIC race index of any member in any simulated month (above
0: the race escalates). Two variants: the ``elections`` step, and ``governorate_elections``
with provincial budgets (0.02 money a month per council seat, a judgment for the table).

Run from the repository root: ``python benchmarks/engine_effect_iraq2008.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import load
from test_bounded import breaks, coupled, ensemble, idx, scenario

from factions.forecast import BatchView, evaluate
from factions.scenario.arrays import to_arrays

ENGINES = ("mean", "median", "eum", "smp")


def with_governorates(d: dict[str, Any]) -> None:
    coupled(d)
    steps = d["dynamics"]["steps"]
    d["dynamics"].update(
        steps=["governorate_elections" if s == "elections" else s for s in steps],
        provincial_budget=0.02,
    )


def main() -> None:
    print(f"load before: {load()}")
    for label, mutate in (("elections", coupled), ("governorate_elections", with_governorates)):
        sc = scenario(mutate)
        arr = to_arrays(sc)
        q = {x.id: x for x in sc.questions}
        d, s = idx(sc, "dawa"), idx(sc, "siic")
        print(f"\n{label}: engine | P(breaks) | P(Da'wa most seats) | P(spirals) | "
              "Da'wa threat | SIIC fighters | max race | threat vs mean")  # fmt: skip
        base = None
        for model in ENGINES:
            t0 = time.perf_counter()
            traj = ensemble(sc, model=model)
            took = time.perf_counter() - t0
            view = BatchView(sc, arr, traj.x, traj.forecast[:, -1], traj)
            first = evaluate(q["election-gains"], view).code == 0
            spirals = evaluate(q["rivalry-spirals"], view).code
            assert traj.threat is not None
            threat = traj.threat[:, -1, d]
            fighters = traj.resources[:, -1, s, traj.kinds.index("armed_strength")]
            if base is None:
                base = threat
            higher = f"higher in {100 * (threat > base).mean():.0f} %"
            print(
                f"  {model:6s} | {100 * breaks(sc, traj).mean():5.1f} % | "
                f"{100 * first.mean():5.1f} % | {100 * spirals.mean():4.1f} % | "
                f"{threat.mean():6.2f} | {fighters.mean():6.2f} | "
                f"{traj.growth[:, 1:, d, s].max():+.3f} | {higher} ({took:.1f} s)"
            )
    print(f"\nload after: {load()}")
    print(f"numpy {np.__version__}")


if __name__ == "__main__":
    main()
