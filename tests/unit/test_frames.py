"""Results as data: tidy tables, the CLI's csv/parquet output, notebook views (item 14)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from factions import load_scenario, simulate
from factions.cli import app
from factions.ensemble import run_ensemble

runner = CliRunner()


@pytest.fixture(scope="module")
def iraq_run() -> object:
    return simulate(load_scenario("iraq-2008"), "mean", seed=0)


def test_run_table_is_tidy_and_matches_the_run(iraq_run: object) -> None:
    r = iraq_run
    t = r.to_arrow()  # type: ignore[attr-defined]
    assert t.column_names == ["member", "step", "date", "series", "value"]
    steps = r.positions.shape[0]  # type: ignore[attr-defined]
    assert t.num_rows % steps == 0
    rows = t.to_pylist()
    dawa = [x for x in rows if x["series"] == "position:dawa:support-councils"]
    assert [x["step"] for x in dawa] == list(range(steps))
    arr = r.arrays  # type: ignore[attr-defined]
    i, j = arr.actor_ids.index("dawa"), arr.issue_ids.index("support-councils")
    np.testing.assert_allclose([x["value"] for x in dawa], r.positions[:, i, j])  # type: ignore[attr-defined]
    assert dawa[0]["date"] == "2008-10-15"
    assert {x["member"] for x in rows} == {0}


def test_bargaining_run_has_rounds_not_dates() -> None:
    t = simulate(load_scenario("emission-standards"), "eum").to_arrow()
    assert set(t.column("date").to_pylist()) == {None}
    assert any(s.startswith("median:") for s in t.column("series").to_pylist())


def test_ensemble_table_has_the_runs_series_per_member(tmp_path: Path, iraq_run: object) -> None:
    s = load_scenario("iraq-2008")
    res = run_ensemble(s, runs=6, seed=0, out=tmp_path)
    t = res.to_arrow()
    assert t.column_names == ["member", "step", "date", "series", "value"]
    assert set(t.column("member").to_pylist()) == set(range(6))
    single = set(iraq_run.to_arrow().column("series").to_pylist())  # type: ignore[attr-defined]
    assert set(t.column("series").to_pylist()) == single  # one naming for both
    frame = res.to_frame()
    assert len(frame) == t.num_rows
    html = res._repr_html_()
    assert "<table>" in html
    assert "<svg" in html


def test_notebook_views_show_a_table_and_a_chart_and_escape_text(iraq_run: object) -> None:
    html = iraq_run._repr_html_()  # type: ignore[attr-defined]
    assert "<table>" in html
    assert "<polyline" in html
    s = load_scenario("iraq-2008")
    meta = s.metadata.model_copy(update={"title": "<script>alert(1)</script>"})
    shown = s.model_copy(update={"metadata": meta})._repr_html_()
    assert "<script>" not in shown
    assert "&lt;script&gt;" in shown
    assert "<svg" in shown


def test_run_format_csv_and_parquet() -> None:
    r = runner.invoke(app, ["run", "--format", "csv"])
    assert r.exit_code == 0, r.output
    table = pacsv.read_csv(io.BytesIO(r.stdout_bytes))
    assert table.column_names == ["member", "step", "date", "series", "value"]
    p = runner.invoke(app, ["run", "--format", "parquet"])
    assert p.exit_code == 0
    assert pq.read_table(io.BytesIO(p.stdout_bytes)).num_rows == table.num_rows
    bad = runner.invoke(app, ["run", "--format", "xlsx"])
    assert bad.exit_code == 2
