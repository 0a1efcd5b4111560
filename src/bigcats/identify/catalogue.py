"""The catalogue in the store: write proposals, record people's decisions, merge, split, undo, import, export.

Every decision runs in one transaction and records, beside who and when, the exact row changes it made
(updates with before and after values, inserted and deleted rows). Undo replays those changes backwards,
after checking that no later decision has touched the same values (if one has, that one must be undone
first): the previous state comes back exactly, and the undo is itself a decision that can be undone.
Only confirmed decisions set observation.individual_id, which is what the capture-recapture analyses read.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, Table, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from bigcats.core.clock import utcnow
from bigcats.identify.errors import IdentifyError
from bigcats.store.models import Individual, IndividualAlias, Media, Observation, Partner, Species
from bigcats.store.models_identify import CatalogueDecision, IdentificationProposal, IndividualImage

PREFIX = {"Panthera tigris altaica": "AT", "Panthera pardus orientalis": "AL", "Panthera uncia": "SL"}
DECISIONS = {"confirm": "confirmed", "reject": "rejected", "new": "new"}
PROPOSAL_COLUMNS = ["scientificName", "side", "individual", "score", "rank"]
_TABLES: dict[str, Table] = {m.__tablename__: m.__table__ for m in
                             (Individual, IndividualAlias, Observation, IdentificationProposal, IndividualImage)}


def _now() -> datetime:
    return utcnow()


def _utc(when: datetime | pd.Timestamp | None) -> datetime:
    if when is None:
        return _now()
    ts = pd.Timestamp(when)
    if ts.tzinfo is None:
        raise IdentifyError(f"decision time {when} has no time zone")
    return ts.tz_convert("UTC").tz_localize(None).to_pydatetime()


def _json(value: object) -> object:
    # Datetimes survive the JSON log marked, so that a deleted row is put back exactly as it was.
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    return value


def _unjson(value: object) -> object:
    if isinstance(value, dict) and "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    return value


class _Changes:
    """The row changes of one decision, made through here so that undo can reverse them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.log: list[dict] = []

    def update(self, table: str, ids: list[int], **values: object) -> None:
        """Set columns of rows, remembering each row's values before."""
        t = _TABLES[table]
        if not ids:
            return
        cols = [t.c[c] for c in values]
        before = self.conn.execute(select(t.c.id, *cols).where(t.c.id.in_(ids))).mappings().all()
        changed = [r for r in before if any(r[c] != v for c, v in values.items())]
        if not changed:
            return
        self.conn.execute(t.update().where(t.c.id.in_([r["id"] for r in changed])).values(**values))
        self.log += [{"op": "update", "table": table, "id": r["id"], "before": {c: _json(r[c]) for c in values},
                      "after": {c: _json(v) for c, v in values.items()}} for r in changed]

    def insert(self, table: str, **values: object) -> int:
        """Insert a row; returns its id."""
        new_id = self.conn.execute(_TABLES[table].insert().values(**values)).inserted_primary_key[0]
        self.log.append({"op": "insert", "table": table, "id": int(new_id)})
        return int(new_id)

    def delete(self, table: str, row_id: int) -> None:
        """Delete a row, remembering it whole."""
        t = _TABLES[table]
        row = self.conn.execute(select(t).where(t.c.id == row_id)).mappings().one()
        self.conn.execute(t.delete().where(t.c.id == row_id))
        self.log.append({"op": "delete", "table": table, "id": row_id, "row": {k: _json(v) for k, v in row.items()}})


def _record(ch: _Changes, action: str, who: str, when: datetime | None, **fields: object) -> int:
    if not who or not str(who).strip():
        raise IdentifyError(f"decision {action!r} has no reviewer: every decision records who made it")
    extra = fields.pop("extra", None) or {}
    return int(ch.conn.execute(CatalogueDecision.__table__.insert().values(
        at=_utc(when), who=str(who), action=action, fields={"changes": ch.log, **extra}, **fields)
    ).inserted_primary_key[0])


# --- look-ups ----------------------------------------------------------------------------------------------


def _species_id(conn: Connection, name: str) -> int:
    sid = conn.execute(select(Species.id).where(Species.scientific_name == name)).scalar_one_or_none()
    if sid is None:
        raise IdentifyError(f"species {name!r} is not in the store's species list")
    return int(sid)


def _partner_id(conn: Connection, code: str) -> int:
    pid = conn.execute(select(Partner.id).where(Partner.code == code)).scalar_one_or_none()
    if pid is None:
        raise IdentifyError(f"partner {code!r} is not in the store")
    return int(pid)


