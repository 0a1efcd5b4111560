"""The demo survey's camera-trap report: effort, independent detections, RAI, activity, overlap and occupancy,
written as CSV tables and PNG/SVG figures, and, when the simulator's truth is at hand, checked against it.

Activity is on local clock time (the simulator draws it there). Overlap is estimated on each side of the border,
occupancy for one prey species that uses only part of the stations. The truth checks ask whether the generating
values lie inside the estimates' confidence intervals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from bigcats.analysis.abundance import relative_abundance
from bigcats.analysis.activity import ActivityFit, fit_activity
from bigcats.analysis.detection_history import detection_history
from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.figures import activity_curves_figure, activity_overlap_figure, rai_bars_figure, rai_map_figure
from bigcats.analysis.independence import count_events, independent_detections
from bigcats.analysis.kernel import TWO_PI
from bigcats.analysis.occupancy import OccupancyFit, fit_occupancy, history_to_occupancy
from bigcats.analysis.overlap import overlap
from bigcats.analysis.solar import record_times
from bigcats.core.frames import SurveyFrames
from bigcats.survey.abundance import abundance_by_side
from bigcats.survey.effort import effort_by_side, effort_per_station
from bigcats.survey.events import events as survey_events

if TYPE_CHECKING:
    from bigcats.simulate.survey import Truth

TIGER, LEOPARD = "Panthera tigris altaica", "Panthera pardus orientalis"
SIKA, BOAR = "Cervus nippon", "Sus scrofa"
SHORT = {TIGER: "tiger", LEOPARD: "leopard", SIKA: "sika_deer", BOAR: "wild_boar"}
ACTIVITY_SPECIES = (TIGER, LEOPARD, SIKA, BOAR)
OVERLAP_PAIRS = ((TIGER, SIKA), (TIGER, BOAR))
# Wild boar: thousands of events, and the simulator lets it use only ~70% of stations (psi = 0.7), so occupancy
# is partial and detection far from certain within a week.
OCCUPANCY_SPECIES = BOAR
OCCASION_DAYS = 7
THRESHOLD = "30min"
N_GRID = 256
CONF = 0.95


def _frames(frames: SurveyFrames) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """Deployments, outages (None if there are none) and observations carrying their station and country side."""
    deps, obs = frames.deployments, frames.observations
    if deps is None or deps.empty:
        raise AnalysisError("demo analytics: the survey frames hold no deployments")
    if obs is None or obs.empty:
        raise AnalysisError("demo analytics: the survey frames hold no observations")
    for col in ("country", "longitude", "latitude"):
        if col not in deps.columns:
            raise AnalysisError(f"demo analytics: deployments lack column {col!r}")
    by_dep = deps.assign(deploymentID=deps["deploymentID"].astype(str)).set_index("deploymentID")
    missing = [c for c in ("locationID", "country") if c not in obs.columns]
    if missing:
        obs = obs.assign(**{c: obs["deploymentID"].astype(str).map(by_dep[c]) for c in missing})
    outages = frames.outages if frames.outages is not None and len(frames.outages) else None
    return deps, outages, obs


def _records(frame: pd.DataFrame) -> list[dict]:
    """A table as JSON-able records (numpy scalars and NaN turned into plain values)."""
    return json.loads(frame.to_json(orient="records", double_precision=10))


def _write_csv(frame: pd.DataFrame, path: Path, files: list[str]) -> None:
    frame.to_csv(path, index=False)
    files.append(str(path))


def _effort(frames: SurveyFrames) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trap-nights per station (with side and coordinates) and per side with a row for the whole survey."""
    deps = frames.deployments
    stations = effort_per_station(frames)
    where = deps.drop_duplicates("locationID").set_index("locationID")[["longitude", "latitude"]]
    return stations.join(where, on="locationID"), effort_by_side(frames)


def _fit(times: np.ndarray, n_boot: int, seed: int, what: str) -> ActivityFit:
    return fit_activity(times, n_boot=n_boot, conf=CONF, n_grid=N_GRID, seed=seed, what=what)


