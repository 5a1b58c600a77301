"""Opt-in (``FACTIONS_FULL_CALIBRATION=1``, about 45 s of CPU): the built-in calibration
files are what ``factions calibrate TARGET`` computes from the shipped data today.

The fast suite checks small fits (test_cli_calibrate.py); this one reruns the full default
fits and compares every estimate, draw and score with the shipped files.
"""

from __future__ import annotations

import os

import pytest

from factions.calibration.command import run_target
from factions.calibration.store import load_calibration

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("FACTIONS_FULL_CALIBRATION") != "1",
        reason="opt-in full fit: set FACTIONS_FULL_CALIBRATION=1",
    ),
]


@pytest.mark.parametrize("target", ["elections", "arms"])
def test_builtin_calibration_is_reproduced(target: str) -> None:
    shipped = load_calibration(target).data
    fit = run_target(target, None, seed=0, bootstrap=200, cutoff=None, progress=False)
    fresh = fit.calibration_file()
    assert fresh["data"] == shipped["data"]
    assert fresh["split"] == shipped["split"]
    for side in ("model", "baseline"):
        for metric, value in shipped["scores"][side].items():
            assert fresh["scores"][side][metric] == pytest.approx(value, rel=1e-9), metric
    for name, c in shipped["coefficients"].items():
        got = fresh["coefficients"][name]
        assert got["estimate"] == pytest.approx(c["estimate"], rel=1e-9, abs=1e-12)
        assert got["draws"] == pytest.approx(c["draws"], rel=1e-9, abs=1e-12)
