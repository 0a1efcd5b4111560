"""Write survey frames (Camtrap DP columns, typed) into the database: fast, idempotent, inside the caller's transaction.

Rows go in through the driver's executemany with `ON CONFLICT DO NOTHING` on each table's natural key, so that
importing the same data twice adds nothing, and SQLite reaches hundreds of thousands of rows a second. The caller
owns the transaction: an import that fails half-way is rolled back whole.
"""

from __future__ import annotations

from datetime import datetime

import zlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, select, update

from bigcats.store.models import (
    Deployment,
    Individual,
    IndividualAlias,
    Media,
    Partner,
    Project,
    Species,
    Station,
)


def _sql_values(values: pd.Series | np.ndarray) -> list:
    """Column values as Python objects the drivers bind, with every missing value as None (never NaN)."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        # SQLAlchemy's own text form for SQLite DATETIME ('YYYY-MM-DD HH:MM:SS.ffffff'), built without Python
        # per-row formatting; PostgreSQL parses the same text.
        arr = np.datetime_as_string(s.to_numpy(dtype="datetime64[us]"), unit="us").astype("S26")
        arr.view(np.uint8).reshape(-1, 26)[:, 10] = ord(" ")
        out = arr.astype(str).astype(object)
        out[pd.isna(s).to_numpy()] = None
        return out.tolist()
    return s.to_numpy(dtype=object, na_value=None).tolist()


def insert_ignore(conn: Connection, table: str, columns: Sequence[str], data: dict[str, list]) -> None:
    """Insert rows, skipping those whose natural key exists (the same row imported again adds nothing).

    Columns that are empty in every row are left out of the statement: their default is NULL anyway, and
    binding fewer parameters is the main cost of a bulk insert.
    """
    n = len(next(iter(data.values()))) if data else 0
    if n == 0:
        return
    columns = [c for c in columns if data[c].count(None) != n]
    cols = ", ".join(f'"{c}"' for c in columns)
    rows = zip(*(data[c] for c in columns), strict=True)
    if conn.dialect.name == "postgresql":
        _copy_ignore(conn, table, cols, rows)
        return
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join(["?"] * len(columns))}) ON CONFLICT DO NOTHING'
    conn.exec_driver_sql(sql, list(rows))


def _copy_ignore(conn: Connection, table: str, cols: str, rows: Iterable[tuple]) -> None:
    """PostgreSQL: COPY into a staging table, then one INSERT ... SELECT that skips existing natural keys."""
    # Only the loaded columns and no defaults: the table's id sequence is used once, by the final INSERT.
    stage = f"_stage_{table}_{zlib.crc32(cols.encode()):08x}"
    cur = conn.connection.driver_connection.cursor()
    try:
        # Lives until the end of the import's transaction; emptied for every chunk.
        cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DROP AS '
                    f'SELECT {cols} FROM "{table}" WITH NO DATA')
        cur.execute(f'TRUNCATE "{stage}"')
        with cur.copy(f'COPY "{stage}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{stage}" ON CONFLICT DO NOTHING')
    finally:
        cur.close()


def ensure_partner(conn: Connection, code: str, name: str | None = None, country: str | None = None,
                   names: dict | None = None) -> int:
    """The id of a partner, created if new."""
    pid = conn.execute(select(Partner.id).where(Partner.code == code)).scalar_one_or_none()
    if pid is None:
        pid = conn.execute(Partner.__table__.insert().values(
            code=code, name=name or code, country=country, names=names)).inserted_primary_key[0]
    elif country:
        conn.execute(Partner.__table__.update().where(Partner.id == pid, Partner.country.is_(None))
                     .values(country=country))
    return pid


def ensure_project(conn: Connection, partner_id: int, code: str, title: str | None, descriptor: dict | None) -> int:
    """The id of a partner's project (survey), created if new."""
    pid = conn.execute(select(Project.id).where(Project.partner_id == partner_id, Project.code == code)
                       ).scalar_one_or_none()
    if pid is None:
        pid = conn.execute(Project.__table__.insert().values(
            partner_id=partner_id, code=code, title=title, descriptor=descriptor)).inserted_primary_key[0]
    return pid


