"""`bigcats demo`: the main job, on simulated data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, console, emit


def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same survey.")] = 1,
    out: Annotated[Path, typer.Option(help="Folder for the packages, figures and reports.")] = Path("bigcats-demo"),
    language: Annotated[list[str] | None, typer.Option(help="Report languages: en, ru, zh, mn; repeat for several "
                                                       "(default: en, ru, zh).")] = None,
    no_reports: Annotated[bool, typer.Option("--no-reports", help="Skip the PDF/HTML reports.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="A smaller survey (100 stations, fewer bootstrap "
                                        "replicates and coat photos); every step still runs: a check of an installation.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate a transboundary survey, import it as the partners would, and show what bigcats makes of it.

    The simulated data goes to its own database (OUT/bigcats-demo.db) unless --db names one.
    """
    import warnings

    from bigcats.cli.progress import step_progress
    from bigcats.demo.pipeline import demo_steps, run_demo

    languages = tuple(language or ("en", "ru", "zh"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with step_progress("bigcats demo", demo_steps(reports=not no_reports, quick=quick),
                           enabled=not as_json or not console.is_terminal) as step:
            result = run_demo(out, db=db, seed=seed, step=step, languages=languages, reports=not no_reports,
                              quick=quick)
    notes = _warnings(seen)
    doc = result.to_dict() | {"warnings": notes}
    emit(doc, as_json, human=_tables(doc))
    if not as_json:
        for note in notes:
            console.print(f"[bold yellow]warning:[/] {note}", highlight=False)
        console.print(_where(doc), highlight=False)


def _warnings(seen: list) -> list[str]:
    # what could not be made as asked (a script without a font, PDFs without Pango): said once each, at the end
    from bigcats.fonts import RenderWarning

    notes: list[str] = []
    for w in seen:
        text = str(w.message)
        if issubclass(w.category, RenderWarning) and text not in notes:
            notes.append(text)
    return notes


def _where(r: dict) -> str:
    """Where the results are, and what to open first."""
    out = Path(r["out"])
    reports = r.get("reports", {}).get("reports", {})
    first_report = next((files.get("status-en") or next(iter(files.values()), {})
                         for files in reports.values()), {})
    lines = [f"[bold]Results are in {out.resolve()}[/]. Open first:"]
    if first_report:
        lines.append(f"  1. the status report: {first_report.get('pdf') or first_report.get('html')}")
    maps = sorted((f for f in r.get("maps", {}).get("files", []) if str(f).endswith(".png")),
                  key=lambda f: "_en" not in Path(f).stem)
    if maps:
        lines.append(f"  {len(lines)}. the map of the area: {maps[0]}")
    lines.append(f"  {len(lines)}. every number beside the simulation's truth: {out / 'summary.json'}")
    lines.append(f"  {len(lines)}. the web application on the demo's database: bigcats users add admin --partner LLNP "
                 f"--role administrator --db {out / 'bigcats-demo.db'}; bigcats serve --db {out / 'bigcats-demo.db'}")
    altai = r.get("snow_leopards", {}).get("db")
    if altai:
        lines.append(f"  {len(lines)}. the snow leopards of the Altai (Mongolia-Russia), in their own database: "
                     f"{altai.removeprefix('sqlite:///')}")
    return "\n".join(lines)


def _tables(r: dict) -> Group:
    s, truth = r["summary"], r["truth"]
    sides = sorted(s["stations"])
    survey = Table(title="Simulated transboundary survey: what the database holds")
    survey.add_column("")
    for side in sides:
        survey.add_column(side, justify="right")
    survey.add_row("stations", *[str(s["stations"][c]) for c in sides])
    survey.add_row("trap-nights", *[f"{s['trap_nights'][c]:,.0f}" for c in sides])
    for label, per in sorted(s["detections"].items()):
        survey.add_row(f"detections: {label}", *[f"{per.get(c, 0):,}" for c in sides])
    cats = Table(title="Individuals identified, beside the simulation's truth")
    cats.add_column("species")
    for side in sides:
        cats.add_column(f"seen in {side}", justify="right")
    cats.add_column("on both sides", justify="right")
    cats.add_column("truth: N / detected / on both", justify="right", style="dim")
    for sp, ind in sorted(s["individuals"].items()):
        t = truth.get("individuals", {}).get(sp, {})
        cats.add_row(sp, *[str(ind["per_side"].get(c, 0)) for c in sides], str(ind["on_both_sides"]),
                     f"{t.get('true_N', '?')} / {t.get('true_detected', '?')} / "
                     f"{t.get('true_detected_on_both_sides', '?')}")
    numbers = Table(title="How many cats: spatial capture-recapture beside the simulation's truth")
    for col in ("species", "density /100 km² [95% CI]", "truth", "N whole area", "sum of country-only N"):
        numbers.add_column(col, justify="right" if col != "species" else "left")
    for sp, res in sorted(r.get("population", {}).get("species", {}).items()):
        if "error" in res:
            numbers.add_row(sp, res["error"], "", "", "")
            continue
        d = res["estimates"]["D_per_100km2"]
        jvs = res.get("joint_vs_separate", {})
        numbers.add_row(sp, f"{d['estimate']:.2f} [{d['lcl']:.2f}, {d['ucl']:.2f}]",
                        f"{(res.get('truth') or {}).get('density_per_100km2', float('nan')):.2f}",
                        f"{jvs.get('joint_N', float('nan')):.1f}", f"{jvs.get('sum_of_countries_N', float('nan')):.1f}")
    checks = [c for c in r.get("analytics", {}).get("truth_checks", []) if c.get("inside") is not None]
    inside = sum(bool(c["inside"]) for c in checks)
    lines = [f"Database: {r['db']}", f"Packages and summary.json: {r['out']}",
             f"Analyses (tables, figures): {r['out']}/analytics; numbers and maps: {r['out']}/population"]
    if checks:
        lines.append(f"Activity, overlap and occupancy: {inside} of {len(checks)} truth checks inside their 95% CI")
    for sp, ident in sorted(r.get("identification", {}).get("species", {}).items()):
        lines.append(f"Identification, {sp}: {ident['photos']} photos of {ident['individuals']} cats; cross-border "
                     f"pairs proposed {ident['proposed_pairs']}, accepted {ident['accepted']}, correct "
                     f"{ident['correct']} of {ident['true_pairs']} true")
    if r.get("identification"):
        lines.append(f"Review queue: {r['identification'].get('review_queue')} proposals wait for a person "
                     "(bigcats catalogue review list, or the web app)")
    census = r.get("census", {}).get("summary", {})
    if census:
        lines.append(f"Winter track census ({r['out']}/census): {census.get('unit_species_inside_ci', '?')} unit×species "
                     f"prey densities inside their CI; at least {census.get('tigers_minimum_all', '?')} tigers "
                     f"(truth: {census.get('tigers_true_with_tracks', '?')} left tracks)")
    if r.get("maps"):
        lines.append(f"One map of the area (GeoPackage for QGIS, habitat, rendered maps): {r['maps'].get('geopackage')}")
    if r.get("reports"):
        lines.append(f"Reports and brochures (HTML, PDF): {r['reports'].get('folder')}")
    return Group(survey, cats, numbers, "\n".join(lines))