def individual_id(conn: Connection, code: str, species: str | None = None, partner: str | None = None) -> int:
    """The id of an individual by its catalogue code, or by a partner's own code (alias) when partner is given."""
    if partner is not None:
        q = (select(IndividualAlias.individual_id).join(Partner, IndividualAlias.partner_id == Partner.id)
             .where(Partner.code == partner, IndividualAlias.code == code))
        if species:
            q = q.where(IndividualAlias.species_id == _species_id(conn, species))
        what = f"partner {partner}'s code {code!r}"
    else:
        q = select(Individual.id).where(Individual.code == code)
        if species:
            q = q.where(Individual.species_id == _species_id(conn, species))
        what = f"catalogue code {code!r}"
    ids = conn.execute(q).scalars().all()
    if not ids:
        raise IdentifyError(f"no individual with {what}" + (f" ({species})" if species else ""))
    if len(ids) > 1:
        raise IdentifyError(f"{what} names {len(ids)} individuals of different species: give the species")
    return int(ids[0])


def _individual(conn: Connection, ind_id: int) -> dict:
    row = conn.execute(select(Individual.__table__).where(Individual.id == ind_id)).mappings().one_or_none()
    if row is None:
        raise IdentifyError(f"no individual with id {ind_id}")
    return dict(row)


def next_code(conn: Connection, species_id: int) -> str:
    """A new catalogue code for a species: its prefix and the next free number (AT-013)."""
    name = conn.execute(select(Species.scientific_name).where(Species.id == species_id)).scalar_one()
    prefix = PREFIX.get(name, "".join(w[0] for w in name.split()[:2]).upper() or "X")
    codes = conn.execute(select(Individual.code).where(Individual.species_id == species_id,
                                                       Individual.code.like(f"{prefix}-%"))).scalars().all()
    numbers = pd.to_numeric(pd.Series(codes, dtype="object").str.slice(len(prefix) + 1), errors="coerce")
    return f"{prefix}-{int(numbers.max() if numbers.notna().any() else 0) + 1:03d}"


# --- proposals ---------------------------------------------------------------------------------------------


def proposals_from_match(result, top: int = 3) -> pd.DataFrame:
    """The top candidates of a MatchResult as proposal rows (individual, score, rank); none for a new individual."""
    c = result.candidates.head(top)
    if result.new_individual or c.empty:
        return pd.DataFrame({"individual": [None], "score": [float(result.best_score)], "rank": [None]})
    return pd.DataFrame({"individual": c["individual"].astype(str).to_numpy(), "score": c["score"].to_numpy(),
                         "rank": c["rank"].to_numpy()})


def proposals_from_batch(results: pd.DataFrame, photos: pd.DataFrame) -> pd.DataFrame:
    """Proposal rows from identify_batch results (candidates "code:score;..."), with the photos' ids and flank;
    unidentifiable photos give none (their reason stays in the batch results)."""
    keep = [c for c in ("image", "scientificName", "side", "observation_id", "media_id") if c in photos.columns]
    res = results[results["status"].isin(["match", "new_individual"])].merge(
        photos[keep].drop_duplicates("image"), on="image", how="left")
    cands = res["candidates"].fillna("").astype(str).str.split(";").explode()
    cands = cands[cands != ""]
    parts = cands.str.rsplit(":", n=1, expand=True).reindex(columns=[0, 1])
    rows = res.loc[cands.index].reset_index(names="_q").assign(individual=parts[0].to_numpy(),
                                                               score=pd.to_numeric(parts[1]).to_numpy())
    rows["rank"] = rows.groupby("_q").cumcount() + 1
    new = res.loc[res["status"] == "new_individual"].reset_index(names="_q")
    rows = rows[~rows["_q"].isin(new["_q"])]
    out = pd.concat([rows, new.assign(individual=None, rank=None)], ignore_index=True)
    return out.drop(columns=["_q", "status", "reason", "best_individual", "candidates", "seconds"], errors="ignore")


