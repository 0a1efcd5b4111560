"""Darwin Core Archive for publishing to GBIF: an Occurrence core, an Audubon/Audiovisual Media Description
extension, meta.xml and eml.xml, as R camtrapdp's `write_dwc()` and GBIF's Camtrap DP ingestion define them
(Reyserhove et al. 2023, "Best practices for managing and publishing camera trap data",
doi:10.35035/doc-0qzp-2x37).

One occurrence per animal observation (`observationType = animal`) of one observation level per project (event-
based where the project has them, else media-based: never both, which would count animals twice). Media are
linked to media-based observations by `mediaID`, to event-based ones by deployment and time (the media taken
between the event's start and end), and repeated where they show several observations.

Differences from camtrapdp, and why:
- eventDate, samplingEffort, CreateDate are written in the camera's local time with its offset
  (`2021-04-05T22:15:00+10:00`), an ISO 8601 form GBIF reads, so that the local date of a night's record is kept.
- Locations are published as the public may see them (`bigcats.web.visibility.apply_precision`, the rule of the
  web pages and downloads): a station where a sensitive species was ever recorded is generalised to the centre of
  its 10 km equal-area cell, with `coordinateUncertaintyInMeters` the cell's half diagonal and a sentence in
  `dataGeneralizations`; such a station's `locality` name is left out, and no media file of it is linked.
- Local file paths are never written as `accessURI` (only http(s) URLs of files marked public): a path can carry
  a user's name or a place.
"""

from __future__ import annotations

import io
import math
import uuid
import zipfile
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from bigcats.exchange.camtrapdp.exporter import _Scope, coverage
from bigcats.exchange.camtrapdp.timefmt import format_local
from bigcats.store.models import Deployment, Individual, Media, Observation, Partner, Project, Species, Station

DWC = "http://rs.tdwg.org/dwc/terms/"
DC = "http://purl.org/dc/terms/"
AC = "http://rs.tdwg.org/ac/terms/"
OCCURRENCE_TERMS = [
    ("type", DC), ("license", DC), ("rightsHolder", DC), ("datasetID", DWC), ("collectionCode", DWC),
    ("datasetName", DWC), ("basisOfRecord", DWC), ("dataGeneralizations", DWC), ("occurrenceID", DWC),
    ("individualCount", DWC), ("sex", DWC), ("lifeStage", DWC), ("behavior", DWC), ("occurrenceStatus", DWC),
    ("occurrenceRemarks", DWC), ("organismID", DWC), ("eventID", DWC), ("parentEventID", DWC),
    ("eventDate", DWC), ("habitat", DWC), ("samplingProtocol", DWC), ("samplingEffort", DWC),
    ("eventRemarks", DWC), ("locationID", DWC), ("locality", DWC), ("minimumDepthInMeters", DWC),
    ("maximumDepthInMeters", DWC), ("minimumDistanceAboveSurfaceInMeters", DWC),
    ("maximumDistanceAboveSurfaceInMeters", DWC), ("decimalLatitude", DWC), ("decimalLongitude", DWC),
    ("geodeticDatum", DWC), ("coordinateUncertaintyInMeters", DWC), ("coordinatePrecision", DWC),
    ("identifiedBy", DWC), ("dateIdentified", DWC), ("identificationVerificationStatus", DWC),
    ("identificationRemarks", DWC), ("taxonID", DWC), ("scientificName", DWC), ("kingdom", DWC),
]
MULTIMEDIA_TERMS = [
    ("occurrenceID", DWC), ("identifier", DC), ("dc:type", "http://purl.org/dc/elements/1.1/type"),
    ("comments", AC), ("dcterms:rights", "http://purl.org/dc/terms/rights"),
    ("CreateDate", "http://ns.adobe.com/xap/1.0/CreateDate"), ("captureDevice", AC),
    ("resourceCreationTechnique", AC), ("accessURI", AC), ("dc:format", "http://purl.org/dc/terms/format"),
    ("serviceExpectation", AC),
]
FEATURES = {"roadPaved": "paved road", "roadDirt": "dirt road", "trailHiking": "hiking trail",
            "trailGame": "game trail", "roadUnderpass": "road underpass", "roadOverpass": "road overpass",
            "roadBridge": "road bridge", "culvert": "culvert", "burrow": "burrow", "nestSite": "nest site",
            "carcass": "carcass", "waterSource": "water source", "fruitingTree": "fruiting tree"}


