"""Photos: thumbnails made once, bounded, without EXIF, only from the media root, under the same access rules."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import create_engine, update
from webworld import add_photos, client_for, csrf, sign_in

from bigcats.store.models import Media
from bigcats.web.photos import SIZES


@pytest.fixture
def photo_world(sqlite_world, shared_data, tmp_path):
    db_url, info = sqlite_world
    media = tmp_path / "media"
    photos = add_photos(db_url, media, shared_data)
    return db_url, info, media, photos


def _client(db_url, media, tmp_path, user=None):
    c = client_for(db_url, media_root=media, thumb_dir=tmp_path / "thumbs")
    return sign_in(c, user) if user else c


def test_thumbnails_are_bounded_stripped_and_cached(photo_world, tmp_path):
    db_url, _, media, photos = photo_world
    a = _client(db_url, media, tmp_path, "viewer_a")
    mid = next(m for m, (code, _) in photos["media"].items() if code == "A-01")
    with Image.open(next((media / "A-01").iterdir())) as original:
        assert original.getexif().get_ifd(0x8825), "the source photo must carry a GPS position for this test"
    for size, longest in SIZES.items():
        r = a.get(f"/api/photos/media/{mid}/{size}.jpg")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert "private" in r.headers["cache-control"]
        img = Image.open(io.BytesIO(r.content))
        assert max(img.size) <= longest
        exif = img.getexif()
        assert not exif.get_ifd(0x8825) and 0x8825 not in exif and b"GPS" not in r.content
    cached = list((tmp_path / "thumbs").rglob("*.jpg"))
    assert len(cached) == len(SIZES)
    before = {p: p.stat().st_mtime_ns for p in cached}
    a.get(f"/api/photos/media/{mid}/thumb.jpg")
    assert {p: p.stat().st_mtime_ns for p in cached} == before  # served from the cache, not made again
    assert a.get(f"/api/photos/media/{mid}/huge.jpg").status_code == 404  # only the bounded sizes


def test_photo_access_follows_agreements_and_the_media_root(photo_world, tmp_path):
    db_url, info, media, photos = photo_world
    a_media = next(m for m, (code, _) in photos["media"].items() if code == "A-01")
    b_leopard = next(m for m, (code, sp) in photos["media"].items() if code == "B-01" and "pardus" in sp)
    public = _client(db_url, media, tmp_path)
    viewer_a = _client(db_url, media, tmp_path, "viewer_a")
    viewer_b = _client(db_url, media, tmp_path, "viewer_b")
    assert public.get(f"/api/photos/media/{a_media}/thumb.jpg").status_code == 404  # the public gets no photos
    assert viewer_a.get(f"/api/photos/media/{b_leopard}/thumb.jpg").status_code == 404  # roe deer only from B
    assert viewer_b.get(f"/api/photos/media/{b_leopard}/thumb.jpg").status_code == 200
    # Reference photos of T1: A's viewer sees A's, not B's (B shares roe deer only); B's viewer sees B's.
    t1 = info["individuals"]["T1"]
    mine = {p["partner"] for p in viewer_a.get(f"/api/individuals/{t1}/photos").json() if p["kind"] == "reference"}
    assert mine == {"A"}
    for iid, (partner, _) in photos["reference"].items():
        assert viewer_a.get(f"/api/photos/reference/{iid}/thumb.jpg").status_code == (200 if partner == "A" else 404)
        assert public.get(f"/api/photos/reference/{iid}/thumb.jpg").status_code == 404
    # A file outside the media root is never opened, whatever the database says.
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(Media).where(Media.id == a_media).values(file_path=str(photos["outside"])))
        conn.execute(update(Media).where(Media.id == b_leopard).values(file_path="/etc/passwd"))
    engine.dispose()
    assert viewer_b.get(f"/api/photos/media/{b_leopard}/thumb.jpg").status_code == 404
    with engine.begin() as conn:  # climbing out of the root with a relative path does not work either
        conn.execute(update(Media).where(Media.id == b_leopard).values(file_path="../outside-media-root.jpg"))
    engine.dispose()
    r = viewer_a.get(f"/api/photos/media/{a_media}/thumb.jpg")
    assert r.status_code == 404 and str(media) not in r.text and "outside" not in r.text
    assert viewer_b.get(f"/api/photos/media/{b_leopard}/thumb.jpg").status_code == 404


def test_individual_page_shows_photos_by_flank_and_both_sides(photo_world, tmp_path):
    db_url, info, media, _ = photo_world
    # B shares everything with A (exact): T1's page for A's people then holds both partners' photos.
    b = _client(db_url, media, tmp_path, "admin_b")
    b.post("/api/agreements", json={"owner": "B", "grantee": "A", "exact_locations": True}, headers=csrf(b))
    a = _client(db_url, media, tmp_path, "admin_a")
    proposal = a.get("/api/sharing").json()["proposals"][0]["id"]
    assert a.post(f"/api/proposals/{proposal}/accept", headers=csrf(a)).status_code == 200
    t1 = info["individuals"]["T1"]
    page = a.get(f"/catalogue/{t1}").text
    assert 'data-flank="left"' in page and 'data-flank="right"' in page
    photos = a.get(f"/api/individuals/{t1}/photos").json()
    assert {p["partner"] for p in photos if p["kind"] == "reference"} == {"A", "B"}
    assert {p["side"] for p in photos if p["kind"] == "sighting"} == {"RUS", "CHN"}
    assert all(p["url"].startswith("/api/photos/") for p in photos)
    assert str(media) not in page
