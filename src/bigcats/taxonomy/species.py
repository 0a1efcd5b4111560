"""The shipped species list of the region: scientific names, groups and names in four languages."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

SPECIES_CSV = Path(__file__).with_name("species.csv")
LANGUAGES = ("en", "ru", "zh", "mn")
# Rows that are not taxa but Camtrap DP observation types (vehicle, blank, unknown): no scientificName is stored.
PSEUDO_RANK = "observationType"
GROUP_TO_TYPE = {
    "bigcat": "animal", "prey": "animal", "carnivore": "animal", "other": "animal", "domestic": "animal",
    "human": "human", "vehicle": "vehicle",
}


@lru_cache(maxsize=1)
def _species() -> pd.DataFrame:
    df = pd.read_csv(SPECIES_CSV, dtype=str, keep_default_na=False, encoding="utf-8")
    df["sensitive"] = df["sensitive"].str.lower().eq("true")
    return df


def species_table() -> pd.DataFrame:
    """The shipped species table (scientificName, rank, group, sensitive, en, ru, zh, mn), one row per taxon."""
    return _species().copy()


def observation_type(scientific_names: pd.Series) -> pd.DataFrame:
    """Split resolved names into Camtrap DP (scientificName, observationType): pseudo-taxa carry no name."""
    table = _species().set_index("scientificName")
    names = pd.Series(scientific_names, dtype="string")
    rank = names.map(table["rank"])
    group = names.map(table["group"])
    pseudo = rank.eq(PSEUDO_RANK).fillna(False)
    otype = group.map(GROUP_TO_TYPE).fillna("animal")
    # blank / unknown / vehicle rows name the observation type itself.
    otype = otype.where(~pseudo, names.where(names.ne("vehicle"), "vehicle"))
    otype = otype.where(names.notna(), "unclassified")
    return pd.DataFrame({
        "scientificName": names.where(~pseudo),
        "observationType": otype.astype("string"),
    })


def sensitive_names() -> frozenset[str]:
    """Scientific names whose locations must be generalised in public outputs (the three big cats)."""
    df = _species()
    return frozenset(df.loc[df["sensitive"], "scientificName"])
