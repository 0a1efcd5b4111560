"""Export the store (all of it, one partner's or one project's share) as a Camtrap DP 1.0 package, streaming."""

from __future__ import annotations

import copy
import csv
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv
from sqlalchemy import Engine, String, func, select, type_coerce
from sqlalchemy.orm import aliased

from bigcats.core.clock import utcnow_z
from bigcats import __version__
from bigcats.exchange.camtrapdp.timefmt import format_local
from bigcats.exchange.camtrapdp.package import (
    INDIVIDUALS_RESOURCE,
    OUTAGES_RESOURCE,
    table_schema,
)
from bigcats.store.models import (
    Deployment,
    DeploymentOutage,
    Individual,
    IndividualAlias,
    Media,
    Observation,
    Partner,
    Project,
    Species,
    Station,
)

SCHEMA_URL = "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/{}-table-schema.json"
PROFILE_URL = "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/camtrap-dp-profile.json"
Progress = Callable[[str, int], None]


@dataclass
class ExportResult:
    """Where the package went and how many rows each table holds."""

    path: str
    rows: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The result as a plain dictionary for JSON output."""
        return {"path": self.path, "rows": self.rows}


def _bool_text(values: pd.Series) -> pd.Series:
    return values.map({True: "true", False: "false", 1: "true", 0: "false"}).fillna("")


SHA_KEY = "bigcats:sha256"


def exif_with_hash(exif: pd.Series, sha256: pd.Series) -> pd.Series:
    """EXIF as a valid JSON object carrying the file's SHA-256; text that is not an object is wrapped, not lost.

    Camtrap DP 1.0 has no column for a content hash; inside exifData it travels with the media row and keeps
    the three tables strictly valid.
    """
    def fix(v: object, h: object) -> str:
        has_hash = isinstance(h, str) and len(h) == 64
        if not isinstance(v, str) or not v:
            return json.dumps({SHA_KEY: h}) if has_hash else ""
        try:
            obj = json.loads(v)
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            obj = {"bigcats:unparsedExif": v}
        elif not has_hash or obj.get(SHA_KEY) == h:
            return v
        if has_hash:
            obj[SHA_KEY] = h
        return json.dumps(obj, ensure_ascii=False)
    return pd.Series([fix(v, h) for v, h in zip(exif, sha256, strict=True)], index=exif.index, dtype=object)


class _Scope:
    """Which projects an export covers and how their identifiers are written."""

    def __init__(self, engine: Engine, partner: str | None, project: str | None) -> None:
        q = select(Project.id, Project.code, Project.descriptor, Partner.code.label("partner")).join(Partner)
        if partner:
            q = q.where(Partner.code == partner)
        if project:
            q = q.where(Project.code == project)
        with engine.connect() as conn:
            self.projects = pd.DataFrame(conn.execute(q).all(), columns=["id", "code", "descriptor", "partner"])
        if self.projects.empty:
            what = " and ".join(x for x in (f"partner '{partner}'" if partner else "",
                                             f"project '{project}'" if project else "") if x) or "the database"
            raise LookupError(f"nothing to export: no project found for {what}")
        self.ids = self.projects["id"].tolist()
        self.single = len(self.projects) == 1
        self.single_partner = self.projects["partner"].nunique() == 1
        per_partner = self.projects.groupby("partner")["id"].transform("count")
        self.prefix = {
            int(r.id): "" if self.single else (f"{r.partner}/" if n == 1 else f"{r.partner}/{r.code}/")
            for r, n in zip(self.projects.itertuples(), per_partner, strict=True)
        }

    def ids_with_prefix(self, project_ids: pd.Series, source: pd.Series) -> pd.Series:
        """Identifiers made unique across the exported projects (unchanged for a one-project export)."""
        if self.single:
            return source
        return project_ids.map(self.prefix) + source


def _frame(rows: list, result) -> pd.DataFrame:
    # Plain tuples: pandas probes Row objects attribute by attribute, which costs an exception per row.
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(result.keys()))


def _as_text(column):
    """A DateTime column read as its stored text, parsed later in one vectorised call instead of row by row."""
    return type_coerce(column, String).label(column.key)


def _write_rows(fh, frame: pd.DataFrame) -> None:
    """Append rows to an open binary CSV file (pyarrow's writer: quotes only where needed)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pa_csv.write_csv(table, fh, write_options=pa_csv.WriteOptions(include_header=False, quoting_style="needed"))


def _stream_table(engine: Engine, query, path: Path, resource: str, convert, chunksize: int,
                  progress: Progress) -> int:
    """Stream a query into one table of the package, chunk by chunk; returns the number of rows written."""
    columns = [f["name"] for f in table_schema(resource)["fields"]]
    n = 0
    with engine.connect() as conn, open(path, "wb") as fh:
        fh.write((",".join(columns) + "\n").encode())
        rows = conn.execute(query.execution_options(yield_per=chunksize))
        for part in rows.partitions(chunksize):
            frame = _frame(part, rows)
            _write_rows(fh, convert(frame)[columns])
            n += len(frame)
            progress(f"export {resource}", len(frame))
    return n


def export_package(engine: Engine, out_dir: str | Path, partner: str | None = None, project: str | None = None,
                   chunksize: int = 50_000, progress: Progress | None = None,
                   only: dict[str, list[str]] | None = None) -> ExportResult:
    """Write a Camtrap DP 1.0 package of the chosen data to a folder; returns the row counts.

    `only` limits the media and observations to these mediaID / observationID values (of a one-project
    export), for the exchange's incremental packages; deployments and the rest are always whole.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scope = _Scope(engine, partner, project)
    result = ExportResult(str(out))
    progress = progress or (lambda stage, n: None)

    dep_q = (select(Deployment.id.label("db_id"), Deployment.project_id, Deployment.source_id,
                    Station.code.label("locationID"), Station.name.label("locationName"), Station.latitude,
                    Station.longitude, Station.coordinate_uncertainty, Deployment.start_utc, Deployment.end_utc,
                    Deployment.utc_offset, Deployment.setup_by, Deployment.camera_id, Deployment.camera_model,
                    Deployment.camera_delay, Deployment.camera_height, Deployment.camera_depth,
                    Deployment.camera_tilt, Deployment.camera_heading, Deployment.detection_distance,
                    Deployment.timestamp_issues, Deployment.bait_use, Deployment.feature_type, Deployment.habitat,
                    Deployment.groups, Deployment.tags, Deployment.comments)
             .join(Station, Deployment.station_id == Station.id)
             .where(Deployment.project_id.in_(scope.ids)).order_by(Deployment.id))
    with engine.connect() as conn:
        deps = pd.DataFrame(conn.execute(dep_q).mappings().all())
    deps_out = pd.DataFrame({
        "deploymentID": scope.ids_with_prefix(deps["project_id"], deps["source_id"]),
        "locationID": deps["locationID"],
        "locationName": deps["locationName"],
        "latitude": deps["latitude"],
        "longitude": deps["longitude"],
        "coordinateUncertainty": deps["coordinate_uncertainty"].astype("Int64"),
        "deploymentStart": format_local(deps["start_utc"], deps["utc_offset"]),
        "deploymentEnd": format_local(deps["end_utc"], deps["utc_offset"]),
        "setupBy": deps["setup_by"],
        "cameraID": deps["camera_id"],
        "cameraModel": deps["camera_model"],
        "cameraDelay": deps["camera_delay"].astype("Int64"),
        "cameraHeight": deps["camera_height"],
        "cameraDepth": deps["camera_depth"],
        "cameraTilt": deps["camera_tilt"].astype("Int64"),
        "cameraHeading": deps["camera_heading"].astype("Int64"),
        "detectionDistance": deps["detection_distance"],
        "timestampIssues": _bool_text(deps["timestamp_issues"]),
        "baitUse": _bool_text(deps["bait_use"]),
        "featureType": deps["feature_type"],
        "habitat": deps["habitat"],
        "deploymentGroups": deps["groups"],
        "deploymentTags": deps["tags"],
        "deploymentComments": deps["comments"],
    })
    deps_out.to_csv(out / "deployments.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    result.rows["deployments"] = len(deps_out)
    dep_ids = pd.Series(deps_out["deploymentID"].to_numpy(), index=deps["db_id"].to_numpy())
    dep_offset = pd.Series(deps["utc_offset"].to_numpy(), index=deps["db_id"].to_numpy())

    with engine.connect() as conn:
        outages = pd.DataFrame(conn.execute(
            select(DeploymentOutage.deployment_id, DeploymentOutage.start_utc, DeploymentOutage.end_utc,
                   DeploymentOutage.reason).where(DeploymentOutage.deployment_id.in_(deps["db_id"].tolist()))
            .order_by(DeploymentOutage.id)).all(), columns=["deployment_id", "start_utc", "end_utc", "reason"])
    if not outages.empty:
        off = outages["deployment_id"].map(dep_offset)
        pd.DataFrame({
            "deploymentID": outages["deployment_id"].map(dep_ids),
            "start": format_local(outages["start_utc"], off),
            "end": format_local(outages["end_utc"], off),
            "reason": outages["reason"],
        }).to_csv(out / "deployment-outages.csv", index=False)
        result.rows[OUTAGES_RESOURCE] = len(outages)

    media_q = (select(Media.id, Media.deployment_id, Deployment.project_id, Media.source_id, Media.capture_method,
                      _as_text(Media.timestamp_utc), Media.utc_offset, Media.file_path, Media.file_public, Media.file_name,
                      Media.file_mediatype, Media.sha256, Media.exif, Media.favorite, Media.comments)
               .join(Deployment, Media.deployment_id == Deployment.id)
               .where(Deployment.project_id.in_(scope.ids)).order_by(Media.id))
    if only is not None and "media" in only:
        media_q = media_q.where(Media.source_id.in_(sorted(only["media"])))
    seen = _Seen()

    def media_rows(m: pd.DataFrame) -> pd.DataFrame:
        seen.capture.update(m["capture_method"].dropna().unique())
        return pd.DataFrame({
            "mediaID": scope.ids_with_prefix(m["project_id"], m["source_id"]),
            "deploymentID": m["deployment_id"].map(dep_ids),
            "captureMethod": m["capture_method"],
            "timestamp": format_local(m["timestamp_utc"], m["utc_offset"]),
            "filePath": m["file_path"],
            "filePublic": _bool_text(m["file_public"]),
            "fileName": m["file_name"],
            "fileMediatype": m["file_mediatype"],
            "exifData": exif_with_hash(m["exif"], m["sha256"]),
            "favorite": _bool_text(m["favorite"]),
            "mediaComments": m["comments"],
        })

    result.rows["media"] = _stream_table(engine, media_q, out / "media.csv", "media", media_rows, chunksize,
                                         progress)

    # One code per individual and partner: after a merge an individual holds several of a partner's codes.
    alias = (select(IndividualAlias.individual_id, IndividualAlias.partner_id,
                    func.min(IndividualAlias.code).label("code"))
             .group_by(IndividualAlias.individual_id, IndividualAlias.partner_id).subquery())
    media_alias = aliased(Media)
    obs_cols_db = [_as_text(c) if c.key in ("event_start_utc", "event_end_utc") else c
                   for c in Observation.__table__.c]
    obs_q = (select(*obs_cols_db, Deployment.project_id, Species.scientific_name,
                    Individual.code.label("ind_code"), alias.c.code.label("alias_code"),
                    media_alias.source_id.label("media_source"))
             .join(Deployment, Observation.deployment_id == Deployment.id)
             .join(Project, Deployment.project_id == Project.id)
             .outerjoin(Species, Observation.species_id == Species.id)
             .outerjoin(Individual, Observation.individual_id == Individual.id)
             .outerjoin(alias, (alias.c.individual_id == Individual.id) & (alias.c.partner_id == Project.partner_id))
             .outerjoin(media_alias, Observation.media_id == media_alias.id)
             .where(Deployment.project_id.in_(scope.ids)).order_by(Observation.id))
    if only is not None and "observations" in only:
        obs_q = obs_q.where(Observation.source_id.in_(sorted(only["observations"])))
    def observation_rows(o: pd.DataFrame) -> pd.DataFrame:
        # One partner's export speaks its own codes; a joint export speaks the shared catalogue.
        ind = o["alias_code"] if scope.single_partner else o["ind_code"]
        if scope.single_partner:
            ind = ind.where(ind.notna(), o["ind_code"])
        media_ids = o["media_source"]
        seen.levels.update(o["level"].dropna().unique())
        seen.species.update(o["scientific_name"].dropna().unique())
        seen.individuals = seen.individuals or bool(o["individual_id"].notna().any())
        return pd.DataFrame({
            "observationID": scope.ids_with_prefix(o["project_id"], o["source_id"]),
            "deploymentID": o["deployment_id"].map(dep_ids),
            "mediaID": scope.ids_with_prefix(o["project_id"], media_ids).where(media_ids.notna(), None),
            "eventID": o["event_id"],
            "eventStart": format_local(o["event_start_utc"], o["utc_offset"]),
            "eventEnd": format_local(o["event_end_utc"], o["utc_offset"]),
            "observationLevel": o["level"],
            "observationType": o["type"],
            "cameraSetupType": o["camera_setup_type"],
            "scientificName": o["scientific_name"],
            "count": o["count"].astype("Int64"),
            "lifeStage": o["life_stage"],
            "sex": o["sex"],
            "behavior": o["behavior"],
            "individualID": ind,
            "individualPositionRadius": o["position_radius"],
            "individualPositionAngle": o["position_angle"],
            "individualSpeed": o["speed"],
            "bboxX": o["bbox_x"],
            "bboxY": o["bbox_y"],
            "bboxWidth": o["bbox_width"],
            "bboxHeight": o["bbox_height"],
            "classificationMethod": o["classification_method"],
            "classifiedBy": o["classified_by"],
            "classificationTimestamp": o["classification_timestamp"],
            "classificationProbability": o["classification_probability"],
            "observationTags": o["tags"],
            "observationComments": o["comments"],
        })

    result.rows["observations"] = _stream_table(engine, obs_q, out / "observations.csv", "observations",
                                                observation_rows, chunksize, progress)

    individuals = _individuals(engine, scope)
    if not individuals.empty:
        individuals.to_csv(out / "individuals.csv", index=False)
        result.rows[INDIVIDUALS_RESOURCE] = len(individuals)

    descriptor = _descriptor(engine, scope, deps_out, result.rows, seen)
    (out / "datapackage.json").write_text(strict_json(descriptor), encoding="utf-8")
    return result


def _individuals(engine: Engine, scope: _Scope) -> pd.DataFrame:
    """The catalogue individuals of the exported partners, with each partner's code and the shared code."""
    partners = scope.projects["partner"].unique().tolist()
    q = (select(IndividualAlias.code.label("alias"), Partner.code.label("partner"), Individual.code,
                Individual.name, Individual.sex, Species.scientific_name)
         .join(Individual, IndividualAlias.individual_id == Individual.id)
         .join(Partner, IndividualAlias.partner_id == Partner.id)
         .join(Species, Individual.species_id == Species.id)
         .where(Partner.code.in_(partners)).order_by(IndividualAlias.id))
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).all(), columns=["alias", "partner", "code", "name", "sex", "sci"])
    if df.empty:
        return df
    if scope.single_partner:
        return pd.DataFrame({"individualID": df["alias"], "individualName": df["name"],
                             "scientificName": df["sci"], "sex": df["sex"], "catalogueID": df["code"]})
    joint = df.groupby(["code", "sci"], as_index=False).agg(
        name=("name", "first"), sex=("sex", "first"),
        aliases=("alias", lambda s: "|".join(f"{p}:{a}" for p, a in zip(df.loc[s.index, "partner"], s,
                                                                         strict=True))))
    return pd.DataFrame({"individualID": joint["code"], "individualName": joint["name"],
                         "scientificName": joint["sci"], "sex": joint["sex"], "catalogueID": joint["code"],
                         "partnerCodes": joint["aliases"]})


