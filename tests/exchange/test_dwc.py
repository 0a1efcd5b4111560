"""Darwin Core Archive export: the archive parses (zip, meta.xml terms in the order of the CSV headers, strict
values), equals R camtrapdp's `write_dwc()` output for the official example, counts equal the store, and
sensitive species' stations are generalised as the web generalises them."""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.exchange.dwc import export_dwca
from bigcats.store.db import open_store

SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "dwc-camtrapdp-snapshot"
NS = {"d": "http://rs.tdwg.org/dwc/text/"}


@pytest.fixture
def example(shared_data):
    return shared_data / "camtrap-dp-example"


def _read(archive: Path) -> dict:
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["eml.xml", "meta.xml", "multimedia.csv", "occurrence.csv"]
        files = {n: zf.read(n).decode("utf-8") for n in zf.namelist()}
    meta = ET.fromstring(files["meta.xml"])
    ET.fromstring(files["eml.xml"])  # well-formed
    out = {"meta": meta, "eml": files["eml.xml"]}
    for part, name in (("core", "occurrence.csv"), ("extension", "multimedia.csv")):
        node = meta.find(f"d:{part}", NS)
        assert node.find("d:files/d:location", NS).text == name
        header = next(csv.reader(io.StringIO(files[name])))
        fields = node.findall("d:field", NS)
        assert [int(f.get("index")) for f in fields] == list(range(len(header)))
        # Each column's term ends with the column's name (dc:type -> .../type).
        for f, col in zip(fields, header, strict=True):
            assert f.get("term").rsplit("/", 1)[-1] == col.split(":")[-1], (f.get("term"), col)
        frame = pd.read_csv(io.StringIO(files[name]), dtype=str, keep_default_na=False)
        for col in frame.columns:  # strict values: no NaN, inf, None or NaT written as text
            assert not frame[col].isin(["nan", "NaN", "inf", "-inf", "None", "NaT", "<NA>"]).any(), col
        out[name] = frame
    idx = int(meta.find("d:core/d:id", NS).get("index"))
    assert out["occurrence.csv"].columns[idx] == "occurrenceID"
    assert out["occurrence.csv"]["occurrenceID"].is_unique
    assert set(out["multimedia.csv"]["occurrenceID"]) <= set(out["occurrence.csv"]["occurrenceID"])
    return out


def test_archive_of_the_official_example_equals_camtrapdp_write_dwc(db_url, example, tmp_path):
    engine = open_store(db_url)
    import_package(engine, example, "INBO")
    got = _read(export_dwca(engine, tmp_path / "dwc.zip"))
    occ = got["occurrence.csv"].set_index("occurrenceID")
    want = pd.read_csv(SNAPSHOT / "occurrence.csv", dtype=str, keep_default_na=False).set_index("occurrenceID")
    assert list(got["occurrence.csv"].columns) == ["occurrenceID" if c == "occurrenceID" else c
                                                   for c in pd.read_csv(SNAPSHOT / "occurrence.csv", nrows=0)]
    assert set(occ.index) == set(want.index)
    occ = occ.loc[want.index]
    for col in want.columns:
        if col == "samplingEffort":  # bigcats writes the deployment's local time and offset, camtrapdp UTC
            a = pd.to_datetime(want[col].str.split("/").str[0], utc=True)
            b = pd.to_datetime(occ[col].str.split("/").str[0], utc=True)
            assert (a == b).all()
            continue
        if col in ("decimalLatitude", "decimalLongitude", "coordinateUncertaintyInMeters",
                   "minimumDistanceAboveSurfaceInMeters", "maximumDistanceAboveSurfaceInMeters", "individualCount"):
            assert np.allclose(pd.to_numeric(want[col]), pd.to_numeric(occ[col]), equal_nan=True), col
            continue
        assert (want[col] == occ[col]).all(), (col, want[col][want[col] != occ[col]].head(3).tolist(),
                                               occ[col][want[col] != occ[col]].head(3).tolist())
    mm = pd.read_csv(SNAPSHOT / "multimedia.csv", dtype=str, keep_default_na=False)
    got_mm = got["multimedia.csv"]
    assert sorted(zip(mm["occurrenceID"], mm["identifier"])) == \
        sorted(zip(got_mm["occurrenceID"], got_mm["identifier"]))
    # Online files are linked as camtrapdp links them; files inside the package (a local path) are not.
    online = mm["accessURI"].str.startswith("https://")
    assert set(got_mm["accessURI"]) == set(mm.loc[online, "accessURI"]) | {""}
    assert (got_mm.loc[got_mm["accessURI"] == "", "serviceExpectation"] == "authenticate").all()
    # Counts equal the store: every animal observation of the chosen level (event-based here), once.
    with engine.connect() as conn:
        n = conn.execute(text("select count(*) from observation where type = 'animal' and level = 'event'")).scalar()
    assert len(occ) == n


