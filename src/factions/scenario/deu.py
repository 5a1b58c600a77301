"""Importer of the DEU III data (decisions in the European Union) into scenarios with outcomes.

The layout is the deposit's: one row per controversial issue, separated by semicolons (or
tabs), with ``prnr`` (proposal), ``prname``, ``isnr`` (issue id), ``type``, ``proc`` (COD
co-decision, CNS consultation), ``counvte`` (Council voting rule: QMV or Unan), ``intro`` and
``finact`` (DD-MM-YY), ``p<actor>``/``s<actor>`` (position and salience, 0-100) for the
Commission (``com``), the Parliament (``ep``) and the member states, ``rp`` (reference point)
and ``out`` (outcome). Other columns are ignored.

Each proposal becomes one scenario; its issues are the scenario's issues (so that exchange
across the issues of a proposal is possible). An actor takes part in an issue only where it
holds both a position and a salience; an empty cell is "no position"; a number outside 0-100
(``999`` and the like) is a missing-value code, treated as empty and reported in
:attr:`DeuImport.notes`. A cell that is not a number is an error naming its line and column.

Capabilities (DEU records none) follow a named rule, :data:`CAPABILITY_RULES`:

- ``council`` (default): each member state's Council voting weight under the treaty in force
  at the decision date (the final act's date where the file gives it, else the proposal's
  introduction): pre-Nice (Treaty of Amsterdam art. 205(2), 87 votes for EU-15; the
  transitional weights of the 2003 Act of Accession, art. 26, for the new members from
  1 May to 31 October 2004), Nice (from 1 November 2004; Treaty of Nice Protocol on
  enlargement art. 3 and the Acts of Accession of 2003, 2005 and 2012: 345 votes for EU-27,
  352 with Croatia) and Lisbon (from 1 November 2014, double majority: population stands in,
  in millions, Eurostat 1 January 2015, rounded; judgment: one year's figures for the whole
  period). The Commission and the Parliament get the strongest member state's weight (the
  field's usual choice: Thomson et al. 2006, ch. 2; Arregui, Stokman & Thomson 2004).
- ``equal``: every actor 1.

The scenario's ``options`` carry what the procedural, Nash and exchange engines need:
``options.procedural`` (``procedure``, ``voting_rule``, ``qmv_threshold`` of the regime,
``roles`` per actor, ``reference`` per issue on the unit interval, null where none) and
``options.nash.reference``.

References
----------
Arregui, J. & Perarnaud, C. (2021). A new dataset on legislative decision-making in the
European Union: the DEU III dataset. *Journal of European Public Policy*; deposit
doi:10.34810/data53, CC BY 4.0.

Thomson, R., Stokman, F. N., Achen, C. H. & König, T. (eds., 2006). *The European Union
Decides*. Cambridge UP.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factions.errors import Problem, ScenarioError
from factions.scenario.io import parse_scenario
from factions.scenario.schema import Scenario

__all__ = [
    "ACTORS",
    "CAPABILITY_RULES",
    "DeuImport",
    "DeuIssue",
    "capabilities",
    "import_deu",
    "import_deu_file",
    "is_deu",
    "regime",
]

#: Actor codes in the DEU column names, in the deposit's order, with their names.
ACTORS: dict[str, str] = {
    "com": "European Commission",
    "ep": "European Parliament",
    "at": "Austria",
    "be": "Belgium",
    "bu": "Bulgaria",
    "cr": "Croatia",
    "cy": "Cyprus",
    "cz": "Czech Republic",
    "dk": "Denmark",
    "ee": "Estonia",
    "fi": "Finland",
    "fr": "France",
    "de": "Germany",
    "el": "Greece",
    "hu": "Hungary",
    "ie": "Ireland",
    "it": "Italy",
    "lv": "Latvia",
    "lt": "Lithuania",
    "lu": "Luxembourg",
    "mt": "Malta",
    "nl": "Netherlands",
    "pl": "Poland",
    "pt": "Portugal",
    "ro": "Romania",
    "si": "Slovenia",
    "sk": "Slovakia",
    "es": "Spain",
    "se": "Sweden",
    "uk": "United Kingdom",
}
INSTITUTIONS = ("com", "ep")

CAPABILITY_RULES = ("council", "equal")

NICE_START = dt.date(2004, 11, 1)
LISBON_START = dt.date(2014, 11, 1)

#: Treaty of Amsterdam art. 205(2) (EU-15, total 87), and for the 2004 members the
#: transitional weights of the 2003 Act of Accession art. 26 (1 May - 31 October 2004).
PRE_NICE: dict[str, float] = {
    "de": 10, "fr": 10, "it": 10, "uk": 10, "es": 8, "be": 5, "el": 5, "nl": 5, "pt": 5,
    "at": 4, "se": 4, "dk": 3, "ie": 3, "fi": 3, "lu": 2,
    "pl": 8, "cz": 5, "hu": 5, "ee": 3, "lv": 3, "lt": 3, "si": 3, "sk": 3, "cy": 2, "mt": 2,
}  # fmt: skip
#: Nice weights (EU-27 total 345; Croatia 7 from 1 July 2013).
NICE: dict[str, float] = {
    "de": 29, "fr": 29, "it": 29, "uk": 29, "es": 27, "pl": 27, "ro": 14, "nl": 13,
    "be": 12, "cz": 12, "el": 12, "hu": 12, "pt": 12, "at": 10, "bu": 10, "se": 10,
    "dk": 7, "ie": 7, "lt": 7, "sk": 7, "fi": 7, "cr": 7,
    "cy": 4, "ee": 4, "lv": 4, "lu": 4, "si": 4, "mt": 3,
}  # fmt: skip
#: Lisbon: population in millions (Eurostat, 1 January 2015, rounded; judgment: used for
#: every decision from 1 November 2014).
LISBON: dict[str, float] = {
    "de": 81.2, "fr": 66.4, "uk": 64.9, "it": 60.8, "es": 46.4, "pl": 38.0, "ro": 19.9,
    "nl": 16.9, "be": 11.3, "el": 10.9, "cz": 10.5, "pt": 10.4, "hu": 9.9, "se": 9.7,
    "at": 8.6, "bu": 7.2, "dk": 5.7, "fi": 5.5, "sk": 5.4, "ie": 4.6, "cr": 4.2, "lt": 2.9,
    "si": 2.1, "lv": 2.0, "ee": 1.3, "cy": 0.8, "lu": 0.6, "mt": 0.4,
}  # fmt: skip
#: The qualified-majority threshold of each regime, as a share of the weights: 62/87
#: (Amsterdam), 255/345 (Nice), 65% of the population (Lisbon; the 55%-of-members leg is
#: not modelled).
QMV_THRESHOLD = {"pre-nice": 62 / 87, "nice": 255 / 345, "lisbon": 0.65}


def regime(date: dt.date) -> str:
    """The Council voting regime in force on ``date``: ``pre-nice``, ``nice`` or ``lisbon``."""
    if date < NICE_START:
        return "pre-nice"
    return "nice" if date < LISBON_START else "lisbon"


def capabilities(actors: list[str], date: dt.date, rule: str = "council") -> dict[str, float]:
    """Each actor's capability under ``rule`` (see the module docstring) on ``date``."""
    if rule not in CAPABILITY_RULES:
        raise ValueError(f"capability rule must be one of {', '.join(CAPABILITY_RULES)}")
    if rule == "equal":
        return dict.fromkeys(actors, 1.0)
    tables: dict[str, dict[str, float]] = {"pre-nice": PRE_NICE, "nice": NICE, "lisbon": LISBON}
    table = tables[regime(date)]
    strongest = float(max(table.values()))
    # A state not in the regime's table (not yet a member on paper) gets the smallest weight.
    low = float(min(table.values()))
    return {a: strongest if a in INSTITUTIONS else float(table.get(a, low)) for a in actors}


