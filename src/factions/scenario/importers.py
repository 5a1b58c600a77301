"""Importers for the field's file formats: KTAB CSV and XML, and BDM-style CSV.

- KTAB CSV (KAPSARC Toolkit for Behavioral Analysis, ``smpc``): line 1 ``name, description,
  nActors, nDims``; line 2 a header; then ``actor, description, power, pos_1, sal_1, ...``
  with positions and saliences on 0-100. An actor's saliences must sum to at most 100.
- KTAB XML (``smpSchema.xsd``): ``Scenario/{name, desc, prngSeed, ModelParameters,
  Dimensions/dName, Actors/Actor/{name, description, capability, Position/dCoord,
  Salience/dSal}, IdealAdjustment}``. Model parameters are kept under the scenario's
  ``options.smp``.
- BDM-style CSV: a header ``actor, capability, position, salience`` (any case), one row per
  actor, one issue; the issue's scale runs from the lowest to the highest position unless
  the caller gives one.

Every problem names its place (``line 4, salience``) in a :class:`ScenarioError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from pathlib import Path
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from factions.errors import Problem, ScenarioError
from factions.scenario.io import parse_scenario
from factions.scenario.reader import read_text_file
from factions.scenario.schema import ID_PATTERN, MAX_ACTORS, MAX_ISSUES, Scenario

__all__ = [
    "FORMATS",
    "import_bdm_csv",
    "import_file",
    "import_ktab_csv",
    "import_ktab_xml",
    "import_text",
]

#: The date given to imported scenarios, whose formats carry none.
IMPORT_DATE = dt.date(2000, 1, 1)


def _slug(text: str, fallback: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text.strip()).strip("-._")
    return s[:64] if s and re.match(ID_PATTERN, s) else fallback


def _number(cell: str, where: str, problems: list[Problem]) -> float | None:
    try:
        value = float(cell.strip())
    except ValueError:
        problems.append(Problem(where, f"must be a number, got {cell.strip()[:40]!r}"))
        return None
    if not math.isfinite(value):
        problems.append(Problem(where, f"must be a finite number, got {cell.strip()[:40]!r}"))
        return None
    return value


def _count(
    cell: str, where: str, problems: list[Problem], available: int, limit: int
) -> int | None:
    """A count from a header cell: a whole number from 1 to ``min(available, limit)``."""
    text = cell.strip()
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem(where, f"must be a whole number, got {text[:40]!r}"))
        return None
    if not math.isfinite(value) or value != int(value) or value < 1:
        problems.append(Problem(where, f"must be a whole number of at least 1, got {text[:40]!r}"))
        return None
    count = int(value)
    if count > limit:
        problems.append(Problem(where, f"says {count}; at most {limit} are supported"))
        return None
    if count > available:
        problems.append(Problem(where, f"says {count} but the rows that follow have {available}"))
        return None
    return count


def _rows(text: str) -> list[list[str]]:
    """CSV rows with trimmed cells; newlines as a file opened in text mode has them.

    Raises
    ------
    ScenarioError
        When the text is not readable as CSV.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    rows = []
    try:
        for row in csv.reader(io.StringIO(text)):
            cells = [c.strip() for c in row]
            while cells and cells[-1] == "":
                cells.pop()
            rows.append(cells)
    except csv.Error as e:
        raise ScenarioError([Problem("", f"not a readable CSV file: {e}")]) from None
    return rows


def _issue_name(header: str, k: int) -> str:
    name = re.sub(r"\s*(position|pstn)\s*\d*\s*$", "", header, flags=re.IGNORECASE).strip()
    return name or f"Dimension {k + 1}"


def _unique_ids(names: list[str], prefix: str) -> list[str]:
    out: list[str] = []
    for k, name in enumerate(names):
        ident = _slug(name.lower(), f"{prefix}{k + 1}")
        while ident in out:
            ident = f"{ident}-{k + 1}"
        out.append(ident)
    return out


def _finish(data: dict[str, Any], problems: list[Problem], source: str) -> Scenario:
    if problems:
        raise ScenarioError(problems, source)
    return parse_scenario(data, source)


