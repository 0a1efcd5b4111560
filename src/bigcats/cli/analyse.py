"""`bigcats analyse ...`: effort, independent detections, RAI, activity, overlap and occupancy from survey frames."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from bigcats.analysis.abundance import relative_abundance
from bigcats.analysis.activity import fit_activity
from bigcats.analysis.detection_history import detection_history
from bigcats.analysis.effort import camera_operation, trap_nights
from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.independence import check_within_deployments, count_events, independent_detections
from bigcats.analysis.occupancy import fit_occupancy, history_to_occupancy
from bigcats.analysis.overlap import overlap
from bigcats.analysis.solar import record_times
from bigcats.cli.common import DbOption, JsonOption, emit, fail

app = typer.Typer(help="Survey analyses: effort, independent detections, RAI, activity, overlap, occupancy.")

DeploymentsOpt = Annotated[Path | None, typer.Option("--deployments", help="Camtrap DP deployments CSV.")]
ObservationsOpt = Annotated[Path | None, typer.Option("--observations", help="Camtrap DP observations CSV.")]
OutagesOpt = Annotated[Path | None, typer.Option("--outages", help="CSV of camera outages: deploymentID,start,end.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder for CSV tables and PNG/SVG figures.")]
ThresholdOpt = Annotated[str, typer.Option("--threshold", help="Independence threshold, e.g. 30min, 1h.")]
ReferenceOpt = Annotated[str, typer.Option("--reference", help="last_independent or last_record.")]
ByOpt = Annotated[str, typer.Option("--by", help="Comma-separated grouping columns.")]
TIME_COLUMNS = ("deploymentStart", "deploymentEnd", "timestamp", "start", "end")


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    """A CSV with its Camtrap DP time columns parsed as timezone-aware timestamps."""
    if not path.exists():
        raise AnalysisError(f"{what}: file not found: {path}")
    frame = pd.read_csv(path)
    for col in TIME_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601", errors="coerce")
    for col in ("deploymentID", "locationID", "observationID"):
        if col in frame.columns:
            frame[col] = frame[col].astype(str)
    return frame


def load_frames(db: str | None = None, deployments: Path | None = None, observations: Path | None = None,
                outages: Path | None = None, **filters: str) -> dict[str, pd.DataFrame | None]:
    """Survey frames for the analyses: from the database, or from Camtrap DP CSV files when --deployments is given."""
    if deployments is None:
        from bigcats.store import query
        from bigcats.store.db import open_store

        store_filters = {k: v for k, v in filters.items() if k in ("partner", "country", "project") and v}
        stored = query.load_frames(open_store(db), **store_filters)
        if stored.deployments.empty:
            raise AnalysisError("the database holds no deployments for this selection: import data first "
                                "(bigcats import camtrap-dp ..., or bigcats demo --db ...)")
        frames: dict[str, pd.DataFrame | None] = {
            "deployments": stored.deployments,
            "outages": None if stored.outages.empty else stored.outages,
            "observations": stored.observations,
        }
        filters = {k: v for k, v in filters.items() if k not in store_filters}
    else:
        frames = {"deployments": _read_csv(deployments, "deployments"), "outages": None, "observations": None}
        if outages is not None:
            frames["outages"] = _read_csv(outages, "outages")
        if observations is not None:
            frames["observations"] = _read_csv(observations, "observations")
    for column, value in filters.items():
        if value is None:
            continue
        dep = frames["deployments"]
        if column not in dep.columns:
            raise AnalysisError(f"filter: deployments have no column {column!r}")
        frames["deployments"] = dep = dep[dep[column].astype(str) == str(value)]
        keep = set(dep["deploymentID"])
        for name in ("observations", "outages"):
            if frames[name] is not None:
                frames[name] = frames[name][frames[name]["deploymentID"].isin(keep)]
    return frames


def _need_obs(frames: dict) -> pd.DataFrame:
    """The observations frame, or a clear error when --observations was not given."""
    if frames["observations"] is None:
        raise AnalysisError("this command needs --observations")
    check_within_deployments(frames["observations"], frames["deployments"])
    return frames["observations"]


def _write(out: Path | None, name: str, table: pd.DataFrame) -> None:
    """Write a table as CSV into the output folder when one was given."""
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / f"{name}.csv", index=False)


def _by(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


@app.command()
def effort(db: DbOption = None, deployments: DeploymentsOpt = None, outages: OutagesOpt = None,
           by: ByOpt = "locationID", out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Active trap-nights per group (deployment columns, year, month) and the camera-operation matrix."""
    try:
        f = load_frames(db, deployments, None, outages)
        table = trap_nights(f["deployments"], f["outages"], by=_by(by))
        _write(out, "trap_nights", table)
        if out is not None:
            camera_operation(f["deployments"], f["outages"]).to_csv(out / "camera_operation.csv")
    except AnalysisError as exc:
        fail(str(exc))
        return
    emit(table.to_dict(orient="records"), as_json, table.to_string(index=False))


