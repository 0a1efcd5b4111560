"""Reprojection applies the datum shift (checked against the published Helmert parameters), and refuses guesses."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from bigcats.geo.areas import area_km2, geodesic_length_km
from bigcats.geo.crs import gauss_kruger_pulkovo, parse_crs, reproject
from bigcats.geo.errors import GeoError

KRASSOWSKY = (6378245.0, 1 / 298.3)
WGS84_ELL = (6378137.0, 1 / 298.257223563)


def _to_ecef(lon, lat, a, f):
    e2 = f * (2 - f)
    lon, lat = np.radians(lon), np.radians(lat)
    n = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    return np.array([n * np.cos(lat) * np.cos(lon), n * np.cos(lat) * np.sin(lon), n * (1 - e2) * np.sin(lat)])


def _from_ecef(xyz, a, f):
    e2 = f * (2 - f)
    x, y, z = xyz
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1 - e2))
    for _ in range(10):
        n = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
        h = p / np.cos(lat) - n
        lat = np.arctan2(z, p * (1 - e2 * n / (n + h)))
    return np.degrees(np.arctan2(y, x)), np.degrees(lat)


def _pulkovo_to_wgs84_by_hand(lon, lat):
    """EPSG:5044 'Pulkovo 1942 to WGS 84 (20)' (GOST R 51794-2008), coordinate-frame Helmert, written out."""
    tx, ty, tz = 23.57, -140.95, -79.8
    rx, ry, rz = (np.radians(v / 3600) for v in (0.0, -0.35, -0.79))
    s = -0.22e-6
    # coordinate frame convention: X' = T + (1+s) R X with R = [[1, rz, -ry], [-rz, 1, rx], [ry, -rx, 1]]
    r = np.array([[1, rz, -ry], [-rz, 1, rx], [ry, -rx, 1]])
    xyz = _to_ecef(lon, lat, *KRASSOWSKY)
    return _from_ecef(np.array([tx, ty, tz]) + (1 + s) * r @ xyz, *WGS84_ELL)


def test_pulkovo_shift_matches_published_parameters_and_is_applied():
    lon, lat = 131.25, 43.10  # Land of the Leopard, Primorye
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(lon, lat)], crs="EPSG:4284")
    out = reproject(gdf, "EPSG:4326")
    got = np.array([out.geometry.x[0], out.geometry.y[0]])
    expected = np.array(_pulkovo_to_wgs84_by_hand(lon, lat))
    geod = pyproj.Geod(ellps="WGS84")
    assert geod.inv(*got, *expected)[2] < 0.05  # metres
    shift = geod.inv(lon, lat, *got)[2]
    assert 50 < shift < 200, shift  # a change of axis only would leave it at 0
    assert "Pulkovo 1942 to WGS 84" in out.attrs["transformation"]


def test_gauss_kruger_zone_goes_through_the_same_shift():
    lon, lat = 131.25, 43.10
    gk = gauss_kruger_pulkovo(lon)
    assert gk.to_epsg() == 28422
    x, y = pyproj.Transformer.from_crs("EPSG:4284", gk, always_xy=True).transform(lon, lat)  # same datum: exact
    out = reproject(gpd.GeoDataFrame(geometry=[shapely.Point(x, y)], crs=gk), "EPSG:4326")
    expected = _pulkovo_to_wgs84_by_hand(lon, lat)
    assert pyproj.Geod(ellps="WGS84").inv(out.geometry.x[0], out.geometry.y[0], *expected)[2] < 0.05


def test_cgcs2000_equals_wgs84_and_gsk2011_is_shifted():
    pt = gpd.GeoDataFrame(geometry=[shapely.Point(130.9, 43.4)], crs=parse_crs("cgcs2000"))
    out = reproject(pt, 4326)
    assert out.geometry.x[0] == pytest.approx(130.9, abs=1e-9)
    gsk = reproject(pt.set_crs(parse_crs("gsk2011"), allow_override=True), 4326)
    assert "GSK-2011" in gsk.attrs["transformation"]


def test_no_crs_and_unknown_datum_shift_are_refused():
    with pytest.raises(GeoError, match="no coordinate reference system"):
        reproject(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]), 4326, source="parks.shp")
    xian = gpd.GeoDataFrame(geometry=[shapely.Point(125.0, 44.0)], crs="EPSG:4610")  # Xian 1980: no EPSG shift to WGS84
    with pytest.raises(GeoError, match="no datum transformation"):
        reproject(xian, 4326)
    assert len(reproject(xian, 4326, allow_ballpark=True)) == 1


def test_equal_area_and_geodesic_measures_agree_with_geod():
    geod = pyproj.Geod(ellps="WGS84")
    poly = shapely.Polygon([(130.5, 42.8), (131.6, 42.9), (131.4, 43.9), (130.7, 43.7)])
    gdf = gpd.GeoDataFrame(geometry=[poly], crs=4326)
    assert area_km2(gdf)[0] == pytest.approx(abs(geod.geometry_area_perimeter(poly)[0]) / 1e6, rel=1e-4)
    line = shapely.LineString([(131.0, 43.0), (131.1, 43.05), (131.2, 43.0)])
    assert geodesic_length_km(gpd.GeoSeries([line], crs=4326))[0] == pytest.approx(geod.geometry_length(line) / 1000, rel=1e-9)
