"""The command line, as a user (or a user's script) meets it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from factions.cli import app

runner = CliRunner()

FIVE_MISTAKES = """
metadata: {id: broken, title: Five mistakes, date: 2008-10-15}
actors:
  - {id: dawa, name: Da'wa, kind: party}
  - {id: siic, name: SIIC, kind: party}
  - {id: dawa, name: Duplicate}
issues:
  - {id: councils, name: Support Councils, scale: {low: 0, high: 100}}
stances:
  - {actor: dawa, issue: councils, position: 85, salience: 80}
  - {actor: siic, issue: councils, position: 10, salience: 170}
  - {actor: siic, issue: councils, position: 250, salience: 10}
ties:
  - {a: dawa, b: badr, strength: 0.3}
events:
  - {id: vote, date: 2009-01-31, name: Provincial elections, kind: election}
"""


def test_scenarios_lists_builtins() -> None:
    r = runner.invoke(app, ["scenarios"])
    assert r.exit_code == 0
    for name in ("iraq-2008", "emission-standards", "soe-reform"):
        assert name in r.stdout


def test_show_prints_tables() -> None:
    r = runner.invoke(app, ["show", "iraq-2008"])
    assert r.exit_code == 0
    for title in ("Actors", "Issues", "Stances", "Resources", "Ties", "Events", "Questions"):
        assert title in r.stdout
    assert "siic" in r.stdout


def test_validate_ok(tmp_path: Path) -> None:
    r = runner.invoke(app, ["validate", "iraq-2008", "soe-reform"])
    assert r.exit_code == 0
    assert "iraq-2008: valid" in r.stdout


def test_validate_counts_in_words(tmp_path: Path) -> None:
    """One of a thing is singular: '1 issue', not '1 issues'."""
    r = runner.invoke(app, ["new", "one", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["validate", str(tmp_path / "one.yaml")])
    assert r.exit_code == 0, r.output
    assert "(3 actors, 1 issue, 3 stances, " in r.stdout
    assert "1 issues" not in r.stdout


def test_validate_reports_all_five_mistakes(tmp_path: Path) -> None:
    p = tmp_path / "broken.yaml"
    p.write_text(FIVE_MISTAKES)
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 2
    lines = [ln.removeprefix(f"{p}: ") for ln in r.stderr.strip().splitlines()]
    assert lines == [
        "actors.2.id: duplicate id 'dawa' (first used at actors.0)",
        "stances.1.salience: must be between 0 and 100, got 170",
        "stances.2: 'siic' already has a stance on 'councils' (stances.1)",
        "stances.2.position: must be on the scale of 'councils' (0 to 100), got 250",
        "ties.0.b: unknown actor 'badr'",
        "events.0: an election event needs 'election'",
    ]
    assert "Traceback" not in r.output


def test_validate_mixes_good_and_bad(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text("{")
    r = runner.invoke(app, ["validate", "iraq-2008", str(p)])
    assert r.exit_code == 2
    assert "iraq-2008: valid" in r.stdout
    assert f"{p}: not valid JSON" in r.stderr


def test_run_default_is_iraq() -> None:
    r = runner.invoke(app, ["run"])
    assert r.exit_code == 0, r.output
    assert "Iraq 2008" in r.stdout
    assert "Forecast" in r.stdout
    assert "Do the Support Councils survive SIIC opposition?" in r.stdout


def test_run_json_contract() -> None:
    r = runner.invoke(app, ["run", "iraq-2008", "--json", "--seed", "4"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert {"scenario", "model", "steps", "issues", "questions"} <= set(data)
    assert (data["scenario"], data["model"], data["seed"]) == ("iraq-2008", "mean", 4)
    assert list(data["issues"]) == ["support-councils", "us-security-role", "pm-power"]
    councils = data["issues"]["support-councils"]
    assert list(councils["positions"])[:2] == ["dawa", "siic"]
    # The mean model moves nobody: Da'wa stays at 85 in every month.
    assert councils["positions"]["dawa"] == [85.0] * (data["steps"] + 1)
    assert len(councils["positions"]["siic"]) == data["steps"] + 1
    assert 0 <= councils["forecast"] <= 100
    # The political dynamics: monthly dates, ties, security pairs, elections, answers.
    assert data["dates"][0] == "2008-10-15"
    assert len(data["dates"]) == data["steps"] + 1
    assert len(data["alliances"]["dawa|siic"]) == data["steps"] + 1
    assert data["alliances"]["dawa|siic"][0] == 0.25
    pair = data["security"]["dawa|siic"]
    assert set(pair) == {"armed", "belief", "growth", "stable", "verdict"}
    # the shipped scenario runs the bounded race (docs/model.md): its verdict and why
    assert pair["verdict"].startswith(("levels off", "escalates"))
    assert "decided by" in pair["verdict"]
    (election,) = data["elections"]
    assert election["event"] == "provincial-2009"
    assert sum(election["seats"].values()) == 440
    # elections by governorate: power per council, never over the sum of the councils
    assert election["council"] == {}
    councils_2009 = election["governorates"]
    assert len(councils_2009) == 14
    assert [g["id"] for g in councils_2009] == election["districts"]
    assert sum(sum(g["seats"].values()) for g in councils_2009) == 440
    for g in councils_2009:
        assert sum(g["power"].values()) == pytest.approx(1.0)
        assert sum(g["seats"][a] for a in g["government"]) > sum(g["seats"].values()) / 2
    assert len(data["balance"]["index"]) == data["steps"] + 1
    answers = {q["id"]: q for q in data["questions"]}
    assert {"alliance-breaks", "councils-survive", "rivalry-spirals"} <= set(answers)
    assert all(q["answered"] for q in answers.values())
    assert all(q["evidence"] for q in answers.values())


def test_run_file_formats(tmp_path: Path, data_dir: Path) -> None:
    r = runner.invoke(app, ["run", str(data_dir / "ktab" / "SOE-Pol-Comp.csv"), "--json"])
    assert r.exit_code == 0
    assert list(json.loads(r.stdout)["issues"]) == ["policy", "competitive"]
    r = runner.invoke(app, ["run", str(data_dir / "bdm" / "emission_standards.csv"), "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["issues"]["issue"]["forecast"] == pytest.approx(7.38996, abs=1e-5)


def test_run_out_writes_complete_outputs(tmp_path: Path) -> None:
    out = tmp_path / "result"
    r = runner.invoke(app, ["run", "emission-standards", "--out", str(out)])
    assert r.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["forecast.txt", "result.json", "scenario.yaml"]
    assert json.loads((out / "result.json").read_text())["scenario"] == "emission-standards"
    assert (
        yaml.safe_load((out / "scenario.yaml").read_text())["metadata"]["id"]
        == "emission-standards"
    )
    assert "Forecast" in (out / "forecast.txt").read_text()
    # Running again into the same folder replaces the files, leaving no staging folders behind.
    r = runner.invoke(app, ["run", "emission-standards", "--out", str(out)])
    assert r.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nowhere.yaml"], "no such file or built-in scenario"),
        (["run", "iraq-2008", "--model", "oracle"], "Invalid value for '--model'"),
        (["run", "--seed", "-1"], "Invalid value for '--seed'"),
        (["report", "--seed", "-1"], "Invalid value for '--seed'"),
        (["serve", "--port", "0"], "Invalid value for '--port'"),
        (["show", "nowhere"], "no such file or built-in scenario"),
    ],
)
def test_bad_input_exits_2_without_traceback(args: list[str], message: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--report", "{missing}/r.html"], "--report: no such folder"),
        (["report", "--report", "{missing}/r.html"], "--report: no such folder"),
        (["ensemble", "-n", "2", "--report", "{missing}/r.html"], "--report: no such folder"),
        (["run", "--out", "{missing}/out"], "--out: no such folder"),
    ],
)
def test_outputs_into_a_missing_folder_are_refused(
    tmp_path: Path, args: list[str], message: str
) -> None:
    missing = tmp_path / "no" / "such"
    r = runner.invoke(app, [a.format(missing=missing) for a in args])
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert not (tmp_path / "no").exists()


def test_out_pointing_at_a_file_fails_cleanly(tmp_path: Path) -> None:
    f = tmp_path / "taken"
    f.write_text("keep me")
    r = runner.invoke(app, ["run", "--out", str(f)])
    assert r.exit_code == 2
    assert "exists and is not a directory" in r.stderr
    assert f.read_text() == "keep me"


def test_invalid_scenario_writes_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIVE_MISTAKES)
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", str(bad), "--out", str(out)])
    assert r.exit_code == 2
    assert not out.exists()


def test_schema_is_json() -> None:
    r = runner.invoke(app, ["schema"])
    assert r.exit_code == 0
    schema = json.loads(r.stdout)
    assert schema["title"] == "Scenario"


def test_version() -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.stdout.startswith("factions ")


def test_installed_entry_point_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIVE_MISTAKES)
    exe = Path(sys.executable).parent / "factions"
    proc = subprocess.run(
        [str(exe), "validate", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 6
    assert "Traceback" not in proc.stderr


def test_tables_never_cut_ids_at_80_columns() -> None:
    """In a pipe (80 columns) every id a user must type back is printed whole."""
    from factions import load_scenario

    r = runner.invoke(app, ["show", "iraq-2008"], env={"COLUMNS": "80"})
    assert r.exit_code == 0
    assert "…" not in r.stdout
    assert "..." not in r.stdout
    s = load_scenario("iraq-2008")
    words = set(r.stdout.replace("│", " ").split())
    for ident in [a.id for a in s.actors] + [i.id for i in s.issues] + [q.id for q in s.questions]:
        assert ident in words, ident
    # iraq-2008's actors have resources, not a stated capability: show the derived one.
    assert "(derived)" in r.stdout


def test_every_option_and_argument_has_help_and_a_readable_placeholder() -> None:
    import typer.main

    group = typer.main.get_command(app)

    def commands(cmd, path):  # type: ignore[no-untyped-def]
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from commands(sub, [*path, name])
        else:
            yield path, cmd

    seen = 0
    for path, cmd in commands(group, []):
        for p in cmd.params:
            if p.name in ("help",):
                continue
            seen += 1
            assert (getattr(p, "help", None) or "").strip(), (path, p.name)
        r = runner.invoke(app, [*path, "--help"])
        assert r.exit_code == 0
        assert "<int range>" not in r.stdout, (path, r.stdout)
    assert seen > 30
    help_run = runner.invoke(app, ["run", "--help"]).stdout
    for model in ("mean", "median", "eum", "smp"):
        assert model in help_run
