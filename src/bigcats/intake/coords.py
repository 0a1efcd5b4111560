"""Station coordinates in any CRS pyproj knows, to WGS84; a datum/CRS that does not fit the data is questioned.

A partner's table may give decimal degrees on some datum, projected metres (UTM, Gauss-Krüger), or one "x y"
column (camtrapR's `Loc_geo`); the CRS may be one for the whole table or a column. A CRS is checked against where
its points fall: an EPSG code whose area of use is far from the data (the Atlantic Forest dataset's "EPSG:4236",
Hu Tzu Shan 1950 in Taiwan, for WGS84's 4326) is refused, naming the codes of the same kind that differ by one
typing slip and whose area holds the data.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_crs_info
from pyproj.enums import PJType
from pyproj.exceptions import CRSError

from bigcats.problems import Problem

MARGIN_DEG = 2.0  # areas of use are drawn generously; a point this far outside is not a rounding matter


@lru_cache(maxsize=256)
def parse_crs(text: str) -> CRS:
    """A CRS from 'EPSG:4326', '4326', 'WGS 84', 'UTM 52N', '+proj=...' or WKT; CRSError if pyproj knows none."""
    t = str(text).strip()
    if re.fullmatch(r"\d{4,6}", t):
        t = f"EPSG:{t}"
    if m := re.fullmatch(r"(?i)(?:utm\s*)?(?:zone\s*)?(\d{1,2})\s*([NS])", t):
        zone, hemi = int(m.group(1)), m.group(2).upper()
        t = f"EPSG:{(32600 if hemi == 'N' else 32700) + zone}"
    return CRS.from_user_input(t)


def _slips(code: str) -> set[str]:
    """Codes one typing slip away: a swapped pair of neighbours, one digit changed, dropped or doubled."""
    out = set()
    for i in range(len(code) - 1):
        out.add(code[:i] + code[i + 1] + code[i] + code[i + 2:])
    for i in range(len(code)):
        for d in "0123456789":
            out.add(code[:i] + d + code[i + 1:])
            out.add(code[:i] + d + code[i:])
        out.add(code[:i] + code[i + 1:])
    out.discard(code)
    return out


def likely_codes(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """EPSG codes of the same kind as `crs`, one slip from its code, whose area of use holds the points."""
    code = crs.to_epsg()
    if code is None or not len(lon):
        return []
    kind = PJType.GEOGRAPHIC_2D_CRS if crs.is_geographic else PJType.PROJECTED_CRS
    aoi = AreaOfInterest(float(np.nanmin(lon)), float(np.nanmin(lat)), float(np.nanmax(lon)), float(np.nanmax(lat)))
    near = {i.code for i in query_crs_info(auth_name="EPSG", pj_types=kind, area_of_interest=aoi, contains=True)}
    found = sorted(near & _slips(str(code)), key=lambda c: (c != "4326", int(c)))  # WGS84 first: most likely meant
    return [f"EPSG:{c}" for c in found]


def _outside(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Mask of WGS84 points outside the CRS's area of use (with a margin); none when the CRS states no area."""
    area = crs.area_of_use
    if area is None:
        return np.zeros(len(lon), dtype=bool)
    west, east = area.west - MARGIN_DEG, area.east + MARGIN_DEG
    inside_lon = (lon >= west) & (lon <= east) if west <= east else (lon >= west) | (lon <= east)
    return ~(inside_lon & (lat >= area.south - MARGIN_DEG) & (lat <= area.north + MARGIN_DEG))