@dataclass(frozen=True)
class DeuIssue:
    """What the backtest needs to know about one DEU issue besides its scenario."""

    isnr: str
    prnr: str
    line: int
    procedure: str
    voting_rule: str
    date: dt.date
    reference_point: float | None
    outcome: float | None


@dataclass(frozen=True)
class DeuImport:
    """The scenarios of a DEU file, its issues by ``isnr``, and what was noticed."""

    scenarios: list[Scenario]
    issues: dict[str, DeuIssue]
    notes: list[str] = field(default_factory=list)


def _split_rows(text: str) -> list[list[str]]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    first = text.split("\n", 1)[0]
    delim = ";" if first.count(";") >= first.count("\t") else "\t"
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delim)]


def is_deu(text: str) -> bool:
    """Whether ``text`` looks like a DEU file: a header with ``isnr``, ``pcom`` and ``out``."""
    rows = _split_rows(text[:5000])
    return bool(rows) and {"isnr", "pcom", "out"} <= {h.lower() for h in rows[0]}


def _date(
    cell: str, where: str, problems: list[Problem], notes: list[str], repair: bool
) -> dt.date | None:
    mangled = re.fullmatch(r"(?:19|20)(\d{2})-(\d{2})-(\d{2})", cell)
    if mangled and repair:
        fixed = "-".join(mangled.groups())
        notes.append(f"{where}: {cell!r} read as {fixed} (DD-MM-YY; option repair_dates)")
        cell = fixed
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})-(\d{2}|\d{4})", cell)
    if not m:
        problems.append(Problem(where, f"must be a date DD-MM-YY, got {cell!r}"))
        return None
    d, mo, y = (int(g) for g in m.groups())
    if y < 100:
        y += 1900 if y >= 50 else 2000
    try:
        return dt.date(y, mo, d)
    except ValueError:
        problems.append(Problem(where, f"is not a valid date: {cell!r}"))
        return None


