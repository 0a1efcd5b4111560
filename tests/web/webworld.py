"""A small transboundary world for the web tests: three partners, sensitive and ordinary species, users, agreements.

Partner A (RUS) and B (CHN) share a tiger; C (MNG) has a snow leopard. A shares everything with the public
(generalised); B shares roe deer only with A; C shares everything with B, exact locations included.
"""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

import bigcats.store.models_access  # noqa: F401 - access tables in the metadata
from bigcats.store.db import open_store
from bigcats.store.models import Deployment, Individual, Observation, Partner, Project, Species, Station
from bigcats.store.models_access import SharingAgreement
from bigcats.web import create_app
from bigcats.access.users import add_user

PASSWORD = "correct-horse-battery"
T0 = datetime(2024, 1, 10)

# (partner, station code, lat, lon, [(species, individual code or None, n observations)])
STATIONS = [
    ("A", "A-01", 43.1234567, 131.2345678, [("Panthera tigris altaica", "T1", 3), ("Sus scrofa", None, 2)]),
    ("A", "A-02", 43.3456789, 131.4567891, [("Panthera tigris altaica", None, 1)]),
    ("A", "A-03", 43.5678912, 131.6789123, [("Capreolus pygargus", None, 4)]),
    ("B", "B-01", 42.9876543, 130.8765432, [("Panthera pardus orientalis", "L1", 2),
                                           ("Panthera tigris altaica", "T1", 1), ("Capreolus pygargus", None, 2)]),
    ("B", "B-02", 42.7654321, 130.6543219, [("Capreolus pygargus", None, 3)]),
    ("C", "C-01", 48.2468135, 91.3579246, [("Panthera uncia", "S1", 2), ("Capra sibirica", None, 1)]),
]
COUNTRY = {"A": "RUS", "B": "CHN", "C": "MNG"}
SENSITIVE = {"Panthera tigris altaica", "Panthera pardus orientalis", "Panthera uncia"}


def seed(db_url: str) -> dict:
    """Write the world into an empty database; returns exact coordinates of the sensitive stations."""
    engine = open_store(db_url)
    with engine.begin() as conn:
        species = dict(conn.execute(select(Species.scientific_name, Species.id)).all())
        pids = {}
        for code, country in COUNTRY.items():
            pids[code] = conn.execute(Partner.__table__.insert().values(
                code=code, name=f"Partner {code}", country=country)).inserted_primary_key[0]
        projects = {c: conn.execute(Project.__table__.insert().values(partner_id=p, code=f"{c}-2024"))
                    .inserted_primary_key[0] for c, p in pids.items()}
        cats = {}
        for code, sp in (("T1", "Panthera tigris altaica"), ("L1", "Panthera pardus orientalis"),
                         ("S1", "Panthera uncia")):
            cats[code] = conn.execute(Individual.__table__.insert().values(
                species_id=species[sp], code=code, sex="male")).inserted_primary_key[0]
        n = 0
        for partner, st_code, lat, lon, records in STATIONS:
            sid = conn.execute(Station.__table__.insert().values(
                partner_id=pids[partner], code=st_code, name=f"{st_code} ridge", latitude=lat, longitude=lon,
                country=COUNTRY[partner])).inserted_primary_key[0]
            did = conn.execute(Deployment.__table__.insert().values(
                project_id=projects[partner], station_id=sid, source_id=f"{st_code}-d1", start_utc=T0,
                end_utc=T0 + timedelta(days=100), utc_offset=600)).inserted_primary_key[0]
            for sp, cat, count in records:
                for _ in range(count):
                    n += 1
                    t = T0 + timedelta(days=n)
                    conn.execute(Observation.__table__.insert().values(
                        deployment_id=did, source_id=f"o{n}", event_start_utc=t, event_end_utc=t, utc_offset=600,
                        level="event", type="animal", species_id=species[sp], count=1,
                        individual_id=cats.get(cat)))
        now = datetime(2020, 1, 1)
        for owner, grantee, sp, exact in (("A", None, None, False), ("B", "A", ["Capreolus pygargus"], False),
                                          ("C", "B", None, True)):
            conn.execute(SharingAgreement.__table__.insert().values(
                owner_partner_id=pids[owner], grantee_partner_id=pids[grantee] if grantee else None, species=sp,
                exact_locations=exact, created_at=now))
        for name, partner, role in (("admin_a", "A", "administrator"), ("editor_a", "A", "editor"),
                                    ("viewer_a", "A", "viewer"), ("viewer_b", "B", "viewer"),
                                    ("admin_b", "B", "administrator"),
                                    ("admin_c", "C", "administrator")):
            add_user(conn, name, PASSWORD, pids[partner], role)
    engine.dispose()
    sensitive = [(p, code, lat, lon) for p, code, lat, lon, recs in STATIONS
                 if any(sp in SENSITIVE for sp, _, _ in recs)]
    return {"sensitive_stations": sensitive, "partners": pids, "individuals": cats}


def client_for(db_url: str, **kwargs) -> TestClient:
    """A test client whose first page view gave it a CSRF cookie."""
    client = TestClient(create_app(db_url, **kwargs))
    client.get("/login")
    return client


