"""Transboundary movement: which side of the border each cat was seen on, how often it crossed, and how much of its
expected space use lies in each country under a fitted SCR model; joint against country-by-country estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import shapely

from bigcats.population.capthist import CaptureHistory
from bigcats.population.errors import PopulationError, listed
from bigcats.population.mask import Mask
from bigcats.population.scr import SCRFit, fit_scr, region_n


def project_lonlat(lon: np.ndarray, lat: np.ndarray, crs: str | pyproj.CRS | None = None) -> tuple[np.ndarray, np.ndarray, pyproj.CRS]:
    """Project WGS84 lon/lat to metres: the given CRS, or the UTM zone of the points' centre."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()) or (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
        raise PopulationError("coordinates: longitude/latitude missing or out of range")
    if crs is None:
        from bigcats.geo.crs import utm_crs

        crs = utm_crs(float(np.mean(lon)), float(np.mean(lat)))
    crs = pyproj.CRS.from_user_input(crs)
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    return np.asarray(x), np.asarray(y), crs


def side_of(x: np.ndarray, y: np.ndarray, countries: dict[str, shapely.Geometry]) -> np.ndarray:
    """The country each point lies in (the dict's key), or '' outside all of them."""
    out = np.full(np.size(x), "", dtype=object)
    for name, poly in countries.items():
        out[shapely.contains_xy(poly, x, y) & (out == "")] = name
    return out


def _detections(det: pd.DataFrame) -> pd.DataFrame:
    need = ["individualID", "x", "y", "timestamp", "country"]
    missing = [c for c in need if c not in det.columns]
    if missing:
        raise PopulationError(f"detections: missing column {', '.join(missing)} (need {', '.join(need)})")
    out = det.copy()
    out["individualID"] = out["individualID"].astype(str)
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True, errors="coerce", format="mixed")
    bad = out["timestamp"].isna() | out[["x", "y"]].isna().any(axis=1) | out["country"].isna() | (out["country"].astype(str) == "")
    if bad.any():
        raise PopulationError(f"detections: missing or unreadable timestamp, x, y or country at row "
                              f"{listed((np.flatnonzero(bad.to_numpy()) + 1).tolist())}")
    out["country"] = out["country"].astype(str)
    return out.sort_values(["individualID", "timestamp"], kind="stable").reset_index(drop=True)


def individual_movement(detections: pd.DataFrame) -> pd.DataFrame:
    """Per individual: detections per side, first and last seen, both sides, border crossings, longest distance (m)."""
    det = _detections(detections)
    g = det.groupby("individualID", sort=True)
    per_side = det.pivot_table(index="individualID", columns="country", values="x", aggfunc="size", fill_value=0)
    per_side.columns = [f"detections_{c}" for c in per_side.columns]
    # A crossing is a change of side between consecutive detections in time.
    changed = (det["country"] != det.groupby("individualID")["country"].shift()) & det["individualID"].duplicated()
    crossings = changed.groupby(det["individualID"]).sum()
    # Longest distance: pairs within each individual (self-join), which is n_i² rows per animal, not across animals.
    pairs = det[["individualID", "x", "y"]].merge(det[["individualID", "x", "y"]], on="individualID", suffixes=("", "_2"))
    far = np.hypot(pairs["x"] - pairs["x_2"], pairs["y"] - pairs["y_2"]).groupby(pairs["individualID"]).max()
    out = pd.DataFrame({
        "detections": g.size(), "first_seen": g["timestamp"].min(), "last_seen": g["timestamp"].max(),
        "sides": g["country"].nunique(), "crossings": crossings, "max_distance_m": far,
    })
    out["both_sides"] = out["sides"] > 1
    if "scientificName" in det.columns:
        out.insert(0, "scientificName", g["scientificName"].first())
    return out.join(per_side).reset_index()


def species_year_summary(detections: pd.DataFrame) -> pd.DataFrame:
    """Per species and year: individuals seen on one side only (per side) and on both sides."""
    det = _detections(detections)
    if "scientificName" not in det.columns:
        det["scientificName"] = "unknown"
    det["year"] = det["timestamp"].dt.year
    sides = det.groupby(["scientificName", "year", "individualID"])["country"].agg(lambda s: "|".join(sorted(set(s))))
    frame = sides.reset_index()
    frame["where"] = np.where(frame["country"].str.contains("|", regex=False), "both", "only_" + frame["country"])
    table = frame.pivot_table(index=["scientificName", "year"], columns="where", values="individualID",
                              aggfunc="size", fill_value=0)
    if "both" not in table.columns:
        table["both"] = 0
    table["individuals"] = table.sum(axis=1)
    table["share_both"] = table["both"] / table["individuals"]
    table.columns.name = None
    return table.reset_index()


