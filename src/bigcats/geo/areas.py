"""Areas and lengths on the ellipsoid: an equal-area projection centred on the data, never degrees or UTM metres."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from bigcats.geo.crs import WGS84, reproject, require_crs

EASE_GRID_2 = pyproj.CRS.from_epsg(6933)  # global equal-area alternative, for areas spanning the whole range


def equal_area_crs(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """A Lambert Azimuthal Equal Area CRS on WGS84 centred on the frame's extent (areas exact, shapes near-true)."""
    wgs = reproject(gdf, WGS84) if not pyproj.CRS(require_crs(gdf)).equals(WGS84) else gdf
    w, s, e, n = wgs.total_bounds
    lon0, lat0 = (w + e) / 2.0, (s + n) / 2.0
    return pyproj.CRS.from_proj4(f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs")


def to_equal_area(gdf: gpd.GeoDataFrame, crs: pyproj.CRS | None = None) -> gpd.GeoDataFrame:
    """The frame reprojected (with datum shift) into crs, or into the LAEA centred on it."""
    return reproject(gdf, crs if crs is not None else equal_area_crs(gdf))


def area_km2(gdf: gpd.GeoDataFrame, crs: pyproj.CRS | None = None) -> pd.Series:
    """Area of each feature in km², computed in an equal-area projection."""
    return to_equal_area(gdf, crs).geometry.area / 1e6


def geodesic_length_km(geoms: gpd.GeoSeries) -> pd.Series:
    """Length of each line on the WGS84 ellipsoid in km (vertex pairs of every part, summed per feature)."""
    wgs = reproject(gpd.GeoDataFrame(geometry=geoms), WGS84).geometry
    parts, owner = shapely.get_parts(wgs.values, return_index=True)
    # Rings of polygons count as their boundary lines; points have no length.
    parts = np.where(shapely.get_type_id(parts) == 3, shapely.boundary(parts), parts)
    parts, sub = shapely.get_parts(parts, return_index=True)
    owner = owner[sub]
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    geod = pyproj.Geod(ellps="WGS84")
    _, _, dist = geod.inv(coords[:-1, 0][same], coords[:-1, 1][same], coords[1:, 0][same], coords[1:, 1][same])
    seg_owner = owner[idx[:-1][same]]
    total = np.bincount(seg_owner, weights=dist, minlength=len(geoms)) / 1000.0
    return pd.Series(total, index=geoms.index, name="length_km")
