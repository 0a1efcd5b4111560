"""Open a Camtrap DP package (folder, datapackage.json or .zip) and stream its tables in chunks."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

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

    def open_binary(self, rel: str) -> io.BufferedIOBase:
        """Open a table file of the package as bytes."""
        if self.archive is not None:
            return self.archive.open(self.prefix + rel)
        return open(self.base / rel, "rb")  # noqa: SIM115

    def iter_chunks(self, name: str, chunksize: int = 100_000) -> Iterator[tuple[str, int, pd.DataFrame]]:
        """Yield (file, row number of the chunk's first row, chunk of strings) for a resource's rows.

        Row numbers count as frictionless does: the header is row 1, the first data row is row 2.
        """
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
            yield from self._read_csv(rel, chunksize)

    def _read_csv(self, rel: str, chunksize: int) -> Iterator[tuple[str, int, pd.DataFrame]]:
        # pyarrow's streaming reader: multi-threaded parsing, every cell kept as text, bounded memory.
        try:
            with self.open_binary(rel) as fh:
                header = fh.readline().decode("utf-8-sig").rstrip("\r\n")
        except FileNotFoundError as exc:
            raise DataError([Problem("missing-file", "table file not found", file=rel)], "package") from exc
        names = next(csv.reader([header]), [])
        if not names:
            raise DataError([Problem("empty-table", "the file has no header row", file=rel, row=1)], "package")
        row = 2
        try:
            with self.open_binary(rel) as fh:
                reader = pa_csv.open_csv(
                    fh,
                    read_options=pa_csv.ReadOptions(block_size=max(1 << 20, chunksize * 160), encoding="utf8"),
                    parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                    convert_options=pa_csv.ConvertOptions(
                        column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                        quoted_strings_can_be_null=False),
                )
                for batch in reader:
                    if batch.num_rows == 0:
                        continue
                    yield rel, row, batch.to_pandas()
                    row += batch.num_rows
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise DataError([Problem("unreadable-table", f"cannot parse CSV after row {row - 1}: {exc}",
                                     file=rel, row=row)], "package") from exc

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