def _term_uri(name: str, ns: str) -> str:
    return ns if ns.startswith("http") and not ns.endswith("/") else ns + name.split(":")[-1]


def _engine(engine_or_store) -> Engine:
    if isinstance(engine_or_store, Engine):
        return engine_or_store
    from bigcats.store.db import open_store

    return open_store(engine_or_store)


def _text(values: pd.Series) -> pd.Series:
    """Values as text for the CSV: missing, NaN and infinity are empty cells, never 'nan'."""
    def one(v: object) -> str:
        if v is None or v is pd.NA or v is pd.NaT:
            return ""
        if isinstance(v, float):
            if not math.isfinite(v):
                return ""
            return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
        if isinstance(v, (np.floating,)):
            return one(float(v))
        if isinstance(v, (np.integer,)):
            return str(int(v))
        return str(v)
    return values.map(one).astype(object)


def _project_meta(projects: pd.DataFrame, partner_names: dict[str, str]) -> pd.DataFrame:
    """Record-level terms per project, from the partner's own package metadata where it gave them."""
    rows = []
    for p in projects.itertuples():
        d = p.descriptor if isinstance(p.descriptor, dict) else {}
        licenses = [x for x in d.get("licenses", []) if isinstance(x, dict)]
        contributors = [c for c in d.get("contributors", []) if isinstance(c, dict)]
        sources = [s for s in d.get("sources", []) if isinstance(s, dict) and s.get("title") != "bigcats"]
        holder = next((c.get("title") for c in contributors if c.get("role") == "rightsHolder"), None)
        precision = d.get("coordinatePrecision")
        rows.append({
            "project_id": p.id,
            "license": next((x.get("name") for x in licenses if x.get("scope") == "data"), None),
            "media_license": next((x.get("name") for x in licenses if x.get("scope") == "media"), None),
            "rightsHolder": holder or partner_names.get(p.partner),
            "datasetID": d.get("id") or p.code,
            "collectionCode": sources[0].get("title") if sources else p.partner,
            "datasetName": d.get("title") or p.code,
            "coordinatePrecision": precision if isinstance(precision, (int, float)) else None,
        })
    return pd.DataFrame(rows)


def _stations(engine: Engine, scope: _Scope, visibility_scope) -> pd.DataFrame:
    """Deployments with their station's position as the public (or the given scope) may see it."""
    from bigcats.web.visibility import PUBLIC, Scope, SensitiveStations, apply_precision

    q = (select(Deployment.id.label("deployment_db_id"), Deployment.project_id, Deployment.source_id,
                Deployment.start_utc, Deployment.end_utc, Deployment.utc_offset, Deployment.camera_model,
                Deployment.camera_height, Deployment.camera_depth, Deployment.bait_use, Deployment.feature_type,
                Deployment.habitat, Deployment.comments, Station.id.label("_station_id"),
                Project.partner_id.label("_partner_id"), Station.code.label("locationID"),
                Station.name.label("locationName"), Station.latitude, Station.longitude,
                Station.coordinate_uncertainty.label("coordinateUncertainty"))
         .join(Station, Deployment.station_id == Station.id).join(Project, Deployment.project_id == Project.id)
         .where(Deployment.project_id.in_(scope.ids)))
    with engine.connect() as conn:
        deps = pd.DataFrame(conn.execute(q).mappings().all())
        sensitive = SensitiveStations().get(conn)
    if deps.empty:
        return deps
    deps["coordinateUncertainty"] = deps["coordinateUncertainty"].astype("float64")
    exact = deps[["latitude", "longitude"]].astype(float).to_numpy()
    shown = apply_precision(deps, visibility_scope or Scope(PUBLIC, {}), sensitive,
                            station_col="_station_id", partner_col="_partner_id")
    hidden = (shown["precision"] == "generalised").to_numpy()
    # The exact positions of generalised stations, only to find and remove them from free text (never written).
    shown.attrs["hidden_coordinates"] = exact[hidden].ravel()
    return shown


