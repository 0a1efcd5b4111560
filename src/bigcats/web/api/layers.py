"""Map layers, home ranges and density estimates for the map and the dashboard.

Boundary and habitat layers are not sensitive: everyone gets them. Home ranges are drawn from the cats'
detections, so they obey the visibility rules of visibility.py: a home range is exact only when every
detection behind it is one the caller may see exactly. Everyone else gets the range's footprint on the 10 km
equal-area grid that generalises points (the cells its polygon touches), which tells no more than the
generalised detections already do, yet still shows managers which cells, on which side, a cat uses.
SCR density fits take seconds, so each result is kept in memory until the data change.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Annotated

import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pyproj import Transformer
from sqlalchemy import Connection, Engine, func, select

from bigcats.geo.privacy import DEFAULT_CELL_KM
from bigcats.geo.publish import layer_geojson, list_layers
from bigcats.population.errors import PopulationError
from bigcats.population.homerange import mcp
from bigcats.store.models import Deployment, Individual, IntakeBatch, Observation, Partner, Project, Species, Station
from bigcats.store.models_layers import LAYER_KINDS
from bigcats.web import queries
from bigcats.web.api.data import GEOJSON, FiltersDep, _json
from bigcats.web.deps import Conn, LangDep, ScopeDep, SensitiveDep, StateDep
from bigcats.web.errors import WebError
from bigcats.web.respcache import answer
from bigcats.web.visibility import Scope, apply_precision

router = APIRouter(tags=["layers"])

# EASE-Grid 2.0 (equal area): the grid of bigcats.geo.privacy, so footprints and generalised points share cells.
_TO_GRID = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)
_FROM_GRID = Transformer.from_crs("EPSG:6933", "EPSG:4326", always_xy=True)
MIN_RELOCATIONS = 5  # adehabitatHR's minimum for an MCP
MIN_STATIONS = 3  # fewer distinct places give a line or a point, not a range
MAX_DENSITY_SPECIES = 3
# A hull whose area is under this share of its squared perimeter is a sliver along stations in a line
# (projection wobble keeps them from being exactly collinear): no area worth drawing.
FLAT_RATIO = 1e-3


@router.get("/layers")
def layers(request: Request, conn: Conn, scope: ScopeDep, state: StateDep) -> Response:
    """Published map layers (boundaries, habitat): name, kind, feature count, countries, source."""
    return answer(request, conn, scope, state, "", lambda: (_json(list_layers(conn)), None))


@router.get("/layers/{name}.geojson")
def layer(name: str, conn: Conn) -> dict:
    """One published layer's features as GeoJSON in WGS84 (not sensitive: open to everyone)."""
    out = layer_geojson(conn, name=name)
    if not out["features"]:
        raise WebError(f"layer {name!r}: not published on this server (see /api/layers)", status=404)
    return out


@router.get("/layers.geojson")
def layers_by_kind(request: Request, conn: Conn, scope: ScopeDep, state: StateDep,
                   kind: Annotated[str, Query(description=f"one of {', '.join(LAYER_KINDS)}")] = "parks",
                   zoom: Annotated[int | None, Query(ge=0, le=22, description="web-map zoom level: outlines "
                                                     "simplified to half a screen pixel at it")] = None
                   ) -> Response:
    """Every published feature of one kind (parks, zones, units, habitat, other) as GeoJSON, made once per data
    version (and zoom)."""
    if kind not in LAYER_KINDS:
        raise WebError(f"kind: must be one of {', '.join(LAYER_KINDS)}, not {kind!r}")

    def make():
        out = layer_geojson(conn, kind=kind)
        if zoom is not None:
            out = simplified(out, zoom)
        return _json(out, GEOJSON), None
    return answer(request, conn, scope, state, "", make)


def simplified(collection: dict, zoom: int) -> dict:
    """A FeatureCollection with each geometry simplified to half a pixel at a web-map zoom (topology kept)."""
    tolerance = 360.0 / (256 * 2 ** zoom) / 2  # degrees per screen pixel at the equator, halved
    features = []
    for feat in collection["features"]:
        geom = shapely.geometry.shape(feat["geometry"]) if feat.get("geometry") else None
        if geom is not None and not geom.is_empty:
            geom = shapely.simplify(geom, tolerance, preserve_topology=True)
        features.append({**feat, "geometry": shapely.geometry.mapping(geom) if geom is not None else None})
    return {**collection, "features": features}


