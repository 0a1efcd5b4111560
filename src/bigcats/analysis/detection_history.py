"""Detection histories for occupancy (station x occasion) and capture-recapture (individual x occasion x station).

Follows camtrapR's `detectionHistory` / `spatialDetectionHistory`: occasions of `occasion_length` local days start
on each station's set-up day (day1="station"), on the first day of the survey ("survey") or on a given date;
effort per occasion is the sum of the camera-operation values of its days; an occasion without effort is NaN,
and with include_effort=False so is any occasion whose days were not all fully operational.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bigcats.analysis.effort import daily_effort
from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.frames import NS_PER_DAY, date_to_day, day_to_date, offsets_ns, require_columns, utc_ns
from bigcats.analysis.independence import animal_records


@dataclass
class DetectionHistory:
    """Station x occasion detections (NaN = not surveyed), effort (active days) and each station's first day."""

    history: pd.DataFrame
    effort: pd.DataFrame
    first_day: pd.Series
    occasion_length: int
    dropped_records: int


def _occasion_grid(
    deployments: pd.DataFrame, outages: pd.DataFrame | None, occasion_length: int, day1: str,
    include_effort: bool, min_active_days: float | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame]:
    """Effort and usability per station and occasion, plus the daily table used to place records."""
    if int(occasion_length) != occasion_length or occasion_length < 1:
        raise AnalysisError(f"detection history: occasion_length must be a whole number of days >= 1, got {occasion_length}")
    daily = daily_effort(deployments, outages, by="locationID")
    if day1 == "station":
        first = daily.groupby("locationID")["day"].min()
    elif day1 == "survey":
        first = pd.Series(daily["day"].min(), index=pd.unique(daily["locationID"]))
    else:
        try:
            d = date_to_day(day1)
        except (TypeError, ValueError):
            raise AnalysisError(f"detection history: day1 must be 'station', 'survey' or a date, got {day1!r}") from None
        first = pd.Series(d, index=pd.unique(daily["locationID"]))
    first.index.name = "locationID"
    daily = daily.assign(rel=daily["day"].to_numpy() - first.reindex(daily["locationID"]).to_numpy())
    daily = daily.loc[daily["rel"].to_numpy() >= 0]
    if daily.empty:
        raise AnalysisError(f"detection history: no camera was deployed on or after day1 = {day1!r}")
    daily = daily.assign(occasion=daily["rel"].to_numpy() // int(occasion_length),
                         full=(daily["effort"].to_numpy() >= 1).astype(int))
    per = daily.groupby(["locationID", "occasion"]).agg(effort=("effort", "sum"), full=("full", "sum"))
    stations = pd.Index(sorted(first.index), name="locationID")
    occasions = pd.RangeIndex(int(per.index.get_level_values("occasion").max()) + 1, name="occasion")
    effort = per["effort"].unstack("occasion").reindex(index=stations, columns=occasions)
    full = per["full"].unstack("occasion").reindex(index=stations, columns=occasions).fillna(0)
    usable = effort.fillna(0) > 0
    if not include_effort:
        usable = usable & (full >= occasion_length)
    if min_active_days is not None:
        usable = usable & (effort.fillna(0) >= min_active_days)
    return effort, usable, first.reindex(stations), daily


