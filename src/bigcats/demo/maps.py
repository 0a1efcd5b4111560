"""The demo's one map of the transboundary area and one habitat classification, from the partners' own files.

Each partner holds its boundaries as it really does: the Russian park and its zones in Pulkovo 1942 /
Gauss-Krüger zone 22 (shapefiles), the Chinese park and zones in CGCS2000 (GeoPackage), the census survey units in
WGS84 / UTM 52N. The Chinese border line was digitised a little differently from the Russian one, so the two parks
overlap in the north and leave a sliver gap in the south; bigcats reprojects everything with the datum shift,
merges it into one GeoPackage, and finds those gaps and overlaps with their areas. A habitat GeoTIFF carries
Russian classes on one side and Chinese classes on the other; a crosswalk CSV turns them into one legend, giving
class areas per park, side and zone, station covariates for occupancy, and the habitat mask for SCR.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import rasterio.features
import shapely
from rasterio.transform import from_origin
from scipy.ndimage import gaussian_filter

from bigcats.demo.census import survey_units
from bigcats.geo.areas import area_km2
from bigcats.geo.boundaries import border_gaps_overlaps, merge_boundaries, read_boundaries, write_geopackage
from bigcats.geo.crs import WGS84, reproject
from bigcats.geo.errors import GeoError
from bigcats.geo.habitat import (habitat_at_stations, habitat_mask, read_crosswalk, reclassify_raster, unified_legend,
                                 zonal_class_areas)
from bigcats.geo.maps import Layer, render_map
from bigcats.simulate.geography import default_countries_path, load_countries
from bigcats.store.query import SurveyFrames

if TYPE_CHECKING:
    from bigcats.simulate.survey import Truth

PULKOVO_GK22 = pyproj.CRS.from_epsg(28422)  # Pulkovo 1942 / Gauss-Kruger zone 22 (126-132°E)
CGCS2000 = pyproj.CRS.from_epsg(4490)
OVERLAP_M, GAP_M = 300.0, 400.0  # how far the Chinese digitised border strays north (over) and south (short)
GAP_TOLERANCE_M = 1000.0
CELL_M = 100.0
STATION_BUFFER_M = 1000.0
LANGUAGES = ("en", "ru", "zh")

# The simulated national legends and the crosswalk the partners agreed (scheme, national code -> unified class).
CROSSWALK = pd.DataFrame([
    ("RUS", 1, "Кедрово-широколиственные леса", 1, "mixed_forest"),
    ("RUS", 2, "Дубовые леса", 2, "broadleaf_forest"),
    ("RUS", 3, "Черноберёзовые леса", 2, "broadleaf_forest"),
    ("RUS", 4, "Луга и кустарники", 3, "shrub_grassland"),
    ("RUS", 5, "Болота", 4, "wetland"),
    ("RUS", 6, "Сельхозугодья", 5, "farmland_settlement"),
    ("CHN", 21, "针阔混交林", 1, "mixed_forest"),
    ("CHN", 22, "落叶阔叶林", 2, "broadleaf_forest"),
    ("CHN", 23, "灌丛", 3, "shrub_grassland"),
    ("CHN", 24, "草地", 3, "shrub_grassland"),
    ("CHN", 25, "湿地", 4, "wetland"),
    ("CHN", 26, "耕地", 5, "farmland_settlement"),
    ("CHN", 27, "建设用地", 5, "farmland_settlement"),
], columns=["scheme", "national_class", "national_name", "unified_code", "unified_class"])
CLASS_LABELS = {
    "mixed_forest": ("Mixed conifer-broadleaf forest", "Хвойно-широколиственный лес", "针阔混交林"),
    "broadleaf_forest": ("Broadleaf forest", "Широколиственный лес", "阔叶林"),
    "shrub_grassland": ("Shrub and grassland", "Кустарники и луга", "灌丛和草地"),
    "wetland": ("Wetland", "Водно-болотные угодья", "湿地"),
    "farmland_settlement": ("Farmland and settlements", "Сельхозугодья и поселения", "耕地和建设用地"),
}
CLASS_COLOURS = {"mixed_forest": "#1b5e20", "broadleaf_forest": "#66bb6a", "shrub_grassland": "#d4e157",
                 "wetland": "#4fc3f7", "farmland_settlement": "#ffb74d"}
SUITABLE = ["mixed_forest", "broadleaf_forest", "shrub_grassland"]  # where big cats can live: the SCR mask
TEXT = {
    "en": {"area": "Transboundary area: parks, zones and survey units", "habitat": "Unified habitat classes",
           "scale_unit": "km", "north": "N", "countries": "Countries", "parks": "Parks", "zones": "Zones",
           "units": "Survey units", "gap": "Gap along the border", "overlap": "Overlap along the border",
           "RUS": "Russia", "CHN": "China", "PRK": "North Korea"},
    "ru": {"area": "Трансграничная территория: парки, зоны и учётные участки", "habitat": "Единая классификация местообитаний",
           "scale_unit": "км", "north": "С", "countries": "Страны", "parks": "Парки", "zones": "Зоны",
           "units": "Учётные участки", "gap": "Разрыв вдоль границы", "overlap": "Перекрытие вдоль границы",
           "RUS": "Россия", "CHN": "Китай", "PRK": "КНДР"},
    "zh": {"area": "跨境区域：保护区、功能区和调查单元", "habitat": "统一生境分类", "scale_unit": "公里", "north": "北",
           "countries": "国家", "parks": "保护区", "zones": "功能区", "units": "调查单元", "gap": "边界空隙",
           "overlap": "边界重叠", "RUS": "俄罗斯", "CHN": "中国", "PRK": "朝鲜"},
}


def _records(frame: pd.DataFrame) -> list[dict]:
    """A table as JSON-able records (numpy scalars and NaN turned into plain values)."""
    return json.loads(frame.to_json(orient="records", double_precision=10))


def true_boundaries(truth: Truth) -> dict:
    """The simulation's true parks and zones (projected CRS), the Chinese park as digitised, and the designed issues."""
    crs = truth.crs
    countries = load_countries(truth.config.countries_path, crs)
    study = shapely.union_all(survey_units(truth).geometry.values)
    rus = shapely.intersection(study, countries.loc["RUS"].geometry)
    chn = shapely.intersection(study, countries.loc["CHN"].geometry)
    _, y0, _, y1 = study.bounds
    north = shapely.box(-1e8, (y0 + y1) / 2, 1e8, 1e8)
    south = shapely.box(-1e8, -1e8, 1e8, (y0 + y1) / 2)
    # Digitised from another source: the line strays into Russia in the north and stops short of it in the south.
    over = shapely.intersection(shapely.intersection(shapely.buffer(chn, OVERLAP_M), rus), north)
    short = shapely.intersection(shapely.intersection(shapely.buffer(rus, GAP_M), chn), south)
    # ...and along the outer edge it runs 200 m inside the study area, as an independent survey would
    chn_digitised = shapely.intersection(shapely.difference(shapely.union(chn, over), short), shapely.buffer(study, -200.0))
    parks = gpd.GeoDataFrame({"name": ["Land of the Leopard National Park", "Northeast China Tiger and Leopard National Park"],
                              "country": ["RUS", "CHN"]}, geometry=[rus, chn_digitised], crs=crs)

    def halves(geom: shapely.Geometry, names: tuple[str, str]) -> list[tuple[str, shapely.Geometry]]:
        x0, _, x1, _ = geom.bounds
        cut = (x0 + x1) / 2
        return [(names[0], shapely.intersection(geom, shapely.box(-1e8, -1e8, cut, 1e8))),
                (names[1], shapely.intersection(geom, shapely.box(cut, -1e8, 1e8, 1e8)))]

    zones_rus = gpd.GeoDataFrame(halves(rus, ("Заповедное ядро", "Рекреационная зона")), columns=["name", "geometry"],
                                 geometry="geometry", crs=crs)
    zones_chn = gpd.GeoDataFrame(halves(chn_digitised, ("核心保护区", "一般控制区")), columns=["name", "geometry"],
                                 geometry="geometry", crs=crs)
    return {"countries": countries, "rus": rus, "chn": chn, "parks": parks, "zones_rus": zones_rus, "zones_chn": zones_chn,
            "overlap": over, "gap": short, "sides": gpd.GeoDataFrame({"country": ["RUS", "CHN"]}, geometry=[rus, chn], crs=crs)}


