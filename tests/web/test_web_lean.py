"""Attack the fast path: cached answers served before the routes must never outlive who may see what.

Answers, callers and scopes are cached per data and access version (`web.context`, migration 0013's change
marks) and cached answers are served by `LeanMiddleware` without running the route. Each test warms the cache,
changes something behind the server's back (plain SQL from another connection, as another server process or the
CLI would) and checks the very next request sees the change: an agreement ended, a user disabled, a session
deleted, an agreement running out on the clock, a species made sensitive. Exact-location reads are still logged
on every cached hit; pages cached per visibility show each user their own name and CSRF token.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from webworld import client_for, sign_in

from bigcats.core.clock import utcnow
from bigcats.store.db import open_store
from bigcats.store.models import Partner
from bigcats.store.models_access import AccessLog, SharingAgreement, User, WebSession
from bigcats.store.species import set_sensitive
from bigcats.web.context import read_versions
from bigcats.web.middleware import LeanMiddleware


@pytest.fixture
def lean_hits(monkeypatch) -> list:
    """Paths answered by the fast path (not vacuous: the tests check the fast path really served them)."""
    hits: list = []
    original = LeanMiddleware._lookup

    def spy(self, scope):
        found = original(self, scope)
        if found is not None:
            hits.append(scope["path"])
        return found

    monkeypatch.setattr(LeanMiddleware, "_lookup", spy)
    return hits


def _codes(client, path="/api/stations") -> dict[str, tuple]:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return {s["locationID"]: (s["latitude"], s["longitude"], s["precision"]) for s in r.json()}


def _exact(world_info, code) -> tuple:
    return next((lat, lon) for _, c, lat, lon in world_info["sensitive_stations"] if c == code)



def _log_lines(engine, username: str) -> int:
    """Lines of the access log (who saw exact locations) for one user."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AccessLog).where(AccessLog.username == username)).scalar_one()

