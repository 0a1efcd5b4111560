"""Progress of long work is visible off a terminal: one plain line per step with the elapsed time."""

from __future__ import annotations

import io
import re

from rich.console import Console

from bigcats.cli import progress


def test_plain_lines_off_a_terminal(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=buffer, force_terminal=False, width=200))
    with progress.step_progress("bigcats demo", total=3) as step:
        step("simulating the survey")
        step("importing LLNP")
    lines = buffer.getvalue().splitlines()
    assert re.fullmatch(r"bigcats demo: \[1/3 +\d+\.\d s\] simulating the survey", lines[0]), lines
    assert re.fullmatch(r"bigcats demo: \[2/3 +\d+\.\d s\] importing LLNP", lines[1]), lines
    assert re.fullmatch(r"bigcats demo: done in \d+\.\d s", lines[2]), lines
    assert "\x1b" not in buffer.getvalue()  # no terminal control codes in a log


def test_a_bar_and_a_record_on_a_terminal(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=buffer, force_terminal=True, width=120))
    with progress.step_progress("bigcats demo", total=2) as step:
        step("simulating the survey")
        step("importing LLNP")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())
    assert "simulating the survey" in text and "importing LLNP" in text


def test_disabled_prints_nothing(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=buffer, force_terminal=False))
    with progress.step_progress("x", enabled=False) as step:
        step("a")
    assert buffer.getvalue() == ""
