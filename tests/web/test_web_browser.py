"""The web application as a person uses it: Debian's Chromium driven by Playwright against a live server.

Sign in, upload the official Camtrap DP example, see it on the map, switch the language; screenshots are kept
in the pytest temporary folder (web-screenshots/) for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from webworld import PASSWORD, zip_folder

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not "
                                "installed: run scripts/system-deps.sh")


@pytest.fixture
def live_server(sqlite_world, serve_app):
    """The application served by uvicorn on a free loopback port, in a thread."""
    from bigcats.web import create_app

    db_url, _ = sqlite_world
    with serve_app(create_app(db_url)) as url:
        yield url


@pytest.fixture
def page(tmp_path_factory):
    """A Chromium page (no sandbox, no network beyond loopback in practice, no component downloads)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        yield context.new_page()
        browser.close()


def test_sign_in_upload_map_and_language(live_server, page, shared_data, tmp_path, tmp_path_factory):
    shots = tmp_path_factory.getbasetemp() / "web-screenshots"
    shots.mkdir(exist_ok=True)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server}/login")
    page.fill("#username-input", "editor_a")
    page.fill("#password-input", PASSWORD)
    page.click("#signin-button")
    page.wait_for_url(f"{live_server}/")
    assert page.inner_text("#username") == "editor_a"
    page.screenshot(path=str(shots / "1-dashboard.png"), full_page=True)

    archive = zip_folder(shared_data / "camtrap-dp-example", tmp_path / "camtrap-dp-example.zip")
    page.goto(f"{live_server}/upload")
    page.set_input_files("#upload-file", str(archive))
    page.click("#upload-button")
    page.wait_for_selector('#upload-status[data-state="done"]', timeout=60_000)
    added = dict(page.locator("#upload-summary tr").evaluate_all(
        "rows => rows.slice(1).map(r => [r.cells[0].textContent, r.cells[1].textContent])"))
    assert added["deployment"] == "4"
    assert '"deployment": 4' in page.text_content("#upload-report")  # the full report, folded
    page.screenshot(path=str(shots / "2-upload.png"), full_page=True)

    page.goto(f"{live_server}/map")
    page.wait_for_selector("#map[data-stations]", timeout=30_000)
    # Seeded A (3) and B (2, seen through the roe deer agreement) plus the 4 stations of the example.
    assert int(page.get_attribute("#map", "data-stations")) == 9
    # Detections per station and species: seeded A (4) and B's roe deer (2), plus the example's, which has no
    # country side recorded (it must not drop out of the layer for that).
    assert int(page.get_attribute("#map", "data-detections")) > 6
    page.wait_for_timeout(500)  # let the tiles of the offline base map draw
    page.screenshot(path=str(shots / "3-map.png"), full_page=True)

    page.click('#languages a[data-lang="ru"]')
    page.wait_for_selector("h1:has-text('Карта')")
    page.wait_for_selector("#map[data-stations]", timeout=30_000)
    page.screenshot(path=str(shots / "4-map-ru.png"), full_page=True)
    page.goto(f"{live_server}/catalogue")
    assert page.inner_text("h1") == "Каталог особей"  # the language stays chosen
    page.click('#languages a[data-lang="zh"]')
    assert page.inner_text("h1") == "个体目录"
    page.goto(f"{live_server}/review")
    assert "没有等待审核的识别结果" in page.inner_text("#review-list")
    page.screenshot(path=str(shots / "5-review-zh.png"), full_page=True)
    assert not errors, errors
