"""`bigcats density`, `bigcats movement`, `bigcats homerange`: SCR density, border movement and home ranges.

Each reads the database (identified individuals of a species, camera stations and their working days), or files
when they are given: secr's capture and detector files, CSV of detections or relocations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper
from rich.markup import escape
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, emit, fail

app = BigcatsTyper(help="Population: SCR density, transboundary movement, home ranges.", no_args_is_help=True)


def _read_table(path: Path, what: str):
    import pandas as pd

    from bigcats.population.errors import PopulationError

    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise PopulationError(f"{what} {path}: cannot read as CSV: {exc}") from None


SpeciesOpt = Annotated[str | None, typer.Option("--species", help="Any name of the species in en/ru/zh/mn, e.g. 'Amur tiger', 'тигр', '东北虎' (database).")]
CountryOpt = Annotated[str | None, typer.Option("--country", help="Only stations in this country (ISO3, database).")]
PartnerOpt = Annotated[str | None, typer.Option("--partner", help="Only this partner's stations (database).")]


def _db_frames(db: str | None, species: str | None, country: str | None, partner: str | None):
    """Survey frames of a selection from the store (species resolved from any of its names) and the species."""
    from bigcats.store.db import open_store
    from bigcats.store.query import resolve_species
    from bigcats.survey import Selection, load

    engine = open_store(db)
    name = resolve_species(engine, species) if species else None
    frames = load(engine, Selection(partner=partner, country=country, species=(name,) if name else ()))
    return frames, name


def _xy(frame, crs: str | None):
    """Add projected x, y from longitude/latitude when the table has no x, y."""
    from bigcats.population.movement import project_lonlat

    if {"x", "y"} <= set(frame.columns):
        return frame
    if {"longitude", "latitude"} <= set(frame.columns):
        x, y, _ = project_lonlat(frame["longitude"].to_numpy(float), frame["latitude"].to_numpy(float), crs)
        return frame.assign(x=x, y=y)
    from bigcats.population.errors import PopulationError

    raise PopulationError("the table needs x, y (projected metres) or longitude, latitude columns")


@app.command("density")
def density(
    captures: Annotated[Path | None, typer.Option("--captures", help="secr capture file (session animal occasion trapID, or x y).")] = None,
    traps: Annotated[Path | None, typer.Option("--traps", help="secr detector file (id x y [usage]).")] = None,
    species: SpeciesOpt = None,
    country: CountryOpt = None,
    partner: PartnerOpt = None,
    detector: Annotated[str | None, typer.Option("--detector", help="multi, proximity or count; polygon, polygonX, transect, transectX for searched areas and routes (polyID x y detector file, x y per detection) (files; default multi as secr's read.capthist; database: proximity).")] = None,
    buffer: Annotated[float | None, typer.Option("--buffer", help="Mask buffer around the detectors, metres (files: 100; database: 4 sigma-hat).")] = None,
    spacing: Annotated[float | None, typer.Option("--spacing", help="Mask spacing, metres (database; default buffer/8).")] = None,
    detectfn: Annotated[str | None, typer.Option("--detectfn", help="HN, HHN or EX, or secr's codes 0, 14, 2 (files: HN, polygons and transects HHN; database: HHN).")] = None,
    cl: Annotated[bool, typer.Option("--cl", help="Conditional likelihood; density derived as secr's derived().")] = False,
    binomial: Annotated[bool, typer.Option("--binomial", help="Binomial rather than Poisson n (full likelihood).")] = False,
    fmt: Annotated[str | None, typer.Option("--format", help="Capture file layout trapID or XY (default: detect).")] = None,
    nx: Annotated[int, typer.Option("--nx", help="Mask cells across (secr's nx; files).")] = 64,
    covariate: Annotated[str | None, typer.Option("--covariate", help="Individual class covariate on g0 and sigma (needs --cl).")] = None,
    mask: Annotated[Path | None, typer.Option("--mask", help="secr mask file (x y [covariates]; spacing derived as read.mask). Database: needs --crs.")] = None,
    habitat: Annotated[Path | None, typer.Option("--habitat", help="Habitat polygons (GeoPackage, shapefile, GeoJSON) that clip the mask.")] = None,
    crs: Annotated[str | None, typer.Option("--crs", help="Projected CRS of --mask points for the database (e.g. EPSG:32652).")] = None,
    usage_counts: Annotated[bool, typer.Option("--usage-counts", help="Usage in the detector file is effort (e.g. camera-days '344'), not 0/1 digits: secr's binary.usage = FALSE.")] = False,
    density_model: Annotated[str, typer.Option("--density", help="Density model: ~1, ~session, ~Session (trend), or mask covariates, e.g. '~side' (full likelihood).")] = "~1",
    mixture: Annotated[bool, typer.Option("--h2", help="Two-class finite mixture on g0 and sigma (secr's h2).")] = False,
    fastproximity: Annotated[bool, typer.Option("--fastproximity/--no-fastproximity", help="secr's fastproximity: collapse occasions (binomial size = usage). Off: Bernoulli per occasion, Pr 1-(1-g)^usage.")] = True,
    separate: Annotated[bool, typer.Option("--separate", help="Fit each session alone (default: together, as secr.fit).")] = False,
    compare: Annotated[bool, typer.Option("--compare", help="Also fit HN, HHN, EX with and without h2 and rank them by AICc (files).")] = False,
    secr_script: Annotated[Path | None, typer.Option("--secr-script", help="Write an R script and its input files that refit this model in secr.")] = None,
    sessions_period: Annotated[str | None, typer.Option("--sessions", help="Database: fit sessions together, split by deployment start ('Y' years, 'Q' quarters); shared detection, D per session unless --density says otherwise.")] = None,
    partial_days: Annotated[bool, typer.Option("--partial-days", help="Count days of partial camera effort as fractions (database; default: full days only).")] = False,
    joint: Annotated[bool, typer.Option("--joint", help="Also fit each country alone and compare the sum with the joint N (database).")] = False,
    census: Annotated[str | None, typer.Option("--census", help="A winter census in the store: its routes as transect detectors, survey days as occasions; with --captures (CSV of identified detections: animal, date, x, y or longitude, latitude) and --crs.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit spatially explicit capture-recapture (secr's secr.fit) and report density per ha and per 100 km².

    With --captures and --traps it reads secr's files with secr's defaults; otherwise it takes the identified
    individuals of --species from the database, camera stations as proximity detectors and local days as
    occasions, on a mask of land around the stations, and adds expected N in each country's part.
    """
    from bigcats.population.density_files import density_from_files
    from bigcats.population.errors import PopulationError

    try:
        if census is not None:
            from bigcats.population.density_files import density_from_routes
            from bigcats.store.db import open_store

            if captures is None or traps is not None:
                raise PopulationError("--census takes the identified detections along its routes as --captures (CSV), "
                                      "and no --traps (the routes are the detectors)")
            results = {"1": density_from_routes(open_store(db), census, captures, crs, detector or "transect",
                                                100.0 if buffer is None else buffer, nx, detectfn,
                                                "conditional" if cl else "full", "binomial" if binomial else "poisson",
                                                mask)}
        elif captures is None and traps is None:
            if usage_counts or compare or separate or fmt:
                raise PopulationError("--usage-counts, --compare, --separate and --format apply to secr files (--captures, --traps)")
            results = {"1": _density_from_db(db, species, country, partner, buffer, spacing, detectfn or "HHN", cl,
                                             binomial, partial_days, joint, covariate, detector, mask, habitat, crs,
                                             density_model, mixture, fastproximity, secr_script, sessions_period)}
        elif captures is None or traps is None:
            raise PopulationError("give both --captures and --traps (secr files), or neither to read the database")
        else:
            results = density_from_files(
                captures, traps, detector=detector or "multi", buffer=100.0 if buffer is None else buffer, nx=nx,
                detectfn=detectfn, likelihood="conditional" if cl else "full",
                distribution="binomial" if binomial else "poisson", fmt=fmt, covariate=covariate, mask=mask,
                habitat=habitat, binary_usage=not usage_counts, density=density_model, mixture="h2" if mixture else None,
                fastproximity=fastproximity, separate=separate, secr_script=secr_script, compare=compare)
    except PopulationError as exc:
        fail(str(exc))
        return
    result = next(iter(results.values())) if len(results) == 1 else {"sessions": results}
    first = next(iter(results.values()))
    table = Table(title=f"SCR density ({first['detector']}, {first['detectfn']}, {'CL' if cl else 'full'}; {first['model']})"
                        + (f": {species}" if species and captures is None else ""))
    for col in ("session", "parameter", "estimate", "SE", "lcl", "ucl"):
        table.add_column(col)
    for name, out in results.items():
        for row in out["estimates"]:
            # Class parameters are named like sigma[female]: escaped, or rich reads the brackets as markup.
            table.add_row(name, escape(row["parameter"]), f"{row['estimate']:.5g}", f"{row['SE']:.4g}", f"{row['lcl']:.4g}", f"{row['ucl']:.4g}")
        by_session = out.get("density_per_100km2_by_session") or {"": out["density_per_100km2"]}
        for ses, d in by_session.items():
            table.add_row(name, escape(f"D per 100 km² {ses}".strip()), f"{d['estimate']:.4g}", f"{d['SE']:.4g}", f"{d['lcl']:.4g}", f"{d['ucl']:.4g}")
        for area in out.get("areas", []):
            table.add_row(name, f"E(N) {area['area']} ({area['area_km2']:.0f} km²)", f"{area['E.N']:.4g}",
                          f"{area['E.N.SE']:.4g}", f"{area['E.N.lcl']:.4g}", f"{area['E.N.ucl']:.4g}")
        jv = out.get("joint_vs_separate")
        if jv:
            table.add_row(name, "sum of country-only N", f"{jv['sum_of_countries_N']:.4g}", "", "", "")
        table.add_row(name, "-LL / AIC", f"{out['negloglik']:.5f}", f"{out['AIC']:.3f}", "", "")
        for row in out.get("aic_table", []):
            table.add_row(name, escape(f"AICc rank: {row['name']}"), f"{row['AICc']:.3f}", f"d {row['dAICc']:.2f}",
                          f"w {row['AICcwt']:.3f}", "")
        for w in out.get("warnings", []):
            table.add_row(name, "warning", escape(w), "", "", "")
    emit(result, as_json, human=table)


