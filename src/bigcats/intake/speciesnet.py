"""SpeciesNet predictions: the ensemble's species prediction per photo, with score and top detection box."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bigcats.intake.machine import join_media
from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.problems import Problem
from bigcats.taxonomy import observation_type, resolve_labels

BLANK, HUMAN, VEHICLE = "blank", "human", "vehicle"


def parse_taxon(labels: pd.Series) -> pd.DataFrame:
    """SpeciesNet 'uuid;class;order;family;genus;species;common name' → scientific name of the finest rank, common."""
    parts = pd.Series(labels, dtype="string").str.split(";", expand=True).reindex(columns=range(7))
    genus, species = parts[4].fillna(""), parts[5].fillna("")
    binomial = (genus.str.capitalize() + " " + species.str.lower()).str.strip()
    coarser = parts[3].fillna("").where(parts[3].fillna("").ne(""), parts[2].fillna("")).where(
        lambda s: s.ne(""), parts[1].fillna(""))
    name = binomial.where(genus.ne(""), coarser.str.capitalize())
    return pd.DataFrame({"scientificName": name.mask(name.eq("")), "common": parts[6].str.strip().str.lower()})


def speciesnet_observations(data: dict, media: pd.DataFrame, partner: str, threshold: float, report: IntakeReport,
                            file: str, user_map: pd.DataFrame | None = None) -> pd.DataFrame:
    """Observations from SpeciesNet's predictions JSON: below threshold a photo stays unclassified."""
    if "predictions" not in data:
        raise IntakeError([Problem("not-speciesnet", "no 'predictions' key", file=file)], file)
    pred = pd.DataFrame(data["predictions"])
    if "failures" in pred:
        failed = pred["failures"].map(lambda f: bool(f) if isinstance(f, list) else False)
        for f in pred.loc[failed, "filepath"]:
            report.skip(str(f), Problem("detector-failure", "SpeciesNet failed on this photo", file=file,
                                        value=str(f)))
        pred = pred[~failed]
    pred = pred.dropna(subset=["prediction"]).rename(columns={"filepath": "file"})
    taxon = parse_taxon(pred["prediction"])
    score = pd.to_numeric(pred.get("prediction_score"))
    top = pred.get("detections", pd.Series([[]] * len(pred), index=pred.index)).map(
        lambda ds: max(ds, key=lambda d: d.get("conf", 0)) if isinstance(ds, list) and ds else {})
    bbox = np.array([d.get("bbox", [np.nan] * 4) for d in top], dtype=float).reshape(-1, 4)
    df = pd.DataFrame({"file": pred["file"].to_numpy(), "sci": taxon["scientificName"].to_numpy(),
                       "common": taxon["common"].to_numpy(), "score": score.to_numpy(),
                       "version": pred.get("model_version", pd.Series("SpeciesNet", index=pred.index)).to_numpy()})
    df[["bboxX", "bboxY", "bboxWidth", "bboxHeight"]] = bbox
    df = join_media(df, media, report, file)
    confident = df["score"].ge(threshold)
    special = df["common"].isin([BLANK, HUMAN, VEHICLE]) & df["sci"].isna()
    label = df["sci"].fillna(df["common"])
    res = resolve_labels(label[confident & ~special], partner=partner, user_map=user_map)
    known = label.map(res.as_dict())
    # A taxon outside the regional list (e.g. a family rolled up by the ensemble) keeps its own name.
    typed = observation_type(known)
    sci = typed["scientificName"].fillna(df["sci"]).where(~special)
    otype = typed["observationType"].where(known.notna(), "animal")
    otype = otype.mask(special, df["common"].map({BLANK: "blank", HUMAN: "human", VEHICLE: "vehicle"}))
    sci = sci.mask(df["common"].eq(HUMAN), "Homo sapiens")
    for lab in res.unmatched["label"]:
        report.warn(Problem("taxon-not-in-list", "SpeciesNet taxon is not in the regional species list; kept as "
                            "given", file=file, value=str(lab)))
    otype = otype.where(confident, "unclassified")
    sci = sci.where(confident)
    return pd.DataFrame({
        "observationID": df["mediaID"] + ":sn1", "deploymentID": df["deploymentID"], "timestamp": df["timestamp"],
        "mediaID": df["mediaID"], "scientificName": sci, "observationType": otype,
        "classificationMethod": "machine", "classifiedBy": df["version"].astype(str).radd("SpeciesNet "),
        "classificationProbability": df["score"], "bboxX": df["bboxX"], "bboxY": df["bboxY"],
        "bboxWidth": df["bboxWidth"], "bboxHeight": df["bboxHeight"],
        "observationTags": "label:" + label.fillna("").astype(str),
    })