# -- home ranges -------------------------------------------------------------------------------------------------

def relocations(conn: Connection, scope: Scope, sensitive: frozenset[int], f: queries.Filters) -> pd.DataFrame:
    """Detections of identified cats the scope may see, with exact and shown coordinates and their precision."""
    q = queries._obs_where(queries._obs_joins(
        select(Observation.individual_id.label("individual"), Individual.code.label("individualID"),
               Species.scientific_name.label("scientificName"), Partner.code.label("partner"), Station.country,
               Station.latitude, Station.longitude, Station.id.label("_station_id"),
               Project.partner_id.label("_partner_id"))
        .join(Individual, Observation.individual_id == Individual.id)), scope, f)
    frame = pd.DataFrame(conn.execute(q).mappings().all(),
                         columns=["individual", "individualID", "scientificName", "partner", "country", "latitude",
                                  "longitude", "_station_id", "_partner_id"])
    frame["station"] = frame["_station_id"]
    frame["exact_lon"] = frame["longitude"].astype(float)
    frame["exact_lat"] = frame["latitude"].astype(float)
    return apply_precision(frame, scope, sensitive)


def _cells_touched(hulls: np.ndarray, cell_km: float) -> np.ndarray:
    """For each polygon in grid metres, the union of the grid cells it touches (also in grid metres)."""
    size = cell_km * 1000.0
    bounds = shapely.bounds(hulls)
    lo = np.floor(bounds[:, :2] / size).astype(np.int64)
    hi = np.floor(bounds[:, 2:] / size).astype(np.int64)
    nx, ny = hi[:, 0] - lo[:, 0] + 1, hi[:, 1] - lo[:, 1] + 1
    owner = np.repeat(np.arange(len(hulls)), nx * ny)
    # Enumerate each hull's bounding block of cells at once, then keep those its polygon touches.
    k = np.arange(len(owner)) - np.repeat(np.cumsum(nx * ny) - nx * ny, nx * ny)
    ix = lo[owner, 0] + k % nx[owner]
    iy = lo[owner, 1] + k // nx[owner]
    boxes = shapely.box(ix * size, iy * size, (ix + 1) * size, (iy + 1) * size)
    hit = shapely.intersects(boxes, hulls[owner])
    # Touching only along an edge or corner is not being in the cell.
    hit &= shapely.area(shapely.intersection(boxes, hulls[owner])) > 0
    return np.array([shapely.union_all(boxes[hit & (owner == i)]) for i in range(len(hulls))], dtype=object)