def _density_from_db(db: str | None, species: str | None, country: str | None, partner: str | None,
                     buffer: float | None, spacing: float | None, detectfn: str, cl: bool, binomial: bool,
                     partial_days: bool, joint: bool, covariate: str | None, detector: str | None = None,
                     mask: Path | None = None, habitat: Path | None = None, crs: str | None = None,
                     density_model: str = "~1", mixture: bool = False, fastproximity: bool = True,
                     secr_script: Path | None = None, sessions_period: str | None = None) -> dict:
    from bigcats.population.errors import PopulationError
    from bigcats.population.secr_io import write_secr_script
    from bigcats.survey import estimate_density

    if not species:
        raise PopulationError("give --species (e.g. 'Panthera tigris altaica' or 'Amur tiger') to fit from the "
                              "database, or --captures and --traps for secr files")
    if detector not in (None, "proximity"):
        raise PopulationError(f"camera stations from the database are proximity detectors; --detector {detector} "
                              "applies to secr files")
    extra = _store_mask_and_habitat(mask, habitat, crs)
    frames, name = _db_frames(db, species, country, partner)
    if sessions_period is not None:
        return _sessions_from_db(frames, name, country, partner, buffer, spacing, detectfn, cl, binomial,
                                 partial_days, covariate, habitat, crs, density_model, mixture, fastproximity,
                                 secr_script, sessions_period, mask, joint)
    if joint and (mixture or density_model.replace(" ", "") not in ("~1", "D~1")):
        raise PopulationError("--joint compares models without covariates, mixtures or density models")
    options = {**extra, "density": density_model, "mixture": "h2" if mixture else None,
               **({"fastproximity": False} if not fastproximity else {})}
    est = estimate_density(frames, name, detectfn=detectfn, buffer=buffer, spacing=spacing,
                           full_days_only=not partial_days, likelihood="conditional" if cl else "full",
                           distribution="binomial" if binomial else "poisson", covariate=covariate, joint=joint,
                           **options)
    out = {**est.to_dict(), "selection": {"country": country, "partner": partner}}
    if secr_script is not None:
        out["secr_script"] = [str(p) for p in write_secr_script(secr_script, est.fit)]
    return out


