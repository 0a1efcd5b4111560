"""The demo's last step: status reports and public brochures of the simulated survey's big cats, in several languages.

Written to OUT/reports/: for each species and language the full status report (HTML and PDF) and the public
brochure (HTML and PDF, locations generalised to grid cells).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from bigcats.fonts import pdf_problem, warn_once
from bigcats.report.builder import build_status
from bigcats.report.inputs import load_inputs
from bigcats.report.render import render

DEMO_SPECIES = ("Panthera tigris altaica", "Panthera pardus orientalis")


def run_reports(engine: Engine, out: Path, languages: tuple[str, ...] = ("en", "ru", "zh"),
                species: tuple[str, ...] = DEMO_SPECIES, n_boot: int = 200,
                estimates: dict[str, dict] | None = None) -> dict:
    """Write the status report and brochure of each species in each language to out/reports/; returns the files.

    `estimates` gives, per species, what other steps estimated: `population` rows and a `movement` table.
    """
    folder = Path(out) / "reports"
    # Without a PDF engine (Pango is a system library) the reports are still written as HTML, with one warning.
    problem = pdf_problem()
    formats = ("html", "pdf") if problem is None else ("html",)
    if problem:
        warn_once("pdf", f"reports are written as HTML only: {problem}")
    inputs = load_inputs(engine)
    seen = set(inputs.frames.observations["scientificName"].dropna()) if not inputs.frames.observations.empty else set()
    written: dict[str, dict[str, dict[str, str]]] = {}
    for name in (s for s in species if s in seen):  # a couple of species, each built once for every language
        extra = (estimates or {}).get(name, {})
        status = build_status(inputs, name, "all", "", n_boot=n_boot, population=extra.get("population"),
                              movement=extra.get("movement"))
        files: dict[str, dict[str, str]] = {}
        for lang in languages:
            for kind in ("status", "brochure"):
                rendered = render(status, lang, folder, formats=formats, kind=kind)
                files[f"{kind}-{lang}"] = {fmt: str(path) for fmt, path in rendered.files.items()}
        written[name] = files
    return {"folder": str(folder), "reports": written}
