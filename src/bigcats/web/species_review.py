"""Reviewing machine species identifications: least confident first, in bursts, several at once, with history.

A person's decision changes the observation (species, type, count; classification method 'human', by whom,
when) and writes a `species_review` row that keeps what the machine had said, so the machine's guess stays
beside the person's and every change can be traced. Only editors of the observation's partner may decide.
"""

from __future__ import annotations

from datetime import timezone

import pandas as pd
from sqlalchemy import Connection, false, or_, select, update

from bigcats.store.models import Deployment, Observation, Partner, Project, Species, Station
from bigcats.store.models_review import SpeciesReview
from bigcats.web.errors import WebError
from bigcats.web.security import now_utc
from bigcats.web.visibility import Caller

BURST_SECONDS = 60  # photos of one camera closer than this in time are one burst (one passing animal)
MAX_BULK = 500
TYPES = ("animal", "blank", "human", "vehicle", "unknown", "unclassified")


def _editable(caller: Caller) -> list[int]:
    return [p for p in caller.roles if caller.has_role(p, "editor")]


def queue(conn: Connection, caller: Caller, species: str | None = None, partner: str | None = None,
          lang: str = "en", limit: int = 200, include_reviewed: bool = False) -> pd.DataFrame:
    """Machine identifications of the caller's partners (editor role), least confident first, grouped in bursts.

    Columns: observation id, burst (number), time, station, partner, scientific name and name in `lang`,
    probability, classified_by, media id, reviewed (a person has decided). Bursts are ordered by their least
    confident photo, so one decision can cover a whole burst.
    """
    from bigcats.web.queries import _species_name

    mine = _editable(caller)
    cols = ["id", "timestamp", "deployment", "station", "country", "partner", "scientificName", "name",
            "probability", "classifiedBy", "method", "mediaID", "count", "type"]
    if not mine:
        return pd.DataFrame(columns=cols + ["burst", "reviewed"])
    q = (select(Observation.id, Observation.event_start_utc, Observation.deployment_id, Station.code, Station.country,
                Partner.code, Species.scientific_name, _species_name(lang), Observation.classification_probability,
                Observation.classified_by, Observation.classification_method, Observation.media_id,
                Observation.count, Observation.type)
         .join(Deployment, Observation.deployment_id == Deployment.id)
         .join(Station, Deployment.station_id == Station.id)
         .join(Project, Deployment.project_id == Project.id)
         .join(Partner, Project.partner_id == Partner.id)
         .outerjoin(Species, Observation.species_id == Species.id)
         .where(Project.partner_id.in_(mine)))
    reviewed = select(SpeciesReview.id).where(SpeciesReview.observation_id == Observation.id).exists()
    if include_reviewed:
        q = q.where(or_(Observation.classification_method == "machine", reviewed))
    else:
        q = q.where(Observation.classification_method == "machine", ~reviewed)
    if species:
        q = q.where(Species.scientific_name == species)
    if partner:
        q = q.where(Partner.code == partner)
    # The least confident first, then in time order so a burst's photos come together.
    q = q.order_by(Observation.classification_probability.asc().nulls_first(), Observation.id).limit(
        min(max(limit, 1), 5000) * 4)
    frame = pd.DataFrame(conn.execute(q).all(), columns=cols)
    if frame.empty:
        return frame.assign(burst=pd.Series(dtype=int), reviewed=pd.Series(dtype=bool))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    frame = frame.sort_values(["deployment", "timestamp", "id"])
    gap = frame["timestamp"].diff().dt.total_seconds()
    new = (frame["deployment"] != frame["deployment"].shift()) | (gap > BURST_SECONDS) | gap.isna()
    frame["burst"] = new.cumsum()
    worst = frame.groupby("burst")["probability"].transform("min").fillna(-1)
    frame = frame.assign(_worst=worst).sort_values(["_worst", "burst", "timestamp"]).drop(columns="_worst")
    keep = frame["burst"].drop_duplicates().head(limit)
    frame = frame[frame["burst"].isin(keep)]
    done = set(conn.execute(select(SpeciesReview.observation_id).where(
        SpeciesReview.observation_id.in_(frame["id"].tolist()))).scalars())
    frame["reviewed"] = frame["id"].isin(done)
    # Bursts numbered 1.. in the order shown.
    frame["burst"] = frame["burst"].map({b: i + 1 for i, b in enumerate(keep)})
    return frame.reset_index(drop=True)


