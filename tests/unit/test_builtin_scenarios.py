"""The built-in scenarios: complete, and iraq-2008 traceable to the seed article."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from factions import load_scenario

SEED = Path(__file__).parents[1] / "data" / "seed" / "iraqi-leaders-watching-us-elections.txt"
# Numbers that are part of the format rather than claims about the world.
# a question's threshold and its too-close-to-call margin define the question, not the world
STRUCTURAL = {"low", "high", "seats", "threshold", "undecided_within", "schema_version"}


def raw(name: str) -> Any:
    text = (resources.files("factions.scenario") / "builtin" / f"{name}.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def walk(node: Any, path: str = "", covered: bool = False) -> Iterator[tuple[str, Any, bool]]:
    """Yield (path, value, has_provenance) for every leaf, inheriting record provenance."""
    if isinstance(node, dict):
        here = covered or bool(node.get("source")) or bool(node.get("judgment"))
        for k, v in node.items():
            yield from walk(v, f"{path}.{k}" if path else str(k), here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}.{i}", covered)
    else:
        yield path, node, covered


def test_iraq_source_quotes_are_verbatim() -> None:
    """A source is a verbatim quote from the seed article, or cites another work the
    scenario lists in metadata.sources as "key: ..." (the 2005 council results)."""
    article = SEED.read_text("utf-8")
    data = raw("iraq-2008")
    others = {r["key"] for r in data["metadata"]["sources"]} - {"seed"}
    assert others == {"iraq-2005"}
    quotes = [(p, v) for p, v, _ in walk(data) if p.endswith(".source")]
    cited = [(p, v) for p, v in quotes if v.split(": ", 1)[0] in others]
    assert len(quotes) - len(cited) >= 20
    missing = [(p, v) for p, v in quotes if v not in article and (p, v) not in cited]
    assert not missing, f"quotes not found verbatim in the seed: {missing}"
    # every district of the provincial election cites the 2005 results
    (election,) = [e for e in data["events"] if e.get("kind") == "election"]
    assert all(d["source"].startswith("iraq-2005: ") for d in election["election"]["districts"])


def test_iraq_every_number_has_provenance() -> None:
    data = raw("iraq-2008")
    bare = [
        p for p, v, covered in walk(data)
        if isinstance(v, int | float) and not isinstance(v, bool)
        and p.rsplit(".", 1)[-1] not in STRUCTURAL and not covered
    ]  # fmt: skip
    assert not bare, f"numbers without source or judgment: {bare}"


def test_iraq_has_what_the_issue_asks_for() -> None:
    s = load_scenario("iraq-2008")
    assert {"dawa", "siic", "sadrists", "najaf-clergy", "tribes", "us"} <= set(s.actor_ids)
    assert {"support-councils", "us-security-role", "pm-power"} <= set(s.issue_ids)
    assert {
        "maliki-leans-on",
        "alliance-breaks",
        "councils-survive",
        "election-gains",
        "rivalry-spirals",
    } <= {q.id for q in s.questions}
    events = {e.id: e for e in s.events}
    assert events["us-election-2008"].date.isoformat() == "2008-11-04"
    assert events["provincial-2009"].date.isoformat() == "2009-01-31"
    assert events["provincial-2009"].kind == "election"
    kinds = {(r.actor, r.kind) for r in s.resources}
    assert {
        ("dawa", "patron_support"),
        ("dawa", "popular_support"),
        ("siic", "armed_strength"),
    } <= kinds
    # The seed's Babil battalion of 1,400 tribal fighters is in the data, with its quote.
    assert any("1,400 tribal fighters" in (e.source or "") for e in s.events)


@pytest.mark.parametrize("name", ["emission-standards", "soe-reform"])
def test_reference_scenarios_are_attributed(name: str) -> None:
    s = load_scenario(name)
    assert s.metadata.sources
    assert all(a.source for a in s.actors)
    if name == "soe-reform":
        assert "MIT" in (s.metadata.license or "")
        assert len(s.actors) == 13
        assert s.issue_ids == ["policy", "competitive"]
    else:
        assert len(s.actors) == 10
        assert s.issues[0].scale.unit == "years"


def test_no_user_facing_text_names_a_path_outside_the_repository() -> None:
    """The seed article is cited as a publication, never by a path a user cannot open."""
    import re
    from pathlib import Path

    from factions import load_scenario, simulate
    from factions.report import view_of_result
    from factions.report.figures import run_figures
    from factions.scenario.io import builtin_names, dumps_scenario

    outside = re.compile(r"shared/|/work/|\.\./")
    root = Path(__file__).resolve().parents[2]
    for name in builtin_names():
        text = dumps_scenario(load_scenario(name))
        assert not outside.search(text), name
        raw = (root / "src" / "factions" / "scenario" / "builtin" / f"{name}.yaml").read_text()
        assert not outside.search(raw), name
    for doc in [*(root / "docs").glob("*.md"), root / "README.md"]:
        for line in doc.read_text("utf-8").splitlines():
            assert "shared/seed" not in line, (doc.name, line)
    s = load_scenario("iraq-2008")
    seed = next(r for r in s.metadata.sources if r.key == "seed")
    assert "Iraqi Leaders Closely Watching U.S. Elections" in seed.citation
    assert "2008" in seed.citation
    figures = run_figures(view_of_result(simulate(s, "mean")))
    assert not outside.search(str(figures))
