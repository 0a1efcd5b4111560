"""The one error root of bigcats: every error a user can cause derives from `BigcatsError`.

A `BigcatsError` is a refusal, not a crash: it says what was wrong (its message), where (its problems, each with
code, file, row, field and value, see `bigcats.problems`) and, where the user can fix it, how (`hint`). The CLI and
the web application each have one handler for it (exit code 1 / a 4xx JSON body); anything else reaching them is a
bug in bigcats and is reported as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from bigcats.problems import Problem


class BigcatsError(ValueError):
    """Input or a request bigcats refuses; nothing was changed.

    `problems` lists every problem found (may be empty when the message says it all); `hint` tells the user how to
    fix it; `status` is the HTTP status the web answers with (400 unless a subclass says otherwise).
    """

    status: int = 400
    code: str = "refused"

    def __init__(self, message: str = "", *, problems: "list[Problem] | None" = None, hint: str | None = None,
                 status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if problems is not None or not hasattr(self, "problems"):
            self.problem_list: list[Problem] = list(problems or [])
        self.hint = hint
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def all_problems(self) -> "list[Problem]":
        """Every problem carried, whatever the subclass keeps them in."""
        carried = getattr(self, "problems", None)
        if carried is None:
            return list(getattr(self, "problem_list", []))
        if hasattr(carried, "problems"):  # a ProblemList
            return list(carried.problems)
        from bigcats.problems import Problem

        return [p if isinstance(p, Problem) else Problem(code=self.code, message=str(p)) for p in carried]

    def to_dict(self) -> dict[str, Any]:
        """The error as one JSON-ready document: message, code, hint, problems, total count."""
        problems = self.all_problems()
        carried = getattr(self, "problems", None)
        total = getattr(carried, "total", len(problems))
        doc: dict[str, Any] = {"error": self.code, "message": str(self), "problems": [p.to_dict() for p in problems],
                               "problem_count": total}
        if self.hint:
            doc["hint"] = self.hint
        return doc


class NotFound(BigcatsError):
    """What was asked for does not exist (a species, an individual, a file)."""

    status = 404
    code = "not_found"


class Forbidden(BigcatsError):
    """The caller may not see or change what it asked for."""

    status = 403
    code = "forbidden"
