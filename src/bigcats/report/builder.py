"""Gather the numbers of a status report for one species, area and period: language-neutral, computed once.

Every language renders the same StatusReport, so the figures cannot differ between the Russian, Chinese and
English editions. Sections whose analyses are made elsewhere (spatial capture-recapture density, movement, the
winter track census) take those results when given; otherwise the report says they were not estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bigcats.analysis.activity import ActivityFit, fit_activity
from bigcats.analysis.errors import AnalysisError
from bigcats.census.store import census_for_species
from bigcats.analysis.overlap import overlap
from bigcats.analysis.solar import record_times
from bigcats.geo.privacy import DEFAULT_CELL_KM, cell_id, generalise
from bigcats.report.errors import ReportError
from bigcats.report.inputs import ReportInputs
from bigcats.report.selection import Area, Period, parse_period, resolve_area, select
from bigcats.core.frames import SurveyFrames
from bigcats.survey.abundance import N_BOOT, SEED, abundance_by_side
from bigcats.survey.effort import effort_by_side, effort_per_station
from bigcats.survey.events import events as survey_events
from bigcats.taxonomy.resolve import resolve_species as resolve_any

MIN_ACTIVITY_RECORDS = 10
MIN_OVERLAP_RECORDS = 20
MAX_PREY = 3
# Meredith & Ridout (overlap package): Dhat1 for small samples, Dhat4 once the smaller sample reaches 75.
DHAT4_FROM = 75


@dataclass
class StatusReport:
    """The language-neutral content of a status report (every number and table; no words)."""

    species: str
    sensitive: bool
    names: pd.DataFrame  # species table indexed by scientificName: group, sensitive, en, ru, zh, mn
    area: Area
    period: Period
    sides: list[str]
    effort: pd.DataFrame  # country ('all' last), stations, deployments, trapNights
    abundance: pd.DataFrame  # country, scientificName, events, stationsDetected, rai, lower, upper
    stations: pd.DataFrame  # locationID, longitude, latitude, country, trapNights, events, rai
    prey: list[str]
    activity: ActivityFit | None
    activity_prey: dict[str, ActivityFit]
    overlaps: pd.DataFrame  # prey, estimator, estimate, lower, upper, nTarget, nPrey
    individuals: pd.DataFrame  # individualID, sex, sides, detections, firstSeen, lastSeen, partnerCodes
    individual_counts: dict[str, Any]  # total, per_side {country: n}, both
    population: pd.DataFrame | None = None
    movement: dict[str, Any] | None = None
    census: dict[str, pd.DataFrame] | None = None
    patrols: pd.DataFrame | None = None  # country ('all' last), patrols, km, hours, signs, threats, threatsPer100km
    notes: list[dict] = field(default_factory=list)  # what was not estimated and why: {"code": ..., values}
    # one reference photo per catalogued individual (individualID, side, path, bbox*): for the status report's
    # catalogue table only; never in to_dict (a server's folders are nobody's business) nor in the brochure
    photos: pd.DataFrame | None = None

    def target_rai(self, country: str = "all") -> dict[str, Any]:
        """The RAI row of the target species for a side ('all' for the whole area)."""
        rows = self.abundance[(self.abundance["country"] == country)
                              & (self.abundance["scientificName"] == self.species)]
        if rows.empty:
            raise ReportError(f"no relative abundance for {self.species} in {country!r}")
        return rows.iloc[0].to_dict()

    def to_dict(self) -> dict[str, Any]:
        """The numbers as plain JSON-ready data (the same whatever the language)."""
        def recs(df: pd.DataFrame | None) -> list[dict] | None:
            return None if df is None else df.astype(object).where(df.notna(), None).to_dict(orient="records")

        act = None if self.activity is None else {"level": self.activity.level, "lower": self.activity.level_ci[0],
                                                  "upper": self.activity.level_ci[1], "n": self.activity.n}
        return {
            "species": self.species, "sensitive": self.sensitive, "area": vars(self.area),
            "period": {"start": self.period.start.date().isoformat(), "end": self.period.last_day.date().isoformat()},
            "sides": self.sides, "effort": recs(self.effort), "abundance": recs(self.abundance),
            "activity": act, "overlaps": recs(self.overlaps), "individuals": self.individual_counts,
            "population": recs(self.population), "movement": self.movement,
            "census": None if self.census is None else {k: recs(v) for k, v in self.census.items()},
            "patrols": recs(self.patrols), "notes": self.notes,
        }


def resolve_species(names: pd.DataFrame, species: str) -> str:
    """The scientific name for any name of a species (the one resolver: bigcats.taxonomy.resolve)."""
    if names.empty:
        raise ReportError("the species table is empty: the store was not set up (bigcats db upgrade)")
    return resolve_any(species, names)


def _stations(frames: SurveyFrames, per_station: pd.DataFrame, events: pd.DataFrame, species: str) -> pd.DataFrame:
    """Each station with its coordinates, side, effort and the target species' events and RAI there."""
    where = frames.deployments.drop_duplicates("locationID").set_index("locationID")[["longitude", "latitude"]]
    st = per_station.groupby(["locationID", "country"], as_index=False)["trapNights"].sum().join(where, on="locationID")
    counts = events.loc[events["scientificName"] == species].groupby("locationID").size()
    st["events"] = st["locationID"].map(counts).fillna(0).astype(int)
    st["rai"] = np.where(st["trapNights"] > 0, st["events"] / st["trapNights"].where(st["trapNights"] > 0, 1) * 100, 0.0)
    return st


