"""The one exception class of the identification package."""

from __future__ import annotations

from bigcats.errors import BigcatsError


class IdentifyError(BigcatsError):
    """Bad input to identification: names what is wrong and where (file, row, field, image, species)."""


class UnidentifiableImage(IdentifyError):
    """A photo that cannot be identified; `reason` is one of too_small, blank, too_blurred, too_few_features, unreadable, no_animal."""

    def __init__(self, reason: str, detail: str, source: str | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}cannot identify ({reason}): {detail}")
