"""The density, movement and homerange commands on secr's and adehabitatHR's example files."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bigcats.cli.population import app

runner = CliRunner()


def test_density_fits_secr_example_files(secr_dir):
    res = runner.invoke(app, ["density", "--captures", str(secr_dir / "capt.txt"), "--traps", str(secr_dir / "trap.txt"),
                              "--detector", "multi", "--buffer", "100", "--cl", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    d = {r["parameter"]: r for r in out["estimates"]}["D"]
    assert d["estimate"] == pytest.approx(5.4798074, rel=1e-4)
    assert out["density_per_100km2"]["estimate"] == pytest.approx(54798.074, rel=1e-4)


def test_density_bad_file_is_a_clear_error(tmp_path, secr_dir):
    (tmp_path / "c.txt").write_text("1 A 1 999\n")
    res = runner.invoke(app, ["density", "--captures", str(tmp_path / "c.txt"), "--traps", str(secr_dir / "trap.txt")])
    assert res.exit_code == 1
    assert "999" in res.output and "not in the detector layout" in res.output


def test_homerange_command(boar, tmp_path):
    path = tmp_path / "boar.csv"
    boar.to_csv(path, index=False)
    res = runner.invoke(app, ["homerange", str(path), "--percent", "95", "--json"])
    assert res.exit_code == 0, res.output
    areas = {r["individualID"]: r["area_ha"] for r in json.loads(res.stdout)["home_ranges"]}
    assert areas["Brock"] == pytest.approx(22.64670, rel=1e-4)


def test_movement_command(tmp_path):
    path = tmp_path / "det.csv"
    path.write_text("individualID,longitude,latitude,timestamp,country\n"
                    "T1,131.0,43.0,2023-01-01T10:00:00Z,CHN\nT1,131.2,43.1,2023-01-09T10:00:00Z,RUS\n"
                    "T1,131.0,43.0,2023-02-01T10:00:00Z,CHN\n")
    res = runner.invoke(app, ["movement", str(path), "--json", "--map", str(tmp_path / "m.png")])
    assert res.exit_code == 0, res.output
    ind = json.loads(res.stdout)["individuals"][0]
    assert ind["crossings"] == 2 and ind["both_sides"] is True
    assert (tmp_path / "m.png").stat().st_size > 1000
