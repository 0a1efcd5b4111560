"""Map layers published from a GeoPackage, home ranges at the caller's precision, density for the dashboard."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner
from webworld import PASSWORD, T0, client_for, sign_in

from bigcats.cli.layers import app as layers_app
from bigcats.geo.errors import GeoError
from bigcats.geo.publish import layer_features, publish_geopackage
from bigcats.population.homerange import mcp
from bigcats.store.models import Deployment, Individual, Observation, Partner, Project, Species, Station
from bigcats.store.db import open_store
from bigcats.store.models_access import AccessLog, SharingAgreement
from bigcats.access.users import add_user
from bigcats.web.api.layers import FLAT_RATIO

TIGER = "Panthera tigris altaica"
TO_GRID = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True)
FROM_UTM = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True)

# The simulated population: cats centred uniformly in a square around a 5 x 5 camera grid (known truth).
SPACING_M, GRID, BUFFER_M = 3000.0, 5, 10_000.0
N_CATS, LAMBDA0, SIGMA_M, DAYS = 25, 0.2, 3000.0, 60
ORIGIN = (131.50, 43.90)  # lon, lat of the grid's south-west corner, inland in Primorye


def _gpkg(tmp_path) -> tuple:
    """A tiny GeoPackage: two parks in UTM 52N (one per side), a habitat polygon and a river (lon/lat)."""
    x0, y0 = TO_UTM.transform(*ORIGIN)
    parks = gpd.GeoDataFrame({"name": ["Land of the Leopard", "NE China Tiger and Leopard"],
                              "country": ["RUS", "CHN"], "area_km2": [2620.0, np.nan]},
                             geometry=[shapely.box(x0, y0, x0 + 20_000, y0 + 15_000),
                                       shapely.box(x0 - 20_000, y0, x0, y0 + 15_000)], crs="EPSG:32652")
    habitat = gpd.GeoDataFrame({"class": ["forest"]}, geometry=[shapely.box(ORIGIN[0] - 0.2, ORIGIN[1] - 0.05, ORIGIN[0] + 0.15, ORIGIN[1] + 0.1)],
                               crs="EPSG:4326")
    river = gpd.GeoDataFrame({"name": ["Tumen"]}, geometry=[shapely.LineString([(ORIGIN[0] - 0.3, ORIGIN[1] - 0.2), ORIGIN])],
                             crs="EPSG:4326")
    path = tmp_path / "area.gpkg"
    for name, gdf in (("parks", parks), ("habitat", habitat), ("rivers", river)):
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path, parks


def _stations() -> pd.DataFrame:
    x0, y0 = TO_UTM.transform(*ORIGIN)
    gx, gy = np.meshgrid(np.arange(GRID) * SPACING_M, np.arange(GRID) * SPACING_M)
    x, y = x0 + gx.ravel(), y0 + gy.ravel()
    lon, lat = FROM_UTM.transform(x, y)
    # The western column is China's (partner B), the rest Russia's (partner A).
    partner = np.where(gx.ravel() == 0, "B", "A")
    return pd.DataFrame({"code": [f"G{i:02d}" for i in range(len(x))], "x": x, "y": y, "longitude": lon,
                         "latitude": lat, "partner": partner})


def _simulate(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Detections (cat, station, day) of a half-normal SCR population; returns stations, detections, true D."""
    rng = np.random.default_rng(seed)
    st = _stations()
    lo_x, lo_y = st["x"].min() - BUFFER_M, st["y"].min() - BUFFER_M
    side_x = st["x"].max() - st["x"].min() + 2 * BUFFER_M
    side_y = st["y"].max() - st["y"].min() + 2 * BUFFER_M
    cx, cy = lo_x + rng.random(N_CATS) * side_x, lo_y + rng.random(N_CATS) * side_y
    d2 = (cx[:, None] - st["x"].to_numpy()[None]) ** 2 + (cy[:, None] - st["y"].to_numpy()[None]) ** 2
    rate = LAMBDA0 * np.exp(-d2 / (2 * SIGMA_M**2))
    hits = rng.poisson(rate[:, :, None] * np.ones(DAYS)[None, None]) > 0
    cat, station, day = np.nonzero(hits)
    det = pd.DataFrame({"cat": cat, "station": st["code"].to_numpy()[station], "day": day})
    true_d = N_CATS / (side_x * side_y / 1e6) * 100  # per 100 km²
    return st, det, true_d


