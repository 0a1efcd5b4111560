"""Sunrise and sunset offline from the NOAA solar equations, and clock time mapped to solar time.

Solar time uses double anchoring (Nouvellet et al. 2012, as the R package overlap's `sunTime`): sunrise maps to
pi/2 and sunset to 3*pi/2, the day and the night each stretched linearly between them, so that activity tied to
dawn and dusk lines up across seasons and across the latitudes of the parks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bigcats.analysis.errors import AnalysisError, listed
from bigcats.analysis.frames import NS_PER_DAY, offsets_ns, require_columns, utc_ns

TWO_PI = 2 * np.pi


def sun_times(latitude: np.ndarray, longitude: np.ndarray, day: np.ndarray, utc_offset_minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sunrise and sunset as local clock time in fractions of a day (NOAA general solar position equations)."""
    lat = np.radians(np.asarray(latitude, dtype=float))
    tz_h = np.asarray(utc_offset_minutes, dtype=float) / 60.0
    # Julian day at local noon of each local calendar day (day = days since 1970-01-01).
    jd = np.asarray(day, dtype=float) + 2440587.5 + 0.5 - tz_h / 24.0
    jc = (jd - 2451545.0) / 36525.0
    l0 = np.radians(np.mod(280.46646 + jc * (36000.76983 + jc * 0.0003032), 360.0))
    m = np.radians(357.52911 + jc * (35999.05029 - 0.0001537 * jc))
    ecc = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc)
    centre = (np.sin(m) * (1.914602 - jc * (0.004817 + 0.000014 * jc)) + np.sin(2 * m) * (0.019993 - 0.000101 * jc)
              + np.sin(3 * m) * 0.000289)
    omega = np.radians(125.04 - 1934.136 * jc)
    app_long = np.radians(np.degrees(l0) + centre - 0.00569 - 0.00478 * np.sin(omega))
    obliq = 23 + (26 + (21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))) / 60) / 60
    obliq = np.radians(obliq + 0.00256 * np.cos(omega))
    decl = np.arcsin(np.sin(obliq) * np.sin(app_long))
    y = np.tan(obliq / 2) ** 2
    eot = 4 * np.degrees(y * np.sin(2 * l0) - 2 * ecc * np.sin(m) + 4 * ecc * y * np.sin(m) * np.cos(2 * l0)
                         - 0.5 * y * y * np.sin(4 * l0) - 1.25 * ecc * ecc * np.sin(2 * m))
    cos_ha = np.cos(np.radians(90.833)) / (np.cos(lat) * np.cos(decl)) - np.tan(lat) * np.tan(decl)
    polar = np.abs(cos_ha) > 1
    if polar.any():
        raise AnalysisError(
            f"solar time: the sun does not rise or set at latitude {listed(np.unique(np.degrees(lat[polar]).round(2)).tolist())} "
            "on some dates (polar day or night); use clock time there"
        )
    ha = np.degrees(np.arccos(cos_ha))
    noon = (720 - 4 * np.asarray(longitude, dtype=float) - eot + tz_h * 60) / 1440
    return noon - ha * 4 / 1440, noon + ha * 4 / 1440


def clock_radians(timestamps: pd.Series, utc_offset_minutes: pd.Series) -> np.ndarray:
    """Local clock time of day in radians (0 = midnight)."""
    local = utc_ns(timestamps, "timestamp") + offsets_ns(utc_offset_minutes, "utcOffset")
    return np.mod(local, NS_PER_DAY) / NS_PER_DAY * TWO_PI


def to_solar(clock: np.ndarray, sunrise: np.ndarray, sunset: np.ndarray) -> np.ndarray:
    """Clock time (radians) to double-anchored solar time: sunrise -> pi/2, sunset -> 3*pi/2."""
    sr, ss = np.asarray(sunrise) * TWO_PI, np.asarray(sunset) * TWO_PI
    day = (clock > sr) & (clock < ss)
    start_clock = np.where(day, sr, ss)
    span = np.where(day, ss - sr, TWO_PI - (ss - sr))
    start_sun = np.where(day, np.pi / 2, 3 * np.pi / 2)
    since = np.mod(clock - start_clock + TWO_PI, TWO_PI)
    return np.mod(start_sun + since / span * np.pi, TWO_PI)


def record_times(observations: pd.DataFrame, deployments: pd.DataFrame | None = None, kind: str = "clock") -> np.ndarray:
    """Time of day of each record in radians, on the clock or on solar time from its station's coordinates."""
    require_columns(observations, ("timestamp", "utcOffset"), "observations")
    if "timeUnknown" in observations.columns:  # a date without a time has no time of day
        observations = observations.loc[~observations["timeUnknown"].fillna(False).astype(bool)]
    clock = clock_radians(observations["timestamp"], observations["utcOffset"])
    if kind == "clock":
        return clock
    if kind != "solar":
        raise AnalysisError(f"activity: time kind must be 'clock' or 'solar', got {kind!r}")
    if deployments is None:
        raise AnalysisError("activity: solar time needs the deployments (station latitude and longitude)")
    require_columns(deployments, ("deploymentID", "latitude", "longitude"), "deployments")
    coords = deployments.assign(deploymentID=deployments["deploymentID"].astype(str)).set_index("deploymentID")
    where = coords.reindex(observations["deploymentID"].astype(str))[["latitude", "longitude"]]
    lost = where.isna().any(axis=1).to_numpy()
    if lost.any():
        raise AnalysisError(
            f"activity: no latitude/longitude for deployment {listed(observations['deploymentID'][lost].astype(str).unique().tolist())}"
        )
    local = utc_ns(observations["timestamp"], "timestamp") + offsets_ns(observations["utcOffset"], "utcOffset")
    sr, ss = sun_times(where["latitude"].to_numpy(), where["longitude"].to_numpy(), local // NS_PER_DAY,
                       pd.to_numeric(observations["utcOffset"]).to_numpy())
    return to_solar(clock, sr, ss)