def propose(engine: Engine, proposals: pd.DataFrame, method: str = "rootsift-lnbnn-ransac",
            partner: str | None = None, when: datetime | None = None) -> int:
    """Store match results as pending proposals; rows need scientificName, side, individual (catalogue code or
    empty for "probably new"), score, rank and one of observation_id, media_id or image. Returns the count."""
    missing = [c for c in PROPOSAL_COLUMNS if c not in proposals.columns]
    if missing:
        raise IdentifyError(f"proposals lack column(s) {', '.join(missing)}")
    subject = [c for c in ("observation_id", "media_id", "image") if c in proposals.columns]
    if not subject:
        raise IdentifyError("proposals name no photo: give observation_id, media_id or image")
    p = proposals.reset_index(drop=True)
    no_subject = p[subject].isna().all(axis=1)
    if no_subject.any():
        raise IdentifyError(f"proposal row {int(no_subject.to_numpy().nonzero()[0][0]) + 1}: no observation, media or image")
    bad_side = ~p["side"].isin(["left", "right", "unknown"])  # unknown: the photo was matched against both flanks
    if bad_side.any():
        i = int(bad_side.to_numpy().nonzero()[0][0])
        raise IdentifyError(f"proposal row {i + 1}, field side: {p['side'].iloc[i]!r} is not left, right or unknown")
    at = _utc(when)
    with engine.begin() as conn:
        pid = _partner_id(conn, partner) if partner else None
        species = {s: _species_id(conn, s) for s in p["scientificName"].astype(str).unique()}
        codes = p.loc[p["individual"].notna(), ["individual", "scientificName"]].drop_duplicates()
        known = pd.DataFrame(conn.execute(select(Individual.id, Individual.code, Individual.species_id)
                                          .where(Individual.code.in_(codes["individual"].astype(str).tolist())))
                             .mappings().all(), columns=["id", "code", "species_id"])
        key = dict(zip(zip(known["code"], known["species_id"], strict=True), known["id"], strict=True))
        ind = [None if pd.isna(c) else key.get((str(c), species[str(s)])) for c, s in
               zip(p["individual"], p["scientificName"], strict=True)]
        unknown = [i for i, (c, v) in enumerate(zip(p["individual"], ind, strict=True)) if pd.notna(c) and v is None]
        if unknown:
            i = unknown[0]
            raise IdentifyError(f"proposal row {i + 1}: no {p['scientificName'].iloc[i]} with catalogue code {p['individual'].iloc[i]!r}")

        def col(name: str) -> list:
            return [None if pd.isna(v) else v for v in p[name]] if name in p.columns else [None] * len(p)

        rows = [{"observation_id": None if o is None else int(o), "media_id": None if m is None else int(m),
                 "image": None if im is None else str(im), "species_id": species[str(s)], "side": str(sd),
                 "individual_id": None if i is None else int(i), "score": None if sc is None else float(sc),
                 "rank": None if r is None else int(r), "status": "pending", "proposed_at": at, "method": method,
                 "partner_id": pid}
                for o, m, im, s, sd, i, sc, r in zip(col("observation_id"), col("media_id"), col("image"),
                                                     p["scientificName"], p["side"], ind, col("score"), col("rank"),
                                                     strict=True)]
        # The same proposal made again (same photo, candidate, flank and method) is not queued twice.
        existing = set(conn.execute(select(
            IdentificationProposal.observation_id, IdentificationProposal.media_id, IdentificationProposal.image,
            IdentificationProposal.individual_id, IdentificationProposal.side, IdentificationProposal.method)
            .where(IdentificationProposal.method == method)).all())
        rows = [r for r in rows if (r["observation_id"], r["media_id"], r["image"], r["individual_id"], r["side"],
                                    r["method"]) not in existing]
        if rows:
            conn.execute(IdentificationProposal.__table__.insert(), rows)
    return len(rows)


def _proposal(conn: Connection, proposal_id: int) -> dict:
    row = conn.execute(select(IdentificationProposal.__table__).where(IdentificationProposal.id == proposal_id)
                       ).mappings().one_or_none()
    if row is None:
        raise IdentifyError(f"no identification proposal {proposal_id}")
    return dict(row)


def _pending(conn: Connection, proposal_id: int, before: str) -> tuple[dict, _Changes, list[int]]:
    """A pending proposal (refused if already decided: `before` says what must come first), a change log, its siblings."""
    p = _proposal(conn, proposal_id)
    if p["status"] != "pending":
        raise IdentifyError(f"proposal {proposal_id} is already {p['status']}: {before}")
    return p, _Changes(conn), _siblings(conn, p)


def _siblings(conn: Connection, p: dict) -> list[int]:
    """Ids of every proposal for the same photo (the ranked candidates of one query)."""
    t = IdentificationProposal
    if p["observation_id"] is not None:
        cond = t.observation_id == p["observation_id"]
    elif p["media_id"] is not None:
        cond = and_(t.media_id == p["media_id"], t.observation_id.is_(None))
    else:
        cond = and_(t.image == p["image"], t.media_id.is_(None), t.observation_id.is_(None))
    return list(conn.execute(select(t.id).where(cond, t.side == p["side"], t.species_id == p["species_id"])).scalars())


def _observations(conn: Connection, p: dict) -> list[int]:
    """The observations a proposal's photo stands for: its own, or those of its species on its media."""
    if p["observation_id"] is not None:
        return [p["observation_id"]]
    if p["media_id"] is not None:
        return list(conn.execute(select(Observation.id).where(
            Observation.media_id == p["media_id"], Observation.species_id == p["species_id"])).scalars())
    return []


def _assign(ch: _Changes, p: dict, ind_id: int, when: datetime) -> None:
    """Set the photo's observation to the individual and keep the photo as a reference of that flank."""
    ch.update("observation", _observations(ch.conn, p), individual_id=ind_id)
    media_id = p["media_id"]
    if media_id is None and p["observation_id"] is not None:
        media_id = ch.conn.execute(select(Observation.media_id).where(Observation.id == p["observation_id"])).scalar()
    if media_id is not None or p["image"]:
        ch.insert("individual_image", individual_id=ind_id, media_id=media_id, file_path=p["image"], side=p["side"],
                  encounter=None, added_at=when)