def _taxon_ids(projects: pd.DataFrame, o: pd.DataFrame) -> pd.Series:
    """taxonID of each row's taxon as its project's package metadata gives it (`taxonomic`), else empty."""
    ids = {}
    for p in projects.itertuples():
        d = p.descriptor if isinstance(p.descriptor, dict) else {}
        for t in d.get("taxonomic", []) if isinstance(d.get("taxonomic"), list) else []:
            if isinstance(t, dict) and t.get("taxonID") and t.get("scientificName"):
                ids[(p.id, t["scientificName"])] = str(t["taxonID"])
    return pd.Series([ids.get((pid, n)) for pid, n in zip(o["project_id"], o["scientific_name"], strict=True)],
                     index=o.index, dtype=object)


def _remarks(d: pd.DataFrame, tags: pd.Series) -> pd.Series:
    bait = d["bait_use"]
    feature = d["feature_type"].map(FEATURES)
    first = np.where(bait.eq(True), "camera trap with bait",
                     np.where(bait.eq(False), "camera trap without bait",
                              np.where(feature.notna(), "camera trap", "")))
    text = pd.Series(first, index=d.index).astype(object)
    text = text + np.where(feature.notna(), " near " + feature.fillna(""), "")
    text = text + np.where(tags.notna() & tags.ne(""), " | tags: " + tags.fillna(""), "")
    comments = d["comments_dep"] if "comments_dep" in d else pd.Series(None, index=d.index)
    text = text + np.where(comments.notna(), " | " + comments.fillna("").astype(str), "")
    return text.str.strip(" |")


