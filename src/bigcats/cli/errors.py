"""The CLI's one error handler: a refusal is a message (and its problems) with exit 1, never a traceback.

Every command runs inside `BigcatsGroup.invoke`, so one place decides how errors reach a user:
- `BigcatsError` (bad input, refused request): the message and each problem on stderr, or with `--json` one JSON
  document `{"error": ..., "problems": [...]}` on stdout; exit code 1.
- wrong usage (unknown option, missing argument): click's usage message; exit code 2.
- anything else is a bug in bigcats: one sentence saying so, exit code 3; `bigcats --debug ...` shows the traceback.
"""

from __future__ import annotations

import json
import sys

import typer
from typer._click.exceptions import ClickException
from typer.core import TyperCommand, TyperGroup

from bigcats.errors import BigcatsError

SHOWN_PROBLEMS = 20


def report_error(error: BigcatsError, as_json: bool) -> None:
    """Write a refusal for a person (stderr) or, with --json, as one JSON document on stdout."""
    if as_json:
        sys.stdout.write(json.dumps(error.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n")
        return
    doc = error.to_dict()
    message = str(error)
    lines = [f"error: {message}"]
    # DataError's message already lists its first problems; list them only when the message does not.
    problems = doc["problems"]
    if problems and "\n" not in message:
        for p in error.all_problems()[:SHOWN_PROBLEMS]:
            lines.append(f"  {p}")
        if doc["problem_count"] > SHOWN_PROBLEMS:
            lines.append(f"  ... and {doc['problem_count'] - SHOWN_PROBLEMS} more (--json lists them all)")
    if error.hint:
        lines.append(f"hint: {error.hint}")
    typer.echo("\n".join(lines), err=True)


def _wants_json(ctx: typer.Context) -> bool:
    rest = list(getattr(ctx, "protected_args", []) or []) + list(ctx.args or [])
    return "--json" in rest or "--json" in sys.argv[1:]


def _run(ctx: typer.Context, invoke):
    """Run a command or group inside the one error handler (see the module docstring)."""
    if ctx.meta.get("bigcats.handled"):
        return invoke(ctx)  # an outer group already handles errors for this run
    ctx.meta["bigcats.handled"] = True
    as_json = _wants_json(ctx)
    debug = "--debug" in sys.argv[1:] or bool(ctx.find_root().params.get("debug"))
    try:
        return invoke(ctx)
    except BigcatsError as error:
        if debug:
            raise
        report_error(error, as_json)
        raise typer.Exit(1) from None
    except (ClickException, typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except MemoryError:
        typer.echo("error: out of memory; try a smaller selection or a machine with more memory", err=True)
        raise typer.Exit(3) from None
    except Exception as error:  # a bug in bigcats, not the user's fault
        if debug:
            raise
        typer.echo(
            f"internal error in bigcats ({type(error).__name__}: {error}).\n"
            "This is a bug, not a problem with your data. Run the same command with `bigcats --debug ...` "
            "for the traceback and report it.", err=True)
        raise typer.Exit(3) from None


def _bool_default(option):
    # typer coerces a parameter whose value is not yet a bool through pydantic (0.2-0.3 s to import) and leaves
    # --help's default at None; every group on the way to a command processes its own --help, so without a bool
    # default `bigcats import camtrap-dp --help` paid for pydantic only to learn that --help was not given
    if option is not None and option.default is None:
        option.default = False
    return option


class BigcatsGroup(TyperGroup):
    """A command group that runs its sub-commands inside the one error handler."""

    def invoke(self, ctx: typer.Context):  # type: ignore[override]
        return _run(ctx, super().invoke)

    def get_help_option(self, ctx: typer.Context):  # type: ignore[override]
        return _bool_default(super().get_help_option(ctx))

    def main(self, *args, **kwargs):  # type: ignore[override]
        # sub-apps made with a plain typer.Typer have their own groups: settle their --help defaults too
        _settle_help_options(self, self.context_class(self))
        return super().main(*args, **kwargs)


def _settle_help_options(command, ctx) -> None:
    """Give every group's and command's --help under `command` a bool default (see `_bool_default`)."""
    _bool_default(command.get_help_option(ctx))
    for sub in getattr(command, "commands", {}).values():
        _settle_help_options(sub, ctx)


class BigcatsCommand(TyperCommand):
    """A command that runs inside the one error handler (also when a test invokes its sub-app directly)."""

    def invoke(self, ctx: typer.Context):  # type: ignore[override]
        return _run(ctx, super().invoke)

    def get_help_option(self, ctx: typer.Context):  # type: ignore[override]
        return _bool_default(super().get_help_option(ctx))


class BigcatsTyper(typer.Typer):
    """typer.Typer whose groups and commands all run inside the one error handler."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("cls", BigcatsGroup)
        kwargs.setdefault("pretty_exceptions_show_locals", False)
        super().__init__(*args, **kwargs)

    def command(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("cls", BigcatsCommand)
        return super().command(*args, **kwargs)