def home_ranges(frame: pd.DataFrame, percent: float = 95.0, cell_km: float = DEFAULT_CELL_KM
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MCP home ranges (WGS84) of the relocations' cats: exact where every relocation is, else cell footprints.

    Returns (ranges, skipped): ranges has individualID, scientificName, points, stations, precision,
    area_km2, partners, sides, geometry; skipped names the cats with too few relocations or places.
    """
    cols = ["individualID", "scientificName", "points", "stations", "precision", "area_km2", "partners", "sides",
            "geometry"]
    if frame.empty:
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=["individualID", "reason"])
    g = frame.groupby("individualID")
    per = pd.DataFrame({"points": g.size(), "stations": g["station"].nunique(),
                        "exact": g["precision"].agg(lambda s: bool((s == "exact").all())),
                        "scientificName": g["scientificName"].first(),
                        "partners": g["partner"].agg(lambda s: sorted(s.dropna().unique())),
                        "sides": g["country"].agg(lambda s: sorted(s.dropna().unique()))})
    few = per["points"] < MIN_RELOCATIONS
    narrow = ~few & (per["stations"] < MIN_STATIONS)
    skipped = pd.DataFrame({"individualID": per.index[few | narrow],
                            "reason": np.where(few[few | narrow], f"fewer than {MIN_RELOCATIONS} detections",
                                               f"seen at fewer than {MIN_STATIONS} places")})
    per = per[~(few | narrow)]
    if per.empty:
        return pd.DataFrame(columns=cols), skipped
    use = frame[frame["individualID"].isin(per.index)]
    x, y = _TO_GRID.transform(use["exact_lon"].to_numpy(float), use["exact_lat"].to_numpy(float))
    ranges = mcp(pd.DataFrame({"individualID": use["individualID"].to_numpy(), "x": x, "y": y}), percent)
    ranges = ranges.drop(columns="points").set_index("individualID").join(per)
    hulls = ranges["geometry"].to_numpy()
    poly = (shapely.get_type_id(hulls) == 3) & (shapely.area(hulls) >= FLAT_RATIO * shapely.length(hulls) ** 2)
    flat = ranges.index[~poly]
    if len(flat):
        # Stations in a line after the percent trim: no area to draw.
        skipped = pd.concat([skipped, pd.DataFrame({"individualID": flat, "reason": "detections lie on a line"})])
        ranges, hulls = ranges[poly], hulls[poly]
    exact = ranges["exact"].to_numpy(bool)
    shown = hulls.copy()
    if (~exact).any():
        shown[~exact] = _cells_touched(hulls[~exact], cell_km)
    area = shapely.area(shown) / 1e6
    to_wgs = lambda xy: np.column_stack(_FROM_GRID.transform(xy[:, 0], xy[:, 1]))  # noqa: E731
    geom = shapely.set_precision(shapely.transform(shown, to_wgs), 1e-5)
    out = pd.DataFrame({"individualID": ranges.index.to_numpy(), "scientificName": ranges["scientificName"].to_numpy(),
                        "points": ranges["points"].to_numpy(), "stations": ranges["stations"].to_numpy(),
                        "precision": np.where(exact, "exact", "generalised"), "area_km2": np.round(area, 2),
                        "partners": ranges["partners"].to_numpy(), "sides": ranges["sides"].to_numpy(),
                        "geometry": geom})
    return out.reset_index(drop=True), skipped.reset_index(drop=True)


@router.get("/homeranges.geojson")
def homeranges(request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep, f: FiltersDep,
               state: StateDep, percent: Annotated[float, Query(gt=0, le=100, description="MCP percent of detections kept")] = 95.0
               ) -> dict:
    """Home ranges (MCP) of identified cats: exact polygons to the entitled, 10 km cell footprints to others.

    Computed once per data version, visibility and query (`web.respcache`); exact ones logged on every read."""
    def make():
        frame = relocations(conn, scope, sensitive, f)
        ranges, skipped = home_ranges(frame, percent)
        exact_ids = set(ranges.loc[ranges["precision"] == "exact", "individualID"])
        features = [{"type": "Feature", "geometry": shapely.geometry.mapping(row.geometry),
                     "properties": {"individualID": row.individualID, "scientificName": row.scientificName,
                                    "points": int(row.points), "stations": int(row.stations),
                                    "precision": row.precision, "area_km2": float(row.area_km2),
                                    "percent": percent if row.precision == "exact" else None,
                                    "partners": list(row.partners), "sides": list(row.sides)}}
                    for row in ranges.itertuples(index=False)]
        return _json({"type": "FeatureCollection", "features": features, "cellKm": DEFAULT_CELL_KM,
                      "skipped": skipped.to_dict(orient="records")}), frame[frame["individualID"].isin(exact_ids)]
    return answer(request, conn, scope, state, "", make)


# -- density -----------------------------------------------------------------------------------------------------

@dataclass
class DensityCache:
    """SCR density results per species and visible data, dropped when the data change."""

    version: object = None
    results: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self, conn: Connection) -> None:
        """Forget every result if anything was imported or written since they were computed."""
        key = (conn.execute(select(func.max(IntakeBatch.id), func.count(IntakeBatch.id))).one(),
               conn.execute(select(func.max(Observation.id))).scalar(),
               conn.execute(select(func.max(Deployment.id))).scalar())
        if key != self.version:
            self.results = {}
            self.version = key


def _density_cache(request: Request) -> DensityCache:
    state = request.app.state
    if getattr(state, "bigcats_density", None) is None:
        state.bigcats_density = DensityCache()
    return state.bigcats_density


def _visible_partners(conn: Connection, scope: Scope, species: str) -> list[str]:
    """Codes of the partners whose records of this species the scope may see."""
    sid = conn.execute(select(Species.id).where(Species.scientific_name == species)).scalar_one_or_none()
    if sid is None:
        raise WebError(f"species: {species!r} is not in the taxonomy")
    ids = [p for p, a in scope.partners.items() if a.species is None or sid in a.species]
    if not ids:
        return []
    return sorted(conn.execute(select(Partner.code).where(Partner.id.in_(ids))).scalars().all())


def estimate_density(engine: Engine, species: str, partners: list[str], side: str | None = None) -> dict:
    """SCR density of one species from the given partners' deployments and detections (one side when given).

    The same verb as `bigcats density` and the status report (`bigcats.survey.estimate_density`); only the
    selection differs: the partners whose records of the species the caller may see.
    """
    from bigcats.core.frames import SelectionError
    from bigcats.store.query import load_frames
    from bigcats.survey import estimate_density as fit_density

    started = time.perf_counter()
    base = {"scientificName": species, "partners": partners, "side": side}
    if not partners:
        return {**base, "status": "error", "message": "no partner's records of this species are visible to you"}
    frames = load_frames(engine)
    if frames.empty:
        return {**base, "status": "error", "message": "no deployments in this selection"}
    # Effort counts only where the species' records are visible: other stations would dilute the density.
    visible = frames.deployments["partner"].isin(partners)
    frames = replace(frames, deployments=frames.deployments[visible])
    try:
        frames = frames.select(country=side, species=[species])
        est = fit_density(frames, species)
    except (PopulationError, SelectionError, ValueError, np.linalg.LinAlgError) as exc:
        return {**base, "status": "error", "message": str(exc)}
    if not est.finite():
        return {**base, "status": "error", "message": "the fit gave no finite density (too few recaptures)"}
    d = est.density()
    deps = frames.deployments
    return {**base, "status": "ok", "unit": d["unit"], "estimate": d["estimate"], "SE": d["SE"],
            "lcl": d["lcl"], "ucl": d["ucl"], "individuals": int(est.fit.n),
            "detectors": int(len(est.inputs.stations)), "occasions": int(est.inputs.capthist.usage.shape[1]),
            "start": deps["deploymentStart"].min().isoformat(), "end": deps["deploymentEnd"].max().isoformat(),
            "warnings": est.to_dict()["warnings"], "seconds": round(time.perf_counter() - started, 2)}


def _identified_species(conn: Connection, scope: Scope, f: queries.Filters, lang: str) -> list[dict]:
    q = queries._obs_where(queries._obs_joins(
        select(Species.scientific_name, queries._species_name(lang).label("name"),
               func.count(func.distinct(Observation.individual_id)).label("individuals")))
        .where(Observation.individual_id.is_not(None)), scope, f)
    q = q.group_by(Species.scientific_name, queries._species_name(lang)).order_by(Species.scientific_name)
    return [{"scientificName": r.scientific_name, "name": r.name, "individualsSeen": int(r.individuals)}
            for r in conn.execute(q).all()]


@router.get("/density")
def density(request: Request, conn: Conn, scope: ScopeDep, f: FiltersDep, lang: LangDep, state: StateDep,
            compute: Annotated[bool, Query(description="fit the species not yet estimated (seconds each)")] = False
            ) -> list[dict]:
    """SCR density per 100 km² with its 95% interval, per species with identified cats you may see.

    Fits use the records the caller may see of the whole survey period (the date filter does not apply) and
    one side when `side` is given. A species is fitted when named in `species` or when `compute` is true;
    otherwise the status is 'not computed' until someone asks.
    """
    if f.partner:
        raise WebError("partner: density is estimated over every visible partner's stations of a side, "
                       "not per partner; use side instead")
    listed = _identified_species(conn, scope, queries.Filters(species=f.species, side=f.side), lang)
    if f.species:
        known = {s["scientificName"] for s in listed}
        listed += [{"scientificName": s, "name": s, "individualsSeen": 0} for s in f.species if s not in known]
        if len(f.species) > MAX_DENSITY_SPECIES:
            raise WebError(f"species: at most {MAX_DENSITY_SPECIES} species per request")
    cache = _density_cache(request)
    out = []
    with cache.lock:
        # One fit at a time: they are CPU-bound and a second identical request should wait for the first's result.
        cache.current(conn)
        for s in listed:
            partners = _visible_partners(conn, scope, s["scientificName"])
            key = (s["scientificName"], tuple(partners), f.side)
            result = cache.results.get(key)
            if result is None and (f.species or compute):
                result = estimate_density(state.engine, s["scientificName"], partners, f.side)
                cache.results[key] = result
            out.append({**(result or {"scientificName": s["scientificName"], "partners": partners, "side": f.side,
                                      "status": "not computed"}), "name": s["name"],
                        "individualsSeen": s["individualsSeen"]})
    return out