def decide(engine: Engine, proposal_id: int, decision: str, who: str, when: datetime | None = None,
           code: str | None = None, partner: str | None = None, partner_code: str | None = None,
           note: str | None = None) -> dict:
    """Confirm, reject, or declare a new individual for a proposal; returns the decision (id, action, individual)."""
    if decision not in DECISIONS:
        raise IdentifyError(f"unknown review decision {decision!r}: expected confirm, reject or new")
    at = _utc(when)
    with engine.begin() as conn:
        p, ch, siblings = _pending(conn, proposal_id, "undo that decision first")
        ind_id = p["individual_id"]
        if decision == "confirm":
            if ind_id is None:
                raise IdentifyError(f"proposal {proposal_id} has no candidate to confirm (probably a new individual): decide 'new'")
            ch.update("identification_proposal", [proposal_id], status="confirmed")
            ch.update("identification_proposal", [s for s in siblings if s != proposal_id], status="rejected")
            _assign(ch, p, ind_id, at)
        elif decision == "reject":
            ch.update("identification_proposal", [proposal_id], status="rejected")
        else:
            ind_id = ch.insert("individual", species_id=p["species_id"], code=code or next_code(conn, p["species_id"]),
                               status="active")
            alias_partner = _partner_id(conn, partner) if partner else p["partner_id"]
            if partner_code:
                if alias_partner is None:
                    raise IdentifyError(f"proposal {proposal_id}: a partner code needs the partner it belongs to")
                ch.insert("individual_alias", individual_id=ind_id, partner_id=alias_partner,
                          species_id=p["species_id"], code=partner_code)
            ch.update("identification_proposal", siblings, status="new")
            _assign(ch, p, ind_id, at)
        action = {"confirm": "confirm", "reject": "reject", "new": "new_individual"}[decision]
        did = _record(ch, action, who, when, proposal_id=proposal_id, individual_id=ind_id, note=note)
        code_out = conn.execute(select(Individual.code).where(Individual.id == ind_id)).scalar() if ind_id else None
    return {"decision": did, "action": action, "proposal": proposal_id, "individual": code_out, "individual_id": ind_id}


def _box(box: tuple[float, float, float, float] | list[float]) -> tuple[float, float, float, float]:
    """A box relative to the photo (Camtrap DP's bboxX, bboxY, bboxWidth, bboxHeight), checked."""
    import math

    try:
        x, y, w, h = (float(v) for v in box)
    except (TypeError, ValueError):
        raise IdentifyError(f"box {box!r}: expected four numbers x, y, width, height relative to the photo (0 to 1)") from None
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise IdentifyError(f"box {box!r}: every value must be a finite number")
    if x < 0 or y < 0 or w < MIN_BOX or h < MIN_BOX or x + w > 1 + 1e-9 or y + h > 1 + 1e-9:
        raise IdentifyError(f"box {box!r}: must lie inside the photo (x, y >= 0, x + width <= 1, y + height <= 1) "
                            f"and be at least {MIN_BOX:.0%} of it each way")
    return x, y, min(w, 1 - x), min(h, 1 - y)


MIN_BOX = 0.01  # a box under 1% of the frame either way is a slip of the mouse, not an animal


def set_box(engine: Engine, proposal_id: int, who: str, box: tuple[float, float, float, float] | None = None,
            side: str | None = None, when: datetime | None = None, note: str | None = None) -> dict:
    """A reviewer's box round the animal and/or flank for a pending proposal's photo, recorded as a decision.

    The box (relative to the photo, as Camtrap DP's bboxX/bboxY/bboxWidth/bboxHeight) goes on the photo's
    observation(s) of that species, where exports, report crops and the next matching run of the observation
    (`bigcats identify match --observation ID`) read it; the flank goes on the photo's pending proposals. Undo
    restores both.
    """
    from bigcats.identify.match import SIDES

    if box is None and side is None:
        raise IdentifyError("nothing to set: give a box, a flank or both")
    bx = _box(box) if box is not None else None
    if side is not None and str(side).lower() not in SIDES:
        raise IdentifyError(f"flank {side!r} is not left, right or unknown")
    with engine.begin() as conn:
        p, ch, siblings = _pending(conn, proposal_id, "a box or flank is set before deciding")
        if bx is not None:
            obs_ids = _observations(conn, p)
            if not obs_ids:
                raise IdentifyError(f"proposal {proposal_id}: its photo has no observation in the store to hold a box")
            ch.update("observation", obs_ids, bbox_x=bx[0], bbox_y=bx[1], bbox_width=bx[2], bbox_height=bx[3])
        if side is not None:
            pend = list(conn.execute(select(IdentificationProposal.id).where(
                IdentificationProposal.id.in_(siblings), IdentificationProposal.status == "pending")).scalars())
            ch.update("identification_proposal", pend, side=str(side).lower())
        did = _record(ch, "box", who, when, proposal_id=proposal_id, individual_id=p["individual_id"], note=note)
    return {"decision": did, "action": "box", "proposal": proposal_id, "box": list(bx) if bx else None,
            "side": str(side).lower() if side is not None else p["side"], "changed": len(ch.log)}


