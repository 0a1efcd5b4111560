"""SMART Conservation Tools exports: the patrol observation query (one row per observation, with its patrol, its
waypoint's date, time and X/Y, `Observation Category 0..n` and attribute columns) and the patrol summary query
(`Patrol ID, Number of Days, Number of Nights, Number of Active Patrol Hours, Distance (km), Number of Employees`),
as SMART Desktop writes them to CSV. Observations become incidental records with their patrol's effort; the
category path or the `Species` attribute is mapped to the taxonomy with the label map (partner's own labels
first); threats (snares, traps, camps, weapons, shots) are kept whatever their species.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from bigcats.intake.report import IntakeError
from bigcats.intake.tables import read_table
from bigcats.problems import Problem
from bigcats.taxonomy import resolve_labels

REQUIRED = ["Patrol ID", "Waypoint ID", "Waypoint Date", "X", "Y"]
THREAT = re.compile(r"\b(?:snares?|traps?|trapping|poach\w*|poison\w*|weapons?|firearms?|guns?|shots?|gunshots?|"
                    r"cartridges?|nets?|camps?)\b|петл|капкан|браконь|выстрел|гильз|陷阱|猎套|盗猎|枪|урхи|занга|хулгайн",
                    re.I)  # whole English words: 'Cabinet' or 'Internet' are no nets
DATE_FORMATS = ("%b %d, %Y %I:%M:%S %p", "%b %d, %Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S")


def _when(date: pd.Series, time: pd.Series) -> pd.Series:
    text = (date.fillna("").astype(str).str.strip() + " " + time.fillna("00:00:00").astype(str).str.strip()).str.strip()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        missing = out.isna()
        if not missing.any():
            break
        out[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    return out


def read_smart(observations: str | Path, patrols: str | Path | None, partner: str, utc_offset: int,
               user_map: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patrols (with effort) and incidental records from SMART's CSV exports; refused whole with row and field."""
    obs = read_table(observations)
    obs.columns = [str(c).strip() for c in obs.columns]
    name = str(observations)
    missing = [c for c in REQUIRED if c not in obs.columns]
    if missing:
        raise IntakeError([Problem("missing-column", f"not a SMART patrol observation export: no {c!r} column",
                                   file=name, field=c) for c in missing], name)
    problems: list[Problem] = []
    local = _when(obs["Waypoint Date"], obs.get("Waypoint Time", pd.Series("", index=obs.index)))
    x = pd.to_numeric(obs["X"], errors="coerce")
    y = pd.to_numeric(obs["Y"], errors="coerce")
    for i in np.flatnonzero(local.isna().to_numpy()):
        problems.append(Problem("bad-date", "waypoint date and time not readable", file=name, row=i + 2,
                                field="Waypoint Date", value=f"{obs['Waypoint Date'].iloc[i]} "
                                                             f"{obs.get('Waypoint Time', pd.Series('')).iloc[i]}"))
    for i in np.flatnonzero((x.isna() | y.isna() | (x.abs() > 180) | (y.abs() > 90)).to_numpy()):
        problems.append(Problem("bad-coordinate", "X/Y is not a WGS84 longitude/latitude", file=name, row=i + 2,
                                field="X", value=f"{obs['X'].iloc[i]}, {obs['Y'].iloc[i]}"))
    cats = sorted([c for c in obs.columns if re.fullmatch(r"Observation Category \d+", c)],
                  key=lambda c: int(c.split()[-1]))
    path = obs[cats].fillna("").astype(str).agg(lambda r: " > ".join(v.strip() for v in r if v.strip()), axis=1) \
        if cats else pd.Series("", index=obs.index)
    label = obs["Species"].fillna("").astype(str).str.strip() if "Species" in obs.columns else \
        pd.Series("", index=obs.index)
    leaf = obs[cats].replace("", np.nan).ffill(axis=1).iloc[:, -1].fillna("").astype(str) if cats else label
    label = label.where(label != "", leaf)
    threat_text = path + " " + (obs["Threat"].fillna("").astype(str) if "Threat" in obs.columns else "")
    threat = threat_text.str.contains(THREAT) | (obs["Threat"].notna() & (obs["Threat"].astype(str).str.strip() != "")
                                                 if "Threat" in obs.columns else False)
    wanted = sorted(set(label[(label != "") & ~threat]))
    res = resolve_labels(wanted, partner=partner, user_map=user_map) if wanted else None
    mapping = dict(zip(res.mapping["label"], res.mapping["scientificName"])) if res is not None else {}
    animal_like = path.str.contains(r"wildlife|animal|fauna|mammal|животн|звер|动物|амьтан", case=False, regex=True)
    # a Species attribute must resolve; a category leaf that names no species ('Direct observation') stays 'other'
    named = (obs["Species"].fillna("").astype(str).str.strip() != "") if "Species" in obs.columns else \
        pd.Series(False, index=obs.index)
    for i in np.flatnonzero(((label != "") & ~threat & animal_like & named & ~label.isin(list(mapping))).to_numpy()):
        problems.append(Problem("unknown-species", "SMART category or species not in the taxonomy or the label map "
                                "(add it with --label-map)", file=name, row=i + 2, field="Species",
                                value=label.iloc[i]))
    if problems:
        raise IntakeError(problems, name)
    count_cols = [c for c in obs.columns if c.lower().startswith("number of") and "people" not in c.lower()]
    counts = obs[count_cols].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1) if count_cols else \
        pd.Series(np.nan, index=obs.index)
    kind = np.where(threat, "threat", np.where(label.isin(list(mapping)), "sign", "other"))
    skip = set(REQUIRED) | set(cats) | {"Waypoint Time", "Species", "Patrol Start Date", "Patrol End Date"}
    attrs = obs[[c for c in obs.columns if c not in skip]].astype(object).where(obs.notna(), None)
    n_in_wp = obs.groupby(["Patrol ID", "Waypoint ID"]).cumcount() + 1
    records = pd.DataFrame({
        "patrol": obs["Patrol ID"].astype(str).str.strip(),
        "source_id": "smart:" + obs["Patrol ID"].astype(str).str.strip() + ":" + obs["Waypoint ID"].astype(str)
                     + ":" + n_in_wp.astype(str),
        "timestamp_utc": local - pd.Timedelta(minutes=utc_offset), "utc_offset": utc_offset,
        "latitude": y, "longitude": x, "scientific_name": label.map(mapping), "kind": kind, "threat": threat,
        "count": counts, "category": path, "attributes": [{k: v for k, v in r.items() if v not in (None, "")}
                                                         for r in attrs.to_dict("records")]})
    # patrol effort: dates from the observation export, days, hours, distance from the summary export
    per = obs.assign(_t=local).groupby(obs["Patrol ID"].astype(str).str.strip())
    first = lambda col: per[col].first() if col in obs.columns else None  # noqa: E731
    start = pd.to_datetime(first("Patrol Start Date"), errors="coerce") if "Patrol Start Date" in obs else None
    end = pd.to_datetime(first("Patrol End Date"), errors="coerce") if "Patrol End Date" in obs else None
    patrols_df = pd.DataFrame({"source_id": per["_t"].min().index})
    patrols_df["start"] = (start.reindex(patrols_df["source_id"]).to_numpy() if start is not None else
                           per["_t"].min().to_numpy())
    patrols_df["end"] = (end.reindex(patrols_df["source_id"]).to_numpy() if end is not None else
                         per["_t"].max().to_numpy())
    patrols_df["start"] = patrols_df["start"].fillna(per["_t"].min().reset_index(drop=True))
    end_ = pd.to_datetime(patrols_df["end"].fillna(per["_t"].max().reset_index(drop=True)))
    # an end given as a date only means the end of that day
    patrols_df["end"] = end_.where(end_ != end_.dt.normalize(), end_ + pd.Timedelta(hours=23, minutes=59))
    for col, key in (("Patrol Transport Type", "transport"), ("Station", "station"), ("Team", "team")):
        patrols_df[key] = first(col).reindex(patrols_df["source_id"]).to_numpy() if col in obs.columns else None
    patrols_df["distance_km"] = np.nan
    patrols_df["hours"] = np.nan
    if patrols is not None:
        summ = read_table(patrols)
        summ.columns = [str(c).strip() for c in summ.columns]
        if "Patrol ID" not in summ.columns:
            raise IntakeError([Problem("missing-column", "not a SMART patrol summary export: no 'Patrol ID'",
                                       file=str(patrols), field="Patrol ID")], str(patrols))
        s = summ.groupby(summ["Patrol ID"].astype(str).str.strip()).agg(
            {c: lambda v: pd.to_numeric(v, errors="coerce").sum() for c in summ.columns
             if c in ("Distance (km)", "Number of Active Patrol Hours")})
        if "Distance (km)" in s:
            patrols_df["distance_km"] = patrols_df["source_id"].map(s["Distance (km)"])
        if "Number of Active Patrol Hours" in s:
            patrols_df["hours"] = patrols_df["source_id"].map(s["Number of Active Patrol Hours"])
    patrols_df["start_utc"] = pd.to_datetime(patrols_df["start"]) - pd.Timedelta(minutes=utc_offset)
    patrols_df["end_utc"] = pd.to_datetime(patrols_df["end"]) - pd.Timedelta(minutes=utc_offset)
    patrols_df["utc_offset"] = utc_offset
    return patrols_df.drop(columns=["start", "end"]), records


