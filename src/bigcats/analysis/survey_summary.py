"""The survey at a glance: stations and trap-nights per side, detections per species and side, individuals."""

from __future__ import annotations

import pandas as pd

from bigcats.analysis.effort import trap_nights
from bigcats.core.frames import SurveyFrames


def events(observations: pd.DataFrame) -> pd.DataFrame:
    """One row per detection event: event-level observations, or media-level ones collapsed by eventID."""
    if observations.empty:
        return observations
    level = observations.get("observationLevel")
    if level is not None and (level == "event").any():
        ev = observations[level == "event"]
        media_only = observations[(level == "media") & ~observations["eventID"].isin(ev["eventID"])]
        return pd.concat([ev, media_only.drop_duplicates(["deploymentID", "eventID", "scientificName"])])
    if "eventID" in observations and observations["eventID"].notna().any():
        return observations.drop_duplicates(["deploymentID", "eventID", "scientificName"])
    return observations


def survey_summary(frames: SurveyFrames) -> dict:
    """Stations, trap-nights, detections and individuals per country side (and on both sides)."""
    deps, obs = frames.deployments, frames.observations
    if deps.empty:
        return {"stations": {}, "trap_nights": {}, "detections": {}, "individuals": {}}
    outages = frames.outages if frames.outages is not None and not frames.outages.empty else None
    per_side = trap_nights(deps, outages, by=("country",))
    ev = events(obs)
    label = ev["scientificName"].where(ev["scientificName"].notna(), ev["observationType"])
    detections = (ev.assign(label=label).groupby(["label", "country"]).size().unstack(fill_value=0))
    individuals: dict[str, dict] = {}
    marked = ev[ev["individualID"].notna()] if "individualID" in ev else ev.iloc[0:0]
    for sp, rows in marked.groupby("scientificName"):
        sides = rows.groupby("individualID")["country"].agg(lambda s: frozenset(s.dropna()))
        individuals[sp] = {
            "identified": int(len(sides)),
            "per_side": {c: int(sum(c in s for s in sides)) for c in sorted(deps["country"].dropna().unique())},
            "on_both_sides": int(sum(len(s) > 1 for s in sides)),
        }
    return {
        "stations": deps.groupby("country")["locationID"].nunique().astype(int).to_dict(),
        "trap_nights": {str(r.country): round(float(r.trapNights), 1) for r in per_side.itertuples()},
        "detections": {k: {c: int(v) for c, v in row.items() if v} for k, row in detections.iterrows()},
        "individuals": individuals,
    }
