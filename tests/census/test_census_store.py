"""The winter track census in the database: `census estimate/tigers --save` store routes, crossings and results;
storing again replaces, the status report's inputs read the latest census."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from typer.testing import CliRunner

from bigcats.census.store import census_for_species, census_report_tables
from bigcats.cli import app
from bigcats.store.db import open_store
from bigcats.store.models_census import CensusCrossing, CensusResult, CensusRoute, CensusSurvey

runner = CliRunner()


def _counts(db: str) -> dict[str, int]:
    with open_store(db).connect() as conn:
        return {t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (CensusSurvey, CensusRoute, CensusCrossing, CensusResult)}


def test_census_saved_replaced_and_read_for_reports(tmp_path: Path):
    pd.DataFrame({"unit": ["A", "B"], "country": ["RUS", "CHN"], "species": ["Sus scrofa"] * 2,
                  "density_km2": [1.5, 0.6]}).to_csv(tmp_path / "truth.csv", index=False)
    pd.DataFrame({"species": ["Sus scrofa"], "daily_travel_km": [4.0]}).to_csv(tmp_path / "travel.csv", index=False)
    r = runner.invoke(app, ["census", "simulate", "--truth", str(tmp_path / "truth.csv"), "--travel",
                            str(tmp_path / "travel.csv"), "--out", str(tmp_path / "sim"), "--json"])
    assert r.exit_code == 0, r.output
    routes, crossings = tmp_path / "sim" / "routes.geojson", tmp_path / "sim" / "crossings.csv"
    db = str(tmp_path / "db.sqlite")
    args = ["--routes", str(routes), "--crossings", str(crossings), "--db", db, "--save", "winter-2025", "--json"]
    r = runner.invoke(app, ["census", "estimate", "--travel", str(tmp_path / "travel.csv"), "--boot", "100", *args])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    n_routes = len(json.loads(routes.read_text())["features"])
    n_cross = len(pd.read_csv(crossings))
    n_fmp = len(out["units"]) + len(out["countries"]) + len(out["total"]) + len(out["biomass"])
    assert _counts(db) == {"census_survey": 1, "census_route": n_routes, "census_crossing": n_cross,
                           "census_result": n_fmp}
    r = runner.invoke(app, ["census", "tigers", "--classes", "young:0,adult:9", "--tolerance", "0.5",
                            "--max-daily-km", "20", *args])
    assert r.exit_code == 0, r.output
    n_units = len(json.loads(r.stdout)["units"])
    # Same code again: routes and crossings replaced, the FMP results kept, the tiger counts added.
    assert _counts(db) == {"census_survey": 1, "census_route": n_routes, "census_crossing": n_cross,
                           "census_result": n_fmp + n_units}
    r = runner.invoke(app, ["census", "tigers", "--classes", "young:0,adult:9", "--tolerance", "0.5",
                            "--max-daily-km", "20", *args])
    assert _counts(db)["census_result"] == n_fmp + n_units
    tables = census_report_tables(open_store(db), "Panthera tigris altaica")
    prey = tables["prey"].set_index("country")
    want = pd.DataFrame(out["countries"]).set_index("country")["density_km2"]
    assert prey.loc[want.index, "density_km2"].tolist() == want.tolist()
    assert prey.loc["all", "density_km2"] == out["total"][0]["density_km2"]
    assert tables["tigers"].set_index("country").loc["all", "min_tigers"] == 0  # no tiger tracks simulated
    assert "tigers" not in census_for_species(tables, "Sus scrofa")
    with open_store(db).connect() as conn:
        geom = json.loads(conn.execute(select(CensusRoute.geometry).limit(1)).scalar_one())
    assert geom["type"] == "LineString" and -180 <= geom["coordinates"][0][0] <= 180
