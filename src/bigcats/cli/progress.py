"""Rich progress bars for long work, fed by the library's (stage, rows) callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
)

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


@contextmanager
def step_progress(title: str, total: int | None = None, enabled: bool = True, plain: bool | None = None
                  ) -> Iterator[Callable[[str], None]]:
    """A callback for the steps of long work (`step("importing LLNP")`), visible wherever the command runs.

    On a terminal: a rich bar with the step count, the current step and the elapsed time. Off a terminal (cron,
    nohup, CI logs): one plain line per step on stderr, `[3/11  12.4 s] importing LLNP`, and one when it is done,
    so a log shows where the time went. Silent when disabled (e.g. with --json off a terminal).
    """
    import time

    if not enabled:
        yield lambda message: None
        return
    plain = (not console.is_terminal) if plain is None else plain
    start = time.perf_counter()
    count = 0
    of = f"/{total}" if total else ""
    if plain:
        def step(message: str) -> None:
            nonlocal count
            count += 1
            console.out(f"{title}: [{count}{of} {time.perf_counter() - start:6.1f} s] {message}", highlight=False)

        yield step
        console.out(f"{title}: done in {time.perf_counter() - start:.1f} s", highlight=False)
        return
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.completed:.0f}" + of), BarColumn(bar_width=20),
                  TextColumn("{task.description}"), TimeElapsedColumn(), TextColumn("left ~"),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task("starting", total=total)

        def step(message: str) -> None:
            nonlocal count
            if count:
                bar.advance(task)
            count += 1
            bar.update(task, description=message)
            # each finished step stays on screen with its time, so the terminal shows the same record as a log
            console.print(f"[dim]{time.perf_counter() - start:6.1f} s[/] {message}", highlight=False)

        yield step
        bar.update(task, completed=count)