def export_dwca(engine_or_store, out_path: str | Path, *, partner: str | None = None, project: str | None = None,
                species: list[str] | None = None, observation_level: str | None = None,
                visibility_scope=None) -> Path:
    """Write a Darwin Core Archive (zip) of the chosen animal observations for GBIF; returns its path.

    `engine_or_store` is an engine or a database URL; `partner`/`project` choose what (as for the Camtrap DP
    export), `species` keeps only these scientific names; `observation_level` ("event" or "media") overrides the
    per-project choice. Locations are those the public may see; with `visibility_scope` (a
    `bigcats.web.visibility.Scope`, e.g. for the web's downloads) only the rows that scope may see are written, at
    the precision it may see them. Raises LookupError when nothing matches.
    """
    engine = _engine(engine_or_store)
    scope = _Scope(engine, partner, project)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        partner_names = dict(conn.execute(select(Partner.code, Partner.name)).all())
    meta = _project_meta(scope.projects, partner_names)
    deps = _stations(engine, scope, visibility_scope)

    q = (select(Observation.source_id, Observation.deployment_id, Observation.media_id, Observation.event_id,
                Observation.event_start_utc, Observation.event_end_utc, Observation.utc_offset, Observation.level,
                Observation.count, Observation.sex, Observation.life_stage, Observation.behavior,
                Observation.comments, Observation.tags, Observation.classification_method,
                Observation.classified_by, Observation.classification_timestamp,
                Observation.classification_probability, Species.scientific_name, Individual.code.label("organism"),
                Deployment.project_id, Project.partner_id.label("_partner_id"), Observation.species_id)
         .join(Deployment, Observation.deployment_id == Deployment.id)
         .join(Project, Deployment.project_id == Project.id)
         .join(Species, Observation.species_id == Species.id)
         .outerjoin(Individual, Observation.individual_id == Individual.id)
         .where(Deployment.project_id.in_(scope.ids), Observation.type == "animal"))
    if species:
        q = q.where(Species.scientific_name.in_(species))
    with engine.connect() as conn:
        obs = pd.DataFrame(conn.execute(q).mappings().all())
    if obs.empty:
        obs = pd.DataFrame(columns=[c.name for c in q.selected_columns])
    if visibility_scope is not None and len(obs):
        # A signed-in caller (the web's downloads) gets only the partners and species it may see.
        from bigcats.web.visibility import row_mask

        obs = obs[row_mask(visibility_scope, obs["_partner_id"], obs["species_id"])]
    # One observation level per project: the requested one, else events where the project has them.
    if observation_level:
        chosen = {pid: observation_level for pid in scope.ids}
    else:
        has_event = set(obs.loc[obs["level"] == "event", "project_id"]) if len(obs) else set()
        chosen = {pid: "event" if pid in has_event else "media" for pid in scope.ids}
    obs = obs[obs["level"] == obs["project_id"].map(chosen)].copy()
    if obs.empty:  # nothing to publish: an archive with the headers only, still valid
        occurrence = pd.DataFrame(columns=[name for name, _ in OCCURRENCE_TERMS])
        multimedia = pd.DataFrame(columns=[name for name, _ in MULTIMEDIA_TERMS])
        _write_archive(out, occurrence, multimedia, _eml(scope, meta, occurrence, partner_names))
        return out
    obs["occurrenceID"] = scope.ids_with_prefix(obs["project_id"], obs["source_id"])

    d = deps.set_index("deployment_db_id") if not deps.empty else pd.DataFrame()
    o = obs.merge(d.drop(columns=["project_id"]), left_on="deployment_id", right_index=True, how="left",
                  suffixes=("", "_dep"))
    o = o.merge(meta, on="project_id", how="left")
    o = o.sort_values(["deployment_id", "event_start_utc", "occurrenceID"]).reset_index(drop=True)
    start = format_local(o["event_start_utc"], o["utc_offset"])
    end = format_local(o["event_end_utc"], o["utc_offset"])
    generalised = o["precision"].eq("generalised") if "precision" in o else pd.Series(False, index=o.index)
    cell_km = 10
    general_note = np.where(generalised, f"coordinates generalised to the centre of a {cell_km} km equal-area cell "
                            "(a sensitive species was recorded at this station)", "")
    precision_note = np.where(o["coordinatePrecision"].notna(),
                              "coordinates rounded to " + o["coordinatePrecision"].astype(str) + " degree", "")
    probability = pd.to_numeric(o["classification_probability"], errors="coerce")
    dep_id = scope.ids_with_prefix(o["project_id"], o["source_id_dep"]) if "source_id_dep" in o else o["deployment_id"]
    occurrence = pd.DataFrame({
        "type": "Image",
        "license": o["license"],
        "rightsHolder": o["rightsHolder"],
        "datasetID": o["datasetID"],
        "collectionCode": o["collectionCode"],
        "datasetName": o["datasetName"],
        "basisOfRecord": "MachineObservation",
        "dataGeneralizations": pd.Series([" | ".join(x for x in pair if x) for pair in
                                          zip(general_note, precision_note, strict=True)], index=o.index),
        "occurrenceID": o["occurrenceID"],
        "individualCount": o["count"].astype("Int64"),
        "sex": o["sex"],
        "lifeStage": o["life_stage"],
        "behavior": o["behavior"],
        "occurrenceStatus": "present",
        "occurrenceRemarks": o["comments"],
        "organismID": o["organism"],
        "eventID": o["event_id"],
        "parentEventID": dep_id,
        "eventDate": np.where(o["event_start_utc"] == o["event_end_utc"], start, start + "/" + end),
        "habitat": o["habitat"],
        "samplingProtocol": "camera trap",
        "samplingEffort": format_local(o["start_utc"], o["utc_offset_dep"]) + "/" +
        format_local(o["end_utc"], o["utc_offset_dep"]),
        "eventRemarks": _remarks(o, o["tags"]),
        "locationID": o["locationID"],
        "locality": o["locationName"].where(~generalised, None),
        "minimumDepthInMeters": o["camera_depth"],
        "maximumDepthInMeters": o["camera_depth"],
        "minimumDistanceAboveSurfaceInMeters": o["camera_height"],
        "maximumDistanceAboveSurfaceInMeters": o["camera_height"],
        "decimalLatitude": o["latitude"],
        "decimalLongitude": o["longitude"],
        "geodeticDatum": "EPSG:4326",
        "coordinateUncertaintyInMeters": pd.to_numeric(o["coordinateUncertainty"]).round().astype("Int64"),
        "coordinatePrecision": o["coordinatePrecision"],
        "identifiedBy": o["classified_by"],
        "dateIdentified": o["classification_timestamp"],
        "identificationVerificationStatus": np.where(
            o["classification_method"].eq("human") & probability.eq(1), "verified using recorded media", None),
        "identificationRemarks": ("classified" + np.where(o["classification_method"].notna(),
                                                          " by a " + o["classification_method"].fillna(""), "")
                                  + np.where(probability.notna(),
                                             " with " + (probability * 100).round(1).map(
                                                 lambda v: f"{v:g}") + "% certainty", "")),
        "taxonID": _taxon_ids(scope.projects, o),
        "scientificName": o["scientific_name"],
        "kingdom": "Animalia",
    })
    multimedia = _multimedia(engine, o, generalised)
    eml = _eml(scope, meta, occurrence, partner_names)
    coords = deps.attrs.get("hidden_coordinates", np.empty(0)) if not deps.empty else np.empty(0)
    if len(coords):
        # Remarks, names and descriptions are free text that can quote a generalised station's position: the
        # one sanitiser of what leaves the server removes it (web.visibility).
        from bigcats.web.visibility import scrub_frame, scrub_text

        keep = {"decimalLatitude", "decimalLongitude", "coordinateUncertaintyInMeters", "eventDate"}
        occurrence = scrub_frame(occurrence, generalised.to_numpy(dtype=bool), coords, keep)
        multimedia = scrub_frame(multimedia, np.ones(len(multimedia), bool), coords, keep)
        eml = scrub_text(eml, coords)
    _write_archive(out, occurrence, multimedia, eml)
    return out


