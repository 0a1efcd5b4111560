"""A real Whiskerbook export as it comes (WCS Afghanistan's snow leopards, Carpentries lesson data): `Name0.value`,
viewpoints B/T/F/L/R kept, each encounter an observation with date, station and individual feeding capture
histories, dates outside the stations' operation reported by row."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.identify.wildbook import read_encounters
from bigcats.population.from_store import _usage_and_captures
from bigcats.store.db import open_store
from bigcats.store.query import load_frames

DATA = Path(__file__).resolve().parents[1] / "data" / "wakhan-whiskerbook"
EXPORT = DATA / "Whiskerbook_export.csv"
SNOW_LEOPARD = "Panthera uncia"
MAP = """deployments:
  file: Metadata_CT_2012.csv
  deploymentID: Trap site
  locationName: Loc_name
  xy: Loc_geo
  crs: {value: "UTM 43N"}
  timezone: {value: "Asia/Kabul"}
  start: Start
  end: End
records:
  file: SnowLeopard_CameraTrap.csv
  locationID: Station
  scientificName: {value: "Panthera uncia"}
  datetime: DateTimeOriginal
"""


def _export_rows() -> list[dict]:
    return list(csv.DictReader(EXPORT.read_text(encoding="utf-8-sig").splitlines()))


def test_read_whiskerbook_export_as_it_comes():
    rows = _export_rows()
    enc = read_encounters(EXPORT)
    assert len(enc) == len(rows) == 156
    assert enc["individualID"].tolist() == [r["Name0.value"] for r in rows]
    assert Counter(enc["viewpoint"]) == Counter(r["Side"] for r in rows) == Counter(
        {"R": 53, "L": 49, "B": 43, "T": 7, "F": 4})
    assert set(enc.loc[enc["viewpoint"] == "L", "side"]) == {"left"}
    assert enc.loc[enc["viewpoint"].isin(["B", "T", "F"]), "side"].isna().all()
    assert enc["locality"].tolist() == [r["Encounter.locationID"] for r in rows]
    assert enc["scientificName"].unique().tolist() == [SNOW_LEOPARD]
    timed = [r for r in rows if (r["Encounter.hour"], r["Encounter.minutes"]) != ("0", "0")]
    assert int((~enc["timeUnknown"]).sum()) == len(timed) == 6


def test_encounters_become_observations_checked_against_stations(tmp_path, db_url):
    db = db_url  # SQLite and PostgreSQL
    folder = tmp_path / "wakhan"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("SOURCE.md", "Whiskerbook_export.csv"))
    (tmp_path / "map.yaml").write_text(MAP, encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(app, ["ingest", str(folder), "--partner", "WCS", "--columns", str(tmp_path / "map.yaml"),
                            "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)["report"]
    assert any(w["code"] == "not-a-record" and w["value"] == "rows 19-27" for w in report["warnings"])
    args = ["catalogue", "import-wildbook", str(EXPORT), "--species", SNOW_LEOPARD, "--partner", "WCS",
            "--who", "test", "--db", db, "--json"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)["observations"]

    # Expected independently from the two files: station windows by date, encounters by station and date.
    stations = {s["Trap site"]: (date.fromisoformat(s["Start"]), date.fromisoformat(s["End"]))
                for s in csv.DictReader((DATA / "Metadata_CT_2012.csv").read_text(encoding="utf-8").splitlines())}
    inside, outside, unknown = [], [], []
    for line, e in enumerate(_export_rows(), start=2):
        day = date(int(e["Encounter.year"]), int(e["Encounter.month"]), int(e["Encounter.day"]))
        st = e["Encounter.locationID"]
        if st not in stations:
            unknown.append(line)
        elif stations[st][0] <= day <= stations[st][1]:
            inside.append(line)
        else:
            outside.append(line)
    assert out["observations_added"] == len(inside) == 28
    assert out["dates_outside_operation"] == len(outside) == 16
    assert sorted(x["row"] for x in out["left_out"] if x["why"].startswith("date outside")) == outside
    assert sorted(x["row"] for x in out["left_out"] if x["why"].startswith("station not")) == unknown
    first = next(x for x in out["left_out"] if x["row"] == 2)
    assert first["station"] == "C1_Avgarch" and first["date"] == "2012-10-18"
    assert first["operation"] == ["2012-11-24/2013-11-02"]

    again = json.loads(runner.invoke(app, args).stdout)["observations"]
    assert again["observations_added"] == 0  # the same export twice adds nothing

    frames = load_frames(open_store(db))
    obs = frames.observations
    wb = obs[obs["observationID"].str.startswith("wildbook:")]
    assert len(wb) == 28 and wb["individualID"].notna().all()
    assert int(wb["timeUnknown"].sum()) == 28 - int((~read_encounters(EXPORT).set_index("row")
                                                       .loc[inside, "timeUnknown"]).sum())
    caps, usage, not_working, _ = _usage_and_captures(frames, SNOW_LEOPARD, full_days_only=False)
    assert not_working == 0 and int(caps["detections"].sum()) == 28
    assert caps["individualID"].nunique() == wb["individualID"].nunique() > 1