def _sessions_from_db(frames, species: str, country: str | None, partner: str | None, buffer: float | None,
                      spacing: float | None, detectfn: str, cl: bool, binomial: bool, partial_days: bool,
                      covariate: str | None, habitat: Path | None, crs: str | None, density_model: str,
                      mixture: bool, fastproximity: bool, secr_script: Path | None, period: str,
                      mask: Path | None, joint: bool) -> dict:
    from bigcats.population.errors import PopulationError
    from bigcats.population.from_store import fit_species_sessions, n_by_side
    from bigcats.population.secr_io import write_secr_script

    if mask is not None or joint:
        raise PopulationError("--sessions builds one mask per session: leave out --mask and --joint")
    inputs, fit = fit_species_sessions(
        frames, species, period=period, buffer=buffer, spacing=spacing, detectfn=detectfn, crs=crs,
        full_days_only=not partial_days, habitat=habitat,
        density=("~1" if cl else "~session") if density_model.replace(" ", "") in ("~1", "D~1") else density_model,
        likelihood="conditional" if cl else "full", distribution="binomial" if binomial else "poisson",
        covariate=covariate, mixture="h2" if mixture else None, **({"fastproximity": False} if not fastproximity else {}))
    areas = []
    for name, inp in inputs.items():
        for row in n_by_side(fit, inp.mask_side, name).to_dict(orient="records"):
            areas.append({**row, "area": f"{name} {row['area']}"})
    out = {"species": species, "selection": {"country": country, "partner": partner}, **fit.to_dict(),
           "data": {k: v.summary() for k, v in inputs.items()}, "areas": areas}
    if secr_script is not None:
        out["secr_script"] = [str(p) for p in write_secr_script(secr_script, fit)]
    return out


