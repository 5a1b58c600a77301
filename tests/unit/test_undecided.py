"""Answers near a threshold are flagged undecided (issue 10, item 6)."""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from factions.forecast import Evaluation, undecided
from factions.scenario.io import _builtin_text, parse_scenario
from factions.scenario.schema import Question
from factions.simulate import simulate


def _q(**kw: Any) -> Question:
    return Question.model_validate({"id": "q", "text": "?", **kw})


def _ev(values: list[list[float]], step: list[int], code: list[float]) -> Evaluation:
    return Evaluation(np.array(code, float), np.array(step), np.array(values, float))


def test_a_yes_no_answer_near_its_threshold_is_undecided() -> None:
    q = _q(series="tie:a:b", op="<", threshold=0.0, undecided_within=0.05)
    ev = _ev([[0.3, 0.02], [0.3, 0.2], [0.3, -0.04], [0.3, -0.5]], [1, 1, 1, 1], [0, 0, 1, 1])
    flag = undecided(q, ev)
    assert flag is not None
    assert flag.tolist() == [True, False, True, False]


def test_a_deadline_answer_is_judged_by_its_closest_approach() -> None:
    q = _q(series="tie:a:b", op="<", threshold=0.0, by="2009-01-01", undecided_within=0.05)
    # member 0 dips just below 0 once (yes, barely); member 1 nears 0 but never crosses
    # (no, barely); member 2 crosses clearly; member 3 never comes close
    values = [[0.3, -0.01, 0.3], [0.3, 0.03, 0.3], [0.3, -0.4, 0.3], [0.3, 0.5, 0.3]]
    flag = undecided(q, _ev(values, [1, 2, 1, 2], [1, 0, 1, 0]))
    assert flag is not None
    assert flag.tolist() == [True, True, False, False]


def test_a_choice_with_two_close_leaders_is_undecided() -> None:
    q = _q(
        kind="choice",
        choices=[{"id": "x", "label": "X", "series": "tie:a:b"},
                 {"id": "y", "label": "Y", "series": "tie:a:c"}],
        undecided_within=1.0,
    )  # fmt: skip
    flag = undecided(q, _ev([[10.0, 9.5], [10.0, 5.0]], [0, 0], [0, 0]))
    assert flag is not None
    assert flag.tolist() == [True, False]


def test_without_a_margin_nothing_is_flagged_and_json_is_unchanged() -> None:
    data = yaml.safe_load(_builtin_text("iraq-2008"))
    for q in data["questions"]:  # the shipped questions carry margins: take them away
        q.pop("undecided_within", None)
        for c in q.get("all", []) + q.get("any", []):
            c.pop("undecided_within", None)
    run = simulate(parse_scenario(data), "mean")
    answers = run.to_json()["questions"]
    assert all("undecided" not in a for a in answers)


def test_a_run_reports_undecided_answers() -> None:
    data = yaml.safe_load(_builtin_text("iraq-2008"))
    for q in data["questions"]:
        if q["id"] == "councils-survive":
            q["undecided_within"] = 100.0  # everything on a 0-100 issue is within 100
        if q["id"] == "alliance-breaks":
            q["undecided_within"] = 0.0
    answers = {a["id"]: a for a in simulate(parse_scenario(data), "mean").to_json()["questions"]}
    assert answers["councils-survive"]["undecided"] is True
    assert "undecided" in answers["councils-survive"]["summary"]
    assert answers["alliance-breaks"]["undecided"] is False


def test_a_conditions_excess_is_scaled_by_its_margin() -> None:
    from factions.forecast import condition_excess

    s = np.array([[48.0, 50.0, 53.0, np.nan]])
    scaled, holds = condition_excess(s, ">=", 50.0, 2.5)
    assert holds.tolist() == [[False, True, True, False]]
    assert scaled.tolist() == [[-0.8, 0.0, 1.2, -np.inf]]
    crisp, _ = condition_excess(s, ">=", 50.0, None)  # no margin: never close
    assert crisp.tolist() == [[-np.inf, np.inf, np.inf, -np.inf]]
    exact, _ = condition_excess(s, "<", 50.0, 0.0)  # margin 0: close only when equal
    assert exact.tolist() == [[np.inf, 0.0, -np.inf, -np.inf]]
