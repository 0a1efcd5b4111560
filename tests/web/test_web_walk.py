"""The Done-when walk of issue 17 in Debian's Chromium: a partner's scientist accepts an agreement, sees the other
side's detections, opens an individual with photos from both sides, confirms a proposed match by zooming the two
photos, corrects a species identification, uploads an image folder with its station table and downloads the
data; the public sees the generalised dashboard and map. Screenshots go to the pytest temporary folder
(web-walk/) for a person to look at."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from webworld import PASSWORD, add_photos, client_for, csrf, sign_in, with_gps

from bigcats.store.models import Individual, Partner, Species
from bigcats.store.models_identify import IdentificationProposal

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not "
                                "installed: run scripts/system-deps.sh")


@pytest.fixture
def walk_world(sqlite_world, shared_data, tmp_path):
    """The web world with real photos, B's offer of its data to A, and a proposed match of a new photo of A."""
    db_url, info = sqlite_world
    media = tmp_path / "media"
    photos = add_photos(db_url, media, shared_data)
    b = sign_in(client_for(db_url), "admin_b")
    r = b.post("/api/agreements", json={"owner": "B", "grantee": "A", "exact_locations": True,
                                        "note": "Land of the Leopard - NCTLNP joint monitoring"}, headers=csrf(b))
    assert r.status_code == 201, r.text
    new_photo = with_gps(shared_data / "camtrapR-sample" / "inst" / "pictures" / "full_size_for_ocr" / "StationA" /
                         "mousedeer.JPG", media / "A" / "new" / "A-01_2024-03-02_left.jpg")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        a = conn.execute(select(Partner.id).where(Partner.code == "A")).scalar_one()
        tiger = conn.execute(select(Species.id).where(Species.scientific_name == "Panthera tigris altaica")).scalar_one()
        t1 = conn.execute(select(Individual.id).where(Individual.code == "T1")).scalar_one()
        conn.execute(IdentificationProposal.__table__.insert().values(
            image=str(new_photo), species_id=tiger, side="left", individual_id=t1, score=1.2, rank=1,
            status="pending", proposed_at=datetime(2024, 3, 3), method="rootsift-lnbnn-ransac", partner_id=a))
    engine.dispose()
    return db_url, info, media, photos


@pytest.fixture
def live(walk_world, serve_app, tmp_path):
    from bigcats.web import create_app

    db_url, info, media, photos = walk_world
    with serve_app(create_app(db_url, media_root=media, thumb_dir=tmp_path / "thumbs")) as url:
        yield url, info, media, photos


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        yield b
        b.close()


def _until(page, js: str, seconds: float = 20) -> None:
    """Wait until a JavaScript function is true (polling: the pages' CSP forbids Playwright's string eval)."""
    import time

    deadline = time.monotonic() + seconds
    while not page.evaluate(js):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {js}"
        page.wait_for_timeout(100)


def _page(browser, errors):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page


def _sign_in(page, url: str, username: str) -> None:
    """Sign in through the form, as a person does."""
    page.goto(f"{url}/login")
    page.fill("#username-input", username)
    page.fill("#password-input", PASSWORD)
    page.click("#signin-button")
    page.wait_for_url(f"{url}/")