def test_change_marks_follow_every_writer(world):
    db_url, info = world
    engine = open_store(db_url)
    with engine.connect() as conn:
        _, data0, access0 = read_versions(conn, None)
    with engine.begin() as conn:  # a rolled-back change leaves no mark
        conn.execute(update(SharingAgreement).values(note="x"))
        conn.rollback()
    with engine.connect() as conn:
        assert read_versions(conn, None)[1:] == (data0, access0)
    with engine.begin() as conn:
        conn.execute(text("UPDATE sharing_agreement SET valid_until = :t"), {"t": utcnow()})
    with engine.connect() as conn:
        _, data1, access1 = read_versions(conn, None)
    assert access1 != access0 and data1 == data0
    with engine.begin() as conn:  # a comment is not in any answer: no mark
        conn.execute(text("UPDATE observation SET comments = 'seen' WHERE id = (SELECT min(id) FROM observation)"))
    with engine.connect() as conn:
        assert read_versions(conn, None)[1:] == (data1, access1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE observation SET individual_id = NULL WHERE individual_id IS NOT NULL"))
    with engine.connect() as conn:
        _, data2, access2 = read_versions(conn, None)
    assert data2 != data1 and access2 == access1
    set_sensitive(engine, "Capreolus pygargus", "A")
    with engine.connect() as conn:
        assert read_versions(conn, None)[2] != access2
    engine.dispose()


def test_cached_answers_follow_an_agreement_ended_elsewhere(world, lean_hits):
    db_url, info = world
    client = sign_in(client_for(db_url), "viewer_b")  # C shares everything with B, exact locations included
    first = _codes(client)
    assert first == _codes(client) and "/api/stations" in lean_hits
    assert first["C-01"][:2] == pytest.approx(_exact(info, "C-01")) and first["C-01"][2] == "exact"
    engine = open_store(db_url)  # another process ends the agreement
    with engine.begin() as conn:
        c = conn.execute(select(Partner.id).where(Partner.code == "C")).scalar_one()
        conn.execute(update(SharingAgreement).where(SharingAgreement.owner_partner_id == c)
                     .values(valid_until=utcnow() - timedelta(minutes=1)))
    engine.dispose()
    after = _codes(client)
    assert "C-01" not in after and set(after) < set(first)
    geo = client.get("/api/stations.geojson").json()
    assert all(f["properties"]["locationID"] != "C-01" for f in geo["features"])


def test_a_disabled_user_or_a_deleted_session_is_the_public_at_once(world, lean_hits):
    db_url, info = world
    public = client_for(db_url)
    seen_by_public = _codes(public)
    for change in ("disable", "delete session"):
        client = sign_in(client_for(db_url), "viewer_a")
        mine = _codes(client)
        assert _codes(client) == mine and mine["A-01"][2] == "exact"
        engine = open_store(db_url)
        with engine.begin() as conn:
            if change == "disable":
                conn.execute(update(User).where(User.username == "viewer_a").values(is_active=False))
            else:
                conn.execute(WebSession.__table__.delete())
        after = _codes(client)
        assert after == seen_by_public, change
        assert after["A-01"][:2] != pytest.approx(_exact(info, "A-01")) and after["A-01"][2] == "generalised"
        with engine.begin() as conn:
            conn.execute(update(User).values(is_active=True))
        engine.dispose()
    assert lean_hits


def test_an_agreement_running_out_on_the_clock_ends_the_cached_view(world, monkeypatch, lean_hits):
    db_url, info = world
    engine = open_store(db_url)
    with engine.begin() as conn:
        c = conn.execute(select(Partner.id).where(Partner.code == "C")).scalar_one()
        conn.execute(update(SharingAgreement).where(SharingAgreement.owner_partner_id == c)
                     .values(valid_until=utcnow() + timedelta(minutes=30)))
    engine.dispose()
    client = sign_in(client_for(db_url), "viewer_b")
    assert "C-01" in _codes(client) and "C-01" in _codes(client)
    assert "/api/stations" in lean_hits
    later = utcnow() + timedelta(hours=1)  # nothing is written: only the clock moves on
    monkeypatch.setattr("bigcats.web.context.now_utc", lambda: later)
    monkeypatch.setattr("bigcats.web.visibility.now_utc", lambda: later)
    assert "C-01" not in _codes(client)


def test_a_species_made_sensitive_is_generalised_in_cached_answers(world, lean_hits):
    db_url, info = world
    public = client_for(db_url)
    before = _codes(public)
    assert before == _codes(public) and before["A-03"][2] == "exact"  # only roe deer there: not sensitive
    engine = open_store(db_url)
    set_sensitive(engine, "Capreolus pygargus", "A")
    engine.dispose()
    after = _codes(public)
    assert after["A-03"][2] == "generalised" and after["A-03"][:2] != before["A-03"][:2]


def test_every_cached_exact_read_is_logged(world, lean_hits):
    db_url, _ = world
    client = sign_in(client_for(db_url), "viewer_a")
    engine = open_store(db_url)

    def lines() -> int:
        return _log_lines(engine, "viewer_a")

    n0 = lines()
    for _ in range(3):
        client.get("/api/stations.geojson")
    assert lines() == n0 + 3 and lean_hits.count("/api/stations.geojson") == 2
    public = client_for(db_url)
    public.get("/api/stations.geojson")
    public.get("/api/stations.geojson")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AccessLog)
                            .where(AccessLog.username.is_(None))).scalar_one() == 0
    engine.dispose()


def test_cached_pages_show_each_user_their_own_name_and_token(world, lean_hits):
    db_url, _ = world
    viewer = sign_in(client_for(db_url), "viewer_a")
    admin = sign_in(client_for(db_url), "admin_a")  # same partner: the same scope, so the same cached answers
    for _ in range(2):
        for client, me, other in ((viewer, "viewer_a", "admin_a"), (admin, "admin_a", "viewer_a")):
            html = client.get("/catalogue").text
            assert f'id="username">{me}<' in html and other not in html
            assert f'content="{client.cookies.get("bigcats_csrf")}"' in html
            assert "placeholder" not in html.split("<main>")[0]
            assert ('href="/access-log"' in html) == (me == "admin_a")
    assert lean_hits.count("/catalogue") == 2
    public = client_for(db_url)
    html = public.get("/catalogue").text
    assert "viewer_a" not in html and "admin_a" not in html and 'id="signin-link"' in html


