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

from bigcats.core.hashing import hash_ids
from bigcats.exchange.camtrapdp.package import (
    CORE_RESOURCES,
    MAX_FIELD_CHARS,
    MAX_FIELD_CHARS_BY_NAME,
    Package,
    profile_schema,
    table_schema,
)
from bigcats.problems import Problem, ProblemList

TRUE_VALUES = {"true", "True", "TRUE", "1"}
FALSE_VALUES = {"false", "False", "FALSE", "0"}
_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


def _offset_of(tail: str) -> int:
    """Minutes east of UTC for the end of one timestamp ('Z', '+08:00', '-0330'); 0 when there is none."""
    m = _TAIL.search(tail)
    if not m:
        return 0
    sign = -1 if m.group(1) == "-" else 1
    return sign * (int(m.group(2)) * 60 + int(m.group(3)))


_TAIL = re.compile(r"([+-])(\d{2}):?(\d{2})$")


def parse_offsets(text: pd.Series) -> pd.Series:
    """UTC offsets in minutes from ISO 8601 timestamps ('Z', '+08:00' or '-0330' at the end).

    A package has a handful of distinct offsets: each distinct tail is parsed once and mapped (the import's
    hot path handles millions of timestamps).
    """
    tail = text.astype("str").str.slice(-6)
    codes, uniques = pd.factorize(tail)
    minutes = np.array([_offset_of(str(u)) for u in uniques] + [0], dtype="int32")
    return pd.Series(minutes[codes], index=text.index)


@dataclass
class TableState:
    """What must be remembered across chunks of one table: hashes of keys (and the row of each) for unique and
    foreign-key checks."""

    unique_hashes: dict[str, list[np.ndarray]] = field(default_factory=dict)
    unique_lines: dict[str, list[np.ndarray]] = field(default_factory=dict)
    rows: int = 0


class _Names:
    """How a problem names a column: the user's own column for a legacy package, with the 1.0 name beside it."""

    def __init__(self, aliases: dict[str, str] | None) -> None:
        self.aliases = aliases or {}

    def field(self, name: str) -> str:
        return self.aliases.get(name, name)

    def message(self, name: str, message: str) -> str:
        old = self.aliases.get(name)
        return f"{message} (column {old!r} is {name!r} in Camtrap DP 1.0)" if old else message


