"""`bigcats density`, `bigcats movement`, `bigcats homerange`: SCR density, border movement and home ranges.

For now they read files (secr's capture and detector files; CSV of detections or relocations); the database
feed comes with the store layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, emit, fail

app = typer.Typer(help="Population: SCR density, transboundary movement, home ranges.", no_args_is_help=True)


def _read_table(path: Path, what: str):
    import pandas as pd

    from bigcats.population.errors import PopulationError

    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise PopulationError(f"{what} {path}: cannot read as CSV: {exc}") from None


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
    captures: Annotated[Path, typer.Option("--captures", help="secr capture file (session animal occasion trapID, or x y).")],
    traps: Annotated[Path, typer.Option("--traps", help="secr detector file (id x y [usage]).")],
    detector: Annotated[str, typer.Option("--detector", help="multi, proximity or count.")] = "proximity",
    buffer: Annotated[float, typer.Option("--buffer", help="Mask buffer around the detectors, metres.")] = 100.0,
    detectfn: Annotated[str, typer.Option("--detectfn", help="HN, HHN or EX.")] = "HN",
    cl: Annotated[bool, typer.Option("--cl", help="Conditional likelihood; density derived as secr's derived().")] = False,
    binomial: Annotated[bool, typer.Option("--binomial", help="Binomial rather than Poisson n (full likelihood).")] = False,
    fmt: Annotated[str | None, typer.Option("--format", help="Capture file layout trapID or XY (default: detect).")] = None,
    nx: Annotated[int, typer.Option("--nx", help="Mask cells across (secr's nx).")] = 64,
    covariate: Annotated[str | None, typer.Option("--covariate", help="Individual class covariate on g0 and sigma (needs --cl).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit spatially explicit capture-recapture (secr's secr.fit) and report density per ha and per 100 km²."""
    from bigcats.population.errors import PopulationError
    from bigcats.population.mask import make_mask
    from bigcats.population.scr import fit_scr, region_n
    from bigcats.population.secr_io import read_capthist

    try:
        sessions = read_capthist(captures, traps, detector=detector, fmt=fmt)
        results = {}
        for name, ch in sessions.items():
            mask = make_mask(ch.xy, buffer, nx=nx)
            fit = fit_scr(ch, mask, detectfn=detectfn, likelihood="conditional" if cl else "full",
                          distribution="binomial" if binomial else "poisson", covariate=covariate)
            out = fit.to_dict()
            whole = region_n(fit, [True] * len(mask))
            out["N_mask"] = {k: whole[k] for k in ("area_ha", "E.N", "E.N.SE", "E.N.lcl", "E.N.ucl", "R.N", "R.N.SE")}
            results[name] = out
    except PopulationError as exc:
        fail(str(exc))
        return
    result = next(iter(results.values())) if len(results) == 1 else {"sessions": results}
    table = Table(title=f"SCR density ({detector}, {detectfn}, {'CL' if cl else 'full'})")
    for col in ("session", "parameter", "estimate", "SE", "lcl", "ucl"):
        table.add_column(col)
    for name, out in results.items():
        for row in out["estimates"]:
            table.add_row(name, row["parameter"], f"{row['estimate']:.5g}", f"{row['SE']:.4g}", f"{row['lcl']:.4g}", f"{row['ucl']:.4g}")
        d = out["density_per_100km2"]
        table.add_row(name, "D per 100 km²", f"{d['estimate']:.4g}", f"{d['SE']:.4g}", f"{d['lcl']:.4g}", f"{d['ucl']:.4g}")
        table.add_row(name, "-LL / AIC", f"{out['negloglik']:.5f}", f"{out['AIC']:.3f}", "", "")
    emit(result, as_json, human=table)


@app.command("movement")
def movement(
    detections: Annotated[Path, typer.Argument(help="CSV: individualID, x, y (or longitude, latitude), timestamp, country.")],
    crs: Annotated[str | None, typer.Option("--crs", help="Projected CRS for longitude/latitude (default: UTM zone).")] = None,
    map_path: Annotated[Path | None, typer.Option("--map", help="Also write a map (.png or .svg).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per individual: detections per country, first/last seen, border crossings, longest distance; per species/year."""
    from bigcats.population.errors import PopulationError
    from bigcats.population.movement import individual_movement, species_year_summary

    try:
        frame = _xy(_read_table(detections, "detections"), crs)
        per = individual_movement(frame)
        by_year = species_year_summary(frame)
        if map_path is not None:
            from bigcats.population.maps import movement_map

            movement_map(map_path, frame)
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
    relocations: Annotated[Path, typer.Argument(help="CSV: individualID, x, y (or longitude, latitude).")],
    method: Annotated[str, typer.Option("--method", help="mcp, href or lscv.")] = "mcp",
    percent: Annotated[float, typer.Option("--percent", help="Percent of points (MCP) or volume (kernel).")] = 95.0,
    crs: Annotated[str | None, typer.Option("--crs", help="Projected CRS for longitude/latitude (default: UTM zone).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Home-range area per individual: minimum convex polygon, or kernel with href or LSCV bandwidth."""
    from bigcats.population.errors import PopulationError
    from bigcats.population.homerange import kernel_home_range, mcp

    try:
        frame = _read_table(relocations, "relocations")
        if "Name" in frame.columns and "individualID" not in frame.columns:
            frame = frame.rename(columns={"Name": "individualID"})
        frame = _xy(frame, crs)
        if method == "mcp":
            hr = mcp(frame, percent).drop(columns=["geometry"])
        elif method in ("href", "lscv"):
            hr = kernel_home_range(frame, percent, h="href" if method == "href" else "LSCV").drop(columns=["cells"])
        else:
            raise PopulationError(f"method must be mcp, href or lscv, got {method!r}")
    except PopulationError as exc:
        fail(str(exc))
        return
    table = Table(title=f"Home ranges ({method}, {percent:g}%)")
    table.add_column("individual")
    table.add_column("area (ha)", justify="right")
    for r in hr.itertuples():
        table.add_row(str(r.individualID), f"{r.area_ha:.3f}")
    emit({"method": method, "percent": percent, "home_ranges": hr.to_dict(orient="records")}, as_json, human=table)
