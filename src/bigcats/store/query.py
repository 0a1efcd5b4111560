"""Read survey frames out of the store: the DataFrames (Camtrap DP column names) that every analysis takes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Select, select

from bigcats.store.models import (
    Deployment,
    DeploymentOutage,
    Individual,
    IndividualAlias,
    Observation,
    Partner,
    Project,
    Species,
    Station,
)


@dataclass
class SurveyFrames:
    """Deployments, outages and observations of a selection of the store, with timestamps in UTC."""

    deployments: pd.DataFrame
    outages: pd.DataFrame
    observations: pd.DataFrame


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.tz_localize("UTC")


def _filtered(q: Select, partner: str | None, country: str | None, project: str | None) -> Select:
    if partner:
        q = q.where(Partner.code == partner)
    if country:
        q = q.where(Station.country == country)
    if project:
        q = q.where(Project.code == project)
    return q


def load_frames(engine: Engine, partner: str | None = None, country: str | None = None,
                project: str | None = None, species: list[str] | None = None) -> SurveyFrames:
    """Survey frames for the whole store or one partner, country side, project or list of species."""
    dep_q = _filtered(
        select(Deployment.id.label("_id"), Deployment.source_id.label("deploymentID"),
               Station.code.label("locationID"), Station.name.label("locationName"), Station.latitude,
               Station.longitude, Deployment.start_utc.label("deploymentStart"),
               Deployment.end_utc.label("deploymentEnd"), Deployment.camera_id.label("cameraID"),
               Deployment.utc_offset.label("utcOffset"), Station.country, Station.protected_area.label(
                   "protectedArea"), Partner.code.label("partner"))
        .join(Station, Deployment.station_id == Station.id)
        .join(Project, Deployment.project_id == Project.id)
        .join(Partner, Project.partner_id == Partner.id), partner, country, project)
    with engine.connect() as conn:
        deps = pd.DataFrame(conn.execute(dep_q).mappings().all())
        if deps.empty:
            empty = pd.DataFrame()
            return SurveyFrames(empty, empty, empty)
        ids = deps["_id"].tolist()
        outages = pd.DataFrame(conn.execute(
            select(DeploymentOutage.deployment_id.label("_id"), DeploymentOutage.start_utc.label("start"),
                   DeploymentOutage.end_utc.label("end"), DeploymentOutage.reason)
            .where(DeploymentOutage.deployment_id.in_(ids))).mappings().all(),
            columns=["_id", "start", "end", "reason"])
        obs_q = (select(Observation.deployment_id.label("_id"), Observation.source_id.label("observationID"),
                        Observation.event_id.label("eventID"), Observation.event_start_utc.label("timestamp"),
                        Observation.utc_offset.label("utcOffset"), Observation.level.label("observationLevel"),
                        Observation.type.label("observationType"), Species.scientific_name.label("scientificName"),
                        Observation.count, Observation.sex, Observation.life_stage.label("lifeStage"),
                        Individual.code.label("individualID"), Observation.classification_method.label(
                            "classificationMethod"), Observation.classification_probability.label(
                            "classificationProbability"))
                 .outerjoin(Species, Observation.species_id == Species.id)
                 .outerjoin(Individual, Observation.individual_id == Individual.id)
                 .where(Observation.deployment_id.in_(ids)))
        if species:
            obs_q = obs_q.where(Species.scientific_name.in_(species))
        obs = pd.DataFrame(conn.execute(obs_q).mappings().all())
    deps["deploymentStart"] = _utc(deps["deploymentStart"])
    deps["deploymentEnd"] = _utc(deps["deploymentEnd"])
    dep_key = deps.set_index("_id")
    if not outages.empty:
        outages["start"] = _utc(outages["start"])
        outages["end"] = _utc(outages["end"])
        outages.insert(0, "deploymentID", outages["_id"].map(dep_key["deploymentID"]))
    outages = outages.drop(columns="_id")
    if obs.empty:
        obs = pd.DataFrame(columns=["observationID", "deploymentID", "locationID", "timestamp", "scientificName"])
    else:
        obs["timestamp"] = _utc(obs["timestamp"])
        for col in ("deploymentID", "locationID", "country", "partner"):
            obs[col] = obs["_id"].map(dep_key[col])
        obs = obs.drop(columns="_id")
    return SurveyFrames(deps.drop(columns="_id"), outages, obs)


def catalogue_aliases(engine: Engine) -> pd.DataFrame:
    """Every partner code of every catalogue individual (individualID is the shared catalogue code)."""
    q = (select(Individual.code.label("individualID"), Species.scientific_name.label("scientificName"),
                Partner.code.label("partner"), IndividualAlias.code.label("partnerCode"), Individual.sex)
         .join(Individual, IndividualAlias.individual_id == Individual.id)
         .join(Species, Individual.species_id == Species.id)
         .join(Partner, IndividualAlias.partner_id == Partner.id))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all(),
                            columns=["individualID", "scientificName", "partner", "partnerCode", "sex"])


def operating_days(deployments: pd.DataFrame, outages: pd.DataFrame) -> pd.Series:
    """Exact camera operating time per deployment in days: deployment length less the outages within it."""
    span = (deployments["deploymentEnd"] - deployments["deploymentStart"]).dt.total_seconds() / 86400
    if outages is None or outages.empty:
        return pd.Series(span.to_numpy(), index=deployments["deploymentID"].to_numpy())
    merged = outages.merge(deployments[["deploymentID", "deploymentStart", "deploymentEnd"]], on="deploymentID")
    lo = np.maximum(merged["start"].to_numpy(), merged["deploymentStart"].to_numpy())
    hi = np.minimum(merged["end"].to_numpy(), merged["deploymentEnd"].to_numpy())
    lost = pd.Series(np.clip((hi - lo) / np.timedelta64(1, "s"), 0, None) / 86400,
                     index=merged["deploymentID"]).groupby(level=0).sum()
    days = pd.Series(span.to_numpy(), index=deployments["deploymentID"].to_numpy())
    return days - lost.reindex(days.index, fill_value=0)
