"""The ensemble, runs and sensitivity commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from factions.cli import app

runner = CliRunner()


def test_ensemble_json_and_runs_commands(tmp_path: Path) -> None:
    args = ["ensemble", "iraq-2008", "--runs", "40", "--seed", "3", "--runs-dir", str(tmp_path)]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    agg = json.loads(r.stdout)
    assert agg["members"] == 40
    assert 0 <= agg["questions"]["alliance-breaks"]["probability_yes"] <= 1
    r = runner.invoke(app, args)
    assert r.exit_code == 0
    assert "Answers (probability across the ensemble)" in r.stdout
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    r = runner.invoke(app, ["runs", "list", "--runs-dir", str(tmp_path)])
    assert r.exit_code == 0
    assert "complete" in r.stdout
    r = runner.invoke(app, ["runs", "list", "--runs-dir", str(tmp_path), "--json"])
    assert [m["run_id"] for m in json.loads(r.stdout)] == [run_dir.name]
    r = runner.invoke(app, ["runs", "show", run_dir.name, "--runs-dir", str(tmp_path), "--json"])
    assert r.exit_code == 0
    shown = json.loads(r.stdout)
    assert shown["manifest"]["status"] == "complete"
    assert shown["manifest"]["runs"] == 40
    assert shown["aggregates"] == agg
    r = runner.invoke(app, ["runs", "rm", run_dir.name, "--runs-dir", str(tmp_path)])
    assert r.exit_code == 0
    assert not run_dir.exists()


def test_bad_ensemble_arguments_exit_2(tmp_path: Path) -> None:
    cases = [
        (["ensemble", "--runs", "0"], "Invalid value for '--runs'"),
        (["ensemble", "--method", "grid"], "Invalid value for '--method'"),
        (["ensemble", "--backend", "cloud"], "Invalid value for '--backend'"),
        (["ensemble", "--seed", "-1"], "Invalid value for '--seed'"),
        (["sensitivity", "--seed", "-1"], "Invalid value for '--seed'"),
        (["ensemble", "--workers", "0"], "Invalid value for '--workers'"),
        (["ensemble", "--scheduler", "tcp://x:1"], "--scheduler needs --backend dask"),
        (["ensemble", "--backend", "dask", "--scheduler", "x:1"], "tcp://"),
        (["ensemble", "-m", "oracle", "-n", "2", "--runs-dir", str(tmp_path)], "'--model'"),
        (["runs", "show", "nope", "--runs-dir", str(tmp_path)], "no run 'nope'"),
        (["runs", "show", "../etc", "--runs-dir", str(tmp_path)], "not a run id"),
        (["sensitivity", "--method", "morris"], "Invalid value for '--method'"),
    ]
    for args, message in cases:
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.output


def test_sensitivity_json(tmp_path: Path) -> None:
    r = runner.invoke(app, ["sensitivity", "iraq-2008", "--runs", "60", "--runs-dir", str(tmp_path),
                            "--json", "--top", "3"])  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["method"] == "prcc"
    assert all(len(v) <= 3 for v in data["questions"].values())
