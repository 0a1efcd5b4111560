"""Write survey frames (Camtrap DP columns, UTC timestamps plus each deployment's clock offset) as a package."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bigcats.core.clock import utcnow_z
from bigcats import __version__
from bigcats.exchange.camtrapdp.exporter import PROFILE_URL, SCHEMA_URL, coverage, exif_with_hash, strict_json
from bigcats.exchange.camtrapdp.package import INDIVIDUALS_RESOURCE, OUTAGES_RESOURCE, table_schema
from bigcats.exchange.camtrapdp.timefmt import format_local


def _columns(name: str) -> list[str]:
    return [f["name"] for f in table_schema(name)["fields"]]


def _text_bool(values: pd.Series) -> pd.Series:
    return values.map({True: "true", False: "false"}).fillna("")


def write_package(out: str | Path, deployments: pd.DataFrame, media: pd.DataFrame, observations: pd.DataFrame,
                  outages: pd.DataFrame | None = None, individuals: pd.DataFrame | None = None,
                  metadata: dict | None = None) -> Path:
    """Write a Camtrap DP 1.0 package; deployments' country and protected area travel as deploymentTags."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    offsets = deployments.set_index("deploymentID")["utcOffset"] if "utcOffset" in deployments else None

    def offset_of(dep_ids: pd.Series) -> pd.Series:
        return dep_ids.map(offsets) if offsets is not None else pd.Series(0, index=dep_ids.index)

    deps = deployments.copy()
    tags = pd.Series("", index=deps.index)
    for key in ("country", "protectedArea", "partner"):
        if key in deps:
            part = (key + ":" + deps[key].astype(str)).where(deps[key].notna(), "")
            tags = tags.str.cat(part, sep=" | ").str.strip(" |")
    if "deploymentTags" in deps:
        tags = deps["deploymentTags"].fillna("").str.cat(tags, sep=" | ").str.strip(" |")
    deps["deploymentTags"] = tags
    deps["deploymentStart"] = format_local(deps["deploymentStart"], offset_of(deps["deploymentID"]))
    deps["deploymentEnd"] = format_local(deps["deploymentEnd"], offset_of(deps["deploymentID"]))
    deps.reindex(columns=_columns("deployments")).to_csv(out / "deployments.csv", index=False)

    m = media.copy()
    m["timestamp"] = format_local(m["timestamp"], offset_of(m["deploymentID"]))
    if "filePublic" not in m:
        m["filePublic"] = False  # photos of big cats are not public by default
    m["filePublic"] = _text_bool(m["filePublic"])
    m["exifData"] = exif_with_hash(m["exifData"] if "exifData" in m else pd.Series(None, index=m.index),
                                   m["sha256"] if "sha256" in m else pd.Series(None, index=m.index))
    m.reindex(columns=_columns("media")).to_csv(out / "media.csv", index=False)

    o = observations.copy()
    off = o["utcOffset"] if "utcOffset" in o else offset_of(o["deploymentID"])
    o["eventStart"] = format_local(o["eventStart"], off)
    o["eventEnd"] = format_local(o["eventEnd"], off)
    if "count" in o:
        o["count"] = o["count"].astype("Int64")
    o.reindex(columns=_columns("observations")).to_csv(out / "observations.csv", index=False)

    resources = [
        {"name": n, "path": f"{n}.csv", "profile": "tabular-data-resource", "format": "csv",
         "mediatype": "text/csv", "encoding": "utf-8", "schema": SCHEMA_URL.format(n)}
        for n in ("deployments", "media", "observations")
    ]
    if outages is not None and not outages.empty:
        oo = outages.copy()
        oo["start"] = format_local(oo["start"], offset_of(oo["deploymentID"]))
        oo["end"] = format_local(oo["end"], offset_of(oo["deploymentID"]))
        oo.reindex(columns=["deploymentID", "start", "end", "reason"]).to_csv(out / "deployment-outages.csv",
                                                                              index=False)
        resources.append({"name": OUTAGES_RESOURCE, "path": "deployment-outages.csv",
                          "profile": "tabular-data-resource", "format": "csv",
                          "description": "bigcats extension: periods when a camera did not work (no effort)."})
    if individuals is not None and not individuals.empty:
        individuals.to_csv(out / "individuals.csv", index=False)
        resources.append({"name": INDIVIDUALS_RESOURCE, "path": "individuals.csv",
                          "profile": "tabular-data-resource", "format": "csv",
                          "description": "Individuals: the partner's own code (individualID), and the shared "
                                         "transboundary catalogue code (catalogueID) where known."})
    species = sorted(observations["scientificName"].dropna().unique()) if "scientificName" in observations else []
    levels = sorted(set(o["observationLevel"].dropna()) & {"media", "event"}) if "observationLevel" in o else []
    capture = sorted(set(m["captureMethod"].dropna()) & {"activityDetection", "timeLapse"}) \
        if "captureMethod" in m else []
    project: dict = {"title": (metadata or {}).get("title") or "camera-trap survey",
                     "individualAnimals": bool("individualID" in o and o["individualID"].notna().any())}
    # Only what the data shows: the sampling design is not known from files, so it is not stated.
    if levels:
        project["observationLevel"] = levels
    if capture:
        project["captureMethod"] = capture
    descriptor = {
        "profile": PROFILE_URL,
        "name": "bigcats-package",
        "created": utcnow_z(),
        "sources": [{"title": "bigcats", "version": __version__}],
        "project": project,
        **coverage(deployments["longitude"] if "longitude" in deployments else pd.Series(dtype=float),
                   deployments["latitude"] if "latitude" in deployments else pd.Series(dtype=float),
                   deps["deploymentStart"], deps["deploymentEnd"]),
        "taxonomic": [{"scientificName": s} for s in species],
    }
    metadata = dict(metadata or {})
    project.update(metadata.pop("project", None) or {})  # what the caller knows (e.g. the design) is added
    descriptor.update(metadata)
    descriptor["resources"] = resources
    (out / "datapackage.json").write_text(strict_json(descriptor), encoding="utf-8")
    return out
