"""The report's figure specs (factions.report.figures): shapes, order, bands, snapshots."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from factions import load_scenario, simulate
from factions.dynamics.events import due_step
from factions.ensemble import run_ensemble
from factions.ensemble.sensitivity import run_sensitivity
from factions.errors import FactionsError
from factions.report import RunView, run_figures, view_of_result, view_of_run_dir
from factions.report.figures import SECTIONS, actor_colors, input_label
from factions.scenario.io import parse_scenario
from factions.simulate import RunResult, month_dates

from . import tiny

Figure = dict[str, Any]
URL_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@pytest.fixture(scope="module")
def iraq() -> RunResult:
    return simulate(load_scenario("iraq-2008"), "mean", seed=0)


@pytest.fixture(scope="module")
def iraq_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small stored ensemble of iraq-2008, with a sensitivity ranking."""
    out = tmp_path_factory.mktemp("runs")
    res = run_sensitivity(load_scenario("iraq-2008"), runs=60, seed=0, out=out)
    return Path(res.run_dir)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stored ensemble of a scenario with four uncertain inputs: PRCC is estimable."""
    out = tmp_path_factory.mktemp("runs")
    res = run_sensitivity(parse_scenario(tiny()), runs=60, seed=1, out=out)
    return Path(res.run_dir)


def sections(figures: list[Figure]) -> list[str]:
    return [f["section"] for f in figures]


def check_common(figures: list[Figure]) -> None:
    """What holds for every report: answers first, sections in order, unique url-safe ids,
    JSON without NaN, each kind's keys."""
    assert figures[0]["section"] == "answers"
    assert figures[0]["id"] == "answers"
    order = [SECTIONS.index(s) for s in sections(figures)]
    assert order == sorted(order)
    ids = [f["id"] for f in figures]
    assert len(ids) == len(set(ids))
    assert all(URL_SAFE.match(i) for i in ids), ids
    json.dumps(figures, allow_nan=False)
    for f in figures:
        assert f["title"]
        if f["kind"] == "plotly":
            assert isinstance(f["data"], list)
            assert isinstance(f["layout"], dict)
        elif f["kind"] == "table":
            assert all(len(r) == len(f["columns"]) for r in f["rows"])
        else:
            assert f["kind"] == "network"
            for snap in f["snapshots"]:
                dt.date.fromisoformat(snap["date"])
                nodes = [e for e in snap["elements"] if "source" not in e["data"]]
                edges = [e for e in snap["elements"] if "source" in e["data"]]
                names = {n["data"]["id"] for n in nodes}
                for e in edges:
                    d = e["data"]
                    assert {d["source"], d["target"]} <= names
                    assert 0 <= d["weight"] <= 1
                    assert d["sign"] in ("ally", "rival")
                assert all(n["data"]["size"] > 0 and n["data"]["label"] for n in nodes)


def bands(figure: Figure) -> Iterator[list[list[float | None]]]:
    """Every band in a Plotly figure: [q05, q95, q25, q75, q50], as drawn (tonexty fills)."""
    data = figure["data"]
    for i in range(len(data) - 4):
        five = data[i : i + 5]
        if (
            five[1].get("fill") == "tonexty"
            and five[3].get("fill") == "tonexty"
            and five[0].get("fill") is None
            and len({t.get("legendgroup") for t in five}) == 1
        ):
            yield [t["y"] for t in five]


def check_bands(figure: Figure) -> int:
    """q05 <= q25 <= q50 <= q75 <= q95 wherever all are defined; returns the band count."""
    n = 0
    for q05, q95, q25, q75, q50 in bands(figure):
        n += 1
        for vals in zip(q05, q25, q50, q75, q95, strict=True):
            if None in vals:
                continue
            assert list(vals) == sorted(vals), (figure["id"], vals)
    return n


def by_id(figures: list[Figure]) -> dict[str, Figure]:
    return {f["id"]: f for f in figures}


