"""Relative abundance index: independent events per 100 trap-nights, with station-bootstrap confidence intervals.

Stations are the sampling units: a group's interval comes from resampling its stations with replacement and
recomputing total events over total effort. A group made of one station gets the exact Poisson interval instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import chi2

from bigcats.analysis.errors import AnalysisError, listed
from bigcats.analysis.frames import require_columns, utc_ns


def _attach_groups(events: pd.DataFrame, units: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Events with the grouping columns they lack taken from their station's effort row."""
    ev = events.copy()
    if "year" in by and "year" not in ev.columns:
        local = utc_ns(ev["timestamp"], "events.timestamp") + pd.to_numeric(ev["utcOffset"]).to_numpy("int64") * 60 * 10**9
        ev["year"] = pd.DatetimeIndex(local.view("datetime64[ns]")).year.to_numpy()
    lacking = [c for c in by if c not in ev.columns]
    if lacking:
        station = units.drop_duplicates("locationID").set_index("locationID")
        multi = units.groupby("locationID")[lacking].nunique(dropna=False).max()
        if (multi > 1).any():
            raise AnalysisError(
                f"relative abundance: {', '.join(multi[multi > 1].index)} varies within a station; add it to the events"
            )
        ev = ev.join(station[lacking], on="locationID")
    return ev


def relative_abundance(
    events: pd.DataFrame,
    effort: pd.DataFrame,
    by: Sequence[str] = ("locationID",),
    species: Sequence[str] | None = None,
    per: float = 100.0,
    n_boot: int = 1000,
    conf: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """RAI (events per `per` trap-nights) per group and species, with lower/upper confidence limits."""
    by = list(by)
    if not 0 < conf < 1:
        raise AnalysisError(f"relative abundance: conf must be between 0 and 1, got {conf}")
    require_columns(effort, ["locationID", "trapNights", *[c for c in by if c != "locationID"]], "effort")
    require_columns(events, ["locationID", "scientificName"], "events")
    keys = list(dict.fromkeys([*by, "locationID"]))
    units = effort.groupby(keys, sort=True, as_index=False)["trapNights"].sum()
    ev = _attach_groups(events, effort, by)
    names = sorted(pd.unique(ev["scientificName"].dropna())) if species is None else list(species)
    if not names:
        raise AnalysisError("relative abundance: no species to report (no events and no species given)")
    unit_index = pd.MultiIndex.from_frame(units[keys])
    pos = unit_index.get_indexer(pd.MultiIndex.from_frame(ev[keys]))
    if (pos < 0).any():
        bad = ev.loc[pos < 0, keys].drop_duplicates()
        raise AnalysisError(
            f"relative abundance: events at station(s) with no effort row: {listed(bad.astype(str).agg('/'.join, axis=1).tolist())}"
        )
    sp = pd.Index(names).get_indexer(ev["scientificName"])
    keep = sp >= 0
    counts = np.zeros((len(units), len(names)))
    np.add.at(counts, (pos[keep], sp[keep]), 1.0)
    effort_u = units["trapNights"].to_numpy(dtype=float)
    if (effort_u < 0).any() or not np.isfinite(effort_u).all():
        raise AnalysisError("relative abundance: trap-nights must be finite and not negative")
    busy = counts.sum(axis=1) > 0
    if (busy & (effort_u <= 0)).any():
        bad = units.loc[busy & (effort_u <= 0), "locationID"]
        raise AnalysisError(f"relative abundance: events recorded at station(s) with zero effort: {listed(bad.tolist())}")
    groups = units[by].drop_duplicates().reset_index(drop=True) if by else pd.DataFrame(index=[0])
    group_of_unit = (pd.MultiIndex.from_frame(groups).get_indexer(pd.MultiIndex.from_frame(units[by]))
                     if by else np.zeros(len(units), dtype=int))
    n_groups = len(groups)
    tot_e = np.zeros((n_groups, len(names)))
    np.add.at(tot_e, group_of_unit, counts)
    tot_t = np.bincount(group_of_unit, weights=effort_u, minlength=n_groups)
    n_units = np.bincount(group_of_unit, weights=(effort_u > 0).astype(float), minlength=n_groups).astype(int)
    dead = tot_t <= 0
    if dead.any():
        bad = groups.loc[dead].astype(str).agg("/".join, axis=1) if by else pd.Series(["all"])
        raise AnalysisError(f"relative abundance: no trap-nights in group(s) {listed(bad.tolist())} (cameras never worked)")
    rai = tot_e / tot_t[:, None] * per
    alpha = (1 - conf) / 2
    # Exact (Garwood) Poisson limits for a group that is a single station.
    lower = np.where(tot_e > 0, chi2.ppf(alpha, 2 * tot_e) / 2, 0.0) / tot_t[:, None] * per
    upper = chi2.ppf(1 - alpha, 2 * tot_e + 2) / 2 / tot_t[:, None] * per
    method = np.where(n_units > 1, "station-bootstrap", "poisson")
    rng = np.random.default_rng(seed)
    for gi in np.flatnonzero(n_units > 1):  # one pass per group (countries, parks...), never per record
        member = np.flatnonzero((group_of_unit == gi) & (effort_u > 0))
        k = len(member)
        weights = rng.multinomial(k, np.full(k, 1.0 / k), size=n_boot).astype(float)
        boot = (weights @ counts[member]) / (weights @ effort_u[member])[:, None] * per
        lower[gi], upper[gi] = np.quantile(boot, [alpha, 1 - alpha], axis=0)
    out = groups.loc[np.repeat(np.arange(n_groups), len(names))].reset_index(drop=True)
    out["scientificName"] = np.tile(names, n_groups)
    out["events"] = tot_e.ravel().astype(int)
    out["trapNights"] = np.repeat(tot_t, len(names))
    out["stations"] = np.repeat(n_units, len(names))
    out["rai"] = rai.ravel()
    out["lower"] = lower.ravel()
    out["upper"] = upper.ravel()
    out["ciMethod"] = np.repeat(method, len(names))
    return out
