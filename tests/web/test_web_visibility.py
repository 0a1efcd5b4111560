"""Who sees what: partners' data kept within agreements, exact locations of sensitive species only to the entitled."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import numpy as np
from sqlalchemy import create_engine, select
from webworld import STATIONS, all_routes, client_for, sign_in

from bigcats.geo.privacy import generalise
from bigcats.store.models import Partner
from bigcats.store.models_access import SharingAgreement

FLOAT = re.compile(r"-?\d+\.\d+")
QUERIES = ["", "?species=Panthera tigris altaica", "?species=Panthera uncia", "?partner=A", "?side=RUS",
           "?lang=ru", "?start=2024-01-01&end=2024-12-31", "?limit=10000"]


def _texts(response) -> list[str]:
    """The response body as text, or each member of a zip as text."""
    if response.headers.get("content-type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as z:
            return [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    if response.headers.get("content-type", "").startswith("image/"):
        return []
    return [response.text]


def _leaks(text: str, stations) -> list[str]:
    """Sensitive stations whose exact latitude and longitude both appear (to 4 decimals) in a text."""
    values = np.array([float(v) for v in FLOAT.findall(text)] or [np.nan])
    found = []
    for _, code, lat, lon in stations:
        if np.any(np.abs(values - lat) < 5e-5) and np.any(np.abs(values - lon) < 5e-5):
            found.append(code)
    return found


def _path_values(world_info) -> dict[str, list[str]]:
    return {"individual_id": [str(i) for i in world_info["individuals"].values()], "media_id": ["1"],
            "partner": list(world_info["partners"]), "job_id": ["0" * 32], "proposal_id": ["1"],
            "name": ["parks"], "image_id": ["1"], "size": ["thumb", "large"], "which": ["query", "candidate"],
            "table": ["stations", "individuals", "summary", "nosuch"], "fmt": ["html", "pdf", "doc"]}


def _get_routes(app) -> list[str]:
    return sorted({path for path, methods in all_routes(app) if "GET" in methods})


def _expand(path: str, values: dict[str, list[str]]) -> list[str]:
    names = re.findall(r"{(\w+)}", path)
    paths = [path]
    for name in names:
        assert name in values, f"no test values for path parameter {name!r} of {path}: add them to the test"
        paths = [p.replace("{" + name + "}", v) for p in paths for v in values[name]]
    return paths


def test_public_never_gets_an_exact_sensitive_location_by_any_route(world):
    db_url, info = world
    # Even an agreement wrongly granting the public exact locations (written straight into the database,
    # bypassing the API's refusal) must not reveal them.
    engine = create_engine(db_url)
    with engine.begin() as conn:
        a = conn.execute(select(Partner.id).where(Partner.code == "A")).scalar_one()
        conn.execute(SharingAgreement.__table__.insert().values(
            owner_partner_id=a, grantee_partner_id=None, exact_locations=True, created_at=datetime(2020, 1, 1)))
    engine.dispose()
    client = client_for(db_url)
    stations = info["sensitive_stations"]
    values = _path_values(info)
    routes = _get_routes(client.app)
    assert {"/api/stations", "/api/detections", "/api/map/detections.geojson", "/api/downloads/detections.csv",
            "/api/downloads/camtrapdp/{partner}.zip", "/", "/map", "/catalogue/{individual_id}"} <= set(routes)
    visited = set()
    for route in routes:
        for path in _expand(route, values):
            for q in (QUERIES if "{" not in route else QUERIES[:1] + QUERIES[5:6]):
                r = client.get(path + q)
                assert r.status_code < 500, (path + q, r.text[:300])
                for text in _texts(r):
                    assert not _leaks(text, stations), f"exact location leaked to the public by {path + q}"
                visited.add(route)
    assert visited == set(routes)
    # Not vacuous: the public does see partner A's tiger stations, generalised to the 10 km cell centre.
    shown = {s["locationID"]: s for s in client.get("/api/stations").json()}
    assert {"A-01", "A-02", "A-03"} <= set(shown) and not {"C-01", "B-01"} & set(shown)
    glon, glat = generalise(131.2345678, 43.1234567)
    assert shown["A-01"]["precision"] == "generalised"
    assert (shown["A-01"]["longitude"], shown["A-01"]["latitude"]) == (float(glon), float(glat))
    assert shown["A-03"]["precision"] == "exact"  # only roe deer there: nothing to hide
    csv = client.get("/api/downloads/detections.csv").text
    assert "Panthera tigris altaica" in csv and "generalised" in csv


def test_viewer_of_a_sees_b_only_within_the_agreement(world):
    db_url, _ = world
    client = sign_in(client_for(db_url), "viewer_a")
    rows = client.get("/api/detections", params={"limit": 1000}).json()
    by_partner = {}
    for r in rows:
        by_partner.setdefault(r["partner"], set()).add(r["scientificName"])
    assert set(by_partner) == {"A", "B"}
    assert by_partner["B"] == {"Capreolus pygargus"}  # the agreement: roe deer only
    assert "Panthera tigris altaica" in by_partner["A"]
    # B's leopard and its tiger sighting stay hidden everywhere: catalogue, map layer, dashboard, downloads.
    cats = {c["individualID"]: c for c in client.get("/api/individuals").json()}
    assert set(cats) == {"T1"} and cats["T1"]["sides"] == ["RUS"] and cats["T1"]["detections"] == 3
    layer = client.get("/api/map/detections.geojson").json()["features"]
    assert not any(f["properties"]["partner"] == "B" and f["properties"]["scientificName"] != "Capreolus pygargus"
                   for f in layer)
    assert all(f["properties"]["partner"] != "C" for f in layer)
    dash = client.get("/api/dashboard", params={"partner": "B"}).json()
    assert {s["scientificName"] for s in dash["species"]} == {"Capreolus pygargus"}
    assert client.get("/api/downloads/camtrapdp/C.zip").status_code == 404
    assert client.get("/api/downloads/camtrapdp/B.zip").status_code == 403
    csv = client.get("/api/downloads/detections.csv").text
    assert "Panthera pardus orientalis" not in csv and ",C," not in csv
    assert {p["code"] for p in client.get("/api/partners").json()} == {"A", "B"}


def test_members_and_exact_agreements_get_exact_locations_and_are_logged(world):
    db_url, _ = world
    exact = {code: (lat, lon) for _, code, lat, lon, _ in STATIONS}
    a = sign_in(client_for(db_url), "viewer_a")
    mine = {s["locationID"]: s for s in a.get("/api/stations").json()}
    assert mine["A-01"]["precision"] == "exact"
    # The leak detector of the public test does see exact locations when they are there.
    sensitive = [(p, c, lat, lon) for p, c, lat, lon, _ in STATIONS if c in ("A-01", "A-02", "B-01", "C-01")]
    assert _leaks(a.get("/api/stations").text, sensitive) == ["A-01", "A-02"]
    assert (mine["A-01"]["latitude"], mine["A-01"]["longitude"]) == exact["A-01"]
    # B's station with a leopard is seen by A (roe deer agreement) but only generalised: no exact grant.
    assert mine["B-01"]["precision"] == "generalised" and mine["B-01"]["latitude"] != exact["B-01"][0]
    b = sign_in(client_for(db_url), "viewer_b")
    theirs = {s["locationID"]: s for s in b.get("/api/stations").json()}
    assert theirs["C-01"]["precision"] == "exact"  # C grants B exact locations
    assert (theirs["C-01"]["latitude"], theirs["C-01"]["longitude"]) == exact["C-01"]
    admin_c = sign_in(client_for(db_url), "admin_c")
    log = admin_c.get("/api/access-log").json()
    assert any(e["user"] == "viewer_b" and "C" in e["partners"] and e["route"] == "/api/stations" for e in log)
    assert not any(e["user"] == "viewer_a" for e in log)  # A never got C's exact locations
    admin_a = sign_in(client_for(db_url), "admin_a")
    assert any(e["user"] == "viewer_a" and e["action"] == "view" for e in admin_a.get("/api/access-log").json())
    a.get("/api/downloads/camtrapdp/A.zip")
    assert any(e["user"] == "viewer_a" and e["action"] == "download"
               for e in admin_a.get("/api/access-log").json())
    assert a.get("/api/access-log").status_code == 403  # viewers do not read the log