def _multimedia(engine: Engine, o: pd.DataFrame, generalised: pd.Series) -> pd.DataFrame:
    """The media of each occurrence: by mediaID for media-based, by deployment and time for event-based ones."""
    columns = [name for name, _ in MULTIMEDIA_TERMS]
    if o.empty:
        return pd.DataFrame(columns=columns)
    dep_ids = sorted(set(o["deployment_id"]))
    q = (select(Media.id, Media.deployment_id, Media.source_id, Media.capture_method, Media.timestamp_utc,
                Media.utc_offset, Media.file_path, Media.file_public, Media.file_name, Media.file_mediatype,
                Media.favorite, Media.comments)
         .where(Media.deployment_id.in_(dep_ids)))
    with engine.connect() as conn:
        media = pd.DataFrame(conn.execute(q).mappings().all())
    if media.empty:
        return pd.DataFrame(columns=columns)
    pairs = []
    by_media = o[o["level"] == "media"]
    if not by_media.empty:
        pairs.append(pd.DataFrame({"row": by_media.index, "media": by_media["media_id"]}).dropna())
    events = o[o["level"] == "event"]
    if not events.empty:
        media = media.sort_values(["deployment_id", "timestamp_utc"])
        for dep, ev in events.groupby("deployment_id"):
            m = media[media["deployment_id"] == dep]
            ts = m["timestamp_utc"].to_numpy()
            lo = np.searchsorted(ts, ev["event_start_utc"].to_numpy(), side="left")
            hi = np.searchsorted(ts, ev["event_end_utc"].to_numpy(), side="right")
            n = hi - lo
            rows = np.repeat(ev.index.to_numpy(), n)
            idx = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)]) if n.sum() else []
            pairs.append(pd.DataFrame({"row": rows, "media": m["id"].to_numpy()[np.asarray(idx, dtype=int)]}))
    if not pairs:
        return pd.DataFrame(columns=columns)
    link = pd.concat(pairs, ignore_index=True)
    link["media"] = link["media"].astype("int64")
    j = link.join(o[["occurrenceID", "camera_model", "media_license"]], on="row") \
        .merge(media, left_on="media", right_on="id", how="inner")
    j["hidden"] = generalised.reindex(j["row"]).to_numpy()
    path = j["file_path"].fillna("").astype(str)
    online = path.str.match(r"^https?://") & j["file_public"].fillna(False).astype(bool) & ~j["hidden"]
    favorite = j["favorite"].eq(True)
    comments = np.where(favorite & j["comments"].notna(), "marked as favorite | " + j["comments"].fillna(""),
                        np.where(favorite, "marked as favorite", j["comments"].fillna("")))
    out = pd.DataFrame({
        "occurrenceID": j["occurrenceID"],
        "identifier": j["source_id"],
        "dc:type": np.where(j["file_mediatype"].fillna("").str.contains("video"), "MovingImage", "StillImage"),
        "comments": comments,
        "dcterms:rights": j["media_license"],
        "CreateDate": format_local(j["timestamp_utc"], j["utc_offset"]),
        "captureDevice": j["camera_model"],
        "resourceCreationTechnique": j["capture_method"].map({"activityDetection": "activity detection",
                                                              "timeLapse": "time lapse"}),
        "accessURI": path.where(online, None),
        "dc:format": j["file_mediatype"],
        "serviceExpectation": np.where(online, "online", "authenticate"),
    })
    return out.sort_values(["occurrenceID", "CreateDate", "identifier"]).reset_index(drop=True)


