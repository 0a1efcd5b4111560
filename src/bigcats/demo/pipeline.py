"""The main job: simulate a transboundary survey, exchange it as the partners would, import it, summarise it.

Each capability of bigcats adds its step here, so that one command shows everything the system does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from bigcats.analysis.survey_summary import survey_summary
from bigcats.demo.analytics import run_analytics
from bigcats.demo.census import run_census
from bigcats.demo.identification import run_identification
from bigcats.demo.maps import run_maps
from bigcats.demo.population import run_population
from bigcats.demo.reports import run_reports
from bigcats.demo.snow_leopards import SNOW_LEOPARD, run_snow_leopards
from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.exchange.camtrapdp.writer import write_package
from bigcats.simulate.config import SurveyConfig
from bigcats.simulate.survey import SimulatedSurvey, simulate_survey
from bigcats.store.db import open_store
from bigcats.store.query import load_frames

Step = Callable[[str], None]

CATALOGUE_PREFIX = {"Panthera tigris altaica": "AT", "Panthera pardus orientalis": "AL", "Panthera uncia": "SL"}


@dataclass
class DemoResult:
    """Where the demo wrote things, what the database now holds, and the truth beside the estimates."""

    out: Path
    db_url: str
    packages: dict[str, str] = field(default_factory=dict)
    imports: dict[str, dict] = field(default_factory=dict)
    agreements: list[int] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    truth: dict = field(default_factory=dict)
    analytics: dict = field(default_factory=dict)
    population: dict = field(default_factory=dict)
    identification: dict = field(default_factory=dict)
    census: dict = field(default_factory=dict)
    maps: dict = field(default_factory=dict)
    reports: dict = field(default_factory=dict)
    snow_leopards: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The result as a plain dictionary for JSON output."""
        return {"out": str(self.out), "db": self.db_url, "packages": self.packages, "imports": self.imports,
                "agreements": self.agreements,
                "summary": self.summary, "truth": self.truth, "analytics": self.analytics,
                "population": self.population, "identification": self.identification, "census": self.census,
                "maps": self.maps,
                "reports": self.reports, "snow_leopards": self.snow_leopards}


def catalogue_codes(survey: SimulatedSurvey) -> pd.DataFrame:
    """The partners' joint catalogue: one shared code per true animal, beside each partner's own code."""
    codes = survey.truth.codes.copy()
    prefix = codes["scientificName"].map(CATALOGUE_PREFIX).fillna("X")
    number = codes["trueID"].str.extract(r"(\d+)$", expand=False).fillna("0").astype(int)
    codes["catalogueID"] = prefix + "-" + number.map("{:03d}".format)
    return codes


def write_partner_packages(survey: SimulatedSurvey, folder: Path, joint_catalogue: bool = True) -> dict[str, Path]:
    """Each partner's share as its own Camtrap DP package, in the partner's own codes and clock.

    joint_catalogue: each individual also carries the partners' shared catalogue code; without it the partners'
    catalogues are separate until identification reconciles them.
    """
    codes = catalogue_codes(survey)
    if not joint_catalogue:
        codes = codes.assign(catalogueID=None)
    paths = {}
    for code, share in survey.partners.items():
        individuals = share.individuals.merge(
            codes[["partner", "partnerCode", "catalogueID"]], on=["partner", "partnerCode"], how="left")
        individuals = individuals[["individualID", "scientificName", "sex", "catalogueID"]]
        paths[code] = write_package(
            folder / code, share.deployments, share.media, share.observations, share.outages, individuals,
            metadata={"name": f"{code.lower()}-camera-traps-{survey.truth.config.year}",
                      "id": f"{code}-{survey.truth.config.year}-seed{survey.truth.seed}",
                      "title": f"{share.protected_area}: camera-trap survey {survey.truth.config.year} (simulated)",
                      "contributors": [{"title": share.protected_area, "role": "rightsHolder"}],
                      # The simulator lays stations on a regular grid with a random origin.
                      "project": {"samplingDesign": "systematicRandom"}})
    return paths


def population_for_report(population: dict) -> dict[str, dict]:
    """The population step's estimates in the shape the report takes (numbers per region, movement per animal)."""
    out = {}
    for species, res in population.get("species", {}).items():
        if "error" in res:
            continue
        movement = pd.DataFrame(res["movement"]["individuals"]).assign(scientificName=species)
        out[species] = {"population": res["report_rows"], "movement": movement}
    return out


# `bigcats demo --quick`: the same steps on a smaller survey with fewer bootstrap replicates and coat photos
QUICK = {"stations": 100, "analytics_boot": 50, "census_boot": 200, "report_boot": 50, "photographed": 5,
         "snow_leopards": 4}