def observation_box(engine: Engine, observation_id: int, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """The stored box of an observation in pixels (x, y, w, h) of a photo of `shape`, or None when it has none."""
    with engine.connect() as conn:
        row = conn.execute(select(Observation.bbox_x, Observation.bbox_y, Observation.bbox_width, Observation.bbox_height)
                           .where(Observation.id == observation_id)).one_or_none()
    if row is None:
        raise IdentifyError(f"no observation {observation_id} in the database")
    if any(v is None for v in row):
        return None
    H, W = shape[:2]
    x, y, w, h = _box(tuple(row))
    return int(round(x * W)), int(round(y * H)), max(1, int(round(w * W))), max(1, int(round(h * H)))


# --- merge, split, undo ------------------------------------------------------------------------------------


def merge(engine: Engine, keep: int, absorb: int, who: str, when: datetime | None = None, note: str | None = None,
          extra: dict | None = None) -> dict:
    """Merge individual `absorb` into `keep`: its aliases, observations, photos and proposals move; it is retired."""
    if keep == absorb:
        raise IdentifyError(f"cannot merge individual {keep} with itself")
    with engine.begin() as conn:
        a, b = _individual(conn, keep), _individual(conn, absorb)
        if a["species_id"] != b["species_id"]:
            raise IdentifyError(f"cannot merge {a['code']} and {b['code']}: they are of different species")
        if b["status"] == "merged":
            raise IdentifyError(f"{b['code']} was already merged into another individual")
        ch = _Changes(conn)
        for table, model in (("individual_alias", IndividualAlias), ("observation", Observation),
                             ("individual_image", IndividualImage), ("identification_proposal", IdentificationProposal)):
            ids = list(conn.execute(select(model.id).where(model.individual_id == absorb)).scalars())
            ch.update(table, ids, individual_id=keep)
        if not a["sex"] and b["sex"]:
            ch.update("individual", [keep], sex=b["sex"])
        ch.update("individual", [absorb], status="merged", notes=f"merged into {a['code']}")
        did = _record(ch, "merge", who, when, individual_id=keep, other_individual_id=absorb, note=note, extra=extra)
    return {"decision": did, "action": "merge", "individual": a["code"], "absorbed": b["code"]}


def split(engine: Engine, individual: int, observations: list[int], who: str, new_code: str | None = None,
          aliases: list[int] | None = None, when: datetime | None = None, note: str | None = None) -> dict:
    """Split the listed observations (and their photos, and the listed alias ids) off into a new individual."""
    if not observations:
        raise IdentifyError("a split needs the observations that belong to the other animal")
    with engine.begin() as conn:
        src = _individual(conn, individual)
        held = set(conn.execute(select(Observation.id).where(Observation.individual_id == individual)).scalars())
        foreign = sorted(set(observations) - held)
        if foreign:
            raise IdentifyError(f"observation(s) {', '.join(map(str, foreign))} are not identified as {src['code']}")
        ch = _Changes(conn)
        new_id = ch.insert("individual", species_id=src["species_id"], code=new_code or next_code(conn, src["species_id"]),
                           sex=src["sex"], status="active", notes=f"split from {src['code']}")
        ch.update("observation", sorted(set(observations)), individual_id=new_id)
        media = [m for m in conn.execute(select(Observation.media_id).where(Observation.id.in_(observations))).scalars() if m]
        imgs = list(conn.execute(select(IndividualImage.id).where(IndividualImage.individual_id == individual,
                                                                  IndividualImage.media_id.in_(media))).scalars())
        ch.update("individual_image", imgs, individual_id=new_id)
        if aliases:
            own = set(conn.execute(select(IndividualAlias.id).where(IndividualAlias.individual_id == individual)).scalars())
            if set(aliases) - own:
                raise IdentifyError(f"alias id(s) {sorted(set(aliases) - own)} do not belong to {src['code']}")
            ch.update("individual_alias", sorted(aliases), individual_id=new_id)
        did = _record(ch, "split", who, when, individual_id=individual, other_individual_id=new_id, note=note)
        code = conn.execute(select(Individual.code).where(Individual.id == new_id)).scalar_one()
    return {"decision": did, "action": "split", "individual": src["code"], "new_individual": code}


def undo(engine: Engine, decision_id: int, who: str, when: datetime | None = None, note: str | None = None) -> dict:
    """Reverse a decision's row changes (refused if a later decision changed the same values); recorded too."""
    with engine.begin() as conn:
        d = conn.execute(select(CatalogueDecision.__table__).where(CatalogueDecision.id == decision_id)).mappings().one_or_none()
        if d is None:
            raise IdentifyError(f"no catalogue decision {decision_id}")
        if d["undone_by"] is not None:
            raise IdentifyError(f"decision {decision_id} was already undone by decision {d['undone_by']}")
        ch = _Changes(conn)
        try:
            _reverse(conn, ch, d)
        except IntegrityError as err:
            raise IdentifyError(f"cannot undo decision {decision_id} ({d['action']}): later decisions rest on what it "
                                f"created; undo them first ({err.orig})") from None
        did = _record(ch, "undo", who, when, target=decision_id, individual_id=d["individual_id"],
                      other_individual_id=d["other_individual_id"], note=note)
        conn.execute(CatalogueDecision.__table__.update().where(CatalogueDecision.id == decision_id).values(undone_by=did))
        if d["action"] == "undo" and d["target"] is not None:  # undoing an undo revives its target
            conn.execute(CatalogueDecision.__table__.update().where(CatalogueDecision.id == d["target"]).values(undone_by=None))
    return {"decision": did, "action": "undo", "target": decision_id, "undone": d["action"]}


def _reverse(conn: Connection, ch: _Changes, d: dict) -> None:
    # Inside the caller's transaction: a refused undo rolls back whole, leaving nothing half-reversed.
    for c in reversed((d["fields"] or {}).get("changes", [])):  # later changes of a decision rest on earlier ones
        t = _TABLES[c["table"]]
        where = f"decision {d['id']} ({d['action']}), {c['table']} row {c['id']}"
        if c["op"] == "update":
            after = {k: _unjson(v) for k, v in c["after"].items()}
            now = conn.execute(select(*[t.c[k] for k in after]).where(t.c.id == c["id"])).mappings().one_or_none()
            if now is None or any(now[k] != v for k, v in after.items()):
                raise IdentifyError(f"cannot undo {where}: a later decision changed it; undo that one first")
            ch.update(c["table"], [c["id"]], **{k: _unjson(v) for k, v in c["before"].items()})
        elif c["op"] == "insert":
            if conn.execute(select(t.c.id).where(t.c.id == c["id"])).scalar() is None:
                raise IdentifyError(f"cannot undo {where}: the row it created is gone")
            ch.delete(c["table"], c["id"])
        else:
            row = {k: _unjson(v) for k, v in c["row"].items()}
            conn.execute(t.insert().values(**row))
            ch.log.append({"op": "insert", "table": c["table"], "id": c["id"]})


# --- cross-border, Wildbook --------------------------------------------------------------------------------


def accept_pairs(engine: Engine, pairs: pd.DataFrame, partner_a: str, partner_b: str, who: str,
                 when: datetime | None = None) -> pd.DataFrame:
    """Accepted reconciliation pairs (individual_a, individual_b: partners' own codes) merged into one individual each."""
    missing = [c for c in ("individual_a", "individual_b", "scientificName") if c not in pairs.columns]
    if missing:
        raise IdentifyError(f"pairs lack column(s) {', '.join(missing)}")
    ok = pairs[pairs["proposed"]] if "proposed" in pairs.columns else pairs
    out = []
    for row in ok.itertuples(index=False):  # one recorded decision per pair, each undoable on its own
        with engine.connect() as conn:
            a = individual_id(conn, str(row.individual_a), str(row.scientificName), partner_a)
            b = individual_id(conn, str(row.individual_b), str(row.scientificName), partner_b)
        if a == b:
            out.append({"individual_a": row.individual_a, "individual_b": row.individual_b, "decision": None, "status": "already one"})
            continue
        extra = {"reconciliation": {"partner_a": partner_a, "partner_b": partner_b,
                                    "score": float(getattr(row, "score", float("nan")))}}
        res = merge(engine, a, b, who, when, note=f"cross-border: {partner_a} {row.individual_a} = {partner_b} {row.individual_b}", extra=extra)
        out.append({"individual_a": row.individual_a, "individual_b": row.individual_b, "decision": res["decision"],
                    "status": "merged", "individual": res["individual"]})
    return pd.DataFrame(out, columns=["individual_a", "individual_b", "decision", "status", "individual"])


def import_wildbook(engine: Engine, encounters: pd.DataFrame, species: str, partner: str, who: str,
                    root: str | Path | None = None, when: datetime | None = None) -> dict:
    """Bring a Wildbook encounter table (wildbook.read_encounters) into the catalogue as the partner's aliases and
    reference photos per flank; one undoable `import` decision."""
    at = _utc(when)
    enc = encounters.dropna(subset=["individualID"])
    with engine.begin() as conn:
        sid, pid = _species_id(conn, species), _partner_id(conn, partner)
        ch = _Changes(conn)
        ids: dict[str, int] = dict(conn.execute(select(IndividualAlias.code, IndividualAlias.individual_id).where(
            IndividualAlias.partner_id == pid, IndividualAlias.species_id == sid)).all())
        first = enc.drop_duplicates("individualID")
        created = 0
        for code, sex in zip(first["individualID"].astype(str), first["sex"], strict=True):  # one row per new animal
            if code in ids:
                continue
            ind = ch.insert("individual", species_id=sid, code=next_code(conn, sid), status="active",
                            sex=None if pd.isna(sex) or sex == "unknown" else str(sex))
            ch.insert("individual_alias", individual_id=ind, partner_id=pid, species_id=sid, code=code)
            ids[code] = ind
            created += 1
        photos = enc.dropna(subset=["mediaAsset", "side"])
        base = Path(root) if root else None
        # The same export brought in again adds nothing: a photo already filed under the animal and flank is skipped.
        have = set(conn.execute(select(IndividualImage.individual_id, IndividualImage.file_path, IndividualImage.side)
                                .where(IndividualImage.individual_id.in_(list(ids.values())))).all())
        added = 0
        for code, path, side, e in zip(photos["individualID"].astype(str), photos["mediaAsset"].astype(str),
                                       photos["side"], photos["encounterID"].astype(str), strict=True):
            file_path = str(base / path) if base else path
            if (ids[code], file_path, str(side)) in have:
                continue
            ch.insert("individual_image", individual_id=ids[code], media_id=None, file_path=file_path,
                      side=str(side), encounter=e, added_at=at)
            have.add((ids[code], file_path, str(side)))
            added += 1
        did = None
        if created or added:  # a decision that changed nothing is not worth a line in the history
            did = _record(ch, "import", who, when, note=f"Wildbook import for {partner}",
                          extra={"encounters": int(len(encounters))})
    return {"decision": did, "encounters": int(len(encounters)), "individuals": int(enc["individualID"].nunique()),
            "created": created, "photos": int(len(photos)), "added_photos": added,
            "unassigned": int(len(encounters) - len(enc))}


def export_wildbook(engine: Engine, species: str | None = None) -> pd.DataFrame:
    """The catalogue's reference photos as Wildbook encounters (write with wildbook.write_encounters)."""
    aliases = (select(IndividualAlias.individual_id, func.min(IndividualAlias.code).label("partnerCode"))
               .group_by(IndividualAlias.individual_id).subquery())
    q = (select(IndividualImage.id, IndividualImage.encounter, Individual.code.label("individualID"),
                IndividualImage.side, Individual.sex, Species.scientific_name.label("scientificName"),
                func.coalesce(IndividualImage.file_path, Media.file_path).label("mediaAsset"),
                Media.timestamp_utc.label("date"), aliases.c.partnerCode)
         .join(Individual, IndividualImage.individual_id == Individual.id)
         .join(Species, Individual.species_id == Species.id)
         .outerjoin(Media, IndividualImage.media_id == Media.id)
         .outerjoin(aliases, aliases.c.individual_id == Individual.id)
         .order_by(Individual.code, IndividualImage.id))
    if species:
        q = q.where(Species.scientific_name == species)
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).mappings().all(),
                          columns=["id", "encounter", "individualID", "side", "sex", "scientificName", "mediaAsset",
                                   "date", "partnerCode"])
    df.insert(0, "encounterID", df["encounter"].fillna("img-" + df["id"].astype(str)))
    return df.drop(columns=["id", "encounter"])


