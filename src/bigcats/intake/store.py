"""Put what a reader found into the database, through the same checked, all-or-nothing Camtrap DP import."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bigcats.core.clock import utcnow
from bigcats.exchange.camtrapdp.importer import ImportResult, import_package
from bigcats.exchange.camtrapdp.writer import write_package
from bigcats.intake.frames import SurveyFrames
from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.problems import DataError, Problem

DAY_END = pd.Timedelta(hours=23, minutes=59, seconds=59)


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
    if "timeUnknown" in obs:
        # A record with a date but no time is an event lasting its whole local day (see ARCHITECTURE.md).
        unknown = obs["timeUnknown"].fillna(False).astype(bool)
        obs.loc[unknown, "eventEnd"] = obs.loc[unknown, "timestamp"] + DAY_END
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
        try:
            return import_package(engine, path, partner, partner_name=partner_name, country=country,
                                  source=str(source), fmt=fmt, report=report.to_dict(), profile=False)
        except DataError as exc:
            raise IntakeError(user_problems(exc.problems.problems, frames, source),
                              f"{fmt} intake of {source}") from None


_PACKAGE_FILES = {"deployments.csv": "deployments", "media.csv": "media", "observations.csv": "observations",
                  "deployment-outages.csv": "outages", "individuals.csv": "individuals"}


def user_problems(problems: list[Problem], frames: SurveyFrames, source: str | Path) -> list[Problem]:
    """The store's problems with the user's own file and row in place of the temporary package bigcats wrote.

    Row n of a package table is row n - 2 of the frame (header is line 1); the frame's provenance says where that
    row came from. Without provenance the problem names the user's source and the record's ID.
    """
    out = []
    for p in problems:
        name = _PACKAGE_FILES.get(Path(p.file).name) if p.file else None
        if name is None:
            out.append(replace(p, file=str(source)) if p.file == "datapackage.json" else p)
            continue
        prov = frames.provenance.get(name)
        frame = getattr(frames, name)
        i = None if p.row is None else p.row - 2
        if prov is not None and i is not None and 0 <= i < len(prov):
            out.append(replace(p, file=str(prov["file"].iloc[i]), row=int(prov["row"].iloc[i])))
            continue
        ident = None
        id_col = {"deployments": "deploymentID", "media": "mediaID", "observations": "observationID"}.get(name)
        if i is not None and id_col and 0 <= i < len(frame):
            ident = frame[id_col].iloc[i]
        where = f" ({name[:-1]} {ident})" if ident is not None and not pd.isna(ident) else ""
        if name == "deployments" and p.field in ("latitude", "longitude"):
            where += "; give the stations' coordinates (--stations: a camera table with coordinates)"
        out.append(replace(p, file=str(source), row=None, message=p.message + where))
    return out


def save_column_map(engine: Engine, partner: str, columns, fmt: str = "table") -> None:
    """Keep a partner's column map so its next import needs none (replaces the one kept before)."""
    from sqlalchemy import select

    from bigcats.store import load
    from bigcats.store.models_partner import ColumnMap as Row

    now = utcnow()
    with engine.begin() as conn:
        pid = load.ensure_partner(conn, partner)
        table = Row.__table__
        found = conn.execute(select(table.c.id).where(table.c.partner_id == pid, table.c.format == fmt)).first()
        values = {"columns": columns.to_dict(), "source": columns.source, "updated": now}
        if found:
            conn.execute(table.update().where(table.c.id == found.id).values(**values))
        else:
            conn.execute(table.insert().values(partner_id=pid, format=fmt, **values))


def saved_column_map(engine: Engine, partner: str, fmt: str = "table"):
    """The column map kept for a partner, or None."""
    from sqlalchemy import select

    from bigcats.intake.columns import ColumnMap
    from bigcats.store.models import Partner
    from bigcats.store.models_partner import ColumnMap as Row

    with engine.connect() as conn:
        row = conn.execute(select(Row.columns, Row.source).join(Partner, Partner.id == Row.partner_id)
                           .where(Partner.code == partner, Row.format == fmt)).first()
    if row is None:
        return None
    cmap = ColumnMap.from_dict(row.columns, f"column map kept for {partner}")
    cmap.source = row.source
    return cmap
