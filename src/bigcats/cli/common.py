"""Options and output helpers shared by every CLI command."""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

# stderr for humans, stdout kept clean for --json consumers.
console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite path (default: $BIGCATS_DB, else ./bigcats.db)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as one JSON document on stdout.")]


def _default(obj: Any) -> Any:
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def _clean(obj: Any) -> Any:
    # JSON has no NaN: a missing number is null, never a silent NaN in a report.
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, dict):
        return {str(k): _as_id(str(k), _clean(v)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _as_id(key: str, value: Any) -> Any:
    # Database ids are integers; pandas turns an integer column with a gap into floats (33.0): undo that.
    if isinstance(value, float) and value.is_integer() and (key == "id" or key.endswith(("_id", "Id"))):
        return int(value)
    return value


def to_json(result: Any) -> str:
    """Serialise a result (dicts, lists, numpy, pandas, dates) as JSON text."""
    return json.dumps(_clean(json.loads(json.dumps(result, default=_default, allow_nan=True))), ensure_ascii=False, indent=2)


def _cell(value: Any) -> str:
    """One value as short readable text (numbers to 6 significant digits, whole floats as integers)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)


def _records_table(rows: list[dict], title: str | None = None) -> Any:
    from rich.table import Table

    columns = list(dict.fromkeys(k for r in rows for k in r))
    table = Table(title=title)
    for c in columns:
        table.add_column(str(c))
    for r in rows:
        table.add_row(*[_cell(r.get(c)) for c in columns])
    return table


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(r, dict) for r in value)


def human_view(result: Any, title: str | None = None) -> Any:
    """A readable rendering of a plain result: tables of records, and a two-column table of the other values."""
    from rich.console import Group
    from rich.table import Table

    data = json.loads(to_json(result))
    if _is_records(data):
        return _records_table(data, title)
    if isinstance(data, dict):
        parts: list[Any] = []
        scalars = {k: v for k, v in data.items() if not _is_records(v)}
        if scalars:
            table = Table(title=title, show_header=False)
            table.add_column("", style="bold")
            table.add_column("")
            for k, v in scalars.items():
                table.add_row(str(k), _cell(v))
            parts.append(table)
        parts += [_records_table(v, str(k)) for k, v in data.items() if _is_records(v)]
        return Group(*parts)
    return _cell(data)


def emit(result: Any, as_json: bool, human: Any = None) -> None:
    """Print a result: one JSON document on stdout with --json, else a human rendering (a table) on stdout."""
    if as_json:
        sys.stdout.write(to_json(result) + "\n")
    else:
        Console().print(human if human is not None else human_view(result))


def fail(message: str, code: int = 1, hint: str | None = None) -> None:
    """Refuse the command: exit 1 with the message (the root handler prints it, or JSON with --json).

    Code 2 is for wrong usage of the command line itself (click's convention); everything else is refused input.
    """
    if code == 2:
        console.print(f"[bold red]error:[/] {message}", highlight=False)
        raise typer.Exit(2)
    from bigcats.errors import BigcatsError

    raise BigcatsError(message, hint=hint)
