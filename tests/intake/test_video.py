"""Videos are media like photos: capture time from the container (or the file name), duration, SHA-256, a
thumbnail of a middle frame; species per video from the folder; ingesting again adds nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from bigcats.intake.images import read_image_folder
from bigcats.intake.video import read_video_metadata


def make_video(path: Path, seconds: float = 2.0, fps: int = 10, creation: str | None = None,
               container: str | None = None, codec: str = "mpeg4") -> Path:
    """A short video whose frames brighten over time (so the middle frame is recognisable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format=container) as out:
        if creation:
            out.metadata["creation_time"] = creation
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        n = int(seconds * fps)
        for i in range(n):
            img = np.full((48, 64, 3), int(255 * i / max(n - 1, 1)), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(autouse=True)
def thumbs(tmp_path, monkeypatch):
    monkeypatch.setenv("BIGCATS_THUMBNAILS", str(tmp_path / "thumbs"))
    return tmp_path / "thumbs"


@pytest.mark.parametrize("suffix,container", [(".mp4", "mp4"), (".mov", "mov"), (".avi", "avi")])
def test_metadata_of_each_container(tmp_path, suffix, container):
    path = make_video(tmp_path / f"clip{suffix}", seconds=3, creation="2025-11-12T22:03:12.000000Z",
                      container=container)
    rec = read_video_metadata(str(path))
    assert "error_code" not in rec, rec
    assert rec["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert abs(rec["duration_s"] - 3.0) < 0.25
    assert (rec["width"], rec["height"]) == (64, 48)
    thumb = Image.open(rec["thumbnail"])
    level = np.asarray(thumb.convert("L")).mean()
    assert 60 < level < 200, level  # a middle frame, not the black first one nor the white last one
    if container != "avi":  # AVI has no creation_time atom: FFmpeg writes it as an INFO tag only on request
        assert rec["DateTimeOriginal"] == "2025:11:12 22:03:12"


def test_time_from_the_file_name_when_the_container_has_none(tmp_path):
    path = make_video(tmp_path / "20251112_100312.mp4")
    rec = read_video_metadata(str(path))
    assert rec["DateTimeOriginal"] == "2025:11:12 10:03:12" and "no-creation-time" in rec["warnings"]


def test_broken_video_is_skipped_with_a_reason(tmp_path):
    bad = tmp_path / "cam" / "broken.mp4"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50)
    rec = read_video_metadata(str(bad))
    assert rec["error_code"] == "bad-video"


def test_videos_in_a_card_folder_become_media_with_observations_and_reingest_adds_nothing(tmp_path):
    from bigcats.intake.report import IntakeReport
    from bigcats.intake.store import store_intake
    from bigcats.store.db import open_store, table_counts

    root = tmp_path / "cards"
    make_video(root / "ST01" / "Amur tiger" / "CLIP0001.MP4", creation="2025-11-12T22:03:12.000000Z")
    make_video(root / "ST01" / "Sus scrofa" / "CLIP0002.MOV", container="mov", seconds=1.5,
               creation="2025-11-13T05:10:00.000000Z")
    Image.new("RGB", (8, 8)).save(root / "ST01" / "readme.png")
    import pandas as pd

    from bigcats.intake.frames import SurveyFrames
    stations = SurveyFrames.build(deployments=pd.DataFrame({
        "deploymentID": ["ST01-1"], "locationID": ["ST01"], "latitude": [43.1], "longitude": [131.5],
        "deploymentStart": [pd.Timestamp("2025-11-01", tz="UTC")], "deploymentEnd": [pd.Timestamp("2025-12-01", tz="UTC")],
        "utcOffset": [600], "partner": ["p"]})).deployments
    frames, report = read_image_folder(root, "p", pattern="{station}/{species}/*", stations=stations, workers=1)
    media = frames.media.set_index("fileName")
    assert list(media.loc[["CLIP0001.MP4", "CLIP0002.MOV"], "fileMediatype"]) == ["video/mp4", "video/quicktime"]
    assert str(media.loc["CLIP0001.MP4", "timestamp"]) == "2025-11-12 12:03:12+00:00"  # 22:03 at +10:00
    exif = json.loads(media.loc["CLIP0001.MP4", "exifData"])
    assert abs(exif["bigcats:durationSeconds"] - 2.0) < 0.2 and Path(exif["bigcats:thumbnail"]).exists()
    obs = frames.observations.merge(frames.media[["mediaID", "fileName"]], on="mediaID")
    assert dict(zip(obs["fileName"], obs["scientificName"])) == {"CLIP0001.MP4": "Panthera tigris altaica",
                                                                "CLIP0002.MOV": "Sus scrofa"}
    assert [s["file"] for s in report.skipped_files] == ["ST01/readme.png"]
    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store_intake(engine, frames, report, "p", root, "images")
    before = table_counts(engine)
    assert before["media"] == 2 and before["observation"] == 2
    frames2, report2 = read_image_folder(root, "p", pattern="{station}/{species}/*", stations=stations, workers=1)
    store_intake(engine, frames2, report2, "p", root, "images")
    after = table_counts(engine)
    assert {k: v for k, v in after.items() if k != "intake_batch"} == \
        {k: v for k, v in before.items() if k != "intake_batch"}


REAL = Path(__file__).parents[1] / "data" / "camtrapr-video" / "20251112_100312.mp4"


def test_real_sample_video_from_camtrapr():
    """A phone's MP4 (camtrapR's sample): UTC creation_time plus the stated offset give the local time in its name."""
    rec = read_video_metadata(str(REAL))
    assert rec["sha256"] == "ebc6742d85e84946000a261420e3b7348fd2502faf574bd93a3cc6687ac14089"
    assert rec["DateTimeOriginal"] == "2025:11:12 10:03:13" and rec["OffsetTimeOriginal"] == "+08:00"
    assert abs(rec["duration_s"] - 1.136) < 0.01 and (rec["width"], rec["height"]) == (1280, 720)
    assert Image.open(rec["thumbnail"]).size == (320, 180)


def test_utc_creation_time_without_offset_yields_to_the_name(tmp_path):
    path = make_video(tmp_path / "CAM01_20251112_100312.mp4", creation="2025-11-12T02:03:12.000000Z")
    rec = read_video_metadata(str(path))
    assert rec["DateTimeOriginal"] == "2025:11:12 10:03:12" and "creation-time-is-utc" in rec["warnings"]


def test_stepping_through_frames(tmp_path):
    from bigcats.intake.video import video_frame

    path = make_video(tmp_path / "step.mp4", seconds=2, fps=10)
    levels = []
    for i in (0, 5, 10, 19, 99):
        img, index, total = video_frame(path, i)
        assert total == 20 and index == min(i, 19)
        levels.append(np.asarray(img.convert("L")).mean())
    assert levels[0] < levels[1] < levels[2] < levels[3] == levels[4]  # frames brighten: each step is a new frame
    img, index, _ = video_frame(REAL)
    assert img.size == (1280, 720) and index == 17


def test_web_serves_video_frames_to_step_through(tmp_path):
    """The media route of the web app gives a video's frames (no container metadata) for review."""
    import pandas as pd
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from bigcats.intake.frames import SurveyFrames
    from bigcats.intake.store import store_intake
    from bigcats.store.models import Media
    from bigcats.web.app import create_app

    root = tmp_path / "media-store" / "p"  # photos are served only from the partner's folder of the media store
    make_video(root / "ST01" / "Sus scrofa" / "CLIP0001.MP4", seconds=2, fps=10,
               creation="2025-11-12T22:03:12.000000Z")
    stations = SurveyFrames.build(deployments=pd.DataFrame({
        "deploymentID": ["ST01-1"], "locationID": ["ST01"], "latitude": [43.1], "longitude": [131.5],
        "deploymentStart": [pd.Timestamp("2025-11-01", tz="UTC")], "deploymentEnd": [pd.Timestamp("2025-12-01", tz="UTC")],
        "utcOffset": [600], "partner": ["p"]})).deployments
    frames, report = read_image_folder(root, "p", pattern="{station}/{species}/*", stations=stations, workers=1)
    frames.media["filePath"] = str(root) + "/" + frames.media["filePath"]  # the server keeps absolute paths
    db = f"sqlite:///{tmp_path / 'web.db'}"
    app = create_app(db, media_root=tmp_path / "media-store")
    store_intake(app.state.bigcats.engine, frames, report, "p", root, "images")
    from datetime import datetime

    from bigcats.store.models import Partner
    from bigcats.store.models_access import SharingAgreement
    with app.state.bigcats.engine.begin() as conn:
        mid = conn.execute(select(Media.id)).scalar_one()
        pid = conn.execute(select(Partner.id)).scalar_one()
        conn.execute(SharingAgreement.__table__.insert().values(  # the partner shares with the public
            owner_partner_id=pid, grantee_partner_id=None, species=None, exact_locations=False,
            created_at=datetime(2025, 1, 1)))
    client = TestClient(app)
    first = client.get(f"/api/media/{mid}?frame=0")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/jpeg" and first.headers["X-Frames"] == "20"
    last = client.get(f"/api/media/{mid}?frame=19")
    assert last.headers["X-Frame"] == "19" and last.content != first.content
    assert b"creation_time" not in first.content


def test_a_card_of_videos_only_is_detected_as_media(tmp_path):
    from bigcats.intake.detect import detect_format

    make_video(tmp_path / "cards" / "ST01" / "CLIP0001.AVI", container="avi")
    assert detect_format(tmp_path / "cards") == "images"
