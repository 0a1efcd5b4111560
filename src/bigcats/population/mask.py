"""Habitat masks for SCR: grid points within a buffer of the detectors, clipped to habitat polygons.

Follows secr's make.mask(type = "trapbuffer"): a grid over the detectors' bounding box widened by the buffer,
nx cells across, cell centres kept when within `buffer` of a detector. Habitat polygons (in the same projected
metres) then remove sea, towns and other non-habitat; the mask spans both countries unless clipped to one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from bigcats.population.errors import PopulationError, listed


@dataclass
class Mask:
    """Mask points (M x 2, metres) on a square grid of `spacing` metres; each point stands for one cell."""

    xy: np.ndarray
    spacing: float
    covariates: pd.DataFrame | None = None  # one row per point (habitat class, side of the border, distance...)

    @property
    def cell_area_ha(self) -> float:
        """Area of one cell in hectares."""
        return self.spacing**2 / 1e4

    @property
    def area_ha(self) -> float:
        """Total mask area in hectares."""
        return self.cell_area_ha * len(self.xy)

    def __len__(self) -> int:
        return len(self.xy)

    def subset(self, keep: np.ndarray) -> Mask:
        """The mask restricted to some points."""
        keep = np.asarray(keep, bool)
        cov = None if self.covariates is None else self.covariates.loc[keep].reset_index(drop=True)
        return Mask(self.xy[keep], self.spacing, cov)


def buffer_grid(xy: np.ndarray, buffer: float, nx: int = 64, spacing: float | None = None) -> tuple[np.ndarray, float]:
    """secr's make.mask grid: cell centres over the points' bounding box widened by `buffer`, and the spacing
    (the box's width / `nx` unless given). Shared by point detectors and polygon/transect detectors."""
    if not buffer > 0:
        raise PopulationError(f"mask: buffer must be positive, got {buffer}")
    xl = np.array([xy[:, 0].min() - buffer, xy[:, 0].max() + buffer])
    yl = np.array([xy[:, 1].min() - buffer, xy[:, 1].max() + buffer])
    if spacing is None:
        spacing = (xl[1] - xl[0]) / nx
    # R's seq(from, to, by) includes `to` when it is hit to within rounding.
    gx = xl[0] + spacing / 2 + spacing * np.arange(int(np.floor((xl[1] - xl[0] - spacing / 2) / spacing + 1e-10)) + 1)
    gy = yl[0] + spacing / 2 + spacing * np.arange(int(np.floor((yl[1] - yl[0] - spacing / 2) / spacing + 1e-10)) + 1)
    return np.column_stack([np.tile(gx, gy.size), np.repeat(gy, gx.size)]), float(spacing)


def make_mask(
    traps_xy: np.ndarray, buffer: float = 100.0, nx: int = 64, spacing: float | None = None,
    habitat: shapely.Geometry | None = None, nonhabitat: shapely.Geometry | None = None, kind: str = "trapbuffer",
) -> Mask:
    """secr's trapbuffer mask: grid cells within `buffer` m of a detector, inside `habitat`, outside `nonhabitat`.

    kind "traprect" keeps the whole rectangle (the detectors' bounding box plus the buffer), which is what secr's
    make.mask() makes by default, whereas secr.fit(buffer = ...) makes a trapbuffer mask.
    """
    if kind not in ("trapbuffer", "traprect"):
        raise PopulationError(f"mask: kind must be 'trapbuffer' or 'traprect' (secr's make.mask type), got {kind!r}")
    xy = np.asarray(traps_xy, float)
    if xy.ndim != 2 or xy.shape[1] != 2 or not len(xy) or not np.isfinite(xy).all():
        raise PopulationError("mask: detectors need finite x, y coordinates (an n x 2 array in metres)")
    grid, spacing = buffer_grid(xy, buffer, nx, spacing)
    dist, _ = cKDTree(xy).query(grid)
    pts = grid[dist <= buffer] if kind == "trapbuffer" else grid
    if habitat is not None:
        pts = pts[shapely.contains_xy(habitat, pts[:, 0], pts[:, 1])]
    if nonhabitat is not None:
        pts = pts[~shapely.contains_xy(nonhabitat, pts[:, 0], pts[:, 1])]
    if not len(pts):
        raise PopulationError("mask: no habitat within the buffer of the detectors — check the habitat polygons and their CRS")
    return Mask(pts, float(spacing))


def check_mask(mask: Mask, traps_xy: np.ndarray, trap_ids: np.ndarray | None = None) -> None:
    """Raise if some detector has no mask cell near it (the mask does not cover the detectors)."""
    dist, _ = cKDTree(mask.xy).query(np.asarray(traps_xy, float))
    far = dist > mask.spacing * np.sqrt(2)
    if far.any():
        ids = np.asarray(trap_ids if trap_ids is not None else np.arange(1, len(dist) + 1))[far]
        raise PopulationError(
            f"mask does not cover the detectors: detector {listed(ids.tolist())} is more than one cell "
            f"({mask.spacing:.1f} m) from any mask point — widen the buffer or check the habitat polygons and CRS")


def points_in(mask: Mask, region: shapely.Geometry) -> np.ndarray:
    """Which mask points lie in a region polygon (same projected CRS)."""
    return shapely.contains_xy(region, mask.xy[:, 0], mask.xy[:, 1])


def read_habitat(path: str | Path, crs: str | None = None) -> shapely.Geometry:
    """Habitat polygons from a GeoPackage, shapefile or GeoJSON, unioned, in `crs` (projected metres) when given.

    A layer without a CRS is taken to be in the mask's coordinates already; with one, `crs` is required so that the
    polygons and the mask points meet in the same metres.
    """
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise PopulationError(f"habitat {path}: no such file")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own errors for unreadable files: all are the user's file
        raise PopulationError(f"habitat {path}: cannot read polygons: {exc}") from None
    frame = frame[frame.geometry.notna() & frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if frame.empty:
        raise PopulationError(f"habitat {path}: no polygons in the layer")
    if frame.crs is not None and crs is not None:
        frame = frame.to_crs(crs)
    elif frame.crs is not None and frame.crs.is_geographic:
        raise PopulationError(f"habitat {path}: polygons are in longitude/latitude ({frame.crs.name}); the mask is in "
                              "projected metres — reproject the layer, or fit from the store, which projects both")
    geom = shapely.union_all(frame.geometry.make_valid().to_numpy())
    if geom.is_empty:
        raise PopulationError(f"habitat {path}: the polygons are empty")
    return geom


def clip_mask(mask: Mask, habitat: shapely.Geometry | None = None, nonhabitat: shapely.Geometry | None = None) -> Mask:
    """The mask points inside `habitat` and outside `nonhabitat` (same projected coordinates)."""
    keep = np.ones(len(mask), bool)
    if habitat is not None:
        keep &= shapely.contains_xy(habitat, mask.xy[:, 0], mask.xy[:, 1])
    if nonhabitat is not None:
        keep &= ~shapely.contains_xy(nonhabitat, mask.xy[:, 0], mask.xy[:, 1])
    if not keep.any():
        raise PopulationError("mask: no point lies in the habitat polygons — check that they cover the survey and "
                              "share its coordinate system")
    return mask.subset(keep)


def mask_spacing(xy: np.ndarray) -> float:
    """secr's read.mask spacing: the median over points of the distance to the nearest other point."""
    dist, _ = cKDTree(xy).query(xy, k=min(len(xy), 8))
    pos = np.where(dist > 0, dist, np.inf).min(1)
    pos = pos[np.isfinite(pos)]
    if not len(pos):
        raise PopulationError("mask: all points coincide, so no spacing can be derived — give the spacing")
    return float(np.median(pos))
