"""The web app in a real browser: Debian's chromium driven by Playwright, fully offline.

The app runs with uvicorn in a background thread on a free localhost port, over temporary
runs and scenarios folders. Screenshots are kept in ``test-artifacts/`` (git-ignored).
Never ``playwright install``: the browser is /usr/bin/chromium (``make pytest`` installs it).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page

from factions.web.app import create_app

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("web")
    app = create_app(runs_dir=root / "runs", scenarios_dir=root / "scenarios")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


class Watch:
    """Every request a page makes, and every error it logs."""

    def __init__(self, page: Page, base: str) -> None:
        self.base = base
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def check(self) -> None:
        outside = [
            u for u in self.requests if not u.startswith((self.base, "data:", "blob:", "about:"))
        ]
        assert outside == [], f"requests left localhost: {outside}"
        assert self.errors == [], self.errors


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[tuple[Page, Watch]]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    watch = Watch(pg, base_url)
    yield pg, watch
    ctx.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def text_of(page: Page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


CHART = "#results [data-figure='issue-support-councils']"


def forecast_line(page: Page) -> list[float]:
    """The forecast trace of the Support Councils chart, as Plotly drew it."""
    chart = page.locator(CHART)
    chart.scroll_into_view_if_needed()
    page.wait_for_selector(f"{CHART} .js-plotly-plot .main-svg")
    ys: list[float] = page.eval_on_selector(
        f"{CHART} .js-plotly-plot",
        "(el) => el.data.find((t) => /forecast/i.test(t.name || '')).y",
    )
    return ys


def test_edit_a_salience_run_and_see_the_answers_change(
    page: tuple[Page, Watch], base_url: str
) -> None:
    pg, watch = page
    pg.goto(f"{base_url}/#/scenario/iraq-2008")
    row = pg.locator("#stance-siic-support-councils")
    row.wait_for()
    assert pg.locator("#scenario-status").inner_text() == "valid"

    pg.click("#run-button")
    answers = "#results [data-figure='answers'] tbody"
    forecasts = "#results [data-figure='forecasts'] tbody"
    pg.wait_for_selector(answers)
    pg.wait_for_selector("#results .js-plotly-plot .main-svg")
    before_answers, before_forecasts = text_of(pg, answers), text_of(pg, forecasts)
    before_line = forecast_line(pg)
    assert "Do the Support Councils survive SIIC opposition?\tno" in before_answers
    shot(pg, "web-run-before.png")

    # The SIIC cares less about the councils: its salience from 85 to 70 (its range's low).
    salience = row.locator("input[type=number][aria-label='siic salience on support-councils']")
    assert salience.input_value() == "85"
    before_yaml = pg.locator("#yaml").input_value()
    salience.fill("70")
    slider = row.locator("input[type=range][aria-label='siic salience on support-councils']")
    assert slider.input_value() == "70"
    pg.wait_for_function(
        "(old) => document.querySelector('#yaml').value !== old", arg=before_yaml, timeout=10_000
    )
    assert pg.locator("#scenario-status").inner_text() == "valid"

    pg.click("#run-button")
    pg.wait_for_function(
        "([sel, old]) => document.querySelector(sel)?.innerText !== old",
        arg=[answers, before_answers],
        timeout=20_000,
    )
    after_answers, after_forecasts = text_of(pg, answers), text_of(pg, forecasts)
    assert "Do the Support Councils survive SIIC opposition?\tyes" in after_answers
    assert after_forecasts != before_forecasts
    changes = pg.locator("#changes")
    assert "changed" in changes.inner_text()
    after_line = forecast_line(pg)
    assert len(after_line) == len(before_line)
    assert after_line[-1] > before_line[-1]  # the chart moved with the answers
    pg.locator("#results").scroll_into_view_if_needed()
    shot(pg, "web-run-after.png")
    watch.check()


def test_live_validation_shows_problems_beside_the_field(
    page: tuple[Page, Watch], base_url: str
) -> None:
    pg, watch = page
    pg.goto(f"{base_url}/#/scenario/emission-standards")
    pg.locator("#scenario-form [data-path='stances.0.salience']").wait_for()
    field = pg.locator("#scenario-form [data-path='stances.0.salience']")
    field.locator("input[type=number]").fill("170")
    message = field.locator(".problem-inline")
    message.wait_for(timeout=10_000)
    assert "stances.0.salience: must be between 0 and 100, got 170" in message.inner_text()
    assert pg.locator("#run-button").is_disabled()
    shot(pg, "web-form-problem.png")

    # The YAML view: a misspelt key is named as it is typed.
    pg.click("#tab-yaml")
    yaml_area = pg.locator("#yaml")
    yaml_area.fill(yaml_area.input_value().replace("actors:", "actorz:", 1))
    pg.wait_for_selector(".problem-box li:has-text('actorz')", timeout=10_000)
    problems = pg.locator(".problem-box").inner_text()
    assert "actorz: unknown field" in problems
    shot(pg, "web-yaml-problem.png")
    watch.check()


def test_compare_with_and_without_the_support_councils(
    page: tuple[Page, Watch], base_url: str
) -> None:
    pg, watch = page
    pg.goto(f"{base_url}/#/compare")
    pg.locator("select.source").first.wait_for()
    pg.click("text=Right: left without patronage")
    pg.wait_for_selector("#differences", timeout=30_000)
    pg.locator(
        "#compare-out [data-figure='issue-support-councils']"
    ).first.scroll_into_view_if_needed()
    pg.wait_for_selector("#compare-out .js-plotly-plot .main-svg")
    diff = pg.locator("#differences").inner_text()
    assert "iraq-2008-no-patronage" in diff
    assert pg.locator("#differences tr.changed").count() >= 1
    shot(pg, "web-compare.png")
    watch.check()


def test_an_ensemble_with_live_progress(page: tuple[Page, Watch], base_url: str) -> None:
    pg, watch = page
    pg.goto(f"{base_url}/#/runs")
    pg.locator("form.ensemble-form").wait_for()
    pg.fill("input[name=runs]", "200")
    pg.click("form.ensemble-form button[type=submit]")
    pg.wait_for_selector("#results [data-figure]", timeout=60_000)
    assert "200 of 200 members" in pg.locator(".job-progress").inner_text()
    assert "complete" in pg.locator(".job-progress").inner_text()
    shot(pg, "web-ensemble.png")
    pg.goto(f"{base_url}/#/runs")
    pg.locator("table.grid").last.wait_for()
    assert "iraq-2008-mean-" in pg.locator("body").inner_text()
    watch.check()


def test_the_api_docs_page_is_offline(page: tuple[Page, Watch], base_url: str) -> None:
    pg, watch = page
    pg.goto(f"{base_url}/docs")
    pg.wait_for_selector("details.section")
    assert "/api/simulate" in pg.locator("body").inner_text()
    watch.check()


def test_the_api_docs_render_code_spans_not_backticks(
    page: tuple[Page, Watch], base_url: str
) -> None:
    pg, watch = page
    pg.goto(f"{base_url}/docs")
    pg.wait_for_selector("details.section")
    pg.eval_on_selector_all("details", "(ds) => ds.forEach((d) => { d.open = true; })")
    body = pg.locator("#docs").inner_text()
    assert "`" not in body
    codes = pg.eval_on_selector_all(
        "#docs p code, #docs td code", "(cs) => cs.map((c) => c.textContent)"
    )
    assert "factions run" in codes  # from the import endpoint's description
    watch.check()


def test_at_800_pixels_a_run_brings_its_results_into_view(browser: Browser, base_url: str) -> None:
    ctx = browser.new_context(viewport={"width": 800, "height": 700})
    pg = ctx.new_page()
    watch = Watch(pg, base_url)
    try:
        pg.goto(f"{base_url}/#/scenario/emission-standards")
        pg.locator("#run-button").wait_for()
        pg.click("#run-button")
        pg.wait_for_selector("#results [data-figure='forecasts']")
        top = pg.eval_on_selector("#results", "(el) => el.getBoundingClientRect().top")
        assert -5 <= top < 700, top  # the results are on screen, not below the editor
        watch.check()
    finally:
        ctx.close()