def write_partner_files(truth: Truth, bounds: dict, folder: Path) -> dict[str, Path]:
    """Each partner's boundary files in its own CRS, reprojected with the datum shift as their GIS would."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"rus_park": folder / "llnp_park.shp", "rus_zones": folder / "llnp_zones.shp",
             "chn": folder / "nctlnp_boundaries.gpkg", "units": folder / "census_units_utm52n.gpkg"}
    parks = bounds["parks"]
    reproject(parks[parks["country"] == "RUS"][["name", "geometry"]], PULKOVO_GK22).to_file(paths["rus_park"], engine="pyogrio",
                                                                                          encoding="utf-8")
    reproject(bounds["zones_rus"], PULKOVO_GK22).to_file(paths["rus_zones"], engine="pyogrio", encoding="utf-8")
    chn_park = reproject(parks[parks["country"] == "CHN"][["name", "geometry"]], CGCS2000)
    if paths["chn"].exists():
        paths["chn"].unlink()
    chn_park.to_file(paths["chn"], layer="park", engine="pyogrio")
    reproject(bounds["zones_chn"], CGCS2000).to_file(paths["chn"], layer="zones", engine="pyogrio")
    units = survey_units(truth).rename(columns={"unit": "name"})
    if paths["units"].exists():
        paths["units"].unlink()
    reproject(units, "EPSG:32652").to_file(paths["units"], layer="units", engine="pyogrio")
    return paths


def _datum_check(path: Path, merged: gpd.GeoDataFrame, true_geom: shapely.Geometry, crs: str) -> dict:
    """How far the merged Russian park lies from the truth, and how far it would if the datum shift were skipped."""
    raw = gpd.read_file(path, engine="pyogrio")
    # Without the datum shift: Gauss-Krüger to Pulkovo lon/lat, then those numbers taken as WGS84.
    to_geo = pyproj.Transformer.from_crs(raw.crs, pyproj.CRS(raw.crs).geodetic_crs, always_xy=True)
    naive = shapely.transform(raw.geometry.values, lambda xy: np.column_stack(to_geo.transform(xy[:, 0], xy[:, 1])))
    naive = gpd.GeoDataFrame(geometry=naive, crs=WGS84).to_crs(crs).geometry.iloc[0]
    got = merged.to_crs(crs).geometry.iloc[0]
    return {"with_shift_hausdorff_m": float(shapely.hausdorff_distance(got, true_geom)),
            "without_shift_hausdorff_m": float(shapely.hausdorff_distance(naive, true_geom)),
            "transformation": merged.attrs.get("transformation", "")}


def simulate_habitat(truth: Truth, bounds: dict, seed: int, path: Path) -> tuple[Path, np.ndarray]:
    """A national-class GeoTIFF on the UTM grid: Russian codes on the Russian side, Chinese codes on the Chinese side.

    Returns the file and the true unified class of every cell (0 outside both sides) for checking.
    """
    rng = np.random.default_rng([seed, 7_004])
    x0, y0, x1, y1 = shapely.union(bounds["rus"], bounds["chn"]).bounds
    x0, y0 = np.floor(x0 / CELL_M) * CELL_M - 1000, np.floor(y0 / CELL_M) * CELL_M - 1000
    w, h = int(np.ceil((x1 - x0) / CELL_M)) + 20, int(np.ceil((y1 - y0) / CELL_M)) + 20
    transform = from_origin(x0, y0 + h * CELL_M, CELL_M, CELL_M)
    # smooth fields: "elevation" orders forest to farmland, "wetness" makes wetlands in the lowlands
    elev = gaussian_filter(rng.normal(size=(h, w)), 25)
    wet = gaussian_filter(rng.normal(size=(h, w)), 12)
    split = gaussian_filter(rng.normal(size=(h, w)), 8)
    e = (elev - elev.mean()) / elev.std()
    wt = (wet - wet.mean()) / wet.std()
    unified = np.select([e > 0.3, e > -0.5, (e <= -0.5) & (wt > 0.8), e > -1.1], [1, 2, 4, 3], 5).astype(np.uint8)
    rus = rasterio.features.rasterize([bounds["rus"]], out_shape=(h, w), transform=transform).astype(bool)
    chn = rasterio.features.rasterize([bounds["chn"]], out_shape=(h, w), transform=transform).astype(bool) & ~rus
    s = split > 0  # one unified class is two national classes on each side: the crosswalk merges them
    rus_code = np.select([unified == 1, (unified == 2) & s, unified == 2, unified == 3, unified == 4], [1, 2, 3, 4, 5], 6)
    chn_code = np.select([unified == 1, unified == 2, (unified == 3) & s, unified == 3, unified == 4, (unified == 5) & s],
                         [21, 22, 23, 24, 25, 26], 27)
    national = np.where(rus, rus_code, np.where(chn, chn_code, 0)).astype(np.uint8)
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="uint8", crs=truth.crs,
                       transform=transform, nodata=0, compress="deflate") as dst:
        dst.write(national, 1)
    return path, np.where(rus | chn, unified, 0).astype(np.uint8)


def _combined_scheme(cw: pd.DataFrame) -> pd.DataFrame:
    """The crosswalk rows of both sides as one scheme, for a raster that holds both; codes must not collide."""
    clash = cw.groupby("national_class")["scheme"].nunique()
    if (clash > 1).any():
        raise GeoError(f"habitat raster holds two schemes but code(s) {sorted(clash[clash > 1].index)} occur in both; "
                       "give each side its own raster")
    return cw.assign(scheme="RUS+CHN")


def habitat_polygons(unified_tif: Path, legend: pd.DataFrame) -> gpd.GeoDataFrame:
    """The unified habitat raster as polygons, one multipolygon per class, in the raster's CRS."""
    with rasterio.open(unified_tif) as src:
        arr = src.read(1)
        shapes = list(rasterio.features.shapes(arr, mask=arr > 0, transform=src.transform))
        crs = src.crs.to_wkt()
    gdf = gpd.GeoDataFrame({"unified_code": [int(v) for _, v in shapes]},
                           geometry=[shapely.geometry.shape(g) for g, _ in shapes], crs=crs)
    gdf = gdf.dissolve("unified_code", as_index=False)
    return gdf.merge(legend[["unified_code", "unified_class"]], on="unified_code")


