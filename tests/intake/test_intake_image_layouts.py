"""camtrapR's folder layouts recognised without a pattern, on camtrapR's own sample photos; a run that imports
nothing exits non-zero and says why; store errors name the user's folder, not bigcats' temporary package."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.intake import IntakeError, ingest
from bigcats.intake.images import guess_layout

PICS = Path("/work/shared/data/camtrapR-sample/inst/pictures")
TABLES = Path("/work/shared/data/camtrapR-sample/tables_csv")
STATIONS = TABLES / "camtraps.csv"
OPTS = {"utc_offset": "+08:00", "stations": STATIONS, "utm_zone": "50N", "manifest": None, "workers": 1}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.upper() == ".JPG")


def test_station_species_folders_without_a_pattern():
    folder = PICS / "sample_images_species_dir"
    frames, report = ingest(folder, "CT", **OPTS)
    files = _files(folder)
    assert len(files) == 68 and len(frames.media) == 68 and len(frames.observations) == 68
    assert not report.skipped_files
    assert any(w.code == "layout-recognised" and w.value == "{station}/{species}/*" for w in report.warnings.problems)
    # Each photo's species is its folder's: counts per station and species equal the files in each folder.
    want = pd.Series([f"{p.parent.parent.name}/{p.parent.name}" for p in files]).value_counts().sort_index()
    obs = frames.observations
    label = obs["observationTags"].str.removeprefix("label:")
    got = (obs["locationID"] + "/" + label).value_counts().sort_index()
    assert got.to_dict() == want.to_dict()


def test_station_camera_species_and_individual_folders(tmp_path):
    # The same real photos laid out as camtrapR's other layouts.
    cam = tmp_path / "cam"
    for p in _files(PICS / "sample_images_species_dir"):
        dest = cam / p.parent.parent.name / "CAM1" / p.parent.name / p.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
    frames, report = ingest(cam, "CT", **OPTS)
    assert len(frames.observations) == 68
    assert set(frames.deployments["locationID"]) == {"StationA", "StationB", "StationC"}
    assert any(w.value == "{station}/{camera}/{species}/*" for w in report.warnings.problems)

    ind = tmp_path / "ind"
    table = pd.read_csv(TABLES / "recordTableIndividualSample.csv")
    for r in table.itertuples():
        dest = ind / r.Station / "PBE" / str(r.Individual) / r.FileName
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PICS / "sample_images_indiv_tag" / "LeopardCat" / r.FileName, dest)
    frames, report = ingest(ind, "CT", species_from="folder", **OPTS)
    assert any(w.value == "{station}/{species}/{individual}/*" for w in report.warnings.problems)
    obs = frames.observations.assign(file=frames.observations["observationTags"])
    got = frames.observations.groupby("locationID")["individualID"].apply(lambda s: sorted(set(s))).to_dict()
    want = table.groupby("Station")["Individual"].apply(lambda s: sorted({str(v) for v in s})).to_dict()
    assert got == want and len(obs) == len(table) == 21


def test_guess_layout_on_names_alone():
    assert guess_layout(["StationA/IMG0001.JPG", "StationB/IMG0002.JPG"]) == "{station}/*"
    assert guess_layout(["LeopardCat/StationA__2009-04-21__00-40-00(1).JPG"]) == "{species}/{station}__*"
    assert guess_layout(["A/tiger/x.jpg", "B/Leopard/y.jpg"]) == "{station}/{species}/*"
    assert guess_layout(["tiger/A/x.jpg", "leopard/B/y.jpg"]) == "{species}/{station}/*"
    assert guess_layout(["A/x.jpg", "A/B/y.jpg"]) is None  # mixed depths: the user must say


def test_a_run_that_imports_nothing_exits_non_zero_with_why(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["ingest", str(PICS / "sample_images_species_dir"), "--partner", "CT",
                            "--utc-offset", "+08:00", "--pattern", "{station}/{camera}/{species}/*",
                            "--no-manifest", "--db", str(tmp_path / "db.sqlite")])
    assert r.exit_code == 1, r.output
    assert "no photo could be imported: 68 of 68 file(s) skipped" in r.output
    assert "pattern" in r.output and "Traceback" not in r.output


def test_store_errors_name_the_users_folder_not_a_temporary_package(tmp_path):
    from bigcats.intake.store import store_intake
    from bigcats.store.db import open_store

    folder = PICS / "raw_images"
    frames, report = ingest(folder, "CT", utc_offset="+08:00", manifest=None, workers=1)  # no station table
    with pytest.raises(IntakeError) as err:
        store_intake(open_store(str(tmp_path / "db.sqlite")), frames, report, "CT", folder, fmt="images")
    text = str(err.value)
    assert "bigcats-intake-" not in text and "deployments.csv" not in text
    assert str(folder) in text and "--stations" in text and "StationA" in text


def test_ingest_of_a_package_it_cannot_read_names_file_and_field(tmp_path):
    """Issue 12: `ingest` on a package without 1.0's deploymentStart died with KeyError: 'deploymentStart'."""
    from bigcats.problems import DataError

    src = Path("/work/shared/data/camtrap-dp-example")
    pkg = tmp_path / "broken"
    shutil.copytree(src, pkg, ignore=shutil.ignore_patterns("SOURCE.md"))
    dep = pd.read_csv(pkg / "deployments.csv", dtype=str)
    dep.rename(columns={"deploymentStart": "start", "deploymentEnd": "end"}).to_csv(pkg / "deployments.csv",
                                                                                     index=False)
    with pytest.raises(DataError) as err:  # the package still declares Camtrap DP 1.0
        ingest(pkg, "X")
    text = str(err.value)
    assert "deployments.csv" in text and "deploymentStart" in text
    r = CliRunner().invoke(app, ["ingest", str(pkg), "--partner", "X", "--db", str(tmp_path / "db.sqlite")])
    assert r.exit_code == 1 and "deploymentStart" in r.output and "KeyError" not in r.output