def test_scientist_and_public_walk(live, browser, shared_data, tmp_path, tmp_path_factory):
    url, info, media, photos = live
    shots = tmp_path_factory.getbasetemp() / "web-walk"
    shots.mkdir(exist_ok=True)
    errors: list[str] = []
    page = _page(browser, errors)

    # 1. A's administrator signs in and accepts B's offer of its data.
    _sign_in(page, url, "admin_a")
    page.goto(f"{url}/sharing")
    assert "Land of the Leopard" in page.inner_text("#proposals")
    page.screenshot(path=str(shots / "01-sharing-proposal.png"), full_page=True)
    page.click("#proposals button.accept")
    page.wait_for_selector("#sharing-done")
    assert "in force" in page.inner_text("#sharing-done")
    assert page.locator('#agreements tr[data-state="in force"]').count() >= 3
    page.screenshot(path=str(shots / "02-sharing-accepted.png"), full_page=True)

    # 2. The other side's detections: B's leopard on the dashboard and the map, at exact places.
    page.goto(f"{url}/?partner=B")
    assert "Amur leopard" in page.inner_text("#dashboard-table") or "Panthera pardus" in page.inner_html(
        "#dashboard-table")
    page.wait_for_selector("#periods[data-loaded]")
    page.wait_for_selector("#dash-map[data-points]")
    page.screenshot(path=str(shots / "03-dashboard-B.png"), full_page=True)
    page.goto(f"{url}/map")
    page.wait_for_selector("#map[data-stations]", timeout=30_000)
    assert int(page.get_attribute("#map", "data-stations")) == 5  # A's three and B's two
    page.wait_for_selector("#map[data-water]", timeout=30_000)  # rivers and lakes shipped with bigcats
    assert int(page.get_attribute("#map", "data-water")) > 50
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "04-map.png"), full_page=True)

    # 3. T1, seen on both sides, with photos of both flanks from A and from B.
    t1 = info["individuals"]["T1"]
    page.goto(f"{url}/catalogue/{t1}")
    page.wait_for_selector("#individual-map[data-points]")
    assert page.locator('.photos[data-flank="left"] img').count() == 2
    assert page.locator('.photos[data-flank="right"] img').count() == 2
    captions = page.locator(".photos figcaption").all_inner_texts()
    assert {"A", "B"} <= set(captions)
    sides = set(page.locator("#sightings-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.side)"))
    assert sides == {"RUS", "CHN"}
    _until(page, "() => Array.from(document.querySelectorAll('.photos img')).every(i => i.complete)")
    broken = page.evaluate("Array.from(document.querySelectorAll('.photos img')).filter(i => !i.naturalWidth)"
                           ".map(i => i.src)")
    assert not broken, broken
    page.screenshot(path=str(shots / "05-individual.png"), full_page=True)
    page.click('.photos[data-flank="left"] a.zoomable >> nth=0')
    page.wait_for_selector("#zoom-viewer:not([hidden])")
    page.screenshot(path=str(shots / "06-individual-zoom.png"))
    page.keyboard.press("Escape")

    # 4. The proposed match: zoom both photos together, then confirm.
    page.goto(f"{url}/review")
    page.wait_for_selector(".review-item")
    item = page.locator(".review-item").first
    assert "Flank: left" in item.inner_text() and "Likely match" in item.inner_text()
    stage = item.locator(".zoom-panel .stage").first
    stage.hover()
    for _ in range(4):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(150)
    scales = item.locator(".zoom-panel img").evaluate_all("imgs => imgs.map(i => i.style.transform)")
    assert len(scales) == 2 and all("scale" in s and "scale(1)" not in s for s in scales), scales
    assert scales[0] == scales[1]  # zoomed together
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "07-review-zoomed.png"))
    item.locator('button[data-decision="confirm"]').click()
    _until(page, "() => !document.querySelector('.review-item')")

    # 5. The least confident machine identification corrected to wild boar.
    page.goto(f"{url}/species-review")
    first = page.locator(".burst").first
    first.locator('input[name="obs"]').first.check()
    page.select_option("#new-species", "Sus scrofa")
    page.screenshot(path=str(shots / "08-species-review.png"), full_page=True)
    page.click("#apply-button")
    page.wait_for_selector("#review-done")
    assert "1 observations decided, 1 changed" in page.inner_text("#review-done")
    assert "Sus scrofa" in page.inner_text("#species-history")
    # The review plan beside it: per species what may still be wrong, and what to review next.
    page.goto(f"{url}/review-plan")
    page.wait_for_selector("#plan-species")
    assert "Capreolus pygargus" in page.inner_text("#plan-species")
    page.screenshot(path=str(shots / "08b-review-plan.png"), full_page=True)

    # 6. An image folder with its camtrapR station table.
    sample = shared_data / "camtrapR-sample"
    archive = tmp_path / "camtrapR-photos.zip"
    with zipfile.ZipFile(archive, "w") as z:
        folder = sample / "inst" / "pictures" / "sample_images_species_dir"
        for f in sorted(folder.rglob("*.JPG")):
            z.write(f, f.relative_to(folder).as_posix())
    page.goto(f"{url}/upload")
    page.select_option("#upload-kind", "images")
    page.set_input_files("#upload-file", str(archive))
    page.set_input_files("#upload-stations", str(sample / "tables_csv" / "camtraps.csv"))
    page.fill("#upload-utc-offset", "+08:00")
    page.fill("#upload-pattern", "{station}/{species}/*")
    page.fill("#upload-utm-zone", "50N")
    page.click("#upload-button")
    page.wait_for_selector('#upload-status[data-state="done"], #upload-status[data-state="failed"]', timeout=90_000)
    assert page.get_attribute("#upload-status", "data-state") == "done", page.inner_text("#upload-status")
    assert "68" in page.inner_text("#upload-summary")
    assert str(tmp_path) not in page.content()
    page.screenshot(path=str(shots / "09-upload.png"), full_page=True)

    # 7. Downloads: a Darwin Core Archive (the CSV of detections where this server has no DwC writer).
    page.goto(f"{url}/downloads?partner=B")
    page.screenshot(path=str(shots / "10-downloads.png"), full_page=True)
    link = page.locator('a[href^="/api/downloads/dwca/"]')
    target = link.first if link.count() else page.locator('#csv-downloads a[href^="/api/downloads/detections.csv"]')
    with page.expect_download() as dl:
        target.click()
    saved = tmp_path / dl.value.suggested_filename
    dl.value.save_as(saved)
    assert saved.stat().st_size > 100
    if link.count():  # a Darwin Core Archive: the occurrence core and its descriptor
        with zipfile.ZipFile(saved) as z:
            assert {"meta.xml", "occurrence.csv"} <= set(z.namelist()), z.namelist()
    assert not errors, errors

    # 8. The public: the whole area on the dashboard and the map, tigers and leopards generalised.
    public = _page(browser, errors)
    public.goto(f"{url}/")
    public.wait_for_selector("#periods[data-loaded]")
    assert public.locator("#chart-effort canvas").count() == 1
    public.screenshot(path=str(shots / "11-public-dashboard.png"), full_page=True)
    public.goto(f"{url}/map")
    public.wait_for_selector("#map[data-stations]", timeout=30_000)
    public.wait_for_timeout(400)
    assert "Shown:" in public.inner_text("#map-status")
    public.screenshot(path=str(shots / "12-public-map.png"), full_page=True)
    public.goto(f"{url}/catalogue/{t1}")
    assert "Photos are shown to partners" in public.inner_text("main")
    assert "Exact location" not in public.inner_text("#sightings-table")
    assert not errors, errors