@dataclass
class _Seen:
    """What the exported rows show, so that the metadata states it truthfully."""

    capture: set = field(default_factory=set)
    levels: set = field(default_factory=set)
    species: set = field(default_factory=set)
    individuals: bool = False


SAMPLING_DESIGNS = ("simpleRandom", "systematicRandom", "clusteredRandom", "experimental", "targeted",
                    "opportunistic")
_INVENTED = {"bigcats"}  # contributor titles bigcats once wrote itself; never a real contributor


def finite(value: object) -> object:
    """A JSON value with every NaN, NaT and infinity removed (dict entries dropped, list items kept as null)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = finite(v)
            if v is not None:
                out[k] = v
        return out
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or (isinstance(value, str) and value in ("NaT", "NaN", "nan")):
        return None
    return value


def strict_json(obj: object) -> str:
    """JSON that strict parsers read: no NaN, Infinity or NaT anywhere (refuses rather than writes one)."""
    return json.dumps(finite(obj), indent=2, ensure_ascii=False, allow_nan=False)


def coverage(longitude: pd.Series, latitude: pd.Series, starts: pd.Series, ends: pd.Series) -> dict:
    """`spatial` and `temporal` from the rows that have them (omitted when none has): never NaN or NaT."""
    out: dict = {}
    lon = pd.to_numeric(longitude, errors="coerce")
    lat = pd.to_numeric(latitude, errors="coerce")
    ok = lon.notna() & lat.notna() & lon.between(-180, 180) & lat.between(-90, 90)
    if ok.any():
        x0, y0, x1, y1 = (float(lon[ok].min()), float(lat[ok].min()), float(lon[ok].max()), float(lat[ok].max()))
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        out["spatial"] = {"type": "Polygon", "bbox": [x0, y0, x1, y1], "coordinates": [ring]}
    start = pd.Series(starts, dtype=object).dropna().astype(str).str[:10]
    end = pd.Series(ends, dtype=object).dropna().astype(str).str[:10]
    start, end = start[start.str.match(r"^\d{4}-\d{2}-\d{2}$")], end[end.str.match(r"^\d{4}-\d{2}-\d{2}$")]
    if len(start) and len(end):
        out["temporal"] = {"start": start.min(), "end": end.max()}
    return out


def _descriptor(engine: Engine, scope: _Scope, deps: pd.DataFrame, rows: dict[str, int], seen: _Seen) -> dict:
    """The package descriptor: the partner's own metadata for a one-project export, else a joint one; coverage,
    taxa, observation levels, capture methods and contributors stated from what is exported, nothing invented."""
    with engine.connect() as conn:
        names = conn.execute(select(Partner.code, Partner.name)
                             .where(Partner.code.in_(scope.projects["partner"].unique().tolist()))).all()
    own = scope.projects["descriptor"].iloc[0] if scope.single else None
    if isinstance(own, dict):
        desc = copy.deepcopy(finite(own))
    else:
        desc = {
            "name": "bigcats-joint-export",
            "title": "Joint export of " + ", ".join(n for _, n in names),
            "licenses": [{"name": "CC-BY-4.0", "scope": "data"}, {"name": "CC-BY-4.0", "scope": "media"}],
            "project": {"title": "bigcats joint export"},
        }
    desc.pop("bigcats:upgradedFrom", None)
    desc["profile"] = PROFILE_URL
    desc["created"] = utcnow_z()
    desc.setdefault("sources", [])
    if not any(s.get("title") == "bigcats" for s in desc["sources"]):
        desc["sources"].append({"title": "bigcats", "version": __version__})

    contributors = [c for c in desc.get("contributors", []) if isinstance(c, dict)
                    and c.get("title") not in _INVENTED]
    if not any(c.get("role") == "rightsHolder" for c in contributors):
        # The partners whose data this is hold its rights; a package bigcats wrote from files names nobody else.
        contributors += [{"title": n, "role": "rightsHolder"} for _, n in names if n]
    desc["contributors"] = contributors

    project = desc.get("project") if isinstance(desc.get("project"), dict) else {}
    project.setdefault("title", desc.get("title") or "camera-trap survey")
    levels = sorted(seen.levels & {"media", "event"})
    if levels:
        project["observationLevel"] = levels
    else:
        project.pop("observationLevel", None)
    capture = sorted(seen.capture & {"activityDetection", "timeLapse"})
    if capture:
        project["captureMethod"] = capture
    else:
        project.pop("captureMethod", None)
    # Older bigcats wrote a made-up design into packages it built from partners' files (with itself as the only
    # contributor); a design is kept only when the partner's own metadata states it.
    invented = isinstance(own, dict) and any(isinstance(c, dict) and c.get("title") in _INVENTED
                                             for c in own.get("contributors", []))
    if project.get("samplingDesign") not in SAMPLING_DESIGNS or not isinstance(own, dict) or invented:
        project.pop("samplingDesign", None)  # unknown: omitted rather than invented
    if invented:
        desc.pop("licenses", None)  # likewise a licence nobody chose
    project["individualAnimals"] = bool(seen.individuals)
    desc["project"] = project

    desc.pop("spatial", None)
    desc.pop("temporal", None)
    if not deps.empty:
        desc.update(coverage(deps["longitude"], deps["latitude"], deps["deploymentStart"], deps["deploymentEnd"]))

    # Only the taxa the exported observations hold, with the partner's own entries where it gave them.
    given = {t.get("scientificName"): t for t in desc.get("taxonomic", []) if isinstance(t, dict)}
    with engine.connect() as conn:
        sp = conn.execute(select(Species.scientific_name, Species.rank, Species.name_en, Species.name_ru,
                                 Species.name_zh, Species.name_mn)
                          .where(Species.scientific_name.in_(sorted(seen.species)))
                          .order_by(Species.scientific_name)).all() if seen.species else []
    taxonomic = []
    for s, rank, en, ru, zh, mn in sp:
        entry = dict(given.get(s) or {"scientificName": s})
        entry.pop("taxonIDReference", None)
        if rank and "taxonRank" not in entry:
            entry["taxonRank"] = rank
        names_given = entry.get("vernacularNames") if isinstance(entry.get("vernacularNames"), dict) else {}
        ours = {k: v for k, v in (("eng", en), ("rus", ru), ("zho", zh), ("mon", mn)) if v}
        if ours or names_given:
            entry["vernacularNames"] = {**ours, **names_given}
        taxonomic.append(entry)
    desc["taxonomic"] = taxonomic
    resources = [
        {"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource", "format": "csv",
         "mediatype": "text/csv", "encoding": "utf-8", "schema": SCHEMA_URL.format(name)}
        for name in ("deployments", "media", "observations")
    ]
    if OUTAGES_RESOURCE in rows:
        resources.append({"name": OUTAGES_RESOURCE, "path": "deployment-outages.csv", "profile":
                          "tabular-data-resource", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "description": "bigcats extension: periods when a camera did not work (no effort)."})
    if INDIVIDUALS_RESOURCE in rows:
        resources.append({"name": INDIVIDUALS_RESOURCE, "path": "individuals.csv", "profile":
                          "tabular-data-resource", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "description": "Individuals of the catalogue: the partner's code (individualID) and the "
                                         "shared transboundary catalogue code (catalogueID)."})
    # Keep the partner's own extra resources (other than the ones bigcats writes itself).
    for res in desc.get("resources", []):
        if isinstance(res, dict) and res.get("name") not in {r["name"] for r in resources} and "data" in res:
            resources.append(res)
    desc["resources"] = resources
    return desc
