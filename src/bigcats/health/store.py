"""Camera health on the store: check every deployment's media, and apply the fixes a user confirms (outages into
`deployment_outage`, clock corrections into `clock_correction` with the photos' times shifted), each once."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, bindparam, select, update

from bigcats.core.clock import utcnow
from bigcats.errors import BigcatsError
from bigcats.health.checks import Finding, Thresholds, check_cameras
from bigcats.store.models import Deployment, DeploymentOutage, Media, Observation, Partner, Project, Station
from bigcats.store.models_field import ClockCorrection


class HealthError(BigcatsError):
    """A finding to apply does not exist (any more)."""


def _frames(engine: Engine, partner: str | list[str] | None = None, deployment: int | None = None):
    q = (select(Deployment.id, Deployment.source_id, Deployment.start_utc, Deployment.end_utc,
                Deployment.utc_offset, Station.code.label("station"), Station.latitude, Station.longitude,
                Partner.code.label("partner"))
         .join(Station, Station.id == Deployment.station_id).join(Project, Project.id == Deployment.project_id)
         .join(Partner, Partner.id == Project.partner_id))
    if isinstance(partner, str):
        q = q.where(Partner.code == partner)
    elif partner is not None:  # a list: only these partners (empty = none)
        q = q.where(Partner.code.in_(list(partner)))
    if deployment:
        q = q.where(Deployment.id == deployment)
    with engine.connect() as conn:
        deps = pd.DataFrame(conn.execute(q).mappings().all())
        if deps.empty:
            return deps, pd.DataFrame(columns=["mediaID", "deploymentID", "timestamp", "filePath", "fileName"])
        media = pd.DataFrame(conn.execute(
            select(Media.id.label("mediaID"), Media.deployment_id.label("deploymentID"),
                   Media.timestamp_utc.label("timestamp"), Media.file_path.label("filePath"),
                   Media.file_name.label("fileName"))
            .where(Media.deployment_id.in_([int(i) for i in deps["id"]]))).mappings().all())
    deps = deps.rename(columns={"id": "deploymentID", "start_utc": "deploymentStart", "end_utc": "deploymentEnd",
                                "utc_offset": "utcOffset"})
    for col in ("deploymentStart", "deploymentEnd"):
        deps[col] = pd.to_datetime(deps[col]).dt.tz_localize("UTC")
    if media.empty:
        media = pd.DataFrame(columns=["mediaID", "deploymentID", "timestamp", "filePath", "fileName"])
    else:
        media["timestamp"] = pd.to_datetime(media["timestamp"]).dt.tz_localize("UTC")
    return deps, media


def findings(engine: Engine, partner: str | list[str] | None = None, deployment: int | None = None,
             thresholds: Thresholds = Thresholds()) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """Deployments, media and the findings of the store's cameras (deployment = the deployment's integer id)."""
    deps, media = _frames(engine, partner, deployment)
    if deps.empty:
        return deps, media, []
    return deps, media, check_cameras(deps, media, thresholds)


def check_store(engine: Engine, partner: str | list[str] | None = None, deployment: int | None = None,
                thresholds: Thresholds = Thresholds()) -> dict:
    """The health report: per deployment its photos' span and findings (JSON-ready)."""
    deps, media, found = findings(engine, partner, deployment, thresholds)
    by_dep = media.groupby("deploymentID")["timestamp"].agg(["count", "min", "max"]) if len(media) else None
    rows = []
    for _, d in deps.iterrows():
        stats = by_dep.loc[d["deploymentID"]] if by_dep is not None and d["deploymentID"] in by_dep.index else None
        rows.append({"deployment": int(d["deploymentID"]), "deployment_code": d["source_id"], "station": d["station"],
                     "partner": d["partner"], "start": d["deploymentStart"].isoformat(),
                     "end": d["deploymentEnd"].isoformat(), "utc_offset": int(d["utcOffset"]),
                     "photos": int(stats["count"]) if stats is not None else 0,
                     "first_photo": stats["min"].isoformat() if stats is not None else None,
                     "last_photo": stats["max"].isoformat() if stats is not None else None,
                     "faults": [f.kind for f in found if f.deployment == str(d["deploymentID"])],
                     "checked": stats is not None})
    codes = dict(zip(deps["deploymentID"].astype(str), deps["source_id"])) if len(deps) else {}
    out = []
    for f in found:
        d = f.to_dict()
        d["deployment"] = int(f.deployment)
        d["deployment_code"] = codes.get(f.deployment)
        out.append(d)
    return _plain({"deployments": rows, "findings": out,
            "healthy": sum(1 for r in rows if r["checked"] and not r["faults"]),
            "with_faults": sum(1 for r in rows if r["faults"]),
            "not_checked": sum(1 for r in rows if not r["checked"])})


