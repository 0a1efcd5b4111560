"""Form submissions into the store: checked whole, then written; a submission already stored is skipped.

Deployments and outages go through the Camtrap DP importer (one write path, natural keys), into one project per
partner (`<partner>-field-forms`), so a retrieval that arrives in a later export closes the set-up stored earlier.
Census routes, surveys and crossings are written as the census module's input files (`bigcats census estimate
--routes DIR/routes.geojson --surveys DIR/surveys.csv --crossings DIR/crossings.csv`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Engine, select

from bigcats.core.clock import utcnow
from bigcats.census.crossings import read_crossings
from bigcats.census.errors import CensusError
from bigcats.census.routes import route_set
from bigcats.fieldforms.definitions import INCIDENTAL_SIGN, STATION_VISIT, TRACK_CENSUS
from bigcats.fieldforms.exports import Submission, read_export
from bigcats.fieldforms.submissions import census_frames, check, incidental_rows, station_frames
from bigcats.problems import DataError, Problem
from bigcats.store import load
from bigcats.store.models import Partner
from bigcats.store.models_field import FieldSubmission, IncidentalRecord

SOURCE_NAME = "field-forms"


class FormSubmissionError(DataError):
    """Submissions refused: nothing was written; each problem names the submission and the field."""


@dataclass
class FormIntake:
    """What one ingest of form submissions found and added."""

    source: str
    submissions: int = 0
    already_stored: int = 0
    new: dict[str, int] = field(default_factory=dict)  # per form
    deployments: int = 0
    outages: int = 0
    open_deployments: list[dict] = field(default_factory=list)
    census: dict = field(default_factory=dict)
    incidental: int = 0
    attachments: int = 0
    added: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready values."""
        return dict(self.__dict__)

    def summary(self) -> str:
        """A few lines for a terminal."""
        lines = [f"form submissions from {self.source}: {self.submissions} read, {self.already_stored} already "
                 f"stored, new: {self.new or 'none'}",
                 f"  deployments {self.deployments} (open, awaiting retrieval: {len(self.open_deployments)}), "
                 f"outages {self.outages}, incidental records {self.incidental}, attachments {self.attachments}"]
        if self.census:
            lines.append(f"  census: {self.census}")
        if self.added:
            lines.append(f"  added: {self.added}")
        return "\n".join(lines)


def _stored(engine: Engine, partner: str) -> list[Submission]:
    with engine.connect() as conn:
        rows = conn.execute(select(FieldSubmission.instance_id, FieldSubmission.submitted_at, FieldSubmission.payload)
                            .join(Partner, Partner.id == FieldSubmission.partner_id)
                            .where(Partner.code == partner)).all()
    return [Submission.from_payload(i, s, p) for i, s, p in rows]


def _census(routes, census_dir: Path | None) -> dict:
    lines, surveys, crossings = census_frames(routes)
    gdf = gpd.GeoDataFrame(lines.drop(columns="coords"), geometry=[shapely.LineString(c) for c in lines["coords"]],
                           crs="EPSG:4326")
    try:
        rs = route_set(gdf, surveys.drop(columns="instance_id"), source="track-census submissions")
        cr = read_crossings(crossings, rs)
    except CensusError as exc:
        raise FormSubmissionError([Problem("census", str(exc), field="crossing")], "track-census submissions") \
            from None
    if census_dir is not None:
        census_dir.mkdir(parents=True, exist_ok=True)
        rs.routes.to_file(census_dir / "routes.geojson", driver="GeoJSON", engine="pyogrio")
        rs.surveys.assign(date=rs.surveys["date"].dt.strftime("%Y-%m-%d")).to_csv(census_dir / "surveys.csv",
                                                                                   index=False)
        cr.drop(columns="row").assign(date=pd.to_datetime(cr["date"]).dt.strftime("%Y-%m-%d")).to_csv(
            census_dir / "crossings.csv", index=False)
    return {"routes": len(rs.routes), "surveys": len(rs.surveys), "crossings": len(cr),
            "km": round(float(rs.routes["length_km"].sum()), 3), "dir": str(census_dir) if census_dir else None}


