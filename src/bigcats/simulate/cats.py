"""Big cats by spatial capture-recapture: activity centres over the state-space, half-normal detection."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bigcats.simulate.cameras import CameraTime
from bigcats.simulate.config import CatSpecies
from bigcats.simulate.detection import Events, draw_events, half_normal_rates, season_days, weighted_effort
from bigcats.simulate.geography import country_of, state_space, to_lonlat, uniform_points


@dataclass
class CatTruth:
    """The truth about one big cat: where the animals live, how dense they are, and how detectable."""

    scientific_name: str
    key: str
    n_individuals: int
    g0: float  # expected events per day at a camera on the activity centre
    sigma_m: float
    state_space: shapely.Geometry  # in the survey's projected CRS
    area_km2: float
    density_per_100km2: float
    centres: pd.DataFrame  # trueID, sex, x, y, longitude, latitude, country
    p_identifiable: float

    def to_dict(self) -> dict:
        """The scalar truth (no geometry) as a plain dictionary for JSON output."""
        return {"scientificName": self.scientific_name, "N": self.n_individuals, "g0": self.g0,
                "sigma_m": self.sigma_m, "area_km2": self.area_km2,
                "density_per_100km2": self.density_per_100km2, "p_identifiable": self.p_identifiable}


def simulate_cat(rng: np.random.Generator, cat: CatSpecies, sx: np.ndarray, sy: np.ndarray, cams: CameraTime,
                 countries: gpd.GeoDataFrame, land_only: bool, crs: str,
                 max_photos: int) -> tuple[Events, pd.DataFrame, CatTruth, np.ndarray]:
    """Simulate one cat species: its events, per-event attributes, its truth and expected events per deployment."""
    region = state_space(sx, sy, cat.buffer_sigmas * cat.sigma_m, countries if land_only else None)
    cx, cy = uniform_points(rng, region, cat.n_individuals)
    lon, lat = to_lonlat(cx, cy, crs)
    sex = np.where(rng.random(cat.n_individuals) < cat.p_male, "male", "female")
    true_ids = pd.Series(np.arange(1, cat.n_individuals + 1)).astype(str).str.zfill(3).radd(f"{cat.key}-")
    area_km2 = region.area / 1e6
    truth = CatTruth(
        scientific_name=cat.scientific_name, key=cat.key, n_individuals=cat.n_individuals, g0=cat.g0,
        sigma_m=cat.sigma_m, state_space=region, area_km2=area_km2,
        density_per_100km2=cat.n_individuals / area_km2 * 100.0,
        centres=pd.DataFrame({"trueID": true_ids.astype("str"), "scientificName": cat.scientific_name,
                              "sex": sex, "x": cx, "y": cy, "longitude": lon, "latitude": lat,
                              "country": country_of(cx, cy, countries).astype(str)}),
        p_identifiable=cat.p_identifiable)

    rates = half_normal_rates(cx, cy, sx[cams.station], sy[cams.station], cat.g0, cat.sigma_m)
    season = season_days(cams.year_days, None)
    events = draw_events(rng, rates, cams.start_s, cams.end_s, cams.out_start_s, cams.out_end_s, cat.rhythm,
                         season, max_photos)
    effort = weighted_effort(cat.rhythm, cams.work_dep, cams.work_start_s, cams.work_end_s, cams.n, season)
    expected = (rates * effort[None, :]).sum(axis=0)
    n = len(events)
    attrs = pd.DataFrame({
        "scientificName": cat.scientific_name,
        "label": cat.scientific_name,
        "observationType": "animal",
        "trueID": truth.centres["trueID"].to_numpy()[events.src],
        "sex": sex[events.src],
        "identified": rng.random(n) < cat.p_identifiable,
        "count": 1,
        "lifeStage": "adult",
        "classificationMethod": "human",
        "classificationProbability": np.nan,
    }, index=pd.RangeIndex(n))
    return events, attrs, truth, expected
