"""The same selection gives the same numbers in the CLI, the web API and the status report (issue 12).

One demo database; effort (trap-nights), independent detections, relative abundance with its bootstrap interval
and SCR density with its interval are read through `bigcats analyse ... --by country`, `bigcats density`,
`GET /api/summary` and `bigcats report --json`, and must agree exactly: they are one library verb each.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bigcats.cli import app

TIGER = "Panthera tigris altaica"


def _cli(*args: str) -> dict | list:
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def numbers(demo_db, tmp_path_factory) -> dict:
    db = str(demo_db["out"] / "bigcats-demo.db")
    out = tmp_path_factory.mktemp("same-numbers")
    cli_effort = _cli("analyse", "effort", "--by", "country", "--db", db)
    # Names in three languages and a short name all mean the Amur tiger.
    cli_rai = _cli("analyse", "abundance", "--by", "country", "--species", "тигр", "--db", db)
    cli_density = _cli("density", "--species", "东北虎", "--db", db)
    report = _cli("report", "--species", "Amur tiger", "--language", "en", "--format", "html", "--out", str(out),
                  "--db", db)["numbers"]

    from fastapi.testclient import TestClient

    from bigcats.access.users import add_agreement, add_user
    from bigcats.store.db import open_store
    from bigcats.store.load import ensure_partner
    from bigcats.web.app import create_app

    engine = open_store(db)
    with engine.begin() as conn:
        add_user(conn, "chief", "a-long-password", ensure_partner(conn, "LLNP"), "administrator")
        add_agreement(conn, "NCTLNP", "LLNP", None, exact=True)
    client = TestClient(create_app(db))
    client.get("/login")
    signed = client.post("/api/auth/login", json={"username": "chief", "password": "a-long-password"},
                         headers={"X-CSRF-Token": client.cookies.get("bigcats_csrf")})
    assert signed.status_code == 200, signed.text
    web = client.get("/api/summary", params={"species": "tiger", "density": "true"})
    assert web.status_code == 200, web.text
    return {"cli_effort": cli_effort, "cli_rai": cli_rai, "cli_density": cli_density, "report": report,
            "web": web.json()}


def _by_side(rows: list[dict], key: str = "country") -> dict:
    return {r[key]: r for r in rows}


def test_effort_is_the_same_trap_nights_everywhere(numbers):
    cli = _by_side(numbers["cli_effort"])
    report = _by_side(numbers["report"]["effort"])
    web = _by_side(numbers["web"]["effort"])
    assert set(cli) == set(report) == set(web) == {"CHN", "RUS", "all"}
    for side in cli:
        for col in ("stations", "deployments", "trapNights"):
            assert cli[side][col] == report[side][col] == web[side][col], (side, col)
    assert numbers["web"]["effortUnit"] == "trap-nights"
    assert cli["all"]["trapNights"] == pytest.approx(cli["CHN"]["trapNights"] + cli["RUS"]["trapNights"])


def test_detections_and_relative_abundance_with_intervals_agree(numbers):
    def tiger(rows):
        return {r["country"]: r for r in rows if r["scientificName"] == TIGER}

    cli, report, web = tiger(numbers["cli_rai"]), tiger(numbers["report"]["abundance"]), tiger(numbers["web"]["abundance"])
    assert set(cli) == set(report) == set(web) == {"CHN", "RUS", "all"}
    for side in cli:
        for col in ("events", "stationsDetected", "trapNights", "rai", "lower", "upper"):
            assert cli[side][col] == report[side][col] == web[side][col], (side, col)
        assert cli[side]["lower"] < cli[side]["rai"] < cli[side]["upper"]


def test_density_with_its_interval_agrees(numbers):
    cli = numbers["cli_density"]["density_per_100km2"]
    (whole,) = [r for r in numbers["report"]["population"] if r["region"] == "all"]
    (web,) = numbers["web"]["density"]
    assert web["status"] == "ok", web
    for a, b, c in ((cli["estimate"], whole["density"], web["estimate"]), (cli["lcl"], whole["densityLower"], web["lcl"]),
                    (cli["ucl"], whole["densityUpper"], web["ucl"])):
        assert a == pytest.approx(b, rel=1e-9) and a == pytest.approx(c, rel=1e-9)
