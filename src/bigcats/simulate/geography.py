"""Where the survey is: country outlines, the camera grid on land, and the cats' state-space."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from bigcats.simulate.errors import SimulationError

# The outlines live with the other geography (bigcats.geo.countries); the simulator names its own setting.
from bigcats.geo.countries import COUNTRIES_FILE, default_countries_path  # noqa: E402,F401
from bigcats.geo.countries import load_countries as _load_countries  # noqa: E402
from bigcats.geo.errors import GeoError  # noqa: E402


def load_countries(path: str | None = None, crs: str = "EPSG:32652") -> gpd.GeoDataFrame:
    """Country polygons indexed by ISO3 code, projected to `crs` (SimulationError naming countries_path)."""
    try:
        return _load_countries(path, crs)
    except GeoError as exc:
        raise SimulationError(f"{exc} (pass countries_path in SurveyConfig)") from None


def to_lonlat(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Projected metres to WGS84 longitude and latitude."""
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def to_xy(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude and latitude to projected metres."""
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def country_of(x: np.ndarray, y: np.ndarray, countries: gpd.GeoDataFrame) -> np.ndarray:
    """ISO3 code of the country each projected point lies in ('' in the sea or outside the outlines)."""
    out = np.full(len(x), "", dtype=object)
    for iso, geom in countries.geometry.items():
        out[shapely.contains_xy(geom, x, y)] = iso
    return out


def station_layout(rng: np.random.Generator, bbox: tuple[float, float, float, float],
                   centre: tuple[float, float], n_stations: int, spacing_km: float, jitter_km: float,
                   countries: gpd.GeoDataFrame, keep: tuple[str, ...], crs: str) -> pd.DataFrame:
    """Jittered grid points on land in `keep` countries inside bbox, the n nearest to `centre`."""
    lon0, lat0, lon1, lat1 = bbox
    corner_lon = np.array([lon0, lon1, lon0, lon1])
    corner_lat = np.array([lat0, lat0, lat1, lat1])
    cx, cy = to_xy(corner_lon, corner_lat, crs)
    step = spacing_km * 1000.0
    gx, gy = np.meshgrid(np.arange(cx.min(), cx.max(), step), np.arange(cy.min(), cy.max(), step))
    x = gx.ravel() + rng.uniform(-1, 1, gx.size) * jitter_km * 1000.0
    y = gy.ravel() + rng.uniform(-1, 1, gy.size) * jitter_km * 1000.0
    lon, lat = to_lonlat(x, y, crs)
    country = country_of(x, y, countries)
    # Sea, North Korea and anything outside the box is not where partners put cameras.
    ok = np.isin(country, keep) & (lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)
    if ok.sum() < n_stations:
        raise SimulationError(
            f"only {int(ok.sum())} grid points on land in {keep} inside bbox {bbox} at {spacing_km} km spacing; "
            f"{n_stations} stations asked for")
    ox, oy = to_xy(np.array([centre[0]]), np.array([centre[1]]), crs)
    dist = np.where(ok, np.hypot(x - ox[0], y - oy[0]), np.inf)
    idx = np.sort(np.argsort(dist, kind="stable")[:n_stations])
    return pd.DataFrame({"x": x[idx], "y": y[idx], "longitude": lon[idx], "latitude": lat[idx],
                         "country": country[idx].astype(str)})


def state_space(x: np.ndarray, y: np.ndarray, buffer_m: float, countries: gpd.GeoDataFrame | None) -> shapely.Geometry:
    """The station hull buffered by `buffer_m`, clipped to land when outlines are given."""
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])))
    region = shapely.buffer(hull, buffer_m)
    if countries is not None:
        region = shapely.intersection(region, shapely.union_all(countries.geometry.to_numpy()))
    if region.is_empty or region.area <= 0:
        raise SimulationError(f"state-space is empty (buffer {buffer_m:.0f} m around {len(x)} stations)")
    return region


def uniform_points(rng: np.random.Generator, region: shapely.Geometry, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n points uniformly distributed over a polygon (rejection sampling from its bounding box)."""
    if n == 0:
        return np.empty(0), np.empty(0)
    x0, y0, x1, y1 = region.bounds
    shapely.prepare(region)
    accept_rate = region.area / ((x1 - x0) * (y1 - y0))
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    got = 0
    # A few batches at most: each is sized to deliver all remaining points with high probability.
    while got < n:
        m = int((n - got) / accept_rate * 1.5) + 16
        px = rng.uniform(x0, x1, m)
        py = rng.uniform(y0, y1, m)
        inside = shapely.contains_xy(region, px, py)
        xs.append(px[inside])
        ys.append(py[inside])
        got += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]