def _species_rows(names: Sequence[str]) -> dict[str, list]:
    """Rows for the species table: names and sensitivity from the shipped taxonomy where it knows the taxon."""
    from bigcats.taxonomy import species_table

    tax = species_table().set_index("scientificName").reindex(list(names))
    sensitive = tax["sensitive"].astype("boolean").fillna(False).astype(bool)
    return {
        "scientific_name": list(names),
        "rank": _sql_values(tax["rank"]),
        "group": _sql_values(tax["group"]),
        "sensitive": sensitive.tolist(),
        "name_en": _sql_values(tax["en"]),
        "name_ru": _sql_values(tax["ru"]),
        "name_zh": _sql_values(tax["zh"]),
        "name_mn": _sql_values(tax["mn"]),
    }


SPECIES_COLUMNS = ["scientific_name", "rank", "group", "sensitive", "name_en", "name_ru", "name_zh", "name_mn"]


def sync_taxonomy(conn: Connection) -> None:
    """Add the shipped species list of the region to the species table (existing rows are left as they are)."""
    from bigcats.taxonomy import species_table

    names = species_table()["scientificName"].tolist()
    insert_ignore(conn, "species", SPECIES_COLUMNS, _species_rows(names))


def ensure_species(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Ids of species by scientific name, adding names not yet in the species table."""
    wanted = sorted({n for n in names if isinstance(n, str) and n})
    if not wanted:
        return {}
    have = dict(conn.execute(select(Species.scientific_name, Species.id)
                             .where(Species.scientific_name.in_(wanted))).all())
    new = [n for n in wanted if n not in have]
    if new:
        insert_ignore(conn, "species", SPECIES_COLUMNS, _species_rows(new))
        have.update(conn.execute(select(Species.scientific_name, Species.id)
                                 .where(Species.scientific_name.in_(new))).all())
    return have


def _station_frame(d: pd.DataFrame) -> pd.DataFrame:
    """The deployments with their station code (`_station`), country and protected area from the tags."""
    d = d.copy()
    station_code = d.get("locationID")
    if station_code is None:
        station_code = pd.Series([None] * len(d), index=d.index)
    fallback = d["locationName"] if "locationName" in d else d["deploymentID"]
    d["_station"] = station_code.where(station_code.notna() & (station_code != ""), fallback)
    d["_station"] = d["_station"].where(d["_station"].notna(), d["deploymentID"])
    tags = d["deploymentTags"].fillna("") if "deploymentTags" in d else pd.Series("", index=d.index)
    d["_country"] = tags.str.extract(r"(?:^|\|)\s*country:\s*([A-Z]{3})", expand=False)
    d["_area"] = tags.str.extract(r"(?:^|\|)\s*protectedArea:\s*([^|]+?)\s*(?:\||$)", expand=False)
    return d


def _station_values(stations: pd.DataFrame, country: str | None) -> dict[str, list]:
    return {
        "code": stations["_station"].tolist(),
        "name": _sql_values(stations.get("locationName", pd.Series(None, index=stations.index))),
        "latitude": stations["latitude"].astype(float).tolist(),
        "longitude": stations["longitude"].astype(float).tolist(),
        "coordinate_uncertainty": _ints(stations, "coordinateUncertainty"),
        "country": _sql_values(stations["_country"].fillna(country or "").replace("", None)),
        "protected_area": _sql_values(stations["_area"]),
    }


def _deployment_values(d: pd.DataFrame) -> dict[str, list]:
    def col(name: str) -> list:
        return _sql_values(d[name]) if name in d else [None] * len(d)

    return {
        "source_id": d["deploymentID"].tolist(),
        "start_utc": col("deploymentStart"),
        "end_utc": col("deploymentEnd"),
        "utc_offset": d["deploymentStart_offset"].astype(int).tolist(),
        "setup_by": col("setupBy"),
        "camera_id": col("cameraID"),
        "camera_model": col("cameraModel"),
        "camera_delay": _ints(d, "cameraDelay"),
        "camera_height": col("cameraHeight"),
        "camera_depth": col("cameraDepth"),
        "camera_tilt": _ints(d, "cameraTilt"),
        "camera_heading": _ints(d, "cameraHeading"),
        "detection_distance": col("detectionDistance"),
        "timestamp_issues": col("timestampIssues"),
        "bait_use": col("baitUse"),
        "feature_type": col("featureType"),
        "habitat": col("habitat"),
        "groups": col("deploymentGroups"),
        "tags": col("deploymentTags"),
        "comments": col("deploymentComments"),
    }


def write_deployments(conn: Connection, partner_id: int, project_id: int, deployments: pd.DataFrame,
                      country: str | None = None) -> dict[str, int]:
    """Write stations and deployments; return deployment ids by the package's deploymentID."""
    if deployments.empty:
        return {}
    d = _station_frame(deployments)
    stations = d.drop_duplicates("_station")
    values = _station_values(stations, country)
    insert_ignore(conn, "station", ["partner_id", *values], {"partner_id": [partner_id] * len(stations), **values})
    station_ids = dict(conn.execute(select(Station.code, Station.id).where(Station.partner_id == partner_id)).all())
    values = _deployment_values(d)
    insert_ignore(conn, "deployment", ["project_id", "station_id", *values],
                  {"project_id": [project_id] * len(d), "station_id": [station_ids[s] for s in d["_station"]],
                   **values})
    return dict(conn.execute(select(Deployment.source_id, Deployment.id)
                             .where(Deployment.project_id == project_id)).all())


def update_deployments(conn: Connection, partner_id: int, project_id: int, deployments: pd.DataFrame) -> int:
    """Overwrite existing deployments and their stations with these (typed) rows: an owner's update."""
    if deployments.empty:
        return 0
    d = _station_frame(deployments)
    stations = d.drop_duplicates("_station")
    sv = _station_values(stations, None)
    sv.pop("country")  # the side of the border is this node's record, not the tags'
    conn.execute(update(Station).where(Station.partner_id == partner_id, Station.code == bindparam("k_code"))
                 .values({k: bindparam(f"v_{k}") for k in sv if k != "code"}),
                 [{"k_code": c, **{f"v_{k}": sv[k][i] for k in sv if k != "code"}} for i, c in enumerate(sv["code"])])
    station_ids = dict(conn.execute(select(Station.code, Station.id).where(Station.partner_id == partner_id)).all())
    dv = _deployment_values(d)
    dv["station_id"] = [station_ids[s] for s in d["_station"]]
    for k in ("start_utc", "end_utc"):  # the bulk writer's text form, back to what the ORM types bind
        dv[k] = [None if v is None else datetime.fromisoformat(v) for v in dv[k]]
    conn.execute(update(Deployment).where(Deployment.project_id == project_id,
                                          Deployment.source_id == bindparam("k_source"))
                 .values({k: bindparam(f"v_{k}") for k in dv if k != "source_id"}),
                 [{"k_source": sid, **{f"v_{k}": dv[k][i] for k in dv if k != "source_id"}}
                  for i, sid in enumerate(dv["source_id"])])
    return len(d)


def _ints(d: pd.DataFrame, name: str) -> list:
    if name not in d:
        return [None] * len(d)
    v = pd.to_numeric(d[name], errors="coerce")
    return v.round().astype("Int64").to_numpy(dtype=object, na_value=None).tolist()  # vectorised, not per value


def write_outages(conn: Connection, dep_ids: dict[str, int], outages: pd.DataFrame) -> None:
    """Write the periods cameras did not work (columns deploymentID, start, end, reason)."""
    if outages is None or outages.empty:
        return
    insert_ignore(conn, "deployment_outage", ["deployment_id", "start_utc", "end_utc", "reason"], {
        "deployment_id": [dep_ids[x] for x in outages["deploymentID"]],
        "start_utc": _sql_values(outages["start"]),
        "end_utc": _sql_values(outages["end"]),
        "reason": _sql_values(outages["reason"]) if "reason" in outages else [None] * len(outages),
    })


def write_media(conn: Connection, dep_ids: dict[str, int], media: pd.DataFrame) -> None:
    """Write a chunk of media rows (typed Camtrap DP columns)."""
    if media.empty:
        return
    n = len(media)

    def col(name: str) -> list:
        return _sql_values(media[name]) if name in media else [None] * n

    dep_map = pd.Series(dep_ids)
    sha = media["sha256"] if "sha256" in media else None
    if sha is None and "exifData" in media and media["exifData"].notna().any():
        # Packages written by bigcats carry the content hash inside exifData (Camtrap DP has no hash column).
        sha = media["exifData"].astype("str").str.extract(r'"bigcats:sha256"\s*:\s*"([0-9a-f]{64})"',
                                                          expand=False)
    insert_ignore(conn, "media",
                  ["deployment_id", "source_id", "capture_method", "timestamp_utc", "utc_offset", "file_path",
                   "file_public", "file_name", "file_mediatype", "sha256", "exif", "favorite", "comments"],
                  {
                      "deployment_id": dep_map.reindex(media["deploymentID"].to_numpy()).astype(int).tolist(),
                      "source_id": media["mediaID"].tolist(),
                      "capture_method": col("captureMethod"),
                      "timestamp_utc": col("timestamp"),
                      "utc_offset": media["timestamp_offset"].astype(int).tolist(),
                      "file_path": col("filePath"),
                      "file_public": [True if v is None else v for v in col("filePublic")],
                      "file_name": col("fileName"),
                      "file_mediatype": col("fileMediatype"),
                      "sha256": _sql_values(sha) if sha is not None else [None] * n,
                      "exif": col("exifData"),
                      "favorite": col("favorite"),
                      "comments": col("mediaComments"),
                  })


class MediaKeys:
    """Database ids of a project's media, found by the package's mediaID through 64-bit hashes (flat memory)."""

    def __init__(self, conn: Connection, project_id: int, chunk: int = 200_000) -> None:
        from bigcats.core.hashing import hash_ids  # noqa: PLC0415  (one hashing rule for all)

        self._hash = hash_ids
        hashes, ids = [], []
        # yield_per on the statement, not the connection: the rest of the transaction keeps plain cursors.
        result = conn.execute(
            select(Media.source_id, Media.id).join(Deployment, Media.deployment_id == Deployment.id)
            .where(Deployment.project_id == project_id).execution_options(yield_per=chunk))
        for part in result.partitions(chunk):
            source, db_ids = zip(*part, strict=True)
            hashes.append(hash_ids(pd.Series(source, dtype=object)))
            ids.append(np.fromiter(db_ids, dtype=np.int64, count=len(db_ids)))
        h = np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64)
        i = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
        order = np.argsort(h)
        self.hashes, self.ids = h[order], i[order]

    def lookup(self, media_ids: pd.Series) -> list:
        """Database ids for package mediaIDs (None where the observation has no media)."""
        present = media_ids.notna() & (media_ids != "")
        out = np.full(len(media_ids), -1, dtype=np.int64)
        if present.any() and len(self.hashes):
            h = self._hash(media_ids[present].astype(str))
            pos = np.clip(np.searchsorted(self.hashes, h), 0, len(self.hashes) - 1)
            hit = self.hashes[pos] == h
            vals = np.where(hit, self.ids[pos], -1)
            out[present.to_numpy()] = vals
        obj = out.astype(object)
        obj[out < 0] = None
        return obj.tolist()


