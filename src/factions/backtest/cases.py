"""Backtest cases: every issue with an observed outcome, from a DEU file or a scenario folder.

A :class:`CaseLibrary` holds, per scored issue, what the models need (the issue's actors,
positions and saliences on the unit interval, capabilities, roles, procedure, reference
point) and what they are scored against (the outcome). Scores are on a 0-100 rescaling of
each issue's own scale (DEU's scales are 0-100 already), so issues with different scales
share one table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from factions.errors import Problem, ScenarioError
from factions.scenario.arrays import to_arrays
from factions.scenario.schema import Scenario

__all__ = ["Case", "CaseLibrary", "load_cases"]

FloatArray = NDArray[np.float64]
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json", ".toml")


@dataclass(frozen=True)
class Case:
    """One issue with an outcome. Values on the unit interval of the issue's scale."""

    id: str
    scenario: str
    issue: str
    actors: tuple[str, ...]
    x: FloatArray  # (n,) positions of the actors present
    s: FloatArray  # (n,) saliences 0-1
    c: FloatArray  # (n,) capabilities
    roles: tuple[str, ...]
    outcome: float
    reference: float | None
    procedure: str | None
    voting_rule: str | None
    qmv_threshold: float | None
    low: float
    high: float
    split: str | None = None

    @property
    def subsets(self) -> dict[str, str]:
        """The subset labels the scores are broken down by."""
        return {
            "procedure": self.procedure or "unknown",
            "voting_rule": self.voting_rule or "unknown",
            "reference_point": "with" if self.reference is not None else "without",
        }


@dataclass
class CaseLibrary:
    """The cases of one source, the scenarios they come from, and notes."""

    name: str
    sha256: str
    cases: list[Case]
    scenarios: dict[str, Scenario]
    notes: list[str] = field(default_factory=list)
    #: Issue ids per scenario, in the scenario's order, with the case index or -1.
    layout: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def select(self, split: str | None) -> CaseLibrary:
        """The cases of one split (``None`` or ``"all"``: every scored case)."""
        if split in (None, "all"):
            return self
        keep = [c for c in self.cases if c.split == split]
        return CaseLibrary(self.name, self.sha256, keep, self.scenarios, self.notes, self.layout)


def _case_from(
    scenario: Scenario, issue: str, value: float, ref: float | None, split: str | None
) -> Case:
    arr = to_arrays(scenario)
    j = arr.issue_ids.index(issue)
    lo, hi = float(arr.low[j]), float(arr.high[j])
    present = arr.has_stance[:, j]
    opts = scenario.options.get("procedural", {})
    roles_all = opts.get("roles")
    if isinstance(roles_all, list) and len(roles_all) == len(arr.actor_ids):
        roles = tuple(str(r) for k, r in enumerate(roles_all) if present[k])
    else:
        roles = ()
    thr = opts.get("qmv_threshold")
    proc = opts.get("procedure")
    rule = opts.get("voting_rule")
    return Case(
        id=issue,
        scenario=scenario.id,
        issue=issue,
        actors=tuple(a for k, a in enumerate(arr.actor_ids) if present[k]),
        x=(arr.positions[present, j] - lo) / (hi - lo),
        s=arr.salience[present, j].copy(),
        c=arr.capability[present].copy(),
        roles=roles,
        outcome=(value - lo) / (hi - lo),
        reference=None if ref is None else (ref - lo) / (hi - lo),
        procedure=str(proc) if proc is not None else None,
        voting_rule=str(rule) if rule is not None else None,
        qmv_threshold=float(thr) if isinstance(thr, int | float) else None,
        low=lo,
        high=hi,
        split=split,
    )