def _times(events: pd.DataFrame, species: str, side: str | None = None) -> np.ndarray:
    """Local clock time (radians) of a species' independent events, on one side or both."""
    keep = events["scientificName"].to_numpy() == species
    if side is not None:
        keep &= events["country"].to_numpy() == side
    return record_times(events.loc[keep], kind="clock")


def _true_curve(truth: Truth, species: str, grid: np.ndarray) -> np.ndarray:
    """The simulator's activity density of a species per radian on the clock grid."""
    if species not in truth.rhythms:
        raise AnalysisError(f"demo analytics: the truth has no activity rhythm for {species}")
    # Rhythm.density is per unit day-fraction; per radian divides by 2*pi.
    return truth.rhythms[species].density(grid / TWO_PI * 24.0) / TWO_PI


def _true_overlap(truth: Truth, a: str, b: str) -> float:
    """Coefficient of overlap of the true densities: the integral of their minimum over the day."""
    fine = np.linspace(0.0, TWO_PI, 14_401)[:-1]
    step = TWO_PI / len(fine)
    return float(np.minimum(_true_curve(truth, a, fine), _true_curve(truth, b, fine)).sum() * step)


def _recommended(n_a: int, n_b: int) -> str:
    """Meredith & Ridout's advice: Dhat1 for small samples, Dhat4 once both have 50 or more records."""
    return "Dhat4" if min(n_a, n_b) >= 50 else "Dhat1"


def _psi_ci(fit: OccupancyFit) -> tuple[float, float, float]:
    """psi (intercept-only occupancy model) with its Wald interval on the logit scale."""
    est, se = fit.coef.loc[("psi", "(Intercept)"), ["estimate", "se"]].to_numpy(dtype=float)
    z = norm.ppf((1 + CONF) / 2)
    return float(expit(est)), float(expit(est - z * se)), float(expit(est + z * se))


