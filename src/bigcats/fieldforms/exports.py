"""Submissions out of ODK Central and KoboToolbox exports, as plain records keyed by the forms' field names.

ODK Central's CSV export (a zip or its unpacked folder): `<formId>.csv` with `SubmissionDate`, the fields (group
paths joined by '-', a geopoint split into `-Latitude/-Longitude/-Altitude/-Accuracy`), `meta-instanceID`, `KEY`,
`SubmitterID`, ..., one `<formId>-<repeat>.csv` per repeat group (its fields, `PARENT_KEY`, `KEY`) and the
attachments under `media/`. KoboToolbox's CSV uses '/' between groups, ';' between columns and `_uuid`; its JSON
(a list or `{"results": [...]}`) keeps repeats as nested lists and lists `_attachments`. Central's OData JSON
(`{"value": [...]}`) nests groups as objects and geopoints as GeoJSON.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from bigcats.fieldforms.definitions import all_forms
from bigcats.problems import DataError, Problem

GEO_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
META_COLUMNS = {"SubmissionDate", "KEY", "PARENT_KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
                "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion", "instanceID",
                "instanceName", "_uuid", "_id", "_submission_time", "_index", "_parent_index", "_status",
                "_submitted_by", "_validation_status", "_notes", "_tags", "_attachments", "_geolocation",
                "_xform_id_string", "__version__", "_version_", "formhub/uuid", "deprecatedID", "__id", "__system",
                "audit", "_parent_table_name", "_submission__id", "_submission__uuid", "_submission__submission_time",
                "_submission__validation_status", "_submission__notes", "_submission__status",
                "_submission__submitted_by", "_submission___version__", "_submission__tags"}


class ExportError(DataError):
    """An export cannot be read (no submissions table, broken CSV/JSON, repeat rows without their submission)."""


@dataclass
class Submission:
    """One filled-in form: instance id, form, server date, fields by name, repeat rows, attachment names."""

    instance_id: str
    form_id: str | None
    submitted_at: str | None
    fields: dict[str, str]
    repeats: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    attachments: list[str] = field(default_factory=list)  # files present in the export's media/
    where: str = ""  # file and line, for messages

    def to_payload(self) -> dict:
        """The JSON kept in field_submission."""
        return {"fields": self.fields, "repeats": self.repeats, "attachments": self.attachments,
                "form_id": self.form_id}

    @classmethod
    def from_payload(cls, instance_id: str, submitted_at, payload: dict) -> Submission:
        """A stored submission back as a Submission."""
        return cls(instance_id, payload.get("form_id"), submitted_at, payload.get("fields", {}),
                   payload.get("repeats", {}), payload.get("attachments", []), where="stored")


def _field_name(column: str) -> str:
    """The form field behind an export column: last path segment ('failure-failure_start' -> 'failure_start')."""
    return re.split(r"[-/:]", column)[-1]


def _flat_row(row: dict[str, str]) -> dict[str, str]:
    """Columns of one CSV row as field -> text; split geopoints joined back into 'lat lon alt acc'."""
    out: dict[str, str] = {}
    geo: dict[str, dict[str, str]] = {}
    for col, value in row.items():
        if col is None or col in META_COLUMNS or col.endswith(("meta-instanceID", "meta/instanceID")):
            continue
        m = re.match(r"^(.*)[-/](Latitude|Longitude|Altitude|Accuracy)$", col)
        if m:
            geo.setdefault(_field_name(m.group(1)), {})[m.group(2)] = (value or "").strip()
            continue
        if col.startswith("SET-OF-"):
            continue
        if col.startswith("_") and _field_name(col).startswith("_"):
            continue  # Kobo's split geopoint helpers ('_location_latitude') and other bookkeeping
        out[_field_name(col)] = (value or "").strip()
    for name, parts in geo.items():
        if parts.get("Latitude") or parts.get("Longitude"):
            out[name] = " ".join(parts.get(p) or "0" for p in GEO_PARTS)
        else:
            out.setdefault(name, "")
    return out


def _guess_form(fields: dict) -> str | None:
    """The bigcats form whose required questions the submission answers."""
    keys = set(fields)
    for form in all_forms():
        names = {r["name"] for r in form.survey if r.get("required") == "yes"}
        if names and len(names & keys) >= max(1, len(names) - 1):
            return form.form_id
    return None


def _read_csv(text: str, name: str) -> list[dict[str, str]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise ExportError([Problem("bad-csv", f"not a readable CSV ({exc})", file=name)], name) from None


class _Files:
    """An export as names -> bytes, from a zip or a folder (media listed, not read)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tables: dict[str, str] = {}
        self.media: set[str] = set()
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                rel = p.relative_to(path).as_posix()
                if p.is_file():
                    self._add(rel, p.read_bytes if p.suffix.lower() in (".csv", ".json") else None)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if not info.is_dir():
                        self._add(info.filename, (lambda i=info: zf.read(i)) if info.filename.lower().endswith(
                            (".csv", ".json")) else None)
        else:
            self._add(path.name, path.read_bytes)

    def _add(self, rel: str, reader) -> None:
        parts = rel.split("/")
        if "media" in parts[:-1]:
            self.media.add(parts[-1])
        elif reader is not None:
            try:
                self.tables[rel] = reader().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ExportError([Problem("bad-encoding", "not UTF-8 text", file=rel)], str(self.path)) from None


