"""Loading and writing scenarios in YAML, JSON and TOML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
import yaml

from factions.errors import ScenarioError
from factions.scenario.io import (
    builtin_names,
    dump_scenario,
    dumps_scenario,
    load_scenario,
    loads_scenario,
    parse_scenario,
)


def test_builtins_are_listed() -> None:
    assert {"iraq-2008", "emission-standards", "soe-reform"} <= set(builtin_names())


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_loads_and_round_trips(name: str) -> None:
    s = load_scenario(name)
    assert s.id == name
    for fmt in ("yaml", "json", "toml"):
        assert loads_scenario(dumps_scenario(s, fmt), fmt) == s  # type: ignore[arg-type]


def test_same_scenario_in_three_formats(tmp_path: Path, minimal: dict[str, Any]) -> None:
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(minimal))
    (tmp_path / "s.json").write_text(json.dumps(minimal))
    (tmp_path / "s.toml").write_text(tomli_w.dumps(minimal))
    loaded = [load_scenario(tmp_path / f"s.{ext}") for ext in ("yaml", "json", "toml")]
    assert loaded[0] == loaded[1] == loaded[2] == parse_scenario(minimal)


def test_yaml_loader_is_safe(tmp_path: Path) -> None:
    p = tmp_path / "evil.yaml"
    p.write_text("metadata: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(p)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.yaml", "actors: [\n", "not valid YAML: line 2"),
        ("bad.json", '{"actors": ', "not valid JSON: line 1"),
        ("bad.toml", "actors = [", "not valid TOML"),
        ("list.yaml", "- 1\n- 2\n", "must be a mapping"),
        ("empty.yaml", "", "empty file"),
    ],
)
def test_syntax_errors_are_scenario_errors(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(p)


def test_missing_file_and_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file or built-in scenario"):
        load_scenario(tmp_path / "nope.yaml")
    (tmp_path / "s.txt").write_text("x")
    with pytest.raises(ScenarioError, match=r"unknown file type '\.txt'"):
        load_scenario(tmp_path / "s.txt")
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_dump_scenario_writes_a_loadable_file(tmp_path: Path, minimal: dict[str, Any]) -> None:
    s = parse_scenario(minimal)
    for ext in ("yaml", "json", "toml"):
        dump_scenario(s, tmp_path / f"out.{ext}")
        assert load_scenario(tmp_path / f"out.{ext}") == s
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "out.toml", "out.yaml"]
    with pytest.raises(ScenarioError, match=r"cannot write '\.txt'"):
        dump_scenario(s, tmp_path / "out.txt")


def test_dumped_yaml_puts_provenance_last(minimal: dict[str, Any]) -> None:
    minimal["actors"][0]["source"] = "a quote"
    text = dumps_scenario(parse_scenario(minimal))
    block = text.split("- id: a", 1)[1].split("- id: b", 1)[0]
    assert block.rstrip().endswith("source: a quote")
