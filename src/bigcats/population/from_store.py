"""SCR inputs from survey frames: camera stations as proximity detectors, daily usage, capture histories of the
identified cats of one species, and a habitat mask on land around the detectors with the country of every point.

Occasions are local days; usage is each station's camera operation (the share of the day some camera there
worked). By default only full days count (camtrapR's includeEffort = FALSE): usage is then 0 or 1, and the fit
collapses the days to binomial counts per station exactly as secr's fastproximity does; set-up, retrieval and
outage days drop out with their detections. full_days_only=False keeps them as fractional usage (exact too,
but the fit is several times slower). The mask is secr's trapbuffer mask clipped to land: every country in the
outlines counts as habitat, North Korea included, because the cats live there (and the simulator places them
there); the sea is not habitat. Each mask point and detector gets its side of the border (detectors: the
partner's recorded country).

The buffer follows secr's advice (about 4 sigma): when not given, it starts from 4 x the root pooled spatial
variance of the detections and, once sigma is estimated, the mask is rebuilt at 4 sigma-hat and refitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from bigcats.population.capthist import CaptureHistory, make_capthist
from bigcats.population.errors import PopulationError, listed
from bigcats.population.mask import Mask, make_mask
from bigcats.population.movement import project_lonlat, side_of
from bigcats.population.scr import SCRFit, _rpsv, fit_scr, region_n

# Mask spacing as a share of the buffer: at buffer = 4 sigma this is sigma / 2, secr's recommended grain.
SPACING_PER_BUFFER = 1 / 8
STATION_SPREAD_WARN_M = 1000.0


@dataclass
class SCRInputs:
    """Everything an SCR analysis of one species needs, in one projected CRS (metres)."""

    species: str
    capthist: CaptureHistory  # proximity detectors, daily occasions
    mask: Mask
    buffer_m: float
    crs: pyproj.CRS
    stations: pd.DataFrame  # trapID, x, y, longitude, latitude, country (one row per detector, capthist order)
    trap_side: np.ndarray  # country of each detector
    mask_side: np.ndarray  # country of each mask point
    countries: dict[str, shapely.Geometry]  # country outlines near the survey, projected
    detections: pd.DataFrame  # identified records: individualID, scientificName, locationID, timestamp, country, x, y
    dropped_records: int = 0  # identified records dated outside their station's working time
    partial_day_records: int = 0  # identified records on days of partial effort, left out with those days
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Detectors, occasions, animals, detections and mask size, per side where that makes sense."""
        side_area = pd.Series(self.mask_side).value_counts().sort_index() * self.mask.cell_area_ha / 100
        return {
            "species": self.species, "crs": self.crs.to_string(), **self.capthist.summary(),
            "detectors_by_side": pd.Series(self.trap_side).value_counts().sort_index().to_dict(),
            "trap_days": float(self.capthist.usage.sum()), "identified_records": int(len(self.detections)),
            "dropped_records": self.dropped_records, "partial_day_records": self.partial_day_records,
            "buffer_m": self.buffer_m, "mask_spacing_m": self.mask.spacing,
            "mask_points": len(self.mask), "mask_area_km2": self.mask.area_ha / 100,
            "mask_area_km2_by_side": side_area.to_dict(), "warnings": list(self.warnings),
        }


def country_outlines(crs: pyproj.CRS | str, path: str | Path | None = None) -> dict[str, shapely.Geometry]:
    """Country polygons (ISO3 -> geometry) projected to `crs`: Natural Earth's North-East Asia by default."""
    from bigcats.geo.countries import load_countries

    try:
        frame = load_countries(path, pyproj.CRS.from_user_input(crs).to_string())
    except ValueError as exc:
        raise PopulationError(f"country outlines: {exc}") from None
    return {str(iso): geom for iso, geom in frame.geometry.items()}


