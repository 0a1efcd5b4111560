"""The demo's winter track census: prey and tigers walk over fresh snow in the camera survey's area, field teams
count the crossings on routes, and bigcats estimates prey density (FMP), biomass and the minimum number of tigers,
shown beside the truth.

Survey units are the land of each country side near the cameras, split north and south. Prey walk isotropic
correlated random walks at known densities and known daily travel, so the FMP formula is unbiased for them. Routes
are kept further from the other units than any animal walks between snowfall and survey, so each route sees only
its own unit's density. Tigers are the camera survey's own simulated tigers: each starts a day's walk from a point
of its range (half-normal around its activity centre) and leaves tracks, with its front-pad width, where it
crosses a route. The demo writes the routes (GeoJSON, GPX) and field sheets as partners would, reads them back
with bigcats' importers, and estimates from what it read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bigcats.census.crossings import read_crossings
from bigcats.census.errors import CensusError
from bigcats.census.fmp import estimate_density
from bigcats.census.routes import RouteSet, read_routes
from bigcats.census.tables import read_masses, read_travel
from bigcats.census.tigers import minimum_tigers, parse_size_classes
from bigcats.geo.areas import area_km2
from bigcats.geo.crs import WGS84
from bigcats.geo.maps import Layer, graduated_classes, render_map
from bigcats.simulate.geography import load_countries, to_lonlat, uniform_points

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bigcats.simulate.survey import Truth

TIGER = "Panthera tigris altaica"
# The simulation's own settings, written out as the "user's" tables; they are not published values.
PREY = pd.DataFrame({
    "species": ["Cervus nippon", "Sus scrofa", "Capreolus pygargus", "Cervus canadensis xanthopygus"],
    "short": ["sika_deer", "wild_boar", "roe_deer", "red_deer"],
    "density_km2": [3.0, 0.8, 1.2, 0.3],  # mean true density; each unit draws its own around it
    "daily_travel_km": [2.5, 4.0, 2.5, 3.0],
    "body_mass_kg": [70.0, 90.0, 30.0, 180.0],
})
SIDE_FACTOR = {"RUS": {"Cervus nippon": 1.4, "Capreolus pygargus": 0.8}, "CHN": {"Cervus nippon": 0.7, "Capreolus pygargus": 1.3}}
SURVEY_DATES = ("2025-01-18", "2025-02-08")
DAYS_SINCE_SNOW = 1.0
ROUTES_PER_UNIT = 9
SEGMENTS, SEGMENT_KM = 3, 2.0  # a route is three 2-km legs (6 km), bending as trails do
STEPS_PER_DAY = 24
TURNING = 2.0  # von Mises concentration of the heading change per step
TIGER_DAILY_KM = 15.0
TIGER_MAX_DAILY_KM = 20.0  # the user's setting for minimum_tigers: more than a simulated tiger walks in a day
PAD_TOLERANCE_CM = 0.6
PAD_NOISE_CM = 0.25  # measurement error is uniform within +-this, so one tiger's tracks never differ by > tolerance
SIZE_CLASSES = "young:0,adult_female:8.5,adult_male:10.2"
PAD_MEAN = {"young": 7.6, "adult_female": 9.3, "adult_male": 11.2}
PAD_SD = {"young": 0.25, "adult_female": 0.25, "adult_male": 0.3}
P_YOUNG = 0.2
OLD_TRACKS_PER_ROUTE = 0.5  # tracks older than the snowfall that field teams note but FMP must leave out
STUDY_BUFFER_M = 12_000.0
COMPASS = np.array(["N", "NE", "E", "SE", "S", "SW", "W", "NW"])


def _records(frame: pd.DataFrame) -> list[dict]:
    """A table as JSON-able records (numpy scalars, timestamps and NaN turned into plain values)."""
    return json.loads(frame.to_json(orient="records", double_precision=10, date_format="iso"))


def _equal_area_split(geom: shapely.Geometry) -> float:
    """The northing that cuts a polygon into two halves of equal area (bisection)."""
    x0, y0, x1, y1 = geom.bounds
    lo, hi = y0, y1
    for _ in range(40):  # a scalar bisection, to well under a metre
        mid = (lo + hi) / 2
        below = shapely.area(shapely.intersection(geom, shapely.box(x0 - 1, y0 - 1, x1 + 1, mid)))
        lo, hi = (mid, hi) if below < geom.area / 2 else (lo, mid)
    return (lo + hi) / 2


def survey_units(truth: Truth) -> gpd.GeoDataFrame:
    """Census survey units in the survey's projected CRS: each side's land near the cameras, split north/south."""
    countries = load_countries(truth.config.countries_path, truth.crs)
    st = truth.stations
    hull = shapely.buffer(shapely.convex_hull(shapely.multipoints(st[["x", "y"]].to_numpy(float))), STUDY_BUFFER_M)
    rows = []
    for side in sorted(st["country"].unique()):
        land = shapely.intersection(hull, countries.loc[side].geometry)
        ymid = _equal_area_split(land)
        for half, box in (("N", shapely.box(-1e8, ymid, 1e8, 1e8)), ("S", shapely.box(-1e8, -1e8, 1e8, ymid))):
            part = shapely.intersection(land, box)
            # keep the main piece: islets and slivers across the split are no survey unit
            pieces = shapely.get_parts(part)
            rows.append({"unit": f"{side}-{half}", "country": side, "geometry": pieces[np.argmax(shapely.area(pieces))]})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=truth.crs)


def _route_lines(rng: np.random.Generator, allowed: shapely.Geometry, n: int) -> list[shapely.LineString]:
    """n bent routes lying wholly in `allowed`, by rejection over batches of random candidates."""
    shapely.prepare(allowed)
    x0, y0, x1, y1 = allowed.bounds
    leg = SEGMENT_KM * 1000.0
    out: list[shapely.LineString] = []
    for _ in range(50):  # batches; each usually yields every route still missing
        m = 400
        start = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        heading = rng.uniform(0, 2 * np.pi, (m, 1)) + np.cumsum(rng.vonmises(0, 3.0, (m, SEGMENTS)), axis=1)
        steps = np.stack([np.cos(heading), np.sin(heading)], -1) * leg
        verts = np.concatenate([start[:, None, :], start[:, None, :] + np.cumsum(steps, axis=1)], axis=1)
        lines = shapely.linestrings(verts)
        ok = shapely.contains(allowed, lines)
        # routes of one unit stay 1 km apart, as teams lay them
        for line in lines[ok]:
            if all(shapely.distance(line, o) > 1000.0 for o in out):
                out.append(line)
            if len(out) == n:
                return out
    raise CensusError("demo census", f"could not lay {n} routes in a survey unit of {allowed.area / 1e6:.0f} km²")


def _walks(rng: np.random.Generator, x0: np.ndarray, y0: np.ndarray, daily_km: float, days: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Correlated random walks from (x0, y0): positions (n, steps+1) and the heading of each step (n, steps)."""
    n_steps = int(round(days * STEPS_PER_DAY))
    n = len(x0)
    heading = rng.uniform(0, 2 * np.pi, (n, 1)) + np.cumsum(rng.vonmises(0, TURNING, (n, n_steps)), axis=1)
    step = daily_km * 1000.0 / STEPS_PER_DAY
    px = np.column_stack([x0, x0[:, None] + np.cumsum(step * np.cos(heading), axis=1)])
    py = np.column_stack([y0, y0[:, None] + np.cumsum(step * np.sin(heading), axis=1)])
    return px, py, heading