def ensure_individuals(conn: Connection, partner_id: int, pairs: pd.DataFrame) -> dict[tuple[int, str], int]:
    """Catalogue ids for (species_id, partner code) pairs, creating an individual and its alias when new.

    `pairs` has columns species_id, code and optionally catalogue (a shared catalogue code that links the same
    animal across partners) and name, sex.
    """
    if pairs.empty:
        return {}
    pairs = pairs.drop_duplicates(["species_id", "code"])
    existing = {
        (s, c): i for s, c, i in conn.execute(
            select(IndividualAlias.species_id, IndividualAlias.code, IndividualAlias.individual_id)
            .where(IndividualAlias.partner_id == partner_id)).all()
    }
    partner_code = conn.execute(select(Partner.code).where(Partner.id == partner_id)).scalar_one()
    for row in pairs.itertuples(index=False):
        key = (int(row.species_id), str(row.code))
        if key in existing:
            continue
        catalogue = getattr(row, "catalogue", None)
        code = str(catalogue) if isinstance(catalogue, str) and catalogue else f"{partner_code}:{row.code}"
        ind_id = conn.execute(select(Individual.id).where(Individual.species_id == key[0], Individual.code == code)
                              ).scalar_one_or_none()
        if ind_id is None:
            sex = getattr(row, "sex", None)
            ind_id = conn.execute(Individual.__table__.insert().values(
                species_id=key[0], code=code, name=getattr(row, "name", None) or None,
                sex=sex if isinstance(sex, str) and sex else None, status="active")).inserted_primary_key[0]
        conn.execute(IndividualAlias.__table__.insert().values(
            individual_id=ind_id, partner_id=partner_id, species_id=key[0], code=key[1]))
        existing[key] = ind_id
    return existing


