"""What each encounter shows: a person's audit of the body regions visible, and which queries a coat can answer.

A matcher that compares coats (or any appearance model that ignores the station's background, as it must) cannot
recognise a cat whose other encounters show no part of the body this one shows: a head photographed at night
against legs photographed by day, the left flank against the right, a box that holds bare ground. On small real
sets such encounters set a ceiling on top-1 that no matcher can pass honestly. An audit table, one row per
(individual, encounter), records what is visible; an encounter is *comparable* when another encounter of the same
individual shares a region with it. Evaluations then report their figures on every encounter and on the
comparable ones, and say how many encounters lie beyond any coat matcher.

The file is CSV with columns `individual`, `encounter`, `regions` (a `;`-separated list from `REGIONS`), and
optionally `light` and `note`. `flank` is a flank whose side could not be told: it is taken to share a region with
either flank, which can only make the ceiling higher (the generous reading).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bigcats.identify.errors import IdentifyError

REGIONS = ("face", "flank-left", "flank-right", "flank", "legs", "tail", "none")
_FLANKS = {"flank-left", "flank-right", "flank"}
MAX_ROWS = 1_000_000  # an audit is written by people: a million rows is a wrong file, not an audit


def read_views(path: str | Path) -> pd.DataFrame:
    """Read an audit table; errors name the file, row and field. Returns individual, encounter, regions (frozenset)."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=MAX_ROWS + 1)
    except FileNotFoundError:
        raise IdentifyError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise IdentifyError(f"{path}: not a readable CSV file ({err})") from None
    if len(raw) > MAX_ROWS:
        raise IdentifyError(f"{path}: more than {MAX_ROWS:,} rows; an audit of encounters is never that long")
    missing = [c for c in ("individual", "encounter", "regions") if c not in raw.columns]
    if missing:
        raise IdentifyError(f"{path}: missing column(s) {', '.join(missing)} (need individual,encounter,regions)")
    regions = []
    for i, rec in enumerate(raw.to_dict(orient="records")):
        row = i + 2  # the header is line 1
        for field in ("individual", "encounter"):
            if not str(rec[field]).strip():
                raise IdentifyError(f"{path}, row {row}, field {field}: empty")
        parts = {p.strip().lower() for p in str(rec["regions"]).split(";") if p.strip()}
        unknown = sorted(parts - set(REGIONS))
        if not parts or unknown:
            what = f"unknown region(s) {', '.join(map(repr, unknown))}" if unknown else "empty"
            raise IdentifyError(f"{path}, row {row}, field regions: {what}; expected a ';'-separated list of {', '.join(REGIONS)}")
        if "none" in parts and len(parts) > 1:
            raise IdentifyError(f"{path}, row {row}, field regions: 'none' cannot be listed with other regions")
        regions.append(frozenset(parts - {"none"}))
    out = pd.DataFrame({"individual": raw["individual"].str.strip(), "encounter": raw["encounter"].str.strip(), "regions": regions})
    dup = out.duplicated(["individual", "encounter"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise IdentifyError(f"{path}, row {i + 2}: individual {out['individual'].iloc[i]!r} at encounter {out['encounter'].iloc[i]!r} is listed twice")
    return out


def share_region(a: frozenset, b: frozenset) -> bool:
    """Do two encounters show a common body region? A flank of unknown side is taken to match either flank."""
    if a & b:
        return True
    return bool(("flank" in a and b & _FLANKS) or ("flank" in b and a & _FLANKS))


def comparable(views: pd.DataFrame, held: dict[str, str] | None = None) -> pd.Series:
    """For each (individual, encounter): does another encounter of the same individual share a region with it?

    `held` maps an encounter to what is left out with it (its station, when queries are judged against the other
    stations only): encounters with the same value do not count.
    """
    flags = {}
    held = held or {}
    for ind, g in views.groupby("individual", sort=False):
        recs = list(zip(g["encounter"], g["regions"], strict=True))
        for enc, reg in recs:
            mine = held.get(enc, enc)
            flags[(ind, enc)] = any(share_region(reg, other) for e2, other in recs
                                    if e2 != enc and held.get(e2, e2) != mine)
    return pd.Series(flags, name="comparable", dtype=bool)


def mark_comparable(q: pd.DataFrame, views: pd.DataFrame, source: str = "the audit", held: dict[str, str] | None = None) -> pd.DataFrame:
    """Add a `comparable` column to a per-encounter query table; every query's encounter must be in the audit."""
    flags = comparable(views, held)
    keys = list(zip(q["individual"].astype(str), q["encounter"].astype(str), strict=True))
    absent = [k for k in keys if k not in flags.index]
    if absent:
        ind, enc = absent[0]
        raise IdentifyError(f"{source}: no row for individual {ind!r} at encounter {enc!r} ({len(absent)} encounter(s) of the folder missing)")
    return q.assign(comparable=[bool(flags[k]) for k in keys])
