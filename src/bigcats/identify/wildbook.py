"""Read and write Wildbook / Whiskerbook encounter exports, so an existing catalogue moves in whole.

Wildbook's encounter search export (CSV or Excel) names its columns after its data model:
Encounter.catalogNumber, MarkedIndividual.individualID (or Encounter.individualID), Encounter.verbatimLocality,
Encounter.decimalLatitude / decimalLongitude, Encounter.year / month / day, Encounter.sex,
Annotation.ViewpointName (or a plain side column), Encounter.mediaAsset0 … Older exports and hand-edited
sheets vary, so several spellings are accepted for each field. Encounters come out as one tidy DataFrame
and go back with Wildbook's own column names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bigcats.identify.errors import IdentifyError

# Our column -> accepted Wildbook spellings, first one is written back.
FIELDS: dict[str, list[str]] = {
    "encounterID": ["Encounter.catalogNumber", "Encounter.id", "catalogNumber", "Encounter"],
    "individualID": ["MarkedIndividual.individualID", "Encounter.individualID", "Name0.value", "MarkedIndividual.displayName", "Individual", "individualID", "Name"],
    # "Annotation0.Viewoint" is how Wildbook's own export spells it (sic).
    "side": ["Annotation.ViewpointName", "Annotation0.ViewpointName", "Annotation0.Viewpoint", "Annotation0.Viewoint", "Annotation.viewpoint", "viewpoint", "side", "Side"],
    "locality": ["Encounter.verbatimLocality", "Encounter.locationID", "verbatimLocality", "locationID", "Location"],
    "latitude": ["Encounter.decimalLatitude", "decimalLatitude", "Latitude"],
    "longitude": ["Encounter.decimalLongitude", "decimalLongitude", "Longitude"],
    "year": ["Encounter.year", "year"],
    "month": ["Encounter.month", "month"],
    "day": ["Encounter.day", "day"],
    "hour": ["Encounter.hour", "hour"],
    "minutes": ["Encounter.minutes", "Encounter.minute", "minutes"],
    "sex": ["Encounter.sex", "MarkedIndividual.sex", "sex", "Sex"],
    "scientificName": ["Encounter.genus+specificEpithet", "Encounter.taxonomy", "scientificName", "Species"],
    "genus": ["Encounter.genus"],
    "specificEpithet": ["Encounter.specificEpithet"],
    "mediaAsset": ["Encounter.mediaAsset0", "Encounter.mediaAsset0.filename", "MediaAsset.filename", "mediaAsset", "image"],
    "partnerCode": ["MarkedIndividual.nickname", "MarkedIndividual.alternateId", "Encounter.alternateID", "alternateID"],
}
REQUIRED = ("encounterID", "individualID")
# Flanks the coat matcher files photos under; every other viewpoint (Whiskerbook's B, T, F; Wildbook's front, back,
# up, both, unknown...) is kept as written in `viewpoint`, with no flank.
_SIDE = {"left": "left", "l": "left", "frontleft": "left", "backleft": "left", "upleft": "left",
         "right": "right", "r": "right", "frontright": "right", "backright": "right", "upright": "right"}
_SEX = {"male": "male", "m": "male", "female": "female", "f": "female", "unknown": "unknown", "u": "unknown", "": "unknown"}


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise IdentifyError(f"{path}: no such file")
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        return pd.read_excel(path, dtype=str)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def read_encounters(path: str | Path) -> pd.DataFrame:
    """A Wildbook/Whiskerbook encounter export (CSV or XLSX) as encounters: encounterID, individualID, side, date…"""
    path = Path(path)
    raw = _read_table(path)
    out = pd.DataFrame(index=raw.index)
    for ours, names in FIELDS.items():
        col = next((n for n in names if n in raw.columns), None)
        out[ours] = raw[col] if col is not None else pd.Series(pd.NA, index=raw.index, dtype="object")
    missing = [f for f in REQUIRED if out[f].isna().all()]
    if missing:
        raise IdentifyError(f"{path}: no column for {', '.join(missing)} (expected one of: " + "; ".join(", ".join(FIELDS[m]) for m in missing) + ")")
    blank = out["encounterID"].isna()
    if blank.any():
        raise IdentifyError(f"{path}, row {int(np.flatnonzero(blank.to_numpy())[0]) + 2}, field encounter: empty catalogue number")
    if out["scientificName"].isna().all() and out["genus"].notna().any():
        out["scientificName"] = out["genus"].fillna("") + " " + out["specificEpithet"].fillna("")
        out["scientificName"] = out["scientificName"].str.strip().replace("", pd.NA)
    out["viewpoint"] = out["side"].astype("string").str.strip().replace("", pd.NA)
    side = out["side"].fillna("").astype(str).str.lower().str.replace(r"[^a-z]", "", regex=True)
    out["side"] = side.map(_SIDE).astype("object")
    sex = out["sex"].fillna("").astype(str).str.lower().str.strip()
    out["sex"] = sex.map(_SEX).fillna("unknown")
    for col in ("latitude", "longitude"):
        out[col] = _numbers(out[col], path, col)
    ymd = {c: _numbers(out[c], path, c) for c in ("year", "month", "day", "hour", "minutes")}
    date = pd.to_datetime(pd.DataFrame({"year": ymd["year"], "month": ymd["month"].fillna(1), "day": ymd["day"].fillna(1)}), errors="coerce")
    bad_date = ymd["year"].notna() & date.isna()
    if bad_date.any():
        i = int(np.flatnonzero(bad_date.to_numpy())[0])
        raise IdentifyError(f"{path}, row {i + 2}, fields year/month/day: not a valid date")
    out["date"] = date
    # Wildbook writes hour 0, minutes 0 when nobody entered a time: such encounters have a date only.
    hour, minute = ymd["hour"].fillna(0), ymd["minutes"].fillna(0)
    bad_time = (hour < 0) | (hour > 23) | (minute < 0) | (minute > 59)
    if bad_time.any():
        i = int(np.flatnonzero(bad_time.to_numpy())[0])
        raise IdentifyError(f"{path}, row {i + 2}, fields hour/minutes: not a time of day")
    out["timeUnknown"] = (hour == 0) & (minute == 0)
    out["time"] = pd.to_timedelta(hour * 60 + minute, unit="min")
    out["row"] = np.arange(len(out)) + 2  # the export's line, for messages
    out["individualID"] = out["individualID"].replace("", pd.NA)
    return out.drop(columns=["year", "month", "day", "hour", "minutes", "genus", "specificEpithet"])


def _numbers(s: pd.Series, path: Path, field: str) -> pd.Series:
    num = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & (s.astype(str).str.strip() != "") & num.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IdentifyError(f"{path}, row {i + 2}, field {field}: {s.iloc[i]!r} is not a number")
    return num.astype(float)


def write_encounters(encounters: pd.DataFrame, path: str | Path) -> Path:
    """Write encounters back as a Wildbook encounter export (CSV, or XLSX by extension)."""
    path = Path(path)
    missing = [c for c in REQUIRED if c not in encounters.columns]
    if missing:
        raise IdentifyError(f"cannot write {path}: encounters lack column(s) {', '.join(missing)}")
    out = pd.DataFrame(index=encounters.index)
    for ours, names in FIELDS.items():
        if ours in encounters.columns and ours not in ("year", "month", "day"):
            out[names[0]] = encounters[ours]
    if "date" in encounters.columns:
        d = pd.to_datetime(encounters["date"])
        out["Encounter.year"], out["Encounter.month"], out["Encounter.day"] = d.dt.year, d.dt.month, d.dt.day
    if "scientificName" in encounters.columns:
        parts = encounters["scientificName"].fillna("").astype(str).str.split(" ", n=1, expand=True).reindex(columns=[0, 1])
        out["Encounter.genus"], out["Encounter.specificEpithet"] = parts[0], parts[1]
        out = out.drop(columns=[FIELDS["scientificName"][0]])
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        out.to_excel(path, index=False)
    else:
        out.to_csv(path, index=False)
    return path


def to_labels(encounters: pd.DataFrame) -> pd.DataFrame:
    """Encounters with a photo and a side, as an identification labels table (image,individual,side,encounter)."""
    usable = encounters.dropna(subset=["mediaAsset", "individualID", "side"])
    return pd.DataFrame({
        "image": usable["mediaAsset"].to_numpy(),
        "individual": usable["individualID"].to_numpy(),
        "side": usable["side"].to_numpy(),
        "encounter": usable["encounterID"].to_numpy(),
        "scientificName": usable["scientificName"].fillna("unknown").to_numpy(),
    })
