"""The demo survey's population report: how many tigers and leopards, and how they use the border.

For each cat: a spatial capture-recapture fit of the identified individuals (camera stations as proximity
detectors, local days as occasions, hazard half-normal detection — the simulator's cats leave Poisson events at
rate g0 exp(-d²/2σ²) a day, so lambda0 is g0 times the share of events identified), expected N in each
country's part of the habitat and in all of it, the joint fit beside the sum of country-by-country fits,
per-individual border movement, each animal's expected share of use on each side, MCP home ranges with their
share in each country, and maps. With the simulator's truth at hand, the estimates are set beside it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from bigcats.population.errors import PopulationError
from bigcats.population.from_store import SCRInputs, n_by_side
from bigcats.population.homerange import country_share, mcp
from bigcats.population.maps import density_map, movement_map
from bigcats.population.movement import expected_use_share, individual_movement, joint_vs_separate, species_year_summary
from bigcats.population.scr import SCRFit
from bigcats.core.frames import SurveyFrames
from bigcats.survey.density import DETECTFN, estimate_density

if TYPE_CHECKING:
    from bigcats.simulate.cats import CatTruth
    from bigcats.simulate.survey import Truth

TIGER, LEOPARD = "Panthera tigris altaica", "Panthera pardus orientalis"
SPECIES = (TIGER, LEOPARD)
SHORT = {TIGER: "tiger", LEOPARD: "leopard"}
# A home range from camera stations needs a few detections spread over stations that are not all in a line.
MIN_DETECTIONS, MIN_STATIONS = 5, 3
# An animal whose expected use on its lesser side reaches this share counts as using both countries.
USE_THRESHOLD = 0.05


def _records(frame: pd.DataFrame) -> list[dict]:
    """A table as JSON-able records (numpy scalars, timestamps and NaN turned into plain values)."""
    return json.loads(frame.to_json(orient="records", double_precision=10, date_format="iso"))


def _interval(fit: SCRFit, name: str, scale: float = 1.0) -> dict:
    row = fit.estimates.set_index("parameter").loc[name]
    return {k: float(row[k]) * scale for k in ("estimate", "SE", "lcl", "ucl")}


def _truth_of(cat: CatTruth, inputs: SCRInputs) -> dict:
    """The simulator's values in the estimates' units, and its activity centres in each part of the mask."""
    from scipy.spatial import cKDTree

    c = cat.centres
    xy = c[["x", "y"]].to_numpy(float)
    # The mask holds the land within the buffer of a working detector: count the true centres there.
    near, _ = cKDTree(inputs.capthist.xy).query(xy)
    in_mask = near <= inputs.buffer_m
    by_side = c.loc[in_mask, "country"].astype(str).value_counts().to_dict()
    return {"N": int(cat.n_individuals), "state_space_km2": float(cat.area_km2),
            "density_per_100km2": float(cat.density_per_100km2), "g0_events_per_day": float(cat.g0),
            "p_identifiable": float(cat.p_identifiable),
            "lambda0_per_day": float(cat.g0 * cat.p_identifiable), "sigma_m": float(cat.sigma_m),
            "centres_by_country": c["country"].astype(str).value_counts().sort_index().to_dict(),
            "centres_in_mask": {"whole": int(in_mask.sum()), **{str(k): int(v) for k, v in sorted(by_side.items())}}}


def _checks(est: dict, truth: dict, areas: list[dict]) -> list[dict]:
    rows = [{"parameter": "D_per_100km2", **est["D_per_100km2"], "truth": truth["density_per_100km2"]},
            {"parameter": "lambda0_per_day", **est["lambda0_per_day"], "truth": truth["lambda0_per_day"]},
            {"parameter": "sigma_m", **est["sigma_m"], "truth": truth["sigma_m"]}]
    for a in areas:
        # Realised N (detected animals centred there plus the expected undetected) against the true centres.
        se = a["R.N.SE"]
        rows.append({"parameter": f"realised N ({a['area']})", "estimate": a["R.N"], "SE": se,
                     "lcl": a["R.N"] - 1.959964 * se, "ucl": a["R.N"] + 1.959964 * se, "truth": a["true_centres"]})
    for r in rows:
        r["inside"] = bool(r["lcl"] <= r["truth"] <= r["ucl"])
    return rows


def _areas(fit: SCRFit, inputs: SCRInputs, truth: dict | None) -> list[dict]:
    """Expected and realised N in the whole mask and in each country's part, with the true centres there."""
    table = n_by_side(fit, inputs.mask_side)
    if truth is not None:
        table["true_centres"] = table["area"].map(truth["centres_in_mask"]).fillna(0).astype(int)
    return _records(table)


