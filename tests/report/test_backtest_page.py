"""The backtest page in a real browser (Debian's chromium, offline), and its figures."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from factions.backtest.cases import load_cases
from factions.backtest.runner import backtest
from factions.report.backtest import backtest_figures, write_backtest_report

from .test_browser import render

DEU = Path(__file__).parents[1] / "data" / "deu3" / "deu3-dev.csv"


def test_backtest_page_draws_every_chart_offline(browser: Browser, tmp_path: Path) -> None:
    result = backtest(load_cases(DEU), ["mean", "exchange", "positions", "mixture"], "dev")
    out = write_backtest_report(result, tmp_path / "bt.html")
    figures = backtest_figures(result)
    charts = [f for f in figures if f["kind"] == "plotly"]
    assert [f["id"] for f in figures] == ["leaderboard", "errors", "scatter", "pit", "worst"]
    board = figures[0]
    assert [row[0] for row in board["rows"]] == result["leaderboard"]
    drawn, plots, remote, errors = render(browser, out)
    assert errors == []
    assert remote == []
    assert drawn == len(charts) == plots


def test_backtest_page_uses_the_whole_width(browser: Browser, tmp_path: Path) -> None:
    # The page has no table of contents: its content must not sit in the contents column
    # of the run report's two-column grid (it did: 230 px wide at a 1280 px window).
    result = backtest(load_cases(DEU), ["mean", "positions"], "dev")
    out = write_backtest_report(result, tmp_path / "bt.html")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(out.resolve().as_uri())
    width = page.evaluate("document.querySelector('main').getBoundingClientRect().width")
    page.close()
    assert width > 1000
