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

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

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
        self._entry: tuple | None = None  # (version key, ids): one object, so threads never see half an update

    def get(self, conn: Connection) -> frozenset[int]:
        """The current set, recomputed when an import (intake batch) has happened since the last look."""
        key = (*conn.execute(select(func.max(IntakeBatch.id), func.count(IntakeBatch.id))).one(),
               *sensitivity_version(conn))
        return self.get_at(conn, key)

    def get_at(self, conn: Connection, key: tuple) -> frozenset[int]:
        """The set for a version key the caller has read (the request context's data and access versions)."""
        entry = self._entry
        if entry is not None and entry[0] == key:
            return entry[1]
        q = (select(Deployment.station_id).distinct()
             .join(Observation, Observation.deployment_id == Deployment.id)
             .join(Project, Deployment.project_id == Project.id)
             .where(Observation.species_id.is_not(None),
                    sensitive_sql(Observation.species_id, Deployment.project_id, Project.partner_id)))
        ids = frozenset(conn.execute(q).scalars().all())
        self._entry = (key, ids)
        return ids

    def clear(self) -> None:
        """Forget the cached set (after writing observations without an intake batch)."""
        self._entry = None


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


# --- Packages that leave the server: exchange packages, downloads, Darwin Core, reports -------------------------

# Free-text fields that can carry a place, per table: emptied for generalised stations (comments and names are
# written by people, who put coordinates in them).
_EMPTIED = {
    "deployments": ("locationName", "deploymentComments"),
    "media": ("mediaComments",),
    "observations": ("observationComments",),
}
# EXIF keys that carry no position; everything else of a generalised station's photos is dropped.
_EXIF_KEPT = ("bigcats:sha256",)
_NUMBER = re.compile(r"-?\d{1,3}[.,]\d{2,}")
_DMS = re.compile(r"(\d{1,3})\s*[°º:\s]\s*(\d{1,2})\s*['′:\s]\s*(\d{1,2}(?:[.,]\d+)?)\s*(?:[\"″]|'')?")
NEAR_DEG = 0.01  # a number this close to a hidden station's latitude or longitude is taken for it (~1 km)


def _near(value: float, coords: np.ndarray) -> bool:
    return bool(coords.size) and bool(np.any(np.abs(coords - value) < NEAR_DEG))


def scrub_text(text: str, coords: np.ndarray) -> str:
    """Text with every number (decimal or degrees-minutes-seconds) near one of the given coordinates removed."""
    if not text or not coords.size:
        return text

    def dms(m: re.Match) -> str:
        d, mi, se = float(m.group(1)), float(m.group(2)), float(m.group(3).replace(",", "."))
        return "" if _near(d + mi / 60 + se / 3600, coords) else m.group(0)

    def dec(m: re.Match) -> str:
        return "" if _near(float(m.group(0).replace(",", ".")), coords) else m.group(0)

    return _NUMBER.sub(dec, _DMS.sub(dms, text))


def _exif_kept(text: str) -> str:
    if not text:
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    kept = {k: data[k] for k in _EXIF_KEPT if k in data}
    return json.dumps(kept, ensure_ascii=False) if kept else ""


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)


def _local_file(path: str) -> bool:
    return bool(path) and "://" not in path


