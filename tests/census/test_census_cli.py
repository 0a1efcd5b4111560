"""`bigcats census` commands on files: simulate writes a census, estimate reads it back, errors exit non-zero."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from bigcats.cli.census import app

runner = CliRunner()


def test_simulate_then_estimate_and_tigers(tmp_path: Path):
    pd.DataFrame({"unit": ["A", "B"], "country": ["RUS", "CHN"], "species": ["Sus scrofa"] * 2,
                  "density_km2": [1.5, 0.6]}).to_csv(tmp_path / "truth.csv", index=False)
    pd.DataFrame({"species": ["Sus scrofa"], "daily_travel_km": [4.0]}).to_csv(tmp_path / "travel.csv", index=False)
    pd.DataFrame({"species": ["Sus scrofa"], "body_mass_kg": [90.0]}).to_csv(tmp_path / "mass.csv", index=False)
    r = runner.invoke(app, ["simulate", "--truth", str(tmp_path / "truth.csv"), "--travel", str(tmp_path / "travel.csv"),
                            "--out", str(tmp_path / "sim"), "--json"])
    assert r.exit_code == 0, r.output
    side = pd.DataFrame(json.loads(r.stdout)["estimates"])
    assert ((side["density_km2"] / side["true_density_km2"] - 1).abs() < 0.5).all()
    r = runner.invoke(app, ["estimate", "--routes", str(tmp_path / "sim" / "routes.geojson"), "--crossings", str(tmp_path / "sim" / "crossings.csv"),
                            "--travel", str(tmp_path / "travel.csv"), "--masses", str(tmp_path / "mass.csv"), "--boot", "200", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    again = pd.DataFrame(out["units"]).set_index("unit")["density_km2"]
    assert again.to_dict() == side.set_index("unit")["density_km2"].to_dict() or \
        (again - side.set_index("unit")["density_km2"]).abs().max() < 1e-9  # the files carry the census exactly
    assert out["biomass"][0]["prey_biomass_kg_km2"] > 0
    r = runner.invoke(app, ["tigers", "--routes", str(tmp_path / "sim" / "routes.geojson"), "--crossings", str(tmp_path / "sim" / "crossings.csv"),
                            "--classes", "young:0,adult:9", "--tolerance", "0.5", "--max-daily-km", "20", "--json"])
    assert r.exit_code == 0, r.output
    assert all(u["min_tigers"] == 0 for u in json.loads(r.stdout)["units"])  # no tiger tracks were simulated


def test_unknown_route_exits_with_the_row_named(tmp_path: Path):
    pd.DataFrame({"unit": ["A"], "country": ["RUS"], "species": ["Sus scrofa"], "density_km2": [1.0]}).to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame({"species": ["Sus scrofa"], "daily_travel_km": [4.0]}).to_csv(tmp_path / "travel.csv", index=False)
    runner.invoke(app, ["simulate", "--truth", str(tmp_path / "t.csv"), "--travel", str(tmp_path / "travel.csv"), "--out", str(tmp_path / "s")])
    pd.DataFrame({"route_id": ["NOPE"], "species": ["Sus scrofa"], "count": [1]}).to_csv(tmp_path / "c.csv", index=False)
    r = runner.invoke(app, ["estimate", "--routes", str(tmp_path / "s" / "routes.geojson"), "--crossings", str(tmp_path / "c.csv"),
                            "--travel", str(tmp_path / "travel.csv")])
    assert r.exit_code == 1
    assert "route 'NOPE' does not exist" in " ".join(r.output.split())  # rich wraps long lines