def to_wgs84(x: pd.Series, y: pd.Series, crs_text: pd.Series, file: str, lines: list[int],
             fields: tuple[str, str, str]) -> tuple[pd.Series, pd.Series, list[Problem]]:
    """Longitude and latitude (WGS84) from x/y in each row's CRS, and the problems (file, row, field) found.

    x is the easting or longitude, y the northing or latitude, whatever the CRS's own axis order. `fields` names
    the user's x, y and CRS columns for messages.
    """
    xs, ys = pd.to_numeric(x, errors="coerce"), pd.to_numeric(y, errors="coerce")
    lon = pd.Series(np.nan, index=x.index)
    lat = pd.Series(np.nan, index=x.index)
    problems: list[Problem] = []
    line = pd.Series(lines, index=x.index)
    for col, values, name in ((fields[0], xs, x), (fields[1], ys, y)):
        bad = values.isna()
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem("bad-coordinate", "not a number" if pd.notna(name.iloc[i]) else "missing",
                                    file=file, row=int(line.iloc[i]), field=col,
                                    value=None if pd.isna(name.iloc[i]) else str(name.iloc[i])))
    for text, idx in crs_text.fillna("").groupby(crs_text.fillna(""), sort=False).groups.items():
        rows = line.loc[idx]
        if not text:
            problems.append(Problem("missing-crs", "no CRS or datum for these coordinates; give a CRS column or "
                                    "`crs:` in the column map (e.g. EPSG:4326, EPSG:32652, 'UTM 52N')", file=file,
                                    row=int(rows.iloc[0]), field=fields[2]))
            continue
        try:
            crs = parse_crs(text)
        except CRSError:
            problems.append(Problem("unknown-crs", f"not a CRS pyproj knows ({len(idx)} row(s))", file=file,
                                    row=int(rows.iloc[0]), field=fields[2], value=text))
            continue
        if crs.is_geographic and crs.to_epsg() is None and crs.geodetic_crs is None:
            problems.append(Problem("unknown-crs", "not a horizontal CRS", file=file, row=int(rows.iloc[0]),
                                    field=fields[2], value=text))
            continue
        ok = xs.loc[idx].notna() & ys.loc[idx].notna()
        sub = idx[ok.to_numpy()]
        if not len(sub):
            continue
        tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        lo, la = tr.transform(xs.loc[sub].to_numpy(float), ys.loc[sub].to_numpy(float))
        lo, la = np.asarray(lo, float), np.asarray(la, float)
        broken = ~np.isfinite(lo) | ~np.isfinite(la) | (np.abs(la) > 90) | (np.abs(lo) > 180)
        for i in np.flatnonzero(broken):
            problems.append(Problem("bad-coordinate", f"x/y do not give a place on Earth in {text}", file=file,
                                    row=int(line.loc[sub[i]]), field=fields[0],
                                    value=f"{xs.loc[sub[i]]} {ys.loc[sub[i]]}"))
        outside = _outside(crs, lo, la) & ~broken
        if outside.any():
            good = ~broken
            # Where would the points be if the digits meant WGS84 degrees? That is where the user's data is.
            guess_lon, guess_lat = (xs.loc[sub].to_numpy(float)[good], ys.loc[sub].to_numpy(float)[good]) \
                if crs.is_geographic else (lo[good], la[good])
            hint = likely_codes(crs, guess_lon, guess_lat)
            area = crs.area_of_use
            problems.append(Problem(
                "crs-far-from-data",
                f"{text} is {crs.name} (used in {area.name if area else 'an unstated area'}), but {int(outside.sum())} "
                f"of {len(sub)} point(s) fall outside its area of use"
                + (f"; did you mean {' or '.join(hint)}?" if hint else "; check the CRS/datum")
                + " Fix the column, or give the right CRS once in the column map (crs: {value: ...})",
                file=file, row=int(line.loc[sub[int(np.flatnonzero(outside)[0])]]), field=fields[2], value=text))
            continue
        lon.loc[sub] = lo
        lat.loc[sub] = la
    return lon, lat, problems


def split_xy(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A combined coordinate column as two text columns: the last two numbers of 'x y', 'x,y', 'x;y' or
    'UTM_0293344_4094200' (camtrapR's `Loc_geo` as field teams write it); NA where there are not two."""
    parts = pd.Series(text, dtype="string").str.extract(r"(-?\d+(?:\.\d+)?)[^\d.-]+(-?\d+(?:\.\d+)?)\s*$")
    return parts[0], parts[1]


__all__ = ["likely_codes", "parse_crs", "split_xy", "to_wgs84"]


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    """Folded country names (en, ru, zh, mn, pt, es, fr) and ISO2/ISO3 codes -> ISO3, from CLDR via Babel."""
    from babel import Locale
    from babel.core import get_global

    from bigcats.intake.columns import fold

    alpha2_to_3 = {}
    for code3, targets in get_global("territory_aliases").items():
        if len(code3) == 3 and code3.isalpha() and len(targets) == 1 and len(targets[0]) == 2:
            alpha2_to_3.setdefault(targets[0], code3)
    index = {}
    for lang in ("en", "ru", "zh", "mn", "pt", "es", "fr"):
        for code2, name in Locale(lang).territories.items():
            if code2 in alpha2_to_3:
                index.setdefault(fold(name), alpha2_to_3[code2])
    for code2, code3 in alpha2_to_3.items():
        index[fold(code2)] = code3
        index[fold(code3)] = code3
    return index


def country_codes(names: pd.Series) -> pd.Series:
    """ISO 3166 alpha-3 codes for country names or codes in several languages ('Brazil', 'Brasil', 'BR', 'BRA');
    NA where none is known."""
    from bigcats.intake.columns import fold

    index = _country_index()
    uniq = {v: index.get(fold(v)) for v in pd.Series(names).dropna().unique()}
    return pd.Series(names).map(uniq).astype("string")
