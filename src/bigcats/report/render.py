"""Render a StatusReport as HTML (print CSS, figures embedded) and PDF (WeasyPrint), in one of four languages.

The HTML is self-contained (figures are data URIs), so the same file can be mailed, opened offline or printed;
the PDF is made from exactly that HTML. The brochure is the public edition: key figures and a map of grid cells,
never station positions or codes of a sensitive species.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from bigcats.geo.privacy import DEFAULT_CELL_KM
from bigcats.report import figures as figs
from bigcats.report.builder import StatusReport
from bigcats.report.errors import ReportError
from bigcats.report.photos import thumbnail_uris
from bigcats.report.references import numbered
from bigcats.report.words import Words

TEMPLATES = Path(__file__).with_name("templates")
KINDS = ("status", "brochure")
FORMATS = ("html", "pdf")


@dataclass
class Rendered:
    """What a rendering wrote: the files by format, the figures, and (brochure) the public map cells."""

    language: str
    kind: str
    files: dict[str, Path] = field(default_factory=dict)
    figures: dict[str, Path] = field(default_factory=dict)
    cells: pd.DataFrame | None = None


def _environment(words: Words) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(words.gettext, words.ngettext, newstyle=True)
    return env


def _data_uri(path: Path | None) -> str | None:
    if path is None:
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _note(words: Words, note: dict) -> str:
    _ = words.gettext
    if note["code"] == "few_activity":
        return _("activity not estimated: %(n)s independent detections, fewer than %(min)s") % {
            "n": words.number(note["n"]), "min": words.number(note["min"])}
    if note["code"] == "few_overlap":
        return _("overlap with %(prey)s not estimated: fewer than %(min)s detections") % {
            "prey": words.species(note["prey"]), "min": words.number(note["min"])}
    return _("%(what)s not estimated: %(why)s") % {"what": note.get("what", ""), "why": note.get("why", "")}


def _area_label(report: StatusReport, words: Words) -> str:
    _ = words.gettext
    area = report.area
    if area.kind == "all":
        return _("whole survey area")
    if area.kind == "country":
        return words.country(area.code)
    return area.label


def _conclusions(report: StatusReport, words: Words) -> list[str]:
    """A few statements that follow from the numbers, for the policy page."""
    _ = words.gettext
    lines = []
    counts = report.individual_counts
    if counts["total"]:
        lines.append(_("%(both)s of %(total)s identified individuals used both sides of the border: their protection "
                       "depends on both countries, and the joint catalogue should be kept up to date.") % {
            "both": words.number(counts["both"]), "total": words.number(counts["total"])})
    if len(report.sides) == 2:
        a, b = (report.target_rai(s) for s in report.sides)
        if a["upper"] < b["lower"] or b["upper"] < a["lower"]:
            high, low = (a, b) if a["rai"] > b["rai"] else (b, a)
            lines.append(_("The relative abundance index was clearly higher in %(side)s (%(high)s against %(low)s "
                           "detections per 100 trap-nights).") % {
                "side": words.country(high["country"]), "high": words.number(high["rai"], 2),
                "low": words.number(low["rai"], 2)})
        else:
            lines.append(_("The relative abundance index did not differ clearly between the two sides of the border."))
    if report.population is None:
        lines.append(_("Estimate density and numbers with spatial capture-recapture from the joint catalogue."))
    lines.append(_("Continue the camera-trap survey at the same stations and exchange identifications between the "
                   "parks every season."))
    return lines


def _common(report: StatusReport, words: Words, title: str) -> dict[str, Any]:
    _ = words.gettext
    whole = report.effort[report.effort["country"] == "all"].iloc[0]
    rai = report.target_rai("all")
    counts = report.individual_counts
    period = _("%(start)s to %(end)s") % {"start": words.date(report.period.start),
                                           "end": words.date(report.period.last_day)}
    n = {"stations": words.number(whole["stations"]), "trap_nights": words.number(whole["trapNights"]),
         "events": words.number(rai["events"]), "rai": words.interval(rai["rai"], rai["lower"], rai["upper"], 2),
         "individuals": words.number(counts["total"]), "both": words.number(counts["both"]), "density": None}
    if report.population is not None:
        top = report.population.iloc[0]
        n["density"] = words.interval(top["density"], top["densityLower"], top["densityUpper"], 2)
    return {"lang": words.language, "title": title, "species_name": words.species(report.species),
            "subtitle": f"{_area_label(report, words)} · {period}", "generated": words.date(date.today()),
            "css": Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")), "n": n}


def status_context(report: StatusReport, words: Words, figures: dict[str, Path]) -> dict[str, Any]:
    """Everything the status template shows, already in the reader's language and number format."""
    _ = words.gettext
    title = _("Status report: %(species)s") % {"species": words.species(report.species)}
    ctx = _common(report, words, title)
    sex = {"male": _("male"), "female": _("female")}
    photos = thumbnail_uris(report.photos)  # the partners' document: see report/photos.py for who sees photos
    # With one country side the whole-area rows repeat it: they are shown only when there are two sides.
    effort = report.effort if len(report.sides) > 1 else report.effort[report.effort["country"] != "all"]
    abundance = report.abundance if len(report.sides) > 1 else report.abundance[report.abundance["country"] != "all"]
    ctx.update(
        effort=[{"side": words.country(r.country), "stations": words.number(r.stations),
                 "deployments": words.number(r.deployments), "trap_nights": words.number(r.trapNights)}
                for r in effort.itertuples()],
        abundance=[{"species": words.species(r.scientificName), "side": words.country(r.country),
                    "events": words.number(r.events), "stations": words.number(r.stationsDetected),
                    "rai": words.interval(r.rai, r.lower, r.upper, 2)} for r in abundance.itertuples()],
        activity=None if report.activity is None else {
            "level": words.percent(report.activity.level), "lower": words.percent(report.activity.level_ci[0]),
            "upper": words.percent(report.activity.level_ci[1]), "n": words.number(report.activity.n)},
        overlaps=[{"prey": words.species(r.prey), "n_prey": words.number(r.nPrey), "estimator": r.estimator,
                   "overlap": words.interval(r.estimate, r.lower, r.upper, 2)} for r in report.overlaps.itertuples()],
        individual_counts=[*({"label": _("seen in %(country)s") % {"country": words.country(s)},
                              "value": words.number(report.individual_counts["per_side"][s])} for s in report.sides),
                           {"label": _("seen on both sides"), "value": words.number(report.individual_counts["both"])},
                           {"label": _("identified in total"), "value": words.number(report.individual_counts["total"])}],
        individuals=[{"id": r.individualID, "sex": sex.get(r.sex, _("unknown")) if isinstance(r.sex, str) else _("unknown"),
                      "sides": words.sides(r.sides), "detections": words.number(r.detections),
                      "first": words.date(r.firstSeen, "medium"), "last": words.date(r.lastSeen, "medium"),
                      "codes": r.partnerCodes if isinstance(r.partnerCodes, str) else "",
                      "photo": photos.get(str(r.individualID))}
                     for r in report.individuals.itertuples()],
        # the photo column only where some individual has a photo the report could read
        photo_column=bool(photos),
        population=None if report.population is None else [
            {"region": _("whole survey area") if r.region == "all" else words.country(str(r.region)),
             "density": words.interval(r.density, r.densityLower, r.densityUpper, 2),
             "number": words.interval(r.N, r.NLower, r.NUpper, 0)} for r in report.population.itertuples()],
        movement=None if report.movement is None else {
            "individuals": words.number(report.movement["individuals"]), "both": words.number(report.movement["both_sides"]),
            "crossings": words.number(report.movement["crossings"]), "km": words.number(report.movement["max_distance_km"], 1)},
        census_tigers=None if not report.census or "tigers" not in report.census else [
            {"side": words.country(r.country), "tracks": words.number(r.tracks), "min": words.number(r.min_tigers)}
            for r in report.census["tigers"].itertuples()],
        census_prey=None if not report.census or "prey" not in report.census else [
            {"species": words.species(r.species), "side": words.country(r.country), "routes": words.number(r.n_routes),
             "crossings": words.number(r.fresh_crossings), "density": words.interval(r.density_km2, r.lower, r.upper, 2)}
            for r in report.census["prey"].itertuples()],
        patrols=None if report.patrols is None else [
            {"side": _("whole survey area") if r.country == "all" else words.country(str(r.country)),
             "patrols": words.number(r.patrols), "km": words.number(r.km, 1), "signs": words.number(r.signs),
             "threats": words.number(r.threats), "rate": words.number(r.threatsPer100km, 1)}
            for r in report.patrols.itertuples()],
        conclusions=_conclusions(report, words),
        notes=[_note(words, note) for note in report.notes],
        references=numbered(),
        figures={k: _data_uri(v) for k, v in figures.items()},
    )
    return ctx