def station_layout(deployments: pd.DataFrame, crs: pyproj.CRS | str | None = None) -> tuple[pd.DataFrame, pyproj.CRS, list[str]]:
    """One detector per station (locationID): median position of its deployments projected to metres, and country."""
    need = [c for c in ("locationID", "latitude", "longitude") if c not in deployments.columns]
    if need:
        raise PopulationError(f"deployments: missing column {', '.join(need)}")
    if deployments.empty:
        raise PopulationError("deployments: none in this selection — nothing to build detectors from")
    dep = deployments.assign(locationID=deployments["locationID"].astype(str))
    bad = dep[["latitude", "longitude"]].apply(pd.to_numeric, errors="coerce").isna().any(axis=1)
    if bad.any():
        raise PopulationError(f"deployments: station {listed(dep.loc[bad, 'locationID'].unique().tolist())} has no "
                              "latitude/longitude — every camera station needs its coordinates for SCR")
    g = dep.groupby("locationID", sort=True)
    st = g[["longitude", "latitude"]].median()
    x, y, crs = project_lonlat(st["longitude"].to_numpy(float), st["latitude"].to_numpy(float), crs)
    out = pd.DataFrame({"trapID": st.index.to_numpy(), "x": x, "y": y, "longitude": st["longitude"].to_numpy(),
                        "latitude": st["latitude"].to_numpy()})
    warnings = []
    px, py, _ = project_lonlat(dep["longitude"].to_numpy(float), dep["latitude"].to_numpy(float), crs)
    centre = out.set_index("trapID").loc[dep["locationID"], ["x", "y"]].to_numpy()
    spread = pd.Series(np.hypot(px - centre[:, 0], py - centre[:, 1])).groupby(dep["locationID"].to_numpy()).max()
    moved = spread[spread > STATION_SPREAD_WARN_M]
    if len(moved):
        warnings.append(f"deployments of station {listed(moved.index.tolist())} lie more than "
                        f"{STATION_SPREAD_WARN_M:.0f} m apart; the median position is used as the detector")
    if "country" in dep.columns:
        sides = g["country"].agg(lambda s: "|".join(sorted(set(s.dropna().astype(str)))))
        mixed = sides[sides.str.contains("|", regex=False)]
        if len(mixed):
            raise PopulationError(f"deployments: station {listed(mixed.index.tolist())} is recorded in more than one "
                                  f"country ({listed(mixed.tolist())})")
        out["country"] = sides.reindex(out["trapID"]).to_numpy()
    else:
        out["country"] = ""
    return out, crs, warnings


def daily_usage(deployments: pd.DataFrame, outages: pd.DataFrame | None, full_days_only: bool = True) -> pd.DataFrame:
    """Station x local-day usage (day 0 = the survey's first local day): the share of the day a camera worked.

    Cameras at one station count once (the union of their working time): two cameras watching one trail see the
    same passing cat. With full_days_only, days with partial effort (set-up, retrieval, a failure starting or
    ending) count 0 rather than a fraction, as camtrapR's includeEffort = FALSE; all usage is then 0 or 1.
    """
    from bigcats.analysis.effort import daily_effort
    from bigcats.analysis.errors import AnalysisError

    try:
        long = daily_effort(deployments, outages, by="locationID", cameras_independent=False)
    except AnalysisError as exc:
        raise PopulationError(f"camera operation: {exc}") from None
    day = long["day"].to_numpy() - long["day"].min()
    effort = np.clip(long["effort"].to_numpy(float), 0.0, 1.0)
    if full_days_only:
        effort = (effort >= 1.0 - 1e-9).astype(float)
    wide = (pd.DataFrame({"locationID": long["locationID"].astype(str).to_numpy(), "occasion": day, "u": effort})
            .pivot(index="locationID", columns="occasion", values="u"))
    return wide.reindex(columns=pd.RangeIndex(int(day.max()) + 1)).fillna(0.0)