def ingest_forms(engine: Engine, source: str | Path, partner: str, census_dir: str | Path | None = None,
                 country: str | None = None) -> FormIntake:
    """Read an ODK Central / KoboToolbox export and store its new submissions; all-or-nothing, idempotent."""
    from bigcats.intake.frames import SurveyFrames
    from bigcats.intake.report import IntakeReport
    from bigcats.intake.store import store_intake

    subs = read_export(source)
    result = FormIntake(str(source), submissions=len(subs))
    stored = _stored(engine, partner)
    known = {s.instance_id for s in stored}
    new = [s for s in subs if s.instance_id not in known]
    result.already_stored = len(subs) - len(new)
    checked, problems = check(new)
    if problems:
        raise FormSubmissionError(problems, f"form submissions in {source}")
    old, _ = check(stored)  # stored submissions were checked when they came in
    everything = old + checked
    for c in checked:
        result.new[c.sub.form_id] = result.new.get(c.sub.form_id, 0) + 1
        result.attachments += len(c.sub.attachments)
    deps, outages, result.open_deployments = station_frames(
        [c for c in everything if c.sub.form_id == STATION_VISIT], partner, country)
    result.deployments, result.outages = len(deps), len(outages)
    routes = [c for c in everything if c.sub.form_id == TRACK_CENSUS]
    if routes and (census_dir is not None or any(c.sub.form_id == TRACK_CENSUS for c in checked)):
        result.census = _census(routes, Path(census_dir) if census_dir else None)
    signs = incidental_rows([c for c in checked if c.sub.form_id == INCIDENTAL_SIGN])
    result.incidental = len(signs)
    if not checked:
        return result
    if len(deps):
        frames = SurveyFrames.build(deployments=deps, outages=outages if len(outages) else None)
        report = IntakeReport(source=str(source), format="odk-forms", partner=partner).finish(**frames.counts())
        imported = store_intake(engine, frames, report, partner, SOURCE_NAME, fmt="odk-forms", country=country)
        result.added.update(imported.added)
    now = utcnow()
    with engine.begin() as conn:
        pid = load.ensure_partner(conn, partner, country=country)
        conn.execute(FieldSubmission.__table__.insert(), [
            {"partner_id": pid, "form_id": c.sub.form_id, "instance_id": c.sub.instance_id,
             "submitted_at": _utc(c.sub.submitted_at), "payload": c.sub.to_payload(), "source": str(source),
             "ingested_at": now} for c in checked])
        if signs:
            species = load.ensure_species(conn, [s["scientific_name"] for s in signs if s["scientific_name"]])
            conn.execute(IncidentalRecord.__table__.insert(), [
                {**{k: v for k, v in s.items() if k != "scientific_name"}, "partner_id": pid,
                 "species_id": species.get(s["scientific_name"]), "source": str(source)} for s in signs])
    result.added["field_submission"] = len(checked)
    if signs:
        result.added["incidental_record"] = len(signs)
    return result


def _utc(text) -> datetime | None:
    if text is None or text == "":
        return None
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        return None
    return (ts.tz_convert("UTC") if ts.tzinfo else ts).tz_localize(None).to_pydatetime()


def census_inputs(engine: Engine, census_dir: str | Path, partners: list[str] | None = None) -> dict:
    """Write the census files (routes.geojson, surveys.csv, crossings.csv) from every stored track-census
    submission (of the given partners, or all): one census over both sides of the border."""
    with engine.connect() as conn:
        q = (select(FieldSubmission.instance_id, FieldSubmission.submitted_at, FieldSubmission.payload)
             .join(Partner, Partner.id == FieldSubmission.partner_id)
             .where(FieldSubmission.form_id == TRACK_CENSUS))
        if partners:
            q = q.where(Partner.code.in_(partners))
        rows = conn.execute(q).all()
    checked, problems = check([Submission.from_payload(i, s, p) for i, s, p in rows])
    if problems:
        raise FormSubmissionError(problems, "stored track-census submissions")
    if not checked:
        raise FormSubmissionError([Problem("no-census", "no track-census submissions in the store")], "census")
    return _census(checked, Path(census_dir))