def meta_xml(occurrence_columns: list[str], multimedia_columns: list[str]) -> str:
    """meta.xml describing the two files, field by field, in the order of their headers."""
    uri = {name: _term_uri(name, ns) for name, ns in OCCURRENCE_TERMS}
    muri = {name: _term_uri(name, ns) for name, ns in MULTIMEDIA_TERMS}
    ns = "http://rs.tdwg.org/dwc/text/"
    ET.register_namespace("", ns)
    root = ET.Element(f"{{{ns}}}archive", {"metadata": "eml.xml"})
    attrs = {"encoding": "UTF-8", "fieldsTerminatedBy": ",", "linesTerminatedBy": "\\n",
             "fieldsEnclosedBy": '"', "ignoreHeaderLines": "1"}
    core = ET.SubElement(root, f"{{{ns}}}core", {**attrs, "rowType": DWC + "Occurrence"})
    ET.SubElement(ET.SubElement(core, f"{{{ns}}}files"), f"{{{ns}}}location").text = "occurrence.csv"
    ET.SubElement(core, f"{{{ns}}}id", {"index": str(occurrence_columns.index("occurrenceID"))})
    for i, name in enumerate(occurrence_columns):
        ET.SubElement(core, f"{{{ns}}}field", {"index": str(i), "term": uri[name]})
    ext = ET.SubElement(root, f"{{{ns}}}extension", {**attrs, "rowType": AC + "Multimedia"})
    ET.SubElement(ET.SubElement(ext, f"{{{ns}}}files"), f"{{{ns}}}location").text = "multimedia.csv"
    ET.SubElement(ext, f"{{{ns}}}coreid", {"index": str(multimedia_columns.index("occurrenceID"))})
    for i, name in enumerate(multimedia_columns):
        ET.SubElement(ext, f"{{{ns}}}field", {"index": str(i), "term": muri[name]})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _eml(scope: _Scope, meta: pd.DataFrame, occurrence: pd.DataFrame, partner_names: dict[str, str]) -> str:
    """A minimal EML 2.2.0 document: title, creators, abstract, licence, coverage (of what is published)."""
    eml_ns = "https://eml.ecoinformatics.org/eml-2.2.0"
    ET.register_namespace("eml", eml_ns)
    root = ET.Element(f"{{{eml_ns}}}eml", {"packageId": str(uuid.uuid4()), "system": "uuid"})
    ds = ET.SubElement(root, "dataset")
    title = meta["datasetName"].iloc[0] if len(meta) == 1 else \
        "Camera-trap observations of " + ", ".join(partner_names.get(p, p) for p in scope.projects["partner"])
    ET.SubElement(ds, "title").text = str(title)
    descs = [p.descriptor for p in scope.projects.itertuples() if isinstance(p.descriptor, dict)]
    creators = []
    for d in descs:
        for c in d.get("contributors", []):
            if isinstance(c, dict) and c.get("role") not in ("rightsHolder", "publisher") and c.get("title") \
                    and c.get("title") != "bigcats":
                creators.append(c)
    if not creators:
        creators = [{"title": partner_names.get(p, p), "organization": partner_names.get(p, p)}
                    for p in scope.projects["partner"].unique()]
    for c in creators:
        el = ET.SubElement(ds, "creator")
        if c.get("organization") and c.get("organization") == c.get("title"):
            ET.SubElement(el, "organizationName").text = c["title"]
        else:
            ET.SubElement(ET.SubElement(el, "individualName"), "surName").text = str(c["title"])
            if c.get("organization"):
                ET.SubElement(el, "organizationName").text = str(c["organization"])
        if c.get("email"):
            ET.SubElement(el, "electronicMailAddress").text = str(c["email"])
    ET.SubElement(ds, "pubDate").text = date.today().isoformat()
    abstract = ET.SubElement(ds, "abstract")
    for d in descs:
        if isinstance(d.get("description"), str):
            ET.SubElement(abstract, "para").text = d["description"]
    ET.SubElement(abstract, "para").text = (
        "Data have been standardized to Darwin Core with bigcats, following camtrapdp's write_dwc(), and only "
        "include observations (and associated media) of animals. Locations of stations where sensitive species "
        "were recorded are generalised to 10 km cells.")
    licence = next((x for x in meta["license"].dropna()), None)
    if licence:
        ET.SubElement(ET.SubElement(ds, "intellectualRights"), "para").text = str(licence)
    cov = ET.SubElement(ds, "coverage")
    spatial = coverage(occurrence["decimalLongitude"], occurrence["decimalLatitude"], pd.Series(dtype=object),
                       pd.Series(dtype=object)).get("spatial")
    if spatial:
        x0, y0, x1, y1 = spatial["bbox"]
        geo = ET.SubElement(cov, "geographicCoverage")
        ET.SubElement(geo, "geographicDescription").text = "Bounding box of the published (generalised) locations"
        bc = ET.SubElement(geo, "boundingCoordinates")
        for tag, v in (("westBoundingCoordinate", x0), ("eastBoundingCoordinate", x1),
                       ("northBoundingCoordinate", y1), ("southBoundingCoordinate", y0)):
            ET.SubElement(bc, tag).text = repr(float(v))
    dates = occurrence["eventDate"].dropna().astype(str).str[:10]
    if len(dates):
        rng = ET.SubElement(ET.SubElement(cov, "temporalCoverage"), "rangeOfDates")
        ET.SubElement(ET.SubElement(rng, "beginDate"), "calendarDate").text = dates.min()
        ET.SubElement(ET.SubElement(rng, "endDate"), "calendarDate").text = dates.max()
    names = sorted(occurrence["scientificName"].dropna().unique())
    if names:
        tax = ET.SubElement(cov, "taxonomicCoverage")
        for n in names:
            ET.SubElement(ET.SubElement(tax, "taxonomicClassification"), "taxonRankValue").text = n
    contact = ET.SubElement(ds, "contact")
    ET.SubElement(contact, "organizationName").text = str(meta["rightsHolder"].dropna().iloc[0]) \
        if meta["rightsHolder"].notna().any() else "unknown"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _csv(frame: pd.DataFrame) -> bytes:
    text = frame.apply(_text)
    buf = io.StringIO()
    text.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _write_archive(out: Path, occurrence: pd.DataFrame, multimedia: pd.DataFrame, eml: str) -> None:
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("occurrence.csv", _csv(occurrence))
        zf.writestr("multimedia.csv", _csv(multimedia))
        zf.writestr("meta.xml", meta_xml(list(occurrence.columns), list(multimedia.columns)))
        zf.writestr("eml.xml", eml)
    tmp.replace(out)
