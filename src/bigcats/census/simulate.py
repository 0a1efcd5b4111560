"""A simulated winter track census with known truth: animals random-walk over snow, routes count the crossings.

Animals are placed at the true density, each walks its daily travel distance per day as a correlated random walk
with uniformly random heading, and every crossing of a route by a path laid since the last snowfall is recorded
with its track age. The FMP formula is exact in expectation for such isotropic movement, so estimates from
these crossings should bracket the truth; the demo and tests use it to show estimates beside the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from bigcats.census.routes import RouteSet, route_set
from bigcats.geo.crs import WGS84


@dataclass
class SimulatedCensus:
    """Routes and crossings as a field team would enter them, plus the truth they came from."""

    routes: RouteSet
    crossings: pd.DataFrame
    truth: pd.DataFrame  # unit, country, species, density_km2
    travel: pd.Series  # daily_travel_km by species, as used by the simulation


def _crossings_on_segment(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which path steps (rows of px/py, step j from point j to j+1) properly cross segment a-b (booleans)."""
    x0, y0, x1, y1 = px[:, :-1], py[:, :-1], px[:, 1:], py[:, 1:]

    def orient(ax, ay, bx, by, cx, cy):
        return np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))

    d1 = orient(a[0], a[1], b[0], b[1], x0, y0)
    d2 = orient(a[0], a[1], b[0], b[1], x1, y1)
    d3 = orient(x0, y0, x1, y1, a[0], a[1])
    d4 = orient(x0, y0, x1, y1, b[0], b[1])
    return (d1 * d2 < 0) & (d3 * d4 < 0)


def simulate_census(
    truth: pd.DataFrame,
    travel: pd.Series,
    routes_per_unit: int = 8,
    route_length_km: float = 10.0,
    days_since_snow: float = 2.0,
    core_km: float = 20.0,
    steps_per_day: int = 24,
    turning_concentration: float = 2.0,
    centre: tuple[float, float] = (131.0, 43.5),
    survey_date: str = "2025-01-20",
    seed: int | None = 0,
) -> SimulatedCensus:
    """Simulate a census: truth has unit, country, species, density_km2; travel gives km/day per species.

    Each unit is a core_km square of straight routes laid at random positions and bearings; animals live on the
    core plus a margin wider than they can walk, so edge effects cannot bias the counts.
    """
    rng = np.random.default_rng(seed)
    units = truth.drop_duplicates("unit")[["unit", "country"]].reset_index(drop=True)
    laea = pyproj.CRS.from_proj4(f"+proj=laea +lat_0={centre[1]} +lon_0={centre[0]} +datum=WGS84 +units=m")
    route_rows, crossing_rows = [], []
    n_steps = int(round(days_since_snow * steps_per_day))
    for u, (unit, country) in enumerate(units.itertuples(index=False)):  # a loop over units, vectorised inside
        ox = (u % 4) * (core_km + 60.0) * 1000.0
        oy = (u // 4) * (core_km + 60.0) * 1000.0
        half = route_length_km * 500.0
        cx = ox + rng.uniform(half, core_km * 1000 - half, routes_per_unit)
        cy = oy + rng.uniform(half, core_km * 1000 - half, routes_per_unit)
        th = rng.uniform(0, np.pi, routes_per_unit)
        ends = np.stack([cx - half * np.cos(th), cy - half * np.sin(th), cx + half * np.cos(th), cy + half * np.sin(th)], 1)
        ids = [f"{unit}-R{i + 1:02d}" for i in range(routes_per_unit)]
        route_rows += [{"route_id": rid, "unit": unit, "country": country, "date": survey_date,
                        "days_since_snow": days_since_snow, "geometry": shapely.LineString([e[:2], e[2:]])}
                       for rid, e in zip(ids, ends)]
        for sp, dens in truth[truth["unit"] == unit][["species", "density_km2"]].itertuples(index=False):
            d_km = float(travel[sp])
            margin = d_km * days_since_snow * 1000.0 + 1000.0
            w = core_km * 1000.0 + 2 * margin
            n = rng.poisson(dens * (w / 1000.0) ** 2)
            step = d_km * 1000.0 / steps_per_day
            heading = rng.uniform(0, 2 * np.pi, (n, 1)) + np.cumsum(rng.vonmises(0, turning_concentration, (n, n_steps)), axis=1)
            px = np.hstack([rng.uniform(ox - margin, ox - margin + w, (n, 1)), np.zeros((n, n_steps))])
            py = np.hstack([rng.uniform(oy - margin, oy - margin + w, (n, 1)), np.zeros((n, n_steps))])
            px[:, 1:] = px[:, :1] + np.cumsum(step * np.cos(heading), axis=1)
            py[:, 1:] = py[:, :1] + np.cumsum(step * np.sin(heading), axis=1)
            # track age in whole days at survey time: steps taken in the last day are 0-1 days old, and so on
            age = np.floor((n_steps - 1 - np.arange(n_steps)) / steps_per_day) + 1
            for rid, e in zip(ids, ends):
                hit = _crossings_on_segment(px, py, e[:2], e[2:])
                steps = np.nonzero(hit)[1]
                if len(steps):
                    ages, cnt = np.unique(age[steps], return_counts=True)
                    crossing_rows += [{"route_id": rid, "species": sp, "count": int(c), "track_age_days": float(a)}
                                      for a, c in zip(ages, cnt)]
    gdf = gpd.GeoDataFrame(route_rows, geometry="geometry", crs=laea).to_crs(WGS84)
    rs = route_set(gdf, source="simulated routes")
    frame = pd.DataFrame(crossing_rows, columns=["route_id", "species", "count", "track_age_days"])
    frame = frame.assign(row=np.arange(len(frame)) + 2, date=pd.Timestamp(survey_date), pad_width_cm=np.nan, direction=pd.NA,
                         longitude=np.nan, latitude=np.nan)
    from bigcats.census.crossings import CROSSING_COLUMNS
    return SimulatedCensus(rs, frame[CROSSING_COLUMNS], truth.reset_index(drop=True), travel)