def _area_tables(unified_tif: Path, bounds: dict, merged: dict[str, gpd.GeoDataFrame], legend: pd.DataFrame) -> pd.DataFrame:
    """Area of each unified class per park, per country side and per zone (equal-area, window by window)."""
    frames = []
    parks = merged["parks"]
    for i in range(len(parks)):  # parks overlap where the border was digitised twice: one at a time
        t = zonal_class_areas(unified_tif, parks.iloc[[i]], "name")
        frames.append(t.rename(columns={"name": "where"}).assign(level="park"))
    t = zonal_class_areas(unified_tif, bounds["sides"], "country")
    frames.append(t.rename(columns={"country": "where"}).assign(level="side"))
    zones = merged["zones"]
    for side in zones["country"].unique():
        t = zonal_class_areas(unified_tif, zones[zones["country"] == side], "name")
        frames.append(t.rename(columns={"name": "where"}).assign(level="zone"))
    out = pd.concat(frames, ignore_index=True).merge(legend[["unified_code", "unified_class"]], on="unified_code")
    return out[["level", "where", "unified_code", "unified_class", "area_km2", "share"]]


def _stations(frames: SurveyFrames | None, truth: Truth) -> pd.DataFrame:
    if frames is not None and frames.deployments is not None and len(frames.deployments):
        return frames.deployments[["locationID", "longitude", "latitude"]].drop_duplicates("locationID")
    return truth.stations[["locationID", "longitude", "latitude"]]