# -- single runs ---------------------------------------------------------------------------
def test_single_political_run(iraq: RunResult) -> None:
    view = view_of_result(iraq)
    assert view.kind == "single"
    assert "iraq-2008" in view.label
    figures = run_figures(view)
    check_common(figures)
    assert set(sections(figures)) == set(SECTIONS) - {"sensitivity"}
    figs = by_id(figures)
    data = iraq.to_json()

    # The answers: one row per question, the run's own answer and evidence.
    answers = figs["answers"]
    assert [r[0] for r in answers["rows"]] == [q["text"] for q in data["questions"]]
    assert [r[1] for r in answers["rows"]] == [q["summary"] for q in data["questions"]]
    assert [r[2] for r in answers["rows"]] == [q["evidence"] for q in data["questions"]]

    # One chart per issue: every actor with a stance, and the forecast, at every month.
    for issue in iraq.scenario.issues:
        fig = figs[f"issue-{issue.id}"]
        traces = fig["data"]
        assert len(traces) == len(data["issues"][issue.id]["positions"]) + 1
        assert all(t["x"] == data["dates"] for t in traces)
        assert traces[-1]["y"] == pytest.approx(data["forecasts"][issue.id])
        assert fig["layout"]["yaxis"]["range"][0] < issue.scale.low
        assert issue.scale.low_label in fig["layout"]["title"]["subtitle"]["text"]

    # The network: at the start, at the election's month, at the end.
    net = figs["alliance-network"]
    dates = [s["date"] for s in net["snapshots"]]
    assert dates == [data["dates"][0], data["elections"][0]["date"], data["dates"][-1]]
    for snap in net["snapshots"]:
        t = data["dates"].index(snap["date"])
        edges = {e["data"]["id"]: e["data"] for e in snap["elements"] if "source" in e["data"]}
        nodes = [e for e in snap["elements"] if "source" not in e["data"]]
        assert [n["data"]["id"] for n in nodes] == iraq.scenario.actor_ids
        for pair, series in data["alliances"].items():
            w = series[t]
            if abs(w) >= 0.05:
                assert edges[pair]["weight"] == pytest.approx(abs(w), abs=1e-4)
                assert edges[pair]["sign"] == ("ally" if w > 0 else "rival")
            else:
                assert pair not in edges

    # Security: one chart per rival pair, armed strength and beliefs on a second axis.
    for pair, entry in data["security"].items():
        a, b = pair.split("|")
        fig = figs[f"security-{a}-vs-{b}"]
        assert ("stable" if entry["stable"] else "spiralling") in fig["title"]
        assert fig["caption"] == entry["verdict"]
        beliefs = [t for t in fig["data"] if t.get("yaxis") == "y2"]
        assert [t["y"] for t in beliefs] == [pytest.approx(v) for v in entry["belief"].values()]
        # The belief axis has round ticks of its own (not 13, 33, 54 % from the left axis).
        assert fig["layout"]["yaxis2"]["tickvals"] == [0, 0.25, 0.5, 0.75, 1]

    # Elections: shares add up to 100 %, the table has the seats.
    el = data["elections"][0]
    fig = figs[f"election-{el['event']}"]
    votes, seats = fig["data"]
    assert sum(votes["y"]) == pytest.approx(100)
    assert sum(seats["y"]) == pytest.approx(100)
    table = figs[f"election-{el['event']}-table"]
    assert sorted(r[3] for r in table["rows"]) == sorted(el["seats"].values())


def test_actor_colours_are_the_same_in_every_figure(iraq: RunResult) -> None:
    colours = actor_colors(iraq.scenario)
    assert len(set(colours.values())) == len(colours)
    figures = run_figures(view_of_result(iraq))
    for f in figures:
        if f["kind"] == "plotly":
            for t in f["data"]:
                group = t.get("legendgroup")
                if group in colours and t.get("line", {}).get("width", 0) > 0:
                    assert t["line"]["color"] == colours[group], f["id"]
        if f["kind"] == "network":
            for snap in f["snapshots"]:
                for e in snap["elements"]:
                    if "color" in e["data"]:
                        assert e["data"]["color"] == colours[e["data"]["id"]]


