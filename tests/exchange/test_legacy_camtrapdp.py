"""Legacy Camtrap DP (0.1.6 from camtraptor's MICA example, 1.0-rc.1 from the official repository at that tag):
recognised by their profile, said to be legacy, upgraded to 1.0 on import, problems named under the user's own
column names, and exported back as a valid 1.0 package."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.exchange.camtrapdp.exporter import export_package
from bigcats.exchange.camtrapdp.importer import check_package, import_package
from bigcats.exchange.camtrapdp.legacy import declared_version
from bigcats.exchange.camtrapdp.package import open_package
from bigcats.exchange.camtrapdp.validate import validate_with_frictionless
from bigcats.store.db import open_store, table_counts

DATA = Path(__file__).resolve().parents[1] / "data"
MICA = DATA / "camtrapdp-0.1.6-mica" / "mica"
MICA_ISSUES = DATA / "camtrapdp-0.1.6-mica" / "mica_parsing_issues" / "datapackage_for_parsing_issues.json"
RC1 = DATA / "camtrapdp-1.0-rc.1-example"


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_versions_are_read_from_the_profile():
    assert declared_version(open_package(MICA).original_descriptor) == "0.1.6"
    assert open_package(RC1).version == "1.0-rc.1" and open_package(RC1).legacy


def test_validate_says_the_package_is_legacy_and_checks_it_upgraded():
    res = CliRunner().invoke(app, ["validate", str(MICA)])
    assert res.exit_code == 0, res.output
    assert "this package declares Camtrap DP 0.1.6; checked after upgrading to 1.0" in " ".join(res.output.split())
    doc = check_package(MICA)
    assert doc["valid"] and doc["version"] == "0.1.6"


def test_malformed_timestamps_under_016_column_names_are_all_reported():
    doc = check_package(MICA_ISSUES)
    bad = {(p["file"], p["row"], p["field"]) for p in doc["problems"] if p["code"] == "type"}
    # All five malformed timestamps, under the columns the file really has (start, timestamp), not 1.0's names.
    assert bad == {("deployments_parsing_issues.csv", 2, "start"), ("deployments_parsing_issues.csv", 3, "start"),
                   ("media_parsing_issues.csv", 3, "timestamp"),
                   ("observations_parsing_issues.csv", 2, "timestamp"),
                   ("observations_parsing_issues.csv", 3, "timestamp")}
    assert any("'deploymentStart' in Camtrap DP 1.0" in p["message"] for p in doc["problems"])


def test_016_package_imports_upgraded_and_only_once(db_url):
    engine = open_store(db_url)
    deployments, media, observations = (_csv(MICA / f"{t}.csv") for t in ("deployments", "media", "observations"))
    first = import_package(engine, MICA, "INBO")
    assert first.added["deployment"] == len(deployments) == 4
    assert first.added["media"] == len(media) == 283
    assert first.added["observation"] == len(observations) == 27
    assert any("0.1.6" in n for n in first.notes)
    assert import_package(engine, MICA, "INBO").added == {}
    with engine.connect() as conn:
        capture = set(conn.execute(text("select distinct capture_method from media")).scalars())
        public = set(conn.execute(text("select distinct file_public from media")).scalars())
        obs = pd.DataFrame(conn.execute(text(
            "select o.source_id, o.event_id, o.level, o.event_start_utc, o.event_end_utc, o.life_stage, o.sex "
            "from observation o")).mappings().all())
        delay = conn.execute(text("select source_id, camera_delay, comments from deployment")).all()
    assert capture <= {"activityDetection", "timeLapse"}
    assert public == {True}  # Agouti's https URLs
    obs = obs.set_index("source_id")
    src = observations.set_index("observationID")
    assert (obs.loc[src.index, "event_id"] == src["sequenceID"]).all()
    assert (obs["level"] == "event").all()  # 0.1.6 observations are of sequences
    assert (obs["event_start_utc"] == obs["event_end_utc"]).all()
    assert set(obs["sex"].dropna()) <= {"female", "male"} and set(obs["life_stage"].dropna()) <= \
        {"adult", "subadult", "juvenile"}
    by_id = {d: (c, m) for d, c, m in delay}
    for row in deployments.itertuples():
        assert by_id[row.deploymentID][0] == int(row.cameraInterval)
        assert (by_id[row.deploymentID][1] or "") == row.comments


def test_016_import_exports_as_valid_10(sqlite_url, tmp_path):
    engine = open_store(sqlite_url)
    import_package(engine, MICA, "INBO")
    out = tmp_path / "out"
    export_package(engine, out)
    desc = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert "/1.0" in desc["profile"] and desc["project"]["observationLevel"] == ["event"]
    assert desc["project"]["captureMethod"] == ["activityDetection", "timeLapse"]
    assert check_package(out)["valid"], check_package(out)["problem_lines"][:5]
    assert validate_with_frictionless(open_package(out)) == []
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    import_package(other, out, "INBO")
    a, b = table_counts(engine), table_counts(other)
    assert (a["deployment"], a["media"], a["observation"]) == (b["deployment"], b["media"], b["observation"])


def test_rc1_package_imports_with_10_values(sqlite_url):
    engine = open_store(sqlite_url)
    result = import_package(engine, RC1, "INBO")
    assert result.added["observation"] == len(_csv(RC1 / "observations.csv"))
    assert any("1.0-rc.1" in n for n in result.notes)
    with engine.connect() as conn:
        capture = set(conn.execute(text("select distinct capture_method from media")).scalars())
    assert "motionDetection" in set(_csv(RC1 / "media.csv")["captureMethod"])
    assert capture == {"activityDetection", "timeLapse"}


@pytest.mark.parametrize("value,expected", [("none", "false"), ("food", "true"), ("", "")])
def test_016_bait_use_becomes_a_boolean_and_keeps_the_kind_as_a_tag(value, expected):
    from bigcats.exchange.camtrapdp.legacy import Upgrade

    chunk = pd.DataFrame({"deploymentID": ["d1"], "baitUse": [value], "tags": ["x"], "session": ["s1"],
                          "array": [""], "featureType": ["road paved"]})
    out = Upgrade("0.1.6").table("deployments", chunk)
    assert out.loc[0, "baitUse"] == expected
    assert out.loc[0, "featureType"] == "roadPaved"
    assert out.loc[0, "deploymentGroups"] == "s1"
    assert out.loc[0, "deploymentTags"] == ("x | bait:food" if value == "food" else "x")
