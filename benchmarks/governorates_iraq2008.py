"""The table of docs/model.md "Elections by governorate": the shipped iraq-2008 (14
governorates, the 2005 council bases; tests/unit/test_governorate_elections.py checks them
against the data) and the same without bases, 500 members, eum, seed 0.

Run from the repository root: ``python benchmarks/governorates_iraq2008.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit"))

from test_governorate_elections import _batch, variant


def main() -> None:
    for label, sc in (("2005 bases", variant()), ("no bases", variant(with_bases=False))):
        t0 = time.perf_counter()
        r = _batch(sc, 500, 0)
        took = time.perf_counter() - t0
        _, ge = r.councils[0]
        c = [ge.actor_ids.index(a) for a in ("dawa", "siic", "sadrists", "other-lists")]
        print(f"{label} ({took:.1f} s for the run; dawa / siic / sadrists / other-lists)")
        for g, d in enumerate(ge.district_ids):
            seats = ge.seats[:, g][:, c].mean(0).round(1)
            power = ge.council.power[:, g][:, c].mean(0).round(2)
            ingov = ge.council.government[:, g][:, c].mean(0).round(2)
            print(f"  {d:14s} seats {seats} power {power} P(in gov) {ingov}")


if __name__ == "__main__":
    main()
