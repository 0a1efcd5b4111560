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
