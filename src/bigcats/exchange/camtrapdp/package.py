"""Open a Camtrap DP package (folder, datapackage.json or .zip) and stream its tables in chunks."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from bigcats.exchange.camtrapdp.legacy import Upgrade, declared_version, is_legacy
from bigcats.problems import DataError, Problem, ProblemList

SCHEMA_DIR = Path(__file__).with_name("schemas")
CORE_RESOURCES = ("deployments", "media", "observations")
# bigcats' own extra resource: the periods a camera did not work, so effort survives a round trip.
OUTAGES_RESOURCE = "deployment-outages"
INDIVIDUALS_RESOURCE = "individuals"
PROFILE_URL = "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/camtrap-dp-profile.json"

# Size limits, so that a hostile or broken package is refused with a sentence instead of exhausting memory.
MAX_DESCRIPTOR_BYTES = 16 << 20  # datapackage.json (the largest published descriptors are well under 1 MiB)
MAX_FIELD_CHARS = 65_536  # any one cell of a table...
MAX_FIELD_CHARS_BY_NAME = {"exifData": 1 << 20}  # ...except EXIF blobs, which may hold maker notes
MIN_BLOCK_BYTES = 4 << 20  # a row must fit in one parser block; a longer row is refused as over the limits


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
    """A Camtrap DP package on disk: its descriptor and where its tables are.

    A legacy package (Camtrap DP before 1.0) has `version` set to what it declares and `upgrade` set: its
    descriptor here is already upgraded to 1.0 (the original is `original_descriptor`) and every chunk read
    through `iter_chunks` is upgraded as it streams in. `problems`, when set, receives the problems found while
    reading (rows with the wrong number of fields) instead of refusing the table at its first one.
    """

    source: Path
    descriptor: dict
    base: Path | None = None  # folder holding the tables, when not zipped
    archive: zipfile.ZipFile | None = None
    prefix: str = ""  # folder of datapackage.json inside the archive
    extra: dict = field(default_factory=dict)
    version: str | None = None
    upgrade: Upgrade | None = None
    original_descriptor: dict | None = None
    problems: ProblemList | None = None

    @property
    def legacy(self) -> bool:
        """True when the package declares a Camtrap DP version before 1.0 (read upgraded)."""
        return self.upgrade is not None

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
        """Open a table file of the package as bytes; only files inside the package (see `contained`)."""
        rel = contained(rel)
        if self.archive is not None:
            return self.archive.open(self.prefix + rel)
        base = self.base.resolve()
        target = (base / rel).resolve()  # follows symbolic links: one pointing out of the package is refused too
        if target != base and base not in target.parents:
            raise DataError([Problem("path-outside-package", "a resource path must name a file inside the package "
                                     "(a link leads out of it)", file=rel)], "package")
        return open(target, "rb")  # noqa: SIM115

    def iter_chunks(self, name: str, chunksize: int = 100_000
                    ) -> Iterator[tuple[str, int | np.ndarray, pd.DataFrame]]:
        """Yield (file, row numbers, chunk of strings) for a resource's rows, upgraded to 1.0 for a legacy package.

        Row numbers count as frictionless does: the header is row 1, the first data row is row 2. They are the
        number of the chunk's first row, or an array of each row's number when rows were left out (ragged rows,
        which are reported to `problems`).
        """
        res = self.resource(name)
        if res is None:
            return
        if "data" in res and res.get("path") is None:
            yield f"{name} (inline)", 2, _inline_frame(res["data"], name)
            return
        for rel in self._paths(res):
            if "://" in rel:
                raise DataError([Problem("remote-path", "remote table paths are not read (no network); "
                                         "download the package first", file=rel)], "package")
            for file, lines, chunk in self._read_csv(rel, chunksize, res.get("encoding")):
                if self.upgrade is not None:
                    chunk = self.upgrade.table(name, chunk)
                yield file, lines, chunk

    def _read_csv(self, rel: str, chunksize: int, encoding: str | None = None
                  ) -> Iterator[tuple[str, int | np.ndarray, pd.DataFrame]]:
        # pyarrow's streaming reader, every cell kept as text, bounded memory. Single-threaded parsing, so that
        # pyarrow numbers the rows it cannot parse (multi-threaded it does not) and a ragged row is reported
        # under its real number.
        encoding = _codec(rel, encoding)
        try:
            with self.open_binary(rel) as fh:
                start = fh.read(4)
                fh.seek(0) if fh.seekable() else None
                if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and encoding == "utf8":
                    encoding = "utf-16"
                first = _first_record(fh, encoding)
        except (FileNotFoundError, KeyError, IsADirectoryError) as exc:
            raise DataError([Problem("missing-file", "table file not found (the descriptor names it, the package "
                                     "does not hold it)", file=rel)], "package") from exc
        except (OSError, zipfile.BadZipFile, UnicodeDecodeError, LookupError) as exc:
            raise DataError([Problem("unreadable-table", f"cannot read the file: {exc}", file=rel, row=1)],
                            "package") from exc
        names = next(csv.reader([first]), []) if first else []
        if not names:
            raise DataError([Problem("empty-table", "the file has no header row", file=rel, row=1)], "package")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup or "" in names:
            raise DataError([Problem("duplicate-header" if dup else "blank-header",
                                     f"column name {dup[0]!r} appears twice" if dup else "a column has no name",
                                     file=rel, row=1, field=dup[0] if dup else None)], "package")
        ragged: list[int] = []

        def on_invalid_row(row) -> str:
            ragged.append(row.number if row.number is not None else -1)
            if self.problems is not None:
                self.problems.add(Problem(
                    "ragged-row", f"{row.actual_columns} fields where the header has {row.expected_columns}",
                    file=rel, row=row.number, value=row.text[:200]))
            return "skip"  # keep reading, so every ragged row is reported, not only the first

        row = 2
        block = max(MIN_BLOCK_BYTES, chunksize * 160)
        try:
            with self.open_binary(rel) as fh:
                reader = pa_csv.open_csv(
                    fh,
                    read_options=pa_csv.ReadOptions(block_size=block, encoding=encoding, use_threads=False),
                    parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
                    convert_options=pa_csv.ConvertOptions(
                        column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                        quoted_strings_can_be_null=False),
                )
                for batch in reader:
                    if batch.num_rows == 0:
                        continue
                    skipped = [r for r in ragged if r >= row]
                    if skipped:
                        lines = np.setdiff1d(np.arange(row, row + batch.num_rows + len(skipped)), skipped)
                        lines = lines[: batch.num_rows]
                        yield rel, lines, batch.to_pandas()
                        row = int(lines[-1]) + 1
                    else:
                        yield rel, row, batch.to_pandas()
                        row += batch.num_rows
        except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError, OSError, zipfile.BadZipFile) as exc:
            text = str(exc)
            if "straddling" in text or "block" in text.lower():
                exceptions = ", ".join(f"{k} {v:,}" for k, v in MAX_FIELD_CHARS_BY_NAME.items())
                message = (f"a row longer than {block >> 20} MiB after row {row - 1}: cells are limited to "
                           f"{MAX_FIELD_CHARS:,} characters ({exceptions})")
                code = "field-too-large"
            else:
                code = "unreadable-table"
                found = self._locate_unreadable(rel, encoding)
                if found is not None:  # the parser only knows the block; the row is found by reading it again
                    row, why = found
                    message = f"cannot read this row: {why}"
                else:
                    message = f"cannot parse the CSV after row {row - 1}: {_safe_parse_error(exc)}"
            raise DataError([Problem(code, message, file=rel, row=row)], "package") from exc
        if ragged and self.problems is None:
            raise DataError([Problem("ragged-row", "a row has a different number of fields than the header",
                                     file=rel, row=r if r > 0 else None) for r in ragged], "package")

    def _locate_unreadable(self, rel: str, encoding: str) -> tuple[int, str] | None:
        """The row number (header = 1) and reason of the first row that cannot be decoded or parsed, read again
        line by line with Python's csv module (only after pyarrow has refused the file, so speed does not matter)."""
        codec = "utf-8-sig" if encoding == "utf8" else encoding
        if codec.replace("_", "-").startswith("utf-16"):
            return None  # line-by-line reading does not apply to two-byte encodings
        records = 0
        physical = 0

        def lines():
            nonlocal physical
            with self.open_binary(rel) as fh:
                for raw in fh:
                    physical += 1
                    yield raw.decode(codec if physical == 1 else codec.replace("-sig", ""))

        try:
            for _ in csv.reader(lines(), strict=True):
                records += 1
        except UnicodeDecodeError as exc:
            return records + 1, f"not valid {encoding.upper().replace('UTF8', 'UTF-8')} (byte {exc.start} of line " \
                f"{physical}: {exc.object[max(0, exc.start - 10):exc.start + 10]!r})"
        except csv.Error as exc:
            return records + 1, f"{exc} (line {physical})"
        except (OSError, zipfile.BadZipFile):
            return None
        return None

    def close(self) -> None:
        """Release the archive, if any."""
        if self.archive is not None:
            self.archive.close()


