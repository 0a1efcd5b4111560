"""Problems found in users' data, as values: each names the file, the row and the field.

Modelled on frictionless' errors: a stable code, a message, and where it happened; a report collects them, and one
exception class carries a report when the input is refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from bigcats.errors import BigcatsError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and exactly where."""

    code: str
    message: str
    file: str | None = None
    row: int | None = None  # line number in the file as a spreadsheet shows it (header is line 1)
    field: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        value = self.value if self.value is None or len(self.value) <= 80 else self.value[:77] + "..."
        where = ", ".join(
            part for part in (
                self.file,
                f"row {self.row}" if self.row is not None else None,
                f"field '{self.field}'" if self.field else None,
            ) if part
        )
        shown = f" (value: {value!r})" if value is not None else ""
        return f"{where}: {self.message}{shown}" if where else f"{self.message}{shown}"

    def to_dict(self) -> dict:
        """The problem as a plain dictionary for JSON output."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ProblemList:
    """Problems collected while reading, capped so a broken million-row file stays readable."""

    limit: int = 200
    problems: list[Problem] = field(default_factory=list)
    total: int = 0
    # Things worth telling the user that do not refuse the input (kept verbatim, reported).
    warnings: list[Problem] = field(default_factory=list)

    def warn(self, problem: Problem) -> None:
        """Record a warning: reported to the user, the input is still accepted."""
        if len(self.warnings) < self.limit:
            self.warnings.append(problem)

    def add(self, problem: Problem) -> None:
        """Record a problem (kept if under the limit, always counted)."""
        self.total += 1
        if len(self.problems) < self.limit:
            self.problems.append(problem)

    def __bool__(self) -> bool:
        return self.total > 0

    def summary(self, shown: int = 20) -> str:
        """The first problems as text, one a line, with a count of the rest."""
        lines = [str(p) for p in self.problems[:shown]]
        if self.total > shown:
            listed = len(self.problems)
            where = ("--json lists them all" if listed >= self.total else
                     f"--json lists the first {listed:,}; the others are only counted")
            lines.append(f"... and {self.total - shown:,} more problem(s) ({where})")
        return "\n".join(lines)


class DataError(BigcatsError):
    """Input refused: nothing was changed. Carries every problem found, each with file, row and field."""

    def __init__(self, problems: ProblemList | list[Problem], what: str = "input") -> None:
        if isinstance(problems, list):
            plist = ProblemList()
            for p in problems:
                plist.add(p)
            problems = plist
        self.problems = problems
        super().__init__(f"{what} refused, nothing was changed; {problems.total} problem(s):\n{problems.summary()}")


class IntakeError(DataError):
    """A partner's source was refused (tables are all-or-nothing); every problem carries file, row and field."""
