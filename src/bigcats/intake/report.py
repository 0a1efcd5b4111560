"""The intake report: what came in, what was skipped and why, what was flagged or corrected; kept in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bigcats.core.clock import utcnow_iso
from bigcats.problems import IntakeError, Problem, ProblemList  # noqa: F401  (IntakeError re-exported)


@dataclass
class IntakeReport:
    """Everything a user must know about one intake run, serialisable to JSON for the intake_batch table."""

    source: str
    format: str
    partner: str | None = None
    started_at: str = field(default_factory=lambda: utcnow_iso())
    finished_at: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    errors: ProblemList = field(default_factory=lambda: ProblemList(limit=10_000))
    warnings: ProblemList = field(default_factory=lambda: ProblemList(limit=10_000))
    skipped_files: list[dict] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)
    unmatched_labels: list[dict] = field(default_factory=list)
    # Records with a date but no time: how many, which rows, which analyses count or leave them out.
    time_unknown: dict = field(default_factory=dict)
    new_taxa: list[str] = field(default_factory=list)  # species names not in the shipped list

    def error(self, problem: Problem) -> None:
        """Record a problem that kept a file or row out of the intake."""
        self.errors.add(problem)

    def warn(self, problem: Problem) -> None:
        """Record a problem that was flagged but let the data in (e.g. a 1970 timestamp)."""
        self.warnings.add(problem)

    def skip(self, file: str, problem: Problem) -> None:
        """List a file that did not come in, with the reason."""
        self.skipped_files.append({"file": file, "code": problem.code, "message": problem.message})
        self.errors.add(problem)

    def finish(self, **counts: int) -> IntakeReport:
        """Stamp the end time and the final counts."""
        self.counts.update({k: int(v) for k, v in counts.items()})
        self.finished_at = utcnow_iso()
        return self

    @property
    def status(self) -> str:
        """'ok', 'warnings' or 'partial' (some files skipped)."""
        if self.errors:
            return "partial"
        return "warnings" if self.warnings else "ok"

    def to_dict(self) -> dict:
        """The report as plain JSON-ready values."""
        return {
            "source": self.source, "format": self.format, "partner": self.partner, "status": self.status,
            "started_at": self.started_at, "finished_at": self.finished_at, "counts": self.counts,
            "errors": [p.to_dict() for p in self.errors.problems], "n_errors": self.errors.total,
            "warnings": [p.to_dict() for p in self.warnings.problems], "n_warnings": self.warnings.total,
            "skipped_files": self.skipped_files, "corrections": self.corrections,
            "unmatched_labels": self.unmatched_labels, "time_unknown": self.time_unknown, "new_taxa": self.new_taxa,
        }

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str)

    def summary(self) -> str:
        """A few lines for a terminal."""
        lines = [f"{self.format} intake of {self.source}: {self.status}"]
        lines += [f"  {k}: {v}" for k, v in self.counts.items()]
        if self.time_unknown.get("count"):
            t = self.time_unknown
            lines.append(f"  records without a time: {t['count']} (kept, flagged; counted in {', '.join(t['counted_in'])};"
                         f" left out of {', '.join(t['left_out_of'])})")
        if self.new_taxa:
            lines.append(f"  species added to the species table: {len(self.new_taxa)}")
        if self.skipped_files:
            lines.append(f"  skipped files: {len(self.skipped_files)}")
        if self.errors:
            lines.append("  errors:\n    " + self.errors.summary(10).replace("\n", "\n    "))
        if self.warnings:
            lines.append("  warnings:\n    " + self.warnings.summary(10).replace("\n", "\n    "))
        return "\n".join(lines)