def _codec(rel: str, encoding: object) -> str:
    if encoding is None or (isinstance(encoding, str) and encoding.lower().replace("-", "") in ("utf8", "")):
        return "utf8"
    if not isinstance(encoding, str):
        raise DataError([Problem("invalid-descriptor", "a resource's encoding must be a name such as utf-8",
                                 file="datapackage.json", field="encoding", value=str(encoding))], "package")
    try:
        return codecs.lookup(encoding).name
    except LookupError as exc:
        raise DataError([Problem("invalid-descriptor", "unknown encoding", file=rel, field="encoding",
                                 value=encoding)], "package") from exc


def _first_record(fh, encoding: str) -> str:
    """The header line of a table, decoded (a UTF-8 BOM dropped)."""
    raw = fh.readline(1 << 20)
    if encoding == "utf8":
        return raw.decode("utf-8-sig").rstrip("\r\n")
    if encoding.startswith("utf-16") or encoding.startswith("utf_16"):
        raw += fh.readline(1 << 20)  # the newline's second byte
        return raw.decode(encoding).lstrip("\ufeff").splitlines()[0] if raw else ""
    return raw.decode(encoding).lstrip("\ufeff").rstrip("\r\n")


def _inline_frame(data: object, name: str) -> pd.DataFrame:
    """An inline resource's rows (a list of objects, or a header row and value rows) as a frame of strings."""
    label = f"{name} (inline)"
    if not isinstance(data, list):
        raise DataError([Problem("invalid-descriptor", "inline data must be a list of rows", file="datapackage.json",
                                 field=f"resources/{name}/data")], "package")
    if data and all(isinstance(r, list) for r in data):
        header, rows = data[0], data[1:]
        bad = [i for i, r in enumerate(rows, start=2) if len(r) != len(header)]
        if bad:
            raise DataError([Problem("ragged-row", f"{len(rows[i - 2])} values where the header has {len(header)}",
                                     file=label, row=i) for i in bad], "package")
        df = pd.DataFrame(rows, columns=[str(h) for h in header])
    elif all(isinstance(r, dict) for r in data):
        df = pd.DataFrame(data)
    else:
        raise DataError([Problem("invalid-descriptor", "inline rows must all be objects or all be lists",
                                 file="datapackage.json", field=f"resources/{name}/data")], "package")
    df = df.astype(object).where(df.notna(), "")
    return df.map(lambda v: json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else str(v)))


