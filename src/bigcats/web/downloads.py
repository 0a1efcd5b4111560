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


def camtrapdp_zip(engine: Engine, conn: Connection, scope: Scope, sensitive: frozenset[int], partner: str
                  ) -> tuple[bytes, int]:
    """A partner's Camtrap DP package as zip bytes, and how many exact sensitive stations it holds."""
    pid = conn.execute(select(Partner.id).where(Partner.code == partner)).scalar_one_or_none()
    if pid is None or not scope.sees_partner(pid):
        raise WebError(f"partner {partner!r}: no data of it that you may download", status=404)
    if scope.partners[pid].species is not None:
        raise WebError(f"partner {partner!r}: your agreement covers some species only; download the detections "
                       "CSV instead", status=403)
    shown = queries.stations(conn, scope, sensitive, queries.Filters(partner=partner)).set_index("locationID")
    with tempfile.TemporaryDirectory(prefix="bigcats-export-") as tmp:
        export_package(engine, tmp, partner=partner)
        folder = Path(tmp)
        _generalise_package(folder, shown)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, f"{partner}/{path.relative_to(folder).as_posix()}")
    exact_sensitive = int(shown["_exact_sensitive"].sum()) if "_exact_sensitive" in shown else 0
    return buffer.getvalue(), exact_sensitive


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
