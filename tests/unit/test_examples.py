"""The examples/ scenarios and the `factions new` skeleton validate and run (issue 12, 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from factions import load_scenario, simulate
from factions.cli import app
from factions.ensemble import run_ensemble

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def test_there_are_examples() -> None:
    assert len([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("*.csv")]) >= 3


@pytest.mark.parametrize(
    ("name", "model"),
    [("coalition.yaml", "mean"), ("arms-race.yaml", "mean"), ("ktab-water.csv", "smp")],
)
def test_example_runs_and_answers(name: str, model: str, tmp_path: Path) -> None:
    s = load_scenario(EXAMPLES / name)
    result = simulate(s, model, seed=0)
    assert result.forecast.shape == (len(s.issues),)
    data = result.to_json()
    for q in data["questions"]:
        assert q["answered"], q  # every question is answered
    r = runner.invoke(app, ["run", str(EXAMPLES / name), "--model", model])
    assert r.exit_code == 0, r.output


def test_arms_race_example_is_uncertain_about_the_spiral(tmp_path: Path) -> None:
    res = run_ensemble(load_scenario(EXAMPLES / "arms-race.yaml"), runs=100, seed=0, out=tmp_path)
    p = res.aggregates["questions"]["race-spirals"]["probability_yes"]
    assert 0.0 < p < 1.0


def test_coalition_example_elects_a_parliament() -> None:
    result = simulate(load_scenario(EXAMPLES / "coalition.yaml"), "mean")
    (election,) = result.to_json()["elections"]
    assert sum(election["seats"].values()) == 150


def test_new_writes_a_commented_skeleton_that_validates_and_runs(tmp_path: Path) -> None:
    r = runner.invoke(app, ["new", "my-first", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    path = tmp_path / "my-first.yaml"
    text = path.read_text("utf-8")
    assert text.count("# ") >= 10  # commented
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
    s = load_scenario(path)
    assert s.id == "my-first"
    data = simulate(s, "mean").to_json()
    assert all(q["answered"] for q in data["questions"])
    again = runner.invoke(app, ["new", "my-first", "--out", str(tmp_path)])
    assert again.exit_code == 2
    assert "exists already" in again.stderr
    assert path.read_text("utf-8") == text
    bad = runner.invoke(app, ["new", "../escape", "--out", str(tmp_path)])
    assert bad.exit_code == 2
    assert "NAME: must be an identifier" in bad.stderr


def test_readme_names_every_extra() -> None:
    """The README says how to add each extra that `make run` leaves out (item 16)."""
    import tomllib

    root = EXAMPLES.parent
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    readme = (root / "README.md").read_text("utf-8")
    assert "`make run` installs the core only" in readme
    for name in extras:
        if name != "dev":
            assert f'".[{name}]"' in readme, name