def _render(merged: dict[str, gpd.GeoDataFrame], issues: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame,
            bounds: dict, out: Path, languages: tuple[str, ...]) -> list[str]:
    """The area map and the habitat map in each language (PNG and SVG)."""
    files: list[str] = []
    near = gpd.read_file(default_countries_path(), engine="pyogrio")[["iso_a3", "geometry"]]
    for lang in languages:
        t = TEXT[lang]
        countries = near.assign(label=near["iso_a3"].map(t).fillna(""))
        labels = {"scale_unit": t["scale_unit"], "north": t["north"], "countries": t["countries"]}
        layers = [Layer(merged["parks"], t["parks"], column="country", categories={"RUS": t["RUS"], "CHN": t["CHN"]},
                        colors={"RUS": "#c8e6c9", "CHN": "#ffe0b2"}, edgecolor="#2e7d32"),
                  Layer(merged["zones"], t["zones"], color="none", edgecolor="#6d4c41", linewidth=0.6),
                  Layer(merged["units"], t["units"], color="none", edgecolor="#1565c0", linewidth=1.0, label_column="name")]
        if len(issues):
            layers.append(Layer(issues, "", column="issue", categories={"gap": t["gap"], "overlap": t["overlap"]},
                                colors={"gap": "#d50000", "overlap": "#6200ea"}, edgecolor="none"))
        files += map(str, render_map(layers, out / f"area_{lang}", {"title": t["area"], **labels}, lang, countries, "label"))
        col = {"en": 0, "ru": 1, "zh": 2}[lang]
        hab = Layer(habitat, t["habitat"], column="unified_class", categories={k: v[col] for k, v in CLASS_LABELS.items()},
                    colors=CLASS_COLOURS, edgecolor="none", linewidth=0.0)
        parks = Layer(merged["parks"], t["parks"], color="none", edgecolor="black", linewidth=1.0)
        files += map(str, render_map([hab, parks], out / f"habitat_{lang}", {"title": t["habitat"], **labels}, lang,
                                     countries, "label"))
    return files


