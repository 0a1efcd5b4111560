"""Maps over the border: detections, movement lines (time-ordered per animal) and home ranges, as PNG or SVG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

from bigcats.population.errors import PopulationError  # noqa: E402


def _draw_polygon(ax, geom: shapely.Geometry, **style) -> None:
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "Polygon":
            x, y = part.exterior.xy
            ax.fill(x, y, **style)


def movement_map(
    path: str | Path, detections: pd.DataFrame, countries: dict[str, shapely.Geometry] | None = None,
    home_ranges: pd.DataFrame | None = None, title: str = "",
) -> Path:
    """Write a map of detections (x, y, individualID, timestamp), movement lines and MCP polygons to PNG/SVG."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise PopulationError(f"map: file must end in .png or .svg, got {path.name}")
    fig, ax = plt.subplots(figsize=(8, 8))
    palette = plt.get_cmap("Pastel1")
    for i, (name, poly) in enumerate((countries or {}).items()):
        _draw_polygon(ax, poly, color=palette(i), alpha=0.6, label=name)
    det = detections.sort_values(["individualID", "timestamp"]) if "timestamp" in detections else detections
    ids = det["individualID"].astype(str)
    colours = plt.get_cmap("tab20")
    for j, (ind, part) in enumerate(det.groupby(ids, sort=True)):
        c = colours(j % 20)
        ax.plot(part["x"], part["y"], "-", color=c, lw=0.8, alpha=0.8)
        ax.plot(part["x"], part["y"], "o", color=c, ms=3)
    if home_ranges is not None and "geometry" in home_ranges:
        for geom in home_ranges["geometry"]:
            if geom is not None and not geom.is_empty and geom.geom_type == "Polygon":
                x, y = geom.exterior.xy
                ax.plot(x, y, "--", color="0.3", lw=0.8)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    if countries:
        ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title or f"{ids.nunique()} individuals, {len(det)} detections")
    fig.savefig(path, dpi=120 if path.suffix.lower() == ".png" else None, bbox_inches="tight")
    plt.close(fig)
    return path


def density_map(path: str | Path, mask_xy: np.ndarray, values: np.ndarray, traps_xy: np.ndarray, label: str = "") -> Path:
    """Write a map of a value per mask point (e.g. detection probability or expected use) with the detectors."""
    fig, ax = plt.subplots(figsize=(8, 8))
    sc = ax.scatter(mask_xy[:, 0], mask_xy[:, 1], c=values, s=4, marker="s", cmap="viridis")
    ax.plot(traps_xy[:, 0], traps_xy[:, 1], "r+", ms=5)
    fig.colorbar(sc, ax=ax, label=label)
    ax.set_aspect("equal")
    fig.savefig(Path(path), bbox_inches="tight")
    plt.close(fig)
    return Path(path)
