"""Import a Camtrap DP package into the store: validate everything first, then write it all in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from bigcats.core.clock import utcnow
from bigcats.exchange.camtrapdp.legacy import CURRENT_VERSIONS, field_names
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
from bigcats.store.tx import one_transaction

Progress = Callable[[str, int], None]  # (stage, rows done in this step)
# Every problem is listed (in --json, and in the web's answer) up to this many; past it they are counted and the
# message says how many more there are. A broken table of millions of rows must not exhaust memory.
PROBLEM_LIMIT = 100_000

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
    warnings: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The result as a plain dictionary for JSON output."""
        return {"source": self.source, "partner": self.partner, "project": self.project,
                "rows_read": self.rows_read, "added": self.added, "warnings": self.warnings,
                "notes": self.notes, "seconds": round(self.seconds, 3)}


def _noop(stage: str, n: int) -> None:
    return None


class _Checker:
    """The checks of one package, streamed table by table; used alike by validation and by import."""

    def __init__(self, package: Package, chunksize: int, progress: Progress, profile: bool = True) -> None:
        self.package = package
        self.chunksize = chunksize
        self.progress = progress
        self.problems = ProblemList(limit=PROBLEM_LIMIT)
        package.problems = self.problems  # rows the CSV parser cannot read are reported here, with their numbers
        if profile:
            check_profile(package, self.problems)
        for name in ("deployments", "media", "observations"):
            if package.resource(name) is None:
                self.problems.add(Problem("missing-resource", f"the package has no '{name}' resource",
                                          file="datapackage.json"))
        self.dep_keys = np.empty(0, dtype=np.uint64)
        self.media_keys = np.empty(0, dtype=np.uint64)

    def _aliases(self, table: str) -> dict[str, str] | None:
        return field_names(self.package.version, table) if self.package.legacy else None

    def deployments(self) -> pd.DataFrame:
        """All deployments, checked (the table is small)."""
        label = self.package.resource_label("deployments")
        state = TableState()
        frames = [check_chunk(c, table_schema("deployments"), f, line, self.problems, state,
                              self._aliases("deployments"))
                  for f, line, c in self.package.iter_chunks("deployments", self.chunksize)]
        deployments = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        self.dep_keys = check_unique(state, label, self.problems).get("deploymentID", self.dep_keys)
        if {"deploymentStart", "deploymentEnd"} <= set(deployments.columns):
            bad = (deployments["deploymentEnd"] < deployments["deploymentStart"]).fillna(False)
            for line in deployments.loc[bad, "_line"]:
                self.problems.add(Problem("deployment-dates", "the deployment ends before it starts", file=label,
                                          row=int(line), field="deploymentEnd"))
        return deployments

    def outages(self) -> pd.DataFrame:
        """The bigcats outage resource, checked, if the package has one."""
        frames = []
        for f, line, chunk in self.package.iter_chunks(OUTAGES_RESOURCE, self.chunksize):
            typed = check_chunk(chunk, OUTAGE_SCHEMA, f, line, self.problems)
            if "deploymentID" in typed:
                check_foreign_key(typed["deploymentID"], self.dep_keys, typed["_line"].to_numpy(), f,
                                  "deploymentID", "deployments", self.problems)
            frames.append(typed)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def media(self) -> Iterator[pd.DataFrame]:
        """Checked chunks of media; unique media IDs are checked when the table ends."""
        state = TableState()
        for f, line, chunk in self.package.iter_chunks("media", self.chunksize):
            typed = check_chunk(chunk, table_schema("media"), f, line, self.problems, state, self._aliases("media"))
            if "deploymentID" in typed:
                check_foreign_key(typed["deploymentID"], self.dep_keys, typed["_line"].to_numpy(), f,
                                  "deploymentID", "deployments", self.problems)
            yield typed
            self.progress("media", len(chunk))
        keys = check_unique(state, self.package.resource_label("media"), self.problems)
        self.media_keys = keys.get("mediaID", self.media_keys)

    def observations(self) -> Iterator[pd.DataFrame]:
        """Checked chunks of observations, with their references to deployments and media."""
        state = TableState()
        for f, line, chunk in self.package.iter_chunks("observations", self.chunksize):
            raw_cls = chunk["classificationTimestamp"] if "classificationTimestamp" in chunk else None
            typed = check_chunk(chunk, table_schema("observations"), f, line, self.problems, state,
                                self._aliases("observations"))
            lines = typed["_line"].to_numpy()
            if "deploymentID" in typed:
                check_foreign_key(typed["deploymentID"], self.dep_keys, lines, f, "deploymentID", "deployments",
                                  self.problems)
            if "mediaID" in typed:
                check_foreign_key(typed["mediaID"], self.media_keys, lines, f, "mediaID", "media", self.problems)
            if raw_cls is not None:
                # Kept as written: the classification time is provenance, not something we compute with.
                typed["classificationTimestamp_raw"] = raw_cls.where(raw_cls != "", None)
            yield typed
            self.progress("observations", len(chunk))
        check_unique(state, self.package.resource_label("observations"), self.problems)

    def fatal(self) -> bool:
        """True when the package cannot even be read table by table."""
        return any(p.code == "missing-resource" for p in self.problems.problems)