def _add_survey(db_url: str) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """A store holding only the simulated grid survey: partner A (RUS) shares with the public, generalised;
    partner B (CHN) shares roe deer only with A; admin_a administers A."""
    st, det, true_d = _simulate()
    engine = open_store(db_url)
    with engine.begin() as conn:
        pids = {c: conn.execute(Partner.__table__.insert().values(code=c, name=f"Partner {c}", country=country))
                .inserted_primary_key[0] for c, country in (("A", "RUS"), ("B", "CHN"))}
        projects = {p: conn.execute(Project.__table__.insert().values(partner_id=p, code=f"{c}-grid"))
                    .inserted_primary_key[0] for c, p in pids.items()}
        for owner, grantee, sp in (("A", None, None), ("B", "A", ["Capreolus pygargus"])):
            conn.execute(SharingAgreement.__table__.insert().values(
                owner_partner_id=pids[owner], grantee_partner_id=pids[grantee] if grantee else None, species=sp,
                exact_locations=False, created_at=datetime(2020, 1, 1)))
        add_user(conn, "admin_a", PASSWORD, pids["A"], "administrator")
        tiger = conn.execute(select(Species.id).where(Species.scientific_name == TIGER)).scalar_one()
        cats = {}
        for c in sorted(det["cat"].unique()):
            cats[c] = conn.execute(Individual.__table__.insert().values(
                species_id=tiger, code=f"GT{c:02d}", sex="female")).inserted_primary_key[0]
        deps = {}
        # Set up at local midnight (UTC+10) so every one of the DAYS days is a full camera day.
        start = T0 - timedelta(hours=10)
        for r in st.itertuples():
            sid = conn.execute(Station.__table__.insert().values(
                partner_id=pids[r.partner], code=r.code, name=f"{r.code} grid", latitude=float(r.latitude),
                longitude=float(r.longitude), country="RUS" if r.partner == "A" else "CHN")).inserted_primary_key[0]
            deps[r.code] = conn.execute(Deployment.__table__.insert().values(
                project_id=projects[pids[r.partner]], station_id=sid, source_id=f"{r.code}-d1", start_utc=start,
                end_utc=start + timedelta(days=DAYS), utc_offset=600)).inserted_primary_key[0]
        t = start + pd.to_timedelta(det["day"], unit="D") + timedelta(hours=12)
        conn.execute(Observation.__table__.insert(), [
            {"deployment_id": deps[s], "source_id": f"g{i}", "event_start_utc": w.to_pydatetime(),
             "event_end_utc": w.to_pydatetime(), "utc_offset": 600, "level": "event", "type": "animal",
             "species_id": tiger, "count": 1, "individual_id": cats[c]}
            for i, (s, c, w) in enumerate(zip(det["station"], det["cat"], t))])
    engine.dispose()
    det = det.assign(individualID=det["cat"].map(lambda c: f"GT{c:02d}"))
    return st, det, true_d


@pytest.fixture(scope="module")
def _grid_template(tmp_path_factory) -> tuple:
    path = tmp_path_factory.mktemp("grid") / "grid.db"
    return (str(path), *_add_survey(f"sqlite:///{path}"))


@pytest.fixture
def grid_world(sqlite_url, _grid_template):
    """A fresh copy of the grid survey's store."""
    shutil.copyfile(_grid_template[0], make_url(sqlite_url).database)
    return (sqlite_url, *_grid_template[1:])


def test_publish_reprojects_replaces_and_serves_layers_to_everyone(sqlite_world, tmp_path):
    db_url, _ = sqlite_world
    path, parks = _gpkg(tmp_path)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert publish_geopackage(conn, path) == [
            {"layer": "parks", "kind": "parks", "features": 2}, {"layer": "habitat", "kind": "habitat", "features": 1},
            {"layer": "rivers", "kind": "other", "features": 1}]
        # Publishing again replaces the layer's features instead of adding a second copy.
        publish_geopackage(conn, path, ["parks"])
        with pytest.raises(GeoError, match="no layer 'roads'; the file has parks, habitat, rivers"):
            publish_geopackage(conn, path, ["roads"])
    client = client_for(db_url)  # the public
    listed = {r["layer"]: r for r in client.get("/api/layers").json()}
    assert listed["parks"]["features"] == 2 and listed["parks"]["countries"] == ["CHN", "RUS"]
    served = client.get("/api/layers/parks.geojson").json()
    assert [f["properties"]["name"] for f in served["features"]] == parks["name"].tolist()
    assert served["features"][1]["properties"]["area_km2"] is None  # NaN became null, not a silent NaN
    # The UTM polygons arrive in WGS84, where geopandas puts them, to the stored micro-degree.
    expected = parks.to_crs(4326).geometry.to_numpy()
    got = np.array([shapely.geometry.shape(f["geometry"]) for f in served["features"]])
    assert np.all(shapely.hausdorff_distance(got, expected) < 2e-6)
    kinds = client.get("/api/layers.geojson?kind=habitat").json()
    assert [f["properties"]["class"] for f in kinds["features"]] == ["forest"]
    assert client.get("/api/layers/roads.geojson").status_code == 404
    assert client.get("/api/layers.geojson?kind=roads").status_code == 400


