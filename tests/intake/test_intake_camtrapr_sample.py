"""The camtrapR sample must give camtrapR's own numbers (records, species, individuals, stations, trap days)."""

from pathlib import Path

import pandas as pd
import pytest

from bigcats.intake import ingest
from bigcats.intake.camtrapr import read_camtrapr
from bigcats.intake.tables import read_table

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "camtrapR-sample"
PICS = DATA / "inst" / "pictures"
TABLES = DATA / "tables_csv"

if not DATA.exists():
    pytest.skip("shared camtrapR sample not present", allow_module_level=True)


def independent(obs: pd.DataFrame, keys: list[str], minutes: float = 60) -> pd.DataFrame:
    """camtrapR's rule, for this test only: drop same-time duplicates, then keep a record if it is more than
    `minutes` after the last independent record of the same keys (the analytics engineer owns the real one)."""
    obs = obs.drop_duplicates(keys + ["timestamp"]).sort_values("timestamp")
    keep = []
    for _, g in obs.groupby(keys, dropna=False):
        last = None
        for i, t in zip(g.index, g["timestamp"]):
            if last is None or t - last > pd.Timedelta(minutes=minutes):
                keep.append(i)
                last = t
    return obs.loc[keep]


def label(obs: pd.DataFrame) -> pd.Series:
    return obs["observationTags"].str.removeprefix("label:")


def test_species_from_folders_gives_camtraprs_40_records():
    frames, report = ingest(PICS / "sample_images_species_dir", "sample", pattern="{station}/{species}/*",
                            utc_offset="+08:00")
    assert len(frames.media) == 68 and report.counts["photos"] == 68
    obs = frames.observations.assign(label=lambda d: label(d))
    ind = independent(obs, ["locationID", "label"])
    assert len(ind) == 40
    assert ind["label"].value_counts().to_dict() == {"PBE": 18, "TRA": 8, "EGY": 6, "VTA": 5, "MNE": 2, "UNID": 1}
    # Codes resolve to names; UNID is an 'unknown' observation, not an invented species.
    pbe = obs[obs["label"] == "PBE"]
    assert set(pbe["scientificName"]) == {"Prionailurus bengalensis"}
    assert set(obs.loc[obs["label"] == "UNID", "observationType"]) == {"unknown"}
    assert obs.loc[obs["label"] == "UNID", "scientificName"].isna().all()
    assert not report.errors


def test_species_from_xmp_tags_gives_same_40_with_common_names():
    frames, _ = ingest(PICS / "sample_images_species_tag", "sample", pattern="{station}/*", utc_offset=480)
    obs = frames.observations.assign(label=lambda d: label(d))
    ind = independent(obs, ["locationID", "label"])
    assert ind["label"].value_counts().to_dict() == {
        "Leopard Cat": 18, "Mouse Deer": 8, "Moonrat": 6, "Malay Civet": 5, "Pig-tailed Macaque": 2,
        "unidentified": 1}
    folder, _ = ingest(PICS / "sample_images_species_dir", "sample", pattern="{station}/{species}/*",
                       utc_offset=480)
    # Same photos, same species: the scientific names agree photo by photo (matched by station and time).
    a = folder.observations.groupby("scientificName", dropna=False).size()
    b = frames.observations.groupby("scientificName", dropna=False).size()
    pd.testing.assert_series_equal(a, b)


def test_individuals_from_tags_and_station_time_from_file_names():
    frames, report = ingest(PICS / "sample_images_indiv_tag" / "LeopardCat", "sample",
                            pattern="{station}__{date}__{time}*", utc_offset="+08:00")
    obs = frames.observations
    assert len(frames.media) == 26
    ind = independent(obs, ["locationID", "individualID"])
    assert len(ind) == 18
    assert ind["individualID"].value_counts().to_dict() == {"1": 8, "2": 8, "3": 2}
    assert ind["locationID"].value_counts().to_dict() == {"StationB": 8, "StationC": 6, "StationA": 4}
    assert set(frames.individuals["individualID"]) == {"1", "2", "3"}
    # The file name's time and EXIF agree: 2009-04-23 00:07 local at UTC+8 is 2009-04-22 16:07 UTC.
    row = frames.media[frames.media["fileName"] == "StationA__2009-04-23__00-07-00(1).JPG"].iloc[0]
    assert row["timestamp"] == pd.Timestamp("2009-04-22 16:07", tz="UTC")


def test_camera_table_dates_and_problem_period_match_camtrapr_trap_nights():
    frames, _ = read_camtrapr(read_table(TABLES / "camtraps.csv"), "sample", 480, utm_zone="50N")
    dep = frames.deployments.set_index("deploymentID")
    local = dep["deploymentStart"] + pd.Timedelta(hours=8)
    assert local["StationA"] == pd.Timestamp("2009-04-02 12:00", tz="UTC")  # noon: camtrapR's half day
    out = frames.outages
    assert list(out["deploymentID"]) == ["StationC"]
    assert out["start"].iloc[0] + pd.Timedelta(hours=8) == pd.Timestamp("2009-05-12 00:00", tz="UTC")
    # Plain interval arithmetic on these dates gives camtrapR's active trap nights 42, 43, 37.5.
    days = (dep["deploymentEnd"] - dep["deploymentStart"]).dt.total_seconds() / 86400
    lost = ((out["end"] - out["start"]).dt.total_seconds() / 86400).groupby(out["deploymentID"]).sum()
    active = days.sub(lost, fill_value=0)
    assert active.to_dict() == {"StationA": 42.0, "StationB": 43.0, "StationC": 37.5}
    # UTM zone 50N (Sabah): the stations lie near 5.5 N, 117.2 E and 1-3 km apart.
    assert dep["latitude"].between(5.4, 5.6).all() and dep["longitude"].between(117.1, 117.3).all()


def test_record_table_with_time_shift_table_is_corrected_and_recorded():
    frames, report = ingest(TABLES, "sample", utc_offset="+08:00", utm_zone="50N",
                            records=TABLES / "recordTableSample.csv", time_shifts=TABLES / "timeShiftTable.csv")
    obs = frames.observations
    assert len(obs) == 39
    raw = read_table(TABLES / "recordTableSample.csv")
    first_a = pd.Timestamp(raw.loc[raw["Station"] == "StationA", "DateTimeOriginal"].iloc[0])
    got = obs.loc[obs["locationID"] == "StationA", "timestamp"].iloc[0] + pd.Timedelta(hours=8)
    assert got.tz_localize(None) == first_a - pd.DateOffset(years=1)  # '-' '1:0:0 0:0:0'
    shifts = {c["station"]: (c["shift"], c["records"]) for c in report.corrections}
    assert shifts == {"StationA": ("-1:0:0 0:0:0", 6), "StationB": ("+0:0:0 12:0:0", 12)}
    # A year back puts StationA's records before set-up: flagged, kept, and the deployment marked.
    outside = [p for p in report.warnings.problems if p.code == "timestamp-outside-deployment"]
    assert len(outside) == 6 and all(p.row is not None for p in outside)
    assert frames.deployments.set_index("deploymentID").loc["StationA", "timestampIssues"]
