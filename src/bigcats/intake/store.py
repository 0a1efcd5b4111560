"""Put what a reader found into the database, through the same checked, all-or-nothing Camtrap DP import."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bigcats.exchange.camtrapdp.importer import ImportResult, import_package
from bigcats.exchange.camtrapdp.writer import write_package
from bigcats.intake.frames import SurveyFrames
from bigcats.intake.report import IntakeReport


def project_code(partner: str, source: str | Path) -> str:
    """A stable project code for an intake source, so that ingesting it again adds nothing."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(str(source)).resolve().name).strip("-") or "intake"
    return f"{partner}-{name}"


def store_intake(engine: Engine, frames: SurveyFrames, report: IntakeReport, partner: str,
                 source: str | Path, fmt: str, country: str | None = None,
                 partner_name: str | None = None) -> ImportResult:
    """Write intake frames to the store; refused whole (with file, row and field) if anything does not fit."""
    obs = frames.observations.copy()
    obs["eventStart"] = obs["timestamp"]
    obs["eventEnd"] = obs["timestamp"]
    obs["observationLevel"] = np.where(obs["mediaID"].notna(), "media", "event")
    individuals = frames.individuals
    if not individuals.empty:
        individuals = pd.DataFrame({"individualID": individuals["partnerCode"].fillna(individuals["individualID"]),
                                    "scientificName": individuals["scientificName"], "sex": individuals["sex"]})
    deployments = frames.deployments.copy()
    if country:
        deployments["country"] = deployments["country"].fillna(country)
    with tempfile.TemporaryDirectory(prefix="bigcats-intake-") as tmp:
        path = write_package(
            Path(tmp) / "package", deployments, frames.media, obs, frames.outages, individuals,
            metadata={"id": project_code(partner, source), "name": project_code(partner, source).lower(),
                      "title": f"{fmt} intake of {Path(str(source)).name}"})
        return import_package(engine, path, partner, partner_name=partner_name, country=country,
                              source=str(source), fmt=fmt, report=report.to_dict(), profile=False)
