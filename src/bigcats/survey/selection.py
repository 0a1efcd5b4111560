"""A selection of the surveys (partner, project, country side, protected area, species, period) and its frames."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from bigcats.core.frames import SelectionError, SurveyFrames
from bigcats.core.period import Period


@dataclass(frozen=True)
class Selection:
    """What part of the surveys a question is about; None means all. Species are scientific names."""

    partner: str | None = None
    project: str | None = None
    country: str | None = None
    protected_area: str | None = None
    species: tuple[str, ...] = field(default_factory=tuple)
    period: str | Period | None = None

    def apply(self, frames: SurveyFrames) -> SurveyFrames:
        """The frames of this selection (deployments clipped to the period; observations of its species)."""
        return frames.select(partner=self.partner, project=self.project, country=self.country,
                             protected_area=self.protected_area, species=self.species or None, period=self.period)


def load(engine: Engine, selection: Selection | None = None) -> SurveyFrames:
    """Survey frames of a selection from the store; refused with a hint when the store holds no deployments."""
    from bigcats.store.query import load_frames

    selection = selection or Selection()
    frames = load_frames(engine, partner=selection.partner, project=selection.project)
    if frames.empty:
        where = f"partner {selection.partner}" if selection.partner else "the database"
        raise SelectionError(f"no camera deployments in {where}",
                             hint="import data first: `bigcats import camtrap-dp PATH --partner P --country ISO3`, "
                                  "`bigcats ingest ...`, or `bigcats demo`")
    return selection.apply(frames)
