"""The library's guards, one by one (issue 14): reader, dates, importers, terminal output."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest

from factions.errors import ScenarioError
from factions.scenario.importers import import_text
from factions.scenario.io import loads_scenario
from factions.scenario.reader import MAX_DEPTH, parse_document
from factions.simulate import month_dates
from factions.terminal import SafeConsole, visible


def _problems(text: str, fmt: str = "yaml") -> list[str]:
    with pytest.raises(ScenarioError) as e:
        loads_scenario(text, fmt)  # type: ignore[arg-type]
    return [str(p) for p in e.value.problems]


def test_alias_bomb_is_refused_before_it_is_built() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for k in range(1, 10):
        ref = "*a" if k == 1 else f"*b{k - 1}"
        bomb += f"b{k}: &b{k} [{', '.join([ref] * 10)}]\n"
    start = time.perf_counter()
    problems = _problems(bomb)
    assert time.perf_counter() - start < 2
    assert "expands to more than" in problems[0]


def test_recursive_alias_and_depth() -> None:
    assert "recursive YAML alias" in _problems("a: &a [1, *a]\n")[0]
    deep = "a: " + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2) + "\n"
    assert "nested more than" in _problems(deep)[0]


def test_duplicate_keys_have_paths_in_yaml_and_json() -> None:
    assert (
        _problems("metadata: {id: a, id: b}\n")[0]
        == "metadata.id: duplicate key (given more than once)"
    )
    text = json.dumps({"actors": [{"id": "a"}]}).replace('{"id": "a"}', '{"id": "a", "id": "b"}')
    assert _problems(text, "json")[0] == "actors.0.id: duplicate key (given more than once)"


def test_yaml_merge_keys_are_not_duplicates() -> None:
    data = parse_document("base: &b {x: 1}\nother:\n  <<: *b\n  x: 2\n", "yaml")
    assert data["other"] == {"x": 2}


def test_huge_integers_are_refused() -> None:
    assert "digits" in _problems("schema_version: " + "9" * 5000 + "\n")[0]
    assert "digits" in _problems('{"a": ' + "9" * 5000 + "}", "json")[0]


def test_month_dates_are_bounded_at_the_end_of_the_calendar() -> None:
    """Issue 14, item 2: month_dates looped forever past 9999-12 (date(10000, ...) raised
    ValueError and the day was decremented without end)."""
    start = time.perf_counter()
    dates = month_dates(dt.date(9999, 11, 30), dt.date(9999, 12, 31))
    assert dates == [dt.date(9999, 11, 30), dt.date(9999, 12, 30), dt.date(9999, 12, 31)]
    with pytest.raises(ScenarioError, match="at most 1200"):
        month_dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))
    assert time.perf_counter() - start < 1
    assert month_dates(dt.date(2008, 1, 31), dt.date(2008, 3, 31))[1] == dt.date(2008, 2, 29)


def test_ktab_header_counts_are_checked_before_allocation() -> None:
    """Issue 14, item 1: nDims 1e9 allocated until the kernel killed the server."""
    text = "T,d,2,{d}\nActor,Desc,Power,P1,S1\nA,a,1,10,50\nB,b,1,90,50\n"
    for d, message in (("1e9", "at most 100"), ("3", "rows that follow have 1"), ("inf", "whole")):
        start = time.perf_counter()
        with pytest.raises(ScenarioError, match=message):
            import_text(text.format(d=d), "k.csv")
        assert time.perf_counter() - start < 1


def test_bdm_header_only_and_non_finite_cells() -> None:
    with pytest.raises(ScenarioError, match="no actor rows"):
        import_text("actor,capability,position,salience\n", "b.csv")
    with pytest.raises(ScenarioError, match="finite"):
        import_text("actor,capability,position,salience\na,1,inf,50\nb,1,2,50\n", "b.csv")


def test_terminal_shows_control_characters_and_brackets_as_text() -> None:
    assert visible("x\x1b[31mRED\u202e") == "x\\x1b[31mRED\\u202e"
    console = SafeConsole(record=True, width=80, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print("Cars [/bold] \x1b[2J")
    assert console.export_text().strip() == "Cars [/bold] \\x1b[2J"


def test_ensemble_members_are_bounded() -> None:
    """A trillion members ran (chunk after chunk) until killed; now a clear --runs problem."""
    from typer.testing import CliRunner

    from factions.cli import app

    r = CliRunner().invoke(app, ["ensemble", "emission-standards", "--runs", "1000000000000"])
    assert r.exit_code == 2
    assert "--runs: must be at most 10000000" in r.stderr


def _actors(n: int, horizon: str | None = None) -> Any:
    from factions.scenario.io import parse_scenario

    meta: dict[str, Any] = {"id": "big", "title": "Big", "date": "2008-10-15"}
    if horizon:
        meta["horizon"] = horizon
    return parse_scenario(
        {
            "metadata": meta,
            "actors": [{"id": f"a{i}", "name": "A", "capability": 1} for i in range(n)],
            "issues": [{"id": "x", "name": "X"}],
            "stances": [
                {"actor": f"a{i}", "issue": "x", "position": i % 100, "salience": 50}
                for i in range(n)
            ],
            "resources": [{"actor": f"a{i}", "kind": "money", "amount": 1} for i in range(n)],
        }
    )


@pytest.mark.parametrize(
    ("n", "horizon", "model", "path"),
    [
        (210, None, "smp", "actors"),  # 177 s before
        (500, None, "eum", "actors"),  # 2.0 GB before
        (200, "2009-06-30", "mean", "metadata.horizon"),  # a 200-actor iraq-2008: 20 s
    ],
)
def test_runs_too_large_are_refused_at_once(
    n: int, horizon: str | None, model: str, path: str
) -> None:
    """Issue 14, item 16: slow paths a user could hit are bounded with a clear message."""
    from factions.simulate import simulate

    scenario = _actors(n, horizon)
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as e:
        simulate(scenario, model)
    assert time.perf_counter() - start < 2
    assert e.value.problems[0].path == path
    assert "too" in e.value.problems[0].message