OBSERVATION_COLUMNS = [
    "deployment_id", "media_id", "source_id", "event_id", "event_start_utc", "event_end_utc", "utc_offset", "level",
    "type", "camera_setup_type", "species_id", "count", "life_stage", "sex", "behavior", "individual_id",
    "position_radius", "position_angle", "speed", "bbox_x", "bbox_y", "bbox_width", "bbox_height",
    "classification_method", "classified_by", "classification_timestamp", "classification_probability", "tags",
    "comments",
]


def write_observations(conn: Connection, dep_ids: dict[str, int], media_keys: MediaKeys | None,
                       species_ids: dict[str, int], individual_ids: dict[tuple[int, str], int],
                       obs: pd.DataFrame) -> None:
    """Write a chunk of observations (typed Camtrap DP columns), resolving every reference to database ids."""
    if obs.empty:
        return
    n = len(obs)

    def col(name: str) -> list:
        return _sql_values(obs[name]) if name in obs else [None] * n

    dep_map = pd.Series(dep_ids)
    species = obs["scientificName"].map(species_ids) if "scientificName" in obs else pd.Series([None] * n)
    species_list = pd.to_numeric(species, errors="coerce").astype("Int64").to_numpy(
        dtype=object, na_value=None).tolist()
    ind_codes = obs["individualID"] if "individualID" in obs else None
    if ind_codes is None or not ind_codes.notna().any() or not individual_ids:
        individuals = [None] * n  # the common case: no individual recognised in this chunk
    else:
        individuals = [
            individual_ids.get((s, c)) if s is not None and isinstance(c, str) and c else None
            for s, c in zip(species_list, ind_codes.tolist(), strict=True)
        ]
    media = media_keys.lookup(obs["mediaID"]) if (media_keys is not None and "mediaID" in obs) else [None] * n
    cls_ts = obs["classificationTimestamp_raw"] if "classificationTimestamp_raw" in obs else None
    insert_ignore(conn, "observation", OBSERVATION_COLUMNS, {
        "deployment_id": dep_map.reindex(obs["deploymentID"].to_numpy()).astype(int).tolist(),
        "media_id": media,
        "source_id": obs["observationID"].tolist(),
        "event_id": col("eventID"),
        "event_start_utc": col("eventStart"),
        "event_end_utc": col("eventEnd"),
        "utc_offset": obs["eventStart_offset"].astype(int).tolist(),
        "level": col("observationLevel"),
        "type": col("observationType"),
        "camera_setup_type": col("cameraSetupType"),
        "species_id": species_list,
        "count": _ints(obs, "count"),
        "life_stage": col("lifeStage"),
        "sex": col("sex"),
        "behavior": col("behavior"),
        "individual_id": individuals,
        "position_radius": col("individualPositionRadius"),
        "position_angle": col("individualPositionAngle"),
        "speed": col("individualSpeed"),
        "bbox_x": col("bboxX"),
        "bbox_y": col("bboxY"),
        "bbox_width": col("bboxWidth"),
        "bbox_height": col("bboxHeight"),
        "classification_method": col("classificationMethod"),
        "classified_by": col("classifiedBy"),
        "classification_timestamp": _sql_values(cls_ts) if cls_ts is not None else [None] * n,
        "classification_probability": col("classificationProbability"),
        "tags": col("observationTags"),
        "comments": col("observationComments"),
    })