def import_ktab_csv(text: str, source: str = "<ktab csv>") -> Scenario:
    """Import a KTAB SMP CSV file (see the module docstring for the layout)."""
    rows = _rows(text)
    problems: list[Problem] = []
    if len(rows) < 3:
        raise ScenarioError(
            [Problem("", "a KTAB CSV needs a title line, a header and actors")], source
        )
    title = rows[0]
    if len(title) < 4:
        raise ScenarioError(
            [Problem("line 1", "expected 'name, description, nActors, nDims'")], source
        )
    header = rows[1]
    body = [r for r in rows[2:] if any(r)]
    # The header's counts are checked against the rows that follow before anything is
    # sized by them: a title line saying 1e9 dimensions must not allocate 1e9 of anything.
    n = _count(title[2], "line 1, nActors", problems, MAX_ACTORS, MAX_ACTORS)
    widest = max((len(r) for r in [header, *body]), default=0)
    d = _count(title[3], "line 1, nDims", problems, max(0, (widest - 3) // 2), MAX_ISSUES)
    if problems or n is None or d is None:
        raise ScenarioError(problems, source)
    if len(body) != n:
        problems.append(Problem("line 1, nActors", f"says {n} actors but the file has {len(body)}"))
    issue_names = [
        _issue_name(header[3 + 2 * k], k) if len(header) > 3 + 2 * k else f"Dimension {k + 1}"
        for k in range(d)
    ]
    issue_ids = _unique_ids(issue_names, "dim")
    actors, stances = [], []
    for r, row in enumerate(body):
        line = r + 3
        if len(row) < 3 + 2 * d:
            problems.append(
                Problem(f"line {line}", f"expected {3 + 2 * d} columns, got {len(row)}")
            )
            continue
        ident = row[0]
        if not re.match(ID_PATTERN, ident):
            ident = _slug(ident, f"actor{r + 1}")
        power = _number(
            row[2], f"line {line}, {header[2] if len(header) > 2 else 'power'}", problems
        )
        actors.append(
            {"id": ident, "name": row[1] or row[0], "description": row[1], "capability": power}
        )
        total = 0.0
        for k in range(d):
            pos = _number(row[3 + 2 * k], f"line {line}, {issue_names[k]} position", problems)
            sal = _number(row[4 + 2 * k], f"line {line}, {issue_names[k]} salience", problems)
            total += sal or 0.0
            stances.append(
                {"actor": ident, "issue": issue_ids[k], "position": pos, "salience": sal}
            )
        if total > 100.0 + 1e-9:
            problems.append(
                Problem(f"line {line}", f"saliences must sum to at most 100, got {total:g}")
            )
    data = {
        "metadata": {
            "id": _slug(title[0].lower(), "ktab-scenario"),
            "title": title[0],
            "date": IMPORT_DATE,
            "description": title[1],
            "sources": [{"key": "ktab", "citation": f"Imported from KTAB CSV {source}"}],
        },
        "actors": actors,
        "issues": [
            {"id": i, "name": nm, "scale": {"low": 0, "high": 100}}
            for i, nm in zip(issue_ids, issue_names, strict=True)
        ],
        "stances": stances,
    }
    return _finish(data, problems, source)


def import_bdm_csv(
    text: str,
    source: str = "<bdm csv>",
    *,
    scale: tuple[float, float] | None = None,
    issue_name: str = "Issue",
) -> Scenario:
    """Import a BDM-style CSV: ``actor, capability, position, salience`` per row."""
    rows = [r for r in _rows(text) if any(r)]
    problems: list[Problem] = []
    if not rows:
        raise ScenarioError([Problem("", "the file is empty")], source)
    header = [h.lower() for h in rows[0]]
    need = ["actor", "capability", "position", "salience"]
    missing = [h for h in need if h not in header]
    if missing:
        raise ScenarioError(
            [Problem("line 1", f"the header lacks column(s) {', '.join(missing)}")], source
        )
    col = {h: header.index(h) for h in need}
    actors, stances, positions = [], [], []
    ids = _unique_ids([r[col["actor"]] if len(r) > col["actor"] else "" for r in rows[1:]], "actor")
    for r, row in enumerate(rows[1:]):
        line = r + 2
        if len(row) < len(header):
            problems.append(
                Problem(f"line {line}", f"expected {len(header)} columns, got {len(row)}")
            )
            continue
        cap = _number(row[col["capability"]], f"line {line}, capability", problems)
        pos = _number(row[col["position"]], f"line {line}, position", problems)
        sal = _number(row[col["salience"]], f"line {line}, salience", problems)
        actors.append({"id": ids[r], "name": row[col["actor"]], "capability": cap})
        stances.append({"actor": ids[r], "issue": "issue", "position": pos, "salience": sal})
        if pos is not None:
            positions.append(pos)
    if len(rows) < 2:
        problems.append(Problem("line 2", "no actor rows after the header"))
    if len(rows) - 1 > MAX_ACTORS:
        problems.append(
            Problem("", f"the file has {len(rows) - 1} actors; at most {MAX_ACTORS} are supported")
        )
    if problems:
        raise ScenarioError(problems, source)
    lo, hi = scale if scale else (min(positions), max(positions))
    if lo == hi:
        hi = lo + 1.0
    data = {
        "metadata": {
            "id": _slug(Path(source).stem.lower(), "bdm-scenario"),
            "title": Path(source).stem,
            "date": IMPORT_DATE,
            "sources": [{"key": "bdm", "citation": f"Imported from BDM-style CSV {source}"}],
        },
        "actors": actors,
        "issues": [{"id": "issue", "name": issue_name, "scale": {"low": lo, "high": hi}}],
        "stances": stances,
    }
    return _finish(data, problems, source)


def _text(el: Any, tag: str) -> str | None:
    child = el.find(tag)
    return None if child is None or child.text is None else child.text.strip()


def import_ktab_xml(text: str, source: str = "<ktab xml>") -> Scenario:
    """Import a KTAB SMP XML scenario (``smpSchema.xsd``)."""
    try:
        root = SafeET.fromstring(text.lstrip("\ufeff").encode("utf-8"))
    except (SafeET.ParseError, DefusedXmlException) as err:
        raise ScenarioError([Problem("", f"not valid XML: {err}")], source) from None
    if root.tag != "Scenario":
        raise ScenarioError(
            [Problem("", f"the root element must be <Scenario>, got <{root.tag}>")], source
        )
    problems: list[Problem] = []
    dims = [d.text.strip() if d.text else "" for d in root.findall("Dimensions/dName")]
    if not dims:
        problems.append(Problem("Dimensions", "no <dName> given"))
    elements = root.findall("Actors/Actor")
    for what, n, limit in (
        ("Dimensions", len(dims), MAX_ISSUES),
        ("Actors", len(elements), MAX_ACTORS),
    ):
        if n > limit:
            raise ScenarioError(
                [Problem(what, f"the file has {n}; at most {limit} are supported")], source
            )
    issue_ids = _unique_ids([d or f"Dimension {k + 1}" for k, d in enumerate(dims)], "dim")
    actors, stances = [], []
    names: list[str] = []
    for a, el in enumerate(elements):
        where = f"Actors.{a}"
        name = _text(el, "name") or ""
        ident = name if re.match(ID_PATTERN, name) else _slug(name, f"actor{a + 1}")
        names.append(name)
        cap_text = _text(el, "capability")
        cap = None
        if cap_text is None or cap_text == "":
            problems.append(Problem(f"{where}.capability", "is missing or empty"))
        else:
            cap = _number(cap_text, f"{where}.capability", problems)
        coords = [c.text for c in el.findall("Position/dCoord")]
        sals = [c.text for c in el.findall("Salience/dSal")]
        for label, vals in (("Position.dCoord", coords), ("Salience.dSal", sals)):
            if len(vals) != len(dims):
                problems.append(
                    Problem(f"{where}.{label}", f"expected {len(dims)} values, got {len(vals)}")
                )
        for k in range(min(len(coords), len(sals), len(dims))):
            pos = sal = None
            for label, raw, slot in (
                ("Position.dCoord", coords[k], "pos"),
                ("Salience.dSal", sals[k], "sal"),
            ):
                if raw is None or raw.strip() == "":
                    problems.append(
                        Problem(f"{where}.{label}.{k}", f"empty value for actor '{name}'")
                    )
                    continue
                v = _number(raw, f"{where}.{label}.{k}", problems)
                if slot == "pos":
                    pos = v
                else:
                    sal = v
            stances.append(
                {"actor": ident, "issue": issue_ids[k], "position": pos, "salience": sal}
            )
        actors.append(
            {
                "id": ident,
                "name": name or ident,
                "description": _text(el, "description") or "",
                "capability": cap,
            }
        )
    options: dict[str, Any] = {}
    params = root.find("ModelParameters")
    if params is not None:
        options = {child.tag: (child.text or "").strip() for child in params}
    seed = _text(root, "prngSeed")
    if seed:
        options["prngSeed"] = seed
    adjust = [
        {
            "adjusting": _text(p, "adjustingIdeal"),
            "reference": _text(p, "referencePos"),
            "adjust": _number(_text(p, "adjust") or "", "IdealAdjustment.adjust", problems),
        }
        for p in root.findall("IdealAdjustment/iaPair")
    ]
    if adjust:
        options["IdealAdjustment"] = adjust
    name = _text(root, "name") or "ktab-scenario"
    data = {
        "metadata": {
            "id": _slug(name.lower(), "ktab-scenario"),
            "title": name,
            "date": IMPORT_DATE,
            "description": _text(root, "desc") or "",
            "sources": [{"key": "ktab", "citation": f"Imported from KTAB XML {source}"}],
        },
        "actors": actors,
        "issues": [
            {"id": i, "name": nm or i, "scale": {"low": 0, "high": 100}}
            for i, nm in zip(issue_ids, dims, strict=False)
        ],
        "stances": stances,
        "options": {"smp": options} if options else {},
    }
    return _finish(data, problems, source)


def _is_bdm(text: str) -> bool:
    rows = _rows(text)
    if not rows:
        return False
    header = [h.lower() for h in rows[0]]
    return {"actor", "capability", "position", "salience"} <= set(header)


FORMATS = ("auto", "ktab-csv", "ktab-xml", "bdm-csv", "deu-csv")


def import_text(text: str, source: str, fmt: str = "auto") -> Scenario:
    """Import KTAB CSV/XML or BDM-style CSV text.

    ``auto`` tells the formats apart by name and content: ``.xml`` (or text that starts
    with ``<``) is KTAB XML; a CSV whose header has ``actor, capability, position,
    salience`` is BDM-style; any other CSV is KTAB's.
    """
    if fmt not in FORMATS:
        raise ScenarioError(
            [Problem("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")]
        )
    if fmt == "auto":
        if Path(source).suffix.lower() == ".xml" or text.lstrip("\ufeff \t\r\n")[:1] == "<":
            fmt = "ktab-xml"
        else:
            from factions.scenario.deu import is_deu

            fmt = "deu-csv" if is_deu(text) else "bdm-csv" if _is_bdm(text) else "ktab-csv"
    if fmt == "deu-csv":
        return _one_deu_scenario(text, source)
    if fmt == "ktab-xml":
        return import_ktab_xml(text, source)
    if fmt == "bdm-csv":
        return import_bdm_csv(text, source)
    return import_ktab_csv(text, source)


def _one_deu_scenario(text: str, source: str) -> Scenario:
    """The scenario of a DEU file that holds one proposal (see :mod:`.deu`)."""
    from factions.scenario.deu import import_deu

    found = import_deu(text, source)
    if len(found.scenarios) != 1:
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"a DEU file with {len(found.scenarios)} proposals is a case library, "
                    "not one scenario: use 'factions run' (runs each) or 'factions backtest'",
                )
            ],
            source,
        )
    return found.scenarios[0]


def import_file(path: str | Path) -> Scenario:
    """Import a KTAB CSV/XML or BDM-style CSV file, telling the formats apart by content."""
    path = Path(path)
    source = str(path)
    return import_text(read_text_file(path, source=source), source)
