"""The report page in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`,
which .ci/run installs) opens it over HTTP, the charts are drawn, the figures shown are the JSON
report's, and a screenshot is taken. Skipped, with the reason, where Chromium is not installed."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from registers_factories import token
from registers_report_world import ADMIN, PERIOD, SCHOOL_A, SCHOOL_B, World, seed_world

from registers.main import create_app
from registers.settings import Settings

pytestmark = pytest.mark.integration

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
browser_needed = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="headless Chromium is not installed: apt-get install chromium chromium-driver (.ci/run does)",
)


@pytest.fixture
def served(registers_settings: Settings) -> Iterator[str]:
    """A second registers app on the same database, served by uvicorn on a loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(registers_settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="registers-for-browser", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a start-up bound, not a measurement
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "registers did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1100,3200")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser: Any, url: str, role: str = "admin", **claims: Any) -> None:
    """The page as a browser sends for it, with the caller's bearer token on every request."""
    browser.execute_cdp_cmd("Network.enable", {})
    bearer = {"Authorization": f"Bearer {token(role, **claims)}"}
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": bearer})
    browser.get(url)


# What the browser drew: each chart's size on the page, and its lines' and bars' drawn extent.
DRAWN = """
return Array.from(document.querySelectorAll('figure .chart svg')).map(svg => {
  const box = svg.getBoundingClientRect();
  const lines = Array.from(svg.querySelectorAll('.series path.line')).map(p => p.getTotalLength());
  const bars = Array.from(svg.querySelectorAll('.series rect.rect')).map(r => r.getBBox())
    .filter(b => b.width > 0 && b.height > 0).length;
  return {width: box.width, height: box.height, lines: lines, bars: bars,
          title: svg.querySelector('title') && svg.querySelector('title').textContent};
});
"""
FIGURES = """
return Array.from(document.querySelectorAll('[data-figure]')).map(
  e => [e.dataset.figure, e.dataset.value, e.innerText.trim()]);
"""


def shown(value: float | int | None, name: str) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if name in ("pupils", "possible_sessions") else f"{value * 100:.1f}%"


def lookup(report: dict[str, Any], path: str) -> Any:
    value: Any = report
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


@browser_needed
async def test_the_page_draws_its_charts_and_shows_the_json_reports_figures(
    client, served, browser, tmp_path: Path
):
    world: World = await seed_world(client)
    query = f"scope=trust:{world.trust}&from={PERIOD['from']}&to={PERIOD['to']}"
    report = (await client.get(f"/v1/reports/attendance?{query}", headers=ADMIN)).json()

    open_page(browser, f"{served}/v1/reports/attendance.html?{query}")
    screenshot = tmp_path / "report.png"
    assert browser.get_screenshot_as_file(str(screenshot))

    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
    assert browser.title.startswith("Attendance report: Report Trust")
    charts = browser.execute_script(DRAWN)
    assert [chart["title"] for chart in charts] == [
        "Absence rate by week",
        "Persistent and severe absence by year group",
        "Persistent and severe absence by free school meals",
        "Persistent and severe absence by special educational needs",
        "Persistent and severe absence by social worker",
        "Absence by reason (sessions missed)",
    ]
    assert all(chart["width"] > 300 and chart["height"] > 150 for chart in charts), charts
    over_time = charts[0]
    assert len(over_time["lines"]) == 2 and all(length > 100 for length in over_time["lines"]), over_time
    # Bars of a non-zero rate or count: PA and SA of each group that has any, each reason given.
    for chart, dimension in zip(
        charts[1:5], ("year_group", "fsm_eligible", "sen_status", "has_social_worker"), strict=True
    ):
        rates = [
            g[k]
            for g in report["groups"][dimension]
            for k in ("persistent_absence_rate", "severe_absence_rate")
        ]
        assert chart["bars"] == sum(1 for rate in rates if rate), (dimension, chart)
    assert charts[5]["bars"] == sum(1 for reason in report["reasons"] if reason["sessions"])

    figures = browser.execute_script(FIGURES)
    assert {name for name, _, _ in figures} >= {
        "overall.absence_rate",
        "overall.persistent_absence_rate",
        "overall.severe_absence_rate",
        "national.absence_rate",
        "national.persistent_absence_rate",
        "schools.0.absence_rate",
        "schools.1.pupils",
    }
    for name, value, text in figures:
        expected = lookup(report, name)
        assert json.loads(value) == expected, name
        assert text == shown(expected, name.rsplit(".", 1)[-1]), name
    body = browser.find_element("tag name", "body").text
    assert "Absence was 10.8%, above the national 5.3% for primary schools." in body
    for pupil in [*SCHOOL_A, *SCHOOL_B]:
        assert f"Given{pupil}" not in body and f"Family{pupil}" not in body


@browser_needed
async def test_a_governor_of_a_small_school_sees_a_page_without_figures(client, served, browser):
    world: World = await seed_world(client)

    open_page(
        browser, f"{served}/v1/reports/attendance.html?scope=school:{world.b}", "governor", schools=[world.b]
    )

    body = browser.find_element("tag name", "body").text
    assert "Fewer than 5 pupils: the figures are not shown" in body
    assert browser.execute_script(DRAWN) == []
    assert browser.execute_script(FIGURES) == []
