"""One habitat classification: national classes turned into unified ones by a user-editable crosswalk table.

Works on habitat polygons and on GeoTIFF rasters. Rasters are read window by window, so a 10,000 x 10,000 map
is summarised in bounded memory. Areas are true areas on the ellipsoid (per-row cell areas for geographic rasters,
scale-corrected cell areas for projected ones), never pixel counts times a nominal size.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import rasterio.features
import rasterio.windows
import shapely

from bigcats.geo.areas import equal_area_crs
from bigcats.geo.crs import WGS84, reproject, require_crs
from bigcats.geo.errors import GeoError

CROSSWALK_COLUMNS = ["scheme", "national_class", "unified_code", "unified_class"]
NODATA = 0  # unified rasters are uint8 with 0 = no data, so unified codes run 1..255


def _str_class(values: pd.Series | np.ndarray) -> np.ndarray:
    # National classes arrive as text in tables and as integers in rasters; "12", 12 and 12.0 must match.
    s = pd.Series(values)
    if pd.api.types.is_float_dtype(s) and np.all(np.mod(s.dropna(), 1) == 0):
        s = s.astype("Int64")
    return s.astype(str).str.strip().to_numpy(dtype=object)


def read_crosswalk(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The crosswalk (scheme, national_class, unified_code, unified_class) from a CSV/XLSX file or frame, checked."""
    name = str(source) if not isinstance(source, pd.DataFrame) else "crosswalk"
    if isinstance(source, pd.DataFrame):
        cw = source.copy()
    else:
        path = Path(source)
        if not path.exists():
            raise GeoError(f"{path}: crosswalk file not found")
        cw = pd.read_excel(path, dtype=str) if path.suffix.lower() in (".xlsx", ".xls") else pd.read_csv(path, dtype=str)
    missing = [c for c in CROSSWALK_COLUMNS if c not in cw.columns]
    if missing:
        raise GeoError(f"{name}: missing column(s) {', '.join(missing)}; a crosswalk needs {', '.join(CROSSWALK_COLUMNS)}")
    cw["scheme"] = cw["scheme"].astype(str).str.strip()
    cw["national_class"] = _str_class(cw["national_class"])
    cw["unified_class"] = cw["unified_class"].astype(str).str.strip()
    code = pd.to_numeric(cw["unified_code"], errors="coerce")
    bad = code.isna() | (code % 1 != 0) | (code < 1) | (code > 255)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise GeoError(f"{name}: row {i + 2}, field 'unified_code': {cw['unified_code'].iloc[i]!r} is not a whole number 1-255")
    cw["unified_code"] = code.astype(int)
    dup = cw.duplicated(["scheme", "national_class"], keep=False) & ~cw.duplicated(["scheme", "national_class", "unified_code"], keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise GeoError(f"{name}: row {i + 2}: class {cw['national_class'].iloc[i]!r} of scheme {cw['scheme'].iloc[i]!r} maps to two unified classes")
    names_per_code = cw.groupby("unified_code")["unified_class"].nunique()
    if (names_per_code > 1).any():
        c = int(names_per_code[names_per_code > 1].index[0])
        raise GeoError(f"{name}: unified_code {c} has more than one unified_class name: {sorted(cw.loc[cw.unified_code == c, 'unified_class'].unique())}")
    return cw[CROSSWALK_COLUMNS + [c for c in cw.columns if c not in CROSSWALK_COLUMNS]].drop_duplicates(["scheme", "national_class"]).reset_index(drop=True)


def unified_legend(crosswalk: pd.DataFrame) -> pd.DataFrame:
    """One row per unified class: unified_code, unified_class (plus any label_* columns), sorted by code."""
    cols = ["unified_code", "unified_class"] + [c for c in crosswalk.columns if c.startswith("label_")]
    return crosswalk[cols].drop_duplicates("unified_code").sort_values("unified_code").reset_index(drop=True)


def _scheme_rows(crosswalk: pd.DataFrame, scheme: str) -> pd.DataFrame:
    rows = crosswalk[crosswalk["scheme"] == scheme]
    if rows.empty:
        raise GeoError(f"the crosswalk has no rows for scheme {scheme!r}; schemes present: {sorted(crosswalk['scheme'].unique())}")
    return rows


def apply_crosswalk(gdf: gpd.GeoDataFrame, crosswalk: pd.DataFrame, scheme: str, class_field: str, source: str = "habitat layer") -> gpd.GeoDataFrame:
    """Habitat polygons with unified_code and unified_class added; any class missing from the crosswalk is an error."""
    if class_field not in gdf.columns:
        raise GeoError(f"{source}: no field {class_field!r} with the national habitat class")
    rows = _scheme_rows(crosswalk, scheme)
    national = _str_class(gdf[class_field])
    known = np.isin(national, rows["national_class"].to_numpy())
    if not known.all():
        counts = pd.Series(national[~known]).value_counts()
        listed = ", ".join(f"{c!r} ({n} feature{'s' if n > 1 else ''}, first feature {int(np.flatnonzero(national == c)[0])})" for c, n in counts.items())
        raise GeoError(f"{source}: class(es) missing from the crosswalk for scheme {scheme!r}: {listed}; add them to the crosswalk table")
    mapping = rows.set_index("national_class")
    out = gdf.copy()
    out["unified_code"] = mapping.loc[national, "unified_code"].to_numpy()
    out["unified_class"] = mapping.loc[national, "unified_class"].to_numpy()
    return out


def _lut(rows: pd.DataFrame, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unified codes for raster values (0 where unmapped) and the values missing from the crosswalk."""
    keys = _str_class(values)
    table = dict(zip(rows["national_class"], rows["unified_code"]))
    codes = np.array([table.get(k, 0) for k in keys], dtype=np.uint8)  # over the distinct values only, not pixels
    return codes, values[codes == 0]


def _windows(height: int, width: int, block: int, row0: int = 0, col0: int = 0) -> Iterator[rasterio.windows.Window]:
    for r in range(row0, row0 + height, block):
        for c in range(col0, col0 + width, block):
            yield rasterio.windows.Window(c, r, min(block, col0 + width - c), min(block, row0 + height - r))


def _open(path: str | Path) -> rasterio.DatasetReader:
    path = Path(path)
    if not path.exists():
        raise GeoError(f"{path}: raster not found")
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise GeoError(f"{path}: cannot read as a raster ({exc})") from None
    if src.crs is None:
        src.close()
        raise GeoError(f"{path}: no coordinate reference system; bigcats will not guess one. Re-export the GeoTIFF with its CRS")
    if not np.issubdtype(np.dtype(src.dtypes[0]), np.integer):
        src.close()
        raise GeoError(f"{path}: band 1 is {src.dtypes[0]}; a habitat raster holds whole-number class codes")
    return src


class _Mapper:
    """National raster codes to unified codes; a lookup table over the whole dtype when it has at most 16 bits."""

    def __init__(self, rows: pd.DataFrame, dtype: np.dtype) -> None:
        self.rows = rows
        info = np.iinfo(dtype)
        self.offset = int(info.min)
        self.lut = _lut(rows, np.arange(info.min, info.max + 1, dtype=np.int64))[0] if info.bits <= 16 else None

    def __call__(self, values: np.ndarray, valid: np.ndarray, missing: set) -> np.ndarray:
        """Unified codes of one block (0 outside valid pixels); unknown national codes are added to missing."""
        if self.lut is not None:
            codes = self.lut[values.astype(np.int64) - self.offset] if self.offset else self.lut[values]
        else:
            uniq, inv = np.unique(values, return_inverse=True)
            codes = _lut(self.rows, uniq)[0][inv.reshape(values.shape)]
        unknown = valid & (codes == NODATA)
        if unknown.any():
            missing.update(int(v) for v in np.unique(values[unknown]))
        return np.where(valid, codes, NODATA).astype(np.uint8)


def _missing_error(path: str | Path, scheme: str, missing: set) -> GeoError:
    return GeoError(f"{path}: raster class code(s) {sorted(missing)} missing from the crosswalk for scheme {scheme!r}; "
                    "add them to the crosswalk table (nothing was written)")


def reclassify_raster(src_path: str | Path, dst_path: str | Path, crosswalk: pd.DataFrame, scheme: str, block: int = 1024) -> Path:
    """Write a unified-class GeoTIFF (uint8, 0 = no data) from a national one, window by window, all or nothing."""
    rows = _scheme_rows(crosswalk, scheme)
    dst_path = Path(dst_path)
    dst_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".tif", dir=dst_path.parent)
    os.close(fd)
    missing: set = set()
    try:
        with _open(src_path) as src:
            profile = src.profile | {"driver": "GTiff", "dtype": "uint8", "nodata": NODATA, "count": 1, "tiled": True,
                                     "blockxsize": 256, "blockysize": 256, "compress": "deflate"}
            with rasterio.open(tmp, "w", **profile) as dst:
                mapper = _Mapper(rows, np.dtype(src.dtypes[0]))
                for win in _windows(src.height, src.width, block):
                    values = src.read(1, window=win)
                    valid = src.read_masks(1, window=win) > 0
                    out = mapper(values, valid, missing)
                    if not missing:  # after the first unknown class, only scan to list them all
                        dst.write(out, 1, window=win)
        if missing:
            raise _missing_error(src_path, scheme, missing)
        os.replace(tmp, dst_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dst_path


def _authalic_q(lat_rad: np.ndarray, e: float) -> np.ndarray:
    s = np.sin(lat_rad)
    if e == 0:
        return 2 * s
    return (1 - e * e) * (s / (1 - e * e * s * s) - np.log((1 - e * s) / (1 + e * s)) / (2 * e))


def _cell_areas_m2(src: rasterio.DatasetReader, win: rasterio.windows.Window) -> np.ndarray:
    """True area of each cell of the window in m² (rows x 1 for geographic CRSs, a scalar-broadcast otherwise)."""
    crs = pyproj.CRS.from_user_input(src.crs.to_wkt())
    t = src.window_transform(win)
    if t.b != 0 or t.d != 0:
        raise GeoError(f"{src.name}: rotated rasters are not supported")
    if crs.is_geographic:
        ell = crs.ellipsoid
        a = ell.semi_major_metre
        f = 1 / ell.inverse_flattening if ell.inverse_flattening else 0.0
        e = np.sqrt(f * (2 - f))
        edges = np.radians(t.f + t.e * np.arange(win.height + 1))
        q = _authalic_q(edges, e)
        # Band area between two parallels per radian of longitude is (a^2/2)|q2 - q1| on the ellipsoid.
        rows = a * a / 2 * np.abs(np.diff(q)) * np.radians(abs(t.a))
        return rows[:, None]
    nominal = abs(t.a * t.e)
    to_geo = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    cx, cy = t.c + t.a * win.width / 2, t.f + t.e * win.height / 2
    lon, lat = to_geo.transform(cx, cy)
    scale = pyproj.Proj(crs).get_factors(lon, lat).areal_scale
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return np.full((1, 1), nominal * unit * unit / scale)


def zonal_class_areas(
    raster: str | Path,
    zones: gpd.GeoDataFrame,
    zone_field: str,
    crosswalk: pd.DataFrame | None = None,
    scheme: str | None = None,
    block: int = 1024,
) -> pd.DataFrame:
    """Area (km²) and share of each unified class per zone of a habitat raster, read window by window.

    Without a crosswalk the raster is taken as already unified. Zones must not overlap (each pixel counts once).
    """
    if zone_field not in zones.columns:
        raise GeoError(f"zones: no field {zone_field!r}")
    require_crs(zones, "zones")
    if crosswalk is not None and scheme is None:
        raise GeoError("give the crosswalk scheme the raster's classes belong to")
    names = zones[zone_field].astype(str).to_numpy()
    overlap_pairs = zones.sindex.query(zones.geometry, predicate="overlaps")
    if overlap_pairs.shape[1]:
        i, j = overlap_pairs[:, 0]
        raise GeoError(f"zones {names[i]!r} and {names[j]!r} overlap; summarise overlapping zone sets separately")
    missing: set = set()
    with _open(raster) as src:
        mapper = _Mapper(_scheme_rows(crosswalk, scheme), np.dtype(src.dtypes[0])) if crosswalk is not None else None
        zproj = reproject(zones[[zone_field, "geometry"]], pyproj.CRS.from_user_input(src.crs.to_wkt()), source="zones")
        geoms = zproj.geometry.values
        tree = shapely.STRtree(geoms)
        # bounded memory: one block of classes, zone ids and weights at a time; totals are a zones x 256 table
        totals = np.zeros((len(geoms) + 1, 256))
        win_all = rasterio.windows.from_bounds(*zproj.total_bounds, transform=src.transform)
        try:
            c0, r0 = np.floor(win_all.col_off), np.floor(win_all.row_off)
            c1, r1 = np.ceil(win_all.col_off + win_all.width), np.ceil(win_all.row_off + win_all.height)
            win_all = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0).intersection(rasterio.windows.Window(0, 0, src.width, src.height))
        except rasterio.errors.WindowError:
            raise GeoError(f"{raster}: the zones lie entirely outside the raster") from None
        for win in _windows(int(win_all.height), int(win_all.width), block, int(win_all.row_off), int(win_all.col_off)):
            wb = shapely.box(*rasterio.windows.bounds(win, src.transform))
            hit = tree.query(wb, predicate="intersects")
            if not len(hit):
                continue
            zone_id = rasterio.features.rasterize(
                zip(geoms[hit], hit + 1), out_shape=(win.height, win.width), transform=src.window_transform(win), fill=0, dtype="int32"
            )
            values = src.read(1, window=win)
            valid = src.read_masks(1, window=win) > 0
            if mapper is not None:
                cls = mapper(values, valid & (zone_id > 0), missing)
            else:
                if values.max(initial=0) > 255 or values.min(initial=0) < 0:
                    raise GeoError(f"{raster}: unified class codes must be 1-255; give the crosswalk to map national codes")
                cls = np.where(valid, values, NODATA).astype(np.uint8)
            w = np.broadcast_to(_cell_areas_m2(src, win), cls.shape)
            totals += np.bincount((zone_id.ravel() * 256 + cls.ravel()), weights=w.ravel(), minlength=totals.size).reshape(totals.shape)
    if missing:
        raise _missing_error(raster, scheme or "", missing)
    z, c = np.nonzero(totals[1:, 1:])  # drop outside-zones and no-data
    area = totals[1:, 1:][z, c] / 1e6
    out = pd.DataFrame({zone_field: names[z], "unified_code": c + 1, "area_km2": area})
    covered = out.groupby(zone_field)["area_km2"].transform("sum")
    out["share"] = out["area_km2"] / covered
    if crosswalk is not None:
        out = out.merge(unified_legend(crosswalk)[["unified_code", "unified_class"]], on="unified_code", how="left")
    return out.sort_values([zone_field, "unified_code"]).reset_index(drop=True)


def class_areas_polygons(habitat: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, zone_field: str) -> pd.DataFrame:
    """Area (km²) and share of each unified class per zone for habitat polygons (after apply_crosswalk)."""
    if "unified_class" not in habitat.columns:
        raise GeoError("habitat polygons have no unified_class: apply the crosswalk first")
    if zone_field not in zones.columns:
        raise GeoError(f"zones: no field {zone_field!r}")
    ea = equal_area_crs(zones)
    h = reproject(habitat[["unified_code", "unified_class", "geometry"]], ea, source="habitat")
    z = reproject(zones[[zone_field, "geometry"]], ea, source="zones")
    pieces = gpd.overlay(h, z, how="intersection", keep_geom_type=True)
    pieces["area_km2"] = pieces.geometry.area / 1e6
    out = pieces.groupby([zone_field, "unified_code", "unified_class"], as_index=False)["area_km2"].sum()
    out["share"] = out["area_km2"] / out.groupby(zone_field)["area_km2"].transform("sum")
    return out.sort_values([zone_field, "unified_code"]).reset_index(drop=True)


def _station_points(stations: pd.DataFrame) -> gpd.GeoDataFrame:
    need = [c for c in ("locationID", "longitude", "latitude") if c not in stations.columns]
    if need:
        raise GeoError(f"stations: missing column(s) {', '.join(need)}")
    lon = pd.to_numeric(stations["longitude"], errors="coerce")
    lat = pd.to_numeric(stations["latitude"], errors="coerce")
    bad = lon.isna() | lat.isna() | (lon.abs() > 180) | (lat.abs() > 90)
    if bad.any():
        raise GeoError(f"stations: station {stations['locationID'].iloc[int(np.flatnonzero(bad.to_numpy())[0])]!r} has no valid WGS84 longitude/latitude")
    pts = stations.drop_duplicates("locationID")
    return gpd.GeoDataFrame({"locationID": pts["locationID"].astype(str).to_numpy()},
                            geometry=gpd.points_from_xy(pts["longitude"], pts["latitude"]), crs=WGS84)


def habitat_at_stations(
    stations: pd.DataFrame,
    raster: str | Path,
    crosswalk: pd.DataFrame | None = None,
    scheme: str | None = None,
    buffers_m: tuple[float, ...] = (500.0,),
) -> pd.DataFrame:
    """Occupancy covariates per station: the unified class at the station and class shares within each buffer.

    Columns: locationID, habitat_code, habitat_class, then share_<class>_<r>m for each class and buffer radius.
    """
    pts = _station_points(stations)
    ea = equal_area_crs(pts)
    centres = reproject(pts, ea)
    frames = []
    for r in buffers_m:
        if r <= 0:
            raise GeoError(f"buffer radius {r} m must be positive")
        buf = gpd.GeoDataFrame({"locationID": centres["locationID"]}, geometry=centres.buffer(r, quad_segs=16), crs=ea)
        # Buffers of neighbouring stations overlap; split them into sets without overlap and summarise each set.
        groups = _non_overlapping_groups(buf)
        for g in np.unique(groups):
            part = zonal_class_areas(raster, buf[groups == g], "locationID", crosswalk, scheme)
            part["buffer_m"] = r
            frames.append(part)
    legend_col = "unified_class" if crosswalk is not None else "unified_code"
    cov = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["locationID", legend_col, "buffer_m", "share"])
    wide = cov.pivot_table(index="locationID", columns=[legend_col, "buffer_m"], values="share", fill_value=0.0)
    wide.columns = [f"share_{c}_{int(r)}m" for c, r in wide.columns]
    # the class at the station itself: a point sample of the raster
    with _open(raster) as src:
        xy = reproject(pts, pyproj.CRS.from_user_input(src.crs.to_wkt())).geometry
        vals = np.array([v[0] for v in src.sample(zip(xy.x, xy.y), indexes=1, masked=True)])
        inside = (xy.x >= src.bounds.left) & (xy.x <= src.bounds.right) & (xy.y >= src.bounds.bottom) & (xy.y <= src.bounds.top)
    if not inside.all():
        raise GeoError(f"{raster}: station(s) {list(pts.loc[~inside.to_numpy(), 'locationID'])} lie outside the habitat raster")
    out = pd.DataFrame({"locationID": pts["locationID"].to_numpy()})
    if crosswalk is not None:
        rows = _scheme_rows(crosswalk, scheme)  # type: ignore[arg-type]
        codes, miss = _lut(rows, vals.astype(np.int64))
        if len(miss):
            raise _missing_error(raster, scheme or "", set(int(m) for m in miss))
        out["habitat_code"] = codes.astype(int)
        out = out.merge(unified_legend(crosswalk)[["unified_code", "unified_class"]], left_on="habitat_code", right_on="unified_code", how="left")
        out = out.drop(columns="unified_code").rename(columns={"unified_class": "habitat_class"})
    else:
        out["habitat_code"] = vals.astype(int)
    return out.merge(wide.reset_index(), on="locationID", how="left").fillna({c: 0.0 for c in wide.columns})


def _non_overlapping_groups(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Greedy colouring of the overlap graph: features in one group never overlap each other."""
    pairs = gdf.sindex.query(gdf.geometry, predicate="intersects")
    pairs = pairs[:, pairs[0] < pairs[1]]
    groups = np.full(len(gdf), -1)
    neighbours: dict[int, list[int]] = {}
    for a, b in pairs.T:
        neighbours.setdefault(int(a), []).append(int(b))
        neighbours.setdefault(int(b), []).append(int(a))
    for i in range(len(gdf)):  # a loop over stations (hundreds), each zonal pass stays vectorised over pixels
        taken = {groups[j] for j in neighbours.get(i, [])}
        groups[i] = next(g for g in range(len(gdf) + 1) if g not in taken)
    return groups


def habitat_mask(habitat: gpd.GeoDataFrame, suitable: list[str], clip: gpd.GeoDataFrame | None = None,
                 to_crs: pyproj.CRS | str | None = None) -> gpd.GeoDataFrame:
    """The habitat mask for capture-recapture: one polygon of the suitable unified classes, clipped if asked.

    Returned in to_crs (default: the equal-area CRS of the habitat), so mask points come out in metres.
    """
    if "unified_class" not in habitat.columns:
        raise GeoError("habitat polygons have no unified_class: apply the crosswalk first")
    unknown = sorted(set(suitable) - set(habitat["unified_class"]))
    if unknown:
        raise GeoError(f"suitable class(es) {unknown} do not occur in the habitat layer; classes are {sorted(habitat['unified_class'].unique())}")
    crs = to_crs if to_crs is not None else equal_area_crs(habitat)
    h = reproject(habitat[habitat["unified_class"].isin(suitable)], crs, source="habitat")
    geom = shapely.union_all(h.geometry.values)
    if clip is not None:
        geom = shapely.intersection(geom, shapely.union_all(reproject(clip, crs, source="clip").geometry.values))
    return gpd.GeoDataFrame({"classes": [", ".join(sorted(suitable))], "area_km2": [shapely.area(geom) / 1e6]}, geometry=[geom], crs=crs)
