"""The one place that decides what a caller sees: which partners' rows, which species, at which precision.

Rules:
- members of a partner see all of its data, with exact locations;
- a sharing agreement lets a grantee partner (or the public, when it names no grantee) see the owner's data,
  for all species or a list, with exact locations of sensitive species only if it says so;
- a location is sensitive when a species sensitive in its project was ever recorded there (the shipped list's
  `species.sensitive`, overridden per partner or project: `store.species.sensitive_sql`), so that even a
  fox photographed at a tiger's station does not give the station away;
- sensitive locations are generalised to the centre of a 10 km equal-area cell for everyone not entitled, and
  the public is never entitled, whatever an agreement says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Connection, and_, false, func, or_, select, true

from bigcats.geo.privacy import DEFAULT_CELL_KM, Precision, generalise
from bigcats.store.models import Deployment, IntakeBatch, Observation, Project, Species
from bigcats.store.species import sensitive_sql, sensitivity_version
from bigcats.store.models_access import Membership, SharingAgreement
from bigcats.web.security import now_utc

ROLE_RANK = {"viewer": 1, "editor": 2, "administrator": 3}


@dataclass(frozen=True)
class Caller:
    """Who is asking: a signed-in user with roles per partner id, or the public (user_id None)."""

    user_id: int | None = None
    username: str | None = None
    roles: dict[int, str] = field(default_factory=dict)

    @property
    def is_public(self) -> bool:
        """True for anyone not signed in."""
        return self.user_id is None

    def has_role(self, partner_id: int, role: str) -> bool:
        """Whether the caller holds at least this role in the partner."""
        return ROLE_RANK.get(self.roles.get(partner_id, ""), 0) >= ROLE_RANK[role]

    def is_admin(self) -> bool:
        """Whether the caller administers at least one partner."""
        return any(r == "administrator" for r in self.roles.values())


PUBLIC = Caller()


@dataclass(frozen=True)
class Access:
    """What a caller may see of one partner's data."""

    species: frozenset[int] | None  # species ids; None = every species
    exact: bool
    embargo_from: datetime | None = None  # some observations from this time on are embargoed; None = none
    # Each agreement's (species, embargo start) when an embargo makes them differ: a row is visible if any
    # agreement shows it. Empty when `species` and `embargo_from` say it all.
    parts: tuple = ()


@dataclass(frozen=True)
class Scope:
    """A caller's view of the store: access per partner id; partners absent are invisible."""

    caller: Caller
    partners: dict[int, Access]

    def partner_ids(self) -> list[int]:
        """Ids of the partners of which something is visible."""
        return sorted(self.partners)

    def exact_partner_ids(self) -> list[int]:
        """Ids of the partners whose sensitive locations the caller may see exactly."""
        return sorted(p for p, a in self.partners.items() if a.exact)

    def sees_partner(self, partner_id: int) -> bool:
        """Whether anything of this partner is visible."""
        return partner_id in self.partners

    @property
    def has_embargo(self) -> bool:
        """Whether some partner's recent observations are embargoed for this caller (time matters to the filter)."""
        return any(a.embargo_from is not None for a in self.partners.values())


def caller_roles(conn: Connection, user_id: int) -> dict[int, str]:
    """A user's role per partner id."""
    rows = conn.execute(select(Membership.partner_id, Membership.role).where(Membership.user_id == user_id)).all()
    return {p: r for p, r in rows}


def build_scope(conn: Connection, caller: Caller) -> Scope:
    """The partners, species and precision a caller may see, from memberships and current agreements."""
    access: dict[int, Access] = {p: Access(None, True) for p in caller.roles}
    now = now_utc()
    grantee = SharingAgreement.grantee_partner_id.is_(None)
    if caller.roles:
        grantee = or_(grantee, SharingAgreement.grantee_partner_id.in_(list(caller.roles)))
    rows = conn.execute(
        select(SharingAgreement.owner_partner_id, SharingAgreement.grantee_partner_id, SharingAgreement.species,
               SharingAgreement.exact_locations, SharingAgreement.embargo_until, SharingAgreement.valid_from,
               SharingAgreement.created_at)
        .where(grantee, or_(SharingAgreement.valid_from.is_(None), SharingAgreement.valid_from <= now),
               or_(SharingAgreement.valid_until.is_(None), SharingAgreement.valid_until > now))).all()
    names = {n for r in rows for n in (r.species or [])}
    ids = dict(conn.execute(select(Species.scientific_name, Species.id)
                            .where(Species.scientific_name.in_(names))).all()) if names else {}
    for owner, grantee_id, species, exact, embargo_until, valid_from, created_at in rows:
        if owner in caller.roles:
            continue
        granted = None if not species else frozenset(ids[n] for n in species if n in ids)
        # Exact locations go only to a named partner's members, never to the public.
        exact_here = bool(exact) and grantee_id is not None and not caller.is_public
        # Under embargo, what was recorded since the agreement began stays with the owner until the date.
        cutoff = (valid_from or created_at) if embargo_until is not None and embargo_until > now else None
        old = access.get(owner)
        if old is None:
            access[owner] = Access(granted, exact_here, cutoff, ((granted, cutoff),))
        else:
            merged = None if old.species is None or granted is None else old.species | granted
            parts = old.parts + ((granted, cutoff),)
            embargo = max((c for _, c in parts if c is not None), default=None)
            access[owner] = Access(merged, old.exact or exact_here, embargo, parts)
    return Scope(caller, access)