SNOW_LEOPARDS_PHOTOGRAPHED = 6  # cats photographed for the Altai catalogues: the added step stays short


def demo_steps(reports: bool = True, quick: bool = False) -> int:
    """How many times run_demo calls its step callback (for a progress bar's total)."""
    # simulate, packages, one import per partner, agreements, summary, analytics, population, identification,
    # snow leopards, census, maps, and the reports when asked
    return 10 + len(SurveyConfig().partners) + int(reports)


def record_agreements(engine: Engine, partners: list[str]) -> list[int]:
    """The agreements the parks would sign: exact locations between each other, generalised to the public."""
    from bigcats.web.sharing import record

    note = "demo: the parks' transboundary agreement"
    with engine.begin() as conn:
        ids = [record(conn, a, b, exact_locations=True, note=note, who="demo") for a in partners for b in partners
               if a != b]
        ids += [record(conn, a, None, note="demo: public sharing, sensitive locations generalised", who="demo")
                for a in partners]
    return ids


def run_demo(out: str | Path = "bigcats-demo", db: str | None = None, seed: int = 1,
             step: Step | None = None, languages: tuple[str, ...] = ("en", "ru", "zh"),
             reports: bool = True, quick: bool = False) -> DemoResult:
    """Simulate, exchange, import, analyse, estimate numbers and write the reports of a transboundary survey.

    quick: a survey of 100 stations instead of about 150, with fewer bootstrap replicates and coat photos; every
    step still runs (a check that everything works, e.g. on a fresh installation).
    """
    step = step or (lambda message: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # The demo's data is simulated: it gets its own database unless the user names one on purpose.
    engine: Engine = open_store(db or str(out / "bigcats-demo.db"))
    result = DemoResult(out, engine.url.render_as_string(hide_password=True))

    step("simulating the survey")
    survey = simulate_survey(seed, SurveyConfig(n_stations=QUICK["stations"]) if quick else None)
    step("writing each partner's Camtrap DP package")
    paths = write_partner_packages(survey, out / "packages")
    for code, path in paths.items():
        share = survey.partners[code]
        step(f"importing {code}")
        imported = import_package(engine, path, code, partner_name=share.protected_area, country=share.country)
        result.packages[code] = str(path)
        result.imports[code] = imported.added
    step("recording the parks' sharing agreements")
    result.agreements = record_agreements(engine, sorted(paths))
    step("summarising from the database")
    frames = load_frames(engine)
    result.summary = survey_summary(frames)
    result.truth = survey.summary()
    step("effort, relative abundance, activity, overlap and occupancy")
    result.analytics = run_analytics(frames, survey.truth, out / "analytics",
                                     **({"n_boot": QUICK["analytics_boot"]} if quick else {}))
    step("density, movement across the border and home ranges")
    result.population = run_population(frames, survey.truth, out / "population")
    step("identifying cats from their coats: photos, matching, cross-border reconciliation, review queue")
    result.identification = run_identification(
        engine, survey.truth, out, seed=seed, **({"individuals_per_species": QUICK["photographed"]} if quick else {}))
    step("snow leopards on the Mongolia-Russia border (Altai): survey, packages, import, coats, one catalogue")
    result.snow_leopards = run_snow_leopards(
        out, seed=seed, quick=quick,
        individuals=QUICK["snow_leopards"] if quick else SNOW_LEOPARDS_PHOTOGRAPHED)
    step("winter track census of tigers and their prey")
    sides = {}
    for code, share in sorted(survey.partners.items()):
        sides.setdefault(share.country, code)  # each side's first partner runs its census teams
    result.census = run_census(survey.truth, out / "census", seed=seed, engine=engine, partners=sides,
                               **({"n_boot": QUICK["census_boot"]} if quick else {}))
    step("one map of the transboundary area and its habitats")
    result.maps = run_maps(frames, survey.truth, out / "maps", seed=seed, languages=languages)
    if reports:
        step("status reports and brochures in " + ", ".join(languages))
        boot = {"n_boot": QUICK["report_boot"]} if quick else {}
        result.reports = run_reports(engine, out, languages=languages,
                                     estimates=population_for_report(result.population), **boot)
        # The Altai's snow leopards from their own store, in the first language only (keeps the demo short).
        altai = run_reports(open_store(result.snow_leopards["db"]), out, languages=languages[:1],
                            species=(SNOW_LEOPARD,), **boot)
        result.reports["reports"].update(altai["reports"])
    (out / "summary.json").write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str),
                                      encoding="utf-8")
    return result
