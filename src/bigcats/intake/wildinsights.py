"""Wildlife Insights exports: projects, cameras, deployments and images CSV files from one project download."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bigcats.intake.frames import SurveyFrames
from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.intake.tables import read_table
from bigcats.intake.timezones import deployments_with_issues, flag_timestamps, localize, parse_local_times
from bigcats.problems import Problem
from bigcats.taxonomy import observation_type, resolve_labels

NO_VALUE = {"", "No CV Result", "NA", "Unknown"}


def find_export_files(folder: str | Path) -> dict[str, Path]:
    """The export's CSV files by kind (projects, cameras, deployments, images); images and deployments required."""
    folder = Path(folder)
    found = {}
    for kind in ("projects", "cameras", "deployments", "images"):
        hits = sorted(folder.glob(f"*{kind}*.csv"))
        if hits:
            found[kind] = hits[0]
    missing = {"deployments", "images"} - set(found)
    if missing:
        raise IntakeError([Problem("missing-file", f"Wildlife Insights export lacks {kind}.csv", file=str(folder))
                           for kind in sorted(missing)], str(folder))
    return found


def _taxon(img: pd.DataFrame) -> pd.Series:
    """Finest taxon name WI gives per row: 'Genus species', else family/order/class, else the common name."""
    def col(name):
        s = img[name] if name in img else pd.Series(pd.NA, index=img.index, dtype="string")
        return s.mask(s.isin(NO_VALUE))
    genus, species = col("genus"), col("species")
    name = (genus.str.capitalize() + " " + species.str.lower()).where(genus.notna() & species.notna())
    for rank in ("genus", "family", "order", "class"):
        name = name.fillna(col(rank).str.capitalize())
    return name.fillna(col("common_name"))


