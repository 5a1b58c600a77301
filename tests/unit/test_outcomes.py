"""Outcomes in the scenario format: what is accepted, and the messages for what is not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from factions.errors import ScenarioError
from factions.scenario.io import parse_scenario


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return [str(p) for p in info.value.problems]


def test_outcome_is_accepted(minimal: dict[str, Any]) -> None:
    minimal["outcomes"] = [
        {"issue": "x", "value": 4, "date": "2001-05-02", "source": "Gazette", "reference_point": 0}
    ]
    s = parse_scenario(minimal)
    (o,) = s.outcomes
    assert (o.issue, o.value, o.date, o.reference_point) == ("x", 4, dt.date(2001, 5, 2), 0)


def test_outcome_problems_name_the_field(minimal: dict[str, Any]) -> None:
    minimal["outcomes"] = [
        {"issue": "x", "value": 999, "source": "s", "reference_point": -5},
        {"issue": "x", "value": 1, "source": "s"},
        {"issue": "nope", "value": 1, "source": "s"},
    ]
    got = problems(minimal)
    assert any(p.startswith("outcomes.0.value: must be on the scale of 'x'") for p in got)
    assert any(p.startswith("outcomes.0.reference_point: must be on the scale") for p in got)
    assert "outcomes.1: 'x' already has an outcome (outcomes.0)" in got
    assert "outcomes.2.issue: unknown issue 'nope'" in got


def test_outcome_needs_a_source_and_a_finite_value(minimal: dict[str, Any]) -> None:
    minimal["outcomes"] = [{"issue": "x", "value": float("nan")}]
    got = problems(minimal)
    assert any(p.startswith("outcomes.0.source") for p in got)
    assert any(p.startswith("outcomes.0.value") for p in got)
