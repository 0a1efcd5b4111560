"""Species in the store: add any taxon with its names, list them, and decide which are sensitive where.

Sensitivity is decided in three layers, the most specific winning: a project's own row in `species_sensitivity`,
then the partner's row (all its projects), then `species.sensitive` (the shipped list's default, or what `species
add --sensitive` set). `sensitive_sql` is that rule as one SQL expression, so the web's visibility, downloads and
exchange ask the same question the same way.
"""

from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Engine, and_, func, select, true

from bigcats.core.clock import utcnow
from bigcats.problems import DataError, Problem
from bigcats.store import load
from bigcats.store.models import Partner, Project, Species
from bigcats.store.models_partner import SpeciesSensitivity

LANGUAGES = ("en", "ru", "zh", "mn")
# A binomial or trinomial (Genus species [subspecies]), or a higher taxon (one capitalised word).
_NAME = re.compile(r"^[A-Z][a-z-]+( [a-z-]+){0,2}$")


class SpeciesError(DataError):
    """A species or a sensitivity setting was refused (bad name, unknown partner or project)."""


def _check_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not _NAME.match(name):
        raise SpeciesError([Problem("bad-scientific-name", "a scientific name is 'Genus species' (optionally a "
                                    "subspecies or one higher-taxon word), e.g. 'Panthera onca'",
                                    field="scientificName", value=name)], "species")
    return name


def add_species(engine: Engine, scientific_name: str, names: dict[str, str] | None = None,
                sensitive: bool | None = None, rank: str | None = None, group: str | None = None) -> dict:
    """Add a taxon (or update the names, rank, group and default sensitivity of one already there).

    Names are given per language (en, ru, zh, mn); a name not given is left as it was. Returns the species row and
    whether it was new.
    """
    name = _check_name(scientific_name)
    names = {k: v for k, v in (names or {}).items() if v}
    bad = set(names) - set(LANGUAGES)
    if bad:
        raise SpeciesError([Problem("bad-language", f"names are given in {', '.join(LANGUAGES)}", field="names",
                                    value=", ".join(sorted(bad)))], "species")
    with engine.begin() as conn:
        sid = conn.execute(select(Species.id).where(Species.scientific_name == name)).scalar_one_or_none()
        new = sid is None
        if new:
            sid = load.ensure_species(conn, [name])[name]
        values = {f"name_{k}": v for k, v in names.items()}
        if sensitive is not None:
            values["sensitive"] = bool(sensitive)
        if rank:
            values["rank"] = rank
        elif new and len(name.split()) > 1:
            values["rank"] = "subspecies" if len(name.split()) == 3 else "species"
        if group:
            values["group"] = group
        if values:
            conn.execute(Species.__table__.update().where(Species.id == sid).values(**values))
        row = conn.execute(select(Species).where(Species.id == sid)).mappings().one()
    return {"id": sid, "new": new, **_species_dict(row)}


def _species_dict(row) -> dict:
    return {"scientificName": row["scientific_name"], "rank": row["rank"], "group": row["group"],
            "sensitive": bool(row["sensitive"]), **{k: row[f"name_{k}"] for k in LANGUAGES}}


def list_species(engine: Engine, partner: str | None = None, project: str | None = None) -> pd.DataFrame:
    """Every species with its names and whether it is sensitive (for a partner and project, when given)."""
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(select(Species).order_by(Species.scientific_name)).mappings().all())
        out = pd.DataFrame([_species_dict(r) for r in rows.to_dict("records")]) if not rows.empty else pd.DataFrame(
            columns=["scientificName", "rank", "group", "sensitive", *LANGUAGES])
        if partner and not rows.empty:
            partner_id, project_id = _ids(conn, partner, project)
            decided = sensitivity_table(conn, partner_id, project_id)
            out["sensitive"] = [decided.get(i, s) for i, s in zip(rows["id"], out["sensitive"], strict=True)]
    return out


def _ids(conn: Connection, partner: str, project: str | None) -> tuple[int, int | None]:
    pid = conn.execute(select(Partner.id).where(Partner.code == partner)).scalar_one_or_none()
    if pid is None:
        raise SpeciesError([Problem("unknown-partner", "no such partner", field="partner", value=partner)],
                           "sensitivity")
    if project is None:
        return pid, None
    prj = conn.execute(select(Project.id).where(Project.partner_id == pid, Project.code == project)
                       ).scalar_one_or_none()
    if prj is None:
        raise SpeciesError([Problem("unknown-project", f"partner {partner} has no such project", field="project",
                                    value=project)], "sensitivity")
    return pid, prj


def sensitivity_table(conn: Connection, partner_id: int, project_id: int | None = None) -> dict[int, bool]:
    """The overrides in force for a partner (and project): species id -> sensitive; the project's rows win."""
    rows = conn.execute(select(SpeciesSensitivity.species_id, SpeciesSensitivity.project_id,
                               SpeciesSensitivity.sensitive)
                        .where(SpeciesSensitivity.partner_id == partner_id)).all()
    out = {s: v for s, p, v in rows if p is None}
    out.update({s: v for s, p, v in rows if p is not None and p == project_id})
    return out


def set_sensitive(engine: Engine, scientific_name: str, partner: str, sensitive: bool = True,
                  project: str | None = None) -> dict:
    """Declare a species sensitive (or not) for a partner's projects, or for one project; the taxon is added if new."""
    name = _check_name(scientific_name)
    with engine.begin() as conn:
        partner_id, project_id = _ids(conn, partner, project)
        sid = load.ensure_species(conn, [name])[name]
        table = SpeciesSensitivity.__table__
        cond = and_(table.c.species_id == sid, table.c.partner_id == partner_id,
                    table.c.project_id == project_id if project_id is not None else table.c.project_id.is_(None))
        now = utcnow()
        if conn.execute(select(table.c.id).where(cond)).first():
            conn.execute(table.update().where(cond).values(sensitive=bool(sensitive), updated=now))
        else:
            conn.execute(table.insert().values(species_id=sid, partner_id=partner_id, project_id=project_id,
                                               sensitive=bool(sensitive), updated=now))
    return {"scientificName": name, "partner": partner, "project": project, "sensitive": bool(sensitive)}


def sensitive_sql(species_id, project_id, partner_id) -> ColumnElement[bool]:
    """SQL: is this species sensitive in this project of this partner? (project row, else partner row, else default)

    The arguments are columns of the caller's query (e.g. Observation.species_id, Deployment.project_id,
    Project.partner_id).
    """
    s = SpeciesSensitivity
    by_project = (select(s.sensitive).where(s.species_id == species_id, s.project_id == project_id)
                  .limit(1).scalar_subquery())
    by_partner = (select(s.sensitive).where(s.species_id == species_id, s.partner_id == partner_id,
                                            s.project_id.is_(None)).limit(1).scalar_subquery())
    default = select(Species.sensitive).where(Species.id == species_id).limit(1).scalar_subquery()
    return func.coalesce(by_project, by_partner, default).is_(true())


def sensitivity_version(conn: Connection) -> tuple:
    """Changes whenever a sensitivity is set, so caches of sensitive stations know to recompute."""
    rows = tuple(conn.execute(select(func.max(SpeciesSensitivity.updated), func.count(SpeciesSensitivity.id))).one())
    shipped = tuple(conn.execute(select(Species.id).where(Species.sensitive.is_(true())).order_by(Species.id)
                                 ).scalars())
    return rows + shipped


__all__ = ["LANGUAGES", "SpeciesError", "add_species", "list_species", "sensitive_sql", "sensitivity_table",
           "sensitivity_version", "set_sensitive"]
