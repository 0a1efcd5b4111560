"""The review plan of the store: observations as events (machine label, confidence, reviewer's label) and effort.

One observation is one event of the plan (event-level observations where a deployment has them, else its media-
level ones). The machine's label is what the machine said: kept in the first `species_review` row once a person
has decided, else the observation itself while it is still classified by a machine. Observations that people
identified without a machine are certain and take no part in the calibration. Stations are the plan's sites
(partner-qualified where two partners use the same code); days are local days.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from bigcats.analysis import review_plan as rp
from bigcats.analysis.effort import daily_effort
from bigcats.analysis.errors import AnalysisError
from bigcats.store.models import Deployment, DeploymentOutage, Observation, Partner, Project, Species, Station
from bigcats.store.models_review import SpeciesReview

UNKNOWN_CONFIDENCE = 0.5  # a machine label stored without its probability: as unsure as a coin


@dataclass
class StorePlan:
    """The plan, and for each planned event (observation id) its station, partner, local time and current label."""

    plan: rp.ReviewPlan
    details: pd.DataFrame


def _label(obs_type: object, name: object) -> str:
    if obs_type == "animal" and isinstance(name, str) and name:
        return name
    return str(obs_type or "unknown")


def _sites(frame: pd.DataFrame) -> pd.Series:
    clash = frame.groupby("station")["partner"].transform("nunique") > 1
    return frame["station"].where(~clash, frame["partner"] + ":" + frame["station"])


def events_and_effort(conn: Connection, partner_ids: list[int] | None = None, occasion_days: int = 7,
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The plan's events, its effort matrix and the events' details for the partners given (None: all)."""
    deps_q = (select(Deployment.id.label("deploymentID"), Station.code.label("station"),
                     Partner.code.label("partner"), Deployment.start_utc.label("deploymentStart"),
                     Deployment.end_utc.label("deploymentEnd"), Deployment.utc_offset.label("utcOffset"))
              .join(Station, Deployment.station_id == Station.id)
              .join(Project, Deployment.project_id == Project.id)
              .join(Partner, Project.partner_id == Partner.id))
    if partner_ids is not None:
        deps_q = deps_q.where(Project.partner_id.in_(partner_ids))
    deps = pd.DataFrame(conn.execute(deps_q).mappings().all(),
                        columns=["deploymentID", "station", "partner", "deploymentStart", "deploymentEnd",
                                 "utcOffset"])
    deps = deps.dropna(subset=["deploymentStart", "deploymentEnd"])
    if deps.empty:
        raise AnalysisError("review plan: no deployment with a start and an end among the partners you may see")
    deps["locationID"] = _sites(deps)
    ids = deps["deploymentID"].tolist()
    outages = pd.DataFrame(conn.execute(
        select(DeploymentOutage.deployment_id.label("deploymentID"), DeploymentOutage.start_utc.label("start"),
               DeploymentOutage.end_utc.label("end")).where(DeploymentOutage.deployment_id.in_(ids))).all(),
        columns=["deploymentID", "start", "end"])
    frame = deps.assign(deploymentStart=pd.to_datetime(deps["deploymentStart"]).dt.tz_localize("UTC"),
                        deploymentEnd=pd.to_datetime(deps["deploymentEnd"]).dt.tz_localize("UTC"))
    if not outages.empty:
        outages["start"] = pd.to_datetime(outages["start"]).dt.tz_localize("UTC")
        outages["end"] = pd.to_datetime(outages["end"]).dt.tz_localize("UTC")
    daily = daily_effort(frame, outages if not outages.empty else None, by="locationID")
    daily = daily[daily["effort"] > 0].rename(columns={"locationID": "site"})
    effort = rp.effort_matrix(daily[["site", "date"]], occasion_days)

    first = (select(SpeciesReview.observation_id, func.min(SpeciesReview.id).label("rid"))
             .group_by(SpeciesReview.observation_id).subquery())
    mach = aliased(Species)
    obs_q = (select(Observation.id, Observation.deployment_id, Observation.level, Observation.type,
                    Species.scientific_name, Observation.classification_method,
                    Observation.classification_probability, Observation.event_start_utc, Observation.utc_offset,
                    SpeciesReview.old_type, mach.scientific_name.label("machine_name"),
                    SpeciesReview.machine_probability, SpeciesReview.machine_by,
                    SpeciesReview.id.label("rid"))
             .outerjoin(Species, Observation.species_id == Species.id)
             .outerjoin(first, first.c.observation_id == Observation.id)
             .outerjoin(SpeciesReview, SpeciesReview.id == first.c.rid)
             .outerjoin(mach, SpeciesReview.machine_species_id == mach.id)
             .where(Observation.deployment_id.in_(ids)))
    cols = ["id", "deployment", "level", "type", "name", "method", "probability", "start", "offset", "old_type",
            "machine_name", "machine_probability", "machine_by", "rid"]
    obs = pd.DataFrame(conn.execute(obs_q).all(), columns=cols)
    if obs.empty:
        raise AnalysisError("review plan: no observations among the partners you may see")
    has_event = obs.groupby("deployment")["level"].transform(lambda s: (s == "event").any())
    obs = obs[(obs["level"] == "event") | ~has_event].copy()
    current = [_label(t, n) for t, n in zip(obs["type"], obs["name"])]
    reviewed = obs["rid"].notna()
    by_machine = reviewed & (obs["machine_by"].notna() | obs["machine_probability"].notna()
                             | obs["machine_name"].notna())
    still_machine = ~reviewed & (obs["method"] == "machine")
    ai = [(_label(o, m) if bm else c) for o, m, bm, c in zip(obs["old_type"], obs["machine_name"], by_machine,
                                                              current)]
    conf = obs["machine_probability"].where(by_machine, obs["probability"].where(still_machine, 1.0))
    conf = pd.to_numeric(conf, errors="coerce").fillna(UNKNOWN_CONFIDENCE).clip(0, 1)
    local = pd.to_datetime(obs["start"]) + pd.to_timedelta(pd.to_numeric(obs["offset"]).fillna(0), unit="min")
    site = obs["deployment"].map(deps.set_index("deploymentID")["locationID"])
    events = pd.DataFrame({"eventID": obs["id"].astype(int).to_numpy(), "site": site.to_numpy(),
                           "day": local.dt.date.to_numpy(), "ai": ai, "confidence": conf.to_numpy(),
                           "truth": [c if not sm else None for c, sm in zip(current, still_machine)],
                           "machine": (by_machine | still_machine).to_numpy()})
    partner = obs["deployment"].map(deps.set_index("deploymentID")["partner"])
    details = pd.DataFrame({"eventID": events["eventID"], "partner": partner.to_numpy(),
                            "station": obs["deployment"].map(deps.set_index("deploymentID")["station"]).to_numpy(),
                            "time": local.to_numpy(), "current": current})
    return events, effort, details


