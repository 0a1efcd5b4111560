"""Wildbook/Whiskerbook encounters as observations: each encounter with its date, station and individual, so the
catalogue feeds capture histories; dates outside the stations' operation are reported, not stored.

An encounter's station is its `Encounter.locationID` (or verbatim locality), matched to the partner's station codes;
its deployment is the one at that station whose local operating days hold the encounter's date. Wildbook gives a
date (and an hour/minute that is 0:00 when nobody entered one): a date-only encounter is stored as an event lasting
its local day, like any record without a time (see ARCHITECTURE.md). Observations are keyed
`wildbook:<encounter>` per deployment, so importing the same export again adds nothing.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from bigcats.store import load
from bigcats.store.models import Deployment, IndividualAlias, Observation, Partner, Project, Species, Station

DAY_END = pd.Timedelta(hours=23, minutes=59, seconds=59)


def store_encounter_observations(engine: Engine, encounters: pd.DataFrame, species: str, partner: str,
                                 file: str = "export") -> dict:
    """Write each encounter with a station, a date and a catalogued individual as an event-level observation.

    Returns how many were added, and the encounters left out with why: station unknown, date outside the
    station's operation (with its operating windows), no date, no individual.
    """
    enc = encounters.copy()
    enc["station"] = enc["locality"].astype("string").str.strip()
    with engine.connect() as conn:
        pid = conn.execute(select(Partner.id).where(Partner.code == partner)).scalar_one_or_none()
        sid = conn.execute(select(Species.id).where(Species.scientific_name == species)).scalar_one_or_none()
        deps = pd.DataFrame(conn.execute(
            select(Deployment.id, Deployment.start_utc, Deployment.end_utc, Deployment.utc_offset,
                   Station.code.label("station"))
            .join(Station, Deployment.station_id == Station.id)
            .join(Project, Deployment.project_id == Project.id)
            .where(Project.partner_id == pid)).mappings().all(),
            columns=["id", "start_utc", "end_utc", "utc_offset", "station"])
        aliases = dict(conn.execute(select(IndividualAlias.code, IndividualAlias.individual_id).where(
            IndividualAlias.partner_id == pid, IndividualAlias.species_id == sid)).all()) if pid and sid else {}
    left_out: list[dict] = []

    def leave(rows: pd.DataFrame, why: str, extra=None) -> None:
        for r in rows.itertuples():
            item = {"row": int(r.row), "encounter": str(r.encounterID), "station": None if pd.isna(r.station)
                    else str(r.station), "date": None if pd.isna(r.date) else f"{r.date:%Y-%m-%d}", "why": why}
            if extra is not None:
                item["operation"] = extra(r)
            left_out.append(item)

    leave(enc[enc["date"].isna()], "no date")
    enc = enc[enc["date"].notna()]
    leave(enc[enc["individualID"].isna()], "no individual")
    enc = enc[enc["individualID"].notna()]
    known = enc["station"].isin(set(deps["station"]))
    leave(enc[~known], "station not among the partner's stations")
    enc = enc[known]
    # Each deployment's operating local days: [start day, end day], in the deployment's own clock.
    off = pd.to_timedelta(deps["utc_offset"].fillna(0), unit="min")
    deps["first"] = (pd.to_datetime(deps["start_utc"]) + off).dt.normalize()
    deps["last"] = (pd.to_datetime(deps["end_utc"]) + off).dt.normalize()
    cand = enc.reset_index(names="_i").merge(deps, on="station")
    day = cand["date"].dt.normalize()
    cand = cand[(day >= cand["first"]) & (day <= cand["last"])].drop_duplicates("_i")
    inside = enc.index.isin(cand["_i"])
    windows = deps.groupby("station").apply(
        lambda g: [f"{a:%Y-%m-%d}/{b:%Y-%m-%d}" for a, b in zip(g["first"], g["last"], strict=True)],
        include_groups=False).to_dict()
    leave(enc[~inside], "date outside the station's operation", lambda r: windows.get(r.station, []))
    added = 0
    if len(cand) and sid is not None:
        local = cand["date"].dt.normalize() + cand["time"].where(~cand["timeUnknown"], pd.Timedelta(0))
        start = local - pd.to_timedelta(cand["utc_offset"], unit="min")
        end = start.where(~cand["timeUnknown"], start + DAY_END)
        tags = ("viewpoint:" + cand["viewpoint"].fillna("").astype(str)).where(cand["viewpoint"].notna(), None)
        rows = {
            "deployment_id": cand["id"].astype(int).tolist(), "media_id": [None] * len(cand),
            "source_id": ("wildbook:" + cand["encounterID"].astype(str)).tolist(), "event_id": [None] * len(cand),
            "event_start_utc": start.dt.to_pydatetime().tolist(), "event_end_utc": end.dt.to_pydatetime().tolist(),
            "utc_offset": cand["utc_offset"].astype(int).tolist(), "level": ["event"] * len(cand),
            "type": ["animal"] * len(cand), "species_id": [int(sid)] * len(cand),
            "count": [1] * len(cand), "sex": [None if s in (None, "unknown") or pd.isna(s) else s
                                              for s in cand["sex"]],
            "individual_id": [aliases.get(str(c)) for c in cand["individualID"]],
            "classification_method": ["human"] * len(cand), "classified_by": [f"Wildbook export {file}"] * len(cand),
            "tags": tags.tolist(),
        }
        with engine.begin() as conn:
            before = conn.execute(select(func.count()).select_from(Observation)).scalar_one()
            load.insert_ignore(conn, "observation", list(rows), rows)
            added = conn.execute(select(func.count()).select_from(Observation)).scalar_one() - before
    return {"encounters": int(len(encounters)), "observations_added": int(added),
            "observations_matched": int(len(cand)), "left_out": left_out,
            "dates_outside_operation": sum(1 for x in left_out if x["why"].startswith("date outside"))}


__all__ = ["store_encounter_observations"]