def row_filter(scope: Scope, partner_col, species_col, time_col=None) -> ColumnElement[bool]:
    """SQL condition keeping only rows (observations) the scope may see; time_col applies embargoes.

    Without a time column, a partner under embargo shows nothing at all (never more than allowed).
    """
    if not scope.partners:
        return false()
    everything = [p for p, a in scope.partners.items() if a.species is None and a.embargo_from is None]
    parts = [partner_col.in_(everything)] if everything else []
    for p, a in scope.partners.items():
        if a.species is None and a.embargo_from is None:
            continue
        if a.embargo_from is None:
            parts.append(and_(partner_col == p, species_col.in_(sorted(a.species)) if a.species else false()))
            continue
        # Under an embargo each agreement counts on its own: a row shows if any agreement shows it.
        either = []
        for species, cutoff in a.parts:
            cond = []
            if species is not None:
                cond.append(species_col.in_(sorted(species)) if species else false())
            if cutoff is not None:
                cond.append(time_col < cutoff if time_col is not None else false())
            either.append(and_(true(), *cond))
        parts.append(and_(partner_col == p, or_(*either)))
    return or_(*parts) if parts else false()


def partner_filter(scope: Scope, partner_col) -> ColumnElement[bool]:
    """SQL condition keeping only rows of visible partners (stations, deployments)."""
    return partner_col.in_(scope.partner_ids()) if scope.partners else false()


class SensitiveStations:
    """Ids of stations where a sensitive species was recorded, cached until the next import anywhere."""

    def __init__(self) -> None:
        self._key: object = None
        self._ids: frozenset[int] = frozenset()

    def get(self, conn: Connection) -> frozenset[int]:
        """The current set, recomputed when an import (intake batch) has happened since the last look."""
        key = (*conn.execute(select(func.max(IntakeBatch.id), func.count(IntakeBatch.id))).one(),
               *sensitivity_version(conn))
        if key != self._key or self._key is None:
            q = (select(Deployment.station_id).distinct()
                 .join(Observation, Observation.deployment_id == Deployment.id)
                 .join(Project, Deployment.project_id == Project.id)
                 .where(Observation.species_id.is_not(None),
                        sensitive_sql(Observation.species_id, Deployment.project_id, Project.partner_id)))
            self._ids = frozenset(conn.execute(q).scalars().all())
            self._key = key
        return self._ids

    def clear(self) -> None:
        """Forget the cached set (after writing observations without an intake batch)."""
        self._key = None


def apply_precision(frame: pd.DataFrame, scope: Scope, sensitive_stations: frozenset[int],
                    station_col: str = "_station_id", partner_col: str = "_partner_id",
                    cell_km: float = DEFAULT_CELL_KM) -> pd.DataFrame:
    """Generalise latitude/longitude of sensitive locations the caller is not entitled to; adds 'precision'.

    The frame must hold latitude, longitude, the station id and the owning partner id; those two id columns are
    dropped from the result so nothing downstream can undo the generalisation.
    """
    out = frame.copy()
    if out.empty:
        out["precision"] = pd.Series(dtype=str)
        return out.drop(columns=[station_col, partner_col], errors="ignore")
    sensitive = out[station_col].isin(list(sensitive_stations)).to_numpy()
    exact_ok = out[partner_col].isin(scope.exact_partner_ids()).to_numpy() & (not scope.caller.is_public)
    hide = sensitive & ~exact_ok
    if hide.any():
        glon, glat = generalise(out.loc[hide, "longitude"].to_numpy(float), out.loc[hide, "latitude"].to_numpy(float),
                                cell_km)
        out["longitude"] = out["longitude"].astype(float)
        out["latitude"] = out["latitude"].astype(float)
        out.loc[hide, "longitude"] = glon
        out.loc[hide, "latitude"] = glat
        if "coordinateUncertainty" in out:
            # The whole cell: half its diagonal, in metres.
            out.loc[hide, "coordinateUncertainty"] = int(cell_km * 1000 * np.sqrt(2) / 2)
    out["precision"] = np.where(hide, Precision.GENERALISED.value, Precision.EXACT.value)
    out["_exact_sensitive"] = sensitive & ~hide
    return out.drop(columns=[station_col, partner_col])


def row_mask(scope: Scope, partner_ids: pd.Series, species_ids: pd.Series) -> np.ndarray:
    """The row filter of `row_filter`, for rows already in memory (the summary cache). Rows carry no times here,
    so a partner under embargo shows nothing (never more than allowed); callers that have the times use SQL."""
    everything = [p for p, a in scope.partners.items() if a.species is None and a.embargo_from is None]
    mask = partner_ids.isin(everything).to_numpy().copy()
    for p, a in scope.partners.items():
        if a.species is not None and a.embargo_from is None:
            mask |= ((partner_ids == p) & species_ids.isin(list(a.species))).to_numpy()
    return mask
