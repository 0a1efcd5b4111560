"""The one species authority: any name a user types (scientific, English, Russian, Chinese, Mongolian, a short
name like 'tiger' or 'ирбис', a partner's own label) becomes one scientific name, or a refusal with suggestions.

Every `--species` option, the web filters and the reports call `resolve_species`; taxa that users added to the
store (not in the shipped list) are recognised through the `known` table the caller passes.
"""

from __future__ import annotations

import difflib
from typing import Iterable

import pandas as pd

from bigcats.errors import BigcatsError
from bigcats.taxonomy.labels import normalise, resolve_labels
from bigcats.taxonomy.species import LANGUAGES, species_table

NAME_COLUMNS = ("scientificName", *LANGUAGES)


class UnknownSpecies(BigcatsError):
    """A species name that matches nothing; the message lists the closest names."""

    code = "unknown-species"


def _lookup(table: pd.DataFrame, name: str) -> str | None:
    key = normalise(name)
    for col in NAME_COLUMNS:
        if col in table.columns:
            hit = table.loc[table[col].fillna("").astype(str).map(normalise) == key, "scientificName"]
            if len(hit):
                return str(hit.iloc[0])
    return None


def _narrowed(name: str, present: set[str] | None) -> str:
    """A species that is not in the data but has exactly one subspecies there means that subspecies: in this
    region 'tiger' or 'тигр' means the Amur tiger the cameras recorded."""
    if not present or name in present:
        return name
    children = [p for p in present if p.startswith(name + " ")]
    return children[0] if len(children) == 1 else name


def resolve_species(name: str, known: pd.DataFrame | None = None, partner: str | None = None,
                    present: set[str] | None = None) -> str:
    """The scientific name for a species name in any of the four languages, a short name or a partner's label.

    Order: a scientific name the store knows; the shipped list and label maps (names in en/ru/zh/mn, short names,
    partners' labels); names of taxa users added to the store (`known`). With `present` (the taxa recorded in the
    data), a species recorded only as one subspecies resolves to that subspecies. Raises UnknownSpecies with the
    closest names.
    """
    text = (name or "").strip()
    if not text:
        raise UnknownSpecies("species: give a name, e.g. 'Panthera tigris altaica', 'Amur tiger', 'тигр' or '东北虎'")
    have_known = known is not None and not known.empty
    if have_known:
        hit = _lookup(known[["scientificName"]], text)
        if hit:
            return _narrowed(hit, present)
    resolved = resolve_labels([text], partner=partner)
    if len(resolved.mapping):
        return _narrowed(str(resolved.mapping["scientificName"].iloc[0]), present)
    if have_known:
        hit = _lookup(known, text)
        if hit:
            return _narrowed(hit, present)
    choices = list(species_table()["scientificName"]) + list(species_table()["en"])
    if have_known:
        choices += [str(v) for col in NAME_COLUMNS if col in known.columns for v in known[col].dropna()]
    close = difflib.get_close_matches(text, sorted(set(choices)), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownSpecies(f"species: {text!r} matches no species name in any language{hint}",
                         hint="`bigcats labels NAME` shows what a name maps to; `bigcats species add` adds a taxon")


def resolve_many(names: Iterable[str], known: pd.DataFrame | None = None) -> list[str]:
    """Scientific names for several names (see resolve_species), in order, without repeats."""
    out: list[str] = []
    for n in names:
        s = resolve_species(n, known)
        if s not in out:
            out.append(s)
    return out