def read_wildinsights(folder: str | Path, partner: str, utc_offset: int, user_map: pd.DataFrame | None = None,
                      country: str | None = None) -> tuple[SurveyFrames, IntakeReport]:
    """Survey frames from a Wildlife Insights export folder; all-or-nothing, every bad row listed."""
    files = find_export_files(folder)
    report = IntakeReport(source=str(folder), format="wildinsights", partner=partner)
    dep = read_table(files["deployments"])
    img = read_table(files["images"])
    dfile, ifile = str(files["deployments"]), str(files["images"])
    dlines = pd.Series(dep.attrs["lines"], index=dep.index)
    ilines = pd.Series(img.attrs["lines"], index=img.index)
    problems: list[Problem] = []
    for table, f, cols in ((dep, dfile, ("deployment_id", "start_date", "end_date")),
                           (img, ifile, ("deployment_id", "image_id", "timestamp"))):
        for c in cols:
            if c not in table.columns:
                problems.append(Problem("missing-column", "column missing", file=f, field=c))
    if problems:
        raise IntakeError(problems, str(folder))
    cams = read_table(files["cameras"]) if "cameras" in files else pd.DataFrame(columns=["camera_id"])
    start = parse_local_times(dep["start_date"])
    end = parse_local_times(dep["end_date"])
    for c, v in (("start_date", start), ("end_date", end)):
        for i in dep.index[v.isna()]:
            problems.append(Problem("bad-date", "missing or unreadable date", file=dfile, row=int(dlines[i]), field=c,
                                    value=str(dep.at[i, c])))
    for i in dep.index[start.notna() & end.notna() & (end <= start)]:
        problems.append(Problem("deployment-ends-before-start", "end_date is not after start_date", file=dfile,
                                row=int(dlines[i]), field="end_date"))
    lat = pd.to_numeric(dep.get("latitude"), errors="coerce")
    lon = pd.to_numeric(dep.get("longitude"), errors="coerce")
    for i in dep.index[lat.isna() | lon.isna() | ~lat.between(-90, 90) | ~lon.between(-180, 180)]:
        problems.append(Problem("bad-coordinates", "missing or invalid latitude/longitude", file=dfile,
                                row=int(dlines[i]), field="latitude"))
    local = parse_local_times(img["timestamp"])
    for i in img.index[local.isna()]:
        problems.append(Problem("bad-timestamp", "missing or unreadable timestamp", file=ifile, row=int(ilines[i]),
                                field="timestamp", value=str(img.at[i, "timestamp"])))
    for i in img.index[~img["deployment_id"].isin(dep["deployment_id"])]:
        problems.append(Problem("unknown-deployment", "deployment_id is not in deployments.csv", file=ifile,
                                row=int(ilines[i]), field="deployment_id", value=str(img.at[i, "deployment_id"])))
    blank = img.get("is_blank", pd.Series("0", index=img.index)).isin(["1", "TRUE", "true"]) | \
        img.get("common_name", pd.Series("", index=img.index)).str.lower().eq("blank")
    taxon = _taxon(img).mask(blank)
    for i in img.index[taxon.isna() & ~blank]:
        problems.append(Problem("missing-species", "no taxon and not blank", file=ifile, row=int(ilines[i]),
                                field="common_name"))
    if problems:
        raise IntakeError(problems, str(folder))

    cam_model = dep["camera_id"].map(cams.set_index("camera_id")["model"]) if "model" in cams and "camera_id" in dep \
        else pd.NA
    deployments = pd.DataFrame({
        "deploymentID": dep["deployment_id"], "locationID": dep.get("placename", dep["deployment_id"]),
        "locationName": dep.get("placename"), "latitude": lat, "longitude": lon,
        "deploymentStart": localize(start, utc_offset), "deploymentEnd": localize(end, utc_offset),
        "cameraID": dep.get("camera_id"), "cameraModel": cam_model, "utcOffset": utc_offset, "country": country,
        "partner": partner,
    })
    recs = pd.DataFrame({"locationID": img["deployment_id"].map(deployments.set_index("deploymentID")["locationID"]),
                         "local": local})
    recs["deploymentID"] = img["deployment_id"]
    recs["utcOffset"] = utc_offset
    recs["timestamp"] = localize(local, utc_offset)
    recs["line"] = ilines
    flag_timestamps(recs.assign(file=ifile), deployments, report, file_col="file", row_col="line")
    deployments["timestampIssues"] = deployments_with_issues(recs, deployments)

    res = resolve_labels(taxon, partner=partner, user_map=user_map)
    known = taxon.map(res.as_dict())
    for lab in res.unmatched["label"]:
        report.warn(Problem("taxon-not-in-list", "Wildlife Insights taxon not in the regional species list; kept as "
                            "given", file=ifile, value=str(lab)))
    typed = observation_type(known)
    sci = typed["scientificName"].fillna(taxon.where(known.isna()))
    otype = typed["observationType"].where(known.notna(), "animal").mask(blank, "blank")
    media_id = "wi:" + img["image_id"]
    media = pd.DataFrame({"mediaID": media_id, "deploymentID": img["deployment_id"],
                          "captureMethod": "activityDetection", "timestamp": recs["timestamp"],
                          "filePath": img.get("location", img.get("filename")), "fileName": img.get("filename"),
                          "fileMediatype": "image/jpeg"}).drop_duplicates("mediaID")
    cv = pd.to_numeric(img.get("cv_confidence"), errors="coerce")
    by = img.get("identified_by", pd.Series(pd.NA, index=img.index))
    machine = by.str.contains("Computer vision", case=False, na=False)
    obs = pd.DataFrame({
        "observationID": media_id + ":" + img.groupby("image_id").cumcount().add(1).astype(str),
        "deploymentID": img["deployment_id"], "locationID": recs["locationID"], "timestamp": recs["timestamp"],
        "utcOffset": utc_offset, "scientificName": sci.where(~blank), "observationType": otype,
        "count": pd.to_numeric(img.get("number_of_objects"), errors="coerce"),
        "individualID": img.get("individual_id"), "sex": img.get("sex"), "lifeStage": img.get("age"),
        "classificationMethod": np.where(machine, "machine", "human"), "classifiedBy": by,
        "classificationProbability": cv.where(machine), "mediaID": media_id,
        "observationTags": "label:" + img.get("common_name", taxon).fillna("").astype(str),
    })
    with_ind = obs[obs["individualID"].notna() & obs["scientificName"].notna()]
    individuals = (with_ind[["individualID", "scientificName"]].drop_duplicates()
                   .assign(partner=partner, partnerCode=lambda d: d["individualID"]))
    frames = SurveyFrames.build(deployments=deployments, media=media, observations=obs, individuals=individuals)
    report.finish(**frames.counts())
    return frames, report


__all__ = ["find_export_files", "read_wildinsights"]