def run_analytics(frames: SurveyFrames, truth: Truth | None, out: Path, n_boot: int = 200, seed: int = 1) -> dict:
    """The report's tables and figures for a (simulated) survey, with truth checks when the truth is given."""
    if n_boot < 40:
        raise AnalysisError(f"demo analytics: n_boot must be at least 40 for 95% intervals, got {n_boot}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    deps, outages, obs = _frames(frames)
    result: dict = {"settings": {"threshold": THRESHOLD, "n_boot": n_boot, "seed": seed, "conf": CONF,
                                 "occasion_days": OCCASION_DAYS, "time": "local clock"}}

    # Effort and independent detections.
    stations, sides = _effort(frames)
    _write_csv(stations, out / "trap_nights_by_station.csv", files)
    _write_csv(sides, out / "trap_nights_by_side.csv", files)
    events = independent_detections(obs, THRESHOLD)
    counts = count_events(events, by=("scientificName", "country"))
    _write_csv(counts, out / "independent_detections_by_species_side.csv", files)
    result["effort"] = {"by_side": _records(sides), "stations": int(len(stations))}
    result["independent_detections"] = {
        "records": int(obs["scientificName"].notna().sum()), "events": int(len(events)),
        "by_species_side": {sp: dict(zip(g["country"], g["events"].astype(int)))
                            for sp, g in counts.groupby("scientificName")},
    }

    # Relative abundance per side (station bootstrap) and per station (Poisson), bars and maps.
    effort = stations[["locationID", "country", "trapNights"]]
    seen = sorted(events.loc[events["observationType"] == "animal", "scientificName"].dropna().unique())
    rai_side = abundance_by_side(frames, seen, n_boot=n_boot, seed=seed, events=survey_events(frames),
                                 per_station=effort)
    rai_station = relative_abundance(events, effort, by=["locationID"], n_boot=n_boot, conf=CONF, seed=seed)
    _write_csv(rai_side, out / "rai_by_side.csv", files)
    _write_csv(rai_station, out / "rai_by_station.csv", files)
    files += map(str, rai_bars_figure(rai_side[rai_side["country"] != "all"], out / "rai_by_side",
                                      title="Independent events per 100 trap-nights (95% station-bootstrap CI)"))
    for sp in (TIGER, LEOPARD, OCCUPANCY_SPECIES):
        if sp in set(rai_station["scientificName"]):
            files += map(str, rai_map_figure(rai_station, stations, sp, out / f"rai_map_{SHORT[sp]}"))
    result["rai"] = _records(rai_side)

    # Activity on the clock: both sides pooled (one rhythm per species), and per side for the overlap figures.
    fits: dict[str, ActivityFit] = {}
    skipped: list[str] = []
    for i, sp in enumerate(ACTIVITY_SPECIES):
        try:
            fits[sp] = _fit(_times(events, sp), n_boot, seed + i, sp)
        except AnalysisError as exc:
            skipped.append(f"activity of {sp}: {exc}")
    curves = [fit.curve().assign(scientificName=sp, country="all") for sp, fit in fits.items()]
    result["activity"] = {sp: {"n": fit.n, "bandwidth": fit.bandwidth, "level": fit.level,
                               "level_lower": fit.level_ci[0], "level_upper": fit.level_ci[1]}
                          for sp, fit in fits.items()}

    # Overlap of tiger with its main prey, on each side of the border.
    overlaps = []
    for side in sorted(events["country"].dropna().unique()):
        side_fits: dict[str, ActivityFit] = {}
        for i, (a, b) in enumerate(OVERLAP_PAIRS):
            try:
                ta, tb = _times(events, a, side), _times(events, b, side)
                res = overlap(ta, tb, n_boot=n_boot, conf=CONF, seed=seed + 10 + i, names=(a, b))
                for sp, t in ((a, ta), (b, tb)):
                    if sp not in side_fits:
                        side_fits[sp] = _fit(t, n_boot, seed, f"{sp} ({side})")
            except AnalysisError as exc:
                skipped.append(f"overlap of {a} and {b} in {side}: {exc}")
                continue
            best = _recommended(*res.n)
            for row in res.table("basic0"):
                overlaps.append({"country": side, "speciesA": a, "speciesB": b, "nA": res.n[0], "nB": res.n[1],
                                 "recommended": row["estimator"] == best, **row})
            files += map(str, activity_overlap_figure(
                side_fits[a], side_fits[b], (SHORT[a].replace("_", " "), SHORT[b].replace("_", " ")),
                out / f"activity_overlap_{SHORT[a]}_{SHORT[b]}_{side}", overlap_value=res.estimates[best],
                title=f"{side}: {SHORT[a].replace('_', ' ')} and {SHORT[b].replace('_', ' ')} ({best})"))
        curves += [fit.curve().assign(scientificName=sp, country=side) for sp, fit in side_fits.items()]
    overlap_table = pd.DataFrame(overlaps)
    _write_csv(overlap_table, out / "overlap.csv", files)
    result["overlap"] = _records(overlap_table)

    # Single-season occupancy of the prey species from weekly occasions; effort per occasion drives detection.
    history = detection_history(obs, deps, OCCUPANCY_SPECIES, outages, occasion_length=OCCASION_DAYS)
    side_of = deps.drop_duplicates("locationID").set_index("locationID")["country"]
    site_covs = pd.DataFrame({"china": (side_of.reindex(history.history.index) == "CHN").astype(float)})
    data = history_to_occupancy(history.history, site_covs, {"effort": history.effort})
    null = fit_occupancy(data, p_covs=["effort"])
    by_side = fit_occupancy(data, psi_covs=["china"], p_covs=["effort"], standardise=["effort"])
    psi, psi_lo, psi_hi = _psi_ci(null)
    pred = by_side.predict_psi(CONF).assign(country=side_of.reindex(history.history.index).to_numpy())
    psi_sides = pred.groupby("country")[["psi", "lower", "upper"]].first()
    naive_sides = pred.groupby("country")["detected"].mean()
    occ_rows = [{"model": "psi(.) p(effort)", "country": "all", "psi": psi, "lower": psi_lo, "upper": psi_hi,
                 "naive": null.naive_occupancy, "aic": null.aic}]
    occ_rows += [{"model": "psi(country) p(effort)", "country": c, "psi": float(r["psi"]), "lower": float(r["lower"]),
                  "upper": float(r["upper"]), "naive": float(naive_sides[c]), "aic": by_side.aic}
                 for c, r in psi_sides.iterrows()]
    occupancy_table = pd.DataFrame(occ_rows)
    _write_csv(occupancy_table, out / f"occupancy_{SHORT[OCCUPANCY_SPECIES]}.csv", files)
    hist_out = history.history.copy()
    hist_out.columns = [f"o{c + 1}" for c in hist_out.columns]
    _write_csv(hist_out.reset_index(), out / f"detection_history_{SHORT[OCCUPANCY_SPECIES]}.csv", files)
    p_week = float(expit(null.coef.loc[("p", "(Intercept)"), "estimate"]))
    result["occupancy"] = {
        "species": OCCUPANCY_SPECIES, "occasion_days": OCCASION_DAYS, "sites": null.n_sites,
        "occasions": int(history.history.shape[1]), "psi": psi, "psi_lower": psi_lo, "psi_upper": psi_hi,
        "p_at_mean_effort": p_week, "naive": null.naive_occupancy, "aic": null.aic,
        "aic_psi_country": by_side.aic, "by_side": _records(occupancy_table.iloc[1:]),
        "coefficients": _records(null.coef.reset_index()),
    }

    checks: list[dict] = []
    reference: dict[str, np.ndarray] | None = None
    if truth is not None:
        reference = {}
        for sp, fit in fits.items():
            true = _true_curve(truth, sp, fit.grid)
            reference[sp] = true
            inside = (true >= fit.lower) & (true <= fit.upper)
            fine = np.linspace(0.0, TWO_PI, 14_401)[:-1]
            true_level = float(1.0 / (TWO_PI * _true_curve(truth, sp, fine).max()))
            checks.append({"check": "activity curve", "subject": sp, "estimate": float(np.mean(inside)),
                           "lower": None, "upper": None, "truth": None, "inside": None,
                           "note": "share of grid points where the true density lies inside the 95% band",
                           "max_abs_error_per_hour": float(np.abs(fit.density - true).max() * TWO_PI / 24)})
            checks.append({"check": "activity level", "subject": sp, "estimate": fit.level, "lower": fit.level_ci[0],
                           "upper": fit.level_ci[1], "truth": true_level,
                           "inside": bool(fit.level_ci[0] <= true_level <= fit.level_ci[1])})
        for row in overlaps:
            if row["recommended"]:
                t = _true_overlap(truth, row["speciesA"], row["speciesB"])
                checks.append({"check": f"overlap {row['estimator']} (basic0)",
                               "subject": f"{row['speciesA']} / {row['speciesB']} ({row['country']})",
                               "estimate": row["estimate"], "lower": row["lower"], "upper": row["upper"], "truth": t,
                               "inside": bool(row["lower"] <= t <= row["upper"])})
        occ_truth = truth.occupancy[truth.occupancy["label"] == OCCUPANCY_SPECIES]
        sites = occ_truth[occ_truth["locationID"].isin(history.history.index)]
        true_psi = float(sites["psi"].mean())
        checks.append({"check": "occupancy psi", "subject": OCCUPANCY_SPECIES, "estimate": psi, "lower": psi_lo,
                       "upper": psi_hi, "truth": true_psi, "inside": bool(psi_lo <= true_psi <= psi_hi),
                       "realised_share_occupied": float(sites["occupied"].mean()), "naive": null.naive_occupancy})
        check_table = pd.DataFrame(checks)
        _write_csv(check_table, out / "truth_checks.csv", files)
        result["truth_checks"] = _records(check_table)
        for part in curves:
            if part["country"].iat[0] == "all":
                part["truth"] = reference.get(part["scientificName"].iat[0])
    curve_table = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    _write_csv(curve_table, out / "activity_curves.csv", files)
    if fits:
        files += map(str, activity_curves_figure(
            {SHORT[sp].replace("_", " "): f for sp, f in fits.items()}, out / "activity",
            {SHORT[sp].replace("_", " "): r for sp, r in (reference or {}).items()} or None,
            title="Daily activity on local clock time (both sides, 95% bootstrap band)"))
    result["skipped"] = skipped
    result["files"] = files
    (out / "analytics.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    result["files"].append(str(out / "analytics.json"))
    return result
