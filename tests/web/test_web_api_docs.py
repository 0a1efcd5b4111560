"""/api/docs works offline: Swagger UI comes from the package's static files, within the content-security policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def client(sqlite_url):
    from bigcats.web import create_app

    with TestClient(create_app(sqlite_url)) as c:
        yield c


def test_docs_page_and_every_asset_come_from_the_app(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp  # the policy stays strict; the page fits it instead
    # nothing from elsewhere, and no inline script the policy would block
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert {"/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css",
            "/static/api-docs.js"} <= set(assets)
    for url in assets:
        got = client.get(url)
        assert got.status_code == 200, url
        assert len(got.content) > 100, url
    bundle = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle
    spec_url = re.search(r'data-openapi-url="([^"]+)"', html).group(1)
    spec = client.get(spec_url)
    assert spec.status_code == 200 and spec.json()["info"]["title"] == "bigcats"
    assert "/api/docs" not in spec.json()["paths"]  # the page itself is not part of the API


def test_docs_page_renders_in_a_browser_without_network(sqlite_url, serve_app):
    """Chromium with every request outside the app refused: Swagger UI draws the API's title and operations."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed: run scripts/system-deps.sh")
    sync_api = pytest.importorskip("playwright.sync_api")
    from bigcats.web import create_app

    with serve_app(create_app(sqlite_url)) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page()
        outside, errors = [], []
        page.route(re.compile(r"^(?!" + re.escape(url) + r").*"),
                   lambda route: (outside.append(route.request.url), route.abort()))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{url}/api/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
        assert "bigcats" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock", timeout=30_000)
        assert page.locator(".opblock").count() > 5
        browser.close()
    assert outside == []
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