def version_note(package: Package) -> str | None:
    """What the user should know about the Camtrap DP version a package declares (None for 1.0.x)."""
    if package.legacy:
        return (f"this package declares Camtrap DP {package.version}; checked after upgrading to 1.0 "
                "(problems name your own columns)")
    if package.version is None:
        return "this package declares no Camtrap DP version; checked as Camtrap DP 1.0"
    if package.version not in CURRENT_VERSIONS:
        return f"this package declares Camtrap DP {package.version}, which bigcats does not know; checked as 1.0"
    return None


def _what(package: Package, path: str | Path) -> str:
    note = version_note(package)
    return f"package {path}" + (f" ({note})" if note and package.legacy else "")


def validate_package(package: Package, chunksize: int = 100_000, progress: Progress = _noop,
                     profile: bool = True) -> tuple[ProblemList, pd.DataFrame]:
    """Check a whole package (profile, table schemas, keys) streaming; return the problems and the deployments."""
    checker = _Checker(package, chunksize, progress, profile)
    if checker.fatal():
        return checker.problems, pd.DataFrame()
    deployments = checker.deployments()
    checker.outages()
    for _ in checker.media():
        pass
    for _ in checker.observations():
        pass
    return checker.problems, deployments


def check_package(path: str | Path, frictionless: bool = False, chunksize: int = 100_000) -> dict:
    """Validate a package (folder, datapackage.json or zip) changing nothing; every problem found, as a document.

    The result has `valid`, `version` (as declared), `notes` (e.g. that a legacy package was upgraded before the
    checks), `problems` (all, up to PROBLEM_LIMIT; `total` counts them all), `warnings`, and text lines of both
    for people. With `frictionless=True` frictionless' own report is added (unpacked folders only).
    """
    notes: list[str] = []
    version = None
    fl = None
    try:
        package = open_package(path)
    except DataError as exc:
        problems = exc.problems
    else:
        try:
            version = package.version
            if (note := version_note(package)) is not None:
                notes.append(note)
            try:
                problems, _ = validate_package(package, chunksize=chunksize)
            except DataError as exc:
                problems = exc.problems
            if frictionless:
                if package.legacy:
                    notes.append("frictionless checks packages against their own declared schemas; skipped for a "
                                 "legacy package (bigcats checked the upgraded tables)")
                elif package.base is None:
                    notes.append("frictionless validation needs an unpacked folder; skipped for a zip")
                else:
                    from bigcats.exchange.camtrapdp.validate import validate_with_frictionless

                    fl = [p.to_dict() for p in validate_with_frictionless(package)]
        finally:
            package.close()
    listed = len(problems.problems)
    result = {
        "path": str(path), "valid": not problems and not fl, "version": version, "notes": notes,
        "problems": [p.to_dict() for p in problems.problems], "total": problems.total,
        "rest": "--json lists them all" if listed >= problems.total
        else f"--json lists the first {listed:,}; the others are only counted",
        "warnings": [w.to_dict() for w in problems.warnings],
        "problem_lines": [str(p) for p in problems.problems],
        "warning_lines": [str(w) for w in problems.warnings],
    }
    if fl is not None:
        result["frictionless"] = fl
    return result


def _project_code(descriptor: dict, source: Path) -> str:
    return str(descriptor.get("id") or descriptor.get("name") or source.stem)


