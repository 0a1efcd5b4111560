"""Bad input is reported with file and row: folders keep the good files, tables refuse everything."""

from datetime import datetime

import pandas as pd
import pytest

from bigcats.intake import IntakeError, ingest
from bigcats.intake.camtrapr import read_camtrapr
from bigcats.intake.synthetic import jpeg_bytes, write_jpeg
from bigcats.intake.tables import read_table

T0 = datetime(2022, 3, 1, 22, 15, 0)


def stations_csv(path, rows):
    path.write_text("Station,utm_x,utm_y,Setup_date,Retrieval_date,Problem1_from,Problem1_to\n" + rows,
                    encoding="utf-8")
    return path


def test_folder_keeps_good_photos_and_lists_corrupt_and_exifless_ones(tmp_path):
    root = tmp_path / "cards"
    write_jpeg(root / "S01" / "a.jpg", T0, ["Species|tiger"])
    write_jpeg(root / "S01" / "b.jpg", T0.replace(minute=16), ["Species|tiger"], seed=1)
    (root / "S01" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe1\x40\x00garbage")  # segment runs past the end
    (root / "S01" / "notjpeg.jpg").write_bytes(b"GIF89a....")
    write_jpeg(root / "S01" / "noexif.jpg", None, ["Species|tiger"], seed=2)
    whole = jpeg_bytes(T0.replace(minute=20), ["Species|tiger"], seed=3)
    (root / "S01" / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (root / "S01" / "clip.mp4").write_bytes(b"\x00" * 10)
    frames, report = ingest(root, "p", format="images", pattern="{station}/*", utc_offset="+10:00")
    skipped = {s["file"]: s["code"] for s in report.skipped_files}
    assert skipped == {"S01/corrupt.jpg": "corrupt-image", "S01/notjpeg.jpg": "not-a-jpeg",
                       "S01/noexif.jpg": "missing-timestamp", "S01/clip.mp4": "bad-video"}  # videos are read now: this one is broken
    # The truncated copy still has its header: it comes in, with a warning naming it.
    assert sorted(frames.media["fileName"]) == ["a.jpg", "b.jpg", "truncated.jpg"]
    assert any(p.code == "truncated-image" and p.file == "S01/truncated.jpg" for p in report.warnings.problems)
    assert any(p.code == "no-exif" and p.file == "S01/noexif.jpg" for p in report.warnings.problems)
    assert report.status == "partial" and report.to_dict()["n_errors"] == 4
    assert set(frames.observations["scientificName"]) == {"Panthera tigris altaica"}
    # 22:15 at UTC+10 is 12:15 UTC.
    assert frames.media["timestamp"].min() == pd.Timestamp("2022-03-01 12:15", tz="UTC")


def test_photo_without_exif_takes_time_from_file_name(tmp_path):
    write_jpeg(tmp_path / "K7__2021-07-04__05-06-07.jpg", None, ["Species|leopard"])
    frames, report = ingest(tmp_path, "p", format="images", pattern="{station}__{date}__{time}*", utc_offset=480)
    assert frames.media["timestamp"].iloc[0] == pd.Timestamp("2021-07-03 21:06:07", tz="UTC")
    assert frames.observations["scientificName"].iloc[0] == "Panthera pardus orientalis"
    assert not report.errors


def test_1970_photo_is_flagged_not_dropped(tmp_path):
    write_jpeg(tmp_path / "S1" / "a.jpg", datetime(1970, 1, 1, 0, 0, 5), ["Species|tiger"])
    write_jpeg(tmp_path / "S1" / "b.jpg", T0, ["Species|tiger"], seed=1)
    frames, report = ingest(tmp_path, "p", format="images", pattern="{station}/*", utc_offset=600)
    assert len(frames.media) == 2
    flags = [p for p in report.warnings.problems if p.code == "impossible-timestamp"]
    assert [p.file for p in flags] == ["S1/a.jpg"]
    assert frames.deployments["timestampIssues"].all()
    # The deployment window comes from the plausible photo only.
    assert frames.deployments["deploymentStart"].iloc[0].year == 2022


def test_unknown_station_in_folder_is_skipped_and_listed(tmp_path):
    st = stations_csv(tmp_path / "st.csv", "S1,500000,4800000,01/03/2022,01/04/2022,,\n")
    write_jpeg(tmp_path / "img" / "S1" / "a.jpg", T0, ["Species|tiger"])
    write_jpeg(tmp_path / "img" / "S9" / "a.jpg", T0, ["Species|tiger"], seed=1)
    frames, report = ingest(tmp_path / "img", "p", format="images", pattern="{station}/*", utc_offset=600,
                            stations=st, utm_zone="52N")
    assert [s["file"] for s in report.skipped_files] == ["S9/a.jpg"]
    assert report.skipped_files[0]["code"] == "unknown-station"
    assert list(frames.media["deploymentID"]) == ["S1"]
    assert frames.deployments["latitude"].iloc[0] == pytest.approx(43.35, abs=0.05)


def test_deployment_ending_before_start_refuses_the_table_naming_the_row(tmp_path):
    st = stations_csv(tmp_path / "st.csv", "S1,500000,4800000,01/03/2022,01/04/2022,,\n"
                                            "S2,501000,4801000,05/04/2022,01/04/2022,,\n"
                                            "S3,502000,4802000,01/03/2022,xx/04/2022,,\n")
    with pytest.raises(IntakeError) as err:
        read_camtrapr(read_table(st), "p", 600, utm_zone="52N")
    codes = {(p.code, p.row) for p in err.value.problems.problems}
    assert ("deployment-ends-before-start", 3) in codes and ("bad-date", 4) in codes
    assert "st.csv" in str(err.value)


def test_unknown_station_and_label_in_record_table_refuse_all(tmp_path):
    st = stations_csv(tmp_path / "st.csv", "S1,500000,4800000,01/03/2022,01/04/2022,,\n")
    rec = tmp_path / "rec.csv"
    rec.write_text("Station,Species,DateTimeOriginal\nS1,tiger,2022-03-05 10:00:00\nS7,tiger,2022-03-06 10:00:00\n"
                   "S1,Leoprd,2022-03-07 10:00:00\n", encoding="utf-8")
    with pytest.raises(IntakeError) as err:
        ingest(st, "p", format="camtrapr", records=rec, utc_offset=600, utm_zone="52N")
    probs = err.value.problems.problems
    assert any(p.code == "unknown-station" and p.row == 3 and p.value == "S7" for p in probs)
    unknown = [p for p in probs if p.code == "unknown-label"]
    assert unknown and "leopard" in unknown[0].message.lower()


def test_unreadable_csv_row_is_reported_by_line(tmp_path):
    f = tmp_path / "rec.csv"
    f.write_text("Station,Species,DateTimeOriginal\nS1,tiger,2022-03-05 10:00:00\nS1,tiger\n", encoding="utf-8")
    with pytest.raises(IntakeError) as err:
        read_table(f)
    p = err.value.problems.problems[0]
    assert (p.code, p.row) == ("unreadable-row", 3)


RUSSIAN = [["Станция", "Вид", "Дата"], ["А-01", "Тигр амурский", "05.03.2022"], ["Б-02", "Леопард", "06.03.2022"]]
CHINESE = [["站点", "物种", "备注"], ["A01", "东北虎", "珲春自然保护区"], ["B02", "远东豹", "雪豹和老虎"]]


@pytest.mark.parametrize("encoding,sep,bom,rows", [
    ("cp1251", ";", False, RUSSIAN), ("gb18030", ",", False, CHINESE), ("gb18030", ";", False, RUSSIAN),
    ("utf-8", ";", True, CHINESE), ("utf-8", ",", False, RUSSIAN), ("cp1251", "\t", False, RUSSIAN)])
def test_tables_in_partner_encodings_and_separators(tmp_path, encoding, sep, bom, rows):
    text = "\r\n".join(sep.join(r) for r in rows) + "\r\n"
    f = tmp_path / "t.csv"
    f.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    df = read_table(f)
    assert list(df.columns) == rows[0]
    assert df.values.tolist() == rows[1:]
    assert df.attrs["separator"] == sep