def _reject(code: str, message: str, file: str, field_name: str | None = None, value: str | None = None,
            row: int | None = None) -> DataError:
    return DataError([Problem(code, message, file=file, row=row, field=field_name, value=value)], "package")


def contained(rel: str) -> str:
    """A resource path checked to stay inside its package: relative, without `..`, not a drive or UNC path.

    Refused paths raise a DataError naming the path only; nothing of any file outside the package is read.
    """
    text = str(rel)
    parts = text.replace("\\", "/").split("/")
    if (not text or text.startswith(("/", "\\")) or ":" in parts[0] or "\x00" in text
            or any(p == ".." for p in parts)):
        raise DataError([Problem("path-outside-package", "a resource path must be a relative path inside the "
                                 "package (no absolute path, drive or '..')", file=text[:200])], "package")
    return text


def _safe_parse_error(exc: Exception) -> str:
    """A CSV parser's message without the row text it quotes (which could be any file's content)."""
    msg = str(exc)
    msg = re.sub(r"(got \d+ ?\w*)(:.*)$", r"\1", msg, flags=re.S)
    return msg.split("\n")[0][:160]


def open_package(path: str | Path) -> Package:
    """Open a package given as a folder, its datapackage.json, or a .zip holding it; refused with a sentence
    (DataError) when it is not one, never with a traceback."""
    path = Path(path)
    if not path.exists():
        raise _reject("missing-file", "no such file or folder", str(path))
    suffix = path.suffix.lower()
    if path.is_file() and (suffix == ".zip" or (suffix != ".json" and zipfile.is_zipfile(path))):
        try:
            archive = zipfile.ZipFile(path)
            names = [n for n in archive.namelist() if n.endswith("datapackage.json")]
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise _reject("invalid-archive", f"not a readable zip archive ({exc})", str(path)) from exc
        if not names:
            archive.close()
            raise _reject("missing-descriptor", "no datapackage.json in the archive", str(path))
        name = min(names, key=len)
        label = f"{path}:{name}"
        try:
            info = archive.getinfo(name)
            if info.file_size > MAX_DESCRIPTOR_BYTES:
                raise _reject("descriptor-too-large", f"larger than the {MAX_DESCRIPTOR_BYTES >> 20} MiB allowed "
                              "for a descriptor", label)
            raw = archive.read(name)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            archive.close()
            raise _reject("invalid-archive", f"cannot read {name} from the archive ({exc})", str(path)) from exc
        package = Package(path, _parse_descriptor(raw, label), archive=archive,
                          prefix=name[: -len("datapackage.json")])
        return _recognise(package, label)
    desc_path = path / "datapackage.json" if path.is_dir() else path
    if not desc_path.is_file():
        raise _reject("missing-descriptor", "no datapackage.json here", str(path))
    if desc_path.stat().st_size > MAX_DESCRIPTOR_BYTES:
        raise _reject("descriptor-too-large", f"larger than the {MAX_DESCRIPTOR_BYTES >> 20} MiB allowed for a "
                      "descriptor", str(desc_path))
    package = Package(path, _parse_descriptor(desc_path.read_bytes(), str(desc_path)), base=desc_path.parent)
    return _recognise(package, str(desc_path))


