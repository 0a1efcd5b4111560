"""Turn simulated arrays into survey frames with Camtrap DP column names: deployments, outages, media, observations."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

OBSERVATION_COLUMNS = [
    "observationID", "deploymentID", "locationID", "mediaID", "eventID", "eventStart", "eventEnd",
    "observationLevel", "observationType", "timestamp", "utcOffset", "scientificName", "count", "lifeStage", "sex",
    "individualID", "classificationMethod", "classificationProbability",
]
MEDIA_COLUMNS = ["mediaID", "deploymentID", "captureMethod", "timestamp", "filePath", "fileName", "fileMediatype",
                 "sha256", "exifData"]
DEPLOYMENT_COLUMNS = ["deploymentID", "locationID", "locationName", "latitude", "longitude", "deploymentStart",
                      "deploymentEnd", "cameraID", "utcOffset", "country", "protectedArea", "partner"]
OUTAGE_COLUMNS = ["deploymentID", "start", "end", "reason"]


def to_utc(local_s: np.ndarray, utc_offset_min: np.ndarray, year: int) -> pd.Series:
    """Local clock seconds since 1 January of `year` to tz-aware UTC timestamps (microsecond unit)."""
    base = int(pd.Timestamp(year=year, month=1, day=1).timestamp())
    utc = base + np.asarray(local_s, dtype=np.int64) - np.asarray(utc_offset_min, dtype=np.int64) * 60
    return pd.Series(pd.to_datetime(utc, unit="s", utc=True)).dt.as_unit("us")


def local_clock_text(local_s: np.ndarray, year: int, fmt: str) -> pd.Series:
    """Local clock seconds since 1 January as text in a strftime format (EXIF writes '%Y:%m:%d %H:%M:%S')."""
    base = pd.Timestamp(year=year, month=1, day=1)
    return pd.Series(base + pd.to_timedelta(np.asarray(local_s, dtype=np.int64), unit="s")).dt.strftime(fmt)


def running_number(groups: np.ndarray) -> np.ndarray:
    """1-based position of each row within its run of equal consecutive group keys."""
    n = len(groups)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    idx = np.arange(n)
    first = np.r_[True, groups[1:] != groups[:-1]]
    return idx - np.maximum.accumulate(np.where(first, idx, 0)) + 1


def sha256_of(texts: pd.Series) -> pd.Series:
    """Hex SHA-256 of each text: the checksum of the (fake) photo content."""
    # hashlib has no batch interface; one call per photo is the cost of a real checksum.
    return pd.Series([hashlib.sha256(t.encode()).hexdigest() for t in texts], index=texts.index, dtype="str")


def build_media(events: pd.DataFrame, offsets: np.ndarray, year: int) -> pd.DataFrame:
    """One row per photo of each event's burst; `events` needs locationID, deploymentID, start_s, n_photos,
    utcOffset, cameraMake, cameraModel, eventID and must be sorted by station and time."""
    n_ph = events["n_photos"].to_numpy()
    ev = np.repeat(np.arange(len(events)), n_ph)
    k = np.arange(len(ev)) - np.repeat(np.cumsum(n_ph) - n_ph, n_ph)
    local = events["start_s"].to_numpy()[ev] + offsets[ev, k]
    loc = events["locationID"].to_numpy()[ev]
    # Photos of overlapping events at one camera interleave in time; number them as the camera would.
    order = np.lexsort((k, ev, local, loc))
    ev, k, local, loc = ev[order], k[order], local[order], loc[order]
    seq = pd.Series(running_number(loc)).astype(str).str.zfill(5)
    loc_s = pd.Series(loc, dtype="str")
    file_name = "IMG_" + seq + ".JPG"
    media_id = loc_s + "-M" + seq
    utc = to_utc(local, events["utcOffset"].to_numpy()[ev], year)
    exif = ('{"Make": "' + pd.Series(events["cameraMake"].to_numpy()[ev], dtype="str")
            + '", "Model": "' + pd.Series(events["cameraModel"].to_numpy()[ev], dtype="str")
            + '", "DateTimeOriginal": "' + local_clock_text(local, year, "%Y:%m:%d %H:%M:%S") + '"}')
    media = pd.DataFrame({
        "mediaID": media_id,
        "deploymentID": pd.Series(events["deploymentID"].to_numpy()[ev], dtype="str"),
        "captureMethod": "activityDetection",
        "timestamp": utc,
        "filePath": "media/" + loc_s + "/" + file_name,
        "fileName": file_name,
        "fileMediatype": "image/jpeg",
        "sha256": sha256_of(media_id + "|" + utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")),
        "exifData": exif,
    })
    return media


def build_observations(events: pd.DataFrame, year: int) -> pd.DataFrame:
    """One event-level observation per event, `timestamp` = eventStart (events indexed 0..n-1)."""
    start = to_utc(events["start_s"].to_numpy(), events["utcOffset"].to_numpy(), year)
    end = to_utc(events["end_s"].to_numpy(), events["utcOffset"].to_numpy(), year)
    ident = events["identified"].astype(bool)
    text = {
        "observationID": events["observationID"],
        "deploymentID": events["deploymentID"],
        "locationID": events["locationID"],
        "mediaID": pd.Series(np.nan, index=events.index),  # event-level: no single photo is classified
        "eventID": events["eventID"],
    }
    obs = pd.DataFrame({k: v.astype("str") for k, v in text.items()})
    obs["eventStart"] = start
    obs["eventEnd"] = end
    obs["observationLevel"] = "event"
    obs["observationType"] = events["observationType"].astype("str")
    obs["timestamp"] = start
    obs["utcOffset"] = events["utcOffset"].astype("int64")
    obs["scientificName"] = events["scientificName"].where(events["observationType"] != "unknown").astype("str")
    obs["count"] = events["count"].astype("Int64")
    obs["lifeStage"] = events["lifeStage"].astype("str")
    obs["sex"] = events["sex"].where(ident).astype("str")
    obs["individualID"] = events["individualID"].where(ident).astype("str")
    obs["classificationMethod"] = events["classificationMethod"].astype("str")
    obs["classificationProbability"] = events["classificationProbability"].astype(float)
    return obs[OBSERVATION_COLUMNS]
