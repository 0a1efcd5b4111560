"""Turn partners' species labels (any language, codes, typos) into scientific names, listing what does not match."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from bigcats.errors import BigcatsError
from bigcats.problems import Problem
from bigcats.taxonomy.species import LANGUAGES, _species

LABELS_CSV = Path(__file__).with_name("labels.csv")
ANY_PARTNER = "*"


class TaxonomyError(BigcatsError):
    """A label map cannot be used: names the file, row and what is wrong."""


def normalise(label: str) -> str:
    """Comparison key of a label: case, accents, ё/е, punctuation and spacing do not matter."""
    text = unicodedata.normalize("NFKC", str(label)).casefold().replace("ё", "е")
    text = re.sub(r"[\s_\-.,;:/|()\"']+", " ", text).strip()
    return text


def _sorted_words(key: str) -> str:
    # "Тигр амурский" and "амурский тигр" are the same name; word order differs between partners.
    return " ".join(sorted(key.split()))


@lru_cache(maxsize=1)
def _shipped_labels() -> pd.DataFrame:
    return pd.read_csv(LABELS_CSV, dtype=str, keep_default_na=False, encoding="utf-8")


def read_label_map(path: str | Path) -> pd.DataFrame:
    """Read a user label map (CSV: label, scientificName and optional partner), checking every target name."""
    from bigcats.core.tables import read_table

    df = read_table(path)
    missing = {"label", "scientificName"} - set(df.columns)
    if missing:
        raise TaxonomyError(f"{path}: label map needs columns label and scientificName; missing {sorted(missing)}")
    if "partner" not in df.columns:
        df["partner"] = ANY_PARTNER
    known = set(_species()["scientificName"])
    bad = df[~df["scientificName"].isin(known)]
    if len(bad):
        rows = ", ".join(f"row {i + 2}: {v!r}" for i, v in zip(bad.index, bad["scientificName"]))
        raise TaxonomyError(f"{path}: scientificName not in the species list ({rows}); "
                            "add the taxon to the species table first or fix the spelling")
    return df[["partner", "label", "scientificName"]].fillna({"partner": ANY_PARTNER})


def _candidate_table(partner: str | None, user_map: pd.DataFrame | None) -> pd.DataFrame:
    """Every (key, scientificName, source) pair, highest precedence first."""
    sp = _species()
    parts = []
    if user_map is not None and len(user_map):
        um = user_map.copy()
        if "partner" not in um.columns:
            um["partner"] = ANY_PARTNER
        um = um[um["partner"].isin([ANY_PARTNER, partner])]
        parts.append(pd.DataFrame({"label": um["label"], "scientificName": um["scientificName"],
                                   "source": "user map"}))
    shipped = _shipped_labels()
    if partner:
        own = shipped[shipped["partner"].eq(partner)]
        parts.append(pd.DataFrame({"label": own["label"], "scientificName": own["scientificName"],
                                   "source": f"{partner} label map"}))
    parts.append(pd.DataFrame({"label": sp["scientificName"], "scientificName": sp["scientificName"],
                               "source": "scientific name"}))
    common = shipped[shipped["partner"].eq(ANY_PARTNER)]
    parts.append(pd.DataFrame({"label": common["label"], "scientificName": common["scientificName"],
                               "source": "shipped label map"}))
    for lang in LANGUAGES:
        named = sp[sp[lang].ne("")]
        parts.append(pd.DataFrame({"label": named[lang], "scientificName": named["scientificName"],
                                   "source": f"{lang} name"}))
    table = pd.concat(parts, ignore_index=True)
    table["key"] = table["label"].map(normalise)
    table["sorted_key"] = table["key"].map(_sorted_words)
    return table


@dataclass
class LabelResolution:
    """Labels matched to scientific names, and those that matched nothing, with the closest suggestions."""

    mapping: pd.DataFrame  # label, scientificName, source
    unmatched: pd.DataFrame  # label, suggestions (list of 'label → scientificName')

    def as_dict(self) -> dict[str, str]:
        """The mapping as {label: scientificName}."""
        return dict(zip(self.mapping["label"], self.mapping["scientificName"]))

    def problems(self, file: str | None = None, field: str | None = None) -> list[Problem]:
        """One 'unknown-label' problem per unmatched label, naming the suggestions."""
        return [
            Problem("unknown-label",
                    "species label matches nothing in the species list"
                    + (f"; closest: {', '.join(s)}" if s else "; no close match")
                    + "; add it to a label map (label,scientificName) and re-run",
                    file=file, field=field, value=str(lab))
            for lab, s in zip(self.unmatched["label"], self.unmatched["suggestions"])
        ]


def resolve_labels(labels, partner: str | None = None, user_map: pd.DataFrame | None = None,
                   n_suggestions: int = 3) -> LabelResolution:
    """Map labels to scientific names (user map, partner map, scientific, shipped, vernacular, in that order)."""
    uniq = pd.Series(pd.unique(pd.Series(list(labels), dtype="object").dropna()), dtype="object")
    uniq = uniq[uniq.astype(str).str.strip().ne("")]
    table = _candidate_table(partner, user_map)
    # First occurrence wins: the table is ordered by precedence.
    by_key = table.drop_duplicates("key").set_index("key")
    by_sorted = table.drop_duplicates("sorted_key").set_index("sorted_key")
    keys = uniq.map(normalise)
    hit = keys.map(by_key["scientificName"])
    src = keys.map(by_key["source"])
    sorted_keys = keys.map(_sorted_words)
    fallback = hit.isna()
    hit = hit.where(~fallback, sorted_keys.map(by_sorted["scientificName"]))
    src = src.where(~fallback, sorted_keys.map(by_sorted["source"]))
    ok = hit.notna()
    mapping = pd.DataFrame({"label": uniq[ok].values, "scientificName": hit[ok].values, "source": src[ok].values})
    unmatched_labels = uniq[~ok]
    all_keys = list(by_key.index)
    suggestions = [
        [f"{by_key.at[k, 'label']} → {by_key.at[k, 'scientificName']}"
         for k in difflib.get_close_matches(normalise(lab), all_keys, n=n_suggestions, cutoff=0.5)]
        for lab in unmatched_labels
    ]
    unmatched = pd.DataFrame({"label": unmatched_labels.values, "suggestions": pd.Series(suggestions, dtype=object)})
    return LabelResolution(mapping=mapping, unmatched=unmatched)
