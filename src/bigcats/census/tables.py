"""User-supplied parameter tables: daily travel distance and body mass per species (bigcats ships none as fact)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from bigcats.census.errors import CensusError
from bigcats.core.tables import decode_text, sniff_separator
from bigcats.problems import DataError


def read_table(source: str | Path | pd.DataFrame, sheet: str | int | None = None) -> tuple[pd.DataFrame, str]:
    """A CSV/XLSX file (or a frame) as a frame with stripped column names, and its name for messages."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), "table"
    path = Path(source)
    if not path.exists():
        raise CensusError(str(path), "file not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0)
        else:
            # The one encoding rule of intake (UTF-8 ± BOM, cp1251, GB18030) and its separator sniffing (, ; tab):
            # census sheets come from the same field offices as the camera tables.
            text, _ = decode_text(path.read_bytes(), str(path))
            frame = pd.read_csv(io.StringIO(text), sep=sniff_separator(text))
    except DataError as exc:
        raise CensusError(str(path), str(exc.problems.summary())) from None
    except Exception as exc:  # pandas/openpyxl raise many types for unreadable files
        raise CensusError(str(path), f"cannot read as a table ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, str(path)


def _species_values(source: str | Path | pd.DataFrame, column: str, what: str) -> pd.Series:
    frame, name = read_table(source)
    missing = [c for c in ("species", column) if c not in frame.columns]
    if missing:
        raise CensusError(name, f"missing column(s) {', '.join(missing)}; the {what} table needs species, {column}")
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values <= 0)
    problems = [f"row {i + 2}, species {frame['species'].iloc[i]!r}, field '{column}': {str(frame[column].iloc[i])!r} is not a positive number"
                for i in bad.to_numpy().nonzero()[0]]
    species = frame["species"].astype(str).str.strip()
    dup = species[species.duplicated()]
    problems += [f"species {s!r} appears more than once" for s in dup.unique()]
    if problems:
        raise CensusError(name, problems)
    return pd.Series(values.to_numpy(dtype=float), index=species.to_numpy(), name=column)


def read_travel(source: str | Path | pd.DataFrame) -> pd.Series:
    """Mean daily travel distance (km) per species from a table with columns species, daily_travel_km."""
    return _species_values(source, "daily_travel_km", "daily travel distance")


def read_masses(source: str | Path | pd.DataFrame) -> pd.Series:
    """Body mass (kg) per species from a table with columns species, body_mass_kg."""
    return _species_values(source, "body_mass_kg", "body mass")