def _usage_and_captures(frames, species: str, full_days_only: bool) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Daily usage (station x local day) and identified captures (individualID, occasion, locationID, detections)."""
    from bigcats.analysis.detection_history import spatial_detection_history
    from bigcats.analysis.errors import AnalysisError

    obs = frames.observations
    if obs is None or obs.empty or "scientificName" not in obs.columns:
        raise PopulationError(f"no observations of {species} in this selection")
    if "individualID" not in obs.columns:
        raise PopulationError("observations have no individualID column: SCR needs identified individuals")
    sp = obs.loc[obs["scientificName"].astype(str).to_numpy() == species]
    named = sp.loc[sp["individualID"].notna() & (sp["individualID"].astype(str) != "")]
    if named.empty:
        have = sorted(obs.loc[obs["individualID"].notna(), "scientificName"].dropna().astype(str).unique())
        raise PopulationError(f"no identified individual of {species} in this selection "
                              f"(species with identified individuals: {', '.join(have) or 'none'})")
    outages = frames.outages if frames.outages is not None and len(frames.outages) else None
    try:
        # Occasions are local days from the survey's first day, the same numbering daily_usage gives.
        caps, _ = spatial_detection_history(named, frames.deployments, species, outages, occasion_length=1,
                                            day1="survey", output="count")
    except AnalysisError as exc:
        raise PopulationError(f"{species}: {exc}") from None
    usage = daily_usage(frames.deployments, outages, full_days_only)
    row = usage.index.get_indexer(caps["locationID"].astype(str))
    col = caps["occasion"].to_numpy(int)
    inside = (row >= 0) & (col < usage.shape[1])
    on = np.zeros(len(caps), bool)
    on[inside] = usage.to_numpy()[row[inside], col[inside]] > 0
    not_working = int(len(named) - caps["detections"].sum())
    partial = int(caps.loc[~on, "detections"].sum())
    return caps.loc[on], usage, not_working, partial


def _sex_of(obs: pd.DataFrame, species: str) -> pd.DataFrame | None:
    """Each individual's sex (the most frequent one recorded; missing when never recorded), an SCR covariate."""
    if "sex" not in obs.columns:
        return None
    rec = obs.loc[(obs["scientificName"].astype(str).to_numpy() == species) & obs["individualID"].notna().to_numpy()
                  & obs["sex"].isin(["male", "female"]).to_numpy(), ["individualID", "sex"]]
    if rec.empty:
        return None
    sex = rec.astype(str).groupby("individualID")["sex"].agg(lambda s: s.mode().iloc[0])
    return pd.DataFrame({"individualID": sex.index.to_numpy(), "sex": sex.to_numpy()})


