"""The `bigcats` command line: one command per task, thin over the library API."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="bigcats",
    help="Transboundary monitoring of Amur tigers, Amur leopards and snow leopards.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def main() -> None:
    """Entry point of the `bigcats` console script."""
    app()
