"""The scenario format: what is accepted, and the messages for what is not."""

from __future__ import annotations

from typing import Any

import pytest

from factions.errors import ScenarioError
from factions.scenario.io import parse_scenario
from factions.scenario.schema import Scenario, Uncertain, value_of


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return [str(p) for p in info.value.problems]


def test_minimal_scenario_is_valid(minimal: dict[str, Any]) -> None:
    s = parse_scenario(minimal)
    assert s.id == "mini"
    assert s.actor_ids == ["a", "b"]
    assert s.issue_ids == ["x"]
    assert s.stances[1].salience == 100


def test_uncertain_quantities_and_provenance(minimal: dict[str, Any]) -> None:
    minimal["stances"][0]["salience"] = {
        "value": 60,
        "low": 50,
        "high": 75,
        "source": "a quote",
    }
    minimal["stances"][1]["position"] = {"value": 8, "judgment": "my reading"}
    s = parse_scenario(minimal)
    sal = s.stances[0].salience
    assert isinstance(sal, Uncertain)
    assert (sal.value, sal.low, sal.high, sal.source) == (60, 50, 75, "a quote")
    assert value_of(sal) == 60
    assert value_of(s.stances[1].position) == 8
    assert value_of(s.stances[1].salience) == 100


def test_salience_out_of_range_names_path_and_value(minimal: dict[str, Any]) -> None:
    minimal["stances"][1]["salience"] = 170
    assert problems(minimal) == ["stances.1.salience: must be between 0 and 100, got 170"]


def test_uncertain_range_checked(minimal: dict[str, Any]) -> None:
    minimal["stances"][0]["salience"] = {"value": 50, "low": 40, "high": 120}
    assert problems(minimal) == ["stances.0.salience: high must be between 0 and 100, got 120"]
    minimal["stances"][0]["salience"] = {"value": 30, "low": 40, "high": 60}
    (msg,) = problems(minimal)
    assert msg.startswith("stances.0.salience: need low <= value <= high")
    minimal["stances"][0]["salience"] = {"value": 30, "low": 20}
    assert problems(minimal) == ["stances.0.salience: give both low and high, or neither"]


def test_unknown_actor_in_tie(minimal: dict[str, Any]) -> None:
    minimal["ties"] = [{"a": "a", "b": "zed", "strength": 0.5}]
    assert problems(minimal) == ["ties.0.b: unknown actor 'zed'"]


def test_tie_strength_and_self_tie(minimal: dict[str, Any]) -> None:
    minimal["ties"] = [
        {"a": "a", "b": "a", "strength": 0.5},
        {"a": "a", "b": "b", "strength": -1.5},
    ]
    assert problems(minimal) == [
        "ties.0: a tie needs two different actors, got 'a' twice",
        "ties.1.strength: must be between -1 and 1, got -1.5",
    ]


def test_duplicate_ids_and_stances(minimal: dict[str, Any]) -> None:
    minimal["actors"].append({"id": "a", "name": "Again"})
    minimal["stances"].append({"actor": "b", "issue": "x", "position": 1, "salience": 1})
    assert problems(minimal) == [
        "actors.2.id: duplicate id 'a' (first used at actors.0)",
        "stances.2: 'b' already has a stance on 'x' (stances.1)",
    ]


def test_position_must_lie_on_scale(minimal: dict[str, Any]) -> None:
    minimal["stances"][0]["position"] = 12
    assert problems(minimal) == [
        "stances.0.position: must be on the scale of 'x' (0 to 10), got 12"
    ]


def test_field_errors(minimal: dict[str, Any]) -> None:
    del minimal["actors"][0]["name"]
    minimal["actors"][1]["kind"] = "gang"
    minimal["actors"][1]["colour"] = "red"
    minimal["stances"][0]["position"] = "far left"
    minimal["metadata"]["date"] = "yesterday"
    got = problems(minimal)
    assert "actors.0.name: required field is missing" in got
    assert any(g.startswith("actors.1.kind: must be one of 'party'") for g in got)
    assert "actors.1.colour: unknown field (not part of the scenario format)" in got
    assert "stances.0.position: must be a number, got 'far left'" in got
    assert "metadata.date: must be a date as YYYY-MM-DD, got 'yesterday'" in got
    assert len(got) == 5


def test_non_finite_numbers_rejected(minimal: dict[str, Any]) -> None:
    minimal["stances"][0]["position"] = float("nan")
    assert problems(minimal) == ["stances.0.position: must be a finite number, got nan"]


def test_scale_and_horizon(minimal: dict[str, Any]) -> None:
    minimal["issues"][0]["scale"] = {"low": 5, "high": 5}
    minimal["metadata"]["horizon"] = "2008-01-01"
    got = problems(minimal)
    assert "metadata: horizon (2008-01-01) must be after date (2008-10-15)" in got
    assert "issues.0.scale: low (5) must be a finite number below high (5)" in got


