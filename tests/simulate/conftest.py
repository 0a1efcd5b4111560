"""Shared simulated surveys for the simulation tests (each simulation takes about a second)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
COUNTRIES = DATA / "naturalearth" / "countries_ne_asia_50m.geojson"


@pytest.fixture(scope="session")
def countries_path() -> Path:
    if not COUNTRIES.is_file():
        pytest.skip(f"shared data not found: {COUNTRIES}")
    return COUNTRIES


@pytest.fixture(scope="session")
def survey(countries_path):
    from bigcats.simulate import SurveyConfig, simulate_survey

    return simulate_survey(seed=1, config=SurveyConfig(countries_path=str(countries_path)))
