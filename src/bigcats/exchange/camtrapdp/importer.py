"""Import a Camtrap DP package into the store: validate everything first, then write it all in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bigcats.exchange.camtrapdp.package import (
    INDIVIDUALS_RESOURCE,
    OUTAGES_RESOURCE,
    Package,
    open_package,
    table_schema,
)
from bigcats.exchange.camtrapdp.validate import (
    TableState,
    check_chunk,
    check_foreign_key,
    check_profile,
    check_unique,
)
from bigcats.problems import DataError, Problem, ProblemList
from bigcats.store import load
from bigcats.store.db import table_counts
from bigcats.store.models import IntakeBatch

Progress = Callable[[str, int], None]  # (stage, rows done in this step)

OUTAGE_SCHEMA = {
    "fields": [
        {"name": "deploymentID", "type": "string", "constraints": {"required": True}},
        {"name": "start", "type": "datetime", "constraints": {"required": True}},
        {"name": "end", "type": "datetime", "constraints": {"required": True}},
        {"name": "reason", "type": "string"},
    ],
    "missingValues": [""],
}


@dataclass
class ImportResult:
    """What an import added, table by table (zero everywhere when the same package comes twice)."""

    source: str
    partner: str
    project: str
    rows_read: dict[str, int] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """The result as a plain dictionary for JSON output."""
        return {"source": self.source, "partner": self.partner, "project": self.project,
                "rows_read": self.rows_read, "added": self.added, "seconds": round(self.seconds, 3)}


def _noop(stage: str, n: int) -> None:
    return None


def validate_package(package: Package, chunksize: int = 100_000, progress: Progress = _noop,
                     profile: bool = True) -> tuple[ProblemList, pd.DataFrame]:
    """Check a whole package (profile, table schemas, keys) streaming; return the problems and the deployments."""
    problems = ProblemList()
    if profile:
        check_profile(package, problems)
    for name in ("deployments", "media", "observations"):
        if package.resource(name) is None:
            problems.add(Problem("missing-resource", f"the package has no '{name}' resource", file="datapackage.json"))
    if problems.total and any(p.code == "missing-resource" for p in problems.problems):
        return problems, pd.DataFrame()

    dep_label = package.resource_label("deployments")
    dep_state = TableState()
    deployments = pd.concat(
        [check_chunk(c, table_schema("deployments"), f, line, problems, dep_state)
         for f, line, c in package.iter_chunks("deployments", chunksize)] or [pd.DataFrame()],
        ignore_index=True,
    )
    dep_keys = check_unique(dep_state, dep_label, problems)["deploymentID"]
    if not deployments.empty:
        bad = (deployments["deploymentEnd"] < deployments["deploymentStart"]).fillna(False)
        for _, row in deployments[bad].iterrows():
            problems.add(Problem("deployment-dates", "the deployment ends before it starts", file=dep_label,
                                 row=int(row["_line"]), field="deploymentEnd"))

    media_state = TableState()
    media_label = package.resource_label("media")
    for f, line, chunk in package.iter_chunks("media", chunksize):
        typed = check_chunk(chunk, table_schema("media"), f, line, problems, media_state)
        if "deploymentID" in typed:
            check_foreign_key(typed["deploymentID"], dep_keys, typed["_line"].to_numpy(), f, "deploymentID",
                              "deployments", problems)
        progress("validate media", len(chunk))
    media_keys = check_unique(media_state, media_label, problems).get("mediaID", np.empty(0, dtype=np.uint64))

    obs_state = TableState()
    obs_label = package.resource_label("observations")
    for f, line, chunk in package.iter_chunks("observations", chunksize):
        typed = check_chunk(chunk, table_schema("observations"), f, line, problems, obs_state)
        lines = typed["_line"].to_numpy()
        if "deploymentID" in typed:
            check_foreign_key(typed["deploymentID"], dep_keys, lines, f, "deploymentID", "deployments", problems)
        if "mediaID" in typed:
            check_foreign_key(typed["mediaID"], media_keys, lines, f, "mediaID", "media", problems)
        progress("validate observations", len(chunk))
    check_unique(obs_state, obs_label, problems)

    if package.resource(OUTAGES_RESOURCE) is not None:
        for f, line, chunk in package.iter_chunks(OUTAGES_RESOURCE, chunksize):
            typed = check_chunk(chunk, OUTAGE_SCHEMA, f, line, problems)
            if "deploymentID" in typed:
                check_foreign_key(typed["deploymentID"], dep_keys, typed["_line"].to_numpy(), f, "deploymentID",
                                  "deployments", problems)
    return problems, deployments


def _project_code(descriptor: dict, source: Path) -> str:
    return str(descriptor.get("id") or descriptor.get("name") or source.stem)


def _descriptor_without_rows(descriptor: dict) -> dict:
    # Row data lives in the tables; the rest of the descriptor (contributors, licences, inline extras) is kept.
    return {k: v for k, v in descriptor.items()}


def import_package(engine: Engine, path: str | Path, partner: str, partner_name: str | None = None,
                   country: str | None = None, chunksize: int = 100_000, progress: Progress = _noop
                   ) -> ImportResult:
    """Import a Camtrap DP package for a partner; all-or-nothing, and a second import of it adds nothing."""
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    package = open_package(path)
    try:
        problems, deployments = validate_package(package, chunksize, progress)
        if problems:
            raise DataError(problems, f"package {path}")
        descriptor = package.descriptor
        result = ImportResult(str(path), partner, _project_code(descriptor, Path(path)))
        before = table_counts(engine)
        with engine.begin() as conn:
            partner_id = load.ensure_partner(conn, partner, partner_name, country)
            project_id = load.ensure_project(conn, partner_id, result.project, descriptor.get("title"),
                                             _descriptor_without_rows(descriptor))
            dep_ids = load.write_deployments(conn, partner_id, project_id, deployments, country=country)
            result.rows_read["deployment"] = len(deployments)
            if package.resource(OUTAGES_RESOURCE) is not None:
                outages = pd.concat([check_chunk(c, OUTAGE_SCHEMA, f, line, ProblemList())
                                     for f, line, c in package.iter_chunks(OUTAGES_RESOURCE, chunksize)],
                                    ignore_index=True)
                load.write_outages(conn, dep_ids, outages)
            n = 0
            for f, line, chunk in package.iter_chunks("media", chunksize):
                typed = check_chunk(chunk, table_schema("media"), f, line, ProblemList())
                load.write_media(conn, dep_ids, typed)
                n += len(chunk)
                progress("import media", len(chunk))
            result.rows_read["media"] = n
            media_keys = load.MediaKeys(conn, project_id)
            species_ids: dict[str, int] = {}
            individual_ids: dict[tuple[int, str], int] = {}
            catalogue = _individuals_resource(package)
            n = 0
            for f, line, chunk in package.iter_chunks("observations", chunksize):
                raw_cls = chunk["classificationTimestamp"] if "classificationTimestamp" in chunk else None
                typed = check_chunk(chunk, table_schema("observations"), f, line, ProblemList())
                if raw_cls is not None:
                    typed["classificationTimestamp_raw"] = raw_cls.replace("", None)
                names = set(typed["scientificName"].dropna().unique()) if "scientificName" in typed else set()
                if names - species_ids.keys():
                    species_ids.update(load.ensure_species(conn, names - species_ids.keys()))
                _resolve_individuals(conn, partner_id, typed, species_ids, individual_ids, catalogue)
                load.write_observations(conn, dep_ids, media_keys, species_ids, individual_ids, typed)
                n += len(chunk)
                progress("import observations", len(chunk))
            result.rows_read["observation"] = n
            if not catalogue.empty:
                species_ids.update(load.ensure_species(conn, catalogue["scientificName"].dropna()))
                catalogue["species_id"] = catalogue["scientificName"].map(species_ids)
                load.ensure_individuals(conn, partner_id, catalogue.dropna(subset=["species_id"]))
            after_counts = table_counts(conn)
            result.added = {k: after_counts[k] - before.get(k, 0) for k in after_counts
                            if k != "intake_batch" and after_counts[k] != before.get(k, 0)}
            result.seconds = (datetime.now(timezone.utc).replace(tzinfo=None) - started).total_seconds()
            conn.execute(IntakeBatch.__table__.insert().values(
                partner_id=partner_id, source=str(Path(path).resolve()), format="camtrap-dp", started_at=started,
                finished_at=datetime.now(timezone.utc).replace(tzinfo=None), status="imported",
                counts={"rows_read": result.rows_read, "added": result.added}, report={"problems": []}))
        return result
    finally:
        package.close()


def _individuals_resource(package: Package) -> pd.DataFrame:
    """The optional `individuals` resource as (code, scientificName, name, sex, catalogue) rows."""
    if package.resource(INDIVIDUALS_RESOURCE) is None:
        return pd.DataFrame()
    frames = [c for _, _, c in package.iter_chunks(INDIVIDUALS_RESOURCE)]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True).replace("", None)
    code = df["individualID"] if "individualID" in df else df.get("id")
    if code is None or "scientificName" not in df:
        return pd.DataFrame()
    return pd.DataFrame({
        "code": code.astype(str),
        "scientificName": df["scientificName"],
        "name": df.get("individualName", df.get("name")),
        "sex": df.get("sex"),
        "catalogue": df.get("catalogueID"),
    })


def _resolve_individuals(conn, partner_id: int, typed: pd.DataFrame, species_ids: dict[str, int],
                         individual_ids: dict[tuple[int, str], int], catalogue: pd.DataFrame) -> None:
    if "individualID" not in typed:
        return
    has = typed["individualID"].notna() & typed["scientificName"].notna()
    if not has.any():
        return
    pairs = pd.DataFrame({
        "species_id": typed.loc[has, "scientificName"].map(species_ids).astype(int),
        "code": typed.loc[has, "individualID"].astype(str),
    }).drop_duplicates()
    pairs = pairs[[(s, c) not in individual_ids for s, c in zip(pairs["species_id"], pairs["code"], strict=True)]]
    if pairs.empty:
        return
    if not catalogue.empty:
        extra = catalogue[["code", "name", "sex", "catalogue"]].drop_duplicates("code")
        pairs = pairs.merge(extra, on="code", how="left")
    individual_ids.update(load.ensure_individuals(conn, partner_id, pairs))