def test_lean_routes_check_nothing_the_scope_does_not_decide():
    """A route served without running it may not have a role check or other guard of its own."""
    import fastapi.routing as fr

    from bigcats.web import create_app
    from bigcats.web.deps import require_admin, require_user
    from bigcats.web.respcache import LEAN_PAGES, LEAN_ROUTES

    app = create_app("sqlite://")

    def calls(dependant) -> set:
        out = {dependant.call}
        for d in dependant.dependencies:
            out |= calls(d)
        return out

    routes = fr.iter_route_contexts(app.router.routes) if hasattr(fr, "iter_route_contexts") else app.routes
    found = set()
    for route in routes:
        if (route.path in LEAN_ROUTES or route.path in LEAN_PAGES) and "GET" in (route.methods or ()):
            found.add(route.path)
            assert not calls(route.dependant) & {require_user, require_admin}, route.path
    assert found == set(LEAN_ROUTES) | LEAN_PAGES


def test_lean_answers_equal_the_routes(world, lean_hits):
    """Byte for byte: the first answer (from the route) and the next (from the fast path), every lean route."""
    db_url, _ = world
    for who in (None, "viewer_a", "viewer_b"):
        client = client_for(db_url) if who is None else sign_in(client_for(db_url), who)
        for path in ("/api/stations", "/api/stations.geojson", "/api/map/detections.geojson?species=Sus%20scrofa",
                     "/api/individuals?lang=ru", "/api/dashboard?side=RUS", "/api/dashboard/series?period=year"):
            first, second = client.get(path), client.get(path)
            assert first.status_code == second.status_code == 200, path
            assert first.content == second.content and first.headers["content-type"] == \
                second.headers["content-type"], path
            assert second.headers["x-frame-options"] == "DENY"  # the guard's headers on fast answers too
            json.loads(second.content)
    assert len(lean_hits) == 18


def test_revalidation_and_compression_keep_the_rules(world, lean_hits):
    """A browser's copy is confirmed (304) only while it is still what the caller may see; each 304 of exact
    locations is logged like a full answer; the gzipped body is the answer."""
    from bigcats.web.respcache import GZIP_MIN

    db_url, _ = world
    client = sign_in(client_for(db_url), "viewer_b")
    path = "/api/stations.geojson"
    first = client.get(path)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    raw = client.get(path, headers={"Accept-Encoding": "gzip"})  # httpx unzips: the same answer
    assert raw.json() == first.json() and raw.headers["etag"] == etag
    assert len(first.content) < GZIP_MIN or raw.headers["content-encoding"] == "gzip"
    engine = open_store(db_url)

    def lines() -> int:
        return _log_lines(engine, "viewer_b")

    n0 = lines()
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and lines() == n0 + 1
    public = client_for(db_url)
    public.get(path)
    assert public.get(path, headers={"If-None-Match": etag}).status_code == 200  # another view: another tag
    with engine.begin() as conn:  # the agreement ends: the browser's copy is no longer confirmed
        c = conn.execute(select(Partner.id).where(Partner.code == "C")).scalar_one()
        conn.execute(update(SharingAgreement).where(SharingAgreement.owner_partner_id == c)
                     .values(valid_until=utcnow() - timedelta(minutes=1)))
    after = client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200 and "C-01" not in after.text
    engine.dispose()
    assert lean_hits


