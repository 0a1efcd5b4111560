"""Hide where the cats are: generalise locations of sensitive species to the centre of a grid cell.

Poachers read public data too. Locations are snapped to the centre of a square cell of an equal-area grid
(EASE-Grid 2.0, EPSG:6933), so every generalised point of a cell is the same point and nothing of the true
position inside the cell survives; the cell size depends on who is asking.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from pyproj import Transformer

_TO_GRID = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)
_FROM_GRID = Transformer.from_crs("EPSG:6933", "EPSG:4326", always_xy=True)

DEFAULT_CELL_KM = 10.0


class Precision(str, Enum):
    """How precisely a caller may see the location of a sensitive species."""

    EXACT = "exact"
    GENERALISED = "generalised"


def generalise(lon: np.ndarray | float, lat: np.ndarray | float, cell_km: float = DEFAULT_CELL_KM
               ) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes snapped to the centre of their cell of a cell_km equal-area grid."""
    if cell_km <= 0:
        raise ValueError("cell_km must be positive")
    x, y = _TO_GRID.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    size = cell_km * 1000.0
    cx = (np.floor(np.asarray(x) / size) + 0.5) * size
    cy = (np.floor(np.asarray(y) / size) + 0.5) * size
    glon, glat = _FROM_GRID.transform(cx, cy)
    return np.round(np.asarray(glon), 5), np.round(np.asarray(glat), 5)


def cell_id(lon: np.ndarray | float, lat: np.ndarray | float, cell_km: float = DEFAULT_CELL_KM) -> np.ndarray:
    """A stable label of the grid cell of each point (e.g. for counting detections per cell)."""
    x, y = _TO_GRID.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    size = cell_km * 1000.0
    ix = np.floor(np.asarray(x) / size).astype(np.int64)
    iy = np.floor(np.asarray(y) / size).astype(np.int64)
    return np.char.add(np.char.add(ix.astype(str), ":"), iy.astype(str))
