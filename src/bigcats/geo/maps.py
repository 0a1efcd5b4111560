"""Rendered maps (PNG and SVG) of the area: layers, legend, scale bar, north arrow, labels in the caller's language.

Drawn in the equal-area projection centred on the data, so the scale bar is true at the centre and north is up
there. Country outlines come from a Natural Earth file when nothing finer is given. Labels are passed in by the
caller (en/ru/zh/mn); bigcats picks a font that has the script (a CJK font for Chinese).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bigcats.geo.areas import equal_area_crs  # noqa: E402
from bigcats.geo.crs import reproject  # noqa: E402
from bigcats import fonts  # noqa: E402
from bigcats.core.resources import data_path  # noqa: E402
from bigcats.geo.errors import GeoError  # noqa: E402

LANGUAGES = ("en", "ru", "zh", "mn")
# Natural Earth outlines shipped inside the package (bigcats/data), so an installed wheel draws them too.
DEFAULT_COUNTRIES = data_path("naturalearth", "countries_ne_asia_50m.geojson")


@dataclass
class Layer:
    """A layer to draw: a frame, how to colour it (column or fixed colour), and its legend title."""

    gdf: gpd.GeoDataFrame
    title: str
    column: str | None = None
    color: str = "none"
    edgecolor: str = "black"
    linewidth: float = 0.8
    categories: dict[str, str] = field(default_factory=dict)  # value -> legend label (translated by the caller)
    label_column: str | None = None  # text placed at each feature
    colors: dict[str, str] = field(default_factory=dict)  # value -> fixed colour; its order is the legend order


def font_for(language: str) -> str:
    """The font family to draw a language in (decided by `bigcats.fonts`); a GeoError for an unknown language.

    A script without an installed font is drawn in the fallback font with one warning, never an error.
    """
    if language not in LANGUAGES:
        raise GeoError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    return fonts.family_for(language)


def _scale_length(span_m: float) -> float:
    # a round length near a fifth of the map width: 1, 2 or 5 times a power of ten
    target = span_m / 5
    p = 10 ** np.floor(np.log10(target))
    return float(max(m * p for m in (1, 2, 5) if m * p <= target))


def render_map(
    layers: list[Layer],
    out: str | Path,
    labels: dict[str, str],
    language: str = "en",
    countries: str | Path | gpd.GeoDataFrame | None = None,
    country_label_column: str | None = None,
    formats: tuple[str, ...] = ("png", "svg"),
    figsize: tuple[float, float] = (9.0, 8.0),
    dpi: int = 150,
) -> list[Path]:
    """Draw the layers over country outlines and write out.<format> for each format; returns the files written.

    labels: 'title', 'scale_unit' (e.g. km, км, 公里), 'north' (N, С, 北, Х) and optionally 'countries' (legend
    entry for the outlines); every text on the map comes from labels or the layers, in the caller's language.
    """
    missing = [k for k in ("title", "scale_unit", "north") if k not in labels]
    if missing:
        raise GeoError(f"map labels missing: {', '.join(missing)}")
    if not layers:
        raise GeoError("nothing to draw: give at least one layer")
    font = font_for(language)
    ea = equal_area_crs(pd.concat([reproject(l.gdf, 4326)[["geometry"]] for l in layers]).pipe(gpd.GeoDataFrame, crs=4326))
    projected = [reproject(l.gdf, ea) for l in layers]
    xmin, ymin, xmax, ymax = np.array([p.total_bounds for p in projected]).T
    bounds = np.array([xmin.min(), ymin.min(), xmax.max(), ymax.max()])
    pad = 0.08 * max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1000.0)
    bounds = bounds + np.array([-pad, -pad, pad, pad])
    with plt.rc_context({"font.family": font, "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=figsize)
        handles = []
        if countries is None and DEFAULT_COUNTRIES.exists():
            countries = DEFAULT_COUNTRIES
        if countries is not None:
            cgdf = countries if isinstance(countries, gpd.GeoDataFrame) else gpd.read_file(countries, engine="pyogrio")
            import shapely
            window = gpd.GeoDataFrame(geometry=[shapely.box(*bounds)], crs=ea).to_crs(4326).total_bounds
            cgdf = cgdf.cx[window[0] - 5:window[2] + 5, window[1] - 5:window[3] + 5]
            if len(cgdf):
                cp = reproject(cgdf, ea)
                cp.plot(ax=ax, color="#f2efe9", edgecolor="#888888", linewidth=0.6, zorder=0)
                if country_label_column and country_label_column in cp.columns:
                    pts = cp.representative_point()
                    for (x, y), text in zip(np.c_[pts.x, pts.y], cp[country_label_column].astype(str)):
                        if bounds[0] < x < bounds[2] and bounds[1] < y < bounds[3]:
                            ax.text(x, y, text, ha="center", va="center", fontsize=11, color="#777777", zorder=1)
                handles.append(Patch(facecolor="#f2efe9", edgecolor="#888888", label=labels.get("countries", "")))
        cmap = plt.get_cmap("tab20")
        for z, (layer, p) in enumerate(zip(layers, projected), start=2):
            lines = p.geom_type.isin(["LineString", "MultiLineString"]).all()
            if layer.column is not None:
                if layer.column not in p.columns:
                    raise GeoError(f"layer {layer.title!r}: no column {layer.column!r} to colour by")
                present = list(dict.fromkeys(p[layer.column].astype(str)))
                # fixed colours (e.g. graduated classes) keep their own order in the legend
                values = [v for v in layer.colors if v in present] + [v for v in present if v not in layer.colors]
                colours = {v: layer.colors.get(v, cmap(i % 20)) for i, v in enumerate(values)}
                fc = p[layer.column].astype(str).map(colours).tolist()
                if lines:
                    p.plot(ax=ax, color=fc, linewidth=max(layer.linewidth, 1.5), zorder=z)
                else:
                    p.plot(ax=ax, color=fc, edgecolor=layer.edgecolor, linewidth=layer.linewidth, zorder=z, alpha=0.85)
                for v in values:
                    name = layer.categories.get(v, v)
                    handles.append(Line2D([], [], color=colours[v], lw=2, label=name) if lines
                                   else Patch(facecolor=colours[v], edgecolor=layer.edgecolor, label=name))
            else:
                if lines:
                    p.plot(ax=ax, color=layer.edgecolor, linewidth=max(layer.linewidth, 1.5), zorder=z)
                    handles.append(Line2D([], [], color=layer.edgecolor, lw=2, label=layer.title))
                else:
                    p.plot(ax=ax, facecolor=layer.color, edgecolor=layer.edgecolor, linewidth=layer.linewidth, zorder=z)
                    handles.append(Patch(facecolor=layer.color, edgecolor=layer.edgecolor, label=layer.title))
            if layer.label_column:
                pts = p.representative_point()
                for x, y, text in zip(pts.x, pts.y, p[layer.label_column].astype(str)):
                    ax.text(x, y, text, ha="center", va="center", fontsize=8, zorder=z + 10)
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_title(labels["title"])
        # scale bar, bottom left, true at the projection centre
        span = bounds[2] - bounds[0]
        length = _scale_length(span)
        x0, y0 = bounds[0] + 0.05 * span, bounds[1] + 0.05 * (bounds[3] - bounds[1])
        h = 0.012 * (bounds[3] - bounds[1])
        for i in range(2):
            ax.add_patch(Rectangle((x0 + i * length / 2, y0), length / 2, h, facecolor="black" if i == 0 else "white",
                                   edgecolor="black", zorder=50))
        km = length / 1000.0
        ax.text(x0, y0 + 1.6 * h, "0", ha="center", fontsize=8, zorder=50)
        ax.text(x0 + length, y0 + 1.6 * h, f"{km:g} {labels['scale_unit']}", ha="center", fontsize=8, zorder=50)
        # north arrow, top right
        ax.annotate(labels["north"], xy=(0.94, 0.95), xytext=(0.94, 0.85), xycoords="axes fraction", ha="center",
                    va="center", fontsize=12, fontweight="bold", arrowprops={"facecolor": "black", "width": 4, "headwidth": 12}, zorder=50)
        if handles:
            ax.legend(handles=[h_ for h_ in handles if h_.get_label()], loc="lower right", fontsize=8, framealpha=0.9)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in formats:
            if fmt not in ("png", "svg"):
                raise GeoError(f"format {fmt!r}: only png and svg are written")
            path = out.with_suffix(f".{fmt}")
            fig.savefig(path, dpi=dpi, bbox_inches="tight")
            written.append(path)
        plt.close(fig)
    return written


def graduated_classes(values: np.ndarray, n_classes: int = 5, cmap: str = "YlOrBr", unit: str = "",
                      fmt: str = "{:.2g}") -> tuple[np.ndarray, dict[str, str]]:
    """Equal-interval classes of a numeric column for shading: a label per value, and label -> colour in order.

    Feed them to a Layer (column = the labels, colors = the mapping) to shade units by density or biomass.
    """
    v = np.asarray(values, dtype=float)
    if not np.isfinite(v).all():
        raise GeoError("graduated shading: values must be finite numbers (no NaN)")
    if n_classes < 1:
        raise GeoError(f"graduated shading: n_classes must be at least 1, got {n_classes}")
    lo, hi = float(v.min()), float(v.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, n_classes + 1)
    idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, n_classes - 1)
    suffix = f" {unit}" if unit else ""
    names = [f"{fmt.format(a)}–{fmt.format(b)}{suffix}" for a, b in zip(edges[:-1], edges[1:])]
    colours = plt.get_cmap(cmap)(np.linspace(0.2, 0.9, n_classes))
    mapping = {names[i]: matplotlib.colors.to_hex(colours[i]) for i in range(n_classes)}
    return np.array(names, dtype=object)[idx], mapping
