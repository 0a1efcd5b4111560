"""Status reports and brochures (HTML, PDF) to download, under the pages' rule: only what the caller may see.

The report is `bigcats report`'s (bigcats.report: the same numbers, words and figures), built from the survey
frames cut to the caller's scope: the partners visible, the species each agreement grants, and under an embargo
only what was recorded before it. The full status report (with its station map) goes only to a signed-in caller
entitled to the exact locations of every partner in the selection; anyone else gets the public brochure, whose
map shows grid cells, never a station.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, select

from bigcats.store.models import Partner, Species
from bigcats.web.errors import WebError
from bigcats.web.queries import Filters
from bigcats.web.visibility import Scope

FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
LANGUAGES = ("en", "ru", "zh", "mn")


def scoped_inputs(engine: Engine, conn: Connection, scope: Scope, partner: str | None = None):
    """The report inputs (bigcats.report.ReportInputs) cut to what the scope may see."""
    from bigcats.report.inputs import load_inputs

    codes = dict(conn.execute(select(Partner.id, Partner.code)).all())
    names = dict(conn.execute(select(Species.id, Species.scientific_name)).all())
    visible = {codes[p] for p in scope.partners if p in codes}
    if partner is not None and partner not in visible:
        raise WebError(f"partner {partner!r}: no data of it that you may see", status=404)
    inputs = load_inputs(engine)
    frames = inputs.frames
    deps = frames.deployments
    if deps is None or deps.empty:
        raise WebError("no deployments to report on", status=404)
    deps = deps[deps["partner"].isin(visible)]
    obs = frames.observations
    keep = pd.Series(False, index=obs.index)
    if not obs.empty:
        when = pd.to_datetime(obs["timestamp"], utc=True)
        for pid, access in scope.partners.items():
            rows = obs["partner"] == codes.get(pid)
            either = pd.Series(False, index=obs.index)
            for species, cutoff in access.parts or ((access.species, access.embargo_from),):
                ok = rows.copy()
                if species is not None:
                    ok &= obs["scientificName"].isin({names[i] for i in species if i in names})
                if cutoff is not None:  # under embargo: only what was recorded before the agreement began
                    ok &= (when < pd.Timestamp(cutoff, tz="UTC")).fillna(False).astype(bool)
                either |= ok
            keep |= either
    outages = frames.outages
    if outages is not None and not outages.empty:
        outages = outages[outages["deploymentID"].isin(set(deps["deploymentID"]))]
    everything = len(visible) == len(codes) and all(a.species is None and a.embargo_from is None
                                                    for a in scope.partners.values())
    catalogue = inputs.catalogue[inputs.catalogue["partner"].isin(visible)] if inputs.catalogue is not None else None
    patrols = inputs.patrols
    if patrols is not None and not patrols.empty and "partner" in patrols:
        patrols = patrols[patrols["partner"].isin(visible)]
    return replace(inputs, frames=replace(frames, deployments=deps, observations=obs[keep], outages=outages),
                   catalogue=catalogue, patrols=patrols,
                   # Field records and census tables are not cut by partner: only for those who see everything.
                   incidental=inputs.incidental if everything else None,
                   census=inputs.census if everything else None,
                   # A reference photo may be another partner's: the catalogue's crops only for those who see all.
                   photos=inputs.photos if everything else None)


def report_file(engine: Engine, conn: Connection, scope: Scope, species: str, f: Filters, project: str | None,
                lang: str, fmt: str) -> tuple[bytes, str, str, list[str]]:
    """One report as bytes: (content, file name, kind, partners shown exactly). Status report for callers entitled
    to every partner's exact locations in the selection, the public brochure for everyone else."""
    if fmt not in FORMATS:
        raise WebError(f"format: html or pdf, not {fmt!r}", status=404)
    if lang not in LANGUAGES:
        lang = "en"
    if not species:
        raise WebError("species: choose one species for a report")
    from bigcats.web.context import read_versions

    # A report takes seconds: kept per data version, access version (a species made sensitive, an agreement
    # changed) and visibility (what each partner's data shows), not per user, as the pages' answers are.
    _, data_version, access_version = read_versions(conn, None)
    key = (str(engine.url), data_version, access_version, tuple(sorted(scope.partners.items())),
           scope.caller.is_public, species, f, project, lang, fmt)
    if key in _MADE:
        return _MADE[key]
    made = _report_file(engine, conn, scope, species, f, project, lang, fmt)
    if len(_MADE) >= 16:
        _MADE.pop(next(iter(_MADE)))
    _MADE[key] = made
    return made


_MADE: dict[tuple, tuple[bytes, str, str, list[str]]] = {}


def _report_file(engine: Engine, conn: Connection, scope: Scope, species: str, f: Filters, project: str | None,
                 lang: str, fmt: str) -> tuple[bytes, str, str, list[str]]:
    from bigcats.report.builder import build_status
    from bigcats.report.errors import ReportError
    from bigcats.report.render import render

    inputs = scoped_inputs(engine, conn, scope, f.partner)
    deps = inputs.frames.deployments
    if project:
        deps = deps[deps["project"] == project]
        if deps.empty:
            raise WebError(f"project {project!r}: no deployments of it that you may see", status=404)
        inputs = replace(inputs, frames=replace(inputs.frames, deployments=deps, observations=inputs.frames.observations[
            inputs.frames.observations["deploymentID"].isin(set(deps["deploymentID"]))]))
    if deps.empty:
        raise WebError("no deployments that you may see in this selection", status=404)
    area = f.partner or f.side or "all"
    period = ""
    if f.start or f.end:
        first = f.start or deps["deploymentStart"].min().tz_localize(None).to_pydatetime()
        last = f.end or deps["deploymentEnd"].max().tz_localize(None).to_pydatetime()
        period = f"{first:%Y-%m-%d}/{last:%Y-%m-%d}"
    shown = sorted(set(deps.loc[deps["partner"].notna(), "partner"]) if area == "all" or f.side
                   else {f.partner})
    codes = dict(conn.execute(select(Partner.code, Partner.id)).all())
    exact = {codes[c] for c in shown if c in codes} <= set(scope.exact_partner_ids())
    kind = "status" if exact and not scope.caller.is_public and shown else "brochure"
    try:
        status = build_status(inputs, species, area, period)
        with tempfile.TemporaryDirectory(prefix="bigcats-report-") as tmp:
            out = render(status, lang, tmp, formats=(fmt,), kind=kind)
            data = Path(out.files[fmt]).read_bytes()
    except ReportError as exc:
        raise WebError(str(exc)) from None
    name = f"{kind}-{status.species.replace(' ', '_')}-{area}-{lang}.{fmt}"
    return data, name, kind, shown if kind == "status" else []