def csrf(client: TestClient) -> dict:
    """The header a state-changing request must carry."""
    return {"X-CSRF-Token": client.cookies.get("bigcats_csrf")}


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Sign a client in through the JSON API."""
    r = client.post("/api/auth/login", json={"username": username, "password": password}, headers=csrf(client))
    assert r.status_code == 200, r.text
    return client


def zip_folder(folder: Path, out: Path) -> Path:
    """Zip a folder's files (flat) into out."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            if f.is_file():
                z.write(f, f.name)
    return out


def all_routes(app) -> list[tuple[str, frozenset[str]]]:
    """Every (path, methods) the application answers, through included routers too."""
    import fastapi.routing as fr

    if hasattr(fr, "iter_route_contexts"):  # FastAPI >= 0.16x keeps included routers unflattened
        items = fr.iter_route_contexts(app.router.routes)
    else:
        items = app.routes
    return sorted({(r.path, frozenset(r.methods)) for r in items if getattr(r, "methods", None)},
                  key=lambda x: (x[0], sorted(x[1])))


CAMTRAPR_PHOTOS = Path("camtrapR-sample") / "inst" / "pictures"


def with_gps(src: Path, dest: Path) -> Path:
    """A copy of a real photo with a GPS position written into its EXIF (what a camera with GPS records)."""
    from PIL import Image

    with Image.open(src) as img:
        exif = img.getexif()
        gps = exif.get_ifd(0x8825)
        gps.update({1: "N", 2: (43.0, 7.0, 24.44), 3: "E", 4: (131.0, 14.0, 4.44)})  # A-01's exact place
        exif[0x8825] = gps
        dest.parent.mkdir(parents=True, exist_ok=True)
        img.save(dest, "JPEG", exif=exif.tobytes(), quality=95)
    return dest


def add_photos(db_url: str, media: Path, shared: Path) -> dict:
    """Real camera-trap photos (camtrapR's sample, GPS added) as the world's media and T1's reference photos.

    A photographs T1 at A-01 (media of its observations, and reference photos T1-a_* of both flanks); B has
    reference photos T1-b_* of T1 and a photo of its leopard observation at B-01. Some observations get a
    machine identification with a probability, for species review. Returns the photo files and ids.
    """
    from bigcats.store.models import IndividualAlias, Media
    from bigcats.store.models_identify import IndividualImage

    pics = shared / CAMTRAPR_PHOTOS
    big = pics / "full_size_for_ocr" / "StationA" / "mousedeer.JPG"
    small = sorted((pics / "sample_images_species_dir").rglob("*.JPG"))[:6]
    engine = open_store(db_url)
    out: dict = {"media": {}, "reference": {}}
    with engine.begin() as conn:
        pids = dict(conn.execute(select(Partner.code, Partner.id)).all())
        t1 = conn.execute(select(Individual.id).where(Individual.code == "T1")).scalar_one()
        tiger = conn.execute(select(Species.id).where(Species.scientific_name == "Panthera tigris altaica")
                             ).scalar_one()
        for partner, code in (("A", "T1-a"), ("B", "T1-b")):
            conn.execute(IndividualAlias.__table__.insert().values(individual_id=t1, partner_id=pids[partner],
                                                                   species_id=tiger, code=code))
        rows = conn.execute(select(Observation.id, Observation.deployment_id, Observation.event_start_utc,
                                   Station.code, Species.scientific_name)
                            .join(Deployment, Observation.deployment_id == Deployment.id)
                            .join(Station, Deployment.station_id == Station.id)
                            .join(Species, Observation.species_id == Species.id)
                            .order_by(Observation.id)).all()
        for i, r in enumerate(rows):
            if r.code not in ("A-01", "B-01") or r.scientific_name not in SENSITIVE:
                continue
            path = with_gps(big if i % 2 == 0 else small[i % len(small)], media / r.code / f"{r.code}-{r.id}.jpg")
            mid = conn.execute(Media.__table__.insert().values(
                deployment_id=r.deployment_id, source_id=f"m{r.id}", timestamp_utc=r.event_start_utc, utc_offset=600,
                file_path=str(path), file_public=False, file_name=path.name, file_mediatype="image/jpeg")
            ).inserted_primary_key[0]
            conn.execute(Observation.__table__.update().where(Observation.id == r.id).values(media_id=mid))
            out["media"][mid] = (r.code, r.scientific_name)
        for partner, code, first in (("A", "T1-a", 0), ("B", "T1-b", 100)):
            for j, side in enumerate(("left", "right")):
                path = with_gps(small[j], media / partner / f"{code}_{first + j:03d}_{side}.jpg")
                iid = conn.execute(IndividualImage.__table__.insert().values(
                    individual_id=t1, file_path=str(path), side=side, encounter=path.stem, added_at=T0)
                ).inserted_primary_key[0]
                out["reference"][iid] = (partner, side)
        # Machine identifications: roe deer at A-03 at falling confidence, one a wild boar the machine thought
        # a roe deer (the least confident).
        roe = [r.id for r in rows if r.code == "A-03"]
        for k, oid in enumerate(roe):
            conn.execute(Observation.__table__.update().where(Observation.id == oid).values(
                classification_method="machine", classified_by="SpeciesNet 4.0", classification_probability=0.95 - 0.2 * k))
        out["machine"] = roe
    engine.dispose()
    out["outside"] = with_gps(big, media.parent / "outside-media-root.jpg")
    return out
