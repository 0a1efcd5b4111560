"""MegaDetector batch output: detections above a confidence threshold become machine observations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bigcats.intake.machine import join_media
from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.problems import Problem
from bigcats.taxonomy import observation_type, resolve_labels

CATEGORY_TYPES = {"animal": "animal", "person": "human", "human": "human", "vehicle": "vehicle"}


def load_json(path: str | Path) -> dict:
    """A JSON file as a dict, refusing it with the line of the syntax error."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise IntakeError([Problem("invalid-json", f"not valid JSON: {exc.msg}", file=str(path), row=exc.lineno)],
                          str(path)) from exc
    except OSError as exc:
        raise IntakeError([Problem("missing-file", f"cannot read: {exc.strerror}", file=str(path))], str(path)) from exc
    if not isinstance(data, dict):
        raise IntakeError([Problem("invalid-json", "expected a JSON object", file=str(path))], str(path))
    return data


def read_megadetector(data: dict, file: str = "megadetector.json") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(detections, images) tables from MegaDetector batch output (format 1.x)."""
    if "images" not in data or "detection_categories" not in data:
        raise IntakeError([Problem("not-megadetector", "no 'images' and 'detection_categories' keys",
                                   file=file)], file)
    images = pd.DataFrame(data["images"])
    if "failure" not in images:
        images["failure"] = None
    dets = images[["file", "detections"]].explode("detections").dropna(subset=["detections"])
    d = pd.DataFrame(dets["detections"].tolist(), index=dets.index)
    cats = {str(k): v for k, v in data["detection_categories"].items()}
    out = pd.DataFrame({"file": dets["file"], "category": d.get("category").astype(str).map(cats),
                        "conf": pd.to_numeric(d.get("conf"))})
    bbox = np.array([b if isinstance(b, list) and len(b) == 4 else [np.nan] * 4 for b in d.get("bbox")],
                    dtype=float).reshape(-1, 4)
    out[["bboxX", "bboxY", "bboxWidth", "bboxHeight"]] = bbox
    if "classifications" in d and "classification_categories" in data:
        ccats = {str(k): v for k, v in data["classification_categories"].items()}
        top = d["classifications"].map(lambda c: c[0] if isinstance(c, list) and c else [None, np.nan])
        out["class_label"] = top.map(lambda c: ccats.get(str(c[0]))).astype("string")
        out["class_conf"] = pd.to_numeric(top.map(lambda c: c[1]))
    return out.reset_index(drop=True), images[["file", "failure"]]


def megadetector_observations(data: dict, media: pd.DataFrame, partner: str, threshold: float,
                              report: IntakeReport, file: str, user_map: pd.DataFrame | None = None) -> pd.DataFrame:
    """Observations: one per detection at or above threshold; a photo without any is a blank."""
    if not 0 <= threshold <= 1:
        raise IntakeError([Problem("bad-option", "confidence threshold must be between 0 and 1", field="threshold",
                                   value=str(threshold))], file)
    dets, images = read_megadetector(data, file)
    for f, why in images.dropna(subset=["failure"]).itertuples(index=False):
        report.skip(str(f), Problem("detector-failure", f"MegaDetector could not read it: {why}", file=file,
                                    value=str(f)))
    ok_images = images[images["failure"].isna()][["file"]]
    kept = dets[dets["conf"] >= threshold].copy()
    blanks = ok_images[~ok_images["file"].isin(kept["file"])].assign(category="blank", conf=np.nan)
    preds = pd.concat([kept, blanks], ignore_index=True)
    preds = join_media(preds, media, report, file)
    otype = preds["category"].map(CATEGORY_TYPES).fillna(preds["category"]).astype("string")
    unknown = ~otype.isin(["animal", "human", "vehicle", "blank"])
    for c in otype[unknown].unique():
        report.warn(Problem("unknown-category", "detection category not animal/person/vehicle; kept as unknown",
                            file=file, value=str(c)))
    otype = otype.mask(unknown, "unknown")
    sci = pd.Series(pd.NA, index=preds.index, dtype="string").mask(otype.eq("human"), "Homo sapiens")
    prob = preds["conf"]
    if "class_label" in preds:
        classified = preds["class_conf"].ge(threshold) & otype.eq("animal")
        res = resolve_labels(preds.loc[classified, "class_label"], partner=partner, user_map=user_map)
        for p in res.problems(file=file, field="classifications"):
            report.warn(p)
        typed = observation_type(preds["class_label"].map(res.as_dict()))
        sci = sci.mask(classified & typed["scientificName"].notna(), typed["scientificName"])
        prob = prob.mask(classified, preds["class_conf"])
    detector = (data.get("info") or {}).get("detector", "MegaDetector")
    return pd.DataFrame({
        "observationID": preds["mediaID"] + ":md" + preds.groupby("mediaID").cumcount().add(1).astype(str),
        "deploymentID": preds["deploymentID"], "timestamp": preds["timestamp"], "mediaID": preds["mediaID"],
        "scientificName": sci, "observationType": otype, "classificationMethod": "machine",
        "classifiedBy": detector, "classificationProbability": prob,
        "bboxX": preds["bboxX"], "bboxY": preds["bboxY"], "bboxWidth": preds["bboxWidth"],
        "bboxHeight": preds["bboxHeight"], "observationTags": "label:" + preds["category"].astype(str),
    })