def decide(conn: Connection, caller: Caller, observation_ids: list[int], scientific_name: str | None = None,
           obs_type: str = "animal", count: int | None = None, note: str | None = None) -> dict:
    """A person's identification for one or more observations (all of partners the caller edits); confirming
    the machine's species is a decision too. Returns how many changed; refuses the whole batch on any problem."""
    ids = sorted({int(i) for i in observation_ids})
    if not ids:
        raise WebError("observations: choose at least one")
    if len(ids) > MAX_BULK:
        raise WebError(f"observations: at most {MAX_BULK} at once, not {len(ids)}")
    if obs_type not in TYPES:
        raise WebError(f"type: must be one of {', '.join(TYPES)}, not {obs_type!r}")
    if obs_type == "animal" and not scientific_name:
        raise WebError("species: an animal needs a species")
    if count is not None and not 0 < count < 10_000:
        raise WebError(f"count: must be between 1 and 9999, not {count}")
    new_species = None
    if obs_type == "animal":
        new_species = conn.execute(select(Species.id).where(Species.scientific_name == scientific_name)
                                   ).scalar_one_or_none()
        if new_species is None:
            raise WebError(f"species: not in the species list: {scientific_name!r}")
    rows = conn.execute(select(Observation.id, Observation.species_id, Observation.type, Observation.count,
                               Observation.classification_method, Observation.classification_probability,
                               Observation.classified_by, Project.partner_id)
                        .join(Deployment, Observation.deployment_id == Deployment.id)
                        .join(Project, Deployment.project_id == Project.id)
                        .where(Observation.id.in_(ids))).all()
    mine = set(_editable(caller))
    if len(rows) != len(ids) or any(r.partner_id not in mine for r in rows):
        # Same answer for "absent" and "not yours": nobody learns which observation ids exist elsewhere.
        raise WebError("observations: some are not among those you may edit", status=404)
    machine = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
        select(SpeciesReview.observation_id, SpeciesReview.machine_species_id, SpeciesReview.machine_probability,
               SpeciesReview.machine_by).where(SpeciesReview.observation_id.in_(ids))).all()}
    now = now_utc()
    who = caller.username or f"user {caller.user_id}"
    changed = 0
    for r in rows:
        if r.id in machine:  # the machine's guess was kept by the first review
            m_species, m_prob, m_by = machine[r.id]
        elif r.classification_method == "machine":
            m_species, m_prob, m_by = r.species_id, r.classification_probability, r.classified_by
        else:
            m_species = m_prob = m_by = None
        new_count = count if count is not None else (r.count if obs_type == "animal" else None)
        conn.execute(SpeciesReview.__table__.insert().values(
            observation_id=r.id, at=now, who=who, old_species_id=r.species_id, new_species_id=new_species,
            old_type=r.type, new_type=obs_type, old_count=r.count, new_count=new_count,
            machine_species_id=m_species, machine_probability=m_prob, machine_by=m_by, note=note))
        changed += int(r.species_id != new_species or r.type != obs_type or r.count != new_count)
        conn.execute(update(Observation).where(Observation.id == r.id).values(
            species_id=new_species, type=obs_type, count=new_count, classification_method="human",
            classified_by=who, classification_probability=None,
            classification_timestamp=now.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")))
    return {"observations": len(rows), "changed": changed}


def history(conn: Connection, caller: Caller, observation_id: int | None = None, limit: int = 200,
            lang: str = "en") -> pd.DataFrame:
    """Who changed which identification of the caller's partners, when, from what to what, and what the machine
    had said, newest first."""
    from sqlalchemy.orm import aliased

    mine = list(caller.roles)
    old, new, mach = aliased(Species), aliased(Species), aliased(Species)
    q = (select(SpeciesReview.at, SpeciesReview.who, SpeciesReview.observation_id, Partner.code.label("partner"),
                old.scientific_name.label("before"), SpeciesReview.old_type, new.scientific_name.label("after"),
                SpeciesReview.new_type, mach.scientific_name.label("machine"), SpeciesReview.machine_probability,
                SpeciesReview.note)
         .join(Observation, SpeciesReview.observation_id == Observation.id)
         .join(Deployment, Observation.deployment_id == Deployment.id)
         .join(Project, Deployment.project_id == Project.id)
         .join(Partner, Project.partner_id == Partner.id)
         .outerjoin(old, SpeciesReview.old_species_id == old.id)
         .outerjoin(new, SpeciesReview.new_species_id == new.id)
         .outerjoin(mach, SpeciesReview.machine_species_id == mach.id)
         .where(Project.partner_id.in_(mine) if mine else false()))
    if observation_id is not None:
        q = q.where(SpeciesReview.observation_id == observation_id)
    q = q.order_by(SpeciesReview.id.desc()).limit(min(max(limit, 1), 2000))
    return pd.DataFrame(conn.execute(q).all(), columns=[
        "at", "who", "observation", "partner", "before", "beforeType", "after", "afterType", "machine",
        "machineProbability", "note"])


def review_plan(conn: Connection, caller: Caller, occasion_days: int = 7, species: list[str] | None = None,
                limit: int = 100) -> dict:
    """The review plan of the partners the caller edits (the same document as `bigcats review-plan --json`); a
    plan that cannot be made (no effort, no observations) says why in `message` with nothing else."""
    from bigcats.analysis.errors import AnalysisError
    from bigcats.store.review_events import plan_document, store_review_plan

    mine = _editable(caller)
    if not mine:
        return {"species": [], "events": [], "eventsToReview": 0, "reviewed": 0,
                "message": "only editors of a partner have a review plan"}
    if not 1 <= occasion_days <= 366:
        raise WebError(f"occasion_days: must be between 1 and 366, not {occasion_days}")
    from bigcats.web.context import read_versions

    # A plan takes seconds on a large partner: kept per data version (imports and species decisions) and access
    # version (a species' sensitivity, roles).
    _, data_version, access_version = read_versions(conn, None)
    key = (str(conn.engine.url), data_version, access_version, tuple(sorted(mine)), occasion_days,
           tuple(species or ()), min(max(limit, 0), 2000))
    if key in _PLANS:
        return _PLANS[key]
    try:
        doc = plan_document(store_review_plan(conn, mine, occasion_days, species or None), key[-1])
    except AnalysisError as exc:
        doc = {"species": [], "events": [], "eventsToReview": 0, "reviewed": 0, "message": str(exc)}
    if len(_PLANS) >= 32:
        _PLANS.pop(next(iter(_PLANS)))
    _PLANS[key] = doc
    return doc


_PLANS: dict[tuple, dict] = {}
