"""``factions calibrate`` on the shipped data (small bootstraps: fast), and its errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factions.calibration.data import builtin_data_dir
from factions.calibration.store import load_calibration
from factions.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("target", "names", "metrics"),
    [
        (
            "elections",
            {"beta_prev", "gamma_incumbent", "gamma_pm", "gamma_cost", "gamma_retro", "kappa"},
            {"vote_mae_pp", "seat_mae_pp", "winner_log_score"},
        ),
        (
            "arms",
            {"fear", "restraint", "sigma"},
            {"log_mae_1y", "log_mae_5y", "race_brier", "race_auc"},
        ),
    ],
)
def test_calibrate_json_on_shipped_data(target: str, names: set[str], metrics: set[str]) -> None:
    r = runner.invoke(app, ["calibrate", target, "--bootstrap", "3", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) == {"target", "data", "coefficients", "scores", "split"}
    assert out["target"] == target
    for name, sha in out["data"]["files"].items():
        path = builtin_data_dir() / name
        assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    assert names <= set(out["coefficients"])
    for c in out["coefficients"].values():
        assert set(c) == {"estimate", "low", "high"}
        assert c["low"] <= c["high"]
    assert set(out["scores"]) == {"model", "baseline"}
    assert metrics <= set(out["scores"]["model"])
    assert metrics <= set(out["scores"]["baseline"])
    assert out["split"]["kind"] == "cutoff year"


def test_calibrate_is_reproducible_under_a_seed() -> None:
    args = ["calibrate", "arms", "--bootstrap", "4", "--json", "--seed", "7"]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    other = runner.invoke(app, [*args[:-1], "8"])
    assert json.loads(other.stdout)["coefficients"] != json.loads(first.stdout)["coefficients"]


def test_calibrate_writes_file_and_page(tmp_path: Path) -> None:
    out, page = tmp_path / "arms.json", tmp_path / "arms.html"
    r = runner.invoke(
        app, ["calibrate", "arms", "--bootstrap", "3", "--out", str(out), "--report", str(page)]
    )
    assert r.exit_code == 0, r.output
    assert "fear" in r.stdout
    assert "Held-out scores" in r.stdout
    cal = load_calibration(str(out))
    assert cal.target == "arms"
    mask = os.umask(0o022)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # the usual permissions
    assert cal.data["format_version"] == 1
    assert len(cal.coefficient("fear")["draws"]) == 3
    assert cal.data["coefficients"]["restraint"]["maps_to"] == "restraint"
    assert set(cal.data["data"]["files"]) >= {"cow/cow_nmc.csv", "cow/grh_arms_races.csv"}
    html = page.read_text("utf-8")
    assert "Calibration: arms" in html
    assert "Predicted against observed" in html


def test_data_option_reads_a_users_copy(tmp_path: Path) -> None:
    shutil.copytree(builtin_data_dir() / "cow", tmp_path / "cow")
    r = runner.invoke(
        app, ["calibrate", "arms", "--data", str(tmp_path), "--bootstrap", "2", "--json"]
    )
    assert r.exit_code == 0, r.output
    nmc = tmp_path / "cow" / "cow_nmc.csv"
    lines = nmc.read_text("utf-8").splitlines()
    nmc.write_text("\n".join(["ccode,year,spending", *lines[1:]]) + "\n", "utf-8")
    r = runner.invoke(app, ["calibrate", "arms", "--data", str(tmp_path), "--json"])
    assert r.exit_code == 2
    assert "--data: cow/cow_nmc.csv: missing column(s) milex" in r.output
    assert r.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calibrate", "votes"], "TARGET: unknown target 'votes'"),
        (["calibrate", "arms", "--bootstrap", "1"], "--bootstrap: must be at least 2"),
        (["calibrate", "arms", "--data", "/nonexistent"], "--data: '/nonexistent' is not a folder"),
        (["calibrate", "elections", "--data", "."], "--data: no folder 'parlgov/'"),
        (["calibrate", "arms", "--cutoff", "1700"], "--cutoff: 1700 leaves 0"),
        (["calibrate", "arms", "--out", "/nonexistent/x.json"], "--out: cannot write"),
        (["calibrate", "elections", "--baseline", "window"], "--baseline: applies to the arms"),
        (["calibrate", "arms", "--baseline", "decade"], "--baseline: must be one of start, window"),
    ],
)
def test_bad_arguments_exit_2(args: list[str], message: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert "Traceback" not in r.output


def test_a_missing_calibration_is_reported_by_validate_and_run(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "metadata: {id: s, title: S, date: 2008-10-15, horizon: 2009-03-01}\n"
        "actors: [{id: a, name: A, capability: 60}, {id: b, name: B, capability: 40}]\n"
        "issues: [{id: x, name: X}]\n"
        "stances: [{actor: a, issue: x, position: 20, salience: 50},\n"
        "          {actor: b, issue: x, position: 80, salience: 50}]\n"
        f"dynamics: {{calibration: {tmp_path / 'none.json'}}}\n",
        "utf-8",
    )
    for command in ("validate", "run"):
        r = runner.invoke(app, [command, str(scenario)])
        assert r.exit_code == 2, r.output
        assert "dynamics.calibration: no calibration" in r.output
        assert "Traceback" not in r.output
