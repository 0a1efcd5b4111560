"""The main job: a simulated transboundary survey goes through packages and the database and comes out right."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.exchange.camtrapdp.importer import validate_package
from bigcats.exchange.camtrapdp.package import open_package
from bigcats.store.db import open_store, table_counts


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    # --quick runs every step on a 100-station survey; the full survey is measured in BENCHMARKS.md
    out = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--seed", "3", "--language", "en", "--quick", "--json"])
    assert res.exit_code == 0, res.output
    return out, json.loads(res.stdout)


def test_demo_summary_agrees_with_the_simulation(demo):
    _, result = demo
    summary, truth = result["summary"], result["truth"]
    assert set(summary["stations"]) == {"CHN", "RUS"}
    assert sum(summary["stations"].values()) == sum(truth["stations"].values())
    for side, nights in truth["trap_nights"].items():
        assert summary["trap_nights"][side] == pytest.approx(nights, abs=0.2)
    for label, per_side in truth["detections"].items():
        assert summary["detections"][label] == per_side
    for sp, t in truth["individuals"].items():
        got = summary["individuals"][sp]
        assert got["identified"] == t["identified"]
        assert got["on_both_sides"] == t["identified_on_both_sides"]
        assert got["on_both_sides"] >= 1  # some cats cross the border
        assert got["identified"] <= t["true_N"]


def test_demo_packages_are_valid_camtrap_dp(demo):
    out, result = demo
    for partner, path in result["packages"].items():
        problems, deployments = validate_package(open_package(path))
        assert not problems, problems.summary()
        assert len(deployments) > 30  # --quick: 100 stations shared by the two partners


def test_demo_is_reproducible_and_idempotent(demo, tmp_path):
    out, first = demo
    engine = open_store(first["db"])
    altai = open_store(first["snow_leopards"]["db"])
    before, altai_before = table_counts(engine), table_counts(altai)
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--seed", "3", "--no-reports", "--quick", "--json"])
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout)
    assert again["summary"] == first["summary"]
    assert all(added == {} for added in again["imports"].values())
    after = table_counts(engine)
    assert {k: v for k, v in after.items() if k != "intake_batch"} == \
        {k: v for k, v in before.items() if k != "intake_batch"}
    # The Altai component too: its packages, catalogue links, new photos' media rows and review queue are not doubled.
    assert {k: v for k, v in table_counts(altai).items() if k != "intake_batch"} == \
        {k: v for k, v in altai_before.items() if k != "intake_batch"}
    assert again["snow_leopards"]["summary"] == first["snow_leopards"]["summary"]


def test_demo_runs_every_step_of_the_system(demo):
    out, result = demo
    assert result["analytics"]["truth_checks"], "the analyses were checked against the simulation's truth"
    for sp in ("Panthera tigris altaica", "Panthera pardus orientalis"):
        pop = result["population"]["species"][sp]
        d = pop["estimates"]["D_per_100km2"]
        assert d["lcl"] < d["estimate"] < d["ucl"]
        files = result["reports"]["reports"][sp]
        for kind in ("status-en", "brochure-en"):
            for path in files[kind].values():
                assert (out / "reports").exists() and __import__("pathlib").Path(path).stat().st_size > 1000


def test_demo_has_the_third_component_in_its_own_store(demo):
    """Snow leopards on the Mongolia-Russia border: their own landscape, store and catalogue; the Amur store keeps
    the two Amur cats only (whole-store analyses of it would otherwise mix two landscapes)."""
    out, result = demo
    sl = result["snow_leopards"]
    assert set(sl["summary"]["stations"]) == {"MNG", "RUS"}
    assert sl["db"] != result["db"] and "Panthera uncia" not in result["summary"]["detections"]
    assert "Panthera uncia" in sl["summary"]["detections"]
    ident = sl["identification"]["species"]["Panthera uncia"]
    assert ident["merged"] >= 1 and ident["precision"] == 1.0
    files = result["reports"]["reports"]["Panthera uncia"]
    assert set(files) == {"status-en", "brochure-en"}
    html = __import__("pathlib").Path(files["status-en"]["html"]).read_text(encoding="utf-8")
    assert "Сийлхэм" in html or "ИР-" in html  # the Mongolian partner's own labels reach its report
