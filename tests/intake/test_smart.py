"""SMART patrol exports (column layout of SMART Desktop's patrol observation and patrol summary queries)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from bigcats.intake.report import IntakeError
from bigcats.intake.smart import read_smart, store_smart
from bigcats.store.db import open_store, table_counts

OBS = """Patrol ID,Type,Patrol Start Date,Patrol End Date,Station,Team,Objective,Mandate,Armed,Patrol Leg ID,Leader,Pilot,Patrol Transport Type,Waypoint ID,Waypoint Date,Waypoint Time,X,Y,Comment,Observation Category 0,Observation Category 1,Observation Category 2,Species,Threat,Age of Sign,Number of Adult Males,Number of Young,Type of Trap,Number of weapons or gear
LNP-2026-001,Ground,"Jan 10, 2026","Jan 12, 2026",Barsovy,Team 3,Anti-poaching,Law enforcement,No,1,Ivanov,,Foot,1,"Jan 10, 2026",9:15:00 AM,131.512,43.101,,Wildlife,Direct observation,Tracks,Amur tiger,,1 day,1,,,
LNP-2026-001,Ground,"Jan 10, 2026","Jan 12, 2026",Barsovy,Team 3,Anti-poaching,Law enforcement,No,1,Ivanov,,Foot,2,"Jan 10, 2026",11:40:00 AM,131.530,43.115,two snares,Human activity,Hunting,Snare,,,,,,Wire snare,2
LNP-2026-001,Ground,"Jan 10, 2026","Jan 12, 2026",Barsovy,Team 3,Anti-poaching,Law enforcement,No,1,Ivanov,,Foot,3,"Jan 11, 2026",2:05:00 PM,131.541,43.120,,Wildlife,Indirect observation,Scat,Дальневосточный леопард,,,,,,
LNP-2026-002,Ground,"Jan 15, 2026","Jan 15, 2026",Kedrovaya,Team 1,Monitoring,Research,No,1,Petrov,,Ski,1,"Jan 15, 2026",10:00:00 AM,131.400,43.050,,Wildlife,Direct observation,,Sika deer,,,2,1,,
"""
SUMMARY = """Patrol ID,Number of Days,Number of Nights,Number of Active Patrol Hours,Distance (km),Number of Employees
LNP-2026-001,3,2,19.5,41.2,3
LNP-2026-002,1,0,6,12.8,2
"""


def _files(tmp_path, obs=OBS, summary=SUMMARY):
    (tmp_path / "obs.csv").write_text(obs, encoding="utf-8")
    (tmp_path / "patrols.csv").write_text(summary, encoding="utf-8")
    return tmp_path / "obs.csv", tmp_path / "patrols.csv"


def test_smart_export_imports_records_with_effort_and_threats(tmp_path, db_url):
    obs, summ = _files(tmp_path)
    patrols, records = read_smart(obs, summ, "lnp", 600)
    assert list(patrols["distance_km"]) == [41.2, 12.8] and list(patrols["hours"]) == [19.5, 6.0]
    r = records.set_index("source_id")
    assert r.loc["smart:LNP-2026-001:1:1", "scientific_name"] == "Panthera tigris altaica"
    assert r.loc["smart:LNP-2026-001:3:1", "scientific_name"] == "Panthera pardus orientalis"
    snare = r.loc["smart:LNP-2026-001:2:1"]
    assert snare["threat"] and snare["kind"] == "threat" and snare["count"] == 2
    assert snare["category"] == "Human activity > Hunting > Snare"
    assert str(r.loc["smart:LNP-2026-001:1:1", "timestamp_utc"]) == "2026-01-09 23:15:00"
    assert r.loc["smart:LNP-2026-002:1:1", "count"] == 3
    engine = open_store(db_url)
    added = store_smart(engine, patrols, records, "lnp", str(obs))
    assert added == {"patrol": 2, "incidental_record": 4}
    before = table_counts(engine)
    assert store_smart(engine, patrols, records, "lnp", str(obs)) == {"patrol": 0, "incidental_record": 0}
    assert table_counts(engine) == before


def test_unknown_species_and_bad_rows_are_refused_by_row_and_field(tmp_path):
    bad = OBS.replace("Sika deer", "Chupacabra").replace("131.541", "231.541")
    obs, summ = _files(tmp_path, bad)
    with pytest.raises(IntakeError) as err:
        read_smart(obs, summ, "lnp", 600)
    where = {(p.row, p.field) for p in err.value.all_problems()}
    assert (5, "Species") in where and (4, "X") in where


def test_a_label_map_maps_smart_categories(tmp_path):
    obs, summ = _files(tmp_path, OBS.replace("Sika deer", "Olen pyatnisty"))
    user_map = pd.DataFrame({"label": ["Olen pyatnisty"], "scientificName": ["Cervus nippon"], "partner": ["lnp"]})
    _, records = read_smart(obs, summ, "lnp", 600, user_map=user_map)
    assert records.set_index("source_id").loc["smart:LNP-2026-002:1:1", "scientific_name"] == "Cervus nippon"


SAMPLE = __import__("pathlib").Path("/work/shared/data/camtrapR-sample")


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared camtrapR sample not here")
def test_smart_records_appear_in_the_status_report(tmp_path):
    """camtrapR's sample photos plus a SMART export of the same partner and season: the report shows both."""
    from bigcats.intake import ingest as read_source
    from bigcats.intake.store import store_intake
    from bigcats.report import build_status, load_inputs, render

    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    frames, report = read_source(SAMPLE / "inst/pictures/sample_images_species_tag", "ctr", format="images",
                                 utc_offset="+08:00", stations=SAMPLE / "tables_csv/camtraps.csv", utm_zone="50N",
                                 pattern="{station}/*", workers=1)
    store_intake(engine, frames, report, "ctr", "sample", "images", country="MYS")
    target = frames.observations["scientificName"].value_counts().index[0]
    obs = (OBS.replace("2026", "2009").replace("Jan", "Apr").replace("Amur tiger", target)
           .replace("Дальневосточный леопард", target).replace("Sika deer", target))
    o, s = _files(tmp_path, obs, SUMMARY.replace("2026", "2009"))
    patrols, records = read_smart(o, s, "ctr", 480)
    store_smart(engine, patrols, records, "ctr", str(o))
    status = build_status(load_inputs(engine), target, "all", "2009", n_boot=20)
    table = status.patrols.set_index("country")
    assert table.loc["all", "patrols"] == 2 and table.loc["all", "signs"] == 3 and table.loc["all", "threats"] == 1
    assert abs(table.loc["all", "km"] - 54.0) < 1e-9
    assert abs(table.loc["all", "threatsPer100km"] - 100 / 54.0) < 1e-9
    html = render(status, "ru", tmp_path / "out", formats=("html",)).files["html"].read_text(encoding="utf-8")
    assert "Патрули и случайные встречи" in html and "54,0" in html
    assert status.to_dict()["patrols"][-1]["threats"] == 1
