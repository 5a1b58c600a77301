"""Every number a user reads says what it is, and verdicts come with their reason (item 10)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from factions import load_scenario, simulate
from factions.cli import app
from factions.scenario.schema import Scenario
from factions.steps import STANDARD_SEQUENCE
from factions.story import story

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _standard(name: str) -> Scenario:
    """The scenario on the standard sequence (Richardson's race) with the judgment
    coefficients (fear 0.4, restraint 0.3), not a calibration."""
    s = load_scenario(name)
    update = {"calibration": None, "steps": list(STANDARD_SEQUENCE)}
    return s.model_copy(update={"dynamics": s.dynamics.model_copy(update=update)})


def _lines(name: str, judgment: bool = False) -> list[str]:
    s = _standard(name) if judgment else load_scenario(name)
    return [ln for m in story(simulate(s, "mean")) for ln in m.lines]


def test_story_numbers_are_never_minus_zero_and_changes_show() -> None:
    lines = _lines("iraq-2008") + _lines(str(EXAMPLES / "arms-race.yaml"))
    assert lines
    for ln in lines:
        assert "-0.00" not in ln, ln
        m = re.search(r"from ([+-]\d\.\d+) to ([+-]\d\.\d+)", ln)
        if m:
            assert m.group(1) != m.group(2), ln  # never "+0.50 to +0.50"


def test_story_explains_arms_race_verdicts_with_the_armed_capabilities() -> None:
    # The shipped iraq-2008 runs the bounded race, which levels off (docs/model.md); on the
    # standard sequence the judgment coefficients give a Richardson race that starts and
    # one that stops.
    race = [ln for ln in _lines("iraq-2008", judgment=True) if "arms race" in ln]
    assert race
    for ln in race:
        assert "growth rate" in ln, ln
        assert "armed capability" in ln, ln
    assert any("no longer feeds on itself" in ln for ln in race)
    joint = [ln for ln in _lines("iraq-2008") if "joint list" in ln]
    for ln in joint:
        assert "threshold" in ln, ln


def test_run_says_armed_capability_and_why_each_verdict() -> None:
    import io

    from rich.console import Console

    from factions.cli import render_run

    console = Console(width=400, file=io.StringIO(), record=True)
    render_run(simulate(load_scenario("iraq-2008"), "mean"), console)
    text = console.export_text()
    assert "armed capability" in text
    assert "not the armed_strength resource" in text
    # the verdict's reason, not just "stable": the bounded race names its deciding factor
    assert "decided by" in text
    assert "armed strength" not in text
    console = Console(width=400, file=io.StringIO(), record=True)
    render_run(simulate(_standard("iraq-2008"), "mean"), console)
    assert "each other's main rival" in console.export_text()  # Richardson's reason
    r = CliRunner().invoke(app, ["run", "iraq-2008"])
    assert r.exit_code == 0


def test_the_story_tells_each_clash_on_its_month() -> None:
    """Each clash the run draws (``run --json``'s ``clashes``) is a line of the story in
    its month, naming the pair."""
    from factions.forecast import trajectory_json

    result = simulate(load_scenario("iraq-2008"), "mean", seed=0)  # the CLI's default seed
    months = story(result)
    assert result.trajectory is not None
    drawn = trajectory_json(result)["clashes"]
    assert drawn  # seed 0 draws two (the Sadrists and the U.S.), so the check is not vacuous
    told = [(m.date, ln) for m in months for ln in m.lines if ln.startswith("Armed clash between")]
    assert len(told) == len(drawn)
    for c, (date, line) in zip(drawn, told, strict=True):
        assert c["date"] == date
        assert f"{c['pair'][0]} and {c['pair'][1]}" in line
