"""Uploading the official Camtrap DP example through the API: job progress, intake report, data on the map."""

from __future__ import annotations

import time

import pandas as pd
from webworld import client_for, csrf, sign_in, zip_folder


def _wait(client, job_id: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/uploads/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"upload {job_id} still {job['status']} after {seconds} s")


def test_upload_camtrapdp_example_and_see_it(world, shared_data, tmp_path):
    db_url, _ = world
    example = shared_data / "camtrap-dp-example"
    archive = zip_folder(example, tmp_path / "example.zip")
    client = sign_in(client_for(db_url), "editor_a")
    with open(archive, "rb") as fh:
        r = client.post("/api/uploads", data={"partner": "A", "kind": "camtrapdp"},
                        files={"file": ("example.zip", fh, "application/zip")}, headers=csrf(client))
    assert r.status_code == 202, r.text
    job = _wait(client, r.json()["id"])
    assert job["status"] == "done", job["error"]
    deployments = pd.read_csv(example / "deployments.csv")
    observations = pd.read_csv(example / "observations.csv")
    assert job["report"]["rows_read"]["observation"] == len(observations)
    assert job["report"]["added"]["deployment"] == len(deployments)
    # The new stations are on the map layer, at their exact place (no sensitive species in the example).
    layer = client.get("/api/stations.geojson", params={"partner": "A"}).json()["features"]
    shown = {f["properties"]["locationID"]: f["geometry"]["coordinates"] for f in layer}
    for row in deployments.itertuples():
        assert shown[row.locationID] == [row.longitude, row.latitude]
    animals = observations[observations["observationType"] == "animal"]
    got = client.get("/api/detections", params={"partner": "A", "species": "Anas platyrhynchos",
                                                 "limit": 10000}).json()
    assert len(got) == int((animals["scientificName"] == "Anas platyrhynchos").sum())
    # Another user cannot follow this upload.
    other = sign_in(client_for(db_url), "admin_c")
    assert other.get(f"/api/uploads/{job['id']}").status_code == 404


def test_upload_of_a_broken_package_reports_the_problem(sqlite_world, shared_data, tmp_path):
    db_url, _ = sqlite_world
    folder = tmp_path / "broken"
    folder.mkdir()
    for f in (shared_data / "camtrap-dp-example").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    obs = pd.read_csv(folder / "observations.csv", dtype=str, keep_default_na=False)
    obs.loc[3, "deploymentID"] = "no-such-deployment"
    obs.to_csv(folder / "observations.csv", index=False)
    client = sign_in(client_for(db_url), "editor_a")
    with open(zip_folder(folder, tmp_path / "broken.zip"), "rb") as fh:
        r = client.post("/api/uploads", data={"partner": "A"}, files={"file": ("broken.zip", fh, "application/zip")},
                        headers=csrf(client))
    job = _wait(client, r.json()["id"])
    assert job["status"] == "failed" and "no-such-deployment" in job["error"]


def _zip_tree(folder, out):
    import zipfile

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder).as_posix())
    return out


def _post(client, archive, data, files=None):
    with open(archive, "rb") as fh:
        return client.post("/api/uploads", data=data, files={"file": (archive.name, fh, "application/zip"),
                                                              **(files or {})}, headers=csrf(client))


def test_image_folder_upload_takes_the_ingest_options(sqlite_world, shared_data, tmp_path):
    from sqlalchemy import create_engine, text

    db_url, _ = sqlite_world
    sample = shared_data / "camtrapR-sample"
    photos = sample / "inst" / "pictures" / "sample_images_species_dir"
    archive = _zip_tree(photos, tmp_path / "camtrapR-photos.zip")
    media = tmp_path / "media"
    client = sign_in(client_for(db_url, media_root=media), "editor_a")
    engine = create_engine(db_url)

    def projects():
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM project")).scalar_one()

    before = projects()
    # Without the station table the photos have no place: refused with the reason, and nothing left behind.
    r = _post(client, archive, {"partner": "A", "kind": "images", "utc_offset": "+08:00",
                                "pattern": "{station}/{species}/*"})
    job = _wait(client, r.json()["id"])
    assert job["status"] == "failed" and "station table" in job["error"]
    assert "/tmp" not in job["error"] and str(tmp_path) not in job["error"]
    assert projects() == before and not any(media.rglob("*.JPG"))
    # A time zone that is neither an offset nor a zone name is refused before anything is stored.
    r = _post(client, archive, {"partner": "A", "kind": "images", "utc_offset": "Mars/Olympus"})
    assert r.status_code == 400 and "time zone" in r.json()["detail"]
    # With the camtrapR station table, the offset as an IANA name and the pattern: all 68 photos come in.
    table = (sample / "tables_csv" / "camtraps.csv").read_bytes()
    r = _post(client, archive, {"partner": "A", "kind": "images", "utc_offset": "Asia/Kuching",
                                "pattern": "{station}/{species}/*", "utm_zone": "50N", "country": "MYS"},
              {"stations": ("camtraps.csv", table, "text/csv")})
    job = _wait(client, r.json()["id"])
    assert job["status"] == "done", job["error"]
    assert job["report"]["import"]["added"]["media"] == 68
    assert job["report"]["intake"]["skipped_files"] == []
    assert str(tmp_path) not in str(job["report"]) and "/tmp/" not in str(job["report"])
    assert projects() == before + 1
    # The photos stay under the media root, so the pages can show them (to A's people).
    assert len(list(media.rglob("*.JPG"))) == 68
    rows = client.get("/api/detections", params={"partner": "A", "side": "MYS", "limit": 100}).status_code
    assert rows == 400  # MYS is not a side of this system's filters; the data is there through the partner:
    got = client.get("/api/detections", params={"partner": "A", "limit": 1000}).json()
    mid = next(d["mediaID"] for d in got if d["mediaID"] is not None and d["locationID"] == "StationA")
    assert client.get(f"/api/photos/media/{int(mid)}/thumb.jpg").status_code == 200
    engine.dispose()


def test_camtrapdp_upload_refuses_image_options(sqlite_world, shared_data, tmp_path):
    db_url, _ = sqlite_world
    archive = zip_folder(shared_data / "camtrap-dp-example", tmp_path / "example.zip")
    client = sign_in(client_for(db_url), "editor_a")
    r = _post(client, archive, {"partner": "A", "kind": "camtrapdp", "pattern": "{station}/*"})
    assert r.status_code == 400 and "image folders" in r.json()["detail"]