def _plain(obj):
    """JSON-ready values throughout (numpy scalars as Python numbers)."""
    import json

    return json.loads(json.dumps(obj, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def deployment_partners(engine: Engine, keys: list[str]) -> dict[int, str]:
    """The partner code of each deployment named in finding keys (for permission checks)."""
    ids = {int(k.split(":")[0]) for k in keys if k.split(":")[0].isdigit()}
    with engine.connect() as conn:
        return dict(conn.execute(select(Deployment.id, Partner.code).join(Project, Project.id == Deployment.project_id)
                                 .join(Partner, Partner.id == Project.partner_id)
                                 .where(Deployment.id.in_(ids))).all()) if ids else {}


def apply_findings(engine: Engine, keys: list[str], confirmed_by: str | None = None) -> dict:
    """Apply the confirmed findings (by key): outages written, clocks corrected; a key already applied adds nothing."""
    import re

    bad = [k for k in keys if not re.fullmatch(r"\d{1,18}:[a-z_]{1,32}:\d{8}T\d{6}", k)]
    if bad:
        raise HealthError(f"not a finding key: {bad[0]!r} (keys look like 12:silent_end:20250301T101500; "
                          "`bigcats health check` lists them)")
    deps = sorted({k.split(":")[0] for k in keys})
    current: dict[str, Finding] = {}
    for dep in deps:
        _, _, found = findings(engine, deployment=int(dep))
        current.update({f.key: f for f in found})
    now = utcnow()
    done = {"outages": 0, "clock_corrections": 0, "photos_shifted": 0, "already_applied": 0}

    def naive(ts) -> datetime:
        return pd.Timestamp(ts).tz_convert("UTC").tz_localize(None).to_pydatetime()

    with engine.begin() as conn:
        for key in keys:
            dep_id = int(key.split(":")[0])
            start = datetime.strptime(key.split(":")[-1], "%Y%m%dT%H%M%S")
            f = current.get(key)
            if f is None:
                applied = conn.execute(select(ClockCorrection.id).where(
                    ClockCorrection.deployment_id == dep_id, ClockCorrection.start_utc == start)).first() or \
                    conn.execute(select(DeploymentOutage.id).where(
                        DeploymentOutage.deployment_id == dep_id, DeploymentOutage.start_utc == start)).first()
                if applied is None:
                    raise HealthError(f"no such finding: {key!r}; run `bigcats health check` for the current ones")
                done["already_applied"] += 1
                continue
            if f.fix == "clock":
                conn.execute(ClockCorrection.__table__.insert().values(
                    deployment_id=dep_id, start_utc=naive(f.start), end_utc=naive(f.end), offset_seconds=f.offset_s,
                    reason=f"{f.kind}: {f.message}", confirmed_by=confirmed_by, applied_at=now))
                shift = pd.Timedelta(seconds=f.offset_s).to_pytimedelta()
                ids = [int(i) for i in f.media_ids]
                # shifted in Python, written by id: date arithmetic in SQL differs between SQLite and PostgreSQL
                for chunk in range(0, len(ids), 500):
                    part = ids[chunk:chunk + 500]
                    rows = conn.execute(select(Media.id, Media.timestamp_utc).where(Media.id.in_(part))).all()
                    if rows:
                        conn.execute(update(Media).where(Media.id == bindparam("mid"))
                                     .values(timestamp_utc=bindparam("ts")),
                                     [{"mid": i, "ts": t + shift} for i, t in rows])
                    obs = conn.execute(select(Observation.id, Observation.event_start_utc, Observation.event_end_utc)
                                       .where(Observation.media_id.in_(part))).all()
                    if obs:
                        conn.execute(update(Observation).where(Observation.id == bindparam("oid"))
                                     .values(event_start_utc=bindparam("s"), event_end_utc=bindparam("e")),
                                     [{"oid": i, "s": a + shift, "e": b + shift} for i, a, b in obs])
                done["clock_corrections"] += 1
                done["photos_shifted"] += len(ids)
            else:
                have = set(conn.execute(select(DeploymentOutage.start_utc)
                                        .where(DeploymentOutage.deployment_id == dep_id)).scalars())
                rows = [{"deployment_id": dep_id, "start_utc": naive(a), "end_utc": naive(b),
                         "reason": f"health:{f.kind} (confirmed{' by ' + confirmed_by if confirmed_by else ''})"}
                        for a, b in f.periods if naive(a) not in have]
                if rows:
                    conn.execute(DeploymentOutage.__table__.insert(), rows)
                done["outages"] += len(rows)
    return done
