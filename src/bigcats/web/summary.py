"""Detections counted per station, species, year and individual, kept in memory until the next import.

The map, the dashboard and the catalogue are aggregates; recomputing them from a million observations on
every page view would cost a second each on PostgreSQL. The counts are read once per data version (the intake
batches, which every import writes) and each request filters and sums them in pandas under its own scope, so
visibility is applied exactly as in the SQL path. Requests with a date filter go to SQL (see queries.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection, func, select

from bigcats.store.models import (
    Deployment,
    DeploymentOutage,
    Individual,
    Observation,
    Partner,
    Project,
    Species,
    Station,
)

NO_INDIVIDUAL = -1


@dataclass
class Counts:
    """The cached aggregates of one data version."""

    counts: pd.DataFrame  # station, partner, species, year, individual, detections, first, last
    stations: pd.DataFrame  # station id -> partner id, partner code, coordinates, country
    deployments: pd.DataFrame  # id, start, end, country, partner
    species: pd.DataFrame  # id -> scientific name, names in four languages
    individuals: pd.DataFrame  # id -> code, name, sex, species id
    outages: pd.DataFrame  # deploymentID, start, end (for trap-nights)
    monthly: pd.DataFrame | None = None  # station, partner, species, year, month, detections (the charts)
    memo: dict = field(default_factory=dict)  # derived results of this data version (monthly effort per area)


class SummaryCache:
    """The Counts of the current data version, rebuilt when an import has happened since."""

    def __init__(self) -> None:
        self._key: object = None
        self._counts: Counts | None = None
        self._lock = threading.Lock()

    def get(self, conn: Connection) -> Counts:
        """The counts for the data as it is now."""
        key = self.version(conn)
        if self._counts is not None and key == self._key:
            return self._counts
        with self._lock:
            if self._counts is None or key != self._key:
                self._counts = build(conn)
                self._key = key
        return self._counts

    def clear(self) -> None:
        """Forget the counts (after writing observations without an intake batch)."""
        self._counts = None
        self._key = None

    @staticmethod
    def version(conn: Connection) -> tuple:
        """The data version: imports (intake batches), people's species decisions and the data change marks
        (stations, deployments, individuals, observations changed; migration 0013), so that every server process
        sees a change made in another one. The same tuple as a request context's `data`."""
        from bigcats.web.context import data_version_columns

        return tuple(conn.execute(select(*data_version_columns())).one())

    def version_now(self, conn: Connection) -> tuple:
        """The data version the counts were built for, reading the store once (the current one)."""
        self.get(conn)
        return self._key


def effort_frames(conn: Connection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every deployment (id, partner, side, and the survey-frame columns trap-nights need) and every outage."""
    deployments = pd.DataFrame(conn.execute(
        select(Deployment.id, Deployment.start_utc, Deployment.end_utc, Deployment.utc_offset, Deployment.station_id,
               Station.country, Partner.code, Project.partner_id)
        .join(Station, Deployment.station_id == Station.id).join(Project, Deployment.project_id == Project.id)
        .join(Partner, Project.partner_id == Partner.id)).all(),
        columns=["id", "start", "end", "utcOffset", "station", "country", "partner", "partner_id"])
    deployments["deploymentID"] = deployments["id"].astype(str)
    deployments["locationID"] = deployments["station"].astype(str)
    deployments["deploymentStart"] = pd.to_datetime(deployments["start"]).dt.tz_localize("UTC")
    deployments["deploymentEnd"] = pd.to_datetime(deployments["end"]).dt.tz_localize("UTC")
    outages = pd.DataFrame(conn.execute(select(DeploymentOutage.deployment_id, DeploymentOutage.start_utc,
                                               DeploymentOutage.end_utc)).all(),
                           columns=["deploymentID", "start", "end"])
    outages["deploymentID"] = outages["deploymentID"].astype(str)
    outages["start"] = pd.to_datetime(outages["start"]).dt.tz_localize("UTC")
    outages["end"] = pd.to_datetime(outages["end"]).dt.tz_localize("UTC")
    return deployments, outages


def build(conn: Connection) -> Counts:
    """Read the aggregates from the store (one GROUP BY over the animal observations)."""
    year = func.extract("year", Observation.event_start_utc)
    individual = func.coalesce(Observation.individual_id, NO_INDIVIDUAL)
    q = (select(Deployment.station_id.label("station"), Observation.species_id.label("species"),
                year.label("year"), individual.label("individual"), func.count(Observation.id).label("detections"),
                func.min(Observation.event_start_utc).label("first"),
                func.max(Observation.event_start_utc).label("last"))
         .join(Deployment, Observation.deployment_id == Deployment.id)
         .where(Observation.type == "animal", Observation.species_id.is_not(None))
         .group_by(Deployment.station_id, Observation.species_id, year, individual))
    counts = pd.DataFrame(conn.execute(q).all(),
                          columns=["station", "species", "year", "individual", "detections", "first", "last"])
    stations = pd.DataFrame(conn.execute(
        select(Station.id.label("station"), Station.partner_id.label("partner"), Partner.code.label("partner_code"),
               Station.latitude, Station.longitude, Station.country)
        .join(Partner, Station.partner_id == Partner.id)).all(),
        columns=["station", "partner", "partner_code", "latitude", "longitude", "country"])
    counts = counts.astype({"station": "int64", "species": "int64", "year": "int64", "individual": "int64",
                            "detections": "int64"})
    counts["first"] = pd.to_datetime(counts["first"])
    counts["last"] = pd.to_datetime(counts["last"])
    counts["partner"] = counts["station"].map(stations.set_index("station")["partner"])
    deployments, outages = effort_frames(conn)
    species = pd.DataFrame(conn.execute(select(Species.id, Species.scientific_name, Species.name_en, Species.name_ru,
                                               Species.name_zh, Species.name_mn)).all(),
                           columns=["id", "scientificName", "en", "ru", "zh", "mn"]).set_index("id")
    individuals = pd.DataFrame(conn.execute(select(Individual.id, Individual.code, Individual.name, Individual.sex,
                                                   Individual.species_id)).all(),
                               columns=["id", "individualID", "name", "sex", "species"]).set_index("id")
    month = func.extract("month", Observation.event_start_utc)
    monthly = pd.DataFrame(conn.execute(
        select(Deployment.station_id, Observation.species_id, year, month, func.count(Observation.id))
        .join(Deployment, Observation.deployment_id == Deployment.id)
        .where(Observation.type == "animal", Observation.species_id.is_not(None))
        .group_by(Deployment.station_id, Observation.species_id, year, month)).all(),
        columns=["station", "species", "year", "month", "detections"]).astype("int64")
    monthly["partner"] = monthly["station"].map(stations.set_index("station")["partner"])
    return Counts(counts, stations, deployments, species, individuals, outages, monthly)
