"""`bigcats identify` commands through Typer's test runner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bigcats.cli.identify import app

runner = CliRunner()


def test_generate_index_match_evaluate(tmp_path, easy_leopards):
    folder, labels = easy_leopards
    res = runner.invoke(app, ["index", str(folder), "--out", str(tmp_path / "idx"), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["photos"] == len(labels) and info["individuals"] == 4

    row = labels[(labels["individual"] == "L002") & (labels["side"] == "right")].iloc[0]
    args = ["match", str(folder / row["image"]), "--index", str(tmp_path / "idx"), "--species", "leopard", "--side", "right", "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["candidates"][0]["individual"] == "L002"  # the photo itself is in the index: an exact match

    curve = tmp_path / "curve.csv"
    res = runner.invoke(app, ["evaluate", str(folder), "--json", "--threshold", "0.5", "--curve-out", str(curve), "--bootstrap", "50"])
    assert res.exit_code == 0, res.output
    ev = json.loads(res.stdout)
    assert ev["threshold"] == 0.5 and ev["queries"] == len(labels) and ev["top1"] >= 0.75
    assert ev["by_encounter"]["queries"] == labels["encounter"].nunique() and "ci95" in ev["by_encounter"]
    assert {r["individual"] for r in ev["per_individual"]} == set(labels["individual"])
    assert curve.read_text().startswith("threshold,false_new_rate,wrong_match_rate")
    res = runner.invoke(app, ["match", str(folder / row["image"]), "--index", str(tmp_path / "idx"), "--species", "leopard", "--side", "unknown", "--json"])
    out = json.loads(res.stdout)
    assert out["flank"].startswith("unknown") and out["confidence"] == "very likely the same cat"


def test_generate_command_and_errors(tmp_path):
    res = runner.invoke(app, ["generate", str(tmp_path / "g"), "--individuals", "2", "--photos", "2", "--species", "snow_leopard", "--level", "easy", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["photos"] == 4
    res = runner.invoke(app, ["generate", str(tmp_path / "h"), "--species", "lion"])
    assert res.exit_code != 0 and "unknown species" in res.output
    res = runner.invoke(app, ["match", str(tmp_path / "none.jpg"), "--index", str(tmp_path / "g"), "--json"])
    assert res.exit_code == 1 and json.loads(res.stdout)["reason"] == "unreadable"
