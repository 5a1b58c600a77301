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
