"""Open a Camtrap DP package (folder, datapackage.json or .zip) and stream its tables in chunks."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from bigcats.problems import DataError, Problem

SCHEMA_DIR = Path(__file__).with_name("schemas")
CORE_RESOURCES = ("deployments", "media", "observations")
# bigcats' own extra resource: the periods a camera did not work, so effort survives a round trip.
OUTAGES_RESOURCE = "deployment-outages"
INDIVIDUALS_RESOURCE = "individuals"
PROFILE_URL = "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/camtrap-dp-profile.json"


@lru_cache(maxsize=None)
def table_schema(name: str) -> dict:
    """The shipped Camtrap DP 1.0 table schema of a core resource."""
    return json.loads((SCHEMA_DIR / f"{name}-table-schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def profile_schema() -> dict:
    """The shipped package-level profile (JSON Schema) of Camtrap DP 1.0."""
    return json.loads((SCHEMA_DIR / "camtrap-dp-profile.json").read_text(encoding="utf-8"))


@dataclass
class Package:
    """A Camtrap DP package on disk: its descriptor and where its tables are."""

    source: Path
    descriptor: dict
    base: Path | None = None  # folder holding the tables, when not zipped
    archive: zipfile.ZipFile | None = None
    prefix: str = ""  # folder of datapackage.json inside the archive
    extra: dict = field(default_factory=dict)

    def resource(self, name: str) -> dict | None:
        """The descriptor of the named resource, if the package has it."""
        for res in self.descriptor.get("resources", []):
            if res.get("name") == name:
                return res
        return None

    def resource_label(self, name: str) -> str:
        """The file name a user sees for a resource (for error messages)."""
        res = self.resource(name) or {}
        path = res.get("path")
        if isinstance(path, list):
            path = path[0] if path else None
        return str(path or f"{name} (inline)")

    def _paths(self, res: dict) -> list[str]:
        path = res.get("path")
        if path is None:
            return []
        return list(path) if isinstance(path, list) else [path]

    def open_text(self, rel: str) -> io.TextIOBase:
        """Open a table file of the package as UTF-8 text (BOM tolerated)."""
        if self.archive is not None:
            raw = self.archive.open(self.prefix + rel)
            return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        return open(self.base / rel, encoding="utf-8-sig", newline="")  # noqa: SIM115

    def iter_chunks(self, name: str, chunksize: int = 100_000) -> Iterator[tuple[str, int, pd.DataFrame]]:
        """Yield (file, line number of the first row, chunk of strings) for a resource's rows."""
        res = self.resource(name)
        if res is None:
            return
        if "data" in res and res.get("path") is None:
            df = pd.DataFrame(res["data"]).astype("string").fillna("")
            yield f"{name} (inline)", 2, df
            return
        for rel in self._paths(res):
            if "://" in rel:
                raise DataError([Problem("remote-path", "remote table paths are not read (no network); "
                                         "download the package first", file=rel)], "package")
            line = 2  # line 1 is the header
            try:
                with self.open_text(rel) as fh:
                    reader = pd.read_csv(
                        fh, dtype=str, keep_default_na=False, na_filter=False, chunksize=chunksize,
                        engine="c",
                    )
                    for chunk in reader:
                        yield rel, line, chunk
                        line += len(chunk)
            except FileNotFoundError as exc:
                raise DataError([Problem("missing-file", "table file not found", file=rel)], "package") from exc
            except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                raise DataError([Problem("unreadable-table", f"cannot parse CSV: {exc}", file=rel, row=line)],
                                "package") from exc

    def close(self) -> None:
        """Release the archive, if any."""
        if self.archive is not None:
            self.archive.close()


def open_package(path: str | Path) -> Package:
    """Open a package given as a folder, its datapackage.json, or a .zip holding it."""
    path = Path(path)
    if not path.exists():
        raise DataError([Problem("missing-file", "no such file or folder", file=str(path))], "package")
    if path.is_file() and path.suffix.lower() == ".zip":
        archive = zipfile.ZipFile(path)
        names = [n for n in archive.namelist() if n.endswith("datapackage.json")]
        if not names:
            raise DataError([Problem("missing-descriptor", "no datapackage.json in the archive", file=str(path))],
                            "package")
        name = min(names, key=len)
        descriptor = _parse_descriptor(archive.read(name).decode("utf-8-sig"), f"{path}:{name}")
        return Package(path, descriptor, archive=archive, prefix=name[: -len("datapackage.json")])
    desc_path = path / "datapackage.json" if path.is_dir() else path
    if not desc_path.exists():
        raise DataError([Problem("missing-descriptor", "no datapackage.json here", file=str(path))], "package")
    descriptor = _parse_descriptor(desc_path.read_text(encoding="utf-8-sig"), str(desc_path))
    return Package(path, descriptor, base=desc_path.parent)


def _parse_descriptor(text: str, label: str) -> dict:
    try:
        descriptor = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError([Problem("invalid-json", f"not valid JSON: {exc.msg}", file=label, row=exc.lineno)],
                        "package") from exc
    if not isinstance(descriptor, dict):
        raise DataError([Problem("invalid-descriptor", "the descriptor is not a JSON object", file=label)], "package")
    return descriptor
