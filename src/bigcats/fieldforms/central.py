"""Write submissions in ODK Central's CSV export layout (for tests, the demo's simulated season, and partners who
need to hand-make an export): `<formId>.csv`, `<formId>-<repeat>.csv`, `media/`, optionally zipped."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from bigcats.fieldforms.definitions import FORM_VERSION, all_forms

TRAILER = ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
           "ReviewState", "DeviceID", "Edits", "FormVersion"]


def _columns(form_id: str) -> tuple[list[tuple[str, str, str]], dict[str, list[tuple[str, str, str]]]]:
    """(column, field, type) of the main table and of each repeat, in form order, with group paths."""
    form = {f.form_id: f for f in all_forms()}[form_id]
    main: list = []
    repeats: dict[str, list] = {}
    groups: list[str] = []
    repeat: str | None = None
    for row in form.survey:
        t, name = row["type"].split()[0], row["name"]
        if t == "begin_group":
            groups.append(name)
            continue
        if t == "end_group":
            groups.pop()
            continue
        if t == "begin_repeat":
            repeat = name
            repeats[name] = []
            continue
        if t == "end_repeat":
            repeat = None
            continue
        target = repeats[repeat] if repeat else main
        prefix = "-".join(groups + [name])
        if t == "geopoint":
            target += [(f"{prefix}-{p}", name, p) for p in ("Latitude", "Longitude", "Altitude", "Accuracy")]
        else:
            target.append((prefix, name, t))
    return main, repeats


def _cell(values: dict, name: str, part: str) -> str:
    v = values.get(name, "")
    if part in ("Latitude", "Longitude", "Altitude", "Accuracy"):
        bits = str(v).split() if v else []
        i = ("Latitude", "Longitude", "Altitude", "Accuracy").index(part)
        return bits[i] if len(bits) > i else ""
    return "" if v is None else str(v)


def write_central_export(folder: str | Path, form_id: str, submissions: list[dict], media: dict[str, bytes] | None = None,
                         zip_name: str | None = None, submitter: str = "ranger") -> Path:
    """Write one form's submissions as Central exports them; each submission is
    `{"instanceID": "uuid:...", "SubmissionDate": ISO, field: text, ..., "<repeat>": [{field: text}, ...]}`
    with geopoints as 'lat lon alt acc'. Returns the folder, or the zip if `zip_name` is given."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    main, repeats = _columns(form_id)
    media = media or {}
    with open(folder / f"{form_id}.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["SubmissionDate"] + [c for c, _, _ in main] + ["meta-instanceID"] + TRAILER)
        for s in submissions:
            expected = [v for k, v in s.items() if isinstance(v, str) and v.lower().endswith((".jpg", ".mp4"))]
            for rows in (s.get(r, []) for r in repeats):
                expected += [v for row in rows for v in row.values() if str(v).lower().endswith((".jpg", ".mp4"))]
            present = sum(1 for e in expected if e in media)
            w.writerow([s.get("SubmissionDate", "")] + [_cell(s, n, p) for _, n, p in main] + [s["instanceID"]]
                       + [s["instanceID"], "5", submitter, present, len(expected), "", "", "collect:device", "0",
                          FORM_VERSION])
    for rep, cols in repeats.items():
        with open(folder / f"{form_id}-{rep}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([c for c, _, _ in cols] + ["PARENT_KEY", "KEY"])
            for s in submissions:
                for i, row in enumerate(s.get(rep, []), start=1):
                    w.writerow([_cell(row, n, p) for _, n, p in cols] + [s["instanceID"],
                                                                         f"{s['instanceID']}/{rep}[{i}]"])
    if media:
        (folder / "media").mkdir(exist_ok=True)
        for name, data in media.items():
            (folder / "media" / name).write_bytes(data)
    if zip_name is None:
        return folder
    out = folder.parent / zip_name
    with zipfile.ZipFile(out, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    return out