def store_smart(engine: Engine, patrols: pd.DataFrame, records: pd.DataFrame, partner: str, source: str) -> dict:
    """Write patrols and their records in one transaction; patrols and records already stored are kept as they are."""
    from bigcats.store import load
    from bigcats.store.models_field import IncidentalRecord, Patrol

    def clean(v):
        return None if v is None or (np.isscalar(v) or v is pd.NA or v is pd.NaT) and pd.isna(v) else v
    added = {"patrol": 0, "incidental_record": 0}
    with engine.begin() as conn:
        pid = load.ensure_partner(conn, partner)
        have = dict(conn.execute(select(Patrol.source_id, Patrol.id).where(Patrol.partner_id == pid)).all())
        for _, p in patrols.iterrows():
            if p["source_id"] in have:
                continue
            have[p["source_id"]] = conn.execute(Patrol.__table__.insert().values(
                partner_id=pid, source_id=p["source_id"], start_utc=p["start_utc"].to_pydatetime(),
                end_utc=p["end_utc"].to_pydatetime(), utc_offset=int(p["utc_offset"]),
                distance_km=clean(p["distance_km"]), hours=clean(p["hours"]), transport=clean(p["transport"]),
                station=clean(p["station"]), team=clean(p["team"]), source=source)).inserted_primary_key[0]
            added["patrol"] += 1
        known = set(conn.execute(select(IncidentalRecord.source_id).where(IncidentalRecord.partner_id == pid)).scalars())
        species = load.ensure_species(conn, records["scientific_name"].dropna())
        rows = [{"partner_id": pid, "patrol_id": have[r["patrol"]], "source_id": r["source_id"],
                 "timestamp_utc": r["timestamp_utc"].to_pydatetime(), "utc_offset": int(r["utc_offset"]),
                 "latitude": float(r["latitude"]), "longitude": float(r["longitude"]),
                 "species_id": species.get(r["scientific_name"]) if isinstance(r["scientific_name"], str) else None,
                 "kind": r["kind"], "threat": bool(r["threat"]),
                 "count": None if pd.isna(r["count"]) else int(r["count"]),
                 "category": r["category"], "attributes": r["attributes"], "source": source}
                for _, r in records.iterrows() if r["source_id"] not in known]
        if rows:
            conn.execute(IncidentalRecord.__table__.insert(), rows)
        added["incidental_record"] = len(rows)
    return added