@app.command()
def independent(db: DbOption = None, deployments: DeploymentsOpt = None, observations: ObservationsOpt = None,
                threshold: ThresholdOpt = "30min", reference: ReferenceOpt = "last_independent",
                out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Independent detections per station and species."""
    try:
        f = load_frames(db, deployments, observations)
        events = independent_detections(_need_obs(f), threshold, reference)
        table = count_events(events)
        _write(out, "independent_events", events)
        _write(out, "events_per_station", table)
    except AnalysisError as exc:
        fail(str(exc))
        return
    emit(table.to_dict(orient="records"), as_json, table.to_string(index=False))


@app.command()
def abundance(db: DbOption = None, deployments: DeploymentsOpt = None, observations: ObservationsOpt = None,
              outages: OutagesOpt = None, by: ByOpt = "locationID", threshold: ThresholdOpt = "30min",
              n_boot: Annotated[int, typer.Option("--n-boot")] = 1000, out: OutOpt = None,
              as_json: JsonOption = False) -> None:
    """Independent events per 100 trap-nights with station-bootstrap intervals."""
    try:
        f = load_frames(db, deployments, observations, outages)
        events = independent_detections(_need_obs(f), threshold)
        groups = _by(by)
        station_cols = [c for c in groups if c not in ("locationID", "year")]
        eff = trap_nights(f["deployments"], f["outages"], by=["locationID", *station_cols,
                                                              *(["year"] if "year" in groups else [])])
        table = relative_abundance(events, eff, by=groups, n_boot=n_boot)
        _write(out, "relative_abundance", table)
        if out is not None:
            from bigcats.analysis.figures import rai_bars_figure, rai_map_figure
            if "locationID" in groups and {"latitude", "longitude"} <= set(f["deployments"].columns):
                for sp in table["scientificName"].unique():
                    rai_map_figure(table, f["deployments"], sp, out / f"rai_map_{str(sp).replace(' ', '_')}")
            else:
                rai_bars_figure(table, out / "rai_bars", group=groups[0] if groups else None)
    except AnalysisError as exc:
        fail(str(exc))
        return
    emit(table.to_dict(orient="records"), as_json, table.to_string(index=False))


@app.command()
def activity(species: Annotated[str, typer.Argument(help="scientificName")], db: DbOption = None,
             deployments: DeploymentsOpt = None, observations: ObservationsOpt = None,
             time: Annotated[str, typer.Option("--time", help="clock or solar")] = "clock",
             threshold: ThresholdOpt = "30min", n_boot: Annotated[int, typer.Option("--n-boot")] = 500,
             out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Activity curve and activity level of one species (clock or solar time)."""
    try:
        f = load_frames(db, deployments, observations)
        events = independent_detections(_need_obs(f), threshold)
        sp = events[events["scientificName"] == species]
        fit = fit_activity(record_times(sp, f["deployments"], time), n_boot=n_boot, what=species)
        _write(out, f"activity_{species.replace(' ', '_')}", fit.curve())
    except AnalysisError as exc:
        fail(str(exc))
        return
    result = {"species": species, "time": time, "n": fit.n, "bandwidth": fit.bandwidth, "activityLevel": fit.level,
              "se": fit.level_se, "lower": fit.level_ci[0], "upper": fit.level_ci[1]}
    emit(result, as_json)


@app.command("overlap")
def overlap_cmd(species_a: Annotated[str, typer.Argument()], species_b: Annotated[str, typer.Argument()],
                db: DbOption = None, deployments: DeploymentsOpt = None, observations: ObservationsOpt = None,
                time: Annotated[str, typer.Option("--time", help="clock or solar")] = "clock",
                threshold: ThresholdOpt = "30min", n_boot: Annotated[int, typer.Option("--n-boot")] = 1000,
                country: Annotated[str | None, typer.Option("--country", help="Only this side (ISO3).")] = None,
                out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Activity overlap of two species (Dhat1, Dhat4, Dhat5) with smoothed-bootstrap basic0 intervals."""
    try:
        f = load_frames(db, deployments, observations, country=country)
        events = independent_detections(_need_obs(f), threshold)
        ta = record_times(events[events["scientificName"] == species_a], f["deployments"], time)
        tb = record_times(events[events["scientificName"] == species_b], f["deployments"], time)
        res = overlap(ta, tb, n_boot=n_boot, names=(species_a, species_b))
        table = pd.DataFrame(res.table())
        _write(out, "overlap", table)
        if out is not None:
            from bigcats.analysis.figures import activity_overlap_figure
            fa = fit_activity(ta, n_boot=200, what=species_a)
            fb = fit_activity(tb, n_boot=200, what=species_b)
            activity_overlap_figure(fa, fb, (species_a, species_b), out / "overlap", res.estimates["Dhat4"])
    except AnalysisError as exc:
        fail(str(exc))
        return
    emit({"speciesA": species_a, "speciesB": species_b, "n": list(res.n), "estimates": table.to_dict(orient="records")},
         as_json, table.to_string(index=False))


@app.command()
def occupancy(species: Annotated[str, typer.Argument(help="scientificName")], db: DbOption = None,
              deployments: DeploymentsOpt = None, observations: ObservationsOpt = None, outages: OutagesOpt = None,
              occasion_length: Annotated[int, typer.Option("--occasion-length")] = 7,
              day1: Annotated[str, typer.Option("--day1", help="station, survey or a date")] = "station",
              site_covs: Annotated[str, typer.Option("--psi", help="Site covariates (deployment columns) for psi.")] = "",
              effort_cov: Annotated[bool, typer.Option("--effort/--no-effort", help="Effort as a detection covariate.")] = True,
              out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Single-season occupancy of one species from its detection history, with naive occupancy."""
    try:
        f = load_frames(db, deployments, observations, outages)
        dh = detection_history(_need_obs(f), f["deployments"], species, f["outages"], occasion_length, day1)
        covs = _by(site_covs)
        sc = f["deployments"].drop_duplicates("locationID").set_index("locationID")[covs] if covs else None
        data = history_to_occupancy(dh.history, sc, {"effort": dh.effort} if effort_cov else None)
        fit = fit_occupancy(data, psi_covs=covs, p_covs=["effort"] if effort_cov else [])
        _write(out, "occupancy_coefficients", fit.coef.reset_index())
        _write(out, "occupancy_by_station", fit.predict_psi())
    except AnalysisError as exc:
        fail(str(exc))
        return
    emit(fit.summary(), as_json)
