"""The scenarios the web app knows: the built-in ones and those saved in a folder.

Saved scenarios are YAML files ``<name>.yaml`` in the scenarios folder
(``~/.factions/scenarios``, or ``$FACTIONS_SCENARIOS``). A name is an identifier of at most
64 letters, digits, ``-`` and ``_``, starting with a letter or digit: it never contains a
dot or a slash, so it cannot leave the folder. Built-in names cannot be saved over.

Text is read with YAML's safe loader only, and validated with factions' own
:func:`~factions.scenario.io.parse_scenario`, so every problem has a path.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from factions.errors import Problem, ScenarioError
from factions.scenario.io import builtin_names, parse_scenario
from factions.scenario.reader import parse_document, read_text_file
from factions.scenario.schema import Scenario
from factions.web.problems import ApiProblem, TooLarge, json_safe

__all__ = [
    "MAX_VALUES",
    "NAME_PATTERN",
    "Parsed",
    "ScenarioStore",
    "check_name",
    "default_scenarios_dir",
    "parse_data",
    "parse_text",
]

#: The pattern of a saved scenario's name.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)

#: The most values a scenario document may hold once YAML aliases are expanded
#: (and it may be nested at most :data:`factions.web.problems.MAX_DEPTH` deep).
MAX_VALUES = 200_000


def default_scenarios_dir() -> Path:
    """``$FACTIONS_SCENARIOS`` if set, else ``~/.factions/scenarios``."""
    env = os.environ.get("FACTIONS_SCENARIOS")
    return Path(env) if env else Path.home() / ".factions" / "scenarios"


def check_name(name: str, what: str = "scenario name") -> str:
    """``name`` if it is a valid name, else a 400 problem."""
    # fullmatch: with match(), '$' also matches before a final newline ("mine\n").
    if not _NAME.fullmatch(name):
        raise ApiProblem(
            400,
            f"invalid {what} {name[:80]!r}: use 1 to 64 letters, digits, '-' and '_', "
            "starting with a letter or digit",
            kind="invalid-name",
        )
    return name


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading scenario text or data.

    ``data`` is the raw mapping as written (JSON-safe), or None when the text is not a
    mapping; ``scenario`` the validated scenario, or None when there are ``problems``.
    """

    data: dict[str, Any] | None
    scenario: Scenario | None
    problems: list[Problem]


def _guarded(raw: Any) -> tuple[Any, list[Problem]]:
    try:
        return json_safe(raw, budget=[MAX_VALUES]), []
    except TooLarge as e:
        return None, [Problem("", f"the document is too large ({e})")]
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops well before the stack ends
        return None, [Problem("", "the document is nested too deeply")]


def parse_data(raw: Any) -> Parsed:
    """Validate raw data (as read from a file) into a scenario, collecting the problems."""
    data, problems = _guarded(raw)
    if problems:
        return Parsed(None, None, problems)
    if not isinstance(data, dict):
        name = type(raw).__name__ if raw is not None else "nothing"
        return Parsed(None, None, [Problem("", f"a scenario must be a mapping, got {name}")])
    try:
        # The raw data, not the JSON-safe copy: dates, for example, stay dates.
        return Parsed(data, parse_scenario(raw), [])
    except ScenarioError as e:
        return Parsed(data, None, e.problems)


def parse_text(text: str) -> Parsed:
    """Read YAML (or JSON) text with factions' one reader and validate it.

    :func:`~factions.scenario.reader.parse_document` refuses alias bombs, deep nesting,
    duplicate keys and huge integers before anything is built.
    """
    try:
        raw = parse_document(text, "yaml", max_values=MAX_VALUES)
    except ScenarioError as e:
        return Parsed(None, None, e.problems)
    return parse_data(raw)


@dataclass(frozen=True)
class Entry:
    """A scenario in the list."""

    name: str
    builtin: bool
    title: str
    date: str | None
    actors: int
    issues: int
    valid: bool


