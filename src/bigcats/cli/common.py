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
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def to_json(result: Any) -> str:
    """Serialise a result (dicts, lists, numpy, pandas, dates) as JSON text."""
    return json.dumps(_clean(json.loads(json.dumps(result, default=_default, allow_nan=True))), ensure_ascii=False, indent=2)


def emit(result: Any, as_json: bool, human: Any = None) -> None:
    """Print a result: JSON on stdout with --json, else the human rendering on the console."""
    if as_json:
        sys.stdout.write(to_json(result) + "\n")
    elif human is not None:
        Console().print(human)
    else:
        Console().print_json(to_json(result))


def fail(message: str, code: int = 2) -> None:
    """Stop the command with a clear message on stderr and a non-zero exit code."""
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)
