"""`bigcats analyse ...`: effort, independent detections, RAI, activity, overlap and occupancy from survey frames."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.analysis.errors import AnalysisError
from bigcats.cli.common import DbOption, JsonOption, emit, fail

if TYPE_CHECKING:  # pandas and the analyses are imported in the commands, so that --help starts at once
    import pandas as pd

    from bigcats.core.frames import SurveyFrames

app = BigcatsTyper(help="Survey analyses: effort, independent detections, RAI, activity, overlap, occupancy.")

DeploymentsOpt = Annotated[Path | None, typer.Option("--deployments", help="Camtrap DP deployments CSV.")]
ObservationsOpt = Annotated[Path | None, typer.Option("--observations", help="Camtrap DP observations CSV.")]
OutagesOpt = Annotated[Path | None, typer.Option("--outages", help="CSV of camera outages: deploymentID,start,end.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder for CSV tables and PNG/SVG figures.")]
ThresholdOpt = Annotated[str, typer.Option("--threshold", help="Independence threshold, e.g. 30min, 1h.")]
ReferenceOpt = Annotated[str, typer.Option("--reference", help="last_independent or last_record.")]
ByOpt = Annotated[str, typer.Option("--by", help="Comma-separated grouping columns.")]
PartnerOpt = Annotated[str | None, typer.Option("--partner", help="Only this partner's deployments.")]
CountryOpt = Annotated[str | None, typer.Option("--country", help="Only this country side (ISO3).")]
PeriodOpt = Annotated[str | None, typer.Option("--period", help="2024, 2024-03, or FROM/TO; effort is clipped to it.")]
TIME_COLUMNS = ("deploymentStart", "deploymentEnd", "timestamp", "start", "end")


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    """A CSV with its Camtrap DP time columns parsed as timezone-aware timestamps."""
    import pandas as pd

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
                outages: Path | None = None, partner: str | None = None, country: str | None = None,
                period: str | None = None) -> SurveyFrames:
    """Survey frames for the analyses: from the database, or from Camtrap DP CSV files when --deployments is given;
    then the selection (partner, country side, period) applied the same way in both cases."""
    from bigcats.core.frames import SurveyFrames

    from bigcats.survey import Selection, load

    selection = Selection(partner=partner, country=country, period=period)
    if deployments is None:
        from bigcats.store.db import open_store

        return load(open_store(db), selection)
    frames = SurveyFrames(
        deployments=_read_csv(deployments, "deployments"),
        outages=_read_csv(outages, "outages") if outages is not None else None,
        observations=_read_csv(observations, "observations") if observations is not None else None)
    selected = selection.apply(frames)
    selected.no_observations = observations is None  # type: ignore[attr-defined]
    return selected


def _species(name: str, db: str | None, from_files: bool) -> str:
    """The scientific name for any name of a species (the store's own taxa count when reading the database)."""
    from bigcats.store.query import resolve_species

    if from_files:
        return resolve_species(None, name)
    from bigcats.store.db import open_store

    return resolve_species(open_store(db), name)


def _need_obs(frames: SurveyFrames) -> pd.DataFrame:
    """The observations frame, or a clear error when there are none (CSV mode: --observations not given)."""
    from bigcats.analysis.independence import check_within_deployments

    if getattr(frames, "no_observations", False):
        raise AnalysisError("this command needs --observations")
    check_within_deployments(frames.observations, frames.deployments)
    return frames.observations


def _outages(frames: SurveyFrames) -> pd.DataFrame | None:
    return frames.outages if len(frames.outages) else None


def _write(out: Path | None, name: str, table: pd.DataFrame) -> None:
    """Write a table as CSV into the output folder when one was given."""
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / f"{name}.csv", index=False)


def _note_time_unknown(events: pd.DataFrame) -> pd.DataFrame:
    """Say on stderr how many records with a date but no time an analysis at minute scale left out."""
    n = events.attrs.get("timeUnknownLeftOut", 0)
    if n:
        from bigcats.cli.common import console

        console.print(f"note: {n} record(s) with a date but no time left out (they need a clock time here; "
                      "a threshold of 1 day or more counts them)")
    return events