def _value(cell: str, where: str, problems: list[Problem], notes: list[str]) -> float | None:
    if cell == "":
        return None
    try:
        v = float(cell)
    except ValueError:
        problems.append(Problem(where, f"must be a number or empty, got {cell!r}"))
        return None
    if not 0.0 <= v <= 100.0:
        notes.append(f"{where}: {cell} is a missing-value code (outside 0-100), read as empty")
        return None
    return v


_PROC = {"COD": "COD", "CNS": "CNS"}


def import_deu(
    text: str,
    source: str = "<deu csv>",
    capability: str = "council",
    *,
    repair_dates: bool = True,
) -> DeuImport:
    """Read a DEU III file into one scenario per proposal (see the module docstring).

    ``repair_dates``: the deposit writes dates DD-MM-YY; copies that passed through a
    spreadsheet hold some as ``20DD-MM-YY`` or ``19DD-MM-YY`` (``2014-07-04`` for
    14 July 2004: proposal ``a04163``). With the option on (the default) such a cell is read
    as DD-MM-YY and reported in the notes; off, it is an error.

    Raises
    ------
    ScenarioError
        Every bad cell, as ``line N, COLUMN: message``; or a bad capability rule.
    """
    if capability not in CAPABILITY_RULES:
        raise ScenarioError(
            [
                Problem(
                    "--capability",
                    f"must be one of {', '.join(CAPABILITY_RULES)}, got {capability!r}",
                )
            ]
        )
    try:
        rows = _split_rows(text)
    except csv.Error as e:
        raise ScenarioError([Problem("", f"not a readable CSV file: {e}")], source) from None
    if not rows:
        raise ScenarioError([Problem("", "the file is empty")], source)
    header = [h.lower() for h in rows[0]]
    need = ["prnr", "isnr", "proc", "counvte", "intro", "rp", "out", "pcom", "scom"]
    missing = [h for h in need if h not in header]
    if missing:
        raise ScenarioError(
            [Problem("line 1", f"the header lacks column(s) {', '.join(missing)}")], source
        )
    col = {h: k for k, h in enumerate(header)}
    codes = [a for a in ACTORS if f"p{a}" in col and f"s{a}" in col]
    problems: list[Problem] = []
    notes: list[str] = []
    by_proposal: dict[str, list[dict[str, Any]]] = {}
    seen: dict[str, int] = {}
    for r, row in enumerate(rows[1:]):
        line = r + 2
        if not any(row):
            continue
        row = row + [""] * (len(header) - len(row))

        def cell(name: str, row: list[str] = row) -> str:
            return row[col[name]] if name in col else ""

        isnr = cell("isnr")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}", isnr):
            problems.append(Problem(f"line {line}, isnr", f"must be an issue id, got {isnr!r}"))
            continue
        if isnr in seen:
            problems.append(
                Problem(f"line {line}, isnr", f"duplicate issue '{isnr}' (line {seen[isnr]})")
            )
            continue
        seen[isnr] = line
        proc = _PROC.get(cell("proc").upper())
        if proc is None:
            problems.append(
                Problem(f"line {line}, proc", f"must be COD or CNS, got {cell('proc')!r}")
            )
        vote_cell = cell("counvte").lower()
        rule = (
            "qmv"
            if vote_cell.startswith("qmv")
            else "unanimity"
            if vote_cell.startswith("unan")
            else None
        )
        if rule is None:
            problems.append(
                Problem(f"line {line}, counvte", f"must be QMV or Unan, got {cell('counvte')!r}")
            )
        intro = _date(cell("intro"), f"line {line}, intro", problems, notes, repair_dates)
        fin = cell("finact")
        final = _date(fin, f"line {line}, finact", problems, notes, repair_dates) if fin else None
        stances = {}
        for a in codes:
            pos = _value(cell(f"p{a}"), f"line {line}, p{a}", problems, notes)
            sal = _value(cell(f"s{a}"), f"line {line}, s{a}", problems, notes)
            if pos is not None and sal is not None:
                stances[a] = (pos, sal)
            elif (pos is None) != (sal is None) and not (pos is None and sal == 0):
                # A zero salience without a position is the file's way of saying "absent".
                have = "position" if pos is not None else "salience"
                notes.append(f"line {line}, {a}: a {have} without the other; {a} left out")
        rp = _value(cell("rp"), f"line {line}, rp", problems, notes)
        out = _value(cell("out"), f"line {line}, out", problems, notes)
        if proc is None or rule is None or intro is None:
            continue
        if not any(s > 0 for _, s in stances.values()):
            notes.append(f"line {line}: issue {isnr} has no actor with positive salience; left out")
            continue
        by_proposal.setdefault(cell("prnr") or isnr, []).append(
            {
                "isnr": isnr,
                "line": line,
                "name": cell("prname"),
                "type": cell("type"),
                "proc": proc,
                "rule": rule,
                "intro": intro,
                "final": final,
                "stances": stances,
                "rp": rp,
                "out": out,
            }
        )
    if problems:
        raise ScenarioError(problems, source)
    scenarios: list[Scenario] = []
    issues: dict[str, DeuIssue] = {}
    for prnr, items in by_proposal.items():
        scenario = _scenario(prnr, items, source, capability)
        scenarios.append(scenario)
        for it in items:
            issues[it["isnr"]] = DeuIssue(
                isnr=it["isnr"],
                prnr=prnr,
                line=it["line"],
                procedure=it["proc"],
                voting_rule=it["rule"],
                date=it["final"] or it["intro"],
                reference_point=it["rp"],
                outcome=it["out"],
            )
    return DeuImport(scenarios=scenarios, issues=issues, notes=notes)


