"""The one exception of bigcats.census: census input refused, each problem naming file, row, route or species."""

from __future__ import annotations


class CensusError(ValueError):
    """Census input refused; nothing was imported. `problems` lists every problem found, one a line."""

    def __init__(self, what: str, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        shown = self.problems[:20] + ([f"... and {len(self.problems) - 20} more"] if len(self.problems) > 20 else [])
        super().__init__(f"{what}: " + ("\n  " + "\n  ".join(shown) if len(shown) > 1 else shown[0]))
