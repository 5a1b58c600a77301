"""write_report: one offline HTML page with Plotly inlined, PNGs beside it, atomic writes."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

import factions.report as report
from factions import load_scenario, simulate
from factions.errors import FactionsError
from factions.report import run_figures, view_of_result, view_of_run_dir, write_report
from factions.report.html import embed_json, plotly_js
from factions.report.plots import MAIN_FIGURES, render_png
from factions.scenario.io import parse_scenario
from factions.simulate import RunResult

from . import EVIL_DESCRIPTION, EVIL_JUDGMENT, EVIL_NAME, tiny

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOTLY_VERSION = "plotly.js v4.1.2"


@pytest.fixture(scope="module")
def iraq() -> RunResult:
    return simulate(load_scenario("iraq-2008"), "mean", seed=0)


def embedded_figures(page: str) -> Any:
    m = re.search(r'<script type="application/json" id="report-figures">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def check_offline(page: str) -> None:
    """Nothing is loaded from anywhere: no external scripts, styles, images or frames.

    The inlined Plotly.js names addresses in strings (attributions, map tiles it never
    loads here); the rest of the page names none at all.
    """
    assert page.count(plotly_js()) == 1
    page = page.replace(plotly_js(), "")
    assert "http://" not in page
    assert "https://" not in page
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link\b", page, re.I)
    assert not re.search(r"<(img|iframe|embed|object|source)\b[^>]*\b(src|data)\s*=", page, re.I)
    assert not re.search(r"\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", page, re.I)
    assert "default-src 'none'" in page  # the Content-Security-Policy forbids every fetch


def check_pngs(paths: list[Path]) -> None:
    assert paths
    for p in paths:
        assert p.read_bytes()[:8] == PNG_MAGIC, p


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders (their names start with a dot)."""
    return sorted(p.name for p in folder.rglob(".*"))


