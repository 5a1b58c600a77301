"""Calibrations as data: scenarios take structural coefficients from a calibration,
override them, and ensembles sample them (the manifest records the calibration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factions.calibration.store import (
    BUILTIN,
    builtin_path,
    calibrated_dynamics,
    load_calibration,
    structural,
)
from factions.ensemble.runner import run_ensemble
from factions.ensemble.sampling import draw, uncertain_params
from factions.errors import ScenarioError
from factions.scenario.arrays import to_arrays
from factions.scenario.io import load_scenario, parse_scenario


def test_builtin_calibrations_ship_and_load() -> None:
    for name in BUILTIN:
        cal = load_calibration(name)
        assert cal.target == name
        assert cal.path == builtin_path(name).resolve()
        assert cal.data["format"] == "factions-calibration"
        for c in cal.data["coefficients"].values():
            assert c["low"] <= c["high"]
            assert len(c["draws"]) >= 100


def test_scenario_takes_and_overrides_calibrated_coefficients(minimal: dict[str, Any]) -> None:
    arms = load_calibration("arms")
    minimal["dynamics"] = {"calibration": "arms"}
    s = parse_scenario(minimal)
    dyn = calibrated_dynamics(s)
    assert dyn.fear == arms.coefficient("fear")["estimate"]
    assert dyn.restraint == arms.coefficient("restraint")["estimate"]
    minimal["dynamics"]["coefficients"] = {
        "fear": {"value": 0.2, "low": 0.1, "high": 0.3, "judgment": "a civil war, not a rivalry"}
    }
    s = parse_scenario(minimal)
    dyn = calibrated_dynamics(s)
    assert dyn.fear == 0.2
    assert dyn.restraint == arms.coefficient("restraint")["estimate"]
    by_name = {c.name: c for c in structural(s)}
    assert by_name["fear"].source == "scenario: judgment"
    assert (by_name["fear"].low, by_name["fear"].high) == (0.1, 0.3)
    assert by_name["restraint"].draws == tuple(arms.coefficient("restraint")["draws"])


def test_unknown_coefficient_and_missing_calibration_are_reported(
    minimal: dict[str, Any], tmp_path: Path
) -> None:
    minimal["dynamics"] = {"coefficients": {"hubris": {"value": 1}}}
    with pytest.raises(ScenarioError, match="unknown coefficient"):
        parse_scenario(minimal)
    minimal["dynamics"] = {"calibration": str(tmp_path / "none.json")}
    s = parse_scenario(minimal)
    with pytest.raises(ScenarioError, match=r"dynamics\.calibration: no calibration"):
        calibrated_dynamics(s)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else"}), "utf-8")
    minimal["dynamics"] = {"calibration": str(bad)}
    with pytest.raises(ScenarioError, match="not a factions calibration file"):
        calibrated_dynamics(parse_scenario(minimal))


def test_ensemble_samples_the_calibration_and_records_it(tmp_path: Path) -> None:
    # iraq-2008 on the standard sequence with the arms calibration (the shipped scenario
    # runs the bounded steps, which Richardson's coefficients do not enter)
    s = load_scenario("iraq-2008")
    dyn = s.dynamics.model_copy(update={"calibration": "arms", "steps": None})
    s = s.model_copy(update={"dynamics": dyn})
    params = uncertain_params(s, to_arrays(s))
    paths = [p.path for p in params]
    assert "dynamics.coefficients.restraint" in paths
    m = paths.index("dynamics.coefficients.restraint")
    values = draw(params, 64, seed=1)[:, m]
    draws = np.asarray(load_calibration("arms").coefficient("restraint")["draws"])
    assert draws.min() <= values.min() < values.max() <= draws.max()
    res = run_ensemble(s, runs=8, seed=2, out=tmp_path)
    cal = res.manifest["calibration"]
    assert cal["ref"] == "arms"
    assert cal["sha256"] == load_calibration("arms").sha256
    assert "dynamics.coefficients.restraint" in res.manifest["inputs"]


def test_sensitivity_ranks_structural_coefficients_with_the_inputs(
    minimal: dict[str, Any], tmp_path: Path
) -> None:
    from factions.ensemble.sensitivity import run_sensitivity

    minimal["stances"][0]["position"] = {"value": 2, "low": 0, "high": 5}
    minimal["dynamics"] = {"calibration": "arms"}
    minimal["questions"] = [{"id": "q", "text": "Forecast?", "kind": "value", "series": "issue:x"}]
    res = run_sensitivity(parse_scenario(minimal), runs=40, seed=0, out=tmp_path)
    ranked = [row["input"] for row in res.rankings["q"]]
    assert set(ranked) == {
        "stances.0.position",
        "dynamics.coefficients.fear",
        "dynamics.coefficients.restraint",
    }
    # The position drives the forecast; the coefficients do not move a bargaining-only run.
    assert ranked[0] == "stances.0.position"
