"""Country outlines of North-East Asia (Natural Earth 1:50 M, shipped in the package) for maps, masks and the
simulator. Accurate to kilometres: a station's country side comes from its partner, never from these."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd

from bigcats.core.resources import data_path
from bigcats.geo.errors import GeoError

COUNTRIES_FILE = "countries_ne_asia_50m.geojson"


def default_countries_path() -> Path:
    """The Natural Earth outlines of North-East Asia shipped in the package."""
    return data_path("naturalearth", COUNTRIES_FILE)


@lru_cache(maxsize=4)
def _read_countries(path: str, crs: str) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path)
    if "iso_a3" not in frame.columns:
        raise GeoError(f"{path}: country outlines need an 'iso_a3' column (found {list(frame.columns)})")
    if frame.crs is None:
        raise GeoError(f"{path}: country outlines have no coordinate reference system")
    return frame[["iso_a3", "geometry"]].to_crs(crs).dissolve("iso_a3")


def load_countries(path: str | Path | None = None, crs: str = "EPSG:32652") -> gpd.GeoDataFrame:
    """Country polygons indexed by ISO3 code, projected to `crs`."""
    path = Path(path) if path is not None else default_countries_path()
    if not path.is_file():
        raise GeoError(f"country outlines not found: {path}")
    return _read_countries(str(path.resolve()), crs)
