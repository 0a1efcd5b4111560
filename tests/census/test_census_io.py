"""Routes and crossing sheets from files: formats, lengths, and bad input named with nothing imported."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from bigcats.census.crossings import read_crossings
from bigcats.census.errors import CensusError
from bigcats.census.routes import read_routes

LAEA = "+proj=laea +lat_0=43.5 +lon_0=131 +datum=WGS84 +units=m"


def _lines(crs: str = "EPSG:28422") -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame({"MARSHRUT": ["R1", "R2"], "unit": ["U1", "U1"], "country": ["RUS", "RUS"],
                            "date": ["2025-01-10", "2025-01-10"], "days_since_snow": [1, 2]},
                           geometry=[shapely.LineString([(0, 0), (6000, 8000)]), shapely.LineString([(0, 0), (0, 5000), (3000, 5000)])],
                           crs=LAEA)
    return gdf.to_crs(crs)


@pytest.mark.parametrize("name", ["routes.geojson", "routes.gpkg", "routes.shp"])
@pytest.mark.filterwarnings("ignore:Column names longer:UserWarning", "ignore:Normalized/laundered:RuntimeWarning")
def test_routes_from_vector_files_have_geodesic_lengths(tmp_path: Path, name: str):
    _lines().to_file(tmp_path / name, engine="pyogrio")
    fields = {"route_id": "MARSHRUT"}
    if name.endswith(".shp"):  # shapefiles cut field names to 10 characters; the mapping names the cut field
        fields["days_since_snow"] = "days_since"
    rs = read_routes(tmp_path / name, fields=fields)
    assert rs.routes.set_index("route_id")["length_km"].to_numpy() == pytest.approx([10.0, 8.0], rel=2e-3)
    assert rs.surveys["days_since_snow"].tolist() == [1.0, 2.0]


def test_routes_from_gpx_with_a_survey_table(tmp_path: Path):
    gpx = _lines("EPSG:4326").rename(columns={"MARSHRUT": "name"})[["name", "geometry"]]
    gpx["geometry"] = gpx.geometry.apply(lambda g: shapely.MultiLineString([g]))
    gpx.to_file(tmp_path / "r.gpx", driver="GPX", layer="tracks", engine="pyogrio")
    pd.DataFrame({"route_id": ["R1", "R2"], "unit": ["U7", "U7"], "country": ["CHN", "CHN"], "date": ["2025-02-01"] * 2,
                  "days_since_snow": [3, 3]}).to_csv(tmp_path / "surveys.csv", index=False)
    rs = read_routes(tmp_path / "r.gpx", surveys=tmp_path / "surveys.csv")
    assert list(rs.routes["unit"]) == ["U7", "U7"] and list(rs.routes["country"]) == ["CHN", "CHN"]
    assert rs.routes["length_km"].sum() == pytest.approx(18.0, rel=2e-3)


@pytest.mark.filterwarnings("ignore:Column names longer:UserWarning", "ignore:Normalized/laundered:RuntimeWarning")
def test_zero_length_route_and_missing_crs_are_refused(tmp_path: Path):
    gdf = _lines("EPSG:4326")
    gdf.loc[1, "geometry"] = shapely.LineString([(131.2, 43.6), (131.2, 43.6)])
    gdf.to_file(tmp_path / "z.geojson", engine="pyogrio")
    with pytest.raises(CensusError, match=r"route 'R2' has zero length"):
        read_routes(tmp_path / "z.geojson", fields={"route_id": "MARSHRUT"})
    # metres in a file labelled WGS84 are caught, not turned into NaN lengths
    _lines(LAEA).set_crs(4326, allow_override=True).to_file(tmp_path / "m.geojson", engine="pyogrio")
    with pytest.raises(CensusError, match="outside longitude/latitude range"):
        read_routes(tmp_path / "m.geojson", fields={"route_id": "MARSHRUT"})
    _lines(LAEA).set_crs(None, allow_override=True).to_file(tmp_path / "n.shp", engine="pyogrio")
    with pytest.raises(CensusError, match="no coordinate reference system"):
        read_routes(tmp_path / "n.shp", fields={"route_id": "MARSHRUT"})


def test_crossing_sheet_xlsx_and_bad_rows_named(tmp_path: Path):
    _lines().to_file(tmp_path / "r.gpkg", engine="pyogrio")
    rs = read_routes(tmp_path / "r.gpkg", fields={"route_id": "MARSHRUT"})
    good = pd.DataFrame({"route_id": ["R1", "R2"], "species": ["Sus scrofa", "Panthera tigris altaica"], "count": [3, 1],
                         "track_age_days": [1, 1], "pad_width_cm": [None, 10.5], "direction": [None, "NE"],
                         "longitude": [None, 131.01], "latitude": [None, 43.52]})
    good.to_excel(tmp_path / "sheet.xlsx", index=False)
    cr = read_crossings(tmp_path / "sheet.xlsx", rs)
    assert cr["count"].tolist() == [3, 1] and cr["pad_width_cm"].iloc[1] == 10.5
    assert (cr["date"] == pd.Timestamp("2025-01-10")).all()
    bad = pd.concat([good, pd.DataFrame({"route_id": ["R9", "R1"], "species": ["Sus scrofa"] * 2, "count": [2, -1]})])
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(CensusError) as err:
        read_crossings(tmp_path / "bad.csv", rs)
    text = str(err.value)
    assert "row 4, field 'route_id': route 'R9' does not exist" in text
    assert "row 5, route 'R1', field 'count': '-1' is not a whole number" in text and "nothing was imported" in text