def _store_mask_and_habitat(mask: Path | None, habitat: Path | None, crs: str | None) -> dict:
    """fit_species arguments for a mask file (in --crs) and habitat polygons (reprojected to that CRS)."""
    from bigcats.population.errors import PopulationError
    from bigcats.population.mask import read_habitat
    from bigcats.population.secr_io import read_mask

    out: dict = {}
    if mask is not None:
        if crs is None:
            raise PopulationError("--mask with the database needs --crs, the projected CRS of the mask's x and y "
                                  "(e.g. EPSG:32652), so the camera stations are projected to match")
        out["mask"], out["crs"] = read_mask(mask), crs
    if habitat is not None:
        # A path: read once the stations' CRS is known, and reprojected to it.
        out["habitat"] = habitat if crs is None else read_habitat(habitat, crs)
        if crs is not None:
            out["crs"] = crs
    return out


@app.command("movement")
def movement(
    detections: Annotated[Path | None, typer.Argument(help="CSV: individualID, x, y (or longitude, latitude), timestamp, country; omit to read the database.")] = None,
    species: SpeciesOpt = None,
    country: CountryOpt = None,
    partner: PartnerOpt = None,
    crs: Annotated[str | None, typer.Option("--crs", help="Projected CRS for longitude/latitude (default: UTM zone).")] = None,
    map_path: Annotated[Path | None, typer.Option("--map", help="Also write a map (.png or .svg).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per individual: detections per country, first/last seen, border crossings, longest distance; per species/year.

    Without a file it reads the identified individuals (of --species, or every species) from the database.
    """
    from bigcats.population.errors import PopulationError
    from bigcats.population.movement import individual_movement, species_year_summary

    try:
        countries = None
        if detections is None:
            frame, countries = _db_detections(db, species, country, partner, crs)
        else:
            frame = _xy(_read_table(detections, "detections"), crs)
        per = individual_movement(frame)
        by_year = species_year_summary(frame)
        if map_path is not None:
            from bigcats.population.maps import movement_map

            movement_map(map_path, frame, countries)
    except PopulationError as exc:
        fail(str(exc))
        return
    result = {"individuals": per.to_dict(orient="records"), "by_species_year": by_year.to_dict(orient="records")}
    table = Table(title="Transboundary movement")
    for col in ("individual", "detections", "both sides", "crossings", "longest (km)"):
        table.add_column(col)
    for r in per.itertuples():
        table.add_row(str(r.individualID), str(r.detections), "yes" if r.both_sides else "no", str(r.crossings),
                      f"{r.max_distance_m / 1000:.1f}")
    emit(result, as_json, human=table)


@app.command("homerange")
def homerange(
    relocations: Annotated[Path | None, typer.Argument(help="CSV: individualID, x, y (or longitude, latitude); omit to read the database.")] = None,
    species: SpeciesOpt = None,
    country: CountryOpt = None,
    partner: PartnerOpt = None,
    method: Annotated[str, typer.Option("--method", help="mcp, href or lscv.")] = "mcp",
    percent: Annotated[float | None, typer.Option("--percent", help="Percent of points (MCP) or volume (kernel); default 95, or 100 for an MCP of camera stations from the database.")] = None,
    min_detections: Annotated[int, typer.Option("--min-detections", help="Fewest detections for a home range (database).")] = 5,
    min_stations: Annotated[int, typer.Option("--min-stations", help="Fewest distinct stations for a home range (database).")] = 3,
    crs: Annotated[str | None, typer.Option("--crs", help="Projected CRS for longitude/latitude (default: UTM zone).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Home-range area per individual: minimum convex polygon, or kernel with href or LSCV bandwidth.

    Without a file it takes the camera stations where each identified cat of --species was detected (individuals
    with at least --min-detections at --min-stations stations) and adds each home range's share in each country.
    """
    from bigcats.population.errors import PopulationError
    from bigcats.population.homerange import country_share, kernel_home_range, mcp, residents

    skipped: list[str] = []
    try:
        if method not in ("mcp", "href", "lscv"):
            raise PopulationError(f"method must be mcp, href or lscv, got {method!r}")
        countries = None
        if relocations is None:
            if not species:
                raise PopulationError("give --species to compute home ranges from the database, or a relocations CSV")
            frame, countries = _db_detections(db, species, country, partner, crs)
            frame, skipped = residents(frame, min_detections, min_stations, what=species)
        else:
            frame = _read_table(relocations, "relocations")
            if "Name" in frame.columns and "individualID" not in frame.columns:
                frame = frame.rename(columns={"Name": "individualID"})
            frame = _xy(frame, crs)
        if percent is None:
            # Camera relocations repeat a few station points: a 95% rule would drop whole stations.
            percent = 100.0 if relocations is None and method == "mcp" else 95.0
        if method == "mcp":
            hr = mcp(frame, percent)
        else:
            hr = kernel_home_range(frame, percent, h="href" if method == "href" else "LSCV")
        if countries:
            shares = country_share(hr, countries)
            hr = hr.join(shares.drop(columns="individualID").loc[:, lambda t: t.fillna(0).sum() > 0])
        hr = hr.drop(columns=[c for c in ("geometry", "cells") if c in hr.columns])
    except PopulationError as exc:
        fail(str(exc))
        return
    table = Table(title=f"Home ranges ({method}, {percent:g}%)")
    table.add_column("individual")
    table.add_column("area (ha)", justify="right")
    share_cols = [c for c in hr.columns if c.startswith("share_")]
    for c in share_cols:
        table.add_column(f"in {c.removeprefix('share_')}", justify="right")
    for r in hr.to_dict(orient="records"):
        table.add_row(str(r["individualID"]), f"{r['area_ha']:.3f}", *[f"{r[c]:.0%}" if r[c] == r[c] else "–" for c in share_cols])
    emit({"method": method, "percent": percent, "species": species, "home_ranges": hr.to_dict(orient="records"),
          "skipped_individuals": skipped}, as_json, human=table)


def _db_detections(db: str | None, species: str | None, country: str | None, partner: str | None,
                   crs: str | None) -> tuple:
    """Identified cats' records at their stations (projected) and the country outlines near them, same CRS."""
    import shapely

    from bigcats.population.from_store import country_outlines, identified_detections, station_layout

    frames, name = _db_frames(db, species, country, partner)
    stations, proj, _ = station_layout(frames.deployments, crs)
    frame = identified_detections(frames, name, stations=stations)
    xy = stations[["x", "y"]].to_numpy(float)
    box = shapely.buffer(shapely.box(*xy.min(0), *xy.max(0)), 20_000)
    near = {k: shapely.intersection(g, box) for k, g in country_outlines(proj).items()}
    return frame, {k: g for k, g in near.items() if not g.is_empty}
