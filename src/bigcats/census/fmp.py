"""Prey density by the Formozov–Malyshev–Pereleshin (FMP) formula, with route-bootstrap intervals and biomass.

D = (pi/2) · S / (m · d): S fresh crossings per day, m route length (km), d mean daily travel distance (km).
Over several routes and surveys the ratio S/m is estimated as (fresh crossings) / (km · days of accumulation),
summed over the routes of a unit, which weights each route by its effort; with equal days it is (sum S)/(sum m).
A crossing is fresh when its track is no older than the days since the snowfall (or since the route was wiped).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bigcats.census.errors import CensusError
from bigcats.census.routes import RouteSet

# Tigers and leopards are counted by individuals (tigers.py), not by the FMP formula.
LARGE_CATS = ("Panthera tigris", "Panthera tigris altaica", "Panthera pardus", "Panthera pardus orientalis", "Panthera uncia")


def fmp_density(crossings_per_day: np.ndarray | float, length_km: np.ndarray | float, daily_travel_km: np.ndarray | float) -> np.ndarray:
    """D = (pi/2) · S / (m · d) in animals per km², elementwise."""
    return np.pi / 2.0 * np.asarray(crossings_per_day, float) / (np.asarray(length_km, float) * np.asarray(daily_travel_km, float))


@dataclass
class FmpResult:
    """Densities per unit, per country side and for the whole area, each with bootstrap interval, and biomass."""

    units: pd.DataFrame
    countries: pd.DataFrame
    total: pd.DataFrame
    biomass: pd.DataFrame = field(default_factory=pd.DataFrame)
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The result as plain records for JSON."""
        return {k: (v.to_dict(orient="records") if isinstance(v, pd.DataFrame) else v)
                for k, v in (("units", self.units), ("countries", self.countries), ("total", self.total),
                             ("biomass", self.biomass), ("settings", self.settings))}


def _effort_and_counts(routes: RouteSet, crossings: pd.DataFrame, species: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int]:
    """Per route: km·days of effort, fresh crossings per species, and how many crossings were too old."""
    s = routes.surveys.merge(routes.routes[["route_id", "length_km"]], on="route_id")
    effort = (s["length_km"] * s["days_since_snow"]).groupby(s["route_id"]).sum()
    c = crossings.merge(routes.surveys, on=["route_id", "date"], how="left")
    fresh = c["track_age_days"].isna() | (c["track_age_days"] <= c["days_since_snow"])
    old = int(c.loc[~fresh, "count"].sum())
    c = c[fresh & c["species"].isin(species)]
    table = (c.pivot_table(index="route_id", columns="species", values="count", aggfunc="sum", fill_value=0)
             .reindex(index=routes.routes["route_id"], columns=species, fill_value=0))
    r = routes.routes[["route_id", "unit", "country"]].reset_index(drop=True)
    return r, effort.reindex(r["route_id"]).to_numpy(float), table.to_numpy(float), old


