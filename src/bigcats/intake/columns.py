"""Which of a partner's columns is which: header matching without case or accents, and the user's column map.

A column map is a YAML (or JSON) document with one section per table, each naming, for bigcats' fields, the
user's column (a string) or a fixed value for every row (`{value: ...}`), and optionally the table's file name:

    deployments:                 # stations / surveys / cameras
      file: DATASET_CAMTRAP_SURVEYS_ATLANTICFOREST.csv
      deploymentID: surveyId
      crs: geodeticDatum         # or {value: "EPSG:4326"}
    records:
      date: recordDate
      time: recordTime

Fields the map does not name are found by their usual names (`SYNONYMS`), compared after folding case, accents and
punctuation ("Locação ID" matches "locacaoid"). The map is kept per partner in the database, so the next import
of the same partner needs none.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bigcats.intake.report import IntakeError
from bigcats.problems import Problem

TABLES = ("deployments", "records")

# bigcats field -> usual header names (already folded by `fold`). The first table's fields, then the second's.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "deployments": {
        "deploymentID": ("deploymentid", "surveyid", "deployment", "survey", "cameratrapid", "cameraid_session"),
        "locationID": ("locationid", "station", "stationid", "site", "siteid", "location", "camerasite", "stationname"),
        "locationName": ("locationname", "sitename"),
        "start": ("deploymentstart", "surveydatestart", "setupdate", "setup", "start", "startdate", "datestart",
                  "installationdate"),
        "end": ("deploymentend", "surveydateend", "retrievaldate", "retrieval", "end", "enddate", "dateend",
                "removaldate"),
        "latitude": ("decimallatitude", "latitude", "lat", "latdd"),
        "longitude": ("decimallongitude", "longitude", "lon", "long", "lng", "londd"),
        "x": ("x", "utmx", "easting", "xcoord", "coordx"),
        "y": ("y", "utmy", "northing", "ycoord", "coordy"),
        "xy": ("locgeo", "xy", "coordinates", "coords"),
        "crs": ("geodeticdatum", "datum", "crs", "epsg", "srs", "coordinatesystem", "verbatimsrs"),
        "timezone": ("timezone", "tz", "utcoffset", "timezoneoffset"),
        "cameraID": ("cameraid", "camera", "cameraserial", "serial"),
        "cameraModel": ("cameramodel", "model", "camerabrand"),
        "country": ("country", "countrycode"),
        "protectedArea": ("protectedarea", "park", "reserve"),
    },
    "records": {
        "observationID": ("observationid", "recordid", "occurrenceid"),
        "deploymentID": ("deploymentid", "surveyid", "deployment", "survey"),
        "locationID": ("locationid", "station", "stationid", "site", "siteid", "location"),
        "scientificName": ("scientificname", "species", "speciesname", "taxon", "binomial"),
        "datetime": ("datetime", "datetimeoriginal", "timestamp", "eventstart", "eventdate_time"),
        "date": ("recorddate", "date", "eventdate", "photodate"),
        "time": ("recordtime", "time", "eventtime", "phototime"),
        "timezone": ("timezone", "tz", "utcoffset"),
        "count": ("count", "individualcount", "numberofindividuals", "n", "groupsize"),
        "individualID": ("individualid", "individual", "animalid"),
        "sex": ("sex",),
        "lifeStage": ("lifestage", "age"),
        "comments": ("comments", "remarks", "notes", "occurrenceremarks"),
    },
}
REQUIRED = {"deployments": ("deploymentID", "start", "end"), "records": ("scientificName",)}


def fold(text: str) -> str:
    """A header as compared: accents and case folded, everything but letters and digits dropped."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c for c in plain if c.isalnum())


@dataclass
class ColumnMap:
    """The user's map (field -> column or fixed value) per table, and the file each table is in (if said)."""

    tables: dict[str, dict] = field(default_factory=dict)
    source: str | None = None

    @classmethod
    def read(cls, path: str | Path) -> ColumnMap:
        """A map from a YAML/JSON file; refused with the file and the field when it is not one."""
        path = Path(path)
        label = str(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise IntakeError([Problem("missing-file", f"cannot read: {exc.strerror}", file=label)], label) from exc
        except yaml.YAMLError as exc:
            raise IntakeError([Problem("bad-column-map", f"not YAML: {exc}", file=label)], label) from exc
        return cls.from_dict(data, label)

    @classmethod
    def from_dict(cls, data, label: str = "column map") -> ColumnMap:
        """Check a map's shape: known tables and fields, strings or {value: ...}."""
        problems = []
        if not isinstance(data, dict):
            raise IntakeError([Problem("bad-column-map", "a column map is a mapping with sections "
                                       f"{', '.join(TABLES)}", file=label)], label)
        tables = {}
        for table, entries in data.items():
            if table not in TABLES:
                problems.append(Problem("bad-column-map", f"unknown section; sections are {', '.join(TABLES)}",
                                        file=label, field=str(table)))
                continue
            if not isinstance(entries, dict):
                problems.append(Problem("bad-column-map", "a section maps fields to columns", file=label,
                                        field=table))
                continue
            known = set(SYNONYMS[table]) | {"file", "sheet"}
            for key, value in entries.items():
                if key not in known:
                    problems.append(Problem("bad-column-map", f"unknown field; {table} fields are "
                                            f"{', '.join(sorted(known))}", file=label, field=f"{table}.{key}"))
                elif not (isinstance(value, (str, int)) or (isinstance(value, dict) and set(value) == {"value"})):
                    problems.append(Problem("bad-column-map", "give a column name, or {value: ...} for a fixed "
                                            "value", file=label, field=f"{table}.{key}", value=str(value)))
            tables[table] = dict(entries)
        if problems:
            raise IntakeError(problems, label)
        return cls(tables, label)

    def to_dict(self) -> dict:
        """The map as stored (JSON-ready)."""
        return json.loads(json.dumps(self.tables))


def resolve(table: str, headers: list[str], cmap: ColumnMap | None, file: str) -> dict[str, tuple[str, str]]:
    """bigcats field -> ('column', the user's header) or ('value', fixed text), for one table; refuses if required
    fields cannot be found, listing the headers seen and the fields missing."""
    given = dict((cmap.tables.get(table) if cmap else None) or {})
    given.pop("file", None)
    given.pop("sheet", None)
    folded = {}
    for h in headers:
        folded.setdefault(fold(h), h)
    out: dict[str, tuple[str, str]] = {}
    problems = []
    for fld, value in given.items():
        if isinstance(value, dict):
            out[fld] = ("value", str(value["value"]))
        elif fold(str(value)) in folded:
            out[fld] = ("column", folded[fold(str(value))])
        else:
            problems.append(Problem("missing-column", f"the column map names column {value!r} for {fld}, but the "
                                    f"table has {', '.join(headers)}", file=file, field=fld, value=str(value)))
    for fld, names in SYNONYMS[table].items():
        if fld in out or fld in given:
            continue
        for name in names:
            if name in folded:
                out[fld] = ("column", folded[name])
                break
    for fld in REQUIRED[table]:
        if fld not in out and not problems:
            problems.append(Problem("missing-column", f"no column for {fld} among {', '.join(headers)}; name it in "
                                    f"a column map (--columns map.yaml, section {table})", file=file, field=fld))
    if problems:
        raise IntakeError(problems, file)
    return out


__all__ = ["ColumnMap", "REQUIRED", "SYNONYMS", "TABLES", "fold", "resolve"]
