"""One library under every face: species names in any language, refusals instead of tracebacks, partners whose
Camtrap DP IDs collide, data without a country side (issue 12). Real data: the official Camtrap DP example."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.core.frames import SelectionError, SurveyFrames
from bigcats.errors import BigcatsError
from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.store.db import open_store
from bigcats.store.models import Deployment, Observation
from bigcats.taxonomy.resolve import UnknownSpecies, resolve_species

TIGER = "Panthera tigris altaica"
MALLARD = "Anas platyrhynchos"


@pytest.mark.parametrize("name", ["Panthera tigris altaica", "Amur tiger", "amur TIGER", "Амурский тигр", "东北虎",
                                  "Амарын бар", "tiger", "Siberian tiger"])
def test_every_name_of_the_amur_tiger_resolves(name):
    assert resolve_species(name) == TIGER


def test_a_species_recorded_only_as_a_subspecies_means_that_subspecies():
    # The species' own name means the species, except where only one of its subspecies was ever recorded.
    assert resolve_species("Panthera tigris") == "Panthera tigris"
    assert resolve_species("Panthera tigris", present={TIGER, "Sus scrofa"}) == TIGER
    assert resolve_species("Panthera tigris", present={TIGER, "Panthera tigris tigris"}) == "Panthera tigris"
    assert resolve_species("Panthera pardus", present={"Panthera pardus orientalis"}) == "Panthera pardus orientalis"
    assert resolve_species("ирбис") == "Panthera uncia"


def test_an_unknown_name_is_refused_with_suggestions():
    with pytest.raises(UnknownSpecies, match="did you mean .*Amur tiger"):
        resolve_species("Amur tigre")
    with pytest.raises(UnknownSpecies):
        resolve_species("")


def test_taxa_users_added_to_the_store_are_found():
    known = pd.DataFrame({"scientificName": ["Panthera onca"], "en": ["Jaguar"], "ru": ["Ягуар"], "zh": ["美洲豹"],
                          "mn": [None]})
    assert resolve_species("ягуар", known) == "Panthera onca"
    assert resolve_species("Panthera onca", known) == "Panthera onca"


def _frames() -> SurveyFrames:
    t = pd.Timestamp
    deps = pd.DataFrame({"deploymentID": ["d1", "d2"], "locationID": ["s1", "s2"], "partner": ["A", "B"],
                         "country": ["RUS", "CHN"], "deploymentStart": [t("2024-01-01", tz="UTC")] * 2,
                         "deploymentEnd": [t("2024-03-01", tz="UTC")] * 2, "utcOffset": [600, 480]})
    obs = pd.DataFrame({"observationID": ["o1", "o2", "o3"], "deploymentID": ["d1", "d2", "d2"],
                        "timestamp": [t("2024-01-05", tz="UTC"), t("2024-02-10", tz="UTC"), t("2024-02-20", tz="UTC")],
                        "scientificName": [TIGER, TIGER, MALLARD]})
    return SurveyFrames(deps, None, obs)


def test_survey_frames_select_by_partner_side_species_and_period():
    f = _frames()
    assert f.select(partner="a").deployments["deploymentID"].tolist() == ["d1"]  # case does not matter
    assert f.select(country="CHN", species=TIGER).observations["observationID"].tolist() == ["o2"]
    feb = f.select(period="2024-02")
    assert feb.observations["observationID"].tolist() == ["o2", "o3"]
    assert (feb.deployments["deploymentStart"] == pd.Timestamp("2024-02-01", tz="UTC")).all()
    with pytest.raises(SelectionError, match="choose one of: CHN, RUS"):
        f.select(country="MNG")
    with pytest.raises(SelectionError, match="no camera was working"):
        f.select(period="2019")
    with pytest.raises(BigcatsError, match="2024-13"):
        f.select(period="2024-13")


def _counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count(Deployment.id))).scalar_one(),
                conn.execute(select(func.count(Observation.id))).scalar_one())


def test_two_partners_with_the_same_deployment_ids_are_kept_apart(shared_data, tmp_path):
    db = f"sqlite:///{tmp_path / 'two.db'}"
    engine = open_store(db)
    pkg = shared_data / "camtrap-dp-example"
    import_package(engine, pkg, "NL1", country="NLD")
    import_package(engine, pkg, "BE1", country="BEL")  # the very same deploymentIDs and locationIDs
    assert _counts(engine)[0] == 8
    runner = CliRunner()
    effort = runner.invoke(app, ["analyse", "effort", "--by", "country", "--db", db, "--json"])
    assert effort.exit_code == 0, effort.output
    sides = {r["country"]: r for r in json.loads(effort.stdout)}
    assert sides["BEL"]["deployments"] == sides["NLD"]["deployments"] == 4
    assert sides["BEL"]["trapNights"] == pytest.approx(sides["NLD"]["trapNights"])
    assert sides["all"]["trapNights"] == pytest.approx(2 * sides["NLD"]["trapNights"])
    rai = runner.invoke(app, ["analyse", "abundance", "--by", "country", "--species", MALLARD, "--n-boot", "50",
                              "--db", db, "--json"])
    assert rai.exit_code == 0, rai.output
    by_side = {r["country"]: r for r in json.loads(rai.stdout)}
    assert by_side["BEL"]["events"] == by_side["NLD"]["events"] > 0
    assert by_side["all"]["events"] == 2 * by_side["NLD"]["events"]
    out = tmp_path / "reports"
    report = runner.invoke(app, ["report", "--species", "Anas platyrhynchos", "--format", "html", "--out", str(out),
                                 "--no-density", "--db", db, "--json"])
    assert report.exit_code == 0, report.output
    assert "Traceback" not in report.output


def test_data_without_a_country_side_is_refused_with_the_fix(shared_data, tmp_path):
    db = f"sqlite:///{tmp_path / 'noside.db'}"
    engine = open_store(db)
    import_package(engine, shared_data / "camtrap-dp-example", "NL1")  # no --country
    before = _counts(engine)
    runner = CliRunner()
    for args in (["report", "--species", MALLARD, "--format", "html", "--out", str(tmp_path), "--no-density"],
                 ["analyse", "effort", "--by", "country"],
                 ["analyse", "abundance", "--by", "country", "--species", MALLARD]):
        res = runner.invoke(app, [*args, "--db", db])
        assert res.exit_code == 1, (args, res.output)
        text = " ".join(res.output.split())
        assert "no country side for 4 deployment(s)" in text and "--country" in text, text
        assert "Traceback" not in res.output
        as_json = runner.invoke(app, [*args, "--db", db, "--json"])
        doc = json.loads(as_json.stdout)
        assert doc["error"] == "missing-country" and "--country" in doc["hint"]
    assert _counts(engine) == before


def test_refusals_are_sentences_with_exit_1_and_bugs_say_so(tmp_path):
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    runner = CliRunner()
    res = runner.invoke(app, ["density", "--species", "Amur tiger", "--db", db])
    assert res.exit_code == 1 and "import data first" in " ".join(res.output.split())
    res = runner.invoke(app, ["density", "--species", "Amur tigre", "--db", db])
    assert res.exit_code == 1 and "did you mean" in res.output
    res = runner.invoke(app, ["density", "--species", "nonsense", "--db", db, "--json"])
    assert res.exit_code == 1 and json.loads(res.stdout)["error"] == "unknown-species"
    res = runner.invoke(app, ["no-such-command"])
    assert res.exit_code == 2


def test_agreements_route_lists_agreements(tmp_path):
    from fastapi.testclient import TestClient

    from bigcats.access.users import add_agreement, add_user
    from bigcats.store.load import ensure_partner
    from bigcats.web.app import create_app

    db = f"sqlite:///{tmp_path / 'agree.db'}"
    engine = open_store(db)
    with engine.begin() as conn:
        add_user(conn, "chief", "a-long-password", ensure_partner(conn, "LLNP"), "administrator")
        ensure_partner(conn, "NCTLNP")
        add_agreement(conn, "NCTLNP", "LLNP", None, exact=True)
    client = TestClient(create_app(db))
    client.get("/login")
    client.post("/api/auth/login", json={"username": "chief", "password": "a-long-password"},
                headers={"X-CSRF-Token": client.cookies.get("bigcats_csrf")})
    r = client.get("/api/agreements")
    assert r.status_code == 200, r.text
    assert [(a["owner"], a["grantee"], a["exactLocations"]) for a in r.json()] == [("NCTLNP", "LLNP", True)]
    bad = client.get("/api/summary", params={"species": "no such animal"})
    assert bad.status_code == 400 and bad.json()["error"] == "unknown-species"