def build_scr_inputs(
    frames, species: str, buffer: float | None = None, spacing: float | None = None,
    crs: pyproj.CRS | str | None = None, countries: dict[str, shapely.Geometry] | None = None,
    habitat: shapely.Geometry | str | Path | None = None, full_days_only: bool = True, mask: Mask | None = None,
) -> SCRInputs:
    """SCR inputs of one species from survey frames; habitat defaults to all land in the country outlines.

    A given `mask` (points in `crs`, e.g. read from secr's mask file) replaces the buffer mask, clipped to the
    habitat when that is given too. Every mask point carries covariates `side` (its country) and `border_km`
    (distance to the nearest other country) for density models such as D~side.
    """
    all_stations, crs, warnings = station_layout(frames.deployments, crs)
    if isinstance(habitat, (str, Path)):
        from bigcats.population.mask import read_habitat

        habitat = read_habitat(habitat, crs.to_string())
    stations = all_stations
    caps, usage, not_working, partial = _usage_and_captures(frames, species, full_days_only)
    if not_working:
        warnings.append(f"{not_working} identified record(s) of {species} are dated outside their station's working "
                        "time (not deployed, or in an outage) and are left out — check clocks and outage records")
    usage = usage.set_axis(usage.index.astype(str)).reindex(stations["trapID"]).fillna(0.0)
    idle = usage.sum(axis=1) <= 0
    if idle.all():
        raise PopulationError("no camera worked on any day in this selection: usage is zero everywhere")
    ch = make_capthist(caps.rename(columns={"detections": "count"}), stations[["trapID", "x", "y"]], usage,
                       detector="proximity", covariates=_sex_of(frames.observations, species),
                       source=f"identified records of {species}")
    ch = ch.subset_traps(~idle.to_numpy())
    stations = stations.loc[~idle.to_numpy()].reset_index(drop=True)
    if countries is None:
        box = shapely.box(*shapely.bounds(shapely.multipoints(ch.xy)))
        countries = country_outlines(crs)
        countries = {k: g for k, g in countries.items() if shapely.intersects(g, shapely.buffer(box, 200_000))}
    if habitat is None:
        habitat = shapely.union_all(list(countries.values()))
    if mask is not None:
        from bigcats.population.mask import clip_mask

        if habitat is not None:
            mask = clip_mask(mask, habitat)
        buffer = float(cKDTree(ch.xy).query(mask.xy)[0].max())
    elif buffer is None:
        sig = _rpsv(ch)
        if not np.isfinite(sig) or sig <= 0:
            raise PopulationError(f"{species}: no animal was seen at two stations, so there is no scale for the "
                                  "mask buffer — give --buffer in metres")
        buffer = 4.0 * sig
    if not buffer > 0:
        raise PopulationError(f"mask buffer must be positive metres, got {buffer}")
    if mask is None:
        spacing = spacing or buffer * SPACING_PER_BUFFER
        mask = make_mask(ch.xy, buffer, spacing=spacing, habitat=habitat)
    mask_side = side_of(mask.xy[:, 0], mask.xy[:, 1], countries).astype(str)
    mask = Mask(mask.xy, mask.spacing, _side_covariates(mask, mask_side, countries))
    trap_side = stations["country"].fillna("").astype(str).to_numpy()
    blank = trap_side == ""
    if blank.any():
        trap_side[blank] = side_of(ch.xy[blank, 0], ch.xy[blank, 1], countries).astype(str)
    # Camera positions are checked against the outlines only to warn: a station metres from the border can fall on
    # the wrong side of a 1:50m outline, and the partner's recorded country is the better record.
    off = side_of(ch.xy[:, 0], ch.xy[:, 1], countries).astype(str) != trap_side
    if off.any():
        warnings.append(f"{int(off.sum())} station(s) lie on the other side of the border in the country outlines "
                        f"than their recorded country ({listed(stations.loc[off, 'trapID'].tolist(), 5)}); the "
                        "recorded country is used")
    stations["country"] = trap_side
    det = identified_detections(frames, species, stations=all_stations)
    return SCRInputs(species, ch, mask, float(buffer), crs, stations, trap_side, mask_side, countries, det,
                     not_working, partial, warnings)


def _side_covariates(mask: Mask, mask_side: np.ndarray, countries: dict[str, shapely.Geometry]) -> pd.DataFrame:
    """The mask's own covariates plus side (country) and border_km (distance to the nearest other country)."""
    frame = mask.covariates.copy() if mask.covariates is not None else pd.DataFrame(index=range(len(mask)))
    frame["side"] = mask_side
    border = np.full(len(mask), np.nan)
    pts = shapely.points(mask.xy)
    for side in set(mask_side):
        others = [g for k, g in countries.items() if k != side]
        if not others:
            continue
        here = mask_side == side
        border[here] = shapely.distance(shapely.union_all(others), pts[here]) / 1000.0
    frame["border_km"] = np.nan_to_num(border, nan=0.0)
    return frame


