"""MegaDetector, SpeciesNet and Wildlife Insights sources, resumable folders and duplicate photos."""

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from bigcats.cli.ingest import app
from bigcats.intake import IntakeError, detect_format, ingest
from bigcats.intake.images import scan_images
from bigcats.intake.synthetic import write_jpeg

T0 = datetime(2023, 1, 10, 3, 0, 0)


@pytest.fixture
def photos(tmp_path):
    root = tmp_path / "cards"
    for i in range(4):
        write_jpeg(root / "P01" / f"IMG{i}.JPG", T0 + timedelta(seconds=2 * i), seed=i, serial="CAM9")
    return root


def test_megadetector_threshold_boxes_and_blanks(photos):
    md = {"info": {"detector": "md_v5a.0.0.pt"}, "detection_categories": {"1": "animal", "2": "person", "3": "vehicle"},
          "images": [
              {"file": "P01/IMG0.JPG", "detections": [{"category": "1", "conf": 0.93, "bbox": [0.1, 0.2, 0.3, 0.4]},
                                                      {"category": "1", "conf": 0.05, "bbox": [0, 0, 0.1, 0.1]}]},
              {"file": "P01/IMG1.JPG", "detections": [{"category": "2", "conf": 0.8, "bbox": [0.5, 0.5, 0.1, 0.2]}]},
              {"file": "P01/IMG2.JPG", "detections": [{"category": "1", "conf": 0.1, "bbox": [0, 0, 1, 1]}]},
              {"file": "P01/IMG3.JPG", "failure": "Failure image access"},
              {"file": "P01/MISSING.JPG", "detections": []}]}
    (photos / "md.json").write_text(json.dumps(md))
    assert detect_format(photos / "md.json") == "megadetector"
    frames, report = ingest(photos / "md.json", "p", pattern="{station}/*", utc_offset=600, threshold=0.2)
    obs = frames.observations.set_index(frames.media.set_index("mediaID")["fileName"]
                                        .reindex(frames.observations["mediaID"]).to_numpy())
    assert obs.loc["IMG0.JPG", "observationType"] == "animal"
    assert obs.loc["IMG0.JPG", "classificationProbability"] == pytest.approx(0.93)
    assert obs.loc["IMG0.JPG", ["bboxX", "bboxY", "bboxWidth", "bboxHeight"]].tolist() == [0.1, 0.2, 0.3, 0.4]
    assert obs.loc["IMG1.JPG", "scientificName"] == "Homo sapiens"
    assert obs.loc["IMG2.JPG", "observationType"] == "blank"  # only detection below the threshold
    assert set(obs["classificationMethod"]) == {"machine"} and set(obs["classifiedBy"]) == {"md_v5a.0.0.pt"}
    skipped = {s["file"]: s["code"] for s in report.skipped_files}
    assert skipped == {"P01/IMG3.JPG": "detector-failure", "P01/MISSING.JPG": "unknown-file"}
    assert frames.media["timestamp"].min() == pd.Timestamp("2023-01-09 17:00", tz="UTC")


def test_speciesnet_predictions(photos):
    tiger = "a1;mammalia;carnivora;felidae;panthera;tigris;tiger"
    sn = {"predictions": [
        {"filepath": "P01/IMG0.JPG", "prediction": tiger, "prediction_score": 0.91, "model_version": "4.0.1a",
         "detections": [{"category": "1", "label": "animal", "conf": 0.9, "bbox": [0.2, 0.1, 0.3, 0.3]}]},
        {"filepath": "P01/IMG1.JPG", "prediction": "f1;;;;;;blank", "prediction_score": 0.99, "detections": []},
        {"filepath": "P01/IMG2.JPG", "prediction": tiger, "prediction_score": 0.3, "detections": []},
        {"filepath": "P01/IMG3.JPG", "prediction": "b2;mammalia;carnivora;mustelidae;;;mustelid family",
         "prediction_score": 0.8, "detections": []}]}
    (photos / "sn.json").write_text(json.dumps(sn))
    # SpeciesNet names the species; this partner's map says every tiger here is the Amur tiger.
    user = pd.DataFrame({"label": ["Panthera tigris"], "scientificName": ["Panthera tigris altaica"]})
    frames, report = ingest(photos / "sn.json", "p", pattern="{station}/*", utc_offset=600, threshold=0.5,
                            label_map=user)
    plain, _ = ingest(photos / "sn.json", "p", pattern="{station}/*", utc_offset=600, threshold=0.5)
    assert "Panthera tigris" in set(plain.observations["scientificName"])
    names = frames.media.set_index("mediaID")["fileName"]
    obs = frames.observations.assign(f=frames.observations["mediaID"].map(names)).set_index("f")
    assert obs.loc["IMG0.JPG", "scientificName"] == "Panthera tigris altaica"
    assert obs.loc["IMG0.JPG", "bboxX"] == pytest.approx(0.2)
    assert obs.loc["IMG1.JPG", "observationType"] == "blank"
    assert obs.loc["IMG2.JPG", "observationType"] == "unclassified"
    assert obs.loc["IMG3.JPG", "scientificName"] == "Mustelidae"
    assert any(p.code == "taxon-not-in-list" for p in report.warnings.problems)