def _metres(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * np.arcsin(np.sqrt(a))


def test_sensitive_species_are_generalised_like_the_web(sqlite_url, example, tmp_path):
    engine = open_store(sqlite_url)
    import_package(engine, example, "INBO")
    sensitive = "Anas platyrhynchos"  # stands in for a big cat: flagged sensitive in this store
    with engine.begin() as conn:
        conn.execute(text("update species set sensitive = :t where scientific_name = :s"),
                     {"t": True, "s": sensitive})
        exact = pd.DataFrame(conn.execute(text(
            "select distinct s.latitude, s.longitude from station s join deployment d on d.station_id = s.id "
            "join observation o on o.deployment_id = d.id join species sp on sp.id = o.species_id "
            "where sp.scientific_name = :s"), {"s": sensitive}).all(), columns=["lat", "lon"])
    assert len(exact) >= 1
    got = _read(export_dwca(engine, tmp_path / "dwc.zip"))
    occ = got["occurrence.csv"]
    lat, lon = occ["decimalLatitude"].astype(float).to_numpy(), occ["decimalLongitude"].astype(float).to_numpy()
    for row in exact.itertuples():
        assert (_metres(lat, lon, row.lat, row.lon) > 100).all(), "an exact sensitive station was published"
    hidden = occ["dataGeneralizations"].str.contains("generalised")
    assert hidden.any() and (occ.loc[hidden, "coordinateUncertaintyInMeters"].astype(int) >= 7000).all()
    assert (occ.loc[hidden, "locality"] == "").all()
    # Media of generalised stations are not linked (a photo's EXIF may hold the position).
    mm = got["multimedia.csv"]
    assert (mm.loc[mm["occurrenceID"].isin(occ.loc[hidden, "occurrenceID"]), "accessURI"] == "").all()
    # Every species at such a station is generalised, not only the sensitive one (as on the web).
    assert occ.loc[hidden, "scientificName"].nunique() >= 1
    with engine.connect() as conn:
        stations_hidden = conn.execute(text(
            "select count(distinct o.source_id) from observation o join deployment d on d.id = o.deployment_id "
            "where o.type = 'animal' and o.level = 'event' and d.station_id in (select d2.station_id from "
            "deployment d2 join observation o2 on o2.deployment_id = d2.id join species sp on sp.id = "
            "o2.species_id where sp.scientific_name = :s)"), {"s": sensitive}).scalar()
    assert hidden.sum() == stations_hidden
    assert all(math.isfinite(v) for v in lat)


def test_cli_export_dwc_for_one_partner(sqlite_url, example, tmp_path):
    engine = open_store(sqlite_url)
    import_package(engine, example, "INBO")
    import_package(engine, example, "OTHER")
    res = CliRunner().invoke(app, ["export", "dwc", str(tmp_path / "inbo.zip"), "--partner", "INBO", "--db",
                                   sqlite_url, "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["occurrences"] == 29 and doc["media"] == 390
    got = _read(tmp_path / "inbo.zip")
    assert len(got["occurrence.csv"]) == 29
    res = CliRunner().invoke(app, ["export", "dwc", str(tmp_path / "all.zip"), "--db", sqlite_url, "--json"])
    assert json.loads(res.stdout)["occurrences"] == 58
    assert _read(tmp_path / "all.zip")["occurrence.csv"]["occurrenceID"].is_unique
    res = CliRunner().invoke(app, ["export", "dwc", str(tmp_path / "none.zip"), "--partner", "NOBODY", "--db",
                                   sqlite_url])
    assert res.exit_code == 1 and "Traceback" not in res.output


def test_ingested_camtrapr_survey_to_darwin_core(shared_data, sqlite_url, tmp_path):
    """ingest -> Darwin Core: a media-level survey read from camtrapR's tables gives media-based occurrences."""
    folder = shared_data / "camtrapR-sample" / "tables_csv"
    res = CliRunner().invoke(app, ["ingest", str(folder / "recordTableSample.csv"), "--stations",
                                   str(folder / "camtraps.csv"), "--partner", "CTR", "--utm-zone", "50N",
                                   "--utc-offset", "+08:00", "--db", sqlite_url, "--json"])
    assert res.exit_code == 0, res.output
    got = _read(export_dwca(sqlite_url, tmp_path / "ctr.zip"))
    occ = got["occurrence.csv"]
    with open_store(sqlite_url).connect() as conn:
        n = conn.execute(text("select count(*) from observation where type = 'animal'")).scalar()
    assert len(occ) == n > 0
    assert occ["eventDate"].str.endswith("+08:00").all()
    assert (occ["rightsHolder"] == "CTR").all()
    # The photos are local files: no path leaves the machine.
    assert (got["multimedia.csv"]["accessURI"] == "").all() and len(got["multimedia.csv"]) == n


def test_a_scope_sees_only_its_rows_and_exact_places_only_where_entitled(sqlite_url, example, tmp_path):
    from bigcats.web.visibility import PUBLIC, Access, Caller, Scope

    engine = open_store(sqlite_url)
    import_package(engine, example, "INBO")
    import_package(engine, example, "OTHER")
    with engine.begin() as conn:
        conn.execute(text("update species set sensitive = :t where scientific_name = 'Anas platyrhynchos'"),
                     {"t": True})
        ids = dict(conn.execute(text("select code, id from partner")).all())
    member = Scope(Caller(user_id=1, roles={ids["INBO"]: "viewer"}), {ids["INBO"]: Access(None, True)})
    occ = _read(export_dwca(engine, tmp_path / "member.zip", visibility_scope=member))["occurrence.csv"]
    assert len(occ) == 29  # INBO's rows only, none of OTHER's
    assert not occ["dataGeneralizations"].str.contains("generalised").any()  # a member sees its exact places
    public = _read(export_dwca(engine, tmp_path / "public.zip", visibility_scope=Scope(PUBLIC, {})))
    assert len(public["occurrence.csv"]) == 0  # the public with no agreement sees nothing