def _joint_vs_separate(inputs: SCRInputs) -> dict:
    try:
        table = joint_vs_separate(inputs.capthist, inputs.mask, inputs.trap_side, inputs.mask_side, inputs.buffer_m,
                                  detectfn=DETECTFN)
    except PopulationError as exc:
        return {"error": str(exc)}
    joint = float(table.loc[(table["analysis"] == "joint") & (table["area"] == "whole"), "N"].iloc[0])
    total = float(table.loc[table["area"] == "sum of countries", "N"].iloc[0])
    return {"table": _records(table), "joint_N": joint, "sum_of_countries_N": total, "ratio": total / joint}


def _movement(inputs: SCRInputs) -> tuple[dict, pd.DataFrame]:
    per = individual_movement(inputs.detections)
    by_year = species_year_summary(inputs.detections)
    one_side = per.loc[~per["both_sides"]]
    seen_only = {}
    for side in sorted(set(inputs.trap_side) - {""}):
        col = f"detections_{side}"
        seen_only[side] = int((one_side[col] > 0).sum()) if col in one_side else 0
    summary = {"individuals": int(len(per)), "seen_only_on": seen_only, "seen_on_both_sides": int(per["both_sides"].sum()),
               "crossings": int(per["crossings"].sum()),
               "animals_crossing": int((per["crossings"] > 0).sum())}
    return {"summary": summary, "individuals": _records(per), "by_year": _records(by_year)}, per


def _kernel_share(xy: np.ndarray, mask_xy: np.ndarray, mask_side: np.ndarray, sides: list[str], sigma: float) -> np.ndarray:
    """Share of the half-normal use kernel around each centre that falls on each side (over the habitat mask)."""
    d2 = ((xy[:, None, :] - mask_xy[None]) ** 2).sum(-1)
    k = np.exp(-d2 / (2 * sigma**2))
    ind = np.column_stack([mask_side == s for s in sides]).astype(float)
    return (k @ ind) / k.sum(1, keepdims=True)


def _expected_use(fit: SCRFit, inputs: SCRInputs, cat: CatTruth | None) -> dict:
    share = expected_use_share(fit, inputs.mask_side)
    cols = [c for c in share.columns if c.startswith("share_")]
    sides = [c.removeprefix("share_") for c in cols]
    lesser = np.sort(share[cols].to_numpy(), axis=1)[:, -2] if len(cols) > 1 else np.zeros(len(share))
    out = {"individuals": _records(share), "mean_share": {s: float(share[c].mean()) for s, c in zip(sides, cols)},
           "using_both": int((lesser >= USE_THRESHOLD).sum()), "threshold": USE_THRESHOLD}
    if cat is not None:
        # The demo's catalogue code carries the simulated animal's number: set the estimate beside the share
        # of the true centre's use kernel, on the same habitat mask.
        number = share["individualID"].str.extract(r"(\d+)$", expand=False)
        true_id = cat.key + "-" + number.fillna("").str.zfill(3)
        centres = cat.centres.set_index("trueID")
        known = true_id.isin(centres.index).to_numpy()
        if known.any():
            xy = centres.loc[true_id[known], ["x", "y"]].to_numpy(float)
            truth = _kernel_share(xy, inputs.mask.xy, inputs.mask_side, sides, cat.sigma_m)
            diff = np.abs(share.loc[known, cols].to_numpy() - truth)
            out["truth"] = {"matched": int(known.sum()), "mean_abs_error": float(diff.mean()),
                            "max_abs_error": float(diff.max()),
                            "using_both_true": int((np.sort(truth, axis=1)[:, -2] >= USE_THRESHOLD).sum())
                            if len(sides) > 1 else 0}
    return out


def _home_ranges(inputs: SCRInputs) -> pd.DataFrame:
    """100% MCPs of the stations each well-seen animal used, with their share in each country."""
    det = inputs.detections
    g = det.groupby("individualID")
    n_det, n_st = g.size(), g["locationID"].nunique()
    ok = n_det.index[(n_det >= MIN_DETECTIONS) & (n_st >= MIN_STATIONS)]
    cols = ["individualID", "detections", "stations", "area_km2", "geometry"]
    if not len(ok):
        return pd.DataFrame(columns=cols)
    # Camera relocations repeat the same few station points, so a 95% rule would drop whole stations:
    # the polygon is over every station used.
    hr = mcp(det.loc[det["individualID"].isin(ok), ["individualID", "x", "y"]], percent=100.0)
    hr = hr.loc[hr["area_ha"] > 0].reset_index(drop=True)
    sides = {s: inputs.countries[s] for s in sorted(set(inputs.mask_side) - {""}) if s in inputs.countries}
    shares = country_share(hr, sides)
    out = pd.DataFrame({"individualID": hr["individualID"], "detections": n_det.reindex(hr["individualID"]).to_numpy(),
                        "stations": n_st.reindex(hr["individualID"]).to_numpy(), "area_km2": hr["area_ha"] / 100})
    out = pd.concat([out, shares.drop(columns="individualID")], axis=1)
    share_cols = [c for c in out.columns if c.startswith("share_")]
    out["share_outside"] = (1.0 - out[share_cols].sum(axis=1)).clip(lower=0.0)
    out["geometry"] = hr["geometry"].to_numpy()
    return out