def _individuals(obs: pd.DataFrame, catalogue: pd.DataFrame, species: str, sides: list[str]) -> tuple[pd.DataFrame, dict]:
    """Identified individuals of the species: where each was seen, how often, its partner codes; and the counts."""
    cols = ["individualID", "sex", "sides", "detections", "firstSeen", "lastSeen", "partnerCodes"]
    marked = obs[(obs["scientificName"] == species) & obs["individualID"].notna()] if "individualID" in obs else obs.iloc[:0]
    if marked.empty:
        return pd.DataFrame(columns=cols), {"total": 0, "per_side": {s: 0 for s in sides}, "both": 0}
    g = marked.groupby("individualID")
    table = pd.DataFrame({
        "sides": g["country"].agg(lambda s: "|".join(sorted(set(s.dropna())))),
        "detections": g.size(),
        "firstSeen": g["timestamp"].min(),
        "lastSeen": g["timestamp"].max(),
    })
    cat = catalogue[catalogue["scientificName"] == species]
    codes = (cat.assign(code=cat["partner"] + ": " + cat["partnerCode"]).groupby("individualID")["code"]
             .agg(lambda s: ", ".join(sorted(s))))
    sexes = cat.drop_duplicates("individualID").set_index("individualID")["sex"]
    table["partnerCodes"] = table.index.map(codes)
    table["sex"] = table.index.map(sexes)
    table = table.reset_index()[cols]
    both = table["sides"].str.contains("|", regex=False)
    per_side = {s: int(table["sides"].str.split("|").apply(lambda v, s=s: s in v).sum()) for s in sides}
    return table, {"total": int(len(table)), "per_side": per_side, "both": int(both.sum())}


def _activity(events: pd.DataFrame, species: str, prey: list[str], n_boot: int, seed: int | None,
              notes: list[dict]) -> tuple[ActivityFit | None, dict[str, ActivityFit], pd.DataFrame]:
    """Activity level of the target and of its prey, and the overlap of the target's activity with each prey."""
    def times(name: str) -> np.ndarray:
        return record_times(events[events["scientificName"] == name], kind="clock")

    target_t = times(species)
    fit = None
    if len(target_t) >= MIN_ACTIVITY_RECORDS:
        try:
            fit = fit_activity(target_t, n_boot=n_boot, seed=seed, what=species)
        except AnalysisError as exc:
            notes.append({"code": "failed", "what": "activity", "why": str(exc)})
    else:
        notes.append({"code": "few_activity", "n": len(target_t), "min": MIN_ACTIVITY_RECORDS})
    prey_fits, rows = {}, []
    for name in prey:  # a few prey species, each fitted on all its records at once
        t = times(name)
        if len(t) < MIN_OVERLAP_RECORDS or len(target_t) < MIN_OVERLAP_RECORDS:
            notes.append({"code": "few_overlap", "prey": name, "min": MIN_OVERLAP_RECORDS})
            continue
        try:
            prey_fits[name] = fit_activity(t, n_boot=n_boot, seed=seed, what=name)
            res = overlap(target_t, t, n_boot=n_boot, seed=seed, names=(species, name))
        except AnalysisError as exc:
            notes.append({"code": "failed", "what": f"overlap with {name}", "why": str(exc)})
            continue
        est = "Dhat4" if min(len(target_t), len(t)) >= DHAT4_FROM else "Dhat1"
        lo, hi = res.ci[est]["basic0"]
        # An overlap coefficient lies in [0, 1]; the basic0 interval can step outside it.
        rows.append({"prey": name, "estimator": est, "estimate": res.estimates[est], "lower": max(0.0, lo),
                     "upper": min(1.0, hi), "nTarget": len(target_t), "nPrey": len(t)})
    cols = ["prey", "estimator", "estimate", "lower", "upper", "nTarget", "nPrey"]
    return fit, prey_fits, pd.DataFrame(rows, columns=cols)


