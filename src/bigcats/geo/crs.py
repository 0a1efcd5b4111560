"""Coordinate reference systems of the partners, and reprojection that applies the datum transformation.

China's CGCS2000, Russia's Pulkovo 1942 (and its Gauss-Krüger zones) and GSK-2011, and WGS84 UTM all sit on
different datums. Pulkovo 1942 differs from WGS84 by about 100 m in Primorye, so a plain change of axis or of
projection is not enough: every reprojection here goes through a PROJ operation that includes the datum shift,
chosen for the area the data cover.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from pyproj.aoi import AreaOfInterest
from pyproj.transformer import TransformerGroup

from bigcats.geo.errors import GeoError

WGS84 = pyproj.CRS.from_epsg(4326)

# Short names partners use on field sheets and in the CLI.
NAMED_CRS: dict[str, int] = {
    "wgs84": 4326,
    "cgcs2000": 4490,
    "pulkovo1942": 4284,
    "gsk2011": 7683,
}

# Geodetic CRSs whose datum matches WGS84 to better than a metre, where PROJ's "ballpark" (no shift) operation is
# the right one: CGCS2000 is aligned to ITRF97 and agrees with WGS84 at the centimetre-to-decimetre level.
WGS84_EQUIVALENT_DATUMS: frozenset[int] = frozenset({4326, 4979, 4978, 4490, 4480, 4479})


def parse_crs(value: str | int | pyproj.CRS) -> pyproj.CRS:
    """A CRS from a short name (cgcs2000, pulkovo1942, gsk2011, wgs84), an EPSG code or any PROJ/WKT text."""
    if isinstance(value, pyproj.CRS):
        return value
    if isinstance(value, str) and value.strip().lower().replace("-", "").replace(" ", "") in NAMED_CRS:
        return pyproj.CRS.from_epsg(NAMED_CRS[value.strip().lower().replace("-", "").replace(" ", "")])
    try:
        return pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise GeoError(f"unknown coordinate reference system {value!r}: {exc}") from None


def utm_crs(lon: float, lat: float) -> pyproj.CRS:
    """The WGS84 UTM zone CRS containing a point."""
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def gauss_kruger_pulkovo(lon: float) -> pyproj.CRS:
    """The Pulkovo 1942 6-degree Gauss-Krüger zone CRS (EPSG:28404-28432, zone in the easting) for a longitude."""
    zone = int(np.floor(lon / 6.0)) + 1
    if not 4 <= zone <= 32:
        raise GeoError(f"longitude {lon} is outside the Pulkovo 1942 Gauss-Krüger zones 4-32")
    return pyproj.CRS.from_epsg(28400 + zone)


def _datum_key(crs: pyproj.CRS) -> int | None:
    geod = crs.geodetic_crs
    return geod.to_epsg() if geod is not None else None


def lonlat_bounds(bounds: tuple[float, float, float, float], crs: pyproj.CRS) -> tuple[float, float, float, float]:
    """Bounds (minx, miny, maxx, maxy) in crs as longitude/latitude bounds on crs's own datum."""
    geod = crs.geodetic_crs
    if geod is None:
        raise GeoError(f"CRS {crs.name!r} has no geodetic datum; cannot place the data on the Earth")
    if crs.is_geographic:
        return bounds
    to_geo = pyproj.Transformer.from_crs(crs, geod, always_xy=True)
    return tuple(float(v) for v in to_geo.transform_bounds(*bounds, densify_pts=21))  # type: ignore[return-value]


@dataclass(frozen=True)
class Operation:
    """The PROJ operation chosen for a reprojection, kept so reports can say which datum shift was applied."""

    transformer: pyproj.Transformer
    description: str
    accuracy_m: float | None
    ballpark: bool


def choose_operation(
    src: pyproj.CRS,
    dst: pyproj.CRS,
    bounds: tuple[float, float, float, float] | None = None,
    allow_ballpark: bool | None = None,
) -> Operation:
    """The best available PROJ operation from src to dst for data within bounds (given in src), datum shift included.

    allow_ballpark None means: only where both datums are WGS84-equivalent (e.g. CGCS2000 to WGS84); otherwise an
    operation without a datum shift is refused, since it would misplace the data by tens to hundreds of metres.
    """
    aoi = None
    if bounds is not None and all(np.isfinite(bounds)):
        w, s, e, n = lonlat_bounds(bounds, src)
        aoi = AreaOfInterest(max(w, -180.0), max(s, -90.0), min(e, 180.0), min(n, 90.0))
    group = TransformerGroup(src, dst, always_xy=True, area_of_interest=aoi, allow_ballpark=False)
    ballpark = False
    if not group.transformers:
        same = _datum_key(src) == _datum_key(dst)
        equivalent = {_datum_key(src), _datum_key(dst)} <= WGS84_EQUIVALENT_DATUMS
        if allow_ballpark is False or (allow_ballpark is None and not (same or equivalent)):
            raise GeoError(
                f"PROJ knows no datum transformation from {src.name!r} to {dst.name!r}; reprojecting without one "
                "could misplace the data by hundreds of metres. Give the file in a CRS with a known transformation "
                "or pass allow_ballpark=True to accept that error"
            )
        group = TransformerGroup(src, dst, always_xy=True, area_of_interest=aoi, allow_ballpark=True)
        ballpark = not same
        if not group.transformers:
            raise GeoError(f"PROJ has no operation at all from {src.name!r} to {dst.name!r}")
    best = group.transformers[0]
    accuracy = best.accuracy if best.accuracy is not None and best.accuracy >= 0 else None
    return Operation(best, best.description, accuracy, ballpark)


def transform_geometries(geoms: np.ndarray, op: Operation) -> np.ndarray:
    """Apply an operation to every vertex of an array of shapely geometries at once."""
    def _apply(xy: np.ndarray) -> np.ndarray:
        x, y = op.transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out = shapely.transform(np.asarray(geoms, dtype=object), _apply)
    coords = shapely.get_coordinates(out)
    if coords.size and not np.isfinite(coords).all():
        raise GeoError(f"some vertices fall outside the domain of {op.description!r} and could not be reprojected")
    return out


def require_crs(gdf: gpd.GeoDataFrame, source: str = "input") -> pyproj.CRS:
    """The frame's CRS, or a GeoError naming the source if it has none."""
    if gdf.crs is None:
        raise GeoError(
            f"{source}: no coordinate reference system (missing .prj or CRS metadata); bigcats will not guess one. "
            "Re-export it with its CRS, or name it (e.g. --crs pulkovo1942 or EPSG:28422)"
        )
    return pyproj.CRS.from_user_input(gdf.crs)


def reproject(
    gdf: gpd.GeoDataFrame,
    to_crs: str | int | pyproj.CRS = WGS84,
    allow_ballpark: bool | None = None,
    source: str = "input",
) -> gpd.GeoDataFrame:
    """The frame reprojected to to_crs with the datum transformation for its area; the operation is in attrs."""
    src = require_crs(gdf, source)
    dst = parse_crs(to_crs)
    if src.equals(dst):
        out = gdf.copy()
        out.attrs["transformation"] = "none (same CRS)"
        return out
    nonempty = gdf.geometry[~gdf.geometry.is_empty & gdf.geometry.notna()]
    bounds = tuple(nonempty.total_bounds) if len(nonempty) else None
    op = choose_operation(src, dst, bounds, allow_ballpark)
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(transform_geometries(gdf.geometry.values, op), index=gdf.index, crs=dst))
    out.attrs["transformation"] = op.description
    out.attrs["transformation_accuracy_m"] = op.accuracy_m
    return out
