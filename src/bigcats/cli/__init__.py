"""The `bigcats` command line: one command per task, thin over the library API."""

from __future__ import annotations

import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli import (
    analyse,
    catalogue,
    census,
    demo,
    exchange,
    forms,
    health,
    identify,
    ingest,
    layers,
    maps,
    population,
    report,
    review_plan,
    serve,
    smart,
    species,
    store,
    sync,
    users,
)

app = BigcatsTyper(
    name="bigcats",
    help="Transboundary monitoring of Amur tigers, Amur leopards and snow leopards.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    # typer's --install-completion/--show-completion options are coerced through pydantic on every run, which
    # costs 0.2-0.3 s of start-up for every command; start-up matters more than shell completion here
    add_completion=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks of internal errors (for bug reports)."),
) -> None:
    """Transboundary monitoring of Amur tigers, Amur leopards and snow leopards."""
app.add_typer(exchange.import_app, name="import")
app.add_typer(exchange.export_app, name="export")
app.command("validate")(exchange.validate)
app.command("stats")(store.stats)
app.add_typer(store.db_app, name="db")
app.command("demo")(demo.demo)
app.add_typer(analyse.app, name="analyse")
app.command("ingest")(ingest.ingest)
app.command("labels")(ingest.labels)
app.add_typer(census.app, name="census")
app.add_typer(maps.app, name="maps")
app.command("density")(population.density)
app.command("movement")(population.movement)
app.command("homerange")(population.homerange)
app.command("report")(report.report)
app.command("serve")(serve.serve)
app.add_typer(users.app, name="users")
app.add_typer(identify.app, name="identify")
app.add_typer(sync.app, name="exchange")
app.add_typer(layers.app, name="layers")
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(forms.app, name="forms")
app.add_typer(health.app, name="health")
app.command("smart")(smart.smart)
app.add_typer(species.app, name="species")
app.command("review-plan")(review_plan.review_plan)


def main() -> None:
    """Entry point of the `bigcats` console script."""
    app()
