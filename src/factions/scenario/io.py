"""Reading and writing scenarios: YAML (safe loader only), JSON and TOML.

:func:`load_scenario` takes a built-in name (``iraq-2008``) or a path; the format follows
the file's extension, and KTAB (``.csv`` with KTAB's header, ``.xml``) and BDM-style CSV
files are imported through :mod:`factions.scenario.importers`. Every failure, from an
unreadable file to a salience of 170, is a :class:`~factions.errors.ScenarioError` listing
each problem with its path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w
import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from factions.errors import Problem, ScenarioError
from factions.scenario.reader import Format, parse_document, read_text_file
from factions.scenario.schema import Scenario, reference_problems

__all__ = [
    "BUILTIN_NAMES",
    "builtin_names",
    "dump_scenario",
    "dumps_scenario",
    "load_scenario",
    "loads_scenario",
    "parse_scenario",
    "problems_from_validation_error",
]

_SUFFIX_FORMAT: dict[str, Format] = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".toml": "toml",
}

_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def builtin_names() -> list[str]:
    """The names of the scenarios shipped with factions, sorted."""
    root = resources.files("factions.scenario") / "builtin"
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


BUILTIN_NAMES = tuple(builtin_names())


def _friendly(err: ErrorDetails) -> str:
    """Rewrite pydantic's messages into the short form factions uses."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (not part of the scenario format)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}, got {_short(got)}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return f"must be a number, got {_short(got)}"
    if kind == "string_type":
        return f"must be a text, got {_short(got)}"
    if kind == "string_pattern_mismatch":
        return (
            f"must be an identifier (letters, digits, '_', '-', '.'; "
            f"starting with a letter or digit), got {_short(got)}"
        )
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return f"must be a date as YYYY-MM-DD, got {_short(got)}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        want = "a list" if kind == "list_type" else "a mapping of fields"
        return f"must be {want}, got {type(got).__name__}"
    if kind == "union_tag_invalid":
        return f"must be a number or {{value, low, high}}, got {_short(got)}"
    if kind == "finite_number":
        return f"must be a finite number, got {_short(got)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        word = {"greater_than": "above", "greater_than_equal": "at least"}.get(kind)
        word = word or {"less_than": "below", "less_than_equal": "at most"}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"must be {word} {bound}, got {_short(got)}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters, got {len(str(got))}"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} item(s)"
    if kind == "bool_parsing" or kind == "bool_type":
        return f"must be true or false, got {_short(got)}"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


_TAGS = {"plain", "uncertain", "str", "bool", "float", "int", "function-after[_finite(), float]"}


def _path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if str(p) not in _TAGS and not str(p).startswith("function-")]
    return ".".join(parts)


def problems_from_validation_error(err: ValidationError) -> list[Problem]:
    """One :class:`Problem` per pydantic error, with factions' paths and wording."""
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for e in err.errors():
        path = _path(tuple(e["loc"]))
        if e["type"] == "reference":
            # Raised by Scenario's own check; parse_scenario reports these itself.
            continue
        key = (path, _friendly(e))
        if key not in seen:
            seen.add(key)
            out.append(Problem(*key))
    return out


def parse_scenario(data: Any, source: str | None = None) -> Scenario:
    """Validate raw data (a mapping, as read from a file) into a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        With every field error and every cross-reference problem, each with its path.
    """
    if data is None:
        raise ScenarioError([Problem("", "empty file (no scenario in it)")], source)
    if not isinstance(data, Mapping):
        raise ScenarioError(
            [Problem("", f"a scenario must be a mapping of fields, got {type(data).__name__}")],
            source,
        )
    problems: list[Problem] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data, context={"skip_reference_check": True})
    except ValidationError as err:
        problems.extend(problems_from_validation_error(err))
    problems.extend(reference_problems(data))
    if problems:
        raise ScenarioError(_in_document_order(problems), source)
    assert scenario is not None
    return scenario