def genus_ancestry(events: pd.DataFrame) -> dict[str, set[str]]:
    """Each species' genus, read from its binomial name: a machine label of a genus ("Ardea") is then right for,
    and shared among, the species of that genus recorded here (camtraptools reads the whole taxonomy from
    SpeciesNet's labels; the store holds names)."""
    names = set(events["ai"]) | set(events["truth"].dropna())
    return {n: {n.split()[0]} for n in names if rp.is_species(n)}


def store_review_plan(conn: Connection, partner_ids: list[int] | None = None, occasion_days: int = 7,
                      species: list[str] | None = None, tolerance: float = rp.DEFAULT_TOLERANCE,
                      min_gain: float = rp.DEFAULT_MIN_GAIN) -> StorePlan:
    """The review plan of the partners' observations (None: the whole store), with each planned event's details."""
    events, effort, details = events_and_effort(conn, partner_ids, occasion_days)
    plan = rp.review_plan(events, effort, occasion_days, species, tolerance, min_gain, ancestry=genus_ancestry(events))
    planned = details[details["eventID"].isin(plan.events["eventID"])]
    return StorePlan(plan, planned.reset_index(drop=True))


def plan_document(sp: StorePlan, limit: int = 200) -> dict:
    """The plan as one JSON-ready document (the CLI's --json and the web API give the same): species, the first
    `limit` events to review with their station and time, the calibration and the settings."""
    plan = sp.plan
    events = plan.events.head(max(int(limit), 0)).merge(sp.details, on="eventID", how="left")
    events = events.assign(time=events["time"].map(lambda t: t.isoformat(timespec="seconds") if t == t else None))
    return {
        "species": plan.species.to_dict("records"),
        "events": [{"order": int(r["order"]), "observation": int(r["eventID"]), "partner": r["partner"],
                    "station": r["station"], "time": r["time"], "machine": r["ai"],
                    "confidence": round(float(r["confidence"]), 3), "current": r["current"],
                    "species": r["species"].split("; "), "doubt": float(r["doubt"])}
                   for r in events.to_dict("records")],
        "eventsToReview": int(len(plan.events)),
        "reviewed": plan.reviewed,
        "calibration": {"intercept": plan.calibration.intercept, "slope": plan.calibration.slope,
                        "labels": plan.calibration.offsets},
        "occasionDays": plan.occasion_days, "tolerance": plan.tolerance, "minGain": plan.min_gain,
    }
