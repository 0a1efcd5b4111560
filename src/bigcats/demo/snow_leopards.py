"""The demo's third component: snow leopards on the Mongolia–Russia border in the Altai.

The programme watches three cats: Amur tigers and Amur leopards on the China–Russia border (the demo's main
survey) and snow leopards (Panthera uncia) on the Sailugem and Chikhachev ridges, where Sailyugemsky National Park
(Russia, Altai Republic) meets Siilkhem Nuruu National Park (Mongolia, Bayan-Ölgii). This step simulates that
survey as the first one is simulated (camera stations on both sides, cats whose home ranges cross the border),
writes each partner's Camtrap DP package (the Mongolian partner's in its own Cyrillic labels: park name, station
codes, catalogue codes), imports both, identifies the cats from their coats and reconciles the two catalogues into
one cross-border catalogue.

The Altai survey goes into its own store (OUT/altai/bigcats-demo-altai.db), not the main survey's: every
whole-store analysis (effort per country, density, a report of "all") would otherwise mix two landscapes 3,000 km
apart into one state-space and one effort table (see ARCHITECTURE.md, "Landscapes").
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine

from bigcats.analysis.survey_summary import survey_summary
from bigcats.simulate.config import CatSpecies, OtherSpecies, Partner, SurveyConfig
from bigcats.simulate.rhythm import Rhythm
from bigcats.simulate.survey import simulate_survey
from bigcats.store.db import open_store
from bigcats.store.query import load_frames

SNOW_LEOPARD = "Panthera uncia"
# Snow leopards are most active at dawn and dusk (camera-trap studies in Mongolia and the Altai).
SNOW_LEOPARD_RHYTHM = Rhythm(means_h=(6.5, 19.5), kappas=(3.0, 3.0), weights=(0.5, 0.5))
DAYTIME = Rhythm(means_h=(9.0, 17.0), kappas=(3.0, 3.0), weights=(0.5, 0.5))
NIGHT = Rhythm(means_h=(1.0,), kappas=(2.0,), weights=(1.0,))

ALTAI_CATS: tuple[CatSpecies, ...] = (
    # About 20-30 cats over the ridges' state-space; sigma of 4.5 km, as SCR studies of snow leopards report.
    CatSpecies(SNOW_LEOPARD, "snow_leopard", 24, 4500.0, 0.04, SNOW_LEOPARD_RHYTHM, p_identifiable=0.6),
)
ALTAI_OTHERS: tuple[OtherSpecies, ...] = (
    OtherSpecies("Capra sibirica", "animal", 0.7, 0.1, DAYTIME, mean_group=4.0),
    OtherSpecies("Ovis ammon", "animal", 0.3, 0.04, DAYTIME, mean_group=3.0),
    OtherSpecies("Vulpes vulpes", "animal", 0.5, 0.04, NIGHT),
    OtherSpecies("Canis lupus", "animal", 0.3, 0.02, NIGHT, mean_group=1.5),
    OtherSpecies("Otocolobus manul", "animal", 0.2, 0.01, SNOW_LEOPARD_RHYTHM),
    # Herders' goats graze the Mongolian side far more than the Russian park.
    OtherSpecies("Capra hircus", "animal", 0.1, 0.08, DAYTIME, mean_group=8.0, psi_by_country=(("MNG", 0.5),)),
    OtherSpecies("Homo sapiens", "human", 0.3, 0.03, DAYTIME, psi_by_country=(("MNG", 0.5),)),
    OtherSpecies(None, "blank", 1.0, 0.05, Rhythm((13.0,), (1.5,), (1.0,)), rate_sdlog=0.8),
)
ALTAI_PARTNERS: tuple[Partner, ...] = (
    Partner("SNP", "RUS", 420, "Sailyugemsky National Park", "SG-", 3,
            (("snow_leopard", "Irbis-{n:02d}"),), "Reconyx", "HF2X Hyperfire 2"),
    # The Mongolian park's own data: its Mongolian name, Cyrillic station codes (СН: Сийлхэмийн нуруу) and
    # catalogue codes (ИР: ирвэс, the snow leopard).
    Partner("SNNP", "MNG", 420, "Сийлхэмийн нурууны байгалийн цогцолборт газар", "СН-", 2,
            (("snow_leopard", "ИР-{n:02d}"),), "Bushnell", "Core DS-4K"),
)

# Sailugem ridge along the border, the Chikhachev ridge to its east; UTM 45N for metres.
ALTAI_CONFIG = SurveyConfig(bbox=(87.9, 49.0, 89.9, 50.1), centre=(88.9, 49.47), n_stations=40, spacing_km=4.0,
                            crs="EPSG:32645", cats=ALTAI_CATS, others=ALTAI_OTHERS, partners=ALTAI_PARTNERS)
QUICK_STATIONS = 30


def altai_config(quick: bool = False) -> SurveyConfig:
    """The Altai survey's settings (fewer stations with quick)."""
    from dataclasses import replace

    return replace(ALTAI_CONFIG, n_stations=QUICK_STATIONS) if quick else ALTAI_CONFIG


def altai_store(out: Path) -> Engine:
    """The Altai component's own store under the demo's folder."""
    folder = Path(out) / "altai"
    folder.mkdir(parents=True, exist_ok=True)
    return open_store(str(folder / "bigcats-demo-altai.db"))


def run_snow_leopards(out: Path, seed: int = 1, quick: bool = False, individuals: int = 8) -> dict:
    """Simulate, exchange, import, summarise and identify the Altai snow-leopard survey; returns what it did."""
    from bigcats.demo.identification import run_identification
    from bigcats.demo.pipeline import record_agreements, write_partner_packages
    from bigcats.exchange.camtrapdp.importer import import_package

    t0 = time.perf_counter()
    out = Path(out)
    survey = simulate_survey(seed, altai_config(quick))
    engine = altai_store(out)
    paths = write_partner_packages(survey, out / "altai" / "packages", joint_catalogue=False)
    imports = {}
    for code, path in paths.items():
        share = survey.partners[code]
        imports[code] = import_package(engine, path, code, partner_name=share.protected_area,
                                       country=share.country).added
    agreements = record_agreements(engine, sorted(paths))
    identification = run_identification(engine, survey.truth, out / "altai", seed=seed,
                                        individuals_per_species=individuals, species={SNOW_LEOPARD: "snow_leopard"})
    # After the reconciliation: cats seen on both sides are those whose two catalogue entries were linked.
    summary = survey_summary(load_frames(engine))
    return {"db": engine.url.render_as_string(hide_password=True), "packages": {k: str(v) for k, v in paths.items()},
            "imports": imports, "agreements": agreements, "summary": summary, "truth": survey.summary(),
            "identification": identification, "seconds": round(time.perf_counter() - t0, 1)}

