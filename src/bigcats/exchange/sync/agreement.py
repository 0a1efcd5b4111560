"""What a peer may receive: the sharing agreements its partner holds from this node's partners.

An agreement under embargo sends what the web shows its grantee, never more: the data recorded before the
agreement began (its `valid_from`, else when it was made); what was recorded since stays home until the embargo
date. Several agreements of one owner each count on their own: a row travels if any of them lets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import aliased

from bigcats.core.clock import utcnow
from bigcats.geo.privacy import DEFAULT_CELL_KM
from bigcats.store.models import Partner
from bigcats.store.models_access import SharingAgreement


@dataclass(frozen=True)
class Grant:
    """One owner partner's data the peer may receive: which species (None: all) and whether exact locations.

    `parts` holds each agreement's (species, embargo cut-off): under embargo only rows recorded before the cut-off
    travel. Empty: one agreement of `species`, no embargo. `embargo_ended` is the latest embargo of the owner's
    agreements that has ended (its withheld rows are due to the peer once)."""

    owner: str
    species: frozenset[str] | None = None
    exact_locations: bool = False
    cell_km: float = DEFAULT_CELL_KM
    parts: tuple[tuple[frozenset[str] | None, datetime | None], ...] = ()
    embargo_ended: datetime | None = None

    @property
    def embargo_from(self) -> datetime | None:
        """The latest cut-off of an embargo in force (None: nothing embargoed)."""
        return max((c for _, c in self.parts if c is not None), default=None)

    def visible(self, names: pd.Series, times: pd.Series) -> pd.Series:
        """Which rows (scientific name, "" for rows without one; time, ISO text or datetime) may travel."""
        names = names.fillna("").astype(str)
        when = pd.to_datetime(times, utc=True, errors="coerce", format="ISO8601")
        out = pd.Series(False, index=names.index)
        # Rows without a species (blanks, people) go with a species-limited agreement, except while an embargo
        # is in force: then only an all-species agreement, with its cut-off, lets them go (they date the cameras).
        nameless_ok = self.embargo_from is None
        for species, cutoff in self.parts or ((self.species, None),):
            if species is None:
                ok = pd.Series(True, index=names.index)
            else:
                ok = names.isin(species) | (names.eq("") & nameless_ok)
            if cutoff is not None:
                # A row without a readable time is treated as recorded in the embargo: it stays home.
                ok &= (when < pd.Timestamp(cutoff).tz_localize("UTC")).fillna(False).astype(bool)
            out |= ok
        return out


def grants_for(engine: Engine, grantee: str, when: datetime | None = None) -> list[Grant]:
    """The grants in force for a grantee partner, one per owner (several agreements of one owner combine)."""
    when = when or utcnow()
    owner, grantee_p = aliased(Partner), aliased(Partner)
    q = (select(owner.code, SharingAgreement.species, SharingAgreement.exact_locations,
                SharingAgreement.embargo_until, SharingAgreement.valid_from, SharingAgreement.created_at)
         .join(owner, SharingAgreement.owner_partner_id == owner.id)
         .join(grantee_p, SharingAgreement.grantee_partner_id == grantee_p.id)
         .where(grantee_p.code == grantee,
                or_(SharingAgreement.valid_from.is_(None), SharingAgreement.valid_from <= when),
                or_(SharingAgreement.valid_until.is_(None), SharingAgreement.valid_until >= when))
         .order_by(SharingAgreement.id))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    merged: dict[str, Grant] = {}
    for code, species, exact, embargo_until, valid_from, created_at in rows:  # a handful of agreements
        sp = frozenset(species) if species else None
        under = embargo_until is not None and embargo_until > when
        cutoff = (valid_from or created_at) if under else None
        ended = embargo_until if embargo_until is not None and not under else None
        old = merged.get(code)
        if old is not None:
            parts = old.parts + ((sp, cutoff),)
            sp = None if old.species is None or sp is None else old.species | sp
            exact = exact and old.exact_locations  # exact only if every agreement of the owner says so
            ended = max((e for e in (ended, old.embargo_ended) if e is not None), default=None)
        else:
            parts = ((sp, cutoff),)
        merged[code] = Grant(code, sp, bool(exact), parts=parts, embargo_ended=ended)
    return list(merged.values())