def expected_use_share(fit: SCRFit, mask_side: np.ndarray, chunk: int = 512) -> pd.DataFrame:
    """Share of each detected animal's expected space use on each side: posterior centre x detection kernel."""
    mask = fit._prep.mask
    mask_side = np.asarray(mask_side).astype(str)
    if mask_side.shape != (len(mask),):
        raise PopulationError(f"expected use: need a side for each of the {len(mask)} mask points, got {mask_side.shape}")
    sigma = fit.estimates.loc[fit.estimates["parameter"].str.startswith("sigma"), "estimate"].mean()
    sides = [s for s in pd.unique(mask_side) if s != ""]
    indicator = np.column_stack([mask_side == s for s in sides]).astype(float)
    # Space use around a centre follows the half-normal kernel of the detection function, kept on habitat.
    per_centre = np.empty((len(mask), len(sides)))
    for start in range(0, len(mask), chunk):
        d2 = ((mask.xy[start:start + chunk, None] - mask.xy[None]) ** 2).sum(-1)
        k = np.exp(-d2 / (2 * sigma**2))
        per_centre[start:start + chunk] = (k @ indicator) / k.sum(1, keepdims=True)
    share = fit.posterior() @ per_centre
    out = pd.DataFrame(share, columns=[f"share_{s}" for s in sides])
    out.insert(0, "individualID", fit._prep.ch.animals)
    return out


def joint_vs_separate(
    ch: CaptureHistory, mask: Mask, trap_side: np.ndarray, mask_side: np.ndarray, buffer: float, **fit_kwargs,
) -> pd.DataFrame:
    """Fit the whole area, then each country alone (its detectors, its animals, a mask around its own detectors
    that ignores the border, as a national analysis does); report N of each and the sum of the national N."""
    trap_side = np.asarray(trap_side).astype(str)
    mask_side = np.asarray(mask_side).astype(str)
    if trap_side.shape != (len(ch.traps),):
        raise PopulationError(f"joint vs separate: need a side for each of the {len(ch.traps)} detectors")
    joint = fit_scr(ch, mask, **fit_kwargs)
    rows = []
    whole = region_n(joint, np.ones(len(mask), bool))
    rows.append({"analysis": "joint", "area": "whole", "animals": ch.n, **_dn(joint), "N": whole["E.N"], "N.SE": whole["E.N.SE"]})
    for side in sorted(set(mask_side) - {""}):
        part = region_n(joint, mask_side == side)
        rows.append({"analysis": "joint", "area": side, "animals": np.nan, **_dn(joint), "N": part["E.N"], "N.SE": part["E.N.SE"]})
    national_total, national_se2 = 0.0, 0.0
    for side in sorted(set(trap_side) - {""}):
        sub = ch.subset_traps(trap_side == side)
        from scipy.spatial import cKDTree

        near, _ = cKDTree(sub.xy).query(mask.xy)
        own = mask.subset(near <= buffer)
        try:
            fit = fit_scr(sub, own, **fit_kwargs)
        except PopulationError as exc:
            raise PopulationError(f"country-only fit for {side}: {exc}") from None
        n_all = region_n(fit, np.ones(len(own), bool))
        national_total += n_all["E.N"]
        national_se2 += n_all["E.N.SE"] ** 2
        rows.append({"analysis": "separate", "area": side, "animals": sub.n, **_dn(fit), "N": n_all["E.N"],
                     "N.SE": n_all["E.N.SE"]})
    rows.append({"analysis": "separate", "area": "sum of countries", "animals": np.nan, "D_per_100km2": np.nan,
                 "D.SE": np.nan, "N": national_total, "N.SE": float(np.sqrt(national_se2))})
    return pd.DataFrame(rows)


def _dn(fit: SCRFit) -> dict:
    d = fit.density("100km2")
    return {"D_per_100km2": d["estimate"], "D.SE": d["SE"]}


def seen_in_both(ch: CaptureHistory, trap_side: np.ndarray) -> pd.DataFrame:
    """Per animal of a capture history: detections on each side of the border, from the detectors' sides."""
    side = np.asarray(trap_side).astype(str)[ch.trap]
    frame = pd.DataFrame({"individualID": ch.animals[ch.animal], "side": side, "n": ch.count})
    out = frame.pivot_table(index="individualID", columns="side", values="n", aggfunc="sum", fill_value=0)
    out["both_sides"] = (out > 0).sum(axis=1) > 1
    return out.reset_index()