def test_wildlife_insights_export(tmp_path):
    (tmp_path / "projects.csv").write_text("project_id,project_name\n1,Land of the Leopard\n")
    (tmp_path / "cameras.csv").write_text("project_id,camera_id,make,model,serial_number\n1,c1,Reconyx,HC600,X1\n")
    (tmp_path / "deployments.csv").write_text(
        "project_id,deployment_id,placename,longitude,latitude,start_date,end_date,camera_id\n"
        "1,d1,LL-07,131.4,43.1,2021-01-01 00:00:00,2021-03-01 00:00:00,c1\n")
    (tmp_path / "images.csv").write_text(
        "project_id,deployment_id,image_id,filename,location,is_blank,identified_by,class,order,family,genus,species,"
        "common_name,uncertainty,timestamp,number_of_objects,sex,age,individual_id,cv_confidence\n"
        "1,d1,i1,a.jpg,gs://x/a.jpg,0,Ann,Mammalia,Carnivora,Felidae,Panthera,pardus,Leopard,,2021-02-01 22:00:00,1,"
        "Male,Adult,LL-M1,\n"
        "1,d1,i2,b.jpg,gs://x/b.jpg,1,Computer vision,,,,,,Blank,,2021-02-02 10:00:00,,,,,0.97\n")
    assert detect_format(tmp_path) == "wildinsights"
    frames, report = ingest(tmp_path, "ltl", utc_offset="+10:00")
    obs = frames.observations.set_index("mediaID")
    assert obs.loc["wi:i1", "scientificName"] == "Panthera pardus"
    assert obs.loc["wi:i1", "individualID"] == "LL-M1" and obs.loc["wi:i1", "sex"] == "Male"
    assert obs.loc["wi:i2", "observationType"] == "blank" and obs.loc["wi:i2", "classificationMethod"] == "machine"
    assert obs.loc["wi:i1", "timestamp"] == pd.Timestamp("2021-02-01 12:00", tz="UTC")
    assert frames.deployments["cameraModel"].iloc[0] == "HC600"
    (tmp_path / "images.csv").write_text((tmp_path / "images.csv").read_text().replace("d1,i2", "d9,i2"))
    with pytest.raises(IntakeError, match="deployment_id"):
        ingest(tmp_path, "ltl", utc_offset="+10:00")


def test_resumable_manifest_rereads_only_new_files(photos, tmp_path):
    manifest = tmp_path / "m.jsonl"
    meta, _ = scan_images(photos, manifest=manifest)
    assert (~meta["cached"]).sum() == 4
    write_jpeg(photos / "P01" / "IMG9.JPG", T0 + timedelta(minutes=5), seed=9)
    # Simulate an interrupted write: a cut line at the end must be ignored.
    with open(manifest, "a") as fh:
        fh.write('{"rel": "P01/IMG')
    meta, _ = scan_images(photos, manifest=manifest)
    assert meta["cached"].sum() == 4 and (~meta["cached"]).sum() == 1
    frames, report = ingest(photos, "p", format="images", pattern="{station}/*", utc_offset=600, manifest=manifest,
                            only_new=True)
    assert report.counts["read"] == 0 and report.counts["reused_from_manifest"] == 5
    assert len(frames.media) == 0  # nothing new since the last run


def test_same_photo_twice_is_one_media_and_sequences_split_on_gaps(photos):
    (photos / "copy").mkdir()
    (photos / "copy" / "IMG0.JPG").write_bytes((photos / "P01" / "IMG0.JPG").read_bytes())
    write_jpeg(photos / "P01" / "late.JPG", T0 + timedelta(hours=2), seed=7, serial="CAM9")
    frames, report = ingest(photos, "p", format="images", pattern="{station}/*", utc_offset=600)
    assert len(frames.media) == 5 and frames.media["sha256"].is_unique
    assert [p.file for p in report.warnings.problems if p.code == "duplicate-file"] == ["copy/IMG0.JPG"]
    # Camera serial from EXIF names the deployment.
    assert set(frames.media["deploymentID"]) == {"P01_CAM9"}


def test_cli_ingest_json_and_labels():
    runner = CliRunner()
    r = runner.invoke(app, ["labels", "ирвэс", "Tigr amurskiy"])
    assert r.exit_code == 1 and "Panthera uncia" in r.output and "closest" in r.output
    r = runner.invoke(app, ["ingest", "/nonexistent/x", "--partner", "p"])
    assert r.exit_code == 1


def test_camtrap_dp_package_reads_into_frames_with_offsets():
    from pathlib import Path

    pkg = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "camtrap-dp-example"
    if not pkg.exists():
        pytest.skip("shared Camtrap DP example not present")
    assert detect_format(pkg) == "camtrapdp"
    frames, _ = ingest(pkg, "inbo")
    raw = pd.read_csv(pkg / "deployments.csv", dtype=str)
    assert len(frames.deployments) == len(raw)
    dep = frames.deployments.set_index("deploymentID")
    # '2020-05-30T04:57:37+02:00' is 02:57:37 UTC with a +120 minute local clock.
    assert dep.loc["00a2c20d", "deploymentStart"] == pd.Timestamp("2020-05-30 02:57:37", tz="UTC")
    assert dep.loc["00a2c20d", "utcOffset"] == 120
    assert len(frames.observations) == len(pd.read_csv(pkg / "observations.csv", dtype=str))