def test_layer_features_refuse_a_layer_without_crs():
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(GeoError, match="parks.gpkg, layer 'parks': no CRS"):
        layer_features(gdf, "parks", "parks.gpkg")


def test_layers_cli_publishes_lists_and_removes(sqlite_world, tmp_path):
    db_url, _ = sqlite_world
    path, _ = _gpkg(tmp_path)
    runner = CliRunner()
    r = runner.invoke(layers_app, ["publish", str(path), "--layers", "parks,habitat", "--db", db_url, "--json"])
    assert r.exit_code == 0, r.output
    assert [x["layer"] for x in json.loads(r.stdout)] == ["parks", "habitat"]
    r = runner.invoke(layers_app, ["list", "--db", db_url, "--json"])
    assert sorted(x["layer"] for x in json.loads(r.stdout)) == ["habitat", "parks"]
    r = runner.invoke(layers_app, ["remove", "habitat", "--db", db_url, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["features"] == 1
    r = runner.invoke(layers_app, ["remove", "habitat", "--db", db_url])
    assert r.exit_code == 1 and "no published layer 'habitat'" in r.output
    r = runner.invoke(layers_app, ["publish", str(tmp_path / "none.gpkg"), "--db", db_url])
    assert r.exit_code == 1 and "no such file" in r.output


def _on_grid(geom: shapely.Geometry, cell_m: float = 10_000.0) -> bool:
    """Whether every vertex of a lon/lat geometry is a corner of the 10 km equal-area grid."""
    xy = shapely.get_coordinates(geom)
    x, y = TO_GRID.transform(xy[:, 0], xy[:, 1])
    # Vertices are stored to 1e-5 degree (about 1 m): allow that, far below the 10 km cell.
    return bool(np.all(np.abs(np.asarray(x) / cell_m - np.round(np.asarray(x) / cell_m)) * cell_m < 2.0)
                and np.all(np.abs(np.asarray(y) / cell_m - np.round(np.asarray(y) / cell_m)) * cell_m < 2.0))


def test_home_ranges_exact_for_members_never_for_the_public(grid_world):
    db_url, st, det, _ = grid_world
    # The exact MCPs are computed independently below from the simulated detections at the stations' positions.
    at = st.set_index("code")
    x, y = TO_GRID.transform(at.loc[det["station"], "longitude"].to_numpy(), at.loc[det["station"], "latitude"].to_numpy())
    relocs = pd.DataFrame({"individualID": det["individualID"].to_numpy(), "x": x, "y": y})

    admin = sign_in(client_for(db_url), "admin_a")
    # admin_a sees partner A exactly, but partner B (China's column) only as far as B's agreement allows: roe deer.
    ranges = {f["properties"]["individualID"]: f for f in admin.get(f"/api/homeranges.geojson?species={TIGER}")
              .json()["features"]}
    # B's tiger records are invisible to A: a cat's range is drawn from its detections at A's stations alone.
    on_a = (at.loc[det["station"], "partner"] == "A").to_numpy()
    a_rel = relocs[on_a]
    a_n, a_places = a_rel.groupby("individualID").size(), det[on_a].groupby("individualID")["station"].nunique()
    a_mcp = mcp(a_rel[a_rel["individualID"].isin(a_n.index[(a_n >= 5) & (a_places >= 3)])])
    # The 95% MCP may trim a cat down to stations in a line: no area, no range (listed as skipped).
    hulls = a_mcp["geometry"].to_numpy()
    flat = (shapely.get_type_id(hulls) != 3) | (shapely.area(hulls) < FLAT_RATIO * shapely.length(hulls) ** 2)
    a_eligible = set(a_mcp.loc[~flat, "individualID"])
    skipped = {s["individualID"]: s["reason"] for s in
               admin.get(f"/api/homeranges.geojson?species={TIGER}").json()["skipped"]}
    assert all(skipped[k] == "detections lie on a line" for k in set(a_mcp["individualID"]) - a_eligible)
    assert set(ranges) == a_eligible and len(a_eligible) >= 3  # real ranges to check
    for k, f in ranges.items():
        assert f["properties"]["precision"] == "exact" and f["properties"]["partners"] == ["A"]
        want = mcp(a_rel[a_rel["individualID"] == k]).iloc[0]["geometry"]
        got = shapely.transform(shapely.geometry.shape(f["geometry"]),
                                lambda xy: np.column_stack(TO_GRID.transform(*xy.T)))
        assert shapely.hausdorff_distance(got, want) < 5.0  # metres: the 1e-5 degree rounding
    with create_engine(db_url).connect() as conn:
        logged = conn.execute(select(AccessLog.route, AccessLog.username)).all()
    assert ("/api/homeranges.geojson", "admin_a") in logged

    public = client_for(db_url).get(f"/api/homeranges.geojson?species={TIGER}").json()
    shown = {f["properties"]["individualID"]: f for f in public["features"]}
    # The public sees what A shares with everyone: the same cats as admin_a, never their polygons.
    assert set(shown) == a_eligible
    to_wgs = Transformer.from_crs("EPSG:6933", "EPSG:4326", always_xy=True)
    for k, f in shown.items():
        p = f["properties"]
        assert p["precision"] == "generalised" and p["percent"] is None
        footprint = shapely.geometry.shape(f["geometry"])
        exact_hull = mcp(a_rel[a_rel["individualID"] == k]).iloc[0]["geometry"]
        hull = shapely.transform(exact_hull, lambda xy: np.column_stack(to_wgs.transform(*xy.T)))
        # Not the polygon: a union of whole 10 km cells that covers it.
        assert _on_grid(footprint)
        assert footprint.area > 1.5 * hull.area
        assert shapely.buffer(footprint, 1e-4).covers(hull)
        # No vertex of the exact polygon (a station) is in the answer.
        hull_xy = shapely.get_coordinates(hull)
        text = json.dumps(f["geometry"])
        assert not any(f"{lon:.4f}" in text and f"{lat:.4f}" in text for lon, lat in hull_xy)
        assert p["area_km2"] == pytest.approx(100 * round(p["area_km2"] / 100), abs=0.5)  # whole cells
    with create_engine(db_url).connect() as conn:
        public_lines = conn.execute(select(AccessLog.id).where(AccessLog.username.is_(None))).all()
    assert public_lines == []


def test_density_estimated_on_demand_cached_and_covers_the_truth(grid_world):
    db_url, _, det, true_d = grid_world
    admin = sign_in(client_for(db_url), "admin_a")
    listed = {r["scientificName"]: r for r in admin.get("/api/density").json()}
    assert listed[TIGER]["status"] == "not computed"
    first = admin.get(f"/api/density?species={TIGER}").json()
    (row,) = [r for r in first if r["scientificName"] == TIGER]
    assert row["status"] == "ok", row
    assert row["unit"] == "per 100 km²" and row["partners"] == ["A"]
    assert row["lcl"] < row["estimate"] < row["ucl"] and row["SE"] > 0
    # admin_a sees A's 20 grid stations (B's column only for roe deer), and the true density is inside the interval.
    assert row["detectors"] == GRID * (GRID - 1)
    assert row["lcl"] < true_d < row["ucl"]
    again = {r["scientificName"]: r for r in admin.get("/api/density").json()}[TIGER]
    assert again["status"] == "ok" and again["estimate"] == row["estimate"]  # from the cache, no new fit
    assert admin.get("/api/density?partner=A").status_code == 400


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def grid_server(grid_world, tmp_path, serve_app):
    """The grid survey with the tiny GeoPackage published, served by uvicorn on a free loopback port."""
    from bigcats.web import create_app

    db_url = grid_world[0]
    path, _ = _gpkg(tmp_path)
    with create_engine(db_url).connect() as conn:
        publish_geopackage(conn, path)
    with serve_app(create_app(db_url)) as url:
        yield url


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed: run "
                    "scripts/system-deps.sh")
def test_map_shows_layers_and_home_ranges_and_dashboard_density_in_chromium(grid_server, tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = tmp_path_factory.getbasetemp() / "web-screenshots"
    shots.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{grid_server}/login")
        page.fill("#username-input", "admin_a")
        page.fill("#password-input", PASSWORD)
        page.click("#signin-button")
        page.wait_for_url(f"{grid_server}/")
        page.wait_for_selector('#density[data-done="1"]', timeout=60_000)
        row = page.locator('#density-table tr[data-species="Panthera tigris altaica"]')
        assert row.get_attribute("data-status") == "ok"
        page.screenshot(path=str(shots / "layers-dashboard.png"), full_page=True)
        page.goto(f"{grid_server}/map")
        page.wait_for_selector("#map[data-homeranges][data-layer_parks][data-layer_habitat]", timeout=30_000)
        assert int(page.get_attribute("#map", "data-homeranges")) >= 3
        assert page.get_attribute("#map", "data-layer_parks") == "2"
        # The layer switcher lists the boundary, habitat and home range overlays.
        control = page.inner_text(".leaflet-control-layers")
        assert all(k in control for k in ("Protected areas", "Zones", "Census units", "Habitat", "Home ranges"))
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "layers-map.png"), full_page=True)
        # Switching the language translates the layer switcher too.
        page.goto(f"{grid_server}/map?lang=ru")
        page.wait_for_selector(".leaflet-control-layers")
        assert "Индивидуальные участки" in page.inner_text(".leaflet-control-layers")
        browser.close()
    assert not errors, errors
