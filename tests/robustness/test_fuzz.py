"""The fast slice of the fuzz harness in ``make test`` (``make fuzz`` runs 10,000 cases).

Each family of generators.py becomes a Hypothesis strategy (``st.randoms`` drives the
generator, so Hypothesis can replay and shrink a failing draw); every case goes through the
command line in-process under the harness's time cap, and must keep every promise: exit 0
or 2, a ``path: message`` line per problem, valid JSON, nothing left behind, no control
character on the terminal, no numpy warning in the output.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .generators import FAMILIES
from .harness import run_case

SLICE = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_fuzz_slice(family: str) -> None:
    @SLICE
    @given(st.randoms(use_true_random=False))
    def check(rng: random.Random) -> None:
        case = FAMILIES[family](rng)
        with tempfile.TemporaryDirectory(prefix="factions-fuzz-") as d:
            outcome = run_case(case, Path(d))
        assert outcome.ok, (case.name, outcome.argv, outcome.failures, outcome.stderr[-1500:])

    check()