# --- reading ------------------------------------------------------------------------------------------------


def list_individuals(engine: Engine, species: str | None = None, include_merged: bool = False) -> pd.DataFrame:
    """Catalogue individuals: code, species, sex, status, aliases (partner:code), first/last seen, photos per flank."""
    with engine.connect() as conn:
        q = (select(Individual.id, Individual.code, Species.scientific_name.label("scientificName"), Individual.sex,
                    Individual.status).join(Species, Individual.species_id == Species.id).order_by(Individual.code))
        if species:
            q = q.where(Species.scientific_name == species)
        if not include_merged:
            q = q.where(or_(Individual.status.is_(None), Individual.status != "merged"))
        ind = pd.DataFrame(conn.execute(q).mappings().all(), columns=["id", "code", "scientificName", "sex", "status"])
        al = pd.DataFrame(conn.execute(select(IndividualAlias.individual_id.label("id"), Partner.code.label("p"),
                                              IndividualAlias.code.label("c"))
                                       .join(Partner, IndividualAlias.partner_id == Partner.id)).mappings().all(),
                          columns=["id", "p", "c"])
        seen = pd.DataFrame(conn.execute(select(Observation.individual_id.label("id"),
                                                func.min(Observation.event_start_utc).label("firstSeen"),
                                                func.max(Observation.event_start_utc).label("lastSeen"),
                                                func.count().label("observations"))
                                         .where(Observation.individual_id.is_not(None))
                                         .group_by(Observation.individual_id)).mappings().all(),
                            columns=["id", "firstSeen", "lastSeen", "observations"])
        imgs = pd.DataFrame(conn.execute(select(IndividualImage.individual_id.label("id"), IndividualImage.side,
                                                func.count().label("n"))
                                         .group_by(IndividualImage.individual_id, IndividualImage.side)).mappings().all(),
                            columns=["id", "side", "n"])
    aliases = (al["p"] + ":" + al["c"]).groupby(al["id"]).agg(lambda s: ";".join(sorted(s))).rename("aliases")
    flanks = imgs.pivot_table(index="id", columns="side", values="n", aggfunc="sum").reindex(columns=["left", "right"])
    out = (ind.merge(aliases, left_on="id", right_index=True, how="left").merge(seen, on="id", how="left")
           .merge(flanks.add_prefix("photos_"), left_on="id", right_index=True, how="left"))
    for c in ("observations", "photos_left", "photos_right"):
        out[c] = out[c].fillna(0).astype(int)
    out["aliases"] = out["aliases"].fillna("")
    return out