def _recognise(package: Package, label: str) -> Package:
    """Check the descriptor's structure and, for a legacy Camtrap DP, set up the upgrade to 1.0."""
    try:
        _check_structure(package.descriptor, label)
    except DataError:
        package.close()
        raise
    version = declared_version(package.descriptor)
    package.version = version
    if is_legacy(version):
        package.upgrade = Upgrade(version)
        package.original_descriptor = package.descriptor
        package.descriptor = package.upgrade.descriptor(package.descriptor)
    return package


def _strict_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in JSON")


def _parse_descriptor(raw: bytes, label: str) -> dict:
    """Strict JSON (UTF-8, a BOM tolerated; no NaN or Infinity) holding one object."""
    if raw[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE) or raw[:2] in (codecs.BOM_UTF16_LE,
                                                                            codecs.BOM_UTF16_BE) \
            or (len(raw) > 1 and (raw[0] == 0 or raw[1] == 0)):
        raise DataError([Problem("invalid-encoding", "the descriptor is UTF-16 or UTF-32; JSON must be UTF-8 "
                                 "(save it again as UTF-8)", file=label, row=1)], "package")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError([Problem("invalid-encoding", f"not UTF-8 (byte {exc.start}); JSON must be UTF-8",
                                 file=label, row=line)], "package") from exc
    try:
        descriptor = json.loads(text, parse_constant=_strict_constant)
    except json.JSONDecodeError as exc:
        raise DataError([Problem("invalid-json", f"not valid JSON: {exc.msg} (line {exc.lineno}, column "
                                 f"{exc.colno})", file=label, row=exc.lineno)], "package") from exc
    except ValueError as exc:  # NaN, Infinity
        name = str(exc).split()[0]
        line = next((i for i, t in enumerate(text.splitlines(), 1) if name in t), None)
        raise DataError([Problem("invalid-json", f"not valid JSON: {exc} (strict JSON has no NaN or Infinity)",
                                 file=label, row=line, value=name)], "package") from exc
    except RecursionError as exc:
        raise DataError([Problem("invalid-json", "nested too deeply", file=label)], "package") from exc
    if not isinstance(descriptor, dict):
        raise DataError([Problem("invalid-descriptor", f"the descriptor is a JSON {type(descriptor).__name__}, "
                                 "not an object", file=label)], "package")
    return descriptor


def _check_structure(descriptor: dict, label: str) -> None:
    """Refuse descriptors whose shape would make reading them fail: every problem named by its JSON path."""
    problems = []
    resources = descriptor.get("resources")
    if resources is None:
        problems.append(Problem("missing-resource", "the descriptor has no 'resources'", file=label,
                                field="resources"))
    elif not isinstance(resources, list):
        problems.append(Problem("invalid-descriptor", f"'resources' must be a list, not a "
                                f"{type(resources).__name__}", file=label, field="resources"))
    else:
        for i, res in enumerate(resources):
            where = f"resources/{i}"
            if not isinstance(res, dict):
                problems.append(Problem("invalid-descriptor", "a resource must be an object", file=label,
                                        field=where))
                continue
            if not isinstance(res.get("name"), str):
                problems.append(Problem("invalid-descriptor", "a resource needs a 'name' that is text", file=label,
                                        field=f"{where}/name", value=None if res.get("name") is None
                                        else str(res.get("name"))))
            path = res.get("path")
            paths = path if isinstance(path, list) else [path]
            if path is None and "data" not in res:
                problems.append(Problem("invalid-descriptor", "a resource needs a 'path' or inline 'data'",
                                        file=label, field=f"{where}/path"))
            elif path is not None and (not paths or not all(isinstance(p, str) and p for p in paths)):
                problems.append(Problem("invalid-descriptor", "'path' must be a file name or a list of them",
                                        file=label, field=f"{where}/path", value=str(path)))
    if problems:
        raise DataError(problems, "package")
