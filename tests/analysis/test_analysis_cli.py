"""The `analyse` sub-app on CSV survey frames written from the camtrapR sample."""

import json

from typer.testing import CliRunner

from bigcats.cli.analyse import app

runner = CliRunner()


def _files(tmp_path, frames):
    paths = {}
    for name in ("deployments", "outages", "observations"):
        paths[name] = tmp_path / f"{name}.csv"
        frames[name].to_csv(paths[name], index=False)
    return paths


def test_effort_and_independent_json(tmp_path, camtrapr_frames):
    p = _files(tmp_path, camtrapr_frames)
    r = runner.invoke(app, ["effort", "--deployments", str(p["deployments"]), "--outages", str(p["outages"]), "--json",
                            "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert {row["locationID"]: row["trapNights"] for row in json.loads(r.stdout)} == {
        "StationA": 42.0, "StationB": 43.0, "StationC": 37.5}
    assert (tmp_path / "out" / "camera_operation.csv").exists()
    r = runner.invoke(app, ["independent", "--deployments", str(p["deployments"]), "--observations",
                            str(p["observations"]), "--threshold", "60min", "--json"])
    assert r.exit_code == 0, r.output
    assert sum(row["events"] for row in json.loads(r.stdout)) == 39


def test_abundance_writes_figures_and_bad_input_fails_cleanly(tmp_path, camtrapr_frames):
    p = _files(tmp_path, camtrapr_frames)
    out = tmp_path / "out"
    r = runner.invoke(app, ["abundance", "--deployments", str(p["deployments"]), "--observations", str(p["observations"]),
                            "--outages", str(p["outages"]), "--by", "country", "--n-boot", "200", "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "rai_bars.png").exists() and (out / "rai_bars.svg").exists()
    r = runner.invoke(app, ["activity", "Nobody", "--deployments", str(p["deployments"]), "--observations",
                            str(p["observations"])])
    assert r.exit_code == 1 and "matches no species name" in r.output
    # A real species the survey never recorded: named, and why no curve can be drawn.
    r = runner.invoke(app, ["activity", "ирбис", "--deployments", str(p["deployments"]), "--observations",
                            str(p["observations"])])
    assert r.exit_code == 1 and "at least 2" in r.output and "Panthera uncia" in r.output
