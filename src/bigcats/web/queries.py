"""Reads for the pages and the API: stations, detections, the catalogue and the dashboard, as a scope sees them.

Every read takes a Scope (see visibility.py) and goes through its row filter and apply_precision, so the
pages, the API, the map layers and the downloads cannot differ in what they reveal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, func, select

from bigcats.store.models import (
    Deployment,
    Individual,
    IndividualAlias,
    Media,
    Observation,
    Partner,
    Project,
    Species,
    Station,
)
from bigcats.web.errors import WebError
from bigcats.survey.effort import EFFORT_TERM, effort_by_year
from bigcats.web.summary import NO_INDIVIDUAL, Counts, SummaryCache, effort_frames
from bigcats.web.visibility import Scope, apply_precision, partner_filter, row_filter, row_mask

MAX_ROWS = 10_000


@dataclass(frozen=True)
class Filters:
    """What the user chose: species (scientific names), period, partner code, country side."""

    species: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    partner: str | None = None
    side: str | None = None

    @classmethod
    def parse(cls, species: str | None = None, start: str | None = None, end: str | None = None,
              partner: str | None = None, side: str | None = None) -> Filters:
        """Filters from query-string values; a bad date names the parameter."""
        def when(value: str | None, name: str) -> datetime | None:
            if not value:
                return None
            try:
                ts = pd.Timestamp(value)
            except (ValueError, TypeError) as exc:
                raise WebError(f"{name}: not a date: {value!r}") from exc
            if ts.tzinfo is not None:
                ts = ts.tz_convert("UTC").tz_localize(None)
            return ts.to_pydatetime()

        names = tuple(s.strip() for s in (species or "").split(",") if s.strip())
        if side and side.upper() not in ("RUS", "CHN", "MNG"):
            raise WebError(f"side: must be RUS, CHN or MNG, not {side!r}")
        return cls(names, when(start, "start"), when(end, "end"), partner or None, side.upper() if side else None)


def _obs_where(q: Select, scope: Scope, f: Filters) -> Select:
    q = q.where(row_filter(scope, Project.partner_id, Observation.species_id, Observation.event_start_utc), Observation.type == "animal")
    if f.species:
        q = q.where(Species.scientific_name.in_(f.species))
    if f.start:
        q = q.where(Observation.event_start_utc >= f.start)
    if f.end:
        q = q.where(Observation.event_start_utc <= f.end)
    if f.partner:
        q = q.where(Partner.code == f.partner)
    if f.side:
        q = q.where(Station.country == f.side)
    return q


def _obs_joins(q: Select) -> Select:
    return (q.join(Deployment, Observation.deployment_id == Deployment.id)
            .join(Station, Deployment.station_id == Station.id)
            .join(Project, Deployment.project_id == Project.id)
            .join(Partner, Project.partner_id == Partner.id)
            .join(Species, Observation.species_id == Species.id))


def stations(conn: Connection, scope: Scope, sensitive: frozenset[int], f: Filters = Filters()) -> pd.DataFrame:
    """Stations of the visible partners, sensitive ones generalised unless the caller is entitled."""
    q = (select(Station.id.label("_station_id"), Station.partner_id.label("_partner_id"),
                Station.code.label("locationID"), Station.name.label("locationName"), Station.latitude,
                Station.longitude, Station.country, Station.protected_area.label("protectedArea"),
                Partner.code.label("partner"))
         .join(Partner, Station.partner_id == Partner.id)
         .where(partner_filter(scope, Station.partner_id)).order_by(Station.id))
    if f.partner:
        q = q.where(Partner.code == f.partner)
    if f.side:
        q = q.where(Station.country == f.side)
    frame = pd.DataFrame(conn.execute(q).mappings().all(),
                         columns=["_station_id", "_partner_id", "locationID", "locationName", "latitude",
                                  "longitude", "country", "protectedArea", "partner"])
    frame["sensitive"] = frame["_station_id"].isin(list(sensitive))
    # The station's name can be a place name: hidden with the coordinates.
    out = apply_precision(frame, scope, sensitive)
    out.loc[out["precision"] == "generalised", "locationName"] = None
    return out


def detections(conn: Connection, scope: Scope, sensitive: frozenset[int], f: Filters = Filters(),
               lang: str = "en", limit: int = 1000, offset: int = 0) -> pd.DataFrame:
    """Animal observations the scope may see, newest first, with locations at the caller's precision."""
    if not 0 < limit <= MAX_ROWS:
        raise WebError(f"limit: must be between 1 and {MAX_ROWS}, not {limit}")
    if offset < 0:
        raise WebError(f"offset: must not be negative, not {offset}")
    q = _obs_where(_obs_joins(
        select(Observation.id.label("id"), Observation.source_id.label("observationID"),
               Observation.event_start_utc.label("timestamp"), Observation.utc_offset.label("utcOffset"),
               Species.scientific_name.label("scientificName"), _species_name(lang).label("vernacularName"),
               Observation.count, Individual.code.label("individualID"), Observation.individual_id.label(
                   "_individual"), Observation.media_id.label("mediaID"), Partner.code.label("partner"),
               Station.code.label("locationID"), Station.country, Station.latitude, Station.longitude,
               Station.id.label("_station_id"), Project.partner_id.label("_partner_id")))
        .outerjoin(Individual, Observation.individual_id == Individual.id), scope, f)
    q = q.order_by(Observation.event_start_utc.desc(), Observation.id.desc()).limit(limit).offset(offset)
    frame = pd.DataFrame(conn.execute(q).mappings().all(),
                         columns=["id", "observationID", "timestamp", "utcOffset", "scientificName",
                                  "vernacularName", "count", "individualID", "_individual", "mediaID", "partner",
                                  "locationID", "country", "latitude", "longitude", "_station_id", "_partner_id"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.tz_localize("UTC")
    return apply_precision(frame.drop(columns="_individual"), scope, sensitive)


def _species_name(lang: str):
    col = {"ru": Species.name_ru, "zh": Species.name_zh, "mn": Species.name_mn}.get(lang, Species.name_en)
    return func.coalesce(col, Species.name_en, Species.scientific_name)


def map_points(conn: Connection, scope: Scope, sensitive: frozenset[int], f: Filters = Filters(),
               cache: SummaryCache | None = None) -> pd.DataFrame:
    """Detections counted per station and species, then merged per shown point (a generalised cell is one point)."""
    if cache is not None and f.start is None and f.end is None and not scope.has_embargo:
        c = cache.get(conn)
        vis = _visible_counts(c, scope, f)
        agg = (vis.assign(ind=vis["individual"].where(vis["individual"] != NO_INDIVIDUAL))
               .groupby(["station", "species"], as_index=False)
               .agg(detections=("detections", "sum"), individuals=("ind", "nunique")))
        st = c.stations.set_index("station").reindex(agg["station"])
        frame = pd.DataFrame({"_station_id": agg["station"].to_numpy(), "_partner_id": st["partner"].to_numpy(),
                              "partner": st["partner_code"].to_numpy(), "latitude": st["latitude"].to_numpy(),
                              "longitude": st["longitude"].to_numpy(), "country": st["country"].to_numpy(),
                              "scientificName": agg["species"].map(c.species["scientificName"]).to_numpy(),
                              "detections": agg["detections"].to_numpy(),
                              "individuals": agg["individuals"].to_numpy()})
        return _points(frame, scope, sensitive)
    q = _obs_where(_obs_joins(
        select(Station.id.label("_station_id"), Project.partner_id.label("_partner_id"),
               Partner.code.label("partner"), Station.latitude, Station.longitude, Station.country,
               Species.scientific_name.label("scientificName"), func.count(Observation.id).label("detections"),
               func.count(func.distinct(Observation.individual_id)).label("individuals"))), scope, f)
    q = q.group_by(Station.id, Project.partner_id, Partner.code, Station.latitude, Station.longitude, Station.country,
                   Species.scientific_name)
    frame = pd.DataFrame(conn.execute(q).mappings().all(),
                         columns=["_station_id", "_partner_id", "partner", "latitude", "longitude", "country",
                                  "scientificName", "detections", "individuals"])
    return _points(frame, scope, sensitive)


def _points(frame: pd.DataFrame, scope: Scope, sensitive: frozenset[int]) -> pd.DataFrame:
    shown = apply_precision(frame, scope, sensitive)
    if shown.empty:
        return shown.assign(stations=pd.Series(dtype=int))
    shown["stations"] = 1
    return (shown.groupby(["latitude", "longitude", "precision", "partner", "country", "scientificName"],
                          as_index=False, dropna=False)
            .agg(detections=("detections", "sum"), individuals=("individuals", "max"),
                 stations=("stations", "sum"), _exact_sensitive=("_exact_sensitive", "any")))


def individuals(conn: Connection, scope: Scope, f: Filters = Filters(), lang: str = "en",
                cache: SummaryCache | None = None) -> pd.DataFrame:
    """The catalogue: individuals with a visible sighting, with counts, dates, sides and partners' aliases."""
    if cache is not None and f.start is None and f.end is None and not scope.has_embargo:
        return _individuals_cached(conn, cache.get(conn), scope, f, lang)
    q = _obs_where(_obs_joins(
        select(Individual.id, Individual.code.label("individualID"), Individual.name, Individual.sex,
               Species.scientific_name.label("scientificName"), _species_name(lang).label("vernacularName"),
               func.count(Observation.id).label("detections"),
               func.min(Observation.event_start_utc).label("firstSeen"),
               func.max(Observation.event_start_utc).label("lastSeen"))
        .join(Individual, Observation.individual_id == Individual.id)), scope, f)
    q = q.group_by(Individual.id, Individual.code, Individual.name, Individual.sex, Species.scientific_name,
                   _species_name(lang)).order_by(Species.scientific_name, Individual.code)
    frame = pd.DataFrame(conn.execute(q).mappings().all(),
                         columns=["id", "individualID", "name", "sex", "scientificName", "vernacularName",
                                  "detections", "firstSeen", "lastSeen"])
    if frame.empty:
        return frame.assign(aliases=pd.Series(dtype=object), sides=pd.Series(dtype=object))
    ids = frame["id"].tolist()
    sides = pd.DataFrame(conn.execute(_obs_where(_obs_joins(
        select(Observation.individual_id.label("id"), Station.country).distinct()), scope, f)
        .where(Observation.individual_id.in_(ids))).all(), columns=["id", "country"])
    frame["sides"] = frame["id"].map(sides.groupby("id")["country"].agg(lambda s: sorted(s.dropna())))
    aliases = _aliases(conn, scope, ids)
    frame["aliases"] = frame["id"].map(aliases.groupby("id")["alias"].agg(list)) if not aliases.empty else None
    frame["aliases"] = frame["aliases"].apply(lambda v: v if isinstance(v, list) else [])
    return frame


def _aliases(conn: Connection, scope: Scope, ids: list[int]) -> pd.DataFrame:
    rows = conn.execute(select(IndividualAlias.individual_id.label("id"), Partner.code, IndividualAlias.code.label(
        "alias_code")).join(Partner, IndividualAlias.partner_id == Partner.id)
        .where(IndividualAlias.individual_id.in_(ids), partner_filter(scope, IndividualAlias.partner_id))).all()
    frame = pd.DataFrame(rows, columns=["id", "partner", "alias_code"])
    frame["alias"] = frame["partner"] + ":" + frame["alias_code"]
    return frame


def individual(conn: Connection, scope: Scope, sensitive: frozenset[int], individual_id: int,
               lang: str = "en", cache: SummaryCache | None = None) -> dict:
    """One cat: catalogue entry, aliases, visible sightings on both sides (time order) and its photos."""
    found = individuals(conn, scope, Filters(), lang, cache)
    row = found[found["id"] == individual_id]
    if row.empty:
        raise WebError(f"individual {individual_id}: not in the catalogue you may see", status=404)
    entry = row.iloc[0].to_dict()
    q = _obs_where(_obs_joins(
        select(Observation.id, Observation.event_start_utc.label("timestamp"), Observation.media_id.label("mediaID"),
               Partner.code.label("partner"), Station.code.label("locationID"), Station.country,
               Station.latitude, Station.longitude, Station.id.label("_station_id"),
               Project.partner_id.label("_partner_id"))), scope, Filters())
    q = q.where(Observation.individual_id == individual_id).order_by(Observation.event_start_utc)
    sight = pd.DataFrame(conn.execute(q.limit(MAX_ROWS)).mappings().all(),
                         columns=["id", "timestamp", "mediaID", "partner", "locationID", "country", "latitude",
                                  "longitude", "_station_id", "_partner_id"])
    sight["timestamp"] = pd.to_datetime(sight["timestamp"]).dt.tz_localize("UTC")
    sight = apply_precision(sight, scope, sensitive)
    media_ids = [int(m) for m in sight["mediaID"].dropna().unique()[:48]]
    entry["sightings"] = sight
    entry["media"] = media_ids
    return entry


def media_file(conn: Connection, scope: Scope, media_id: int) -> tuple[str, str, bool] | None:
    """(file path as imported, owning partner code, public?) of a photo the scope may see, else None.

    The path is what a package named: only `web.media_store.media_file_for` decides what of it may be opened.
    """
    q = _obs_where(_obs_joins(select(Media.file_path, Partner.code, Media.file_public).select_from(Observation))
                   .join(Media, Observation.media_id == Media.id), scope, Filters()).where(Media.id == media_id).limit(1)
    row = conn.execute(q).first()
    return None if row is None else (row[0], row[1], bool(row[2]))


def dashboard(conn: Connection, scope: Scope, f: Filters = Filters(), lang: str = "en",
              cache: SummaryCache | None = None) -> dict:
    """Effort, detections, individuals and relative abundance per year and species, for the chosen area."""
    if cache is not None and f.start is None and f.end is None and not scope.has_embargo:
        return _dashboard_cached(cache.get(conn), scope, f, lang)
    deps, outages = effort_frames(conn)
    deps = deps[deps["partner_id"].isin(scope.partner_ids())]
    if f.partner:
        deps = deps[deps["partner"] == f.partner]
    if f.side:
        deps = deps[deps["country"] == f.side]
    effort = _effort_by_year(deps, outages, f)
    year = func.extract("year", Observation.event_start_utc)
    q = _obs_where(_obs_joins(
        select(year.label("year"), Species.scientific_name.label("scientificName"),
               _species_name(lang).label("vernacularName"), func.count(Observation.id).label("detections"),
               func.count(func.distinct(Observation.individual_id)).label("individuals"),
               func.count(func.distinct(Station.id)).label("stations"))), scope, f)
    q = q.group_by(year, Species.scientific_name, _species_name(lang))
    det = pd.DataFrame(conn.execute(q).mappings().all(),
                       columns=["year", "scientificName", "vernacularName", "detections", "individuals", "stations"])
    return _dashboard_out(det, effort, deps)


def _dashboard_out(det: pd.DataFrame, effort: pd.Series, deps: pd.DataFrame) -> dict:
    det["year"] = det["year"].astype(int)
    det["trapNights"] = det["year"].map(effort).fillna(0.0)
    # Relative abundance index: detections per 100 trap-nights; undefined (null) without effort.
    det["rai"] = np.where(det["trapNights"] > 0, 100 * det["detections"] / det["trapNights"].where(
        det["trapNights"] > 0, 1), np.nan)
    det = det.sort_values(["scientificName", "year"]).reset_index(drop=True)
    return {"effort": [{"year": int(y), "trapNights": round(float(d), 1)} for y, d in effort.items()],
            "effortUnit": EFFORT_TERM, "species": det, "deployments": int(len(deps)),
            "partners": sorted(deps["partner"].unique().tolist())}


def _effort_by_year(deps: pd.DataFrame, outages: pd.DataFrame, f: Filters) -> pd.Series:
    """Trap-nights per calendar year (the one effort convention, bigcats.survey.effort), in the date filter."""
    return effort_by_year(deps, outages, f.start, f.end)


def partners(conn: Connection, scope: Scope) -> list[dict]:
    """The partners whose data the caller may see, with the precision granted."""
    rows = conn.execute(select(Partner.id, Partner.code, Partner.name, Partner.country)
                        .where(partner_filter(scope, Partner.id)).order_by(Partner.code)).all()
    return [{"code": r.code, "name": r.name, "country": r.country,
             "exactLocations": bool(scope.partners[r.id].exact and not scope.caller.is_public)} for r in rows]


def species_list(conn: Connection, lang: str = "en") -> list[dict]:
    """The species recorded in the store, with names in the reader's language."""
    rows = conn.execute(select(Species.scientific_name, _species_name(lang).label("name"), Species.sensitive)
                        .where(select(Observation.id).where(Observation.species_id == Species.id).exists())
                        .order_by(Species.scientific_name)).all()
    return [{"scientificName": r.scientific_name, "name": r.name, "sensitive": bool(r.sensitive)} for r in rows]


def _scope_mask(c: Counts, rows: pd.DataFrame, scope: Scope, f: Filters) -> np.ndarray:
    """Which cached rows (with partner, species and station columns) a scope may see under the user's filters."""
    mask = row_mask(scope, rows["partner"], rows["species"])
    if f.species:
        ids = c.species.index[c.species["scientificName"].isin(f.species)]
        mask = mask & rows["species"].isin(ids).to_numpy()
    if f.partner or f.side:
        st = c.stations.set_index("station").reindex(rows["station"])
        if f.partner:
            mask = mask & (st["partner_code"] == f.partner).to_numpy()
        if f.side:
            mask = mask & (st["country"] == f.side).to_numpy()
    return mask


def _visible_counts(c: Counts, scope: Scope, f: Filters) -> pd.DataFrame:
    """The cached counts a scope may see, under the user's filters."""
    return c.counts[_scope_mask(c, c.counts, scope, f)]


def _names(c: Counts, species: pd.Series, lang: str) -> pd.Series:
    table = c.species.reindex(species)
    col = lang if lang in ("ru", "zh", "mn") else "en"
    name = table[col].fillna(table["en"]).fillna(table["scientificName"])
    return pd.Series(name.to_numpy(), index=species.index)


def _dashboard_cached(c: Counts, scope: Scope, f: Filters, lang: str) -> dict:
    deps = c.deployments[c.deployments["partner_id"].isin(scope.partner_ids())]
    if f.partner:
        deps = deps[deps["partner"] == f.partner]
    if f.side:
        deps = deps[deps["country"] == f.side]
    effort = _effort_by_year(deps, c.outages, f)
    vis = _visible_counts(c, scope, f)
    det = (vis.assign(ind=vis["individual"].where(vis["individual"] != NO_INDIVIDUAL))
           .groupby(["year", "species"], as_index=False)
           .agg(detections=("detections", "sum"), individuals=("ind", "nunique"), stations=("station", "nunique")))
    det.insert(1, "scientificName", det["species"].map(c.species["scientificName"]))
    det.insert(2, "vernacularName", _names(c, det["species"], lang))
    det = det.drop(columns="species")
    return _dashboard_out(det, effort, deps)


def _individuals_cached(conn: Connection, c: Counts, scope: Scope, f: Filters, lang: str) -> pd.DataFrame:
    vis = _visible_counts(c, scope, f)
    vis = vis[vis["individual"] != NO_INDIVIDUAL]
    cols = ["id", "individualID", "name", "sex", "scientificName", "vernacularName", "detections", "firstSeen",
            "lastSeen", "sides", "aliases"]
    if vis.empty:
        return pd.DataFrame(columns=cols)
    agg = vis.groupby("individual").agg(detections=("detections", "sum"), firstSeen=("first", "min"),
                                        lastSeen=("last", "max"))
    country = vis["station"].map(c.stations.set_index("station")["country"])
    sides = country.groupby(vis["individual"]).agg(lambda s: sorted(s.dropna().unique()))
    ind = c.individuals.reindex(agg.index)
    out = pd.DataFrame({"id": agg.index.to_numpy(), "individualID": ind["individualID"].to_numpy(),
                        "name": ind["name"].to_numpy(), "sex": ind["sex"].to_numpy(),
                        "scientificName": ind["species"].map(c.species["scientificName"]).to_numpy(),
                        "vernacularName": _names(c, ind["species"], lang).to_numpy(),
                        "detections": agg["detections"].to_numpy(), "firstSeen": agg["firstSeen"].to_numpy(),
                        "lastSeen": agg["lastSeen"].to_numpy(), "sides": sides.reindex(agg.index).to_numpy()})
    aliases = _aliases(conn, scope, out["id"].tolist())
    grouped = aliases.groupby("id")["alias"].agg(list) if not aliases.empty else pd.Series(dtype=object)
    out["aliases"] = out["id"].map(grouped).apply(lambda v: v if isinstance(v, list) else [])
    return out.sort_values(["scientificName", "individualID"]).reset_index(drop=True)


def _image_partner(stem: str, aliases: list[str]) -> str | None:
    """The partner of a reference photo: the one whose code for the animal begins the photo's name (Wildbook
    encounters are named after the partner's code), when exactly one alias matches."""
    hits = {a.split(":", 1)[0] for a in aliases if stem.startswith(a.split(":", 1)[1] + "_")
            or stem.startswith(a.split(":", 1)[1] + "-")}
    return hits.pop() if len(hits) == 1 else None


def individual_photos(conn: Connection, scope: Scope, entry: dict, media_root) -> list[dict]:
    """Photos of one visible cat the caller may see, by flank: reference photos and photos of its sightings.

    The public gets none (a landscape can give a place away); a reference photo whose partner is known is shown
    only if that partner's data of the species is visible to the caller. Only files under the media root count.
    """
    from pathlib import Path

    from bigcats.store.models_identify import IndividualImage
    from bigcats.web.photos import media_file_for

    if scope.caller.is_public:
        return []
    pids = dict(conn.execute(select(Partner.code, Partner.id)).all())
    species_id = conn.execute(select(Species.id).where(Species.scientific_name == entry["scientificName"])
                              ).scalar_one_or_none()
    out = []
    rows = conn.execute(select(IndividualImage.id, IndividualImage.side, IndividualImage.encounter,
                               func.coalesce(IndividualImage.file_path, Media.file_path).label("path"),
                               IndividualImage.added_at)
                        .outerjoin(Media, IndividualImage.media_id == Media.id)
                        .where(IndividualImage.individual_id == int(entry["id"]))
                        .order_by(IndividualImage.side, IndividualImage.id).limit(200)).all()
    for r in rows:
        if media_file_for(r.path, media_root) is None:
            continue
        partner = _image_partner(Path(r.path).stem, entry.get("aliases") or [])
        if partner is not None:
            access = scope.partners.get(pids.get(partner))
            if access is None or (access.species is not None and species_id not in access.species):
                continue
        out.append({"kind": "reference", "id": r.id, "flank": r.side, "partner": partner,
                    "date": None, "station": None, "side": None,
                    "url": f"/api/photos/reference/{r.id}/thumb.jpg",
                    "large": f"/api/photos/reference/{r.id}/large.jpg"})
    sight = entry["sightings"]
    if entry["media"]:
        paths = dict(conn.execute(select(Media.id, Media.file_path).where(Media.id.in_(entry["media"]))).all())
        first = sight.dropna(subset=["mediaID"]).drop_duplicates("mediaID").set_index("mediaID")
        for m in entry["media"]:
            if media_file_for(paths.get(m), media_root) is None:
                continue
            s = first.loc[m] if m in first.index else None
            out.append({"kind": "sighting", "id": int(m), "flank": None,
                        "partner": None if s is None else s["partner"],
                        "date": None if s is None else s["timestamp"], "station": None if s is None else
                        s["locationID"], "side": None if s is None else s["country"],
                        "url": f"/api/photos/media/{m}/thumb.jpg", "large": f"/api/photos/media/{m}/large.jpg"})
    return out


def reference_photo_file(conn: Connection, scope: Scope, image_id: int, media_root,
                         cache: SummaryCache | None = None):
    """The file of a reference photo the caller may see (see individual_photos), else a 404 WebError."""
    from bigcats.store.models_identify import IndividualImage
    from bigcats.web.photos import media_file_for

    row = conn.execute(select(IndividualImage.individual_id, func.coalesce(IndividualImage.file_path,
                                                                           Media.file_path).label("path"))
                       .outerjoin(Media, IndividualImage.media_id == Media.id)
                       .where(IndividualImage.id == image_id)).one_or_none()
    missing = WebError(f"photo {image_id}: not found among what you may see", status=404)
    if row is None or scope.caller.is_public:
        raise missing
    found = individuals(conn, scope, Filters(), "en", cache)
    hit = found[found["id"] == row.individual_id]
    if hit.empty:
        raise missing
    entry = hit.iloc[0].to_dict() | {"sightings": pd.DataFrame(columns=["mediaID"]), "media": []}
    allowed = {p["id"] for p in individual_photos(conn, scope, entry, media_root)}
    path = media_file_for(row.path, media_root)
    if image_id not in allowed or path is None:
        raise missing
    return path


def media_photo_file(conn: Connection, scope: Scope, media_id: int, media_root):
    """The file of a photo of an observation the caller may see, under the media root, else a 404 WebError."""
    from bigcats.web.photos import media_file_for

    if scope.caller.is_public:
        raise WebError(f"media {media_id}: photos are shown to signed-in partners only", status=404)
    row = media_file(conn, scope, media_id)
    path = media_file_for(row[0], media_root) if row is not None else None
    if path is None:
        raise WebError(f"media {media_id}: the file is not on this server", status=404)
    return path


PERIODS = ("month", "season", "year")
SEASONS = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring", 6: "summer", 7: "summer",
           8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}


def _period_labels(year: pd.Series, month: pd.Series, period: str) -> pd.Series:
    """Period labels that sort in time: 2024-05, 2024-1 winter (December counts to the next year's winter), 2024."""
    year = year.astype(int)
    month = month.astype(int)
    if period == "month":
        return year.astype(str) + "-" + month.map("{:02d}".format)
    if period == "season":
        season_year = year + (month == 12).astype(int)
        order = month.map({12: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 3, 7: 3, 8: 3, 9: 4, 10: 4, 11: 4})
        return season_year.astype(str) + "-" + order.astype(str) + " " + month.map(SEASONS)
    return year.astype(str)


def series(conn: Connection, scope: Scope, f: Filters = Filters(), period: str = "month", lang: str = "en",
           cache: SummaryCache | None = None) -> dict:
    """Trap-nights, detections and detections per 100 trap-nights per species over time (months, seasons or
    years), for the charts of the dashboard.

    Trap-nights are the library's (camtrapR's convention, outages removed) per local calendar month;
    detections are animal observations the scope may see, under the filters (dates included).
    """
    if period not in PERIODS:
        raise WebError(f"period: must be one of {', '.join(PERIODS)}, not {period!r}")
    if cache is None:
        cache = SummaryCache()
    c = cache.get(conn)
    deps = c.deployments[c.deployments["partner_id"].isin(scope.partner_ids())]
    if f.partner:
        deps = deps[deps["partner"] == f.partner]
    if f.side:
        deps = deps[deps["country"] == f.side]
    deps = deps[pd.to_datetime(deps["end"]) > pd.to_datetime(deps["start"])]
    empty = {"period": period, "labels": [], "trapNights": [], "species": []}
    if deps.empty:
        return empty
    key = ("effort", tuple(sorted(deps["id"].tolist())))
    if key not in c.memo:
        c.memo[key] = _monthly_effort(c, deps)
    effort = c.memo[key]
    if f.start or f.end:
        ym = effort["year"] * 12 + effort["month"]
        lo = f.start.year * 12 + f.start.month if f.start else -10**9
        hi = f.end.year * 12 + f.end.month if f.end else 10**9
        effort = effort[(ym >= lo) & (ym <= hi)]
    effort = effort.assign(label=_period_labels(effort["year"], effort["month"], period))
    days = effort.groupby("label")["trapNights"].sum()
    if scope.has_embargo or f.start or f.end:
        det = _monthly_sql(conn, scope, f)
    else:
        det = _monthly_cached(c, scope, f)
    return _series_out(c, det, days, period, lang)


def _monthly_effort(c: Counts, deps: pd.DataFrame) -> pd.DataFrame:
    from bigcats.analysis.effort import trap_nights

    frame = deps[["deploymentID", "locationID", "deploymentStart", "deploymentEnd", "utcOffset"]].assign(
        utcOffset=deps["utcOffset"].fillna(0).astype(int))
    outages = c.outages[c.outages["deploymentID"].isin(frame["deploymentID"])]
    return trap_nights(frame, outages if len(outages) else None, by=["year", "month"])


def _series_out(c: Counts, det: pd.DataFrame, days: pd.Series, period: str, lang: str) -> dict:
    det = det.assign(label=_period_labels(det["year"], det["month"], period)) if len(det) else det.assign(
        label=pd.Series(dtype=str))
    labels = sorted(set(days.index) | set(det["label"]))
    camera_days = days.reindex(labels).fillna(0.0)
    out_species = []
    if len(det):
        by = det.groupby(["species", "label"])["detections"].sum()
        names = _names(c, pd.Series(sorted(det["species"].unique())), lang)
        for sid, name in zip(sorted(det["species"].unique()), names, strict=True):
            counts = by.loc[sid].reindex(labels).fillna(0).astype(int)
            rai = np.where(camera_days.to_numpy() > 0, 100 * counts.to_numpy() / np.maximum(camera_days.to_numpy(), 1e-9),
                           np.nan)
            out_species.append({"scientificName": c.species.loc[sid, "scientificName"], "name": name,
                                "detections": counts.tolist(),
                                "rai": [None if v != v else round(float(v), 3) for v in rai]})
    out_species.sort(key=lambda s: -sum(s["detections"]))
    return {"period": period, "labels": labels, "trapNights": [round(float(v), 1) for v in camera_days],
            "species": out_species}


def _monthly_cached(c: Counts, scope: Scope, f: Filters) -> pd.DataFrame:
    m = c.monthly
    return m[_scope_mask(c, m, scope, f)][["species", "year", "month", "detections"]]


def _monthly_sql(conn: Connection, scope: Scope, f: Filters) -> pd.DataFrame:
    year = func.extract("year", Observation.event_start_utc)
    month = func.extract("month", Observation.event_start_utc)
    q = _obs_where(_obs_joins(select(Observation.species_id, year, month, func.count(Observation.id))), scope, f)
    q = q.group_by(Observation.species_id, year, month)
    return pd.DataFrame(conn.execute(q).all(), columns=["species", "year", "month", "detections"]).astype("int64")


def individuals_by_side(frame: pd.DataFrame) -> list[dict]:
    """Individuals of the catalogue frame per species: seen on one side only (per side) or on both."""
    out = []
    if frame.empty:
        return out
    for (sci, name), g in frame.groupby(["scientificName", "vernacularName"]):
        sides = g["sides"].map(lambda v: tuple(v) if isinstance(v, (list, tuple, np.ndarray)) else ())
        row = {"scientificName": sci, "name": name, "total": int(len(g)),
               "both": int((sides.map(len) > 1).sum())}
        for side in ("RUS", "CHN", "MNG"):
            row[side] = int((sides == (side,)).sum())
        out.append(row)
    return out
