"""Bad settings are refused with a message that names the setting."""

from __future__ import annotations

import pytest

from bigcats.simulate import CatSpecies, Rhythm, SimulationError, SurveyConfig, simulate_survey

NOON = Rhythm((12.0,), (1.0,), (1.0,))


def test_bad_settings_name_what_is_wrong(tmp_path, countries_path):
    with pytest.raises(SimulationError, match="n_stations"):
        SurveyConfig(n_stations=1)
    with pytest.raises(SimulationError, match="failure_fraction"):
        SurveyConfig(failure_fraction=1.5)
    with pytest.raises(SimulationError, match="bbox"):
        SurveyConfig(bbox=(131.7, 42.5, 130.3, 43.6))
    with pytest.raises(SimulationError, match="Panthera uncia"):
        SurveyConfig(cats=(CatSpecies("Panthera uncia", "snow_leopard", 5, -1.0, 0.1, NOON),))
    with pytest.raises(SimulationError, match="snow_leopard"):
        SurveyConfig(cats=(CatSpecies("Panthera uncia", "snow_leopard", 5, 3000.0, 0.1, NOON),))
    with pytest.raises(SimulationError, match="kappas"):
        Rhythm((1.0, 2.0), (1.0,), (1.0, 1.0))
    with pytest.raises(SimulationError, match="seed"):
        simulate_survey(seed=-3)
    missing = tmp_path / "nowhere.geojson"
    with pytest.raises(SimulationError, match="nowhere.geojson"):
        simulate_survey(config=SurveyConfig(countries_path=str(missing)))
    with pytest.raises(SimulationError, match="grid points on land"):
        simulate_survey(config=SurveyConfig(countries_path=str(countries_path), n_stations=5000))
    assert issubclass(SimulationError, ValueError)


def test_a_small_survey_keeps_the_truth_consistent(countries_path):
    """A different design (60 stations, 5 km apart, 10 tigers, no prey) still hangs together."""
    tiger = CatSpecies("Panthera tigris altaica", "tiger", 10, 6000.0, 0.05, Rhythm((20.0,), (1.0,), (1.0,)))
    cfg = SurveyConfig(countries_path=str(countries_path), n_stations=60, spacing_km=5.0, cats=(tiger,), others=())
    s = simulate_survey(seed=5, config=cfg)
    assert len(s.truth.stations) == 60
    obs = s.frame("observations")
    assert set(obs["scientificName"]) == {"Panthera tigris altaica"}
    assert len(s.truth.cats["Panthera tigris altaica"].centres) == 10
    assert (s.truth.cats["Panthera tigris altaica"].centres["detected_events"].sum() == len(obs))