def _maps(inputs: SCRInputs, fit: SCRFit, hr: pd.DataFrame, out: Path, short: str) -> list[str]:
    """Movement map (detections, lines, home ranges over the border) and realised-density map, PNG and SVG."""
    x0, y0 = inputs.mask.xy.min(0) - inputs.mask.spacing
    x1, y1 = inputs.mask.xy.max(0) + inputs.mask.spacing
    frame = shapely.box(x0, y0, x1, y1)
    near = {k: shapely.intersection(g, frame) for k, g in inputs.countries.items()}
    near = {k: g for k, g in near.items() if not g.is_empty}
    centres = fit.posterior().sum(0) + fit.value("D") * inputs.mask.cell_area_ha * (1.0 - fit.pdot())
    # Realised centres (detected animals' posteriors plus the expected undetected) spread by the fitted half-normal
    # use kernel: where the cats spend their time, in animal-equivalents per 100 km², summing to realised N.
    xy = inputs.mask.xy
    k = np.exp(-((xy[:, None, :] - xy[None]) ** 2).sum(-1) / (2 * fit.value("sigma") ** 2))
    use = (centres / k.sum(1)) @ k / inputs.mask.cell_area_ha * 1e4
    files = []
    for ext in ("png", "svg"):
        files.append(str(movement_map(out / f"{short}_movement.{ext}", inputs.detections, near,
                                      hr if len(hr) else None,
                                      title=f"{inputs.species}: {inputs.detections['individualID'].nunique()} "
                                            f"identified, {len(inputs.detections)} detections")))
        files.append(str(density_map(out / f"{short}_density.{ext}", inputs.mask.xy, use, inputs.capthist.xy,
                                     label="expected space use, animals per 100 km²")))
    return files


def species_report(frames: SurveyFrames, species: str, cat: CatTruth | None, out: Path) -> dict:
    """Fit, areas, joint vs separate, movement, expected use, home ranges and maps of one species."""
    short = SHORT.get(species, species.replace(" ", "_").lower())
    estimate = estimate_density(frames, species, detectfn=DETECTFN)
    inputs, fit = estimate.inputs, estimate.fit
    est = {"D_per_100km2": fit.density("100km2"), "lambda0_per_day": _interval(fit, "lambda0"),
           "sigma_m": _interval(fit, "sigma")}
    est["D_per_100km2"].pop("unit")
    truth = _truth_of(cat, inputs) if cat is not None else None
    areas = _areas(fit, inputs, truth)
    movement, per = _movement(inputs)
    hr = _home_ranges(inputs)
    report = {
        "data": inputs.summary(),
        "model": {"detector": "proximity", "detectfn": DETECTFN, "occasion": "local day (full days of effort)",
                  "n": fit.n, "negloglik": -fit.loglik, "AIC": fit.aic, "esa_km2": float(np.mean(fit.esa_ha)) / 100,
                  "warnings": fit.warnings},
        "estimates": est,
        "truth": truth,
        "areas": areas,
        "report_rows": estimate.report_rows(),
        "joint_vs_separate": _joint_vs_separate(inputs),
        "movement": movement,
        "expected_use": _expected_use(fit, inputs, cat),
        "home_ranges": _records(hr.drop(columns="geometry")),
    }
    if truth is not None:
        report["checks"] = _checks(est, truth, areas)
    files = []
    tables = {"areas": pd.DataFrame(areas), "individuals": per, "home_ranges": hr.drop(columns="geometry"),
              "estimates": fit.estimates}
    if "table" in report["joint_vs_separate"]:
        tables["joint_vs_separate"] = pd.DataFrame(report["joint_vs_separate"]["table"])
    for name, table in tables.items():
        path = out / f"{short}_{name}.csv"
        table.to_csv(path, index=False)
        files.append(str(path))
    files += _maps(inputs, fit, hr, out, short)
    report["files"] = files
    return report


def run_population(frames: SurveyFrames, truth: Truth | None, out: Path, species: tuple[str, ...] = SPECIES) -> dict:
    """SCR density, border movement and home ranges of each cat, beside the truth when given; tables and maps in out."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result: dict = {"species": {}, "files": []}
    for sp in species:
        t0 = time.perf_counter()
        cat = truth.cats.get(sp) if truth is not None else None
        try:
            report = species_report(frames, sp, cat, out)
        except PopulationError as exc:
            # One cat with too few recaptures must not hide the other's results; the reason is reported.
            result["species"][sp] = {"error": str(exc)}
            continue
        report["seconds"] = time.perf_counter() - t0
        result["species"][sp] = report
        result["files"] += report["files"]
    path = out / "population.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    result["files"].append(str(path))
    return result