def _library(
    name: str,
    digest: str,
    scenarios: Sequence[Scenario],
    splits: dict[str, str],
    notes: list[str],
) -> CaseLibrary:
    cases: list[Case] = []
    layout: dict[str, list[tuple[str, int]]] = {}
    seen: set[str] = set()
    for sc in scenarios:
        outcomes = {o.issue: o for o in sc.outcomes}
        slots = []
        for iss in sc.issue_ids:
            o = outcomes.get(iss)
            if o is None:
                slots.append((iss, -1))
                continue
            case_id = iss if iss not in seen else f"{sc.id}/{iss}"
            seen.add(case_id)
            split = splits.get(iss, splits.get(case_id))
            if splits and split is None:
                split = "unlisted"
            slots.append((iss, len(cases)))
            case = _case_from(sc, iss, o.value, o.reference_point, split)
            cases.append(replace(case, id=case_id))
        layout[sc.id] = slots
    return CaseLibrary(name, digest, cases, {s.id: s for s in scenarios}, notes, layout)


def _read_split(path: Path) -> dict[str, str]:
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as err:
        raise ScenarioError(
            [Problem("", f"cannot read the split file: {err}")], str(path)
        ) from None
    split = raw.get("split") if isinstance(raw, dict) else None
    if not isinstance(split, dict) or not all(isinstance(v, str) for v in split.values()):
        raise ScenarioError([Problem("split", "expected an object of issue id -> name")], str(path))
    return {str(k): v for k, v in split.items()}


def load_cases(
    source: str | Path, capability: str = "council", split_file: str | Path | None = None
) -> CaseLibrary:
    """Load a DEU file or a folder of scenarios with outcomes as a case library.

    The split (``train``/``dev``/...) of each issue comes from ``split_file``, or from a
    ``split.json`` next to a DEU file or inside the folder, where there is one.

    Raises
    ------
    ScenarioError
        When the source cannot be read, or holds no issue with an outcome.
    """
    path = Path(source)
    if not path.exists():
        raise ScenarioError([Problem("", "no such file or folder")], str(path))
    split_path = Path(split_file) if split_file else None
    notes: list[str] = []
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in SCENARIO_SUFFIXES)
        if split_path is None and (path / "split.json").exists():
            split_path = path / "split.json"
        files = [p for p in files if p.name != "split.json"]
        from factions.scenario.io import load_scenario

        scenarios: list[Scenario] = []
        problems: list[Problem] = []
        digest = hashlib.sha256()
        for f in files:
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
            try:
                sc = load_scenario(f)
            except ScenarioError as e:
                problems.extend(
                    Problem(f"{f.name}: {p.path}".rstrip(": "), p.message) for p in e.problems
                )
                continue
            if not sc.outcomes:
                notes.append(f"{f.name}: no outcomes; not a backtest case")
                continue
            scenarios.append(sc)
        if problems:
            raise ScenarioError(problems, str(path))
        name, sha = path.name, digest.hexdigest()
    else:
        from factions.scenario.deu import import_deu

        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise ScenarioError([Problem("", f"cannot read the file: {err}")], str(path)) from None
        found = import_deu(text, str(path), capability)
        scenarios, notes = found.scenarios, list(found.notes)
        if split_path is None and (path.parent / "split.json").exists():
            split_path = path.parent / "split.json"
        name, sha = path.name, hashlib.sha256(raw).hexdigest()
    splits = _read_split(split_path) if split_path else {}
    lib = _library(name, sha, scenarios, splits, notes)
    if not lib.cases:
        raise ScenarioError([Problem("", "no issue with an outcome to score")], str(path))
    return lib


def case_summary(case: Case) -> dict[str, Any]:
    """A case's inputs for a report (the worst misses), on the issue's 0-100 rescaling."""
    return {
        "id": case.id,
        "scenario": case.scenario,
        "outcome": round(100 * case.outcome, 3),
        "reference_point": None if case.reference is None else round(100 * case.reference, 3),
        "actors": {
            a: {"position": round(100 * float(xi), 3), "salience": round(100 * float(si), 3)}
            for a, xi, si in zip(case.actors, case.x, case.s, strict=True)
        },
    }