CITATION = (
    "Arregui & Perarnaud (2021), the DEU III dataset, J. European Public Policy; "
    "doi:10.34810/data53"
)


def _scenario(prnr: str, items: list[dict[str, Any]], source: str, capability: str) -> Scenario:
    first = items[0]
    decided = max((it["final"] or it["intro"]) for it in items)
    actors = [a for a in ACTORS if any(a in it["stances"] for it in items)]
    caps = capabilities(actors, decided, capability)
    procedure, rule = first["proc"], first["rule"]
    roles = ["setter" if a == "com" else "parliament" if a == "ep" else "council" for a in actors]
    reference = [None if it["rp"] is None else it["rp"] / 100.0 for it in items]
    data: dict[str, Any] = {
        "metadata": {
            "id": prnr,
            "title": f"{first['name'] or prnr} ({prnr})",
            "date": first["intro"],
            "description": (
                f"DEU III proposal {prnr} ({first['type']}, {procedure}, Council "
                f"{'QMV' if rule == 'qmv' else 'unanimity'}); capabilities: rule '{capability}'"
                f" ({regime(decided)} regime at {decided.isoformat()})."
            ),
            "sources": [{"key": "deu3", "citation": CITATION, "note": f"Imported from {source}"}],
            "license": "CC BY 4.0 (Arregui & Perarnaud 2021, doi:10.34810/data53)",
        },
        "actors": [
            {
                "id": a,
                "name": ACTORS[a],
                "kind": "organisation" if a in INSTITUTIONS else "state",
                "capability": caps[a],
                "judgment": f"capability rule '{capability}'",
            }
            for a in actors
        ],
        "issues": [
            {
                "id": it["isnr"],
                "name": f"{it['name'] or prnr}: issue {it['isnr']}",
                "scale": {"low": 0, "high": 100},
            }
            for it in items
        ],
        "stances": [
            {"actor": a, "issue": it["isnr"], "position": pos, "salience": sal}
            for it in items
            for a, (pos, sal) in it["stances"].items()
        ],
        "outcomes": [
            {
                "issue": it["isnr"],
                "value": it["out"],
                "date": it["final"],
                "source": f"{CITATION}, issue {it['isnr']}",
                "reference_point": it["rp"],
            }
            for it in items
            if it["out"] is not None
        ],
        "options": {
            "procedural": {
                "procedure": procedure,
                "voting_rule": rule,
                "qmv_threshold": QMV_THRESHOLD[regime(decided)],
                "roles": roles,
                "reference": reference,
            },
            "nash": {"reference": reference},
        },
    }
    return parse_scenario(data, f"{source}, proposal {prnr}")


def import_deu_file(path: str | Path, capability: str = "council") -> DeuImport:
    """Read a DEU III file (see :func:`import_deu`)."""
    path = Path(path)
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError([Problem("", f"cannot read the file: {err}")], str(path)) from None
    return import_deu(text, str(path), capability)


def scenario_issue_labels(scenario: Scenario) -> Mapping[str, str]:
    """The procedure and voting rule a scenario's ``options.procedural`` records, if any."""
    opts = scenario.options.get("procedural", {})
    return {k: str(opts[k]) for k in ("procedure", "voting_rule") if k in opts}