def brochure_context(report: StatusReport, words: Words, figures: dict[str, Path], cell_km: float) -> dict[str, Any]:
    """What the public brochure shows: key figures and the generalised map, in the reader's language."""
    _ = words.gettext
    title = _("%(species)s across the border") % {"species": words.species(report.species)}
    ctx = _common(report, words, title)
    ctx.update(figures={k: _data_uri(v) for k, v in figures.items()}, cell_km=words.number(cell_km))
    return ctx


def write_pdf(html: str, path: Path) -> Path:
    """The HTML printed to PDF by WeasyPrint (fonts found through fontconfig, with bigcats' own fonts added)."""
    from bigcats.fonts import pdf_problem

    problem = pdf_problem()  # also points fontconfig at bigcats' fonts before Pango starts
    if problem:
        raise ReportError(f"cannot write {path.name}: {problem}; --format html needs no PDF engine")
    from weasyprint import HTML

    HTML(string=html, base_url=str(path.parent)).write_pdf(path)
    return path


def render(report: StatusReport, language: str, out: str | Path, formats: tuple[str, ...] = FORMATS,
           kind: str = "status", cell_km: float = DEFAULT_CELL_KM) -> Rendered:
    """Write the status report or the public brochure of a StatusReport in a language as HTML and/or PDF."""
    if kind not in KINDS:
        raise ReportError(f"kind {kind!r}: choose one of {', '.join(KINDS)}")
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ReportError(f"format {', '.join(bad) or '(none)'}: choose html and/or pdf")
    words = Words(language, report.names)
    figs.report_font(language)
    out = Path(out)
    stem = f"{kind}-{report.species.replace(' ', '_')}-{report.area.code.replace(' ', '_')}-{language}"
    fig_dir = out / "figures" / stem
    result = Rendered(language, kind)
    if kind == "status":
        result.figures = {"abundance": figs.abundance_figure(report, words, fig_dir / "abundance"),
                          "activity": figs.activity_figure(report, words, fig_dir / "activity"),
                          "map": figs.station_map(report, words, fig_dir / "map")}
        template, ctx = "status.html", status_context(report, words, result.figures)
    else:
        if not cell_km > 0:
            raise ReportError(f"brochure: the grid cell for public locations must be positive, got {cell_km} km")
        # Public locations are always grid cells, whatever the species: the brochure never shows a station.
        result.figures["map"], result.cells = figs.public_map(report, words, fig_dir / "map", cell_km)
        template, ctx = "brochure.html", brochure_context(report, words, result.figures, cell_km)
    html = _environment(words).get_template(template).render(**ctx)
    out.mkdir(parents=True, exist_ok=True)
    if "html" in formats:
        path = out / f"{stem}.html"
        path.write_text(html, encoding="utf-8")
        result.files["html"] = path
    if "pdf" in formats:
        result.files["pdf"] = write_pdf(html, out / f"{stem}.pdf")
    return result