def run_maps(frames: SurveyFrames | None, truth: Truth, out: Path, seed: int = 1,
             languages: tuple[str, ...] = LANGUAGES, maps: bool = True) -> dict:
    """Partners' boundaries merged into one GeoPackage with border gaps and overlaps; one habitat map and its uses."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bounds = true_boundaries(truth)
    paths = write_partner_files(truth, bounds, out / "partners")
    read = [
        read_boundaries(paths["rus_park"], "parks", country="RUS", partner="LLNP"),
        read_boundaries(paths["rus_zones"], "zones", country="RUS", partner="LLNP"),
        read_boundaries(paths["chn"], "parks", country="CHN", partner="NCTLNP", layer="park"),
        read_boundaries(paths["chn"], "zones", country="CHN", partner="NCTLNP", layer="zones"),
        read_boundaries(paths["units"], "units", country_field="country", partner="census", layer="units"),
    ]
    merged = merge_boundaries(read)
    datum = _datum_check(paths["rus_park"], read[0], bounds["rus"], truth.crs)
    issues = border_gaps_overlaps(merged["parks"], by="country", tolerance_m=GAP_TOLERANCE_M)
    ea_truth = gpd.GeoDataFrame({"issue": ["overlap", "gap"]}, geometry=[bounds["overlap"], bounds["gap"]], crs=truth.crs)
    designed = dict(zip(ea_truth["issue"], area_km2(ea_truth)))
    found = issues.groupby("issue")["area_km2"].sum().to_dict() if len(issues) else {}
    border = pd.DataFrame({"issue": ["overlap", "gap"], "found_km2": [found.get("overlap", 0.0), found.get("gap", 0.0)],
                           "designed_km2": [designed["overlap"], designed["gap"]],
                           "pieces": [int((issues["issue"] == k).sum()) for k in ("overlap", "gap")]})

    # habitat: one national raster, the crosswalk, the unified raster and what it feeds
    crosswalk_csv = out / "habitat_crosswalk.csv"
    CROSSWALK.assign(**{f"label_{lang}": CROSSWALK["unified_class"].map({k: v[i] for k, v in CLASS_LABELS.items()})
                        for i, lang in enumerate(LANGUAGES)}).to_csv(crosswalk_csv, index=False)
    cw = read_crosswalk(crosswalk_csv)
    legend = unified_legend(cw)
    national_tif, true_unified = simulate_habitat(truth, bounds, seed, out / "habitat_national.tif")
    unified_tif = reclassify_raster(national_tif, out / "habitat_unified.tif", _combined_scheme(cw), "RUS+CHN")
    areas = _area_tables(unified_tif, bounds, merged, legend)
    stations = _stations(frames, truth)
    cov = habitat_at_stations(stations, unified_tif, buffers_m=(STATION_BUFFER_M,))
    names = dict(zip(legend["unified_code"].astype(str), legend["unified_class"]))
    cov = cov.rename(columns={c: f"share_{names.get(c.split('_')[1], c.split('_')[1])}_{int(STATION_BUFFER_M)}m"
                              for c in cov.columns if c.startswith("share_")})
    cov["habitat_class"] = cov["habitat_code"].astype(str).map(names)
    habitat = habitat_polygons(unified_tif, legend)
    mask = habitat_mask(habitat, SUITABLE, clip=bounds["sides"], to_crs=truth.crs)
    layers = dict(merged) | {"border_issues": issues if len(issues) else issues.set_crs(WGS84, allow_override=True),
                             "habitat": reproject(habitat, WGS84), "scr_habitat_mask": mask}
    if frames is not None and frames.deployments is not None and len(frames.deployments):
        # Stations, detections and relative abundance as point layers, sensitive stations generalised.
        from bigcats.geo.points import survey_point_layers
        from bigcats.taxonomy.species import sensitive_names

        layers |= survey_point_layers(frames, sensitive_names())
    gpkg = write_geopackage(layers, out / "transboundary_area.gpkg")
    files = [str(p) for p in paths.values()] + [str(gpkg), str(crosswalk_csv), str(national_tif), str(unified_tif)]
    for name, frame in (("border_gaps_overlaps.csv", border), ("habitat_class_areas.csv", areas),
                        ("station_habitat_covariates.csv", cov)):
        frame.to_csv(out / name, index=False)
        files.append(str(out / name))
    if maps:
        files += _render(merged, issues, reproject(habitat, WGS84), bounds, out, languages)
    with rasterio.open(unified_tif) as src:
        agree = float((src.read(1) == true_unified).mean())
    result = {
        "geopackage": str(gpkg),
        "layers": {k: int(len(v)) for k, v in layers.items()},
        "partner_files": {k: str(v) for k, v in paths.items()},
        "partner_crs": {"rus": PULKOVO_GK22.name, "chn": CGCS2000.name, "units": "WGS 84 / UTM zone 52N"},
        "datum": datum,
        "border": _records(border),
        "crosswalk": str(crosswalk_csv),
        "habitat": {"national_raster": str(national_tif), "unified_raster": str(unified_tif),
                    "cells_matching_truth": agree, "classes": _records(legend)},
        "class_areas": _records(areas),
        "station_covariates": {"file": str(out / "station_habitat_covariates.csv"), "stations": int(len(cov)),
                               "columns": list(cov.columns)},
        "scr_mask": {"layer": "scr_habitat_mask", "classes": SUITABLE, "area_km2": float(mask["area_km2"].iloc[0]),
                     "crs": truth.crs},
        "files": files,
    }
    path = out / "maps.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    result["files"].append(str(path))
    return result
