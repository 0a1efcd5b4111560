"""The demo's winter track census recovers the simulated truth: FMP densities, biomass and the minimum of tigers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from bigcats.census.routes import read_routes
from bigcats.demo.census import PREY, run_census
from bigcats.simulate import simulate_survey


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    survey = simulate_survey(1)
    out = tmp_path_factory.mktemp("census")
    return survey, out, run_census(survey.truth, out, seed=1, n_boot=500)


def test_fmp_densities_bracket_the_truth(census):
    _, _, res = census
    d = pd.DataFrame(res["density"])
    units = d[d["level"] == "unit"]
    assert len(units) == 4 * len(PREY)  # four units (two per side) x prey species
    # 95% route-bootstrap intervals with nine routes: most unit x species hold the true density
    assert units["inside"].mean() >= 0.75, units[["where", "species", "estimate", "lower", "upper", "truth"]]
    pooled = d[d["level"] == "all"].set_index("species")
    assert pooled["inside"].sum() >= len(PREY) - 1, pooled
    assert ((pooled["ratio"] - 1).abs() < 0.25).all(), pooled["ratio"]
    sides = d[d["level"] == "country"]
    assert set(sides["where"]) == {"RUS", "CHN"} and sides["lower"].notna().all()


def test_biomass_and_old_tracks(census):
    _, _, res = census
    b = pd.DataFrame(res["biomass"])
    whole = b[b["level"] == "all"].iloc[0]
    assert whole["prey_biomass_kg_km2"] == pytest.approx(whole["truth"], rel=0.2)
    # biomass sums several species' errors; every level stays within a quarter of the truth
    assert ((b["prey_biomass_kg_km2"] / b["truth"] - 1).abs() < 0.25).all(), b
    # tracks older than the snowfall were on the field sheet; FMP left every one of them out
    s = res["settings"]
    assert s["old_tracks_simulated"] > 0 and s["old_tracks_excluded"] == s["old_tracks_simulated"]


def test_minimum_tigers_never_exceeds_the_true_tigers(census):
    _, _, res = census
    t = pd.DataFrame(res["tigers"])
    assert set(t["level"]) == {"unit", "country", "all"}
    assert (t["min_tigers"] <= t["true_tigers"]).all(), t
    with_tracks = t[t["tracks"] > 0]
    assert len(with_tracks) and (with_tracks["min_tigers"] >= 1).all()
    whole = t[t["level"] == "all"].iloc[0]
    assert whole["true_tigers"] >= 1 and whole["min_tigers"] >= 1
    assert res["summary"]["tiger_checks_ok"]


def test_files_written_and_readable(census):
    _, out, res = census
    for f in res["files"]:
        assert Path(f).exists(), f
    for name in ("census_routes", "census_biomass", "census_density_sika_deer"):
        assert (out / f"{name}.png").stat().st_size > 10_000 and (out / f"{name}.svg").exists()
    # the GPX carries only the lines: units and dates come from the surveys table, lengths agree with the GeoJSON
    inp = res["inputs"]
    gj = read_routes(inp["routes_geojson"], surveys=inp["surveys"])
    gpx = read_routes(inp["routes_gpx"], surveys=inp["surveys"])
    lengths = gj.routes.set_index("route_id")["length_km"]
    assert gpx.routes.set_index("route_id")["length_km"].reindex(lengths.index).to_numpy() == pytest.approx(lengths.to_numpy(), rel=1e-6)
    assert set(gpx.routes["unit"]) == {"RUS-N", "RUS-S", "CHN-N", "CHN-S"}
    units = gpd.read_file(inp["units"])
    assert units.crs.to_epsg() == 4326 and (units["area_km2"] > 100).all()