def test_issue_without_salient_stance(minimal: dict[str, Any]) -> None:
    minimal["issues"].append({"id": "y", "name": "Y"})
    assert problems(minimal) == ["issues.1: no actor holds a stance with positive salience on 'y'"]


def test_events_and_changes(minimal: dict[str, Any]) -> None:
    minimal["events"] = [
        {
            "id": "e1",
            "date": "2008-01-01",
            "name": "Too early",
            "changes": [{"target": "resource", "actor": "q", "resource": "money", "value": 1}],
        },
        {"id": "e2", "date": "2009-01-31", "name": "Vote", "kind": "election"},
        {
            "id": "e3",
            "date": "2009-02-01",
            "name": "Bad",
            "changes": [{"target": "tie", "actor": "a", "value": 0}],
        },
    ]
    got = problems(minimal)
    assert got == [
        "events.0.date: 2008-01-01 is before the scenario's date 2008-10-15",
        "events.0.changes.0.actor: unknown actor 'q'",
        "events.1: an election event needs 'election'",
        "events.2.changes.0: a change of a tie needs 'other'",
    ]


def test_questions_reference_known_things(minimal: dict[str, Any]) -> None:
    minimal["events"] = [
        {
            "id": "vote",
            "date": "2009-01-31",
            "name": "Vote",
            "kind": "election",
            "election": {"body": "council", "seats": 10},
        },
    ]
    minimal["questions"] = [
        {"id": "q1", "text": "?", "series": "tie:a:zz", "op": "<", "threshold": 0, "by": "vote"},
        {"id": "q2", "text": "?", "series": "mood:a", "op": "<", "threshold": 0},
        {"id": "q3", "text": "?", "series": "position:a", "kind": "value"},
        {
            "id": "q4",
            "text": "?",
            "kind": "choice",
            "choices": [
                {"id": "c1", "label": "A", "series": "seats:a:vote"},
                {"id": "c2", "label": "B", "series": "resource:b:money"},
            ],
        },
        {"id": "q5", "text": "?", "series": "issue:x", "op": ">", "threshold": 1, "by": "nope"},
        {"id": "q6", "text": "?", "series": "issue:x"},
    ]
    got = problems(minimal)
    assert got == [
        "questions.0.series: unknown actor 'zz'",
        "questions.1.series: unknown series kind 'mood' (expected one of issue, position, tie, "
        "resource, capability, armed, race, lean, seats, votes, clash, joint, councils)",
        "questions.2.series: 'position:a' should have the form position:ACTOR:ISSUE",
        "questions.3.choices.1.series: unknown resource kind 'money'",
        "questions.4.by: 'nope' is neither a date (YYYY-MM-DD) nor an event id",
        "questions.5: a yes_no question needs 'op' and 'threshold' (or 'than')",
    ]


def test_question_by_accepts_dates_and_events(minimal: dict[str, Any]) -> None:
    minimal["questions"] = [
        {
            "id": "q1",
            "text": "?",
            "series": "issue:x",
            "op": ">",
            "threshold": 1,
            "by": "2009-01-31",
        },
    ]
    s = parse_scenario(minimal)
    assert str(s.questions[0].by) == "2009-01-31"


def test_not_a_mapping() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario([1, 2, 3])
    assert "must be a mapping" in str(info.value)


def test_scenario_constructed_directly_checks_references(minimal: dict[str, Any]) -> None:
    minimal["ties"] = [{"a": "a", "b": "zed", "strength": 0.5}]
    with pytest.raises(ValueError, match="unknown actor 'zed'"):
        Scenario.model_validate(minimal)


def test_models_are_frozen(minimal: dict[str, Any]) -> None:
    s = parse_scenario(minimal)
    with pytest.raises(ValueError, match="frozen"):
        s.actors[0].name = "x"  # type: ignore[misc]


def test_json_schema_covers_every_section() -> None:
    schema = Scenario.model_json_schema()
    for key in (
        "metadata",
        "actors",
        "issues",
        "stances",
        "resources",
        "ties",
        "events",
        "questions",
    ):
        assert key in schema["properties"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    "field", ["prize", "pool_factor", "unit_cost", "greed", "obs_noise", "alignment_scale"]
)
def test_the_opt_in_steps_coefficients_have_an_upper_bound(field: str) -> None:
    # Every coefficient has a range (issue 14): 1e308 would overflow the bounded steps.
    from factions.scenario.schema import Dynamics

    with pytest.raises(ValueError, match=field):
        Dynamics.model_validate({field: 1e308})
