"""Attack: find a sensitive station's exact position in anything that leaves the server.

Every sensitive station of the web world gets hostile fields: a name and comments quoting its coordinates,
photos whose EXIF holds GPS tags (decimal and degrees-minutes-seconds), file paths and names made of the
coordinates, and a project descriptor with the exact bounding box. Then every exchange package (every owner,
every agreement state) and every download (every role) is scanned, text and zip members alike, for any number
pair within 100 m of a station the receiver is not entitled to see exactly. The scanner is shown to work by
finding the positions where the receiver is entitled.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from webworld import client_for, sign_in

from bigcats.exchange.sync import Grant, export_changes, generate_keys, load_identity, trust_peer
from bigcats.store.db import open_store
from bigcats.store.models import Deployment, Media, Observation, Project, Station

NUM = re.compile(r"-?\d{1,3}\.\d{3,}")
DMS = re.compile(r"(\d{1,3})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2}(?:\.\d+)?)")


def _dms(lat: float) -> str:
    d = int(lat)
    m = int((lat - d) * 60)
    s = (lat - d - m / 60) * 3600
    return f"{d}°{m}'{s:.2f}\""


def _numbers(text: str) -> list[float]:
    out = [float(x) for x in NUM.findall(text)]
    out += [float(d) + float(m) / 60 + float(s) / 3600 for d, m, s in DMS.findall(text)]
    return out


def leaks(text: str, stations: list[tuple[str, float, float]]) -> set[str]:
    """Stations whose latitude and longitude both appear in the text to within 100 m."""
    nums = _numbers(text)
    found = set()
    for code, lat, lon in stations:
        dlat, dlon = 100 / 111_320, 100 / (111_320 * math.cos(math.radians(lat)))
        if any(abs(n - lat) <= dlat for n in nums) and any(abs(n - lon) <= dlon for n in nums):
            found.add(code)
    return found


def _texts_of_zip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}


def _texts_of_folder(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8", errors="replace")
            for p in folder.rglob("*") if p.is_file()}


def poison(db_url: str, sensitive: list) -> list[tuple[str, str, float, float]]:
    """Hostile fields on every sensitive station; returns (partner, code, lat, lon)."""
    engine = open_store(db_url)
    with engine.begin() as conn:
        for partner, code, lat, lon in sensitive:
            sid = conn.execute(select(Station.id).where(Station.code == code)).scalar_one()
            conn.execute(update(Station).where(Station.id == sid).values(name=f"{code} at {lat:.6f}, {lon:.6f}"))
            dep = conn.execute(select(Deployment.id, Deployment.project_id).where(Deployment.station_id == sid)).one()
            conn.execute(update(Deployment).where(Deployment.id == dep.id).values(
                comments=f"camera on the pine, N{lat:.5f} E{lon:.5f}"))
            conn.execute(update(Project).where(Project.id == dep.project_id).values(descriptor={
                "name": f"p-{partner}", "description": f"Survey around {_dms(lat)} N {_dms(lon)} E",
                "spatial": {"type": "Polygon", "bbox": [lon, lat, lon, lat]}}))
            obs = conn.execute(select(Observation.id).where(Observation.deployment_id == dep.id)).scalars().all()
            for i, oid in enumerate(obs):
                exif = {"GPSLatitude": lat, "GPSLongitude": lon, "GPSLatitudeDMS": _dms(lat),
                        "Make": "Reconyx", "bigcats:sha256": "ab" * 32}
                mid = conn.execute(Media.__table__.insert().values(
                    deployment_id=dep.id, source_id=f"{code}-m{i}", timestamp_utc=datetime(2024, 1, 11),
                    utc_offset=600, file_path=f"/srv/photos/{lat:.6f}_{lon:.6f}/IMG_{i}.JPG", file_public=False,
                    file_name=f"{lat:.5f}_{lon:.5f}_{i}.JPG", file_mediatype="image/jpeg", exif=json.dumps(exif),
                    comments=f"{lat} {lon}")).inserted_primary_key[0]
                conn.execute(update(Observation).where(Observation.id == oid).values(
                    media_id=mid, comments=f"seen at {lat:.4f},{lon:.4f}"))
    engine.dispose()
    return [(p, c, lat, lon) for p, c, lat, lon in sensitive]


@pytest.fixture
def poisoned(world):
    db_url, info = world
    return db_url, info, poison(db_url, info["sensitive_stations"])


def test_no_exchange_package_carries_a_generalised_station_exactly(poisoned, tmp_path):
    db_url, info, stations = poisoned
    engine = open_store(db_url)
    generate_keys(tmp_path / "me", "ME")
    generate_keys(tmp_path / "peer", "PEER")
    trust_peer(engine, "PEER", tmp_path / "peer" / "node.pub", partner="Z")
    me = load_identity(tmp_path / "me")
    species = {"Panthera tigris altaica", "Panthera pardus orientalis", "Panthera uncia", "Capreolus pygargus"}
    states = [("all species, generalised", None, False)] + [(f"only {s}", frozenset({s}), False) for s in species] \
        + [("exact", None, True)]
    n = 0
    for owner in ("A", "B", "C"):
        mine = [(c, lat, lon) for p, c, lat, lon in stations if p == owner]
        for label, sp, exact in states:
            out = tmp_path / f"pkg{n}"
            n += 1
            export_changes(engine, "PEER", since=0, agreement=[Grant(owner, sp, exact)], out=out, identity=me)
            texts = "\n".join(_texts_of_folder(out).values())
            found = leaks(texts, mine)
            if exact and sp is None:
                assert found == {c for c, _, _ in mine}, "the scanner must find what an exact agreement sends"
            else:
                assert not found, f"owner {owner}, agreement {label}: exact position of {found} in the package"
    engine.dispose()


ROLES = [None, "viewer_a", "editor_a", "admin_a", "viewer_b", "admin_c"]
MEMBER_OF = {"viewer_a": "A", "editor_a": "A", "admin_a": "A", "viewer_b": "B", "admin_c": "C"}
EXACT_GRANTS = {("viewer_b", "C")}  # C shares exact locations with B


def test_no_download_carries_a_station_the_caller_may_not_see_exactly(poisoned):
    db_url, info, stations = poisoned
    checked = found_entitled = 0
    for user in ROLES:
        client = client_for(db_url)
        if user:
            sign_in(client, user)
        texts: dict[str, str] = {}
        r = client.get("/api/downloads/detections.csv")
        assert r.status_code == 200
        texts["detections.csv"] = r.text
        for partner in ("A", "B", "C"):
            r = client.get(f"/api/downloads/camtrapdp/{partner}.zip")
            if r.status_code == 200:
                texts.update({f"{partner}:{k}": v for k, v in _texts_of_zip(r.content).items()})
        for path in ("/api/stations", "/api/detections", "/api/stations.geojson", "/api/map/detections.geojson"):
            r = client.get(path)
            if r.status_code == 200:
                texts[path] = r.text
        for partner, code, lat, lon in stations:
            entitled = user is not None and (MEMBER_OF[user] == partner or (user, partner) in EXACT_GRANTS)
            hit = leaks("\n".join(texts.values()), [(code, lat, lon)])
            checked += 1
            if entitled:
                found_entitled += bool(hit)
            else:
                where = [k for k, v in texts.items() if leaks(v, [(code, lat, lon)])]
                assert not hit, f"{user or 'public'} got the exact position of {code} in {where}"
    assert checked == len(ROLES) * len(stations)
    assert found_entitled > 0  # the scanner sees exact positions where they are due


def test_the_public_darwin_core_archive_carries_no_sensitive_station_exactly(poisoned, tmp_path):
    from bigcats.exchange.dwc import export_dwca

    db_url, info, stations = poisoned
    engine = open_store(db_url)
    found = {}
    for partner in ("A", "B", "C"):
        try:
            path = export_dwca(engine, tmp_path / f"{partner}.zip", partner=partner)
        except LookupError:
            continue
        texts = _texts_of_zip(path.read_bytes())
        hit = leaks("\n".join(texts.values()), [(c, lat, lon) for p, c, lat, lon in stations if p == partner])
        if hit:
            found[partner] = (hit, [k for k, v in texts.items() if leaks(v, [(c, la, lo) for p, c, la, lo in stations
                                                                              if p == partner])])
    engine.dispose()
    assert not found, f"Darwin Core archives give exact positions away: {found}"