def check_chunk(
    chunk: pd.DataFrame,
    schema: dict,
    file: str,
    first_line: int | np.ndarray,
    problems: ProblemList,
    state: TableState | None = None,
    aliases: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Check one chunk against a table schema and return it typed (datetimes as naive UTC plus `<field>_offset`).

    `first_line` is the row number of the chunk's first row, or an array with each row's number; `aliases` maps
    1.0 field names to the legacy column a problem should name.
    """
    out: dict[str, pd.Series] = {}
    if isinstance(first_line, np.ndarray):
        lines = first_line
    else:
        lines = pd.RangeIndex(first_line, first_line + len(chunk))
    names = _Names(aliases)
    missing_values = set(schema.get("missingValues", [""]))
    fields = {f["name"]: f for f in schema["fields"]}
    for name in chunk.columns:  # every cell, also of extra columns, within the size limits
        limit = MAX_FIELD_CHARS_BY_NAME.get(name, MAX_FIELD_CHARS)
        lengths = chunk[name].astype(str).str.len()
        too_long = lengths > limit
        if too_long.any():
            for i in np.flatnonzero(too_long.to_numpy()):
                problems.add(Problem("field-too-large", f"{int(lengths.iloc[i]):,} characters; the limit for this "
                                     f"column is {limit:,}", file=file, row=int(lines[i]),
                                     field=names.field(name), value=str(chunk[name].iloc[i])[:80]))

    seen_alias: set[str] = set()
    all_problems = problems
    for name, spec in fields.items():
        cons = spec.get("constraints", {})
        # One legacy column can feed two 1.0 fields (0.1.6 `timestamp` -> eventStart and eventEnd): report once.
        problems = all_problems
        if name in names.aliases:
            problems = ProblemList() if names.aliases[name] in seen_alias else all_problems
            seen_alias.add(names.aliases[name])
        if name not in chunk.columns:
            if cons.get("required"):
                problems.add(Problem("missing-field", names.message(name, "required column is missing"), file=file,
                                     field=names.field(name)))
            continue
        raw = chunk[name].astype(str)
        raw = raw.where(~raw.isin(missing_values), "")
        present = raw != ""
        if cons.get("required"):
            _report(problems, ~present, raw, lines, file, name, "required", "a value is required", names)
        typed = _convert(raw, present, spec, lines, file, problems, names)
        if spec["type"] in ("number", "integer"):
            num = typed
            if "minimum" in cons:
                _report(problems, present & num.notna() & (num < cons["minimum"]), raw, lines, file, name,
                        "minimum", f"below the minimum of {cons['minimum']}", names)
            if "maximum" in cons:
                _report(problems, present & num.notna() & (num > cons["maximum"]), raw, lines, file, name,
                        "maximum", f"above the maximum of {cons['maximum']}", names)
        if "enum" in cons:
            bad = present & ~raw.isin([str(v) for v in cons["enum"]])
            _report(problems, bad, raw, lines, file, name, "enum",
                    "not one of: " + ", ".join(map(str, cons["enum"])), names)
        if "pattern" in cons:
            bad = present & ~raw.str.fullmatch(cons["pattern"]).fillna(False).astype(bool)
            _report(problems, bad, raw, lines, file, name, "pattern", f"does not match {cons['pattern']}", names)
        if cons.get("unique") and state is not None:
            _unique_chunk(state, name, raw, present, lines, file, problems, names)
        if spec["type"] == "datetime":
            out[name] = typed
            out[f"{name}_offset"] = parse_offsets(raw).where(present, 0)
        else:
            out[name] = typed
    problems = all_problems
    extra = [c for c in chunk.columns if c not in fields]
    for name in extra:  # kept as given: nothing a user wrote is dropped on the way in
        out[name] = chunk[name]
    if state is not None:
        state.rows += len(chunk)
    frame = pd.DataFrame(out, index=chunk.index)
    frame["_line"] = np.asarray(lines)
    return frame


def _unique_chunk(state: TableState, name: str, raw: pd.Series, present: pd.Series, lines, file: str,
                  problems: ProblemList, names: _Names) -> None:
    """Report values of a unique column seen before (in this chunk or an earlier one), naming value and rows."""
    values = raw[present]
    h = hash_ids(values)
    line_arr = np.asarray(lines)[present.to_numpy()]
    dup_here = pd.Series(h).duplicated(keep="first").to_numpy()
    first_seen: dict[int, int] = {}
    if dup_here.any():
        for hv, ln in zip(h, line_arr, strict=True):
            first_seen.setdefault(int(hv), int(ln))
    seen_before = np.zeros(len(h), dtype=bool)
    earlier_line = np.zeros(len(h), dtype=np.int64)
    for prev_h, prev_l in zip(state.unique_hashes.get(name, []), state.unique_lines.get(name, []), strict=True):
        if not len(prev_h):
            continue
        pos = np.searchsorted(prev_h, h)
        pos[pos >= len(prev_h)] = 0
        hit = prev_h[pos] == h
        new = hit & ~seen_before
        earlier_line[new] = prev_l[pos[new]]
        seen_before |= hit
    bad = seen_before | dup_here
    for i in np.flatnonzero(bad):
        first = int(earlier_line[i]) if seen_before[i] else first_seen[int(h[i])]
        problems.add(Problem("unique", names.message(name, f"duplicate value: already in row {first}; values of "
                                                     "this column must be unique"),
                             file=file, row=int(line_arr[i]), field=names.field(name), value=str(values.iloc[i])))
    order = np.argsort(h, kind="stable")
    parts = state.unique_hashes.setdefault(name, [])
    part_lines = state.unique_lines.setdefault(name, [])
    parts.append(h[order])
    part_lines.append(line_arr[order].astype(np.int64))
    if len(parts) > 8:  # merge, so that a chunk is looked up in a few sorted arrays, not in one per chunk
        allh, alll = np.concatenate(parts), np.concatenate(part_lines)
        order = np.argsort(allh, kind="stable")
        parts[:] = [allh[order]]
        part_lines[:] = [alll[order]]


def _convert(raw: pd.Series, present: pd.Series, spec: dict, lines, file: str, problems: ProblemList,
             names: _Names) -> pd.Series:
    kind = spec["type"]
    name = spec["name"]
    if kind in ("number", "integer"):
        num = _numbers(raw, present)
        bad = present & num.isna()
        if kind == "integer":
            bad |= present & num.notna() & (num != np.floor(num.fillna(0)))
        _report(problems, bad, raw, lines, file, name, "type", f"not a valid {kind}", names)
        return num.astype("float64")
    if kind == "boolean":
        is_true = raw.isin(TRUE_VALUES)
        is_false = raw.isin(FALSE_VALUES)
        _report(problems, present & ~(is_true | is_false), raw, lines, file, name, "type", "not a valid boolean",
                names)
        return pd.Series(np.where(is_true, True, np.where(is_false, False, None)), index=raw.index, dtype=object)
    if kind == "datetime":
        shape_ok = raw.str.match(_DT)
        parsed = pd.to_datetime(raw.where(present & shape_ok), utc=True, errors="coerce", format="ISO8601")
        bad = present & (parsed.isna())
        _report(problems, bad, raw, lines, file, name, "type",
                "not a valid timestamp (ISO 8601 with a time zone, e.g. 2024-03-01T22:15:00+10:00)", names)
        return parsed.dt.tz_localize(None)
    if kind == "object":
        def ok(text: str) -> bool:
            try:
                return isinstance(_STRICT_JSON.decode(text), dict)
            except (ValueError, RecursionError):
                return False
        bad = pd.Series(False, index=raw.index)
        if present.any():
            bad[present] = ~raw[present].map(ok).astype(bool)
        # EXIF blobs are descriptive and often mangled by camera software (the official example has some):
        # kept verbatim and reported, never a reason to refuse a survey.
        for i in np.flatnonzero(bad.to_numpy()):
            problems.warn(Problem("type", "not a valid JSON object; kept as text", file=file, row=int(lines[i]),
                                  field=names.field(name), value=str(raw.iloc[i])))
        return raw.where(present, None)
    return raw.where(present, None)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in JSON")


_STRICT_JSON = json.JSONDecoder(parse_constant=_no_constant)  # one decoder: building one per value costs more


def _numbers(raw: pd.Series, present: pd.Series) -> pd.Series:
    """Numbers from text, NaN where empty or not a number. pyarrow's cast first (one C call for a clean chunk),
    pandas' per-value parser only when some value does not parse."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(raw.where(present, None), type=pa.string(), from_pandas=True)
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        out = pd.Series(values, index=raw.index, dtype="float64")
        if np.isfinite(out[present]).all():  # 'nan'/'inf' text is refused like any other non-number
            return out
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        pass
    num = pd.to_numeric(raw.where(present), errors="coerce")
    return num.where(np.isfinite(num.astype("float64")))


def _report(problems: ProblemList, mask: pd.Series, raw: pd.Series, lines, file: str, name: str,
            code: str, message: str, names: _Names | None = None) -> None:
    if not mask.any():
        return
    names = names or _Names(None)
    idx = np.flatnonzero(mask.to_numpy())
    room = max(0, problems.limit - len(problems.problems))
    message = names.message(name, message)
    for i in idx[:room]:
        problems.add(Problem(code, message, file=file, row=int(lines[i]), field=names.field(name),
                             value=str(raw.iloc[i])))
    # Past the cap, count without building messages.
    problems.total += len(idx) - min(len(idx), room)


def check_unique(state: TableState, file: str, problems: ProblemList) -> dict[str, np.ndarray]:
    """The sorted key hashes of each unique column (duplicates were reported chunk by chunk, with value and row)."""
    keys = {}
    for name, parts in state.unique_hashes.items():
        hashes = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
        hashes.sort()
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
    missing = np.flatnonzero(~found)
    room = max(0, problems.limit - len(problems.problems))
    for i in missing[:room]:
        problems.add(Problem("foreign-key", f"refers to no row of {target}", file=file, row=int(sub_lines[i]),
                             field=name, value=str(sub_vals[i])))
    problems.total += max(0, len(missing) - room)


def check_profile(package: Package, problems: ProblemList) -> None:
    """Check the package descriptor against the shipped Camtrap DP 1.0 profile."""
    validator = jsonschema.Draft7Validator(profile_schema())
    for err in sorted(validator.iter_errors(package.descriptor), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or None
        if err.validator == "required" and list(err.path) == ["project"] and "'samplingDesign'" in err.message:
            # Descriptive only (no analysis reads it) and often unknown for data gathered from partners' files:
            # said, not a reason to refuse the survey. bigcats' own exports omit it rather than invent one.
            problems.warn(Problem("profile", err.message + "; the package does not say how its stations were "
                                  "chosen (Camtrap DP 1.0 asks for it)", file="datapackage.json", field=where))
            continue
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
