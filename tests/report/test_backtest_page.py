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