def read_export(path: str | Path) -> list[Submission]:
    """Every submission in an ODK Central / KoboToolbox export (CSV zip or folder, or JSON)."""
    path = Path(path)
    if not path.exists():
        raise ExportError([Problem("missing-file", "no such file or folder", file=str(path))], str(path))
    files = _Files(path)
    jsons = [n for n in files.tables if n.lower().endswith(".json")]
    subs: list[Submission] = []
    for name in jsons:
        subs += _from_json(files.tables[name], name, files.media)
    csvs = {n: t for n, t in files.tables.items() if n.lower().endswith(".csv")}
    if csvs:
        subs += _from_csvs(csvs, files.media)
    if not subs and not csvs and not jsons:
        raise ExportError([Problem("no-submissions", "no CSV or JSON submissions table in the export",
                                   file=str(path))], str(path))
    return subs


def _from_csvs(tables: dict[str, str], media: set[str]) -> list[Submission]:
    rows = {name: _read_csv(text, name) for name, text in tables.items()}
    mains = [n for n, r in rows.items() if r and "PARENT_KEY" not in r[0]]
    repeats = [n for n, r in rows.items() if r and "PARENT_KEY" in r[0]]
    subs: dict[str, Submission] = {}
    problems: list[Problem] = []
    form_ids = {f.form_id for f in all_forms()}
    for name in mains:
        form_id = Path(name).stem
        for line, row in enumerate(rows[name], start=2):
            iid = (row.get("meta-instanceID") or row.get("meta/instanceID") or row.get("instanceID")
                   or row.get("KEY") or row.get("_uuid") or "").strip()
            if not iid:
                problems.append(Problem("missing-instance-id", "submission has no instance id (meta-instanceID, "
                                        "KEY or _uuid)", file=name, row=line, field="meta-instanceID"))
                continue
            flat = _flat_row(row)
            if (row.get("KEY") or iid) in subs:
                problems.append(Problem("duplicate-submission", f"submission {iid} appears twice", file=name,
                                        row=line, field="meta-instanceID", value=iid))
                continue
            subs[row.get("KEY") or iid] = Submission(
                iid, form_id if form_id in form_ids else _guess_form(flat),
                row.get("SubmissionDate") or row.get("_submission_time"), flat, where=f"{name} row {line}")
    for name in repeats:
        repeat = Path(name).stem.split("-")[-1]
        for line, row in enumerate(rows[name], start=2):
            parent = (row.get("PARENT_KEY") or "").strip()
            root = parent.split("/")[0]
            sub = subs.get(parent) or subs.get(root)
            if sub is None:
                problems.append(Problem("orphan-repeat", f"repeat row whose submission {parent!r} is not in the "
                                        "export", file=name, row=line, field="PARENT_KEY", value=parent))
                continue
            sub.repeats.setdefault(repeat, []).append({**_flat_row(row), "KEY": row.get("KEY", "")})
    if problems:
        raise ExportError(problems, "export")
    for sub in subs.values():
        sub.attachments = sorted(_referenced(sub) & media)
    return list(subs.values())