def test_single_run_report(iraq: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "iraq.html"  # the folder is created
    written = write_report(iraq, out)
    assert written[0] == out
    page = out.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert PLOTLY_VERSION in page
    assert plotly_js() in page
    check_offline(page)

    # The figures are embedded as JSON, exactly as run_figures gives them.
    figures = run_figures(view_of_result(iraq))
    assert embedded_figures(page) == json.loads(json.dumps(figures))
    for f in figures:
        assert f'id="fig-{f["id"]}"' in page
    # Tables are rendered as HTML: the answers are readable without JavaScript.
    for q in iraq.to_json()["questions"]:
        assert f"<td>{html.escape(q['text'])}</td>" in page
    # Sections in order, a table of contents, and the header.
    positions = [page.index(f'<section class="part" id="{s}">') for s in report.figures.SECTIONS]
    assert positions == sorted(positions)
    assert '<nav class="toc"' in page
    assert html.escape(iraq.scenario.metadata.title) in page

    # The PNGs of the main figures, linked from the page.
    pngs = written[1:]
    folder = tmp_path / "reports" / "iraq-figures"
    assert sorted(pngs) == sorted(folder.iterdir())
    check_pngs(pngs)
    names = {p.stem for p in pngs}
    assert {f"issue-{i}" for i in iraq.scenario.issue_ids} <= names
    assert {"ties", "armed-strength", "election-provincial-2009"} <= names
    assert all(n.startswith(MAIN_FIGURES) for n in names)
    for p in pngs:
        assert f'href="iraq-figures/{p.name}"' in page
    assert leftovers(tmp_path) == []


def test_ensemble_report(tmp_path: Path) -> None:
    from factions.ensemble.sensitivity import run_sensitivity

    res = run_sensitivity(parse_scenario(tiny()), runs=60, seed=2, out=tmp_path / "runs")
    run = Path(res.run_dir)
    out = tmp_path / "tiny.html"
    written = write_report(run, out)
    page = out.read_text("utf-8")
    check_offline(page)
    assert PLOTLY_VERSION in page
    assert embedded_figures(page) == json.loads(json.dumps(run_figures(view_of_run_dir(run))))
    assert "Members</dt><dd>60</dd>" in page
    assert 'id="sensitivity"' in page
    check_pngs(written[1:])
    assert {p.stem for p in written[1:]} == {"issue-x", "ties", "armed-strength", "election-vote"}
    assert leftovers(tmp_path) == []


def test_scenario_text_is_escaped(tmp_path: Path) -> None:
    result = simulate(parse_scenario(tiny()))
    out = tmp_path / "evil.html"
    write_report(result, out)
    page = out.read_text("utf-8")
    for evil in (EVIL_NAME, EVIL_DESCRIPTION, EVIL_JUDGMENT, "<script>A</script>", "<b>tiny</b>"):
        assert evil not in page
    assert html.escape(EVIL_NAME) in page  # in the inputs table
    assert html.escape(EVIL_JUDGMENT) in page
    assert "A &lt;b&gt;tiny&lt;/b&gt; &amp; small scenario" in page
    # Exactly three script elements: the figures' JSON, Plotly, the renderer.
    assert len(re.findall(r"<script\b", page, re.I)) == 3
    assert len(re.findall(r"</script", page, re.I)) == 3
    # In the embedded JSON, text meant for Plotly (which renders HTML-like text) is escaped;
    # plain-text fields (network labels, table cells) hold the text itself.
    figures = {f["id"]: f for f in embedded_figures(page)}
    assert "Issue &lt;i&gt;X&lt;/i&gt;" in figures["issue-x"]["layout"]["title"]["text"]
    assert "&lt;u&gt;vote&lt;/u&gt;" in figures["election-vote"]["layout"]["title"]["text"]
    node = figures["alliance-network"]["snapshots"][0]["elements"][0]["data"]
    assert node["name"] == EVIL_NAME
    assert figures["inputs"]["rows"][0][0] == EVIL_NAME


def test_embedded_json_cannot_close_its_script() -> None:
    text = embed_json({"a": "</script><!-- & -->", "b": "\u2028"})
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & -->", "b": "\u2028"}
    with pytest.raises(ValueError, match="JSON compliant"):
        embed_json({"x": float("nan")})


def test_rewriting_replaces_the_report(iraq: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    write_report(iraq, out)
    stale = tmp_path / "r-figures" / "stale.png"
    stale.write_bytes(PNG_MAGIC)
    emission = simulate(load_scenario("emission-standards"), "eum")
    written = write_report(emission, out)
    assert not stale.exists()
    assert sorted(p.name for p in (tmp_path / "r-figures").iterdir()) == ["issue-emission.png"]
    assert written == [out, tmp_path / "r-figures" / "issue-emission.png"]
    assert "EC emission standards" in out.read_text("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r-figures", "r.html"]


def test_a_failed_write_leaves_the_old_report_whole(
    iraq: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.html"
    write_report(iraq, out)
    before = out.read_bytes()
    pngs_before = {p.name: p.read_bytes() for p in (tmp_path / "r-figures").iterdir()}

    # Fails while writing the PNGs.
    calls = {"n": 0}
    real = Path.write_bytes

    def flaky(self: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    with pytest.raises(OSError, match="No space"):
        write_report(iraq, out)
    monkeypatch.setattr(Path, "write_bytes", real)
    assert out.read_bytes() == before
    assert {p.name: p.read_bytes() for p in (tmp_path / "r-figures").iterdir()} == pngs_before

    # Fails while writing the page.
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(report.os, "fdopen", broken)
    with pytest.raises(OSError, match="I/O error"):
        write_report(iraq, out)
    assert out.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r-figures", "r.html"]


def test_a_full_disk_while_writing_the_page_leaves_no_figures_folder(
    iraq: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = report.os.fdopen

    def full(fd: int, *args: Any, **kwargs: Any) -> Any:
        f = real(fd, *args, **kwargs)

        def write(text: str) -> int:
            raise OSError(28, "No space left on device")

        f.write = write
        return f

    monkeypatch.setattr(report.os, "fdopen", full)
    with pytest.raises(OSError, match="No space"):
        write_report(iraq, tmp_path / "r.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no folder, no page, no temp


def test_a_bad_run_directory_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    with pytest.raises(FactionsError, match=r"no manifest\.json"):
        write_report(tmp_path / "run", tmp_path / "out.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_pngs_are_valid_for_every_main_figure(iraq: RunResult) -> None:
    for f in run_figures(view_of_result(iraq)):
        if f["kind"] == "plotly":
            assert render_png(f)[:8] == PNG_MAGIC, f["id"]
