"""The DEU III importer: proposals as scenarios with outcomes, capabilities, bad cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from factions.errors import ScenarioError
from factions.scenario.deu import (
    NICE,
    PRE_NICE,
    capabilities,
    import_deu,
    import_deu_file,
    regime,
)
from factions.scenario.importers import import_text

DEU = Path(__file__).parents[1] / "data" / "deu3" / "deu3-dev.csv"

HEAD = "prnr;prname;isnr;type;proc;counvte;intro;finact;pcom;pep;pde;pfr;scom;sep;sde;sfr;rp;out"


def test_the_project_copy_imports_whole() -> None:
    found = import_deu_file(DEU)
    assert len(found.issues) == 258
    assert len(found.scenarios) == 124  # proposals
    first = found.scenarios[0]
    assert first.id == "d00032"
    assert first.issue_ids == ["d00032i1", "d00032i2", "d00032i4"]
    # Actors only where they hold a position and a salience (EU-15 in 2000).
    assert len(first.actors) == 17
    out = {o.issue: o for o in first.outcomes}
    assert out["d00032i1"].value == 100
    assert out["d00032i1"].reference_point == 0
    assert first.options["procedural"]["procedure"] == "COD"
    assert "CC BY 4.0" in (first.metadata.license or "")
    # The copy's mangled dates are repaired and reported.
    assert any("'2014-07-04' read as 14-07-04" in n for n in found.notes)
    assert found.issues["d04167i2"].date == dt.date(2004, 7, 14)


def test_capability_rules() -> None:
    pre = capabilities(["com", "ep", "de", "lu"], dt.date(2000, 1, 1))
    assert pre == {"com": 10.0, "ep": 10.0, "de": 10.0, "lu": 2.0}
    assert sum(PRE_NICE[a] for a in list(PRE_NICE)[:15]) == 87
    assert sum(v for a, v in NICE.items() if a != "cr") == 345
    nice = capabilities(["com", "de", "mt"], dt.date(2008, 1, 1))
    assert nice == {"com": 29.0, "de": 29.0, "mt": 3.0}
    lisbon = capabilities(["ep", "de", "mt"], dt.date(2016, 1, 1))
    assert lisbon["ep"] == lisbon["de"] > 80 > lisbon["mt"]
    assert capabilities(["com", "de"], dt.date(2016, 1, 1), "equal") == {"com": 1.0, "de": 1.0}
    assert [regime(dt.date(y, 1, 1)) for y in (2004, 2005, 2015)] == ["pre-nice", "nice", "lisbon"]


def test_tab_separated_and_missing_codes() -> None:
    rows = [
        HEAD,
        "p1;x;p1i1;Reg;CNS;Unan;01-02-03;;50;;999;100;80;;50;40;0;100",
    ]
    text = "\n".join(r.replace(";", "\t") for r in rows)
    found = import_deu(text, "t.tsv", "equal")
    (sc,) = found.scenarios
    assert [a.id for a in sc.actors] == ["com", "fr"]  # de's 999 is a missing-value code
    assert any("line 2, pde: 999 is a missing-value code" in n for n in found.notes)
    assert sc.options["procedural"]["voting_rule"] == "unanimity"
    # A one-proposal DEU file is a scenario for the generic importer too.
    assert import_text(text, "t.csv").id == "p1"


def test_bad_cells_name_line_and_column() -> None:
    text = "\n".join(
        [
            HEAD,
            "p1;x;p1i1;Reg;XYZ;QMV;01-02-03;;fifty;0;0;0;50;50;50;50;0;100",
            "p1;x;p1i2;Reg;COD;QMV;31-02-03;;1;0;0;0;50;50;50;50;0;1",
        ]
    )
    with pytest.raises(ScenarioError) as info:
        import_deu(text, "bad.csv")
    msgs = [str(p) for p in info.value.problems]
    assert "line 2, proc: must be COD or CNS, got 'XYZ'" in msgs
    assert "line 2, pcom: must be a number or empty, got 'fifty'" in msgs
    assert "line 3, intro: is not a valid date: '31-02-03'" in msgs
    with pytest.raises(ScenarioError, match="--capability: must be one of council, equal"):
        import_deu(text, "bad.csv", "gdp")


def test_many_proposals_are_not_one_scenario() -> None:
    with pytest.raises(ScenarioError, match="124 proposals is a case library"):
        import_text(DEU.read_text("utf-8"), str(DEU))