def history(engine: Engine, individual: int | None = None) -> pd.DataFrame:
    """The decision log, newest last: id, at, who, action, proposal, individual, other, target, undone_by, note."""
    t = CatalogueDecision
    q = select(t.id, t.at, t.who, t.action, t.proposal_id, t.individual_id, t.other_individual_id, t.target,
               t.undone_by, t.note).order_by(t.id)
    if individual is not None:
        q = q.where(or_(t.individual_id == individual, t.other_individual_id == individual))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all(),
                            columns=["id", "at", "who", "action", "proposal_id", "individual_id", "other_individual_id",
                                     "target", "undone_by", "note"])


def pending(engine: Engine, partners: list[int] | None = None, limit: int = 200, threshold: float | None = None) -> pd.DataFrame:
    """Pending proposals, best score first, with the query photo and the candidate's best reference photo of that flank.

    `confidence` says in words how sure the matcher is, relative to the operating threshold (`threshold`, else the
    matcher's default): "very likely the same cat", "probably the same cat", ...
    """
    from bigcats.identify.calibrate import confidence_words
    from bigcats.identify.match import DEFAULT_THRESHOLD

    p = IdentificationProposal
    ref = (select(IndividualImage.individual_id, IndividualImage.side,
                  func.min(IndividualImage.media_id).label("candidate_media_id"),
                  func.min(IndividualImage.file_path).label("candidate_image"))
           .group_by(IndividualImage.individual_id, IndividualImage.side).subquery())
    obs_media = select(Observation.media_id).where(Observation.id == p.observation_id).scalar_subquery()
    obs = aliased(Observation)  # the photo's box, where its observation has one (a reviewer may have drawn it)
    q = (select(p.id, p.observation_id, func.coalesce(p.media_id, obs_media).label("media_id"), p.image,
                Species.scientific_name.label("scientificName"), p.side, p.individual_id,
                Individual.code.label("individual"), p.score, p.rank, p.proposed_at, p.method,
                p.partner_id, Partner.code.label("partner"), ref.c.candidate_media_id, ref.c.candidate_image,
                obs.bbox_x.label("bboxX"), obs.bbox_y.label("bboxY"), obs.bbox_width.label("bboxWidth"),
                obs.bbox_height.label("bboxHeight"))
         .join(Species, p.species_id == Species.id)
         .outerjoin(obs, obs.id == p.observation_id)
         .outerjoin(Individual, p.individual_id == Individual.id)
         .outerjoin(Partner, p.partner_id == Partner.id)
         .outerjoin(ref, and_(ref.c.individual_id == p.individual_id, ref.c.side == p.side))
         .where(p.status == "pending")
         .order_by(p.score.desc(), p.id).limit(limit))
    if partners is not None:
        q = q.where(p.partner_id.in_(partners))
    with engine.connect() as conn:
        out = pd.DataFrame(conn.execute(q).mappings().all(),
                           columns=["id", "observation_id", "media_id", "image", "scientificName", "side",
                                    "individual_id", "individual", "score", "rank", "proposed_at", "method", "partner_id",
                                    "partner", "candidate_media_id", "candidate_image", "bboxX", "bboxY", "bboxWidth",
                                    "bboxHeight"])
    thr = DEFAULT_THRESHOLD if threshold is None else threshold
    out["confidence"] = [confidence_words(float(sc), thr) if sc is not None and ind is not None else "probably a cat not in the catalogue"
                         for sc, ind in zip(out["score"], out["individual"], strict=True)]
    return out


def pending_one(engine: Engine, proposal_id: int) -> dict | None:
    """One proposal (any status) with its partner and the file paths of its query and candidate photos."""
    p = IdentificationProposal
    with engine.connect() as conn:
        row = conn.execute(select(p.__table__).where(p.id == proposal_id)).mappings().one_or_none()
        if row is None:
            return None
        row = dict(row)
        media = row["media_id"]
        if media is None and row["observation_id"] is not None:
            media = conn.execute(select(Observation.media_id).where(Observation.id == row["observation_id"])).scalar()
        query = conn.execute(select(Media.file_path).where(Media.id == media)).scalar() if media else None
        ref = conn.execute(select(func.coalesce(IndividualImage.file_path, Media.file_path))
                           .outerjoin(Media, IndividualImage.media_id == Media.id)
                           .where(IndividualImage.individual_id == row["individual_id"], IndividualImage.side == row["side"])
                           .order_by(IndividualImage.id).limit(1)).scalar() if row["individual_id"] else None
    return row | {"query_path": query or row["image"], "candidate_path": ref}