def test_layers_simplified_per_zoom_on_real_outlines(sqlite_world, tmp_path, lean_hits):
    """Natural Earth's real country outlines published as a habitat layer: per zoom, fewer points, every feature
    kept and valid, no point further than the zoom's half pixel from the outline; republishing is seen at once."""
    import geopandas as gpd
    import shapely

    from bigcats.geo.publish import publish_geopackage
    from bigcats.web.api.data import COUNTRIES

    db_url, _ = sqlite_world
    outlines = gpd.read_file(COUNTRIES)[["geometry"]].assign(name=lambda g: [f"c{i}" for i in range(len(g))])
    gpkg = tmp_path / "layers.gpkg"
    outlines.to_file(gpkg, layer="habitat", driver="GPKG")
    engine = open_store(db_url)
    with engine.connect() as conn:
        assert publish_geopackage(conn, gpkg)[0]["features"] == len(outlines)
    client = client_for(db_url)
    full = client.get("/api/layers.geojson?kind=habitat").json()

    def points(collection) -> int:
        return sum(shapely.get_num_coordinates(shapely.geometry.shape(f["geometry"]))
                   for f in collection["features"])

    for zoom in (3, 6):
        coarse = client.get(f"/api/layers.geojson?kind=habitat&zoom={zoom}").json()
        assert client.get(f"/api/layers.geojson?kind=habitat&zoom={zoom}").json() == coarse
        assert len(coarse["features"]) == len(full["features"]) and points(coarse) < points(full)
        tolerance = 360 / (256 * 2 ** zoom) / 2
        for a, b in zip(full["features"], coarse["features"]):
            ga, gb = shapely.geometry.shape(a["geometry"]), shapely.geometry.shape(b["geometry"])
            # Nothing drawn where there was nothing (parts under a pixel may go: islands at a small zoom).
            corners = shapely.points(shapely.get_coordinates(gb))
            assert gb.is_valid and shapely.distance(corners, ga.boundary).max() <= tolerance * 1.01
            assert gb.area == pytest.approx(ga.area, rel=0.05, abs=tolerance ** 2 * 50)
    assert points(client.get("/api/layers.geojson?kind=habitat&zoom=3").json()) < \
        points(client.get("/api/layers.geojson?kind=habitat&zoom=6").json())
    assert client.get("/api/layers.geojson?kind=habitat&zoom=40").status_code == 422
    assert "/api/layers.geojson" in lean_hits
    with engine.connect() as conn:  # republished with one outline: the cached layers give way
        publish_geopackage(conn, _one_feature(outlines, tmp_path))
    assert len(client.get("/api/layers.geojson?kind=habitat&zoom=3").json()["features"]) == 1
    assert len(client.get("/api/layers.geojson?kind=habitat").json()["features"]) == 1
    engine.dispose()


def _one_feature(outlines, tmp_path):
    path = tmp_path / "one.gpkg"
    outlines.iloc[:1].to_file(path, layer="habitat", driver="GPKG")
    return path


def test_many_marks_are_folded_and_no_change_is_lost(world):
    db_url, _ = world
    engine = open_store(db_url)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps one counting row per kind")
    from bigcats.web.context import COMPACT_AT

    with engine.begin() as conn:  # a long life of writes: one mark per writing statement
        conn.execute(text("INSERT INTO web_change (kind) SELECT 'data' FROM generate_series(1, :n)"),
                     {"n": COMPACT_AT + 10})
    with engine.connect() as conn:
        _, data_before, _ = read_versions(conn, None)  # folds them
        count = conn.execute(text("SELECT count(*) FROM web_change WHERE kind = 'data'")).scalar_one()
        _, data_after, _ = read_versions(conn, None)
    assert count == 1 and data_after != data_before
    with engine.connect() as conn:
        assert read_versions(conn, None)[1] == data_after  # stable once folded
    with engine.begin() as conn:
        conn.execute(text("UPDATE station SET name = 'moved' WHERE id = (SELECT min(id) FROM station)"))
    with engine.connect() as conn:
        assert read_versions(conn, None)[1] != data_after
    engine.dispose()
