"""The ensemble, runs and sensitivity commands."""

from __future__ import annotations

import json
import re
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


def _iraq_with(tmp_path: Path, *questions: dict[str, object]) -> Path:
    """iraq-2008 with extra questions, as a file."""
    import yaml

    from factions import load_scenario
    from factions.scenario.io import dumps_scenario

    data = yaml.safe_load(dumps_scenario(load_scenario("iraq-2008")))
    data["questions"] += list(questions)
    path = tmp_path / "iraq-plus.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


WHEN = {"id": "when-cools", "text": "When does the Dawa-SIIC tie fall below 0.45?",
        "kind": "date", "series": "tie:dawa:siic", "op": "<", "threshold": 0.45}  # fmt: skip
ALWAYS = {"id": "always", "text": "Is support for the councils ever above -1?",
          "series": "issue:support-councils", "op": ">=", "threshold": -1}  # fmt: skip


def test_ensemble_prints_dates_and_split_seat_ties(tmp_path: Path) -> None:
    path = _iraq_with(tmp_path, WHEN)
    runs = tmp_path / "runs"
    r = runner.invoke(app, ["ensemble", str(path), "-n", "30", "--runs-dir", str(runs)])
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.stdout.splitlines() if "When does the Dawa" in ln)
    assert re.search(r"(20\d\d-\d\d-\d\d|never) \d+\.\d%", line), line
    assert "step " not in r.stdout
    assert "P(most seats): ties split" in " ".join(r.stdout.split())
    assert f"Stored in {runs}" in r.stdout  # one line, never wrapped
    run_id = next(runs.iterdir()).name
    shown = runner.invoke(app, ["runs", "show", run_id, "--runs-dir", str(runs)])
    assert shown.exit_code == 0, shown.output
    assert "step " not in shown.stdout


def test_sensitivity_labels_inputs_and_says_when_an_answer_never_varies(tmp_path: Path) -> None:
    from factions import load_scenario
    from factions.labels import input_label

    path = _iraq_with(tmp_path, ALWAYS)
    args = ["sensitivity", str(path), "-n", "120", "--runs-dir", str(tmp_path / "runs")]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    s = load_scenario(str(path))
    rows = [row for rows in data["questions"].values() for row in rows]
    assert rows
    for row in rows:
        assert row["label"] == input_label(s, row["input"]) != row["input"]
    assert data["questions"]["always"] == []
    assert "never varies (yes in every member)" in data["notes"]["always"]
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "Is support for the councils ever above -1?: the answer never varies" in " ".join(
        text.stdout.split()
    )
    assert rows[0]["label"] in text.stdout
