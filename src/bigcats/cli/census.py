"""`bigcats census`: winter track census (FMP prey densities, minimum tiger numbers, simulated census).

The commands read files (routes, crossing sheets, parameter tables); `--save CODE` also stores the census (routes,
crossings, results) in the database, where the status report and the web read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.census.errors import CensusError
from bigcats.cli.common import DbOption, JsonOption, emit, fail
from bigcats.geo.errors import GeoError

app = BigcatsTyper(help="Winter snow-track census: prey densities (FMP) and minimum tiger numbers.", no_args_is_help=True)

RoutesOpt = Annotated[Path, typer.Option("--routes", help="Route lines: GeoJSON, GPX, GeoPackage or shapefile.")]
CrossingsOpt = Annotated[Path, typer.Option("--crossings", help="Crossing field sheet (CSV or XLSX).")]
SurveysOpt = Annotated[Path | None, typer.Option("--surveys", help="Survey table: route_id, date, days_since_snow (+ unit, country).")]
SaveOpt = Annotated[str | None, typer.Option("--save", help="Store routes, crossings and results in the database under this census code (replaces one stored before).")]


def _save(db: str | None, code: str | None, rs, cr, fmp=None, tigers=None, source: str = "", settings: dict | None = None) -> dict | None:
    """Store the census when --save names it; returns the rows written."""
    if not code:
        return None
    from bigcats.census.store import store_census
    from bigcats.store.db import open_store

    return store_census(open_store(db), code, rs, cr, fmp, tigers, source=source, settings=settings)


def _load(routes: Path, crossings: Path, surveys: Path | None, country: str | None):
    from bigcats.census.crossings import read_crossings
    from bigcats.census.routes import read_routes

    rs = read_routes(routes, surveys=surveys, country=country)
    return rs, read_crossings(crossings, rs)


@app.command()
def estimate(
    routes: RoutesOpt,
    crossings: CrossingsOpt,
    travel: Annotated[Path, typer.Option("--travel", help="Your table of daily travel km: species, daily_travel_km.")],
    masses: Annotated[Path | None, typer.Option("--masses", help="Body masses: species, body_mass_kg (for biomass).")] = None,
    surveys: SurveysOpt = None,
    areas: Annotated[Path | None, typer.Option("--areas", help="Unit areas: unit, area_km2 (area-weighted totals).")] = None,
    country: Annotated[str | None, typer.Option("--country", help="Country side (ISO3) when routes have no country field.")] = None,
    n_boot: Annotated[int, typer.Option("--boot", help="Bootstrap replicates.")] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    save: SaveOpt = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Prey density per unit, country side and whole area by the FMP formula, with route-bootstrap intervals."""
    import pandas as pd

    from bigcats.census.fmp import estimate_density
    from bigcats.census.tables import read_masses, read_table, read_travel

    try:
        rs, cr = _load(routes, crossings, surveys, country)
        unit_areas = None
        if areas is not None:
            a, _ = read_table(areas)
            unit_areas = pd.Series(pd.to_numeric(a["area_km2"]).to_numpy(), index=a["unit"].astype(str))
        result = estimate_density(rs, cr, read_travel(travel), read_masses(masses) if masses else None, unit_areas,
                                  n_boot=n_boot, seed=seed)
    except (CensusError, GeoError) as exc:
        fail(str(exc))
        return
    stored = _save(db, save, rs, cr, fmp=result, source=f"{routes} {crossings}",
                   settings={"n_boot": n_boot, "seed": seed})
    emit({**result.to_dict(), "stored": stored}, as_json, human=result.units.to_string(index=False))


@app.command()
def tigers(
    routes: RoutesOpt,
    crossings: CrossingsOpt,
    size_classes: Annotated[str, typer.Option("--classes", help="Size classes by minimum pad width, e.g. young:0,adult_female:8.5,adult_male:10")],
    tolerance: Annotated[float, typer.Option("--tolerance", help="Pad width measuring tolerance, cm.")],
    max_daily_km: Annotated[float, typer.Option("--max-daily-km", help="Furthest a tiger travels in a day, km.")],
    surveys: SurveysOpt = None,
    country: Annotated[str | None, typer.Option("--country")] = None,
    save: SaveOpt = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Minimum number of different tigers per unit from pad widths, track locations and dates."""
    from bigcats.census.tigers import minimum_tigers, parse_size_classes

    try:
        rs, cr = _load(routes, crossings, surveys, country)
        result = minimum_tigers(rs, cr, tolerance, max_daily_km, parse_size_classes(size_classes))
    except (CensusError, GeoError) as exc:
        fail(str(exc))
        return
    stored = _save(db, save, rs, cr, tigers=result, source=f"{routes} {crossings}",
                   settings={"size_classes": size_classes, "pad_tolerance_cm": tolerance, "max_daily_km": max_daily_km})
    emit({**result.to_dict(), "stored": stored}, as_json, human=result.units.to_string(index=False))


@app.command()
def simulate(
    truth: Annotated[Path, typer.Option("--truth", help="Table: unit, country, species, density_km2.")],
    travel: Annotated[Path, typer.Option("--travel", help="Table: species, daily_travel_km.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for routes.geojson and crossings.csv.")],
    routes_per_unit: Annotated[int, typer.Option("--routes-per-unit")] = 8,
    route_km: Annotated[float, typer.Option("--route-km")] = 10.0,
    days: Annotated[float, typer.Option("--days", help="Days since snowfall.")] = 2.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate a census with known densities; write routes and crossings, and print estimates beside the truth."""
    from bigcats.census.fmp import estimate_density
    from bigcats.census.simulate import simulate_census
    from bigcats.census.tables import read_table, read_travel

    try:
        t, _ = read_table(truth)
        tr = read_travel(travel)
        sim = simulate_census(t, tr, routes_per_unit=routes_per_unit, route_length_km=route_km, days_since_snow=days, seed=seed)
        est = estimate_density(sim.routes, sim.crossings, tr, seed=seed)
    except (CensusError, GeoError, KeyError) as exc:
        fail(str(exc))
        return
    out.mkdir(parents=True, exist_ok=True)
    r = sim.routes.routes.merge(sim.routes.surveys, on="route_id")
    r.assign(date=r["date"].dt.strftime("%Y-%m-%d")).to_file(out / "routes.geojson", driver="GeoJSON", engine="pyogrio")
    sim.crossings.drop(columns="row").to_csv(out / "crossings.csv", index=False)
    side = est.units[["unit", "country", "species", "density_km2", "lower", "upper"]].merge(
        sim.truth.rename(columns={"density_km2": "true_density_km2"}), on=["unit", "country", "species"], how="left")
    emit({"files": [out / "routes.geojson", out / "crossings.csv"], "estimates": side.to_dict(orient="records")},
         as_json, human=side.to_string(index=False))