def _by(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


@app.command()
def effort(db: DbOption = None, deployments: DeploymentsOpt = None, outages: OutagesOpt = None,
           by: ByOpt = "locationID", partner: PartnerOpt = None, country: CountryOpt = None,
           period: PeriodOpt = None, out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Trap-nights (24 h of a working camera, outages left out) per group, and the camera-operation matrix.

    `--by country` gives the same table as the status report and the web dashboard: each side and 'all'.
    """
    from bigcats.analysis.effort import camera_operation, trap_nights
    from bigcats.survey.effort import effort_by_side

    try:
        f = load_frames(db, deployments, None, outages, partner=partner, country=country, period=period)
        if _by(by) == ["country"]:
            table = effort_by_side(f)
            _write(out, "trap_nights_by_side", table)
            emit(table.to_dict(orient="records"), as_json)
            return
        table = trap_nights(f.deployments, _outages(f), by=_by(by))
        _write(out, "trap_nights", table)
        if out is not None:
            camera_operation(f.deployments, _outages(f)).to_csv(out / "camera_operation.csv")
    except AnalysisError as exc:
        fail(str(exc))
        return
    emit(table.to_dict(orient="records"), as_json)


@app.command()
def independent(db: DbOption = None, deployments: DeploymentsOpt = None, observations: ObservationsOpt = None,
                threshold: ThresholdOpt = "30min", reference: ReferenceOpt = "last_independent",
                out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Independent detections per station and species."""
    from bigcats.analysis.independence import count_events, independent_detections

    try:
        f = load_frames(db, deployments, observations)
        events = _note_time_unknown(independent_detections(_need_obs(f), threshold, reference))
        table = count_events(events)
        _write(out, "independent_events", events)
        _write(out, "events_per_station", table)
    except AnalysisError as exc:
        fail(str(exc))
        return
    emit(table.to_dict(orient="records"), as_json)


@app.command()
def abundance(db: DbOption = None, deployments: DeploymentsOpt = None, observations: ObservationsOpt = None,
              outages: OutagesOpt = None, by: ByOpt = "locationID", threshold: ThresholdOpt = "30min",
              n_boot: Annotated[int, typer.Option("--n-boot")] = 1000,
              species: Annotated[list[str] | None, typer.Option("--species", help="Any name of a species (repeatable); with --by country the same table as the report.")] = None,
              partner: PartnerOpt = None, country: CountryOpt = None, period: PeriodOpt = None,
              out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Independent events per 100 trap-nights with station-bootstrap intervals.

    `--by country --species NAME` gives each side and 'all', exactly as the status report and the web show it.
    """
    from bigcats.analysis.abundance import relative_abundance
    from bigcats.analysis.effort import trap_nights
    from bigcats.analysis.independence import independent_detections
    from bigcats.survey.abundance import abundance_by_side

    try:
        f = load_frames(db, deployments, observations, outages, partner=partner, country=country, period=period)
        names = [_species(n, db, deployments is not None) for n in species or []]
        if _by(by) == ["country"] and names:
            table = abundance_by_side(f, names, n_boot=n_boot)
            _write(out, "relative_abundance_by_side", table)
            emit(table.to_dict(orient="records"), as_json)
            return
        events = _note_time_unknown(independent_detections(_need_obs(f), threshold))
        groups = _by(by)
        station_cols = [c for c in groups if c not in ("locationID", "year")]
        eff = trap_nights(f.deployments, _outages(f), by=["locationID", *station_cols,
                                                              *(["year"] if "year" in groups else [])])
        table = relative_abundance(events, eff, by=groups, n_boot=n_boot)
        _write(out, "relative_abundance", table)
        if out is not None:
            from bigcats.analysis.figures import rai_bars_figure, rai_map_figure
            if "locationID" in groups and {"latitude", "longitude"} <= set(f.deployments.columns):
                for sp in table["scientificName"].unique():
                    rai_map_figure(table, f.deployments, sp, out / f"rai_map_{str(sp).replace(' ', '_')}")
            else:
                rai_bars_figure(table, out / "rai_bars", group=groups[0] if groups else None)
    except AnalysisError as exc:
        fail(str(exc))
        return
    emit(table.to_dict(orient="records"), as_json)


@app.command()
def activity(species: Annotated[str, typer.Argument(help="Any name of the species: scientific, en/ru/zh/mn, or short (tiger).")], db: DbOption = None,
             deployments: DeploymentsOpt = None, observations: ObservationsOpt = None,
             time: Annotated[str, typer.Option("--time", help="clock or solar")] = "clock",
             threshold: ThresholdOpt = "30min", n_boot: Annotated[int, typer.Option("--n-boot")] = 500,
             out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Activity curve and activity level of one species (clock or solar time)."""
    from bigcats.analysis.activity import fit_activity
    from bigcats.analysis.independence import independent_detections
    from bigcats.analysis.solar import record_times

    try:
        species = _species(species, db, deployments is not None)
        f = load_frames(db, deployments, observations)
        events = _note_time_unknown(independent_detections(_need_obs(f), threshold))
        sp = events[events["scientificName"] == species]
        fit = fit_activity(record_times(sp, f.deployments, time), n_boot=n_boot, what=species)
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
    import pandas as pd

    from bigcats.analysis.activity import fit_activity
    from bigcats.analysis.independence import independent_detections
    from bigcats.analysis.overlap import overlap
    from bigcats.analysis.solar import record_times

    try:
        species_a = _species(species_a, db, deployments is not None)
        species_b = _species(species_b, db, deployments is not None)
        f = load_frames(db, deployments, observations, country=country)
        events = _note_time_unknown(independent_detections(_need_obs(f), threshold))
        ta = record_times(events[events["scientificName"] == species_a], f.deployments, time)
        tb = record_times(events[events["scientificName"] == species_b], f.deployments, time)
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
def occupancy(species: Annotated[str, typer.Argument(help="Any name of the species: scientific, en/ru/zh/mn, or short (tiger).")], db: DbOption = None,
              deployments: DeploymentsOpt = None, observations: ObservationsOpt = None, outages: OutagesOpt = None,
              occasion_length: Annotated[int, typer.Option("--occasion-length")] = 7,
              day1: Annotated[str, typer.Option("--day1", help="station, survey or a date")] = "station",
              site_covs: Annotated[str, typer.Option("--psi", help="Site covariates (deployment columns) for psi.")] = "",
              effort_cov: Annotated[bool, typer.Option("--effort/--no-effort", help="Effort as a detection covariate.")] = True,
              out: OutOpt = None, as_json: JsonOption = False) -> None:
    """Single-season occupancy of one species from its detection history, with naive occupancy."""
    from bigcats.analysis.detection_history import detection_history
    from bigcats.analysis.occupancy import fit_occupancy, history_to_occupancy

    try:
        species = _species(species, db, deployments is not None)
        f = load_frames(db, deployments, observations, outages)
        dh = detection_history(_need_obs(f), f.deployments, species, _outages(f), occasion_length, day1)
        covs = _by(site_covs)
        sc = f.deployments.drop_duplicates("locationID").set_index("locationID")[covs] if covs else None
        data = history_to_occupancy(dh.history, sc, {"effort": dh.effort} if effort_cov else None)
        fit = fit_occupancy(data, psi_covs=covs, p_covs=["effort"] if effort_cov else [])
        _write(out, "occupancy_coefficients", fit.coef.reset_index())
        _write(out, "occupancy_by_station", fit.predict_psi())
    except AnalysisError as exc:
        fail(str(exc))
        return
    emit(fit.summary(), as_json)