def import_package(engine: Engine, path: str | Path, partner: str, partner_name: str | None = None,
                   country: str | None = None, chunksize: int = 100_000, progress: Progress = _noop,
                   source: str | None = None, fmt: str = "camtrap-dp", report: dict | None = None,
                   profile: bool = True) -> ImportResult:
    """Import a Camtrap DP package for a partner; all-or-nothing, and a second import of it adds nothing.

    One streaming pass: each chunk is checked and written inside one transaction, which is rolled back if any
    problem turns up anywhere in the package, so the database is exactly as before. `source`, `fmt` and `report`
    describe where the data really came from when a reader wrote the package (kept in the intake record);
    `profile=False` skips the package-metadata profile for packages bigcats wrote itself from a partner's files
    (whose tables are still checked in full).
    """
    started = utcnow()
    package = open_package(path)
    try:
        checker = _Checker(package, chunksize, progress, profile)
        if checker.fatal():
            raise DataError(checker.problems, _what(package, path))
        deployments = checker.deployments()
        outages = checker.outages() if package.resource(OUTAGES_RESOURCE) is not None else pd.DataFrame()
        if checker.problems:
            raise DataError(checker.problems, _what(package, path))
        descriptor = package.descriptor
        result = ImportResult(source or str(path), partner, _project_code(descriptor, Path(path)))
        # Counted inside the transaction, under the writers' lock: concurrent imports each count their own rows.
        with one_transaction(engine) as tx, tx.connect() as conn:
            before = table_counts(conn)
            _write_all(conn, checker, package, descriptor, deployments, outages, partner, partner_name,
                       country, result)
            if checker.problems:
                raise DataError(checker.problems, _what(package, path))
            after = table_counts(conn)
            result.added = {k: after[k] - before.get(k, 0) for k in after
                            if k != "intake_batch" and after[k] != before.get(k, 0)}
            result.warnings = [w.to_dict() for w in checker.problems.warnings]
            if (note := version_note(package)) is not None:
                result.notes.append(note)
            result.seconds = (utcnow() - started).total_seconds()
            conn.execute(IntakeBatch.__table__.insert().values(
                partner_id=load.ensure_partner(conn, partner), source=source or str(Path(path).resolve()),
                format=fmt, started_at=started,
                finished_at=utcnow(), status="imported",
                counts={"rows_read": result.rows_read, "added": result.added},
                report={**(report or {}), "import_warnings": result.warnings}))
        return result
    finally:
        package.close()


def _write_all(conn: Connection, checker: _Checker, package: Package, descriptor: dict, deployments: pd.DataFrame,
               outages: pd.DataFrame, partner: str, partner_name: str | None, country: str | None,
               result: ImportResult) -> None:
    partner_id = load.ensure_partner(conn, partner, partner_name, country)
    project_id = load.ensure_project(conn, partner_id, result.project, descriptor.get("title"), descriptor)
    dep_ids = load.write_deployments(conn, partner_id, project_id, deployments, country=country)
    result.rows_read["deployment"] = len(deployments)
    load.write_outages(conn, dep_ids, outages)
    n = 0
    for typed in checker.media():
        if not checker.problems:  # once anything is wrong, keep checking but stop writing
            load.write_media(conn, dep_ids, typed)
        n += len(typed)
    result.rows_read["media"] = n
    if checker.problems:
        return
    media_keys = load.MediaKeys(conn, project_id)
    species_ids: dict[str, int] = {}
    individual_ids: dict[tuple[int, str], int] = {}
    catalogue = _individuals_resource(package)
    n = 0
    for typed in checker.observations():
        n += len(typed)
        if checker.problems:
            continue
        names = set(typed["scientificName"].dropna().unique()) if "scientificName" in typed else set()
        if names - species_ids.keys():
            species_ids.update(load.ensure_species(conn, names - species_ids.keys()))
        _resolve_individuals(conn, partner_id, typed, species_ids, individual_ids, catalogue)
        load.write_observations(conn, dep_ids, media_keys, species_ids, individual_ids, typed)
    result.rows_read["observation"] = n
    if not catalogue.empty and not checker.problems:
        species_ids.update(load.ensure_species(conn, catalogue["scientificName"].dropna()))
        catalogue["species_id"] = catalogue["scientificName"].map(species_ids)
        load.ensure_individuals(conn, partner_id, catalogue.dropna(subset=["species_id"]))


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
