"""The report's figures in the reader's language: RAI by side, daily activity of the species and its prey, maps.

Every label goes through the report catalogue and is drawn in a font that has the script (a CJK font for
Chinese), so a Chinese report has Chinese figures; the numbers drawn are the same StatusReport in every language.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports are made on servers and laptops without a display
import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from pyproj import Transformer  # noqa: E402

from bigcats.analysis.kernel import TWO_PI  # noqa: E402
from bigcats.geo.errors import GeoError  # noqa: E402
from bigcats.geo.maps import DEFAULT_COUNTRIES, Layer, font_for, render_map  # noqa: E402
from bigcats.geo.privacy import DEFAULT_CELL_KM  # noqa: E402
from bigcats.report.builder import StatusReport, public_cells  # noqa: E402
from bigcats.report.errors import ReportError  # noqa: E402
from bigcats.report.words import Words  # noqa: E402

DPI = 150
_TO_GRID = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)


def report_font(language: str) -> str:
    """The installed font family for a language, or a ReportError saying what to install."""
    try:
        return font_for(language)
    except GeoError as exc:
        raise ReportError(f"fonts: {exc} (scripts/system-deps.sh installs them)") from None


def _save(fig: plt.Figure, stem: Path) -> Path:
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = stem.with_suffix(".png")
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def abundance_figure(report: StatusReport, words: Words, stem: Path) -> Path:
    """RAI (events per 100 trap-nights) with intervals: the species and its prey, one bar per country side."""
    _ = words.gettext
    sides = [*report.sides, "all"] if len(report.sides) > 1 else report.sides
    species = [report.species, *report.prey]
    with plt.rc_context({"font.family": report_font(words.language)}):
        fig, ax = plt.subplots(figsize=(7.5, 3.6))
        width = 0.8 / len(sides)
        x = np.arange(len(species))
        colours = plt.get_cmap("tab10")
        for i, side in enumerate(sides):
            part = report.abundance[report.abundance["country"] == side].set_index("scientificName").reindex(species)
            err = np.vstack([part["rai"] - part["lower"], part["upper"] - part["rai"]]).clip(min=0)
            ax.bar(x + i * width - 0.4 + width / 2, part["rai"].to_numpy(float), width, yerr=err, capsize=3,
                   label=words.country(side), color="0.55" if side == "all" else colours(i))
        ax.set_xticks(x, [words.species(s) for s in species], rotation=15, ha="right")
        ax.set_ylabel(_("events per 100 trap-nights"))
        ax.legend(frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return _save(fig, stem)


def activity_figure(report: StatusReport, words: Words, stem: Path) -> Path | None:
    """Daily activity (density per hour) of the species with its 95% band, and of each prey species."""
    _ = words.gettext
    if report.activity is None:
        return None
    scale = TWO_PI / 24
    with plt.rc_context({"font.family": report_font(words.language)}):
        fig, ax = plt.subplots(figsize=(7.5, 3.4))
        a = report.activity
        hours = a.grid / TWO_PI * 24
        ax.fill_between(hours, a.lower * scale, a.upper * scale, color="tab:orange", alpha=0.2, linewidth=0)
        ax.plot(hours, a.density * scale, color="tab:orange", linewidth=2.2, label=words.species(report.species))
        styles = ["--", ":", "-."]
        for (name, fit), style in zip(report.activity_prey.items(), styles):
            ax.plot(fit.grid / TWO_PI * 24, fit.density * scale, color="0.3", linestyle=style, label=words.species(name))
        ax.set(xlim=(0, 24), xticks=range(0, 25, 3), xlabel=_("time of day (hours)"), ylabel=_("activity density"))
        ax.legend(frameon=False, fontsize="small")
        ax.spines[["top", "right"]].set_visible(False)
        return _save(fig, stem)


def _countries(words: Words) -> gpd.GeoDataFrame | None:
    """Country outlines with their names in the reader's language (CLDR), if the outlines are at hand."""
    if not DEFAULT_COUNTRIES.exists():
        return None
    c = gpd.read_file(DEFAULT_COUNTRIES, engine="pyogrio")
    return c.assign(label=c["iso_a3"].map(lambda iso: words.country(iso, default="")))


def _labels(words: Words, title: str) -> dict[str, str]:
    _ = words.gettext
    return {"title": title, "scale_unit": _("km"), "north": _("N"), "countries": _("country borders")}


def station_map(report: StatusReport, words: Words, stem: Path) -> Path:
    """Camera stations at their true positions, those where the species was detected marked (restricted report)."""
    _ = words.gettext
    st = report.stations
    pts = gpd.GeoDataFrame(st, geometry=gpd.points_from_xy(st["longitude"], st["latitude"]), crs=4326)
    layers = [Layer(pts[pts["events"] == 0], _("station, not detected"), color="white", edgecolor="0.3"),
              Layer(pts[pts["events"] > 0], _("station, detected"), color="tab:orange", edgecolor="black")]
    layers = [layer for layer in layers if len(layer.gdf)]
    title = _("Camera stations and detections of %(species)s") % {"species": words.species(report.species)}
    countries = _countries(words)
    paths = render_map(layers, stem, _labels(words, title), language=words.language, countries=countries,
                       country_label_column="label" if countries is not None else None, formats=("png",),
                       figsize=(7.0, 6.0), dpi=DPI)
    return paths[0]


def public_map(report: StatusReport, words: Words, stem: Path, cell_km: float = DEFAULT_CELL_KM) -> tuple[Path, pd.DataFrame]:
    """Where the species was seen, as equal-area grid cells only (no station positions): the public brochure's map."""
    _ = words.gettext
    cells = public_cells(report.stations, cell_km)
    x, y = _TO_GRID.transform(cells["longitude"].to_numpy(float), cells["latitude"].to_numpy(float))
    half = cell_km * 500.0
    squares = shapely.box(np.asarray(x) - half, np.asarray(y) - half, np.asarray(x) + half, np.asarray(y) + half)
    grid = gpd.GeoDataFrame(cells, geometry=squares, crs=6933)
    layers = [Layer(grid[grid["events"] == 0], _("surveyed, not detected"), color="#eeeeee", edgecolor="0.6"),
              Layer(grid[grid["events"] > 0], _("detected"), color="tab:orange", edgecolor="0.4")]
    layers = [layer for layer in layers if len(layer.gdf)]
    title = _("Where %(species)s was recorded (%(km)s km squares)") % {
        "species": words.species(report.species), "km": words.number(cell_km)}
    countries = _countries(words)
    paths = render_map(layers, stem, _labels(words, title), language=words.language, countries=countries,
                       country_label_column="label" if countries is not None else None, formats=("png",),
                       figsize=(7.0, 6.0), dpi=DPI)
    return paths[0], cells