def _summarise(est: np.ndarray, boot: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    alpha = (1 - level) / 2
    lo, hi = np.quantile(boot, [alpha, 1 - alpha], axis=0)
    return est, lo, hi


def estimate_density(
    routes: RouteSet,
    crossings: pd.DataFrame,
    travel: pd.Series,
    masses: pd.Series | None = None,
    unit_areas: pd.Series | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int | None = 0,
    exclude: tuple[str, ...] = LARGE_CATS,
) -> FmpResult:
    """FMP density (animals/km²) of each prey species per unit, country side and whole area, with route bootstrap.

    travel: mean daily travel km by species (user's table). masses: body mass kg by species, for biomass per km².
    unit_areas: km² per unit; if given, country and total densities are area-weighted means of unit densities,
    otherwise the ratio pooled over all routes of the group. Routes are resampled with replacement within units.
    """
    seen = set(crossings["species"]) - set(exclude)
    no_travel = sorted(seen - set(travel.index))
    if no_travel:
        rows = {s: crossings.loc[crossings["species"] == s, "row"].head(3).tolist() for s in no_travel}
        raise CensusError("daily travel table", [f"no daily travel distance for species {s!r} (crossings on rows {rows[s]}...)" for s in no_travel])
    species = sorted(set(travel.index) - set(exclude))
    if masses is not None:
        no_mass = sorted(set(species) - set(masses.index))
        if no_mass:
            raise CensusError("body mass table", [f"no body mass for species {s!r}" for s in no_mass])
    if not 0 < level < 1:
        raise CensusError("settings", f"confidence level {level} must be between 0 and 1")
    r, effort, counts, old = _effort_and_counts(routes, crossings, species)
    k = np.pi / (2.0 * travel.reindex(species).to_numpy(float))  # per species
    units = sorted(r["unit"].unique())
    rng = np.random.default_rng(seed)
    # Bootstrap totals per unit: counts (B, U, S) and effort (B, U); every level and biomass reuses the same draws.
    U, S = len(units), len(species)
    cb = np.empty((n_boot, U, S))
    eb = np.empty((n_boot, U))
    c_obs = np.empty((U, S))
    e_obs = np.empty(U)
    n_routes = np.empty(U, int)
    for j, u in enumerate(units):  # a loop over survey units; each draws all replicates at once
        idx = np.flatnonzero(r["unit"].to_numpy() == u)
        n_routes[j] = len(idx)
        draw = idx[rng.integers(0, len(idx), size=(n_boot, len(idx)))]
        cb[:, j] = counts[draw].sum(axis=1)
        eb[:, j] = effort[draw].sum(axis=1)
        c_obs[j] = counts[idx].sum(axis=0)
        e_obs[j] = effort[idx].sum()
    unit_country = r.drop_duplicates("unit").set_index("unit").loc[units, "country"].to_numpy()
    areas = None
    if unit_areas is not None:
        missing = sorted(set(units) - set(unit_areas.index))
        if missing:
            raise CensusError("unit areas", [f"no area for survey unit {u!r}" for u in missing])
        areas = unit_areas.reindex(units).to_numpy(float)

    def density(c: np.ndarray, e: np.ndarray, members: np.ndarray) -> np.ndarray:
        # c (..., U, S), e (..., U) -> (..., S) for the units in members
        if areas is None or members.sum() == 1:
            return k * c[..., members, :].sum(-2) / e[..., members].sum(-1)[..., None]
        d = k * c[..., members, :] / e[..., members][..., None]
        w = areas[members]
        return (d * w[:, None]).sum(-2) / w.sum()

    def table(groups: list[tuple[dict, np.ndarray]]) -> tuple[pd.DataFrame, list[np.ndarray]]:
        recs, boots = [], []
        for keys, members in groups:
            est = density(c_obs, e_obs, members)
            boot = density(cb, eb, members)
            _, lo, hi = _summarise(est, boot, level)
            single = n_routes[members].sum() < 2
            for s_i, sp in enumerate(species):
                rec = dict(keys)
                rec.update(species=sp, n_routes=int(n_routes[members].sum()), effort_km_days=float(e_obs[members].sum()),
                           fresh_crossings=int(c_obs[members, s_i].sum()), daily_travel_km=float(travel[sp]),
                           density_km2=float(est[s_i]), lower=None if single else float(lo[s_i]), upper=None if single else float(hi[s_i]),
                           note="one route: no bootstrap interval" if single else "")
                if areas is not None:
                    area = float(areas[members].sum())
                    rec.update(area_km2=area, abundance=float(est[s_i]) * area)
                if masses is not None:
                    rec.update(body_mass_kg=float(masses[sp]), biomass_kg_km2=float(est[s_i] * masses[sp]))
                recs.append(rec)
            boots.append(boot)
        return pd.DataFrame(recs), boots

    unit_groups = [({"unit": u, "country": unit_country[j]}, np.arange(U) == j) for j, u in enumerate(units)]
    country_groups = [({"country": c}, unit_country == c) for c in sorted(set(unit_country))]
    total_groups = [({"area": "all"}, np.ones(U, bool))]
    unit_df, unit_boot = table(unit_groups)
    country_df, country_boot = table(country_groups)
    total_df, total_boot = table(total_groups)
    biomass = pd.DataFrame()
    if masses is not None:
        m = masses.reindex(species).to_numpy(float)
        recs = []
        for level_name, groups, boots in (("unit", unit_groups, unit_boot), ("country", country_groups, country_boot),
                                           ("all", total_groups, total_boot)):
            for (keys, members), boot in zip(groups, boots):
                est = float((density(c_obs, e_obs, members) * m).sum())
                b = (boot * m).sum(-1)
                single = n_routes[members].sum() < 2
                lo, hi = np.quantile(b, [(1 - level) / 2, 1 - (1 - level) / 2])
                recs.append({"level": level_name, **keys, "prey_biomass_kg_km2": est,
                             "lower": None if single else float(lo), "upper": None if single else float(hi)})
        biomass = pd.DataFrame(recs)
    settings = {"n_boot": n_boot, "level": level, "seed": seed, "old_tracks_excluded": old,
                "weighting": "unit area" if areas is not None else "pooled over routes", "species": species}
    return FmpResult(unit_df, country_df, total_df, biomass, settings)
