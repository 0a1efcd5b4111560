"""Camera health: photo folders made here with each fault; the check finds every fault and nothing on a healthy
camera; confirmed findings become outages and clock corrections in the store, once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from bigcats.health.checks import check_cameras
from bigcats.intake.frames import SurveyFrames
from bigcats.intake.images import read_image_folder

SETUP = datetime(2025, 6, 1, 10, 0)  # local (+10:00)
RETRIEVAL = datetime(2025, 7, 31, 12, 0)
DAYS = 60


def _jpeg(path: Path, local: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x010E] = path.as_posix()[-40:]  # every photo's bytes differ, as real ones do (media ids are hashes)
    exif.get_ifd(0x8769)[36867] = local.strftime("%Y:%m:%d %H:%M:%S")
    Image.new("RGB", (8, 8), (40, 90, 40)).save(path, "JPEG", exif=exif.tobytes(), quality=50)


def _normal_times(hours=(2, 11, 20), skip=lambda d: False):
    return [SETUP.replace(hour=0) + timedelta(days=d, hours=h) for d in range(DAYS) for h in hours
            if not skip(d) and SETUP <= SETUP.replace(hour=0) + timedelta(days=d, hours=h) <= RETRIEVAL]


def _station(root: Path, name: str, times: list[datetime]) -> None:
    for i, t in enumerate(times, start=1):
        _jpeg(root / name / f"IMG{i:05d}.JPG", t)


FAULTS = {
    "healthy": lambda: _normal_times(),
    "reset": lambda: (lambda t: t[:100] + [datetime(2000, 1, 1) + (x - t[100]) for x in t[100:]])(_normal_times()),
    "wrongyear": lambda: [t.replace(year=2026) for t in _normal_times()],
    "backwards": lambda: (lambda t: t[:80] + [x - timedelta(days=3) for x in t[80:]])(_normal_times()),
    "deadbattery": lambda: _normal_times(skip=lambda d: d >= DAYS - 20),
    "latestart": lambda: _normal_times(skip=lambda d: d < 10),
    "knocked": lambda: _normal_times(skip=lambda d: 25 <= d < 45),
    "glare": lambda: sorted(_normal_times() + [SETUP.replace(hour=6) + timedelta(days=d, seconds=40 * k)
                                        for d in (20, 21) for k in range(260)]),
    "noir": lambda: _normal_times(hours=(9, 12, 15)),
}
EXPECTED = {"healthy": set(), "reset": {"clock_jump"}, "wrongyear": {"clock_wrong"}, "backwards": {"clock_jump"},
            "deadbattery": {"silent_end"}, "latestart": {"setup_mismatch"}, "knocked": {"long_gap"},
            "glare": {"false_triggers"}, "noir": {"no_night"}}


def _deployments(names):
    return SurveyFrames.build(deployments=pd.DataFrame({
        "deploymentID": names, "locationID": names, "latitude": 43.1, "longitude": 131.5,
        "deploymentStart": pd.Timestamp(SETUP, tz="Etc/GMT-10").tz_convert("UTC"),
        "deploymentEnd": pd.Timestamp(RETRIEVAL, tz="Etc/GMT-10").tz_convert("UTC"), "utcOffset": 600,
        "partner": "t"})).deployments


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("cards")
    for name, make in FAULTS.items():
        _station(root, name, make())
    return root


@pytest.fixture(scope="module")
def frames(folder):
    frames, _ = read_image_folder(folder, "t", pattern="{station}/*", stations=_deployments(list(FAULTS)),
                                  workers=1)
    return frames


def test_each_fault_is_found_and_nothing_on_the_healthy_camera(frames):
    findings = check_cameras(frames.deployments, frames.media)
    found = {name: {f.kind for f in findings if f.deployment == name} for name in FAULTS}
    assert found == EXPECTED


def test_offers_fix_the_fault(frames):
    findings = {(f.deployment, f.kind): f for f in check_cameras(frames.deployments, frames.media)}
    reset = findings[("reset", "clock_jump")]
    assert reset.fix == "clock" and reset.photos == len(FAULTS["reset"]()) - 100
    assert abs(reset.offset_s - (datetime(2025, 6, 1) + timedelta(days=33, hours=11) - datetime(2000, 1, 1)
                                 ).total_seconds()) < 86400
    assert abs(findings[("backwards", "clock_jump")].offset_s - 3 * 86400) < 9 * 3600
    wrong = findings[("wrongyear", "clock_wrong")]
    assert abs(wrong.offset_s + 365 * 86400) < 86400
    dead = findings[("deadbattery", "silent_end")]
    assert 19 < (dead.end - dead.start).days + (dead.end - dead.start).seconds / 86400 < 21
    knocked = findings[("knocked", "long_gap")]
    assert 19 < (knocked.end - knocked.start).total_seconds() / 86400 < 21.1
    assert len(findings[("glare", "false_triggers")].periods) == 2
    nights = findings[("noir", "no_night")].periods
    assert len(nights) == DAYS
    hours = [(b - a).total_seconds() / 3600 for a, b in nights[1:-1]]
    assert all(7 < h < 11 for h in hours)  # June nights in Primorye


def test_apply_writes_outages_and_clock_corrections_once(frames, db_url):
    from sqlalchemy import select

    from bigcats.health.store import apply_findings, check_store
    from bigcats.intake.report import IntakeReport
    from bigcats.intake.store import store_intake
    from bigcats.store.db import open_store, table_counts
    from bigcats.store.models import DeploymentOutage, Media
    from bigcats.store.models_field import ClockCorrection

    engine = open_store(db_url)
    store_intake(engine, frames, IntakeReport("cards", "images", "t"), "t", "cards", "images")
    report = check_store(engine)
    kinds = {(f["deployment_code"], f["kind"]) for f in report["findings"]}
    assert kinds == {(n, k) for n, ks in EXPECTED.items() for k in ks}
    keys = [f["key"] for f in report["findings"] if f["deployment_code"] in ("reset", "deadbattery")]
    applied = apply_findings(engine, keys, confirmed_by="tester")
    assert applied["outages"] == 1 and applied["clock_corrections"] == 1
    with engine.connect() as conn:
        reset_times = conn.execute(select(Media.timestamp_utc).where(Media.file_path.like("reset/%"))).scalars()
        assert min(reset_times).year == 2025
        assert conn.execute(select(ClockCorrection.confirmed_by)).scalar_one() == "tester"
        assert len(conn.execute(select(DeploymentOutage)).all()) == 1
    before = table_counts(engine)
    again = apply_findings(engine, keys)
    assert again["outages"] == 0 and again["clock_corrections"] == 0 and table_counts(engine) == before
    after = {(f["deployment_code"], f["kind"]) for f in check_store(engine)["findings"]}
    assert ("reset", "clock_jump") not in after and ("deadbattery", "silent_end") in after
    from bigcats.health.store import HealthError
    with pytest.raises(HealthError, match="not a finding key"):
        apply_findings(engine, ["nobody:clock_jump:20250101T000000"])
    with pytest.raises(HealthError, match="no such finding"):
        apply_findings(engine, ["999:clock_jump:20250101T000000"])


SAMPLE = Path("/work/shared/data/camtrapR-sample")


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared camtrapR sample not here")
def test_camtrapr_sample_reports_station_a_problem_period(tmp_path):
    """camtrapR's sample: StationA set up 2 April 2009 but photographs nothing until 10 April."""
    from typer.testing import CliRunner

    from bigcats.cli import app

    db = f"sqlite:///{tmp_path / 'ct.db'}"
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(SAMPLE / "inst/pictures/sample_images_species_tag"), "--partner", "ctr",
                              "--stations", str(SAMPLE / "tables_csv/camtraps.csv"), "--utc-offset", "+08:00",
                              "--utm-zone", "50N", "--pattern", "{station}/*", "--no-manifest", "--country", "MYS",
                              "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    page = tmp_path / "health.html"
    res = runner.invoke(app, ["health", "check", "--db", db, "--json", "--html", str(page)])
    assert res.exit_code == 0, res.output
    import json
    report = json.loads(res.stdout)
    assert [(f["deployment_code"], f["kind"]) for f in report["findings"]] == [("StationA", "setup_mismatch")]
    f = report["findings"][0]
    assert f["start"].startswith("2009-04-02") and f["end"].startswith("2009-04-09T21:07")  # 05:07 local, +08:00
    html = page.read_text()
    assert html.count("<svg") == 3 and "StationA" in html and "<script" not in html
    from bigcats.store.db import open_store
    from bigcats.store.query import load_frames
    from bigcats.survey.effort import effort_per_station

    def station_a_nights():
        eff = effort_per_station(load_frames(open_store(db)))
        return float(eff.set_index("locationID").loc["StationA", "trapNights"])
    before = station_a_nights()
    res = runner.invoke(app, ["health", "apply", f["key"], "--db", db, "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["outages"] == 1
    # the confirmed outage comes off StationA's effort: the 7.7 silent days after its set-up
    assert abs((before - station_a_nights()) - 7.71) < 0.05, (before, station_a_nights())
    res = runner.invoke(app, ["health", "apply", "1:clock_jump:20090101T000000", "--db", db])
    assert res.exit_code == 1 and "no such finding" in res.output
    for junk in ("1:nonsense", "x:y:z", "1:clock_jump:2009'; DROP TABLE media;--"):
        res = runner.invoke(app, ["health", "apply", junk, "--db", db])
        assert res.exit_code == 1 and "not a finding key" in res.output, res.output


def test_web_health_for_members_only_and_fixes_for_editors(frames, tmp_path):
    """Members see their partners' cameras; the public nothing; only editors confirm fixes; HTML is escaped."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
    from sqlalchemy import select
    from webworld import client_for, csrf, seed, sign_in

    from bigcats.intake.report import IntakeReport
    from bigcats.intake.store import store_intake
    from bigcats.store.db import open_store
    from bigcats.store.models import Deployment

    db = f"sqlite:///{tmp_path / 'web.db'}"
    seed(db)  # partners A, B, C with users; the cameras below belong to A
    engine = open_store(db)
    hostile = frames.deployments.copy()
    store_intake(engine, frames, IntakeReport("cards", "images", "A"), "A", "cards", "images")
    with engine.begin() as conn:
        conn.execute(Deployment.__table__.update().where(Deployment.source_id == "glare")
                     .values(source_id="<script>alert(1)</script>"))
    anon = client_for(db)
    assert anon.get("/api/health").status_code == 401
    viewer_b = sign_in(client_for(db), "viewer_b")
    seen_b = viewer_b.get("/api/health").json()
    assert seen_b["findings"] == [] and seen_b["not_checked"] > 0  # B's cameras have no photos; A's are not shown
    assert not {d["deployment_code"] for d in seen_b["deployments"]} & set(FAULTS)
    viewer_a = sign_in(client_for(db), "viewer_a")
    report = viewer_a.get("/api/health").json()
    kinds = {f["kind"] for f in report["findings"]}
    assert {"clock_jump", "silent_end", "no_night", "false_triggers"} <= kinds
    page = viewer_a.get("/api/health.html").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    key = next(f["key"] for f in report["findings"] if f["kind"] == "silent_end")
    r = viewer_a.post("/api/health/apply", json={"keys": [key]}, headers=csrf(viewer_a))
    assert r.status_code == 403
    editor = sign_in(client_for(db), "editor_a")
    assert editor.post("/api/health/apply", json={"keys": [key]}).status_code == 403  # no CSRF token
    r = editor.post("/api/health/apply", json={"keys": [key]}, headers=csrf(editor))
    assert r.status_code == 200 and r.json()["outages"] == 1
    del hostile
