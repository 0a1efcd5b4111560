"""`bigcats review-plan`: per species, how many station records may still be wrong and which events to review."""

from __future__ import annotations

from typing import Annotated

import typer

from bigcats.cli.common import DbOption, JsonOption, emit, human_view


def review_plan(
    db: DbOption = None,
    partner: Annotated[str | None, typer.Option(help="Only this partner's observations (its code).")] = None,
    species: Annotated[list[str] | None, typer.Option(help="Plan these species only (scientific names).")] = None,
    occasion_days: Annotated[int, typer.Option(help="Days per occasion of the detection history.")] = 7,
    tolerance: Annotated[float, typer.Option(help="Doubt left allowed, as a share of a species' records.")] = 0.05,
    min_gain: Annotated[float, typer.Option(help="Leave out events less likely than this to change a record.")] = 0.05,
    limit: Annotated[int, typer.Option(help="Events to list.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Plan the species review (camtraptools' method): the machine is calibrated on the reviews so far; each
    species gets its expected false and missed stations and the events to review, in order, until its occupancy
    and abundance results no longer depend on the machine's mistakes."""
    from sqlalchemy import select

    from bigcats.errors import BigcatsError
    from bigcats.store.db import open_store
    from bigcats.store.models import Partner
    from bigcats.store.review_events import plan_document, store_review_plan

    engine = open_store(db)
    with engine.connect() as conn:
        ids = None
        if partner:
            pid = conn.execute(select(Partner.id).where(Partner.code == partner)).scalar_one_or_none()
            if pid is None:
                raise BigcatsError(f"review plan: no partner with the code {partner!r}")
            ids = [pid]
        doc = plan_document(store_review_plan(conn, ids, occasion_days, species or None, tolerance, min_gain),
                            limit)
    human = None
    if not as_json:
        from rich.console import Group

        human = Group(human_view(doc["species"], title=f"Review plan ({doc['reviewed']} reviews so far)"),
                      human_view([{k: e[k] for k in ("order", "observation", "partner", "station", "time",
                                                      "machine", "confidence", "species", "doubt")}
                                  for e in doc["events"]],
                                 title=f"Events to review next ({len(doc['events'])} of {doc['eventsToReview']})"))
    emit(doc, as_json, human=human)
