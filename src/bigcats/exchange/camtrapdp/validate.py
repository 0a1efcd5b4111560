"""Check Camtrap DP tables against the shipped 1.0 table schemas, chunk by chunk, in bounded memory.

The checks follow Table Schema semantics (required, type, enum, minimum/maximum, pattern, unique, primary and
foreign keys) as frictionless applies them, but vectorised over pandas chunks so that packages of millions of rows
validate quickly. Identifiers are kept as 64-bit hashes for the unique and foreign-key checks, so memory stays
flat whatever the size of the package. `validate_with_frictionless` runs frictionless itself against the same
schemas, for a second opinion.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field

import jsonschema
import numpy as np
import pandas as pd

from bigcats.exchange.camtrapdp.package import (
    CORE_RESOURCES,
    Package,
    profile_schema,
    table_schema,
)
from bigcats.problems import Problem, ProblemList

TRUE_VALUES = {"true", "True", "TRUE", "1"}
FALSE_VALUES = {"false", "False", "FALSE", "0"}
_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


def hash_ids(values: pd.Series) -> np.ndarray:
    """64-bit hashes of identifiers (collisions are negligible below billions of rows)."""
    return pd.util.hash_array(np.asarray(values.to_numpy(dtype=object), dtype=object), categorize=False)


def parse_offsets(text: pd.Series) -> pd.Series:
    """UTC offsets in minutes from ISO 8601 timestamps ('Z', '+08:00' or '-0330' at the end)."""
    text = text.astype("str")
    tail6 = text.str.slice(-6)
    tail5 = text.str.slice(-5)
    colon = tail6.str.slice(0, 1).isin(["+", "-"]).to_numpy()
    tail = np.where(colon, tail6.str.replace(":", "", regex=False).to_numpy(), tail5.to_numpy())
    tail = pd.Series(tail, index=text.index, dtype="str")
    signed = tail.str.slice(0, 1).isin(["+", "-"]).to_numpy()
    sign = np.where(tail.str.slice(0, 1).to_numpy() == "-", -1, 1)
    hours = pd.to_numeric(tail.str.slice(1, 3), errors="coerce").fillna(0).to_numpy()
    minutes = pd.to_numeric(tail.str.slice(3, 5), errors="coerce").fillna(0).to_numpy()
    out = np.where(signed, sign * (hours * 60 + minutes), 0)
    return pd.Series(out.astype("int32"), index=text.index)


@dataclass
class TableState:
    """What must be remembered across chunks of one table: hashes of keys for unique and foreign-key checks."""

    unique_hashes: dict[str, list[np.ndarray]] = field(default_factory=dict)
    rows: int = 0


def check_chunk(
    chunk: pd.DataFrame,
    schema: dict,
    file: str,
    first_line: int,
    problems: ProblemList,
    state: TableState | None = None,
) -> pd.DataFrame:
    """Check one chunk against a table schema and return it typed (datetimes as naive UTC plus `<field>_offset`)."""
    out: dict[str, pd.Series] = {}
    lines = pd.RangeIndex(first_line, first_line + len(chunk))
    missing_values = set(schema.get("missingValues", [""]))
    fields = {f["name"]: f for f in schema["fields"]}

    for name, spec in fields.items():
        cons = spec.get("constraints", {})
        if name not in chunk.columns:
            if cons.get("required"):
                problems.add(Problem("missing-field", "required column is missing", file=file, field=name))
            continue
        raw = chunk[name].astype(str)
        raw = raw.where(~raw.isin(missing_values), "")
        present = raw != ""
        if cons.get("required"):
            _report(problems, ~present, raw, lines, file, name, "required", "a value is required")
        typed = _convert(raw, present, spec, lines, file, problems)
        if spec["type"] in ("number", "integer"):
            num = typed
            if "minimum" in cons:
                _report(problems, present & num.notna() & (num < cons["minimum"]), raw, lines, file, name,
                        "minimum", f"below the minimum of {cons['minimum']}")
            if "maximum" in cons:
                _report(problems, present & num.notna() & (num > cons["maximum"]), raw, lines, file, name,
                        "maximum", f"above the maximum of {cons['maximum']}")
        if "enum" in cons:
            bad = present & ~raw.isin([str(v) for v in cons["enum"]])
            _report(problems, bad, raw, lines, file, name, "enum",
                    "not one of: " + ", ".join(map(str, cons["enum"])))
        if "pattern" in cons:
            bad = present & ~raw.str.fullmatch(cons["pattern"]).fillna(False).astype(bool)
            _report(problems, bad, raw, lines, file, name, "pattern", f"does not match {cons['pattern']}")
        if cons.get("unique") and state is not None:
            state.unique_hashes.setdefault(name, []).append(hash_ids(raw[present]))
        if spec["type"] == "datetime":
            out[name] = typed
            out[f"{name}_offset"] = parse_offsets(raw).where(present, 0)
        else:
            out[name] = typed
    extra = [c for c in chunk.columns if c not in fields]
    for name in extra:  # kept as given: nothing a user wrote is dropped on the way in
        out[name] = chunk[name]
    if state is not None:
        state.rows += len(chunk)
    frame = pd.DataFrame(out, index=chunk.index)
    frame["_line"] = np.asarray(lines)
    return frame


def _convert(raw: pd.Series, present: pd.Series, spec: dict, lines, file: str, problems: ProblemList) -> pd.Series:
    kind = spec["type"]
    name = spec["name"]
    if kind in ("number", "integer"):
        num = pd.to_numeric(raw.where(present), errors="coerce")
        bad = present & num.isna()
        if kind == "integer":
            bad |= present & num.notna() & (num != np.floor(num.fillna(0)))
        _report(problems, bad, raw, lines, file, name, "type", f"not a valid {kind}")
        return num.astype("float64")
    if kind == "boolean":
        is_true = raw.isin(TRUE_VALUES)
        is_false = raw.isin(FALSE_VALUES)
        _report(problems, present & ~(is_true | is_false), raw, lines, file, name, "type", "not a valid boolean")
        return pd.Series(np.where(is_true, True, np.where(is_false, False, None)), index=raw.index, dtype=object)
    if kind == "datetime":
        shape_ok = raw.str.match(_DT)
        parsed = pd.to_datetime(raw.where(present & shape_ok), utc=True, errors="coerce", format="ISO8601")
        bad = present & (parsed.isna())
        _report(problems, bad, raw, lines, file, name, "type",
                "not a valid timestamp (ISO 8601 with a time zone, e.g. 2024-03-01T22:15:00+10:00)")
        return parsed.dt.tz_localize(None)
    if kind == "object":
        def ok(text: str) -> bool:
            try:
                return isinstance(json.loads(text), dict)
            except ValueError:
                return False
        bad = present & ~raw.map(ok).astype(bool)
        # EXIF blobs are descriptive and often mangled by camera software (the official example has some):
        # kept verbatim and reported, never a reason to refuse a survey.
        for i in np.flatnonzero(bad.to_numpy())[:20]:
            problems.warn(Problem("type", "not a valid JSON object; kept as text", file=file, row=int(lines[i]),
                                  field=name, value=str(raw.iloc[i])))
        return raw.where(present, None)
    return raw.where(present, None)


def _report(problems: ProblemList, mask: pd.Series, raw: pd.Series, lines, file: str, name: str,
            code: str, message: str) -> None:
    if not mask.any():
        return
    idx = np.flatnonzero(mask.to_numpy())
    room = max(0, problems.limit - len(problems.problems))
    for i in idx[:room]:
        problems.add(Problem(code, message, file=file, row=int(lines[i]), field=name, value=str(raw.iloc[i])))
    # Past the cap, count without building messages.
    problems.total += len(idx) - min(len(idx), room)


def check_unique(state: TableState, file: str, problems: ProblemList) -> dict[str, np.ndarray]:
    """Report duplicated values of unique columns across all chunks; return the sorted key hashes."""
    keys = {}
    for name, parts in state.unique_hashes.items():
        hashes = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
        hashes.sort()
        dup = np.count_nonzero(hashes[1:] == hashes[:-1])
        if dup:
            problems.add(Problem("unique", f"{dup} duplicated value(s) in a column that must be unique",
                                 file=file, field=name))
        keys[name] = hashes
    return keys


def check_foreign_key(values: pd.Series, keys: np.ndarray, lines: np.ndarray, file: str, name: str,
                      target: str, problems: ProblemList) -> None:
    """Report values that point to no row of the referenced table."""
    present = values.notna() & (values != "")
    if not present.any():
        return
    h = hash_ids(values[present].astype(str))
    pos = np.searchsorted(keys, h)
    pos[pos >= len(keys)] = 0
    found = keys[pos] == h if len(keys) else np.zeros(len(h), dtype=bool)
    if found.all():
        return
    sub_lines = lines[present.to_numpy()]
    sub_vals = values[present].to_numpy()
    for i in np.flatnonzero(~found)[:50]:
        problems.add(Problem("foreign-key", f"refers to no row of {target}", file=file, row=int(sub_lines[i]),
                             field=name, value=str(sub_vals[i])))
    if (~found).sum() > 50:
        problems.total += int((~found).sum() - 50)


def check_profile(package: Package, problems: ProblemList) -> None:
    """Check the package descriptor against the shipped Camtrap DP 1.0 profile."""
    validator = jsonschema.Draft7Validator(profile_schema())
    for err in sorted(validator.iter_errors(package.descriptor), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or None
        problems.add(Problem("profile", err.message, file="datapackage.json", field=where))


def validate_with_frictionless(package: Package) -> list[Problem]:
    """Validate with frictionless itself, against the shipped schemas (nothing fetched)."""
    import frictionless

    if package.base is None:
        raise ValueError("frictionless validation needs an unpacked folder, not an archive")
    descriptor = copy.deepcopy(package.descriptor)
    descriptor.pop("profile", None)
    descriptor.pop("$schema", None)
    # Extra resources (inline custom tables) are not Camtrap DP's to judge; the three core tables are.
    descriptor["resources"] = [r for r in descriptor.get("resources", []) if r.get("name") in CORE_RESOURCES]
    for res in descriptor["resources"]:
        res.pop("profile", None)
        res.pop("$schema", None)
        if res.get("name") in CORE_RESOURCES:
            res["schema"] = table_schema(res["name"])
    pkg = frictionless.Package.from_descriptor(descriptor, basepath=str(package.base))
    report = pkg.validate()
    found = []
    for task in report.tasks:
        for err in task.errors:
            found.append(Problem(err.type, err.message, file=task.name,
                                 row=getattr(err, "row_number", None), field=getattr(err, "field_name", None)))
    for err in report.errors:
        found.append(Problem(err.type, err.message))
    return found