def test_bargaining_only_eum_run_shows_its_rounds() -> None:
    result = simulate(load_scenario("emission-standards"), "eum", seed=0)
    data = result.to_json()
    figures = run_figures(view_of_result(result))
    check_common(figures)
    assert set(sections(figures)) == {"answers", "issues", "inputs"}
    fig = by_id(figures)["issue-emission"]
    rounds = list(range(data["steps"] + 1))
    by_name = {t["name"]: t for t in fig["data"]}
    assert by_name["median (eum)"]["x"] == rounds
    assert by_name["median (eum)"]["y"][1:] == pytest.approx(data["issues"]["emission"]["median"])
    assert by_name["median (eum)"]["y"][0] is None  # per round, from round 1
    assert by_name["mean (eum)"]["y"][1:] == pytest.approx(data["issues"]["emission"]["mean"])
    assert by_name["forecast"]["x"] == [rounds[-1]]
    assert by_name["forecast"]["y"] == pytest.approx([data["issues"]["emission"]["forecast"]])
    assert fig["layout"]["xaxis"]["title"]["text"] == "round"
    actors = [t for t in fig["data"] if t.get("legendgroup") in result.scenario.actor_ids]
    assert len(actors) == len(result.scenario.actors)


def test_a_run_with_one_state_shows_positions_on_the_scale() -> None:
    result = simulate(load_scenario("emission-standards"), "mean")
    figures = run_figures(view_of_result(result))
    check_common(figures)
    fig = by_id(figures)["issue-emission"]
    line = next(t for t in fig["data"] if t["name"] == "forecast")
    assert line["x"] == pytest.approx([float(result.forecast[0])] * 2)
    dots = [t for t in fig["data"] if t["name"] != "forecast"]
    assert sorted(t["x"][0] for t in dots) == sorted(
        float(result.positions[-1, i, 0]) for i in range(len(result.scenario.actors))
    )


def test_unanswered_questions_say_why() -> None:
    raw = tiny()
    del raw["metadata"]["horizon"]  # bargaining only: ties, seats and races are not modelled
    result = simulate(parse_scenario(raw), "mean")
    rows = by_id(run_figures(view_of_result(result)))["answers"]["rows"]
    unanswered = [r for r in rows if r[1] == "not answered"]
    assert unanswered
    assert all("political dynamics" in r[2] for r in unanswered)


def test_inputs_list_every_value_with_its_provenance(iraq: RunResult) -> None:
    s = iraq.scenario
    figs = by_id(run_figures(view_of_result(iraq)))
    rows = figs["inputs"]["rows"]
    cols = figs["inputs"]["columns"]
    assert cols == ["Item", "Field", "Value", "Range", "Source", "Judgment"]
    stance_rows = [r for r in rows if r[1] in ("position", "salience")]
    assert len(stance_rows) == 2 * len(s.stances)
    kinds = {r.kind for r in s.resources}
    assert len([r for r in rows if r[1] in kinds]) == len(s.resources)
    # iraq-2008 gives every number a source or a judgment.
    assert all(r[4] or r[5] for r in rows if r[2] is not None)
    first = s.stances[0]
    row = stance_rows[0]
    assert row[2] == pytest.approx(first.position.value)  # type: ignore[union-attr]
    assert row[3] == f"{first.position.low:g} to {first.position.high:g}"  # type: ignore[union-attr]
    assert row[4] == first.source
    assert row[5] == first.position.judgment  # type: ignore[union-attr]
    assert [r[0] for r in figs["sources"]["rows"]] == [r.key for r in s.metadata.sources]


