"""Intake into the database: camtrapR tables and image folders land in the store, once, with their report."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bigcats.analysis.effort import trap_nights
from bigcats.cli import app
from bigcats.store.db import open_store, table_counts
from bigcats.store.models import IntakeBatch
from bigcats.store.query import load_frames


@pytest.fixture
def camtrapr(shared_data):
    return shared_data / "camtrapR-sample"


def _ingest(args, db):
    res = CliRunner().invoke(app, ["ingest", *args, "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_camtrapr_tables_into_the_store_reproduce_camtrapr_effort(db_url, camtrapr):
    args = [str(camtrapr / "tables_csv" / "recordTableSample.csv"), "--partner", "CR", "--format", "camtrapr",
            "--stations", str(camtrapr / "tables_csv" / "camtraps.csv"), "--utm-zone", "50N",
            "--utc-offset", "+08:00", "--country", "MYS"]
    first = _ingest(args, db_url)
    assert first["added"]["observation"] == 39 and first["added"]["deployment_outage"] == 1
    engine = open_store(db_url)
    before = table_counts(engine)
    assert _ingest(args, db_url)["added"] == {}
    assert table_counts(engine)["observation"] == before["observation"]
    frames = load_frames(engine)
    nights = trap_nights(frames.deployments, frames.outages, by=["locationID"]).set_index("locationID")["trapNights"]
    assert nights.to_dict() == pytest.approx({"StationA": 42.0, "StationB": 43.0, "StationC": 37.5})
    with engine.connect() as conn:
        fmt, report = conn.execute(select(IntakeBatch.format, IntakeBatch.report).order_by(IntakeBatch.id)).first()
    assert fmt == "camtrapr" and report["counts"]["observations"] == 39


def test_image_folder_without_station_coordinates_is_refused_with_a_reason(sqlite_url, camtrapr):
    folder = camtrapr / "inst" / "pictures" / "sample_images_species_dir"
    res = CliRunner().invoke(app, ["ingest", str(folder), "--partner", "CR", "--pattern", "{station}/{species}/*",
                                   "--utc-offset", "+08:00", "--no-manifest", "--db", sqlite_url])
    assert res.exit_code != 0
    assert "latitude" in res.output
    assert table_counts(open_store(sqlite_url))["observation"] == 0
