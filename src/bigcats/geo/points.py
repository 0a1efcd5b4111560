"""Stations, detections and relative abundance as point layers (WGS84) for the GeoPackage a GIS officer opens.

One row per station, per station and species (independent detections), and per station and species (events per
100 trap-nights), each with its coordinates, so no join is needed. Locations follow the web's visibility rule: a
station where a species sensitive in its project was ever recorded is generalised as a whole, to the centre of its
equal-area cell (`geo.privacy.generalise`), in every layer; `precision` says which rows were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from bigcats.geo.privacy import DEFAULT_CELL_KM, generalise

WGS84 = "EPSG:4326"


def _sensitive_stations(obs: pd.DataFrame, sensitive: Iterable[str] | Callable[[pd.DataFrame], pd.Series]) -> set:
    """Stations where a sensitive species was recorded: by a set of names, or a function of the observations
    (e.g. one deciding per partner and project) returning a boolean per row."""
    if obs.empty:
        return set()
    mask = sensitive(obs) if callable(sensitive) else obs["scientificName"].isin(set(sensitive))
    return set(obs.loc[np.asarray(mask, dtype=bool), "locationID"])


def survey_point_layers(frames, sensitive: Iterable[str] | Callable[[pd.DataFrame], pd.Series],
                        cell_km: float = DEFAULT_CELL_KM, threshold: str = "30min",
                        exact: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """The layers 'stations', 'detections' and 'relative_abundance' from survey frames (deployments, outages,
    observations with UTC timestamps); sensitive stations generalised unless `exact` (for entitled users only)."""
    from bigcats.analysis.effort import trap_nights
    from bigcats.analysis.independence import independent_detections

    deps = frames.deployments
    obs = frames.observations if frames.observations is not None else pd.DataFrame()
    outages = frames.outages if frames.outages is not None and len(frames.outages) else None
    nights = trap_nights(deps, outages, by=["locationID"]).set_index("locationID")["trapNights"]  # camtrapR's count
    st = (deps.groupby("locationID", sort=True)
          .agg(longitude=("longitude", "first"), latitude=("latitude", "first"), country=("country", "first"),
               partner=("partner", "first"), deployments=("deploymentID", "nunique"),
               first=("deploymentStart", "min"), last=("deploymentEnd", "max"))
          .reset_index())
    st["trapNights"] = st["locationID"].map(nights).fillna(0.0)
    hidden = _sensitive_stations(obs, sensitive) if not exact else set()
    st["precision"] = np.where(st["locationID"].isin(hidden), f"generalised {cell_km:g} km", "exact")
    if hidden:
        g = st["locationID"].isin(hidden).to_numpy()
        lon, lat = generalise(st.loc[g, "longitude"].to_numpy(), st.loc[g, "latitude"].to_numpy(), cell_km)
        st.loc[g, "longitude"], st.loc[g, "latitude"] = lon, lat
    where = st.set_index("locationID")[["longitude", "latitude", "precision", "country", "partner"]]
    if len(obs):
        animal = obs[obs.get("observationType", pd.Series("animal", index=obs.index)) == "animal"]
        events = independent_detections(animal, threshold) if len(animal) else animal
    else:
        events = pd.DataFrame(columns=["locationID", "scientificName", "timestamp"])
    det = (events.groupby(["locationID", "scientificName"], sort=True)
           .agg(events=("scientificName", "size"), first=("timestamp", "min"), last=("timestamp", "max"))
           .reset_index()) if len(events) else pd.DataFrame(columns=["locationID", "scientificName", "events",
                                                                     "first", "last"])
    det = det.join(where, on="locationID")
    rai = det[["locationID", "scientificName", "events"]].join(st.set_index("locationID")["trapNights"],
                                                               on="locationID").join(where, on="locationID")
    rai["rai_per_100_trap_nights"] = np.where(rai["trapNights"] > 0, 100 * rai["events"] / rai["trapNights"],
                                              np.nan)
    out = {}
    for name, frame in (("stations", st), ("detections", det), ("relative_abundance", rai)):
        frame = frame.copy()
        for col in ("first", "last"):  # GeoPackage keeps text dates portably; UTC, ISO 8601
            if col in frame:
                frame[col] = pd.to_datetime(frame[col], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        out[name] = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]),
                                     crs=WGS84)
    return out


__all__ = ["survey_point_layers"]
