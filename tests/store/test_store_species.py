"""Any species: added with names in four languages; sensitive per partner and project (a puma in Brazil as a leopard
in Primorye), and the web's visibility reads that decision. Real data: the Atlantic Forest slice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.intake import ingest
from bigcats.intake.store import store_intake
from bigcats.store.db import open_store
from bigcats.store.models import Deployment, Observation, Project, Species, Station
from bigcats.store.species import SpeciesError, add_species, list_species, set_sensitive
from bigcats.web.visibility import SensitiveStations

DATA = Path(__file__).resolve().parents[1] / "data" / "atlantic-forest"
FIX = {"deployments": {"crs": {"value": "EPSG:4326"}}}


@pytest.fixture
def engine(tmp_path):
    eng = open_store(str(tmp_path / "db.sqlite"))
    for partner in ("AF", "AF2"):
        folder = tmp_path / partner
        shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("SOURCE.md"))
        store_intake(eng, *ingest(folder, partner, columns=FIX), partner, folder, fmt="table")
    return eng


def _puma_stations(engine, partner: str) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(
            select(Deployment.station_id).distinct()
            .join(Observation, Observation.deployment_id == Deployment.id)
            .join(Species, Observation.species_id == Species.id)
            .join(Station, Deployment.station_id == Station.id)
            .join(Project, Deployment.project_id == Project.id)
            .where(Species.scientific_name == "Puma concolor", Project.code.startswith(partner + "-"))).scalars())


def test_sensitivity_per_partner_and_project_reaches_visibility(engine):
    af, af2 = _puma_stations(engine, "AF"), _puma_stations(engine, "AF2")
    assert af and af2 and not af & af2
    cache = SensitiveStations()
    with engine.connect() as conn:
        assert not cache.get(conn) & (af | af2)  # a puma is not on the shipped list of North-East Asia
    set_sensitive(engine, "Puma concolor", "AF")
    with engine.connect() as conn:
        now = cache.get(conn)  # the cache sees the new decision without an import in between
    assert af <= now and not now & af2
    with engine.connect() as conn:
        project = conn.execute(select(Project.code).where(Project.code.startswith("AF-"))).scalar_one()
    set_sensitive(engine, "Puma concolor", "AF", sensitive=False, project=project)  # the project's own rule wins
    with engine.connect() as conn:
        assert not cache.get(conn) & af
    listed = list_species(engine, "AF").set_index("scientificName")
    assert bool(listed.loc["Puma concolor", "sensitive"])  # the partner's rule, for its other projects
    assert not bool(list_species(engine, "AF", project).set_index("scientificName").loc["Puma concolor",
                                                                                        "sensitive"])
    assert not bool(list_species(engine).set_index("scientificName").loc["Puma concolor", "sensitive"])


def test_species_add_names_and_cli(tmp_path):
    db = str(tmp_path / "s.sqlite")
    eng = open_store(db)
    row = add_species(eng, "Panthera  onca", {"en": "Jaguar", "ru": "Ягуар", "zh": "美洲豹"}, sensitive=True)
    assert row["new"] and row["scientificName"] == "Panthera onca" and row["rank"] == "species" and row["sensitive"]
    again = add_species(eng, "Panthera onca", {"mn": "Ягуар"})
    assert not again["new"] and again["en"] == "Jaguar" and again["mn"] == "Ягуар"
    with pytest.raises(SpeciesError):
        add_species(eng, "jaguar")
    with pytest.raises(SpeciesError):
        add_species(eng, "Panthera onca", {"de": "Jaguar"})
    runner = CliRunner()
    r = runner.invoke(app, ["species", "list", "--sensitive", "--json", "--db", db])
    assert r.exit_code == 0
    names = {s["scientificName"] for s in json.loads(r.stdout)}
    assert "Panthera onca" in names and "Panthera tigris altaica" in names
    r = runner.invoke(app, ["species", "add", "not a name", "--db", db])
    assert r.exit_code == 1 and "Traceback" not in r.output
    r = runner.invoke(app, ["species", "sensitive", "Panthera onca", "--partner", "NOPE", "--db", db])
    assert r.exit_code == 1 and "no such partner" in r.output