def population_table(population: Any) -> pd.DataFrame | None:
    """Density and numbers as rows (region, density per 100 km² with interval, N with interval, method).

    Takes None, a DataFrame or list of dicts with those columns, or an SCR fit (bigcats.population.SCRFit,
    anything with .density('100km2')) for the whole area.
    """
    cols = ["region", "density", "densityLower", "densityUpper", "N", "NLower", "NUpper", "method"]
    if population is None:
        return None
    if hasattr(population, "density") and callable(population.density):
        d = population.density("100km2")
        population = [{"region": "all", "density": d["estimate"], "densityLower": d["lcl"],
                       "densityUpper": d["ucl"], "method": "SCR"}]
    table = pd.DataFrame(population)
    if "region" not in table or "density" not in table:
        raise ReportError(f"population: rows need at least 'region' and 'density' (got {', '.join(table.columns)})")
    table = table.reindex(columns=cols)
    bad = pd.to_numeric(table["density"], errors="coerce").isna()
    if bad.any():
        raise ReportError(f"population: region(s) {', '.join(table.loc[bad, 'region'].astype(str))} have no density value")
    return table


def movement_summary(movement: pd.DataFrame | None, species: str) -> dict[str, Any] | None:
    """Transboundary movement from bigcats.population.individual_movement's table, for the target species."""
    if movement is None:
        return None
    need = {"individualID", "both_sides", "crossings", "max_distance_m"}
    if not need <= set(movement.columns):
        raise ReportError(f"movement: the table lacks {', '.join(sorted(need - set(movement.columns)))}")
    m = movement[movement["scientificName"] == species] if "scientificName" in movement else movement
    return {"individuals": int(len(m)), "both_sides": int(m["both_sides"].sum()),
            "crossings": int(m["crossings"].sum()),
            "max_distance_km": float(m["max_distance_m"].max() / 1000) if len(m) else 0.0}


def census_tables(fmp: Any = None, tigers: Any = None, species: str = "") -> dict[str, pd.DataFrame] | None:
    """Winter track census: prey densities per side and overall (FmpResult), minimum tigers per side (TigerResult)."""
    out: dict[str, pd.DataFrame] = {}
    if fmp is not None:
        parts = [fmp.countries, fmp.total.assign(country="all")]
        table = pd.concat(parts, ignore_index=True)
        out["prey"] = table[["country", "species", "n_routes", "fresh_crossings", "density_km2", "lower", "upper"]]
    if tigers is not None and species.startswith("Panthera tigris"):
        u = tigers.units
        per = u.groupby("country", as_index=False)[["tracks", "min_tigers"]].sum()
        out["tigers"] = pd.concat([per, pd.DataFrame([{"country": "all", "tracks": int(u["tracks"].sum()),
                                                       "min_tigers": int(u["min_tigers"].sum())}])], ignore_index=True)
    return out or None


def build_status(inputs: ReportInputs, species: str, area: str = "all", period: str | Period = "",
                 prey: list[str] | None = None, population: Any = None, movement: pd.DataFrame | None = None,
                 fmp: Any = None, tigers: Any = None, n_boot: int = N_BOOT, seed: int | None = SEED) -> StatusReport:
    """The numbers of a status report of one species in an area and period, from the store's frames and analyses."""
    names = inputs.species.set_index("scientificName")
    target = resolve_species(inputs.species, species)
    deps = inputs.frames.deployments
    if deps is None or deps.empty:
        raise ReportError("the store holds no deployments: import data first")
    if not isinstance(period, Period):
        if not period:
            # Default: the whole span of the data, in calendar days.
            period = f"{deps['deploymentStart'].min():%Y-%m-%d}/{deps['deploymentEnd'].max():%Y-%m-%d}"
        period = parse_period(period)
    where = resolve_area(deps, area)
    frames = select(inputs.frames, where, period)
    sides = sorted(frames.deployments["country"].dropna().astype(str).unique())
    obs = frames.observations
    if obs is None or obs.empty:
        obs = pd.DataFrame(columns=["observationID", "deploymentID", "locationID", "timestamp", "utcOffset",
                                    "scientificName", "observationType", "individualID", "country"])
    per_station = effort_per_station(frames)
    effort = effort_by_side(frames)
    events = survey_events(frames)
    if prey is None:
        prey_group = set(names.index[names["group"] == "prey"])
        counts = events[events["scientificName"].isin(prey_group)].groupby("scientificName").size()
        prey = counts[counts >= MIN_OVERLAP_RECORDS].sort_values(ascending=False).index[:MAX_PREY].tolist()
    else:
        prey = [resolve_species(inputs.species, p) for p in prey]
    notes: list[dict] = []
    abundance = abundance_by_side(frames, [target, *prey], n_boot, seed, events=events, per_station=per_station)
    act, prey_fits, overlaps = _activity(events, target, prey, n_boot, seed, notes)
    individuals, counts = _individuals(obs, inputs.catalogue, target, sides)
    return StatusReport(
        species=target, sensitive=bool(names.loc[target, "sensitive"]), names=names, area=where, period=period,
        sides=sides, effort=effort, abundance=abundance,
        stations=_stations(frames, per_station, events, target), prey=prey, activity=act, activity_prey=prey_fits,
        overlaps=overlaps, individuals=individuals, individual_counts=counts,
        population=population_table(population), movement=movement_summary(movement, target),
        census=census_tables(fmp, tigers, target) or census_for_species(getattr(inputs, "census", None), target),
        patrols=patrol_table(inputs, target, sides, period),
        notes=notes, photos=individual_photos(getattr(inputs, "photos", None), individuals, target))