# -- ensembles -----------------------------------------------------------------------------
def test_ensemble_run_dir(iraq_run: Path) -> None:
    view = view_of_run_dir(iraq_run)
    assert view.kind == "ensemble"
    assert view.label == iraq_run.name
    agg = view.data["aggregates"]
    figures = run_figures(view)
    check_common(figures)
    assert set(sections(figures)) == set(SECTIONS)
    figs = by_id(figures)

    # Answers: a probability for each question; the bars of each question sum to 1.
    rows = figs["answers"]["rows"]
    assert [r[0] for r in rows] == [q.text for q in view.scenario.questions]
    for q in view.scenario.questions:
        e = agg["questions"][q.id]
        row = rows[[r[0] for r in rows].index(q.text)]
        if q.kind == "yes_no":
            p = e["probability_yes"]
            assert row[1] == ("yes" if p >= 0.5 else "no")
            assert row[2] == f"{100 * max(p, 1 - p):.0f} %"
    bars = figs["answer-probabilities"]["data"]
    totals: dict[str, float] = {}
    for b in bars:
        totals[b["y"][0]] = totals.get(b["y"][0], 0.0) + b["x"][0]
    assert len(totals) == sum(q.kind in ("yes_no", "choice") for q in view.scenario.questions)
    assert all(v == pytest.approx(1.0) for v in totals.values())

    # Bands are ordered, everywhere they are drawn.
    n_bands = sum(check_bands(f) for f in figures if f["kind"] == "plotly")
    positions = [k for k in agg["series"] if k.startswith("position:")]
    assert n_bands >= len(positions) + len(view.scenario.issues)
    for issue in view.scenario.issues:
        fig = figs[f"issue-{issue.id}"]
        forecast = [t for t in fig["data"] if t.get("legendgroup") == f"issue:{issue.id}"]
        assert [t["y"] for t in forecast] == [
            agg["series"][f"issue:{issue.id}"][k] for k in ("q05", "q95", "q25", "q75", "q50")
        ]

    # The network at the start, the election's month and the end (medians of the ties).
    dates = month_dates(view.scenario.metadata.date, view.scenario.metadata.horizon)  # type: ignore[arg-type]
    election = next(e for e in view.scenario.events if e.kind == "election")
    t_el = due_step(election.date, dates)
    assert t_el is not None
    net = figs["alliance-network"]
    expected = [dates[0], dates[t_el], dates[-1]]
    assert [s["date"] for s in net["snapshots"]] == [d.isoformat() for d in expected]
    end = net["snapshots"][-1]
    median = agg["series"]["tie:dawa|siic"]["q50"][-1]
    edge = next((e["data"] for e in end["elements"] if e["data"]["id"] == "dawa|siic"), None)
    if abs(median) >= 0.05:
        assert edge is not None
        assert edge["weight"] == pytest.approx(abs(median), abs=1e-4)

    # Seats: boxes from the stored quantiles, in order.
    for ev, by_actor in agg["elections"].items():
        boxes = figs[f"election-{ev}"]["data"]
        assert len(boxes) == len(by_actor)
        for b in boxes:
            vals = [b[k][0] for k in ("lowerfence", "q1", "median", "q3", "upperfence")]
            assert vals == sorted(vals)
        # The table gives whole seats (quantiles interpolate: never "159.2 seats").
        for row in figs[f"election-{ev}-table"]["rows"]:
            for cell in row[1:4]:
                assert re.fullmatch(r"\d+( to \d+)?", str(cell)), row

    # Sensitivity: 60 members for 76 inputs is too few for PRCC, and the report says so.
    table = figs["sensitivity"]
    assert "PRCC needs more members than inputs" in table["caption"]


def test_sensitivity_ranking(tiny_run: Path) -> None:
    view = view_of_run_dir(tiny_run)
    sens = view.data["sensitivity"]
    figures = run_figures(view)
    check_common(figures)
    figs = by_id(figures)
    table = figs["sensitivity"]
    assert table["columns"] == ["Question", "Rank", "Input", "Path", "PRCC", "p-value"]
    ranked = [r for r in table["rows"] if r[1] is not None]
    assert ranked
    for qid, ranking in sens["questions"].items():
        rows = [r for r in ranked if r[0] == next(q.text for q in view.scenario.questions
                                                  if q.id == qid)]  # fmt: skip
        expected = [r for r in ranking if r["prcc"] is not None][:10]
        assert [r[3] for r in rows] == [r["input"] for r in expected]
        assert [r[4] for r in rows] == pytest.approx([r["prcc"] for r in expected])
        assert [r[1] for r in rows] == list(range(1, len(rows) + 1))
        if expected:
            bar = figs[f"sensitivity-{qid}"]["data"][0]
            assert bar["x"] == pytest.approx([r["prcc"] for r in expected])
            strengths = [abs(v) for v in bar["x"]]
            assert strengths == sorted(strengths, reverse=True)