def _record_occasions(records: pd.DataFrame, first: pd.Series, occasion_length: int) -> pd.DataFrame:
    """Station, occasion and local day of each record."""
    require_columns(records, ("locationID", "timestamp", "utcOffset"), "observations")
    ids = records["observationID"].astype(str) if "observationID" in records else None
    local = utc_ns(records["timestamp"], "observations.timestamp", ids) + offsets_ns(records["utcOffset"], "observations", ids)
    day = local // NS_PER_DAY
    f = first.reindex(records["locationID"].astype(str)).to_numpy()
    if np.isnan(f.astype(float)).any():
        bad = records["locationID"].astype(str)[np.isnan(f.astype(float))].unique()
        raise AnalysisError(f"detection history: records at station(s) with no deployment: {', '.join(map(str, bad[:5]))}")
    rel = day - f.astype("int64")
    return pd.DataFrame({"locationID": records["locationID"].astype(str).to_numpy(), "day": day,
                         "occasion": np.where(rel >= 0, rel // occasion_length, -1)}, index=records.index)


def detection_history(
    records: pd.DataFrame, deployments: pd.DataFrame, species: str, outages: pd.DataFrame | None = None,
    occasion_length: int = 1, day1: str = "station", output: str = "binary", include_effort: bool = True,
    min_active_days: float | None = None,
) -> DetectionHistory:
    """Species detection history for single-season occupancy, as camtrapR's detectionHistory gives."""
    if output not in ("binary", "count"):
        raise AnalysisError(f"detection history: output must be 'binary' or 'count', got {output!r}")
    effort, usable, first, daily = _occasion_grid(deployments, outages, occasion_length, day1, include_effort, min_active_days)
    rec = animal_records(records)
    rec = rec.loc[rec["scientificName"].to_numpy() == species]
    place = _record_occasions(rec, first, int(occasion_length))
    active = pd.MultiIndex.from_frame(daily.loc[daily["effort"].to_numpy() > 0, ["locationID", "day"]])
    on = active.get_indexer(pd.MultiIndex.from_frame(place[["locationID", "day"]])) >= 0
    in_range = (place["occasion"].to_numpy() >= 0) & (place["occasion"].to_numpy() < effort.shape[1])
    ok = on & in_range
    st = effort.index.get_indexer(place["locationID"].to_numpy()[ok])
    counts = np.zeros(effort.shape)
    np.add.at(counts, (st, place["occasion"].to_numpy()[ok]), 1.0)
    mask = usable.to_numpy()
    hist = np.where(mask, counts if output == "count" else (counts > 0).astype(float), np.nan)
    dropped = int((~ok).sum() + (counts[~mask]).sum())
    history = pd.DataFrame(hist, index=effort.index, columns=effort.columns)
    eff = effort.where(mask)
    return DetectionHistory(history, eff, pd.Series(day_to_date(first.to_numpy()), index=first.index, name="firstDay"), int(occasion_length), dropped)


def spatial_detection_history(
    records: pd.DataFrame, deployments: pd.DataFrame, species: str, outages: pd.DataFrame | None = None,
    occasion_length: int = 1, day1: str = "survey", output: str = "binary",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Capture table (individualID, occasion, locationID, detections) and trap usage (station x occasion)."""
    if output not in ("binary", "count"):
        raise AnalysisError(f"spatial detection history: output must be 'binary' or 'count', got {output!r}")
    require_columns(records, ("individualID",), "observations")
    effort, usable, first, daily = _occasion_grid(deployments, outages, occasion_length, day1, True, None)
    rec = animal_records(records)
    rec = rec.loc[(rec["scientificName"].to_numpy() == species)]
    unnamed = rec["individualID"].isna()
    if unnamed.all() and len(rec):
        raise AnalysisError(f"spatial detection history: no record of {species} names an individual (individualID)")
    rec = rec.loc[~unnamed]
    place = _record_occasions(rec, first, int(occasion_length))
    active = pd.MultiIndex.from_frame(daily.loc[daily["effort"].to_numpy() > 0, ["locationID", "day"]])
    ok = (active.get_indexer(pd.MultiIndex.from_frame(place[["locationID", "day"]])) >= 0) & (place["occasion"].to_numpy() >= 0)
    caps = pd.DataFrame({"individualID": rec["individualID"].astype(str).to_numpy()[ok],
                         "occasion": place["occasion"].to_numpy()[ok], "locationID": place["locationID"].to_numpy()[ok]})
    caps = caps.groupby(["individualID", "occasion", "locationID"], as_index=False).size().rename(columns={"size": "detections"})
    if output == "binary":
        caps["detections"] = 1
    usage = effort.where(usable, 0.0)
    return caps, usage