def _referenced(sub: Submission) -> set[str]:
    values = set(sub.fields.values())
    for rows in sub.repeats.values():
        for r in rows:
            values |= set(r.values())
    return {v for v in values if v and re.search(r"\.(jpe?g|png|mp4|mov|avi|m4a|3gp)$", v, re.I)}


def _geo_text(value) -> str:
    """GeoJSON geometry (Central OData) as ODK's text: 'lat lon alt acc' or points joined by ';'."""
    if not isinstance(value, dict) or "coordinates" not in value:
        return "" if value is None else str(value)
    acc = (value.get("properties") or {}).get("accuracy", 0)

    def point(c):
        lon, lat = c[0], c[1]
        alt = c[2] if len(c) > 2 else 0
        return f"{lat} {lon} {alt} {acc}"
    coords = value["coordinates"]
    if value.get("type") == "Point":
        return point(coords)
    if value.get("type") == "Polygon":
        coords = coords[0]
    return ";".join(point(c) for c in coords)


def _flatten(obj: dict, out: dict, repeats: dict) -> None:
    for key, value in obj.items():
        name = _field_name(key)
        if key in META_COLUMNS or name in META_COLUMNS or key.startswith("__") or "@odata" in key:
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            rows = []
            for item in value:
                r, nested = {}, {}
                _flatten(item, r, nested)
                rows.append(r)
            repeats.setdefault(name, []).extend(rows)
        elif isinstance(value, dict) and "coordinates" in value:
            out[name] = _geo_text(value)
        elif isinstance(value, dict):
            _flatten(value, out, repeats)
        elif name == "instanceID" or key.startswith("_"):
            continue
        else:
            out[name] = "" if value is None else str(value)


def _from_json(text: str, name: str, media: set[str]) -> list[Submission]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError([Problem("bad-json", f"not valid JSON ({exc.msg}, line {exc.lineno})", file=name)],
                          name) from None
    items = data.get("results", data.get("value")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ExportError([Problem("bad-json", "expected a list of submissions (or 'results' / 'value')",
                                   file=name)], name)
    subs = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ExportError([Problem("bad-json", "a submission is not an object", file=name, row=i)], name)
        meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
        iid = str(item.get("meta/instanceID") or meta.get("instanceID") or item.get("__id") or
                  item.get("_uuid") or "").strip()
        if iid and not iid.startswith("uuid:") and item.get("_uuid") == iid:
            iid = f"uuid:{iid}"
        flat: dict[str, str] = {}
        repeats: dict[str, list] = {}
        _flatten(item, flat, repeats)
        if not iid:
            raise ExportError([Problem("missing-instance-id", "submission has no instance id", file=name, row=i,
                                       field="meta/instanceID")], name)
        system = item.get("__system") if isinstance(item.get("__system"), dict) else {}
        attached = {a.get("filename", "").split("/")[-1] for a in item.get("_attachments", []) if isinstance(a, dict)}
        sub = Submission(iid, item.get("_xform_id_string") or _guess_form(flat),
                         item.get("_submission_time") or system.get("submissionDate"), flat, repeats,
                         where=f"{name} item {i}")
        sub.attachments = sorted(_referenced(sub) & (media | attached))
        subs.append(sub)
    return subs


def looks_like_form_export(path: str | Path) -> bool:
    """Whether a file or folder holds submissions of bigcats' forms (by table names or the forms' fields)."""
    path = Path(path)
    forms = {f.form_id for f in all_forms()}
    try:
        if path.is_dir():
            return any(p.stem in forms for p in path.glob("*.csv"))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                return any(Path(n).stem in forms for n in zf.namelist())
        if path.suffix.lower() == ".json" and path.stat().st_size < 512 * 1024 * 1024:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            items = data.get("results", data.get("value")) if isinstance(data, dict) else data
            if isinstance(items, list) and items and isinstance(items[0], dict):
                flat: dict = {}
                _flatten(items[0], flat, {})
                return items[0].get("_xform_id_string") in forms or _guess_form(flat) is not None
    except (OSError, ValueError, zipfile.BadZipFile):
        return False
    return False
