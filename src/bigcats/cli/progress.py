"""Rich progress bars for long work, fed by the library's (stage, rows) callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bigcats.cli.common import console


@contextmanager
def stage_progress(totals: dict[str, int] | None = None, enabled: bool = True
                   ) -> Iterator[Callable[[str, int], None]]:
    """A callback that advances one bar per stage; silent when disabled (e.g. with --json)."""
    if not enabled:
        yield lambda stage, n: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def advance(stage: str, n: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=(totals or {}).get(stage))
            bar.advance(tasks[stage], n)

        yield advance