def _segment_hits(px: np.ndarray, py: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps of the walks that cross the segment seg = (ax, ay, bx, by): (walk, step) indices and crossing points."""
    ax, ay, bx, by = seg
    x0, y0, x1, y1 = px[:, :-1], py[:, :-1], px[:, 1:], py[:, 1:]
    d1 = (bx - ax) * (y0 - ay) - (by - ay) * (x0 - ax)
    d2 = (bx - ax) * (y1 - ay) - (by - ay) * (x1 - ax)
    d3 = (x1 - x0) * (ay - y0) - (y1 - y0) * (ax - x0)
    d4 = (x1 - x0) * (by - y0) - (y1 - y0) * (bx - x0)
    w, s = np.nonzero((d1 * d2 < 0) & (d3 * d4 < 0))
    t = d1[w, s] / (d1[w, s] - d2[w, s])  # where along the step the route is met
    return w, s, np.column_stack([x0[w, s] + t * (x1[w, s] - x0[w, s]), y0[w, s] + t * (y1[w, s] - y0[w, s])])


def _route_segments(lines: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """All legs of the routes as (ax, ay, bx, by) rows and the index of the route each belongs to."""
    coords, idx = shapely.get_coordinates(lines.values, return_index=True)
    same = idx[1:] == idx[:-1]
    return np.column_stack([coords[:-1][same], coords[1:][same]]), idx[:-1][same]


def _prey_truth(rng: np.random.Generator, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """True density of each prey species in each unit: the mean, a side factor and a unit-to-unit spread."""
    grid = units[["unit", "country"]].merge(PREY[["species", "density_km2"]], how="cross")
    side = np.array([SIDE_FACTOR.get(c, {}).get(s, 1.0) for c, s in zip(grid["country"], grid["species"])])
    grid["density_km2"] = grid["density_km2"] * side * rng.lognormal(0.0, 0.2, len(grid))
    return grid


def simulate_tracks(truth: Truth, seed: int = 1) -> dict:
    """The simulated census: units, routes, surveys, field-sheet crossings, and the truth behind them."""
    rng = np.random.default_rng([seed, 7_003])
    crs = truth.crs
    units = survey_units(truth)
    prey = _prey_truth(rng, units)
    reach_m = PREY["daily_travel_km"].max() * DAYS_SINCE_SNOW * 1000.0
    routes = []
    for i, u in units.iterrows():  # a loop over the four units
        others = shapely.union_all(units.geometry.drop(index=i).values)
        # a route further from other units than any prey walks sees only its own unit's animals
        allowed = shapely.difference(u.geometry, shapely.buffer(others, reach_m + 1000.0))
        lines = _route_lines(rng, allowed, ROUTES_PER_UNIT)
        routes += [{"route_id": f"{u['unit']}-R{k + 1:02d}", "unit": u["unit"], "country": u["country"], "geometry": g}
                   for k, g in enumerate(lines)]
    routes = gpd.GeoDataFrame(routes, geometry="geometry", crs=crs)
    segs, seg_route = _route_segments(routes.geometry)
    rid = routes["route_id"].to_numpy()
    rows: list[pd.DataFrame] = []
    for date in SURVEY_DATES:
        for j, u in units.iterrows():
            members = np.flatnonzero(routes["unit"].to_numpy() == u["unit"])
            mine = np.isin(seg_route, members)
            others = shapely.union_all(units.geometry.drop(index=j).values)
            for sp, dens, d_km in prey.loc[prey["unit"] == u["unit"], ["species", "density_km2"]].merge(
                    PREY[["species", "daily_travel_km"]]).itertuples(index=False):
                reach = d_km * DAYS_SINCE_SNOW * 1000.0
                # own animals fill the unit and a margin around it, but not the interior of the other units
                region = shapely.difference(shapely.buffer(u.geometry, reach + 500.0), shapely.buffer(others, -500.0))
                n = rng.poisson(dens * region.area / 1e6)
                x0, y0 = uniform_points(rng, region, n)
                px, py, _ = _walks(rng, x0, y0, d_km, DAYS_SINCE_SNOW)
                hits = [np.full(len(_segment_hits(px, py, segs[s])[0]), seg_route[s]) for s in np.flatnonzero(mine)]
                on = np.concatenate(hits) if hits else np.zeros(0, int)
                r, c = np.unique(on, return_counts=True)
                rows.append(pd.DataFrame({"route_id": rid[r], "date": date, "species": sp, "count": c,
                                          "track_age_days": DAYS_SINCE_SNOW}))
        # tracks from before the snowfall that show through: recorded on the sheet, left out by FMP
        n_old = rng.poisson(OLD_TRACKS_PER_ROUTE, len(routes))
        old = np.flatnonzero(n_old)
        rows.append(pd.DataFrame({"route_id": rid[old], "date": date, "species": rng.choice(PREY["species"].to_numpy(), len(old)),
                                  "count": n_old[old], "track_age_days": DAYS_SINCE_SNOW + 2}))
    tigers, tiger_truth = _tiger_tracks(rng, truth, routes, segs, seg_route)
    crossings = pd.concat(rows + [tigers], ignore_index=True)
    crossings = crossings[crossings["count"] > 0].sort_values(["date", "route_id", "species"], kind="stable").reset_index(drop=True)
    surveys = routes[["route_id", "unit", "country"]].merge(pd.DataFrame({"date": SURVEY_DATES}), how="cross")
    surveys["days_since_snow"] = DAYS_SINCE_SNOW
    return {"units": units, "routes": routes, "surveys": pd.DataFrame(surveys), "crossings": crossings,
            "prey_truth": prey, "tiger_truth": tiger_truth}


def _tiger_tracks(rng: np.random.Generator, truth: Truth, routes: gpd.GeoDataFrame, segs: np.ndarray,
                  seg_route: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each simulated tiger walks a day before each survey from a point of its range; its route crossings."""
    cat = truth.cats[TIGER]
    c = cat.centres.reset_index(drop=True)
    n = len(c)
    age = np.where(c["sex"].to_numpy() == "male", "adult_male", "adult_female").astype(object)
    age[rng.random(n) < P_YOUNG] = "young"
    pad = np.array([rng.normal(PAD_MEAN[a], PAD_SD[a]) for a in age])  # one value per tiger (tens)
    animals = pd.DataFrame({"trueID": c["trueID"].astype(str), "sex": c["sex"].astype(str), "size_class": age,
                            "pad_width_cm": pad})
    rid, unit = routes["route_id"].to_numpy(), routes["unit"].to_numpy()
    recs = []
    for date in SURVEY_DATES:
        x0 = c["x"].to_numpy(float) + rng.normal(0, cat.sigma_m, n)
        y0 = c["y"].to_numpy(float) + rng.normal(0, cat.sigma_m, n)
        px, py, heading = _walks(rng, x0, y0, TIGER_DAILY_KM, DAYS_SINCE_SNOW)
        for s in range(len(segs)):  # a loop over route legs, every tiger and step at once
            w, step, xy = _segment_hits(px, py, segs[s])
            if len(w):
                recs.append(pd.DataFrame({"tiger": w, "route": seg_route[s], "date": date, "x": xy[:, 0], "y": xy[:, 1],
                                          "heading": heading[w, step]}))
    cols = ["route_id", "date", "species", "count", "track_age_days", "pad_width_cm", "direction", "longitude", "latitude"]
    if not recs:
        return pd.DataFrame(columns=cols), animals.assign(unit=pd.Series(dtype=object)).iloc[:0]
    t = pd.concat(recs, ignore_index=True)
    lon, lat = to_lonlat(t["x"].to_numpy(), t["y"].to_numpy(), truth.crs)
    # compass bearing of travel: heading is counter-clockwise from east
    bearing = np.mod(90.0 - np.degrees(t["heading"].to_numpy()), 360.0)
    measured = pad[t["tiger"].to_numpy()] + rng.uniform(-PAD_NOISE_CM, PAD_NOISE_CM, len(t))
    sheet = pd.DataFrame({"route_id": rid[t["route"]], "date": t["date"], "species": TIGER, "count": 1,
                          "track_age_days": DAYS_SINCE_SNOW, "pad_width_cm": np.round(measured, 1),
                          "direction": COMPASS[np.round(bearing / 45.0).astype(int) % 8], "longitude": np.round(lon, 6),
                          "latitude": np.round(lat, 6)})
    seen = pd.DataFrame({"trueID": animals["trueID"].to_numpy()[t["tiger"]], "unit": unit[t["route"]]}).drop_duplicates()
    return sheet, seen.merge(animals, on="trueID")


def _write_inputs(sim: dict, out: Path) -> dict[str, Path]:
    """Routes (GeoJSON with attributes, GPX tracks), surveys, field sheet and parameter tables, as partners hold them."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / name for k, name in (("routes_geojson", "routes.geojson"), ("routes_gpx", "routes.gpx"),
                                           ("surveys", "surveys.csv"), ("crossings", "crossings.csv"),
                                           ("travel", "daily_travel.csv"), ("masses", "body_mass.csv"),
                                           ("units", "units.geojson"))}
    wgs = sim["routes"].to_crs(WGS84)
    wgs.to_file(paths["routes_geojson"], driver="GeoJSON", engine="pyogrio")
    gpx = gpd.GeoDataFrame({"name": wgs["route_id"]}, geometry=shapely.multilinestrings([[g] for g in wgs.geometry.values]), crs=WGS84)
    gpx.to_file(paths["routes_gpx"], driver="GPX", layer="tracks", engine="pyogrio")
    sim["surveys"].to_csv(paths["surveys"], index=False)
    sim["crossings"].to_csv(paths["crossings"], index=False)
    PREY[["species", "daily_travel_km"]].to_csv(paths["travel"], index=False)
    PREY[["species", "body_mass_kg"]].to_csv(paths["masses"], index=False)
    sim["units"].assign(area_km2=area_km2(sim["units"]).to_numpy()).to_crs(WGS84).to_file(paths["units"], driver="GeoJSON", engine="pyogrio")
    return paths


def _density_checks(fmp_tables: dict[str, pd.DataFrame], prey: pd.DataFrame, areas: pd.Series) -> pd.DataFrame:
    """Estimates beside the true density at each level (true side and whole-area values are area-weighted)."""
    p = prey.assign(area=prey["unit"].map(areas))
    side = p.groupby(["country", "species"]).apply(lambda g: np.average(g["density_km2"], weights=g["area"]), include_groups=False)
    whole = p.groupby("species").apply(lambda g: np.average(g["density_km2"], weights=g["area"]), include_groups=False)
    frames = []
    for level, key, table in (("unit", "unit", fmp_tables["units"]), ("country", "country", fmp_tables["countries"]),
                              ("all", "area", fmp_tables["total"])):
        t = table.copy()
        if level == "unit":
            t["truth"] = t.merge(prey, on=["unit", "species"], how="left")["density_km2_y"].to_numpy()
        elif level == "country":
            t["truth"] = [side[(c, s)] for c, s in zip(t["country"], t["species"])]
        else:
            t["truth"] = t["species"].map(whole).to_numpy()
        frames.append(pd.DataFrame({"level": level, "where": t[key].astype(str), "species": t["species"],
                                    "estimate": t["density_km2"], "lower": t["lower"], "upper": t["upper"],
                                    "truth": t["truth"], "fresh_crossings": t["fresh_crossings"]}))
    out = pd.concat(frames, ignore_index=True)
    out["inside"] = (out["lower"] <= out["truth"]) & (out["truth"] <= out["upper"])
    out["ratio"] = out["estimate"] / out["truth"]
    return out


def _tiger_levels(rs: RouteSet, crossings: pd.DataFrame, tiger_truth: pd.DataFrame, classes: list[tuple[str, float]]) -> pd.DataFrame:
    """Minimum tigers per unit, per side and for the whole area, beside the true tigers that left tracks there."""
    frames = []
    for level, key in (("unit", "unit"), ("country", "country"), ("all", None)):
        # per side and in all: the same minimum, over the routes of the bigger area taken as one unit
        r = rs.routes if key == "unit" else rs.routes.assign(unit=rs.routes["country"] if key else "all")
        res = minimum_tigers(RouteSet(r, rs.surveys), crossings, PAD_TOLERANCE_CM, TIGER_MAX_DAILY_KM, classes)
        u = res.units.rename(columns={"unit": "where"})
        if key == "unit":
            true = tiger_truth.groupby("unit")["trueID"].nunique()
        elif key == "country":
            true = tiger_truth.assign(country=tiger_truth["unit"].str[:3]).groupby("country")["trueID"].nunique()
        else:
            true = pd.Series({"all": tiger_truth["trueID"].nunique()})
        u["true_tigers"] = u["where"].map(true).fillna(0).astype(int).to_numpy()
        for name, _ in classes:
            col = f"true_{name}"
            seen = tiger_truth.drop_duplicates(["trueID"] if key is None else ["trueID", "unit"])
            if key == "country":
                seen = tiger_truth.assign(where=tiger_truth["unit"].str[:3]).drop_duplicates(["trueID", "where"])
            elif key == "unit":
                seen = seen.assign(where=seen["unit"])
            else:
                seen = seen.assign(where="all")
            u[col] = u["where"].map(seen[seen["size_class"] == name].groupby("where")["trueID"].nunique()).fillna(0).astype(int).to_numpy()
        if key != "unit":  # a side or the whole area is its own "unit" here; its country is the side or all
            u["country"] = u["where"]
        frames.append(u.assign(level=level))
    out = pd.concat(frames, ignore_index=True)
    out["ok"] = (out["min_tigers"] <= out["true_tigers"]) & ((out["tracks"] == 0) | (out["min_tigers"] >= 1))
    return out[["level", "where"] + [c for c in out.columns if c not in ("level", "where")]]


def _maps(units: gpd.GeoDataFrame, rs: RouteSet, checks: pd.DataFrame, biomass: pd.DataFrame, out: Path,
          language: str) -> list[str]:
    """Routes over the units, and units shaded by each prey species' estimated density and by prey biomass."""
    files: list[str] = []
    base = {"scale_unit": "km", "north": "N", "countries": "Countries"}
    routes = Layer(rs.routes, "Census routes", edgecolor="black", linewidth=1.2)
    files += map(str, render_map([Layer(units, "Survey units", column="unit", edgecolor="#555555"), routes],
                                 out / "census_routes", {"title": "Winter track census: survey units and routes", **base},
                                 language))
    unit_checks = checks[checks["level"] == "unit"]
    short = dict(zip(PREY["species"], PREY["short"]))
    for sp, g in unit_checks.groupby("species"):
        shaded = units.merge(g[["where", "estimate"]], left_on="unit", right_on="where")
        label, colours = graduated_classes(shaded["estimate"].to_numpy(), 4, "YlOrBr", "/km²")
        layer = Layer(shaded.assign(density_class=label), f"{sp}", column="density_class", colors=colours, edgecolor="#555555",
                      label_column="unit")
        files += map(str, render_map([layer, routes], out / f"census_density_{short[sp]}",
                                     {"title": f"{sp}: density by FMP (animals/km²)", **base}, language))
    if len(biomass):
        b = biomass[biomass["level"] == "unit"]
        shaded = units.merge(b[["unit", "prey_biomass_kg_km2"]], on="unit")
        label, colours = graduated_classes(shaded["prey_biomass_kg_km2"].to_numpy(), 4, "Greens", "kg/km²", "{:.0f}")
        files += map(str, render_map([Layer(shaded.assign(biomass_class=label), "Prey biomass", column="biomass_class",
                                            colors=colours, edgecolor="#555555", label_column="unit"), routes],
                                     out / "census_biomass", {"title": "Prey biomass (kg/km²)", **base}, language))
    return files


def run_census(truth: Truth, out: Path, seed: int = 1, n_boot: int = 1000, maps: bool = True, language: str = "en",
               engine=None, partners: dict[str, str] | None = None) -> dict:
    """Simulate a winter track census over the camera survey's area, estimate from its files, compare with truth.

    With a store (`engine`) and each side's partner code, the teams' routes arrive as form submissions (ODK Central
    and KoboToolbox exports) and the census starts from what bigcats ingested from them.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sim = simulate_tracks(truth, seed)
    paths = _write_inputs(sim, out / "inputs")
    field = None
    if engine is not None and partners:
        from bigcats.demo.field import run_field_season

        field = run_field_season(engine, sim, truth, partners, out / "field", seed=seed)
        paths.update(field.pop("paths"))
    # Estimates come from the files, read back with the importers a partner would use.
    rs = read_routes(paths["routes_geojson"], surveys=paths["surveys"])
    crossings = read_crossings(paths["crossings"], rs)
    travel, masses = read_travel(paths["travel"]), read_masses(paths["masses"])
    areas = area_km2(sim["units"]).set_axis(sim["units"]["unit"])
    fmp = estimate_density(rs, crossings, travel, masses, unit_areas=areas, n_boot=n_boot, seed=seed)
    checks = _density_checks({"units": fmp.units, "countries": fmp.countries, "total": fmp.total}, sim["prey_truth"], areas)
    m = masses.reindex(sim["prey_truth"]["species"]).to_numpy()
    true_bio = sim["prey_truth"].assign(b=sim["prey_truth"]["density_km2"].to_numpy() * m).groupby("unit")["b"].sum()
    biomass = fmp.biomass.copy()
    unit_rows = biomass["level"] == "unit"
    biomass["truth"] = np.nan
    biomass.loc[unit_rows, "truth"] = biomass.loc[unit_rows, "unit"].map(true_bio).to_numpy()
    # side and whole-area truth: the area-weighted means of the units' true biomass, as estimated
    w = areas.reindex(true_bio.index)
    side_of = sim["units"].set_index("unit")["country"].reindex(true_bio.index)
    for side in side_of.unique():
        sel = (side_of == side).to_numpy()
        biomass.loc[(biomass["level"] == "country") & (biomass["country"] == side), "truth"] = np.average(true_bio[sel], weights=w[sel])
    biomass.loc[biomass["level"] == "all", "truth"] = np.average(true_bio, weights=w)
    biomass["inside"] = (biomass["lower"] <= biomass["truth"]) & (biomass["truth"] <= biomass["upper"])
    classes = parse_size_classes(SIZE_CLASSES)
    tigers = _tiger_levels(rs, crossings, sim["tiger_truth"], classes)
    tiger_result = minimum_tigers(rs, crossings, PAD_TOLERANCE_CM, TIGER_MAX_DAILY_KM, classes)
    tiger_tracks = tiger_result.tracks
    stored = None
    if engine is not None:  # the census goes into the database like every other survey, for reports and the web
        from bigcats.census.store import store_census

        stored = store_census(engine, "demo-winter-census", rs, crossings, fmp, tiger_result,
                              source=str(paths["routes_geojson"]),
                              settings={"pad_tolerance_cm": PAD_TOLERANCE_CM, "max_daily_km": TIGER_MAX_DAILY_KM,
                                        "size_classes": SIZE_CLASSES, "n_boot": n_boot, "seed": seed})
    files = [str(p) for p in paths.values()]
    tables = {"density_vs_truth.csv": checks, "fmp_units.csv": fmp.units, "fmp_countries.csv": fmp.countries,
              "fmp_total.csv": fmp.total, "biomass_vs_truth.csv": biomass, "tigers_vs_truth.csv": tigers,
              "tiger_tracks_grouped.csv": tiger_tracks, "prey_truth.csv": sim["prey_truth"],
              "tiger_truth.csv": sim["tiger_truth"]}
    for name, frame in tables.items():
        frame.to_csv(out / name, index=False)
        files.append(str(out / name))
    if maps:
        files += _maps(sim["units"].to_crs(WGS84), rs, checks, fmp.biomass, out, language)
    unit_level = checks[checks["level"] == "unit"]
    result = {
        "settings": {"survey_dates": list(SURVEY_DATES), "days_since_snow": DAYS_SINCE_SNOW, "routes": int(len(rs.routes)),
                     "route_km": float(rs.routes["length_km"].sum()), "n_boot": n_boot, "seed": seed,
                     "pad_tolerance_cm": PAD_TOLERANCE_CM, "max_daily_km": TIGER_MAX_DAILY_KM, "size_classes": SIZE_CLASSES,
                     "old_tracks_excluded": int(fmp.settings["old_tracks_excluded"]),
                     "old_tracks_simulated": int(sim["crossings"].loc[sim["crossings"]["track_age_days"] > DAYS_SINCE_SNOW, "count"].sum()),
                     "travel_and_mass_tables": "the simulation's own settings, not published values"},
        "units": _records(sim["units"].drop(columns="geometry").assign(area_km2=areas.to_numpy())),
        "density": _records(checks),
        "biomass": _records(biomass),
        "tigers": _records(tigers),
        "summary": {"unit_species_inside_ci": int(unit_level["inside"].sum()), "unit_species": int(len(unit_level)),
                    "pooled_inside_ci": int(checks.loc[checks["level"] == "all", "inside"].sum()),
                    "species": int(checks.loc[checks["level"] == "all"].shape[0]),
                    "tigers_true_with_tracks": int(sim["tiger_truth"]["trueID"].nunique()),
                    "tigers_minimum_all": int(tigers.loc[tigers["level"] == "all", "min_tigers"].iloc[0]),
                    "tiger_checks_ok": bool(tigers["ok"].all())},
        "inputs": {k: str(v) for k, v in paths.items()},
        "field_forms": field,
        "stored": stored,
        "files": files,
    }
    path = out / "census.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    result["files"].append(str(path))
    return result