def individual_photos(photos: pd.DataFrame | None, individuals: pd.DataFrame, species: str) -> pd.DataFrame | None:
    """One reference photo per individual of the table (the left flank first, then the earliest), or None."""
    if photos is None or photos.empty or individuals.empty:
        return None
    mine = photos[(photos["scientificName"] == species) & photos["individualID"].isin(individuals["individualID"])
                  & photos["path"].notna()]
    if mine.empty:
        return None
    order = mine.assign(_left=(mine["side"] != "left").astype(int), _n=range(len(mine)))
    return order.sort_values(["_left", "_n"]).drop_duplicates("individualID").drop(columns=["_left", "_n"])


def patrol_table(inputs: ReportInputs, species: str, sides: list[str], period: Period) -> pd.DataFrame | None:
    """Patrol effort, signs of the species and threats per country side in the period (None without patrols)."""
    patrols, records = inputs.patrols, inputs.incidental
    if (patrols is None or patrols.empty) and (records is None or records.empty):
        return None
    lo, hi = period.start, period.last_day + pd.Timedelta(days=1)
    p = patrols[(patrols["end"] >= lo) & (patrols["start"] < hi)] if patrols is not None else pd.DataFrame()
    r = records[(records["timestamp"] >= lo) & (records["timestamp"] < hi)] if records is not None else pd.DataFrame()
    rows = []
    for side in [*sorted(set(p.get("country", pd.Series(dtype=str)).dropna()) | set(r.get("country", pd.Series(dtype=str)).dropna())), "all"]:
        ps = p if side == "all" else p[p["country"] == side]
        rs = r if side == "all" else r[r["country"] == side]
        if sides and side != "all" and side not in sides:
            continue
        km = float(ps["distance_km"].sum()) if len(ps) else 0.0
        threats = int(rs["threat"].astype(bool).sum()) if len(rs) else 0
        rows.append({"country": side, "patrols": len(ps), "km": km,
                     "hours": float(ps["hours"].sum()) if len(ps) else 0.0,
                     "signs": int((rs["scientificName"] == species).sum()) if len(rs) else 0, "threats": threats,
                     "threatsPer100km": threats / km * 100 if km > 0 else np.nan})
    table = pd.DataFrame(rows)
    return None if table.empty or (table["patrols"].sum() == 0 and table["signs"].sum() == 0
                                   and table["threats"].sum() == 0) else table


def public_cells(stations: pd.DataFrame, cell_km: float = DEFAULT_CELL_KM) -> pd.DataFrame:
    """Stations pooled into equal-area grid cells (centres only): what a public map may show of a sensitive species."""
    if stations.empty:
        return pd.DataFrame(columns=["cell", "longitude", "latitude", "country", "stations", "events"])
    lon, lat = stations["longitude"].to_numpy(float), stations["latitude"].to_numpy(float)
    glon, glat = generalise(lon, lat, cell_km)
    cells = stations.assign(cell=cell_id(lon, lat, cell_km), longitude=glon, latitude=glat)
    return (cells.groupby("cell", as_index=False)
            .agg(longitude=("longitude", "first"), latitude=("latitude", "first"),
                 country=("country", lambda s: "|".join(sorted(set(s)))), stations=("locationID", "nunique"),
                 events=("events", "sum")))
