"""What a peer may receive: the sharing agreements its partner holds from this node's partners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import aliased

from bigcats.core.clock import utcnow
from bigcats.geo.privacy import DEFAULT_CELL_KM
from bigcats.store.models import Partner
from bigcats.store.models_access import SharingAgreement


@dataclass(frozen=True)
class Grant:
    """One owner partner's data the peer may receive: which species (None: all) and whether exact locations."""

    owner: str
    species: frozenset[str] | None = None
    exact_locations: bool = False
    cell_km: float = DEFAULT_CELL_KM


def grants_for(engine: Engine, grantee: str, when: datetime | None = None) -> list[Grant]:
    """The grants in force for a grantee partner, one per owner (several agreements of one owner combine)."""
    when = when or utcnow()
    owner, grantee_p = aliased(Partner), aliased(Partner)
    q = (select(owner.code, SharingAgreement.species, SharingAgreement.exact_locations)
         .join(owner, SharingAgreement.owner_partner_id == owner.id)
         .join(grantee_p, SharingAgreement.grantee_partner_id == grantee_p.id)
         .where(grantee_p.code == grantee,
                or_(SharingAgreement.valid_from.is_(None), SharingAgreement.valid_from <= when),
                or_(SharingAgreement.valid_until.is_(None), SharingAgreement.valid_until >= when),
                # An agreement under embargo sends nothing to the peer until the embargo ends: never more than the
                # web would show (which hides only data recorded after the start; finer exchange is a follow-up).
                or_(SharingAgreement.embargo_until.is_(None), SharingAgreement.embargo_until <= when)))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    merged: dict[str, Grant] = {}
    for code, species, exact in rows:  # a handful of agreements, not records
        sp = frozenset(species) if species else None
        old = merged.get(code)
        if old is not None:
            sp = None if old.species is None or sp is None else old.species | sp
            exact = exact and old.exact_locations  # exact only if every agreement of the owner says so
        merged[code] = Grant(code, sp, bool(exact))
    return list(merged.values())
