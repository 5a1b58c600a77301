"""The share of members whose answer is too close to call (issue 10, item 6): streamed with
the other aggregates, exact, the same whatever the merge order or backend, and shown by the
CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from factions.cli import app
from factions.ensemble.runner import aggregates_of, load_sketch, run_ensemble
from factions.ensemble.sketch import Accumulator
from factions.scenario.io import _builtin_text, parse_scenario
from factions.scenario.schema import Scenario

MARGINS = {"councils-survive": 2.5, "alliance-breaks": 0.05, "election-gains": 20.0}


def _data() -> dict[str, Any]:
    d = yaml.safe_load(_builtin_text("iraq-2008"))
    for q in d["questions"]:
        # the questions named here get these margins, every other one none (the shipped
        # scenario has its own; a question without one must carry no undecided share)
        q.pop("undecided_within", None)
        for c in q.get("all", []) + q.get("any", []):
            c.pop("undecided_within", None)
        if q["id"] in MARGINS:
            q["undecided_within"] = MARGINS[q["id"]]
    return d


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return parse_scenario(_data())


def _members(files: list[Path]) -> dict[str, np.ndarray]:
    cols: dict[str, list[np.ndarray]] = {}
    for f in files:
        for k, v in pq.read_table(f).to_pydict().items():
            cols.setdefault(k, []).append(np.asarray(v, dtype=np.float64))
    return {k: np.concatenate(v) for k, v in cols.items()}


def test_the_undecided_share_is_exact_and_merge_order_free(
    scenario: Scenario, tmp_path: Path
) -> None:
    res = run_ensemble(scenario, runs=90, seed=2, chunk_size=30, out=tmp_path,
                       store_series=False)  # fmt: skip
    agg = res.aggregates["questions"]
    members = _members(res.run.part_files("members"))
    shares = []
    for q in scenario.questions:
        if q.id not in MARGINS:
            assert "undecided_share" not in agg[q.id]
            assert f"undecided:{q.id}" not in members
            continue
        flag = members[f"undecided:{q.id}"]
        answered = ~np.isnan(members[f"q:{q.id}"])
        assert agg[q.id]["undecided"] == int(np.sum(flag == 1))
        assert agg[q.id]["undecided_share"] == np.sum(flag == 1) / answered.sum()
        shares.append(agg[q.id]["undecided_share"])
    assert any(0 < s < 1 for s in shares)  # not vacuous
    backward = Accumulator()
    for chunk in (2, 1, 0):
        backward.add(load_sketch(res.run, chunk), chunk)
    assert json.dumps(aggregates_of(backward, scenario)) == json.dumps(res.aggregates)
    # a resume that loses one chunk recomputes it and gives the same aggregates
    for kind in ("members", "sketch"):
        for f in res.run.part_files(kind):
            if "00001" in f.name:
                f.unlink()
    with pytest.warns(UserWarning, match="recomputing"):
        again = run_ensemble(scenario, runs=90, seed=2, chunk_size=30, out=tmp_path,
                             store_series=False)  # fmt: skip
    assert json.dumps(again.aggregates) == json.dumps(res.aggregates)


def test_the_undecided_share_is_the_same_on_every_backend(
    scenario: Scenario, tmp_path: Path
) -> None:
    from factions.ensemble.backends import ProcessBackend

    kw: dict[str, Any] = {"runs": 40, "seed": 3, "chunk_size": 10, "store_series": False}
    local = run_ensemble(scenario, out=tmp_path / "a", **kw)
    procs = run_ensemble(scenario, out=tmp_path / "b", backend=ProcessBackend(2), **kw)
    assert json.dumps(local.aggregates) == json.dumps(procs.aggregates)


def test_the_cli_shows_the_undecided_share(tmp_path: Path) -> None:
    p = tmp_path / "iraq.yaml"
    p.write_text(yaml.safe_dump(_data(), sort_keys=False, allow_unicode=True))
    args = ["ensemble", str(p), "--runs", "30", "--seed", "1", "--runs-dir", str(tmp_path)]
    r = CliRunner().invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    agg = json.loads(r.stdout)
    share = agg["questions"]["councils-survive"]["undecided_share"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    shown = " ".join(r.stdout.split())  # the table may wrap a cell
    assert f"undecided {100 * share:.1f}%" in shown


def test_the_report_shows_the_undecided_share(scenario: Scenario, tmp_path: Path) -> None:
    from factions.report import run_figures, view_of_run_dir
    from factions.report.figures import _pct

    res = run_ensemble(scenario, runs=30, seed=1, out=tmp_path, store_series=False)
    figures = {f["id"]: f for f in run_figures(view_of_run_dir(res.run.path))}
    rows = {r[0]: r for r in figures["answers"]["rows"]}
    for q in scenario.questions:
        e = res.aggregates["questions"][q.id]
        detail = rows[q.text][3]
        if q.id in MARGINS:
            assert f"undecided in {_pct(e['undecided_share'])} ({e['undecided']} members)" in (
                detail
            )
        else:
            assert "undecided" not in detail
