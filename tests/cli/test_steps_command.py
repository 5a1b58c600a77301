"""``factions steps`` lists the month's simulation steps (issue 10, item 7)."""

from __future__ import annotations

from typer.testing import CliRunner

from factions.cli import app
from factions.steps import BOUNDED_SEQUENCE, STANDARD_SEQUENCE


def test_steps_lists_the_standard_and_the_bounded_sequence() -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["steps"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "standard sequence" in res.output
    for name in set(STANDARD_SEQUENCE) | set(BOUNDED_SEQUENCE):
        assert name in res.output
    res = runner.invoke(app, ["steps", "--bounded"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "bounded sequence" in res.output


def test_steps_shows_a_scenarios_sequence() -> None:
    from factions import load_scenario

    runner = CliRunner()
    res = runner.invoke(app, ["steps", "iraq-2008"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "the sequence of iraq-2008 (dynamics.steps)" in res.output
    steps = load_scenario("iraq-2008").dynamics.steps
    assert steps is not None
    numbered = [ln.split("│")[2].strip() for ln in res.output.splitlines()
                if ln.startswith("│") and ln.split("│")[1].strip().isdigit()]  # fmt: skip
    assert numbered == steps
    res = runner.invoke(app, ["steps", "emission-standards"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "standard sequence" in res.output
    res = runner.invoke(app, ["steps", "no-such-scenario"])
    assert res.exit_code == 2
