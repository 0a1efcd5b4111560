"""Field forms: written forms convert with pyxform without warnings in four languages; submissions in ODK Central's
export layout import with the right counts, idempotently; a broken submission is refused by id and field."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bigcats.fieldforms.central import write_central_export
from bigcats.fieldforms.definitions import LANGUAGES, STATION_VISIT, TRACK_CENSUS, INCIDENTAL_SIGN
from bigcats.fieldforms.store import FormSubmissionError, ingest_forms
from bigcats.fieldforms.xlsform import convert, write_forms
from bigcats.store.db import open_store, table_counts
from bigcats.store.models import Deployment, DeploymentOutage
from bigcats.store.models_field import FieldSubmission, IncidentalRecord
from bigcats.taxonomy import species_table


def test_forms_convert_without_warnings_in_four_languages(tmp_path):
    written = write_forms(tmp_path)
    assert len(written) == 3
    ns = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml"}
    for w in written:
        for lang in LANGUAGES.values():  # each language made the default in the XLSX, as a person would
            wb = load_workbook(w["xlsx"])
            head = [c.value for c in wb["settings"][1]]
            wb["settings"].cell(2, head.index("default_language") + 1, lang)
            edited = tmp_path / f"{w['form_id']}-{lang[-3:-1]}.xlsx"
            wb.save(edited)
            xml, warnings = convert(edited)
            assert warnings == []
            assert f'lang="{lang}" default="true()"' in xml
        root = ET.fromstring(xml.encode())
        texts = {t.get("lang"): {e.get("id"): "".join(e.itertext()).strip() for e in t.findall("x:text", ns)}
                 for t in root.iter("{http://www.w3.org/2002/xforms}translation")}
        assert set(texts) == set(LANGUAGES.values())
        ids = set(texts["English (en)"])
        assert len(ids) > 10
        for lang, t in texts.items():
            assert set(t) == ids, lang
            assert all(t.values()), f"empty text in {lang}"
        # the labels really are translated, not English copied over
        en = texts["English (en)"]
        for lang in ("Russian (ru)", "Chinese (zh)", "Mongolian (mn)"):
            same = sum(texts[lang][i] == en[i] for i in ids)
            assert same < 0.2 * len(ids), (lang, same)


def test_species_choices_come_from_the_taxonomy_and_the_xlsx_is_editable(tmp_path):
    written = {w["form_id"]: w for w in write_forms(tmp_path, xforms=False)}
    wb = load_workbook(written[TRACK_CENSUS]["xlsx"])
    assert wb.sheetnames == ["survey", "choices", "settings"]
    rows = list(wb["choices"].iter_rows(values_only=True))
    header = rows[0]
    species = [r for r in rows[1:] if r[header.index("list_name")] == "species"]
    names = {r[header.index("name")] for r in species}
    taxa = species_table()
    assert "Panthera_tigris_altaica" in names and "Panthera_uncia" in names
    assert len(names) == taxa["rank"].isin(["species", "subspecies"]).sum()
    ru = {r[header.index("name")]: r[header.index("label::Russian (ru)")] for r in species}
    assert ru["Panthera_tigris_altaica"] == "Амурский тигр"
    survey = [r for r in wb["survey"].iter_rows(values_only=True)]
    types = [r[0] for r in survey]
    assert "geotrace" in types and "begin_repeat" in types


# --- submissions in ODK Central's export layout -------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64 + b"\xff\xd9"


def _visits(prefix="v"):
    """Two cameras set up, one with a battery failure reported at a check, both retrieved; one only set up."""
    subs = []

    def add(i, station, camera, kind, when, **extra):
        subs.append({"instanceID": f"uuid:{prefix}-{i:04d}", "SubmissionDate": "2026-03-01T00:00:00.000Z",
                     "station": station, "camera_id": camera, "visit_type": kind, "visit_time": when, **extra})
    add(1, "LP-01", "CAM7", "setup", "2025-12-01T11:00:00.000+10:00", location="43.1 131.5 300 5",
        battery_percent="100", camera_height_cm="45", camera_heading="180", site_photo_1="site-lp01.jpg")
    add(2, "LP-01", "CAM7", "check", "2026-01-10T12:00:00.000+10:00", camera_working="no",
        failure_start="2025-12-28T00:00:00.000+10:00", failure_cause="battery", battery_percent="0",
        battery_replaced="yes", photos_on_card="412")
    add(3, "LP-01", "CAM7", "retrieval", "2026-02-20T10:00:00.000+10:00", camera_working="yes",
        photos_on_card="903")
    add(4, "HC-07", "C-22", "setup", "2025-12-03T09:30:00.000+08:00", location="43.3 130.9 410 4")
    add(5, "HC-07", "C-22", "retrieval", "2026-02-22T15:00:00.000+08:00", camera_working="no",
        failure_start="2026-02-01T00:00:00.000+08:00", failure_end="2026-02-05T00:00:00.000+08:00",
        failure_cause="covered")
    add(6, "LP-02", "CAM9", "setup", "2026-02-25T10:00:00.000+10:00", location="43.2 131.4 280 6")
    return subs


def _routes():
    return [
        {"instanceID": "uuid:r-0001", "route_id": "R1", "unit": "U1", "country": "RUS", "survey_date": "2026-01-15",
         "days_since_snow": "2", "track": "43.10 131.50 300 5;43.12 131.53 310 5;43.15 131.55 320 5",
         "crossing": [
             {"crossing_species": "Panthera_tigris_altaica", "crossing_count": "1", "direction": "NE",
              "pad_width_cm": "10.5", "snow_age_days": "1", "crossing_point": "43.11 131.51 300 5"},
             {"crossing_species": "Capreolus_pygargus", "crossing_count": "3", "direction": "S",
              "snow_age_days": "1"}]},
        {"instanceID": "uuid:r-0002", "route_id": "R2", "unit": "U1", "country": "CHN", "survey_date": "2026-01-16",
         "days_since_snow": "3", "track": "43.30 130.90 400 5;43.33 130.93 410 5",
         "crossing": [{"crossing_species": "Sus_scrofa", "crossing_count": "5", "snow_age_days": "2"}]},
    ]


def _signs():
    return [{"instanceID": "uuid:s-0001", "sign_time": "2026-01-20T14:00:00.000+10:00",
             "sign_location": "43.12 131.52 300 8", "sign_kind": "snare", "sign_photo": "snare.jpg"},
            {"instanceID": "uuid:s-0002", "sign_time": "2026-01-21T09:00:00.000+10:00",
             "sign_location": "43.13 131.52 300 8", "sign_kind": "scrape",
             "sign_species": "Panthera_pardus_orientalis"}]


def _export(tmp_path, visits=None, routes=None, signs=None, name="export"):
    folder = tmp_path / name
    write_central_export(folder, STATION_VISIT, visits if visits is not None else _visits(),
                         media={"site-lp01.jpg": JPEG})
    write_central_export(folder, TRACK_CENSUS, routes if routes is not None else _routes())
    write_central_export(folder, INCIDENTAL_SIGN, signs if signs is not None else _signs(), media={"snare.jpg": JPEG})
    return folder


def test_central_layout_is_what_central_writes(tmp_path):
    folder = _export(tmp_path)
    head = (folder / f"{STATION_VISIT}.csv").read_text().splitlines()[0].split(",")
    assert head[0] == "SubmissionDate" and head[-10:] == ["KEY", "SubmitterID", "SubmitterName",
                                                          "AttachmentsPresent", "AttachmentsExpected", "Status",
                                                          "ReviewState", "DeviceID", "Edits", "FormVersion"]
    assert "failure-failure_start" in head and "location-Latitude" in head and "meta-instanceID" in head
    rep = (folder / f"{TRACK_CENSUS}-crossing.csv").read_text().splitlines()
    assert rep[0].endswith("PARENT_KEY,KEY") and rep[1].endswith("uuid:r-0001,uuid:r-0001/crossing[1]")


@pytest.mark.parametrize("zipped", [False, True])
def test_submissions_import_with_the_right_counts_and_again_add_nothing(tmp_path, zipped, db_url):
    engine = open_store(db_url)
    folder = _export(tmp_path)
    source = folder
    if zipped:
        import shutil
        source = shutil.make_archive(str(tmp_path / "central"), "zip", folder)
    out = ingest_forms(engine, source, "anlp", census_dir=tmp_path / "census", country="RUS")
    assert out.new == {STATION_VISIT: 6, TRACK_CENSUS: 2, INCIDENTAL_SIGN: 2}
    assert out.deployments == 2 and out.outages == 2 and len(out.open_deployments) == 1
    assert out.incidental == 2 and out.attachments == 2
    assert out.census["routes"] == 2 and out.census["crossings"] == 3 and out.census["surveys"] == 2
    with engine.connect() as conn:
        deps = {d.source_id: d for d in conn.execute(select(Deployment)).all()}
        assert set(deps) == {"LP-01_CAM7_20251201", "HC-07_C-22_20251203"}
        assert deps["HC-07_C-22_20251203"].utc_offset == 480
        assert str(deps["LP-01_CAM7_20251201"].start_utc) == "2025-12-01 01:00:00"
        outages = conn.execute(select(DeploymentOutage.start_utc, DeploymentOutage.end_utc,
                                      DeploymentOutage.reason)).all()
        battery = [o for o in outages if o.reason.startswith("battery")][0]
        assert str(battery.start_utc) == "2025-12-27 14:00:00" and str(battery.end_utc) == "2026-01-10 02:00:00"
        snare = conn.execute(select(IncidentalRecord).where(IncidentalRecord.kind == "snare")).one()
        assert snare.threat and snare.species_id is None
    # census files are the census module's own inputs
    from bigcats.census.crossings import read_crossings
    from bigcats.census.routes import read_routes
    rs = read_routes(tmp_path / "census" / "routes.geojson", surveys=tmp_path / "census" / "surveys.csv")
    cr = read_crossings(tmp_path / "census" / "crossings.csv", rs)
    tiger = cr[cr["species"] == "Panthera tigris altaica"].iloc[0]
    assert tiger["pad_width_cm"] == 10.5 and tiger["direction"] == "NE"
    before = table_counts(engine)
    again = ingest_forms(engine, source, "anlp", country="RUS")
    assert again.already_stored == 10 and again.new == {}
    assert table_counts(engine) == before


def test_a_retrieval_in_a_later_export_closes_the_stored_setup(tmp_path, db_url):
    engine = open_store(db_url)
    visits = _visits()
    ingest_forms(engine, _export(tmp_path, visits=visits[:-1], name="a"), "anlp")
    late = [{"instanceID": "uuid:late-1", "station": "LP-02", "camera_id": "CAM9", "visit_type": "retrieval",
             "visit_time": "2026-04-01T10:00:00.000+10:00", "camera_working": "yes"}]
    ingest_forms(engine, _export(tmp_path, visits=[visits[-1]], routes=[], signs=[], name="b"), "anlp")
    out = ingest_forms(engine, _export(tmp_path, visits=late, routes=[], signs=[], name="c"), "anlp")
    assert out.new == {STATION_VISIT: 1} and out.open_deployments == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Deployment)).scalar_one() == 3


@pytest.mark.parametrize("field,value,message", [
    ("visit_time", "2026-01-10 12:00", "UTC offset"),
    ("battery_percent", "140", "percentage"),
    ("location", "143.1 131.5 300 5", "GPS position"),
    ("visit_type", "repair", "choices"),
    ("failure_start", "2026-02-11T00:00:00.000+10:00", "failed after the visit"),
])
def test_a_broken_submission_is_refused_by_id_and_field_with_nothing_written(tmp_path, field, value, message):
    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    visits = _visits()
    broken = visits[1] if field == "failure_start" else visits[0]
    broken[field] = value
    before = table_counts(engine)
    with pytest.raises(FormSubmissionError) as err:
        ingest_forms(engine, _export(tmp_path, visits=visits), "anlp")
    problems = err.value.all_problems()
    assert any(p.field == field and broken["instanceID"] in p.message and message in p.message for p in problems), \
        [str(p) for p in problems]
    assert table_counts(engine) == before


def test_broken_repeat_row_and_orphans_are_named(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    routes = _routes()
    routes[1]["crossing"][0]["crossing_species"] = "Panthera_leo"
    with pytest.raises(FormSubmissionError) as err:
        ingest_forms(engine, _export(tmp_path, routes=routes), "anlp")
    p = [p for p in err.value.all_problems() if p.field == "crossing_species"]
    assert p and "uuid:r-0002" in p[0].message and "crossing 1" in p[0].file
    folder = _export(tmp_path, name="orphan")
    rep = folder / f"{TRACK_CENSUS}-crossing.csv"
    rep.write_text(rep.read_text() + "Sus_scrofa,1,,,,,,,,,uuid:nobody,uuid:nobody/crossing[1]\n")
    from bigcats.fieldforms.exports import ExportError
    with pytest.raises(ExportError, match="orphan|not in the export"):
        ingest_forms(engine, folder, "anlp")
    assert table_counts(engine)["field_submission"] == 0


def test_kobo_and_central_json_exports(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    kobo = [{"_uuid": "3f1c0e5e-aaaa-4bbb-8ccc-000000000001", "meta/instanceID": "uuid:3f1c0e5e-aaaa-4bbb-8ccc-000000000001",
             "_xform_id_string": TRACK_CENSUS, "_submission_time": "2026-01-16T02:00:00",
             "route_id": "K1", "unit": "U9", "country": "MNG", "survey_date": "2026-01-15", "days_since_snow": "1",
             "track": "47.1 91.5 2300 5;47.2 91.6 2310 5",
             "crossing": [{"crossing/crossing_species": "Panthera_uncia", "crossing/crossing_count": "1",
                           "crossing/pad_width_cm": "8"}],
             "_attachments": []}]
    (tmp_path / "kobo.json").write_text(json.dumps({"results": kobo}))
    out = ingest_forms(engine, tmp_path / "kobo.json", "mng")
    assert out.census["crossings"] == 1
    central = {"value": [{"__id": "uuid:odata-1", "meta": {"instanceID": "uuid:odata-1"},
                          "__system": {"submissionDate": "2026-01-21T00:00:00Z"},
                          "sign_time": "2026-01-20T14:00:00.000+07:00",
                          "sign_location": {"type": "Point", "coordinates": [91.5, 47.1, 2300],
                                            "properties": {"accuracy": 5}},
                          "sign_kind": "scat", "sign_species": "Panthera_uncia"}]}
    (tmp_path / "odata.json").write_text(json.dumps(central))
    out = ingest_forms(engine, tmp_path / "odata.json", "mng")
    assert out.incidental == 1
    with engine.connect() as conn:
        rec = conn.execute(select(IncidentalRecord)).one()
        assert (rec.latitude, rec.longitude, rec.utc_offset) == (47.1, 91.5, 420)
        ids = set(conn.execute(select(FieldSubmission.instance_id)).scalars())
    assert ids == {"uuid:3f1c0e5e-aaaa-4bbb-8ccc-000000000001", "uuid:odata-1"}


def test_hostile_exports_are_refused_not_crashed(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    (tmp_path / "bad.json").write_text("{not json")
    from bigcats.errors import BigcatsError
    with pytest.raises(BigcatsError):
        ingest_forms(engine, tmp_path / "bad.json", "x")
    (tmp_path / "weird.json").write_text(json.dumps([{"_uuid": "u1", "foo": "bar"}]))
    with pytest.raises(FormSubmissionError, match="not a bigcats form|submission"):
        ingest_forms(engine, tmp_path / "weird.json", "x")
    assert table_counts(engine)["field_submission"] == 0


def test_attacks_duplicates_infinities_traversal_and_one_point_tracks(tmp_path):
    import zipfile

    from bigcats.errors import BigcatsError
    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    visits = _visits()
    visits.append(dict(visits[0]))  # the same instance id twice in one export
    with pytest.raises(BigcatsError, match="appears twice|duplicate") as err:
        ingest_forms(engine, _export(tmp_path, visits=visits, name="dup"), "anlp")
    assert any(p.code == "duplicate-submission" for p in err.value.all_problems())
    routes = _routes()
    routes[0]["days_since_snow"] = "inf"
    routes[1]["track"] = "43.3 130.9 400 5"
    with pytest.raises(FormSubmissionError) as err:
        ingest_forms(engine, _export(tmp_path, routes=routes, name="inf"), "anlp")
    fields = {(p.field, p.message.split(": ")[0]) for p in err.value.all_problems()}
    assert ("days_since_snow", "submission uuid:r-0001") in fields and ("track", "submission uuid:r-0002") in fields
    # a zip whose member names climb out of the folder: read in memory, nothing written anywhere
    folder = _export(tmp_path, name="zipme")
    evil = tmp_path / "deep" / "evil.zip"
    evil.parent.mkdir()
    with zipfile.ZipFile(evil, "w") as zf:
        for p in folder.glob("*.csv"):
            zf.write(p, f"../../{p.name}")
        zf.writestr("../../media/../../escaped.jpg", b"x")
    before = set(tmp_path.rglob("*"))
    out = ingest_forms(engine, evil, "anlp")
    assert out.new and set(tmp_path.rglob("*")) - before <= {tmp_path / "db.sqlite-wal", tmp_path / "db.sqlite-shm"}
    with pytest.raises(BigcatsError):
        ingest_forms(engine, tmp_path / "missing.zip", "anlp")
    assert table_counts(engine)["field_submission"] == 10


def test_kobo_csv_export_with_semicolons_and_split_geopoints(tmp_path):
    """KoboToolbox's CSV: ';' between columns, '/' between groups, _uuid, and its split geopoint helpers."""
    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    head = ("start;end;sign_time;sign_location;_sign_location_latitude;_sign_location_longitude;"
            "_sign_location_altitude;_sign_location_precision;sign_kind;sign_species;sign_count;sign_photo;notes;"
            "meta/instanceID;_id;_uuid;_submission_time;_validation_status;_notes;_status;_submitted_by;__version__;"
            "_tags;_index")
    row = ("2026-01-20T13:50:00.000+08:00;2026-01-20T14:05:00.000+08:00;2026-01-20T14:00:00.000+08:00;"
           "43.2 130.9 350 6;43.2;130.9;350;6;track_sign;Panthera_tigris_altaica;2;;\"fresh; two animals\";"
           "uuid:kobo-1;101;kobo-1;2026-01-20T06:10:00;;;submitted_via_web;ranger;vX;;1")
    (tmp_path / f"{INCIDENTAL_SIGN}.csv").write_text(head + "\n" + row + "\n", encoding="utf-8")
    out = ingest_forms(engine, tmp_path / f"{INCIDENTAL_SIGN}.csv", "hlj")
    assert out.incidental == 1
    with engine.connect() as conn:
        rec = conn.execute(select(IncidentalRecord)).one()
    assert (rec.latitude, rec.longitude, rec.count, rec.kind, rec.utc_offset) == (43.2, 130.9, 2, "track_sign", 480)
    assert rec.attributes["notes"] == "fresh; two animals"


def test_cli_forms_write_and_ingest_detects_the_export(tmp_path):
    from typer.testing import CliRunner

    from bigcats.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["forms", "write", str(tmp_path / "forms"), "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)["forms"]) == 3
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    folder = _export(tmp_path)
    res = runner.invoke(app, ["ingest", str(folder), "--partner", "anlp", "--census-dir", str(tmp_path / "c"),
                              "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["deployments"] == 2 and out["census"]["crossings"] == 3 and (tmp_path / "c" / "crossings.csv").exists()
    visits = _visits()
    visits[0]["battery_percent"] = "-5"
    res = runner.invoke(app, ["ingest", str(_export(tmp_path, visits=visits, name="bad")), "--partner", "x",
                              "--db", db])
    assert res.exit_code == 1 and "uuid:v-0001" in res.output and "battery_percent" in res.output
