"""The demo's census starts from the track-census form's submissions (both sides' exports, ingested): it reads
the same routes and crossings as the field sheets hold, so the estimates are the same."""

from __future__ import annotations

import pandas as pd
import pytest

from bigcats.census.crossings import read_crossings
from bigcats.census.routes import read_routes
from bigcats.demo.census import run_census
from bigcats.simulate import simulate_survey
from bigcats.store.db import open_store, table_counts


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    survey = simulate_survey(1)
    out = tmp_path_factory.mktemp("field")
    engine = open_store(f"sqlite:///{out / 'db.sqlite'}")
    sides = {}
    for code, share in sorted(survey.partners.items()):
        sides.setdefault(share.country, code)
    forms = run_census(survey.truth, out / "forms", seed=1, n_boot=50, maps=False, engine=engine, partners=sides)
    sheets = run_census(survey.truth, out / "sheets", seed=1, n_boot=50, maps=False)
    return engine, forms, sheets


def test_census_from_forms_equals_census_from_sheets(both):
    _, forms, sheets = both
    assert forms["inputs"]["crossings"].endswith("from_forms/crossings.csv")
    rs_f = read_routes(forms["inputs"]["routes_geojson"], surveys=forms["inputs"]["surveys"])
    rs_s = read_routes(sheets["inputs"]["routes_geojson"], surveys=sheets["inputs"]["surveys"])
    cr_f = read_crossings(forms["inputs"]["crossings"], rs_f)
    cr_s = read_crossings(sheets["inputs"]["crossings"], rs_s)
    assert len(cr_f) == len(cr_s) and cr_f["count"].sum() == cr_s["count"].sum()
    km_f = rs_f.routes.set_index("route_id")["length_km"].sort_index()
    km_s = rs_s.routes.set_index("route_id")["length_km"].sort_index()
    assert (km_f - km_s).abs().max() < 1e-4  # geotraces keep 8 decimals: well under a metre
    d_f = pd.DataFrame(forms["density"]).set_index(["level", "where", "species"])["estimate"]
    d_s = pd.DataFrame(sheets["density"]).set_index(["level", "where", "species"])["estimate"]
    pd.testing.assert_series_equal(d_f.sort_index(), d_s.sort_index(), rtol=1e-4)
    assert forms["summary"]["tigers_minimum_all"] == sheets["summary"]["tigers_minimum_all"]


def test_both_sides_exports_ingested_once(both):
    engine, forms, _ = both
    field = forms["field_forms"]
    assert set(field["exports"]) == {"RUS", "CHN"}
    assert all(v["again_new"] == {} for v in field["ingested"].values())
    counts = table_counts(engine)
    assert counts["field_submission"] == sum(field["submissions"].values()) + sum(field["signs"].values())
    assert counts["incidental_record"] == sum(field["signs"].values())
