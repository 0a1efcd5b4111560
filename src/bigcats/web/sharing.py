"""Sharing agreements managed by partners' administrators: propose, accept or decline, change, end; history kept.

An agreement between two partners needs both sides: one side's administrator proposes (the owner offering its
data, or the grantee asking for it) and the other side's administrator accepts. Sharing with the public needs
only the owner. A change is a new proposal that, once accepted, ends the agreement it replaces at the moment
the new one begins; ending is one side's right alone and takes effect at once. Agreements are never edited or
deleted, so `sharing_agreement` plus `sharing_event` is the whole history of who could see what, and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, or_, select, update

from bigcats.store.models import Partner, Species
from bigcats.store.models_access import SharingAgreement, SharingEvent, SharingProposal
from bigcats.web.errors import WebError
from bigcats.web.security import now_utc
from bigcats.web.visibility import Caller

ACTIONS = ("proposed", "accepted", "declined", "withdrawn", "shared", "changed", "ended")


def _partner_ids(conn: Connection) -> dict[str, int]:
    return dict(conn.execute(select(Partner.code, Partner.id)).all())


def _who(caller: Caller) -> str:
    return caller.username or f"user {caller.user_id}"


def _log(conn: Connection, caller: Caller, action: str, owner: int | None, grantee: int | None,
         agreement: int | None = None, proposal: int | None = None, details: dict | None = None) -> None:
    conn.execute(SharingEvent.__table__.insert().values(
        at=now_utc(), username=_who(caller), action=action, owner_partner_id=owner, grantee_partner_id=grantee,
        agreement_id=agreement, proposal_id=proposal, details=details))


def _check_terms(conn: Connection, species: list[str] | None, exact: bool, grantee: int | None,
                 valid_from: datetime | None, valid_until: datetime | None) -> list[str] | None:
    if grantee is None and exact:
        raise WebError("exact locations: the public never gets exact locations of sensitive species")
    if valid_from and valid_until and valid_until <= valid_from:
        raise WebError("until: must be after the start")
    if not species:
        return None
    known = set(conn.execute(select(Species.scientific_name).where(Species.scientific_name.in_(species))).scalars())
    unknown = [s for s in species if s not in known]
    if unknown:
        raise WebError(f"species: not in the species list: {', '.join(unknown)}")
    return sorted(set(species))


def _naive(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is not None:
        from datetime import timezone

        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def propose(conn: Connection, caller: Caller, owner: str, grantee: str | None, species: list[str] | None = None,
            exact_locations: bool = False, valid_from: datetime | None = None, valid_until: datetime | None = None,
            embargo_until: datetime | None = None, note: str | None = None, replaces: int | None = None) -> dict:
    """Propose an agreement (or a change of agreement `replaces`); sharing with the public takes effect at once.

    The caller must administer the owner or the grantee. Returns {"proposal": id} or {"agreement": id}.
    """
    ids = _partner_ids(conn)
    if owner not in ids:
        raise WebError(f"owner: no partner {owner!r}")
    if grantee is not None and grantee not in ids:
        raise WebError(f"grantee: no partner {grantee!r}")
    owner_id, grantee_id = ids[owner], (ids[grantee] if grantee else None)
    if owner_id == grantee_id:
        raise WebError("grantee: a partner always sees its own data")
    valid_from, valid_until, embargo_until = _naive(valid_from), _naive(valid_until), _naive(embargo_until)
    species = _check_terms(conn, species, exact_locations, grantee_id, valid_from, valid_until)
    if replaces is not None:
        old = conn.execute(select(SharingAgreement).where(SharingAgreement.id == replaces)).mappings().one_or_none()
        if old is None or old["owner_partner_id"] != owner_id or old["grantee_partner_id"] != grantee_id:
            raise WebError(f"agreement {replaces}: not an agreement between {owner} and {grantee or 'the public'}",
                           status=404)
        if old["valid_until"] is not None and old["valid_until"] <= now_utc():
            raise WebError(f"agreement {replaces}: already ended; propose a new one", status=409)
    terms = dict(owner_partner_id=owner_id, grantee_partner_id=grantee_id, species=species,
                 exact_locations=bool(exact_locations), valid_from=valid_from, valid_until=valid_until,
                 embargo_until=embargo_until, note=note, replaces_id=replaces)
    details = {"species": species, "exactLocations": bool(exact_locations),
               "from": valid_from.isoformat() if valid_from else None,
               "until": valid_until.isoformat() if valid_until else None,
               "embargoUntil": embargo_until.isoformat() if embargo_until else None, "note": note}
    if grantee_id is None:
        if not caller.has_role(owner_id, "administrator"):
            raise WebError(f"owner: you do not administer partner {owner!r}", status=403)
        agreement = _make_agreement(conn, caller, terms)
        _log(conn, caller, "changed" if replaces else "shared", owner_id, None, agreement, None, details)
        return {"agreement": agreement}
    if caller.has_role(owner_id, "administrator"):
        side = owner_id
    elif caller.has_role(grantee_id, "administrator"):
        side = grantee_id
    else:
        raise WebError(f"you administer neither {owner!r} nor {grantee!r}", status=403)
    pid = conn.execute(SharingProposal.__table__.insert().values(
        **terms, proposed_by_partner_id=side, proposed_by=_who(caller), proposed_at=now_utc(), status="open")
    ).inserted_primary_key[0]
    _log(conn, caller, "proposed", owner_id, grantee_id, replaces, pid, details)
    return {"proposal": pid}


def _make_agreement(conn: Connection, caller: Caller, terms: dict) -> int:
    now = now_utc()
    start = terms.get("valid_from") or now
    if terms.get("replaces_id"):
        # The old terms hold until the new ones begin: no gap and no overlap in who sees what.
        conn.execute(update(SharingAgreement).where(SharingAgreement.id == terms["replaces_id"])
                     .values(valid_until=max(start, now)))
    return conn.execute(SharingAgreement.__table__.insert().values(**terms, created_at=now)).inserted_primary_key[0]


def _open_proposal(conn: Connection, proposal_id: int) -> dict:
    row = conn.execute(select(SharingProposal).where(SharingProposal.id == proposal_id)).mappings().one_or_none()
    if row is None:
        raise WebError(f"proposal {proposal_id}: no such proposal", status=404)
    if row["status"] != "open":
        raise WebError(f"proposal {proposal_id}: already {row['status']}", status=409)
    return dict(row)


def accept(conn: Connection, caller: Caller, proposal_id: int) -> dict:
    """Accept a proposal of the other side (administrators of the side that did not propose); returns the agreement."""
    p = _open_proposal(conn, proposal_id)
    other = p["grantee_partner_id"] if p["proposed_by_partner_id"] == p["owner_partner_id"] else p["owner_partner_id"]
    if not caller.has_role(other, "administrator"):
        if caller.has_role(p["proposed_by_partner_id"], "administrator"):
            raise WebError(f"proposal {proposal_id}: the other side must accept it", status=403)
        raise WebError(f"proposal {proposal_id}: not found among yours", status=404)
    if p["replaces_id"] is not None:
        old_until = conn.execute(select(SharingAgreement.valid_until)
                                 .where(SharingAgreement.id == p["replaces_id"])).scalar_one_or_none()
        if old_until is not None and old_until <= now_utc():
            raise WebError(f"proposal {proposal_id}: the agreement it changes has ended meanwhile", status=409)
    terms = {k: p[k] for k in ("owner_partner_id", "grantee_partner_id", "species", "exact_locations", "valid_from",
                               "valid_until", "embargo_until", "note", "replaces_id")}
    agreement = _make_agreement(conn, caller, terms)
    conn.execute(update(SharingProposal).where(SharingProposal.id == proposal_id).values(
        status="accepted", decided_by=_who(caller), decided_at=now_utc(), agreement_id=agreement))
    _log(conn, caller, "accepted", p["owner_partner_id"], p["grantee_partner_id"], agreement, proposal_id)
    return {"agreement": agreement}


def decline(conn: Connection, caller: Caller, proposal_id: int, withdraw: bool = False) -> dict:
    """Decline the other side's proposal, or withdraw one's own (`withdraw`)."""
    p = _open_proposal(conn, proposal_id)
    mine = caller.has_role(p["proposed_by_partner_id"], "administrator")
    other = p["grantee_partner_id"] if p["proposed_by_partner_id"] == p["owner_partner_id"] else p["owner_partner_id"]
    if (withdraw and not mine) or (not withdraw and not caller.has_role(other, "administrator")):
        raise WebError(f"proposal {proposal_id}: not found among those you may {'withdraw' if withdraw else 'decline'}",
                       status=404 if not (mine or caller.has_role(other, "administrator")) else 403)
    status = "withdrawn" if withdraw else "declined"
    conn.execute(update(SharingProposal).where(SharingProposal.id == proposal_id).values(
        status=status, decided_by=_who(caller), decided_at=now_utc()))
    _log(conn, caller, status, p["owner_partner_id"], p["grantee_partner_id"], p["replaces_id"], proposal_id)
    return {"proposal": proposal_id, "status": status}


def end(conn: Connection, caller: Caller, agreement_id: int, note: str | None = None) -> dict:
    """End an agreement now (administrators of either side): from this moment the grantee sees no more of it."""
    a = conn.execute(select(SharingAgreement).where(SharingAgreement.id == agreement_id)).mappings().one_or_none()
    sides = [] if a is None else [a["owner_partner_id"], a["grantee_partner_id"]]
    if a is None or not any(s is not None and caller.has_role(s, "administrator") for s in sides):
        raise WebError(f"agreement {agreement_id}: not found among those you administer", status=404)
    now = now_utc()
    if a["valid_until"] is not None and a["valid_until"] <= now:
        raise WebError(f"agreement {agreement_id}: already ended", status=409)
    conn.execute(update(SharingAgreement).where(SharingAgreement.id == agreement_id).values(valid_until=now))
    # Open proposals to change it lapse with it.
    conn.execute(update(SharingProposal).where(SharingProposal.replaces_id == agreement_id,
                                               SharingProposal.status == "open")
                 .values(status="withdrawn", decided_by=_who(caller), decided_at=now))
    _log(conn, caller, "ended", a["owner_partner_id"], a["grantee_partner_id"], agreement_id, None,
         {"note": note} if note else None)
    return {"agreement": agreement_id, "endedAt": now.isoformat()}


def _state(a: dict, now: datetime) -> str:
    if a["valid_until"] is not None and a["valid_until"] <= now:
        return "ended"
    if a["valid_from"] is not None and a["valid_from"] > now:
        return "scheduled"
    if a["embargo_until"] is not None and a["embargo_until"] > now:
        return "embargo"
    return "in force"


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def overview(conn: Connection, caller: Caller) -> dict:
    """Agreements, open proposals and history involving the caller's partners (everything public for admins too).

    Each agreement says its state (in force, scheduled, embargo, ended) and what the caller may do with it.
    """
    mine = list(caller.roles)
    codes = dict(conn.execute(select(Partner.id, Partner.code)).all())
    now = now_utc()
    involves = lambda t: or_(t.owner_partner_id.in_(mine), t.grantee_partner_id.in_(mine))  # noqa: E731
    admin = {p for p in mine if caller.has_role(p, "administrator")}
    agreements = []
    for a in conn.execute(select(SharingAgreement).where(involves(SharingAgreement))
                          .order_by(SharingAgreement.id.desc())).mappings():
        state = _state(a, now)
        agreements.append({
            "id": a["id"], "owner": codes.get(a["owner_partner_id"]),
            "grantee": codes.get(a["grantee_partner_id"]) if a["grantee_partner_id"] else None,
            "species": a["species"], "exactLocations": bool(a["exact_locations"]),
            "validFrom": _iso(a["valid_from"]), "validUntil": _iso(a["valid_until"]),
            "embargoUntil": _iso(a["embargo_until"]), "note": a["note"], "createdAt": _iso(a["created_at"]),
            "replaces": a["replaces_id"], "state": state,
            "canEnd": state != "ended" and bool({a["owner_partner_id"], a["grantee_partner_id"]} & admin)})
    proposals = []
    for p in conn.execute(select(SharingProposal).where(involves(SharingProposal))
                          .order_by(SharingProposal.id.desc())).mappings():
        other = (p["grantee_partner_id"] if p["proposed_by_partner_id"] == p["owner_partner_id"]
                 else p["owner_partner_id"])
        proposals.append({
            "id": p["id"], "owner": codes.get(p["owner_partner_id"]), "grantee": codes.get(p["grantee_partner_id"]),
            "species": p["species"], "exactLocations": bool(p["exact_locations"]),
            "validFrom": _iso(p["valid_from"]), "validUntil": _iso(p["valid_until"]),
            "embargoUntil": _iso(p["embargo_until"]), "note": p["note"], "replaces": p["replaces_id"],
            "proposedBy": p["proposed_by"], "proposedByPartner": codes.get(p["proposed_by_partner_id"]),
            "proposedAt": _iso(p["proposed_at"]), "status": p["status"], "decidedBy": p["decided_by"],
            "decidedAt": _iso(p["decided_at"]), "agreement": p["agreement_id"],
            "canAccept": p["status"] == "open" and other in admin,
            "canWithdraw": p["status"] == "open" and p["proposed_by_partner_id"] in admin})
    history = [{"at": _iso(e["at"]), "who": e["username"], "action": e["action"],
                "owner": codes.get(e["owner_partner_id"]), "grantee": codes.get(e["grantee_partner_id"]),
                "agreement": e["agreement_id"], "proposal": e["proposal_id"], "details": e["details"]}
               for e in conn.execute(select(SharingEvent).where(involves(SharingEvent))
                                     .order_by(SharingEvent.id.desc()).limit(500)).mappings()]
    return {"agreements": agreements, "proposals": proposals, "history": history,
            "partners": sorted(codes.values()), "mine": sorted(codes[p] for p in admin if p in codes)}


def record(conn: Connection, owner: str, grantee: str | None, species: list[str] | None = None,
           exact_locations: bool = False, note: str | None = None, who: str = "server") -> int:
    """Record an agreement both sides have already signed (the server's operator, the demo); idempotent.

    An identical agreement in force is kept and its id returned, so re-running a setup adds nothing.
    """
    ids = _partner_ids(conn)
    missing = [c for c in (owner, grantee) if c is not None and c not in ids]
    if missing:
        raise WebError(f"no partner {missing[0]!r}")
    owner_id, grantee_id = ids[owner], (ids[grantee] if grantee else None)
    species = _check_terms(conn, species, exact_locations, grantee_id, None, None)
    now = now_utc()
    same = conn.execute(select(SharingAgreement.id, SharingAgreement.species).where(
        SharingAgreement.owner_partner_id == owner_id,
        SharingAgreement.grantee_partner_id.is_(None) if grantee_id is None
        else SharingAgreement.grantee_partner_id == grantee_id,
        SharingAgreement.exact_locations.is_(bool(exact_locations)), SharingAgreement.embargo_until.is_(None),
        or_(SharingAgreement.valid_until.is_(None), SharingAgreement.valid_until > now))).all()
    for agreement_id, sp in same:
        if (sorted(sp) if sp else None) == species:
            return agreement_id
    agreement = conn.execute(SharingAgreement.__table__.insert().values(
        owner_partner_id=owner_id, grantee_partner_id=grantee_id, species=species,
        exact_locations=bool(exact_locations), note=note, created_at=now)).inserted_primary_key[0]
    conn.execute(SharingEvent.__table__.insert().values(
        at=now, username=who, action="shared", owner_partner_id=owner_id, grantee_partner_id=grantee_id,
        agreement_id=agreement, details={"species": species, "exactLocations": bool(exact_locations), "note": note}))
    return agreement
