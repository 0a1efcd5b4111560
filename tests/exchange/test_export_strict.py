"""Exports that other tools read: a project made by `bigcats ingest` from real files (camtrapR's sample), exported
as Camtrap DP, is strict JSON, states only what its data shows, validates, and imports elsewhere unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.exchange.camtrapdp.importer import check_package, import_package
from bigcats.exchange.camtrapdp.package import open_package
from bigcats.exchange.camtrapdp.validate import validate_with_frictionless
from bigcats.store.db import open_store


def _refuse(name: str) -> float:
    raise ValueError(f"{name} in JSON")


@pytest.fixture
def camtrapr(shared_data) -> Path:
    return shared_data / "camtrapR-sample" / "tables_csv"


def _ingest(url: str, folder: Path) -> None:
    res = CliRunner().invoke(app, ["ingest", str(folder / "recordTableSample.csv"), "--stations",
                                   str(folder / "camtraps.csv"), "--partner", "CTR", "--utm-zone", "50N",
                                   "--utc-offset", "+08:00", "--db", url, "--json"])
    assert res.exit_code == 0, res.output


def _survey(url: str) -> dict[str, pd.DataFrame]:
    with open_store(url).connect() as conn:
        return {
            "deployments": pd.read_sql(text(
                "select d.source_id, s.code, round(s.latitude, 9) lat, round(s.longitude, 9) lon, d.start_utc, "
                "d.end_utc, d.utc_offset from deployment d join station s on s.id = d.station_id "
                "order by d.source_id"), conn),
            "observations": pd.read_sql(text(
                "select o.source_id, o.event_start_utc, o.utc_offset, o.level, o.type, sp.scientific_name, o.count "
                "from observation o left join species sp on sp.id = o.species_id order by o.source_id"), conn),
            "media": pd.read_sql(text("select source_id, timestamp_utc, file_name, sha256 from media "
                                      "order by source_id"), conn),
            "outages": pd.read_sql(text("select start_utc, end_utc from deployment_outage order by start_utc"),
                                   conn),
        }


def test_ingest_export_round_trip_is_strict_valid_and_equal(camtrapr, sqlite_url, tmp_path):
    _ingest(sqlite_url, camtrapr)
    out = tmp_path / "export"
    res = CliRunner().invoke(app, ["export", "camtrap-dp", str(out), "--db", sqlite_url, "--json"])
    assert res.exit_code == 0, res.output
    raw = (out / "datapackage.json").read_text(encoding="utf-8")
    desc = json.loads(raw, parse_constant=_refuse)  # no NaN, Infinity
    assert "NaT" not in raw and "NaN" not in raw
    records = pd.read_csv(camtrapr / "recordTableSample.csv")
    # Only the taxa present (camtrapR's codes resolve to five taxa), not the whole shipped list.
    observed = set(pd.read_csv(out / "observations.csv")["scientificName"].dropna())
    assert {t["scientificName"] for t in desc["taxonomic"]} == observed
    assert len(observed) == records["Species"].nunique() - ("UNID" in set(records["Species"]))
    # What the data shows, nothing invented.
    assert desc["project"]["observationLevel"] == ["media"]
    assert "samplingDesign" not in desc["project"]
    assert desc["project"]["individualAnimals"] is False
    assert [c["title"] for c in desc["contributors"]] == ["CTR"]
    assert all(isinstance(v, float) for v in desc["spatial"]["bbox"])
    assert desc["temporal"]["start"] <= desc["temporal"]["end"]
    # bigcats and frictionless both read it as valid.
    doc = check_package(out)
    assert doc["valid"], doc["problem_lines"][:5]
    assert validate_with_frictionless(open_package(out)) == []
    # Imported into a fresh database, it holds the same survey.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    import_package(open_store(other), out, "CTR")
    a, b = _survey(sqlite_url), _survey(other)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, obj=name)


def test_validate_rejects_nan_and_infinity(shared_data, tmp_path):
    for bad in ("NaN", "Infinity", "-Infinity"):
        folder = tmp_path / bad
        folder.mkdir()
        for f in (shared_data / "camtrap-dp-example").iterdir():
            (folder / f.name).write_bytes(f.read_bytes())
        d = (folder / "datapackage.json").read_text(encoding="utf-8")
        (folder / "datapackage.json").write_text(d.replace('"coordinatePrecision": 0.001',
                                                           f'"coordinatePrecision": {bad}'), encoding="utf-8")
        assert bad in (folder / "datapackage.json").read_text(encoding="utf-8")
        res = CliRunner().invoke(app, ["validate", str(folder), "--json"])
        assert res.exit_code == 1
        assert json.loads(res.stdout)["problems"][0]["code"] == "invalid-json"


def test_a_stored_descriptor_with_nan_exports_strict_json(shared_data, sqlite_url, tmp_path):
    engine = open_store(sqlite_url)
    import_package(engine, shared_data / "camtrap-dp-example", "INBO")
    with engine.begin() as conn:  # what older bigcats stored for an ingested folder without coordinates
        conn.execute(text("update project set descriptor = json_set(descriptor, '$.spatial.bbox', "
                          "json('[1e999, 0, 1, 1]'), '$.temporal.start', 'NaT')"))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["export", "camtrap-dp", str(out), "--db", sqlite_url, "--json"])
    assert res.exit_code == 0, res.output
    desc = json.loads((out / "datapackage.json").read_text(encoding="utf-8"), parse_constant=_refuse)
    assert desc["temporal"]["start"] != "NaT"
    assert check_package(out)["valid"]