def identified_detections(
    frames, species: str | None = None, crs: pyproj.CRS | str | None = None, stations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Records of identified cats (one species or all) at their station's projected position and country."""
    obs = frames.observations
    if obs is None or obs.empty or "individualID" not in obs.columns or "scientificName" not in obs.columns:
        raise PopulationError("no observations with individualID in this selection")
    if stations is None:
        stations, _, _ = station_layout(frames.deployments, crs)
    keep = obs["individualID"].notna().to_numpy() & (obs["individualID"].astype(str) != "").to_numpy()
    if species is not None:
        keep &= obs["scientificName"].astype(str).to_numpy() == species
    if "observationType" in obs.columns:
        keep &= (obs["observationType"].astype(str) == "animal").to_numpy()
    rec = obs.loc[keep]
    if rec.empty:
        raise PopulationError(f"no identified individual{' of ' + species if species else ''} in this selection")
    at = stations.set_index("trapID")
    loc = rec["locationID"].astype(str)
    known = loc.isin(at.index).to_numpy()
    if not known.all():
        raise PopulationError(f"identified records at station {listed(loc[~known].unique().tolist())} that has no "
                              "deployment in this selection")
    return pd.DataFrame({
        "individualID": rec["individualID"].astype(str).to_numpy(),
        "scientificName": rec["scientificName"].astype(str).to_numpy(),
        "locationID": loc.to_numpy(), "timestamp": pd.to_datetime(rec["timestamp"], utc=True).to_numpy(),
        "country": at.loc[loc, "country"].to_numpy(), "x": at.loc[loc, "x"].to_numpy(), "y": at.loc[loc, "y"].to_numpy(),
        "longitude": at.loc[loc, "longitude"].to_numpy(), "latitude": at.loc[loc, "latitude"].to_numpy(),
    }).sort_values(["scientificName", "individualID", "timestamp"], kind="stable").reset_index(drop=True)


def fit_species(
    frames, species: str, buffer: float | None = None, spacing: float | None = None, detectfn: str = "HHN",
    crs: pyproj.CRS | str | None = None, countries: dict[str, shapely.Geometry] | None = None,
    full_days_only: bool = True, max_refits: int = 2, habitat: shapely.Geometry | str | Path | None = None,
    mask: Mask | None = None, **fit_kwargs,
) -> tuple[SCRInputs, SCRFit]:
    """Build the inputs and fit SCR; with no buffer given, refit on a mask of 4 sigma-hat until the buffer suits."""
    if not full_days_only:
        # Fractional days are exact only as Bernoulli occasions; secr's collapse would truncate them.
        fit_kwargs.setdefault("fastproximity", False)
    inputs = build_scr_inputs(frames, species, buffer, spacing, crs, countries, habitat, full_days_only, mask)
    fit = fit_scr(inputs.capthist, inputs.mask, detectfn=detectfn, **fit_kwargs)
    for _ in range(max_refits if buffer is None and mask is None else 0):
        est = fit.estimates
        # With a sex covariate there is a sigma per class: the wider-ranging one sets the buffer.
        sigma = float(est.loc[est["parameter"].str.startswith("sigma"), "estimate"].max())
        # secr's rule of thumb: 3-5 sigma buffers leave density unbiased; outside that, rebuild at 4 sigma.
        if 3.5 * sigma <= inputs.buffer_m <= 5.0 * sigma:
            break
        inputs = build_scr_inputs(frames, species, 4.0 * sigma, spacing, inputs.crs, inputs.countries, habitat,
                                  full_days_only)
        fit = fit_scr(inputs.capthist, inputs.mask, detectfn=detectfn, **fit_kwargs)
    return inputs, fit


def n_by_side(fit: SCRFit, mask_side: np.ndarray, session: str | None = None) -> pd.DataFrame:
    """Expected and realised N in the whole mask and in each country's part of it (secr's region.N), one session."""
    mask_side = np.asarray(mask_side).astype(str)
    parts = [("whole", np.ones(len(mask_side), bool))]
    parts += [(side, mask_side == side) for side in sorted(set(mask_side) - {""})]
    rows = []
    for name, keep in parts:
        r = region_n(fit, keep, session)
        rows.append({"area": name, "area_km2": r["area_km2"], "E.N": r["E.N"], "E.N.SE": r["E.N.SE"],
                     "E.N.lcl": r["E.N.lcl"], "E.N.ucl": r["E.N.ucl"], "R.N": r["R.N"], "R.N.SE": r["R.N.SE"],
                     "detected_centred_here": r["detected_in_region"]})
    return pd.DataFrame(rows)


def report_rows(fit: SCRFit, inputs: SCRInputs) -> list[dict]:
    """Density with its interval and expected N per region (whole area, each country's part) for a status report."""
    d = fit.density("100km2")
    table = n_by_side(fit, inputs.mask_side)
    return [{"region": "all" if r["area"] == "whole" else r["area"], "density": d["estimate"],
             "densityLower": d["lcl"], "densityUpper": d["ucl"], "N": r["E.N"], "NLower": r["E.N.lcl"],
             "NUpper": r["E.N.ucl"], "method": "SCR"} for r in table.to_dict(orient="records")]


def split_sessions(frames, period: str = "Y") -> dict[str, object]:
    """Survey frames per session: deployments by the period (pandas alias: 'Y' years, 'Q' quarters) of their start,
    with their outages and observations."""
    from dataclasses import replace

    deps = frames.deployments
    if deps.empty:
        raise PopulationError("no deployments to split into sessions")
    try:
        label = pd.to_datetime(deps["deploymentStart"], utc=True).dt.tz_localize(None).dt.to_period(period).astype(str)
    except (ValueError, TypeError) as exc:
        raise PopulationError(f"session period {period!r}: {exc} (use a pandas period such as 'Y' or 'Q')") from None
    out = {}
    for name in sorted(label.unique()):
        ids = set(deps.loc[(label == name).to_numpy(), "deploymentID"])
        keep = lambda f: f if f is None or f.empty else f[f["deploymentID"].isin(ids)]  # noqa: E731
        out[name] = replace(frames, deployments=deps[deps["deploymentID"].isin(ids)], outages=keep(frames.outages),
                            observations=keep(frames.observations))
    return out


def fit_species_sessions(
    frames, species: str, period: str = "Y", buffer: float | None = None, spacing: float | None = None,
    detectfn: str = "HHN", crs: pyproj.CRS | str | None = None, full_days_only: bool = True,
    habitat: shapely.Geometry | str | Path | None = None, density: str = "~session", **fit_kwargs,
) -> tuple[dict[str, SCRInputs], SCRFit]:
    """Sessions (years by default) of one species fitted together: shared detection, density per session.

    Each session's inputs are built as for one survey, all in one CRS; with no buffer, 4 sigma-hat of a first
    fit sets one buffer for every session's mask.
    """
    parts = split_sessions(frames, period)
    if len(parts) < 2:
        raise PopulationError(f"only one session ({next(iter(parts))}) in this selection: fit it alone, or choose a "
                              "shorter period")
    if not full_days_only:
        fit_kwargs.setdefault("fastproximity", False)
    first_crs = crs or station_layout(frames.deployments)[1]
    inputs: dict[str, SCRInputs] = {}
    for name, part in parts.items():
        try:
            inputs[name] = build_scr_inputs(part, species, buffer, spacing, first_crs, None, habitat, full_days_only)
        except PopulationError as exc:
            raise PopulationError(f"session {name}: {exc}") from None
    if buffer is None:
        # One buffer for all sessions, from sigma-hat of the joint fit on the provisional masks.
        fit = fit_scr({k: v.capthist for k, v in inputs.items()}, {k: v.mask for k, v in inputs.items()},
                      detectfn=detectfn, **fit_kwargs)
        sigma = float(fit.estimates.loc[fit.estimates["parameter"].str.startswith("sigma"), "estimate"].max())
        inputs = {k: build_scr_inputs(parts[k], species, 4.0 * sigma, spacing, first_crs, v.countries, habitat,
                                      full_days_only) for k, v in inputs.items()}
    for k, v in inputs.items():
        v.capthist.session = k
    fit = fit_scr({k: v.capthist for k, v in inputs.items()}, {k: v.mask for k, v in inputs.items()},
                  detectfn=detectfn, density=density, **fit_kwargs)
    return inputs, fit
