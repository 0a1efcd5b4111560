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


def _secr_args(secr_dir, *extra):
    return ["density", "--captures", str(secr_dir / "capt.txt"), "--traps", str(secr_dir / "trap.txt"), *extra, "--json"]


def test_density_takes_secr_defaults_codes_mask_and_habitat(secr_dir, tmp_path):
    import geopandas as gpd
    import shapely

    from bigcats.population import make_mask, read_capthist
    from bigcats.population.secr_io import write_mask

    # No --detector: secr's read.capthist default 'multi', so secr's captdata gives secr's D.
    res = runner.invoke(app, _secr_args(secr_dir, "--detectfn", "0"))
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["detector"] == "multi" and out["detectfn"] == "HN"
    assert out["density_per_100km2"]["estimate"] == pytest.approx(54798.0, rel=1e-4)
    ch = read_capthist(secr_dir / "capt.txt", secr_dir / "trap.txt")["1"]
    mask = make_mask(ch.xy, 100)
    mask.covariates = __import__("pandas").DataFrame({"side": ["W" if x < 500 else "E" for x in mask.xy[:, 0]]})
    write_mask(tmp_path / "mask.txt", mask)
    res = runner.invoke(app, _secr_args(secr_dir, "--mask", str(tmp_path / "mask.txt"), "--density", "~side"))
    assert res.exit_code == 0, res.output
    params = {r["parameter"] for r in json.loads(res.stdout)["estimates"]}
    assert {"D", "D[side=E]", "D[side=W]", "g0", "sigma"} <= params
    gpd.GeoDataFrame(geometry=[shapely.box(250, 250, 680, 800)], crs="EPSG:32652").to_file(tmp_path / "hab.gpkg")
    res = runner.invoke(app, _secr_args(secr_dir, "--habitat", str(tmp_path / "hab.gpkg"), "--detectfn", "14"))
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["detectfn"] == "HHN" and out["mask_points"] < 3936
    res = runner.invoke(app, _secr_args(secr_dir, "--detectfn", "5"))
    assert res.exit_code != 0 and "code 5" in " ".join(res.output.split())


def test_density_usage_counts_hint_and_secr_script(secr_dir, tmp_path):
    traps = (secr_dir / "trap.txt").read_text().splitlines()
    (tmp_path / "t.txt").write_text("\n".join(f"{line} {344 if i == 0 else 5}" for i, line in enumerate(traps)) + "\n")
    res = runner.invoke(app, ["density", "--captures", str(secr_dir / "capt.txt"), "--traps", str(tmp_path / "t.txt")])
    assert res.exit_code != 0 and "--usage-counts" in " ".join(res.output.split())
    # One value per detector: one occasion of effort; captdata's five occasions no longer fit it.
    res = runner.invoke(app, ["density", "--captures", str(secr_dir / "capt.txt"), "--traps", str(tmp_path / "t.txt"),
                              "--usage-counts"])
    assert res.exit_code != 0 and "beyond the 1 occasions" in " ".join(res.output.split())
    script = tmp_path / "refit.R"
    res = runner.invoke(app, _secr_args(secr_dir, "--cl", "--h2", "--secr-script", str(script)))
    assert res.exit_code == 0, res.output
    text = script.read_text()
    assert "library(secr)" in text and "CL = TRUE" in text and "g0 ~ h2" in text and "sigma ~ h2" in text
    assert 'detector = "multi"' in text and "binary.usage = FALSE" in text
    assert (tmp_path / "refit_capt.txt").read_text().count("\n") == 1 + 235  # header + captdata's detections
    assert len((tmp_path / "refit_traps.txt").read_text().splitlines()) == 100


def test_density_sessions_together_and_compare(secr_dir, tmp_path):
    lines = [ln for ln in (secr_dir / "capt.txt").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    two = [ln if i % 2 else "2" + ln[ln.index(" "):] for i, ln in enumerate(lines)]
    (tmp_path / "c.txt").write_text("\n".join(two) + "\n")
    res = runner.invoke(app, ["density", "--captures", str(tmp_path / "c.txt"), "--traps", str(secr_dir / "trap.txt"),
                              "--density", "~session", "--compare", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out["density_per_100km2_by_session"]) == {"1", "2"}
    # h2 on captdata runs to a degenerate class (sigma ~ 1 m): refused and listed, not ranked.
    assert out["npar"] == 4 and len(out["aic_table"]) + len(out.get("compare_failed", {})) == 6
    assert {"HN", "HHN", "EX"} <= {r["name"] for r in out["aic_table"]}
    assert [r["AICc"] for r in out["aic_table"]] == sorted(r["AICc"] for r in out["aic_table"])
    res = runner.invoke(app, ["density", "--captures", str(tmp_path / "c.txt"), "--traps", str(secr_dir / "trap.txt"),
                              "--separate", "--json"])
    assert res.exit_code == 0, res.output
    assert set(json.loads(res.stdout)["sessions"]) == {"1", "2"}
