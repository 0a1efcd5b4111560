"""Read survey frames out of the store: the DataFrames (Camtrap DP column names) that every analysis takes."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, Select, select

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
from bigcats.core.frames import SurveyFrames  # noqa: F401  (the one survey-frames class; re-exported)


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


def _qualify(deps: pd.DataFrame, column: str) -> None:
    """Make an identifier unique across partners: Camtrap DP IDs are unique only within a package, so two parks
    may both have a deployment "D01" or a station "A1". Only colliding IDs are prefixed with their partner (and
    project where one partner reuses an ID), so the common case keeps the partner's own IDs."""
    owner = deps["partner"].astype(str)
    key = deps[column].astype(str)
    if column == "deploymentID":
        clash = deps.groupby(column)["_id"].transform("nunique") > 1
        by_partner = deps[clash].groupby([owner[clash], key[clash]])["_id"].transform("nunique") > 1
        prefix = owner[clash].where(~by_partner, owner[clash] + "/" + deps.loc[clash, "project"].astype(str))
        deps.loc[clash, column] = prefix + ":" + key[clash]
    else:
        clash = deps.groupby(column)["partner"].transform("nunique") > 1
        deps.loc[clash, column] = owner[clash] + ":" + key[clash]


def load_frames(engine: Engine, partner: str | None = None, country: str | None = None,
                project: str | None = None, species: list[str] | None = None) -> SurveyFrames:
    """Survey frames for the whole store or one partner, country side, project or list of species."""
    dep_q = _filtered(
        select(Deployment.id.label("_id"), Deployment.source_id.label("deploymentID"),
               Station.code.label("locationID"), Station.name.label("locationName"), Station.latitude,
               Station.longitude, Deployment.start_utc.label("deploymentStart"),
               Deployment.end_utc.label("deploymentEnd"), Deployment.camera_id.label("cameraID"),
               Deployment.utc_offset.label("utcOffset"), Station.country, Station.protected_area.label(
                   "protectedArea"), Partner.code.label("partner"), Project.code.label("project"))
        .join(Station, Deployment.station_id == Station.id)
        .join(Project, Deployment.project_id == Project.id)
        .join(Partner, Project.partner_id == Partner.id), partner, country, project)
    with engine.connect() as conn:
        deps = pd.DataFrame(conn.execute(dep_q).mappings().all())
        if deps.empty:
            return SurveyFrames()
        ids = deps["_id"].tolist()
        outages = pd.DataFrame(conn.execute(
            select(DeploymentOutage.deployment_id.label("_id"), DeploymentOutage.start_utc.label("start"),
                   DeploymentOutage.end_utc.label("end"), DeploymentOutage.reason)
            .where(DeploymentOutage.deployment_id.in_(ids))).mappings().all(),
            columns=["_id", "start", "end", "reason"])
        obs_q = (select(Observation.deployment_id.label("_id"), Observation.source_id.label("observationID"),
                        Observation.event_id.label("eventID"), Observation.event_start_utc.label("timestamp"),
                        Observation.event_end_utc.label("_end"),
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
    _qualify(deps, "deploymentID")
    _qualify(deps, "locationID")
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
        obs["timeUnknown"] = time_unknown(obs["timestamp"], _utc(obs.pop("_end")), obs["utcOffset"])
        for col in ("deploymentID", "locationID", "country", "partner"):
            obs[col] = obs["_id"].map(dep_key[col])
        obs = obs.drop(columns="_id")
    return SurveyFrames(deps.drop(columns="_id"), outages, obs)


def time_unknown(start: pd.Series, end: pd.Series, utc_offset: pd.Series) -> pd.Series:
    """Records with a date but no time: stored as an event from 00:00:00 to 23:59:59 of their local day."""
    local = start + pd.to_timedelta(pd.to_numeric(utc_offset).fillna(0), unit="min")
    whole_day = (end - start) == pd.Timedelta(hours=23, minutes=59, seconds=59)
    return (whole_day & (local == local.dt.normalize())).fillna(False).astype(bool)


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


def _rows(bind: Engine | Connection, q: Select) -> list:
    """Rows of a query on an engine (own connection) or inside a caller's connection."""
    if isinstance(bind, Connection):
        return bind.execute(q).all()
    with bind.connect() as conn:
        return conn.execute(q).all()


SPECIES_COLUMNS = ["scientificName", "group", "sensitive", "en", "ru", "zh", "mn"]


def species_names(engine: Engine | Connection) -> pd.DataFrame:
    """The species table of the store: scientific name, group, sensitive flag and names in en, ru, zh, mn."""
    q = select(Species.scientific_name, Species.group, Species.sensitive, Species.name_en, Species.name_ru,
               Species.name_zh, Species.name_mn)
    table = pd.DataFrame(_rows(engine, q), columns=SPECIES_COLUMNS)
    table["sensitive"] = table["sensitive"].fillna(False).astype(bool)
    return table


def recorded_species(engine: Engine | Connection) -> set[str]:
    """Scientific names of the taxa with at least one observation in the store."""
    q = select(Species.scientific_name).where(select(Observation.id).where(Observation.species_id == Species.id)
                                              .exists())
    return {r[0] for r in _rows(engine, q)}


def resolve_species(engine: Engine | Connection | None, name: str) -> str:
    """The scientific name for any name of a species, knowing the taxa users added to this store and the taxa
    recorded in it (so 'tiger' means the Amur tiger where only Amur tigers were recorded)."""
    from bigcats.taxonomy.resolve import resolve_species as resolve

    if engine is None:
        return resolve(name)
    return resolve(name, species_names(engine), present=recorded_species(engine))