def test_editor_draws_the_animals_box_and_sets_the_flank(walk_world, serve_app, browser, tmp_path):
    """The review page's box tool in Chromium: a drag on the photo to identify is stored on its observation."""
    from bigcats.store.models import Observation
    from bigcats.web import create_app

    db_url, info, media, photos = walk_world
    engine = create_engine(db_url)
    with engine.begin() as conn:
        a = conn.execute(select(Partner.id).where(Partner.code == "A")).scalar_one()
        tiger = conn.execute(select(Species.id).where(Species.scientific_name == "Panthera tigris altaica")).scalar_one()
        t1 = conn.execute(select(Individual.id).where(Individual.code == "T1")).scalar_one()
        obs = conn.execute(select(Observation.id).where(Observation.media_id.is_not(None), Observation.species_id == tiger)
                           .order_by(Observation.id)).scalars().first()
        assert obs is not None
        pid = conn.execute(IdentificationProposal.__table__.insert().values(
            observation_id=obs, species_id=tiger, side="left", individual_id=t1, score=9.0, rank=1, status="pending",
            proposed_at=datetime(2024, 3, 3), method="rootsift-lnbnn-ransac", partner_id=a)).inserted_primary_key[0]
    errors: list[str] = []
    with serve_app(create_app(db_url, media_root=media, thumb_dir=tmp_path / "thumbs")) as url:
        page = _page(browser, errors)
        _sign_in(page, url, "editor_a")
        page.goto(f"{url}/review")
        page.wait_for_selector(f'.review-item[data-proposal="{pid}"]')
        item = page.locator(f'.review-item[data-proposal="{pid}"]')
        item.locator("select.flank-choice").select_option("right")
        _until(page, f"() => document.querySelector('.review-item[data-proposal=\"{pid}\"] .status').textContent.startsWith('Saved')")
        img = item.locator(".zoom-panel img").first
        _until(page, f"() => document.querySelector('.review-item[data-proposal=\"{pid}\"] .zoom-panel img').complete")
        item.locator("button", has_text="Draw the animal's box").click()
        b = img.bounding_box()
        page.mouse.move(b["x"] + 0.2 * b["width"], b["y"] + 0.2 * b["height"])
        page.mouse.down()
        page.mouse.move(b["x"] + 0.5 * b["width"], b["y"] + 0.5 * b["height"], steps=5)
        page.mouse.move(b["x"] + 0.7 * b["width"], b["y"] + 0.8 * b["height"], steps=5)
        page.mouse.up()
        page.wait_for_timeout(300)
        _until(page, "() => !!document.querySelector('.drawn-box')")
    with engine.connect() as conn:
        box = conn.execute(select(Observation.bbox_x, Observation.bbox_y, Observation.bbox_width, Observation.bbox_height)
                           .where(Observation.id == obs)).one()
        side = conn.execute(select(IdentificationProposal.side).where(IdentificationProposal.id == pid)).scalar_one()
    engine.dispose()
    assert side == "right"
    assert box[0] is not None and all(abs(v - w) < 0.03 for v, w in zip(box, (0.2, 0.2, 0.5, 0.6), strict=True)), box
    assert not errors, errors