class ScenarioStore:
    """Built-in scenarios (read-only) and saved ones (YAML files in ``root``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._builtins = tuple(builtin_names())
        self._builtin_lower = {n.lower() for n in self._builtins}

    # -- names ----------------------------------------------------------------------
    def is_builtin(self, name: str) -> bool:
        return name in self._builtins

    def _path(self, name: str) -> Path:
        check_name(name)
        path = self.root / f"{name}.yaml"
        # Belt and braces: the pattern already keeps a name inside the folder.
        if path.resolve().parent != self.root.resolve():
            raise ApiProblem(400, f"invalid scenario name {name!r}", kind="invalid-name")
        return path

    def exists(self, name: str) -> bool:
        return self.is_builtin(name) or self._path(name).is_file()

    def saved_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        names = [p.stem for p in self.root.glob("*.yaml") if p.is_file()]
        return sorted(n for n in names if _NAME.fullmatch(n) and not self.is_builtin(n))

    # -- reading --------------------------------------------------------------------
    def text(self, name: str) -> str:
        """The YAML text of a scenario (404 problem if there is none by that name)."""
        if self.is_builtin(name):
            root = resources.files("factions.scenario") / "builtin"
            return (root / f"{name}.yaml").read_text("utf-8")
        path = self._path(name)
        if not os.path.lexists(path):
            raise ApiProblem(404, f"no scenario named {name!r}", kind="not-found")
        try:
            return read_text_file(path)
        except ScenarioError as e:
            reason = e.problems[0].message if e.problems else "unreadable"
            raise ApiProblem(
                422, f"cannot read scenario {name!r}: {reason}", kind="unreadable"
            ) from None

    def parsed(self, name: str) -> Parsed:
        return parse_text(self.text(name))

    def load(self, name: str) -> Scenario:
        """The validated scenario (a 422 problem with its problems if it is invalid)."""
        p = self.parsed(name)
        if p.scenario is None:
            raise ScenarioError(p.problems, name)
        return p.scenario

    def entries(self) -> list[Entry]:
        out: list[Entry] = []
        for name in [*self._builtins, *self.saved_names()]:
            try:
                p = self.parsed(name)
            except ApiProblem:
                continue
            meta = (p.data or {}).get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            actors = (p.data or {}).get("actors")
            issues = (p.data or {}).get("issues")
            out.append(
                Entry(
                    name=name,
                    builtin=self.is_builtin(name),
                    title=str(meta.get("title") or name),
                    date=str(meta["date"]) if meta.get("date") is not None else None,
                    actors=len(actors) if isinstance(actors, list) else 0,
                    issues=len(issues) if isinstance(issues, list) else 0,
                    valid=p.scenario is not None,
                )
            )
        return out

    # -- writing --------------------------------------------------------------------
    def check_writable(self, name: str) -> Path:
        """The file a saved scenario ``name`` goes to (403 problem for a built-in name)."""
        path = self._path(name)
        if name.lower() in self._builtin_lower:
            raise ApiProblem(
                403,
                f"{name!r} is a built-in scenario and cannot be overwritten; "
                "save a copy under another name",
                kind="builtin-read-only",
            )
        return path

    def save(self, name: str, text: str) -> bool:
        """Write a scenario's text atomically; True if it was created, False if replaced."""
        path = self.check_writable(name)
        self.root.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return created

    def delete(self, name: str) -> None:
        path = self.check_writable(name)
        try:
            path.unlink()
        except FileNotFoundError:
            raise ApiProblem(404, f"no saved scenario named {name!r}", kind="not-found") from None

    def free_name(self, base: str) -> str:
        """``base`` (made a valid name) or ``base-2``, ``base-3``... whichever is free."""
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", base).strip("-_")[:56] or "scenario"
        if not stem[0].isalnum():  # pragma: no cover - strip() leaves an alphanumeric
            stem = "s" + stem
        name, k = stem, 2
        while self.exists(name) or name.lower() in self._builtin_lower:
            name, k = f"{stem}-{k}", k + 1
        return name