def test_input_labels() -> None:
    s = load_scenario("iraq-2008")
    assert input_label(s, "stances.0.position") == "dawa: position on support-councils"
    assert input_label(s, "stances.0.salience") == "dawa: salience on support-councils"
    assert input_label(s, "ties.0.strength") == "tie dawa–siic"
    k = next(i for i, r in enumerate(s.resources) if (r.actor, r.kind) == ("siic", "money"))
    assert input_label(s, f"resources.{k}.amount") == "siic: money"
    e = next(i for i, ev in enumerate(s.events) if ev.id == "babil-battalion")
    label = input_label(s, f"events.{e}.changes.0.value")
    assert label == "babil-battalion: add tribes armed_strength"
    assert input_label(s, "nonsense.9") == "nonsense.9"


def test_bargaining_only_ensemble(tmp_path: Path) -> None:
    res = run_ensemble(load_scenario("soe-reform"), runs=8, seed=0, model="eum", out=tmp_path)
    figures = run_figures(view_of_run_dir(res.run.path))
    check_common(figures)
    assert set(sections(figures)) == {"answers", "issues", "inputs"}
    fig = by_id(figures)["issue-policy"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "round"
    assert check_bands(fig) == 13 + 2  # 13 actors, the median and the mean


# -- run directories that are not (complete) runs -------------------------------------------
def copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_view_of_run_dir_rejects_what_is_not_a_complete_run(iraq_run: Path, tmp_path: Path) -> None:
    def fails(path: Path, message: str) -> None:
        with pytest.raises(FactionsError, match=re.escape(message)):
            view_of_run_dir(path)

    fails(tmp_path / "nope", "not a run directory")
    (tmp_path / "file.txt").write_text("x")
    fails(tmp_path / "file.txt", "not a run directory")
    (tmp_path / "empty").mkdir()
    fails(tmp_path / "empty", "no manifest.json")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "manifest.json").write_text('{"name": "something else", "version": 3}')
    fails(foreign, "not a run manifest")
    (foreign / "manifest.json").write_text("not json {")
    fails(foreign, "cannot read the manifest")

    running = copy_run(iraq_run, tmp_path / "running")
    manifest = json.loads((running / "manifest.json").read_text())
    (running / "manifest.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    fails(running, "not complete (status: interrupted)")

    no_agg = copy_run(iraq_run, tmp_path / "no-agg")
    (no_agg / "aggregates.json").unlink()
    fails(no_agg, "no aggregates.json")

    bad_agg = copy_run(iraq_run, tmp_path / "bad-agg")
    (bad_agg / "aggregates.json").write_text('{"members": 3}')
    fails(bad_agg, "not a factions aggregate")

    bad_scenario = copy_run(iraq_run, tmp_path / "bad-scenario")
    raw = json.loads((bad_scenario / "scenario.json").read_text())
    raw["stances"][0]["salience"] = 170
    (bad_scenario / "scenario.json").write_text(json.dumps(raw))
    fails(bad_scenario, "not a valid scenario")

    bad_sens = copy_run(iraq_run, tmp_path / "bad-sens")
    (bad_sens / "sensitivity.json").write_text("[]")
    fails(bad_sens, "not a sensitivity ranking")

    # Without a sensitivity ranking the run is fine, and the section is absent.
    no_sens = copy_run(iraq_run, tmp_path / "no-sens")
    (no_sens / "sensitivity.json").unlink()
    view = view_of_run_dir(no_sens)
    assert view.data["sensitivity"] is None
    assert "sensitivity" not in sections(run_figures(view))


def test_views_are_frozen(iraq: RunResult) -> None:
    view = view_of_result(iraq)
    assert isinstance(view, RunView)
    with pytest.raises(AttributeError):
        view.label = "x"  # type: ignore[misc]


def test_legends_name_actors_one_way(iraq: RunResult) -> None:
    """Legends use actor ids throughout, never ids for some actors and names for others."""
    figures = run_figures(view_of_result(iraq))
    names = {a.name for a in iraq.scenario.actors if a.name != a.id}
    ids = {a.id for a in iraq.scenario.actors}
    used: set[str] = set()
    for f in figures:
        if f["kind"] != "plotly":
            continue
        for t in f["data"]:
            name = str(t.get("name", ""))
            assert not any(name.startswith(n) for n in names), (f["id"], name)
            used.update(w for w in re.split(r"[ –]+", name) if w in ids)
    assert used  # the legends do name actors (by id)
