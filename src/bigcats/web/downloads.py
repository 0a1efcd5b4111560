"""Downloads under the same rules as the pages: detections as CSV, a partner's data as a Camtrap DP package.

The package comes from the exchange exporter and is then generalised in place: coordinates of sensitive
stations, their names, the package's bounding box and the photos' EXIF text (which may hold GPS positions),
before anything is zipped.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, select

from bigcats.exchange.camtrapdp.exporter import export_package
from bigcats.store.models import Partner
from bigcats.web import queries
from bigcats.web.errors import WebError
from bigcats.web.visibility import Scope, sanitise_package


def detections_csv(frame: pd.DataFrame) -> bytes:
    """Detections as UTF-8 CSV (Camtrap DP column names, precision column included)."""
    cols = [c for c in frame.columns if not c.startswith("_") and c != "id"]
    out = frame[cols].copy()
    out["timestamp"] = out["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return out.to_csv(index=False).encode("utf-8")


def camtrapdp_zip(engine: Engine, conn: Connection, scope: Scope, sensitive: frozenset[int], partner: str,
                  project: str | None = None, media_root: Path | None = None) -> tuple[bytes, int]:
    """A partner's (or one of its projects') Camtrap DP package as zip bytes, and how many exact sensitive
    stations it holds."""
    pid = conn.execute(select(Partner.id).where(Partner.code == partner)).scalar_one_or_none()
    if pid is None or not scope.sees_partner(pid):
        raise WebError(f"partner {partner!r}: no data of it that you may download", status=404)
    if scope.partners[pid].species is not None:
        raise WebError(f"partner {partner!r}: your agreement covers some species only; download the detections "
                       "CSV instead", status=403)
    if scope.partners[pid].embargo_from is not None:
        raise WebError(f"partner {partner!r}: part of its recent data is under embargo for you; download the "
                       "detections CSV instead", status=403)
    shown = queries.stations(conn, scope, sensitive, queries.Filters(partner=partner)).set_index("locationID")
    with tempfile.TemporaryDirectory(prefix="bigcats-export-") as tmp:
        if project is not None:
            from bigcats.store.models import Project

            known = conn.execute(select(Project.id).where(Project.code == project, Project.partner_id == pid)
                                 ).scalar_one_or_none()
            if known is None:
                raise WebError(f"project {project!r}: not a project of partner {partner!r}", status=404)
        export_package(engine, tmp, partner=partner, project=project)
        folder = Path(tmp)
        _generalise_package(folder, shown)
        _relative_file_paths(folder, media_root)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, f"{partner}/{path.relative_to(folder).as_posix()}")
    exact_sensitive = int(shown["_exact_sensitive"].sum()) if "_exact_sensitive" in shown else 0
    return buffer.getvalue(), exact_sensitive


def _relative_file_paths(folder: Path, media_root: Path | None) -> None:
    """Media file paths as the package's readers may see them: relative to the media root, never the server's
    folders (an absolute path outside the root keeps only its file name)."""
    media_path = folder / "media.csv"
    if not media_path.exists():
        return
    media = pd.read_csv(media_path, dtype=str, keep_default_na=False)
    if "filePath" not in media or media.empty:
        return
    root = str(media_root.resolve()) + "/" if media_root is not None else None

    def rel(p: str) -> str:
        if "://" in p or not p.startswith("/"):
            return p
        if root and p.startswith(root):
            return p[len(root):]
        return Path(p).name

    media["filePath"] = media["filePath"].map(rel)
    media.to_csv(media_path, index=False)


def _generalise_package(folder: Path, shown: pd.DataFrame) -> int:
    """Generalise, through the one sanitiser, the deployments of stations the caller sees generalised."""
    deps = pd.read_csv(folder / "deployments.csv", dtype=str, keep_default_na=False)
    station = shown.reindex(deps["locationID"])
    if station["precision"].isna().any():
        missing = deps.loc[station["precision"].isna().to_numpy(), "locationID"].iloc[0]
        raise WebError(f"deployments.csv: station {missing!r} is not among the stations you may see", status=500)
    hide = (station["precision"] == "generalised").to_numpy()
    if not hide.any():
        return 0
    return sanitise_package(folder, set(deps.loc[hide, "deploymentID"]))



def frame_csv(frame: pd.DataFrame) -> bytes:
    """Any table of the pages as UTF-8 CSV: internal columns dropped, times in ISO 8601 UTC."""
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    out = frame[cols].copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif out[c].map(lambda v: isinstance(v, list)).any():
            out[c] = out[c].map(lambda v: "|".join(map(str, v)) if isinstance(v, list) else v)
    return out.to_csv(index=False).encode("utf-8")


def geopackage(layers: dict[str, pd.DataFrame]) -> bytes:
    """Point layers (frames with latitude/longitude at the caller's precision) as one GeoPackage, WGS84."""
    import geopandas as gpd

    with tempfile.TemporaryDirectory(prefix="bigcats-gpkg-") as tmp:
        path = Path(tmp) / "bigcats.gpkg"
        for name, frame in layers.items():
            cols = [c for c in frame.columns if not str(c).startswith("_") and c not in ("latitude", "longitude")]
            data = frame[cols].copy()
            for c in data.columns:
                if data[c].map(lambda v: isinstance(v, list)).any():
                    data[c] = data[c].map(lambda v: "|".join(map(str, v)) if isinstance(v, list) else v)
            gdf = gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(frame["longitude"].astype(float),
                                                                      frame["latitude"].astype(float)),
                                   crs="EPSG:4326")
            gdf.to_file(path, layer=name, driver="GPKG")
        return path.read_bytes()