def _in_document_order(problems: list[Problem]) -> list[Problem]:
    order = ["schema_version", "metadata", "actors", "issues", "stances", "resources", "ties"]
    order += ["events", "questions", "dynamics", "options"]

    def key(p: Problem) -> tuple[int, list[int | str]]:
        head, *rest = p.path.split(".") if p.path else [""]
        rank = order.index(head) if head in order else len(order)
        return rank, [int(x) if x.isdigit() else -1 for x in rest[:1]]

    return sorted(problems, key=key)


def _detect_format(text: str) -> Format:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "json"
    return "yaml"


def loads_scenario(text: str, fmt: Format | None = None, source: str | None = None) -> Scenario:
    """Parse scenario text in ``fmt`` (YAML when not given and the text is not JSON).

    The text is read by :func:`factions.scenario.reader.parse_document`: aliases, nesting,
    duplicate keys and integers are bounded before anything is validated.
    """
    fmt = fmt or _detect_format(text)
    return parse_scenario(parse_document(text, fmt, source=source), source)


def _builtin_text(name: str) -> str:
    return (resources.files("factions.scenario") / "builtin" / f"{name}.yaml").read_text("utf-8")


def load_scenario(source: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a scenario file in any supported format.

    Parameters
    ----------
    source
        A built-in name (see :func:`builtin_names`) or a path to a ``.yaml``/``.yml``,
        ``.json``, ``.toml``, KTAB ``.csv``/``.xml`` or BDM-style ``.csv`` file.

    Raises
    ------
    ScenarioError
        When the file cannot be read or the scenario is invalid.
    """
    text_source = str(source)
    if isinstance(source, str) and source in BUILTIN_NAMES:
        return loads_scenario(_builtin_text(source), "yaml", source=source)
    path = Path(source)
    if not os.path.lexists(path):
        hint = f" (built-in scenarios: {', '.join(BUILTIN_NAMES)})" if BUILTIN_NAMES else ""
        raise ScenarioError([Problem("", f"no such file or built-in scenario{hint}")], text_source)
    if path.is_dir():
        raise ScenarioError([Problem("", "is a directory, not a scenario file")], text_source)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xml"):
        from factions.scenario.importers import import_file

        return import_file(path)
    if suffix not in _SUFFIX_FORMAT:
        known = ", ".join([*_SUFFIX_FORMAT, ".csv", ".xml"])
        raise ScenarioError(
            [Problem("", f"unknown file type '{suffix or path.name}' (expected one of {known})")],
            text_source,
        )
    text = read_text_file(path, source=text_source)
    return loads_scenario(text, _SUFFIX_FORMAT[suffix], source=text_source)


def _provenance_last(obj: Any) -> Any:
    """Put ``source`` and ``judgment`` after a record's own fields, for readable files."""
    if isinstance(obj, dict):
        head = {k: _provenance_last(v) for k, v in obj.items() if k not in ("source", "judgment")}
        tail = {k: obj[k] for k in ("source", "judgment") if k in obj}
        return {**head, **tail}
    if isinstance(obj, list):
        return [_provenance_last(v) for v in obj]
    return obj


def _plain(scenario: Scenario) -> dict[str, Any]:
    data = scenario.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    return dict(_provenance_last(data))


def dumps_scenario(scenario: Scenario, fmt: Format = "yaml") -> str:
    """The scenario as text in ``fmt``; loading it back gives an equal scenario."""
    data = _plain(scenario)
    data = {"schema_version": scenario.schema_version, **data}
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "toml":
        return str(tomli_w.dumps(data))
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100))


def dump_scenario(scenario: Scenario, path: str | Path) -> None:
    """Write the scenario to ``path`` in the format its extension names, atomically."""
    path = Path(path)
    fmt = _SUFFIX_FORMAT.get(path.suffix.lower())
    if fmt is None:
        raise ScenarioError(
            [Problem("", f"cannot write '{path.suffix}' files (use .yaml, .json or .toml)")],
            str(path),
        )
    text = dumps_scenario(scenario, fmt)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
