"""Plain tables from anywhere, on real published data: the Atlantic Forest camera-trap data set (surveys + records,
`;`, UTF-8 with BOM, per-row IANA zones, a mistyped datum, records without a time) and camtrapR's sample tables
(UTM coordinates, combined "x y" column)."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bigcats.analysis.detection_history import detection_history
from bigcats.analysis.independence import independent_detections
from bigcats.analysis.solar import record_times
from bigcats.cli import app
from bigcats.intake import IntakeError, ingest
from bigcats.intake.columns import ColumnMap, fold
from bigcats.intake.coords import likely_codes, parse_crs
from bigcats.intake.store import saved_column_map, store_intake
from bigcats.store.db import open_store, table_counts
from bigcats.store.models import Observation
from bigcats.store.query import load_frames

DATA = Path(__file__).resolve().parents[1] / "data" / "atlantic-forest"
SURVEYS = "DATASET_CAMTRAP_SURVEYS_ATLANTICFOREST.csv"
RECORDS = "DATASET_CAMTRAP_RECORDS_ATLANTICFOREST.csv"
CAMTRAPR = Path("/work/shared/data/camtrapR-sample/tables_csv")
FIX_DATUM = {"deployments": {"crs": {"value": "EPSG:4326"}}}


def _rows(name: str) -> list[dict]:
    text = (DATA / name).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.fixture
def af(tmp_path) -> Path:
    folder = tmp_path / "af"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("SOURCE.md"))
    return folder


def test_mistyped_datum_is_questioned_with_the_intended_code(af, tmp_path):
    engine = open_store(str(tmp_path / "db.sqlite"))
    before = table_counts(engine)
    with pytest.raises(IntakeError) as err:
        ingest(af, "AF")
    p = err.value.problems.problems[0]
    assert p.code == "crs-far-from-data"
    assert p.file.endswith(SURVEYS) and p.row == 2 and p.field == "geodeticDatum" and p.value == "EPSG:4236"
    assert "EPSG:4326" in p.message and "Hu Tzu Shan" in p.message
    assert table_counts(engine) == before
    # The hint comes from pyproj's registry: WGS84 first among the one-slip codes whose area holds the points.
    assert likely_codes(parse_crs("EPSG:4236"), np.array([-42.5]), np.array([-21.0]))[0] == "EPSG:4326"


def test_atlantic_forest_counts_flags_zones_and_reimport(af, tmp_path):
    surveys, records = _rows(SURVEYS), _rows(RECORDS)
    frames, report = ingest(af, "AF", columns=FIX_DATUM)
    assert report.format == "table"
    assert len(frames.deployments) == len(surveys) == 33
    assert len(frames.observations) == len(records) == 472
    # Records without a time: kept, flagged, listed by their line in the user's file (header = line 1).
    na_lines = [i + 2 for i, r in enumerate(records) if r["recordTime"] == "NA"]
    assert len(na_lines) == 5
    assert report.time_unknown["rows"] == na_lines
    assert report.time_unknown["file"].endswith(RECORDS)
    assert "activity (diel patterns, overlap)" in report.time_unknown["left_out_of"]
    assert int(frames.observations["timeUnknown"].sum()) == 5
    # Every timed record carries its own zone's offset on its own date (daylight saving included).
    zone = {s["surveyId"]: s["timeZone"] for s in surveys}
    flagged = {w.row for w in report.warnings.problems if w.code == "ambiguous-local-time"}
    obs = frames.observations
    offsets = set()
    for i, r in enumerate(records):
        if r["recordTime"] == "NA" or i + 2 in flagged:
            continue
        local = datetime.fromisoformat(f"{r['recordDate']} {r['recordTime']}")
        want = int(local.replace(tzinfo=ZoneInfo(zone[r["surveyId"]])).utcoffset().total_seconds() // 60)
        assert int(obs["utcOffset"].iloc[i]) == want, (i + 2, r)
        assert obs["timestamp"].iloc[i] == pd.Timestamp(local) .tz_localize("UTC") - pd.Timedelta(minutes=want)
        offsets.add(want)
    assert {-180, -120, -240} <= offsets  # Brasília time, its summer time, and Campo Grande / Paraguay
    assert set(frames.deployments["country"]) == {"BRA", "PRY"}
    assert "Cuniculus paca" in report.new_taxa

    engine = open_store(str(tmp_path / "db.sqlite"))
    added = store_intake(engine, frames, report, "AF", af, fmt="table").added
    assert added["observation"] == 472 and added["deployment"] == 33
    again = store_intake(engine, *ingest(af, "AF", columns=FIX_DATUM), "AF", af, fmt="table").added
    assert again == {}
    # Stored: a date-only record spans its whole local day, and the store gives the flag back.
    with engine.connect() as conn:
        spans = conn.execute(select(func.count()).where(
            Observation.event_end_utc != Observation.event_start_utc)).scalar_one()
    assert spans == 5
    f = load_frames(engine)
    assert int(f.observations["timeUnknown"].sum()) == 5
    # Minute-scale analyses leave them out and say so; day-scale ones count them.
    ev = independent_detections(f.observations, "30min")
    assert ev.attrs["timeUnknownLeftOut"] == 5 and not ev["timeUnknown"].any()
    ev_day = independent_detections(f.observations, "1D")
    assert ev_day.attrs["timeUnknownLeftOut"] == 0 and ev_day["timeUnknown"].sum() > 0
    assert len(record_times(f.observations)) == 472 - 5
    dep = f.deployments[f.deployments["deploymentID"] == "D04S005"]
    recs = f.observations[f.observations["deploymentID"] == "D04S005"]
    undated = recs[recs["timeUnknown"]]
    sp = undated["scientificName"].iloc[0]
    hist = detection_history(recs, dep, sp).history
    day = (undated.loc[undated["scientificName"] == sp, "timestamp"].iloc[0]
           + pd.Timedelta(minutes=int(undated["utcOffset"].iloc[0]))).normalize()
    first = (dep["deploymentStart"].iloc[0] + pd.Timedelta(minutes=int(dep["utcOffset"].iloc[0]))).normalize()
    assert hist.iloc[0, (day - first.tz_localize(None) if first.tzinfo is None else day - first).days] == 1


def test_cli_keeps_the_column_map_for_the_partner(af, tmp_path, db_url):
    db = db_url  # SQLite and PostgreSQL
    (tmp_path / "map.yaml").write_text("deployments:\n  crs: {value: 'EPSG:4326'}\n", encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", str(af), "--partner", "AF", "--columns", str(tmp_path / "map.yaml"),
                                "--db", db, "--json"])
    assert first.exit_code == 0, first.output
    assert saved_column_map(open_store(db), "AF").to_dict() == FIX_DATUM
    again = runner.invoke(app, ["ingest", str(af), "--partner", "AF", "--db", db, "--json"])
    assert again.exit_code == 0, again.output
    assert '"added": {}' in again.stdout
    f = load_frames(open_store(db))
    assert len(f.observations) == 472 and int(f.observations["timeUnknown"].sum()) == 5
    assert set(f.deployments["country"]) == {"BRA", "PRY"}
    other = runner.invoke(app, ["ingest", str(af), "--partner", "OTHER", "--db", db])
    assert other.exit_code == 1 and "EPSG:4326" in other.output and "Traceback" not in other.output


def test_headers_match_without_case_or_accents_and_maps_name_columns(af):
    assert fold("Espécie ") == fold("ESPECIE") == "especie"
    rec = (af / RECORDS).read_bytes().decode("utf-8-sig")
    header, rest = rec.split("\r\n", 1)
    header = header.replace("surveyId", "SURVEYID").replace("scientificName", "Espécie observada")
    (af / RECORDS).write_bytes(("\ufeff" + header + "\r\n" + rest).encode("utf-8"))
    with pytest.raises(IntakeError) as err:  # 'Espécie observada' is no usual name: the user is asked for a map
        ingest(af, "AF", columns=FIX_DATUM, format="table")
    assert err.value.problems.problems[0].field == "scientificName"
    cmap = {**FIX_DATUM, "records": {"scientificName": "especie OBSERVADA"}}
    frames, _ = ingest(af, "AF", columns=cmap)
    assert len(frames.observations) == 472 and frames.observations["scientificName"].notna().all()


def test_malformed_rows_are_refused_with_file_row_field(af, tmp_path):
    rec = (af / RECORDS).read_bytes().decode("utf-8-sig").split("\r\n")
    rec[10] = rec[10].replace(rec[10].split(";")[5], "25:99:00")  # line 11 of the file
    rec[20] = rec[20].replace(rec[20].split(";")[0], "NOSUCH")  # line 21
    (af / RECORDS).write_bytes(("\ufeff" + "\r\n".join(rec)).encode("utf-8"))
    engine = open_store(str(tmp_path / "db.sqlite"))
    before = table_counts(engine)
    with pytest.raises(IntakeError) as err:
        ingest(af, "AF", columns=FIX_DATUM)
    got = {(Path(p.file).name, p.row, p.field, p.code) for p in err.value.problems.problems}
    assert (RECORDS, 11, "recordTime", "bad-time") in got
    assert (RECORDS, 21, "surveyId", "unknown-deployment") in got
    assert table_counts(engine) == before


def test_bad_column_map_is_refused_with_its_field(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("deployments:\n  deploymentId: surveyId\nrecords: [1, 2]\n", encoding="utf-8")
    with pytest.raises(IntakeError) as err:
        ColumnMap.read(path)
    fields = {p.field for p in err.value.problems.problems}
    assert fields == {"deployments.deploymentId", "records"}


def test_camtrapr_tables_with_utm_and_a_combined_xy_column(tmp_path):
    """camtrapR's own sample: stations in UTM metres (Sabah, zone 50N); one variant with a 'Loc_geo' column."""
    folder = tmp_path / "ct"
    folder.mkdir()
    st = pd.read_csv(CAMTRAPR / "camtraps.csv", dtype=str)
    st["Loc_geo"] = st["utm_x"] + " " + st["utm_y"]
    st.drop(columns=["utm_x", "utm_y"]).to_csv(folder / "stations.csv", index=False)
    shutil.copy(CAMTRAPR / "recordTableSample.csv", folder / "records.csv")
    cmap = {"deployments": {"file": "stations.csv", "deploymentID": "Station", "xy": "Loc_geo",
                            "crs": {"value": "UTM 50N"}, "timezone": {"value": "Asia/Kuching"}},
            "records": {"file": "records.csv", "locationID": "Station", "scientificName": "Species",
                        "datetime": "DateTimeOriginal"}}
    frames, report = ingest(folder, "CT", columns=cmap)
    n = len(pd.read_csv(CAMTRAPR / "recordTableSample.csv"))
    assert len(frames.observations) == n == 39
    assert len(frames.deployments) == 3
    dep = frames.deployments.set_index("deploymentID")
    # pyproj's inverse of UTM 50N for StationA (526000 E, 604000 N): northern Borneo.
    assert dep.loc["StationA", "latitude"] == pytest.approx(5.4638, abs=1e-3)
    assert dep.loc["StationA", "longitude"] == pytest.approx(117.2344, abs=1e-3)
    assert (frames.observations["utcOffset"] == 480).all()
    assert "Prionailurus bengalensis" in set(frames.observations["scientificName"])
    # Metres said to be degrees give no place on Earth: refused with the row of the user's station table.
    cmap["deployments"]["crs"] = {"value": "EPSG:4326"}
    with pytest.raises(IntakeError) as err:
        ingest(folder, "CT", columns=cmap)
    p = err.value.problems.problems[0]
    assert p.code == "bad-coordinate" and p.file.endswith("stations.csv") and p.row == 2 and p.field == "Loc_geo"


@pytest.mark.parametrize("kind", ["xlsx", "tsv-cp1251"])
def test_the_same_tables_as_xlsx_or_tsv_give_the_same_frames(af, tmp_path, kind):
    want, _ = ingest(af, "AF", columns=FIX_DATUM)
    other = tmp_path / kind
    other.mkdir()
    for name in (SURVEYS, RECORDS):
        table = pd.read_csv(af / name, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if kind == "xlsx":
            table.to_excel(other / name.replace(".csv", ".xlsx"), index=False)
        else:
            table.to_csv(other / name.replace(".csv", ".tsv"), sep="\t", index=False, encoding="cp1251")
    got, report = ingest(other, "AF", columns=FIX_DATUM)
    assert len(got.observations) == len(want.observations) == 472
    assert got.observations["observationID"].tolist() == want.observations["observationID"].tolist()
    assert (got.observations["timestamp"] == want.observations["timestamp"]).all()
    assert report.time_unknown["rows"] == [i + 2 for i in np.flatnonzero(want.observations["timeUnknown"])]
