"""Species review: machine identifications least confident first, bulk decisions, history (editors)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from typing import Annotated

from fastapi import APIRouter, Query

from bigcats.web import species_review as sr
from bigcats.web.api.common import records
from bigcats.web.deps import Conn, LangDep, StateDep, UserDep

router = APIRouter(tags=["species review"])


class SpeciesDecision(BaseModel):
    """A person's identification for observations: a species (animals) or another type, optionally a count."""

    observations: list[int] = Field(min_length=1, max_length=sr.MAX_BULK)
    scientificName: str | None = None
    type: str = "animal"
    count: int | None = None
    note: str | None = Field(default=None, max_length=2000)


@router.get("/species-review")
def species_queue(conn: Conn, caller: UserDep, lang: LangDep, species: str | None = None,
                  partner: str | None = None, limit: int = 100, reviewed: bool = False) -> dict:
    """Machine identifications of the caller's partners to review, least confident burst first."""
    frame = sr.queue(conn, caller, species, partner, lang, limit, include_reviewed=reviewed)
    return {"items": records(frame)}


@router.post("/species-review")
def species_decide(body: SpeciesDecision, conn: Conn, caller: UserDep, state: StateDep) -> dict:
    """Record a person's identification for one or more observations (editors of their partner)."""
    out = sr.decide(conn, caller, body.observations, body.scientificName, body.type, body.count, body.note)
    conn.commit()
    # Counts and the stations where sensitive species were seen may have changed.
    state.summary.clear()
    state.sensitive.clear()
    return out


@router.get("/review-plan")
def review_plan(conn: Conn, caller: UserDep, occasion_days: int = 7,
                species: Annotated[list[str] | None, Query(description="scientific names; repeat")] = None,
                limit: int = 100) -> dict:
    """Per species: expected false and missed stations, the events to review next in order (camtraptools' plan)."""
    return sr.review_plan(conn, caller, occasion_days, species, limit)


@router.get("/species-review/history")
def species_history(conn: Conn, caller: UserDep, observation: int | None = None, limit: int = 200) -> list[dict]:
    """Who changed which identification, from what to what, beside the machine's original guess."""
    return records(sr.history(conn, caller, observation, limit))