def sanitise_package(folder: str | Path, hidden: set[str] | None = None, cell_km: float = DEFAULT_CELL_KM) -> int:
    """Generalise a Camtrap DP package in place before it leaves the server; returns how many deployments.

    The one place that decides what of a generalised station may leave, for every way data leaves (exchange
    packages, downloads, Darwin Core, reports): `hidden` names the deployments (deploymentID) whose station the
    receiver may not see exactly (None: all of them). For those:
    - coordinates snap to the centre of their `cell_km` equal-area cell, with the uncertainty widened to it;
    - the station's name and every comment are emptied, EXIF keeps only the content hash (GPS tags, maker notes
      and everything else are dropped), local file paths become `media/<mediaID>` (server paths say nothing to a
      receiver and can name places), and every other text field of their rows, of outages and of the
      descriptor loses any number near the station's latitude or longitude, in decimal or degrees-minutes-seconds;
    - the descriptor's bounding box is recomputed from the generalised coordinates.
    """
    folder = Path(folder)
    deps_path = folder / "deployments.csv"
    if not deps_path.exists():
        return 0
    deps = _read(deps_path)
    if deps.empty:
        return 0
    hide = deps["deploymentID"].isin(hidden).to_numpy() if hidden is not None else np.ones(len(deps), bool)
    lat = pd.to_numeric(deps["latitude"], errors="coerce").to_numpy(float)
    lon = pd.to_numeric(deps["longitude"], errors="coerce").to_numpy(float)
    coords = np.concatenate([lat[hide], lon[hide]])
    coords = coords[np.isfinite(coords)]
    hidden_ids = set(deps.loc[hide, "deploymentID"])
    if hide.any():
        ok = hide & np.isfinite(lat) & np.isfinite(lon)
        glon, glat = generalise(lon[ok], lat[ok], cell_km)
        deps.loc[ok, "latitude"] = [repr(float(v)) for v in glat]
        deps.loc[ok, "longitude"] = [repr(float(v)) for v in glon]
        if "coordinateUncertainty" in deps:
            deps.loc[hide, "coordinateUncertainty"] = str(int(np.ceil(cell_km * 1000 * np.sqrt(2) / 2)))
        _scrub_rows(deps, hide, "deployments", coords, keep={"deploymentID", "latitude", "longitude",
                                                              "coordinateUncertainty", "deploymentStart",
                                                              "deploymentEnd"})
        deps.to_csv(deps_path, index=False)
        for name in ("media", "observations"):
            path = folder / f"{name}.csv"
            if not path.exists():
                continue
            table = _read(path)
            if table.empty or "deploymentID" not in table:
                continue
            rows = table["deploymentID"].isin(hidden_ids).to_numpy()
            if not rows.any():
                continue
            if name == "media":
                if "exifData" in table:
                    table.loc[rows, "exifData"] = table.loc[rows, "exifData"].map(_exif_kept)
                if "filePath" in table:
                    local = rows & table["filePath"].map(_local_file).to_numpy()
                    table.loc[local, "filePath"] = "media/" + table.loc[local, "mediaID"]
            _scrub_rows(table, rows, name, coords, keep={"deploymentID", "mediaID", "observationID", "timestamp",
                                                        "eventStart", "eventEnd", "exifData"})
            table.to_csv(path, index=False)
        for extra in folder.glob("*.csv"):  # outages, individuals, the partner's own resources
            if extra.stem in ("deployments", "media", "observations"):
                continue
            table = _read(extra)
            if not table.empty:
                _scrub_rows(table, np.ones(len(table), bool), extra.stem, coords, keep=set())
                table.to_csv(extra, index=False)
    desc_path = folder / "datapackage.json"
    if desc_path.exists():
        desc = json.loads(desc_path.read_text(encoding="utf-8"))
        glat = pd.to_numeric(deps["latitude"], errors="coerce")
        glon = pd.to_numeric(deps["longitude"], errors="coerce")
        desc = _scrub_json(desc, coords)
        if glat.notna().any():
            bbox = [float(glon.min()), float(glat.min()), float(glon.max()), float(glat.max())]
            desc["spatial"] = {"type": "Polygon", "bbox": bbox, "coordinates": [[
                [bbox[0], bbox[1]], [bbox[2], bbox[1]], [bbox[2], bbox[3]], [bbox[0], bbox[3]], [bbox[0], bbox[1]]]]}
        desc_path.write_text(json.dumps(desc, ensure_ascii=False, indent=2), encoding="utf-8")
    return int(hide.sum())


def _degree_pattern(coords: np.ndarray) -> str:
    """A regular expression matching the whole degrees of the coordinates (and their neighbours)."""
    whole = {int(np.trunc(c + d)) for c in coords for d in (-NEAR_DEG, 0.0, NEAR_DEG)}
    return r"(?<!\d)(?:" + "|".join(str(abs(w)) for w in sorted(whole)) + r")(?:[.,]\d\d|\s*[°º:\s]\s*\d)"


def _scrub_rows(table: pd.DataFrame, rows: np.ndarray, name: str, coords: np.ndarray, keep: set[str]) -> None:
    for col in _EMPTIED.get(name, ()):
        if col in table:
            table.loc[rows, col] = ""
    if not rows.any() or not coords.size:
        return
    # Vectorised first look: only cells holding a hidden station's whole degrees are scrubbed one by one.
    pattern = _degree_pattern(coords)
    for col in table.columns:
        if col in keep:
            continue
        values = table.loc[rows, col]
        hit = values.str.contains(pattern, regex=True).to_numpy()
        if hit.any():
            idx = values.index[hit]
            table.loc[idx, col] = values[hit].map(lambda v: scrub_text(v, coords))


def _scrub_json(value, coords: np.ndarray):
    """A JSON value with coordinates near the given ones removed from strings and numbers alike."""
    if isinstance(value, dict):
        return {k: _scrub_json(v, coords) for k, v in value.items()}
    if isinstance(value, list):
        out = [_scrub_json(v, coords) for v in value]
        return [v for v in out if v is not None]
    if isinstance(value, str):
        return scrub_text(value, coords)
    if isinstance(value, float) and _near(value, coords):
        return None
    return value


def scrub_frame(frame: pd.DataFrame, rows: np.ndarray, coords: np.ndarray, keep: set[str]) -> pd.DataFrame:
    """A copy of a table whose text cells in `rows` lose numbers near the given coordinates (see `scrub_text`)."""
    out = frame.copy()
    if out.empty or not coords.size or not rows.any():
        return out
    pattern = _degree_pattern(coords)
    for col in out.columns:
        if col in keep or not (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
            continue
        values = out.loc[rows, col]
        text = values.where(values.notna(), "").astype(str)
        hit = text.str.contains(pattern, regex=True).to_numpy(dtype=bool)
        if hit.any():
            out.loc[values.index[hit], col] = text[hit].map(lambda v: scrub_text(v, coords))
    return out
