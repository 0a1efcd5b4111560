"""The review plan over the store: API, page, CLI give one document; editors only; corrections change the plan."""

from __future__ import annotations

import json

from typer.testing import CliRunner
from webworld import STATIONS, add_photos, client_for, csrf, sign_in

from bigcats.cli import app


def _machine_roe_at_a02(db_url: str) -> list[int]:
    """Two machine "roe deer" at A-02 (a tiger station, no roe or boar reported) in its third week."""
    from datetime import timedelta

    from sqlalchemy import select

    from bigcats.store.db import open_store
    from bigcats.store.models import Deployment, Observation, Species, Station

    engine = open_store(db_url)
    with engine.begin() as conn:
        dep, t0 = conn.execute(select(Deployment.id, Deployment.start_utc).join(Station).where(Station.code == "A-02")
                               ).one()
        roe = conn.execute(select(Species.id).where(Species.scientific_name == "Capreolus pygargus")).scalar_one()
        ids = [conn.execute(Observation.__table__.insert().values(
            deployment_id=dep, source_id=f"m{k}", event_start_utc=t0 + timedelta(days=15 + k),
            event_end_utc=t0 + timedelta(days=15 + k), utc_offset=600, level="event", type="animal",
            species_id=roe, count=1, classification_method="machine", classified_by="SpeciesNet 4.0",
            classification_probability=p)).inserted_primary_key[0] for k, p in enumerate((0.6, 0.5))]
    engine.dispose()
    return ids


def test_plan_follows_the_reviews(sqlite_world, shared_data, tmp_path):
    db_url, _ = sqlite_world
    photos = add_photos(db_url, tmp_path / "media", shared_data)
    unsure = _machine_roe_at_a02(db_url)
    editor = sign_in(client_for(db_url, media_root=tmp_path / "media"), "editor_a")
    before = editor.get("/api/review-plan").json()
    rows = {s["species"]: s for s in before["species"]}
    assert before["reviewed"] == 0
    # Until a review shows the machine wrong, its roe deer are roe deer as sure as it says: the doubt (0.2 at
    # A-02, next to nothing at A-03) is under a quarter of a record, not worth a review.
    assert rows["Capreolus pygargus"]["records"] == 2 and rows["Capreolus pygargus"]["toReview"] == 0
    assert before["events"] == []
    # The least confident "roe deer" at A-03 was a wild boar: the machine's roe deer may be boar, and at A-02 no
    # boar is reported, so boar may have been missed there; the plan sends the editor to those two events.
    least = max(photos["machine"])  # probability 0.95 - 0.2 k: the last is the least confident
    r = editor.post("/api/species-review", json={"observations": [least], "scientificName": "Sus scrofa"},
                    headers=csrf(editor))
    assert r.status_code == 200
    after = editor.get("/api/review-plan").json()
    rows = {s["species"]: s for s in after["species"]}
    assert after["reviewed"] == 1
    assert rows["Sus scrofa"]["expectedMissedSites"] > 0.3 and rows["Sus scrofa"]["toReview"] == 2
    planned = [e["observation"] for e in after["events"]]
    assert set(planned) == set(unsure)
    assert all(e["station"] == "A-02" and "Sus scrofa" in e["species"] for e in after["events"])
    # The page lists them with the form that decides them and comes back here.
    page = editor.get("/review-plan").text
    assert 'id="plan-species"' in page and 'name="to" value="plan"' in page
    assert all(f'data-observation="{o}"' in page for o in planned)
    for _, _, lat, lon, _ in STATIONS:
        assert f"{lat:.4f}" not in page and f"{lon:.4f}" not in page
    form = {"csrf_token": editor.cookies.get("bigcats_csrf"), "obs": planned, "scientific_name": "Capreolus pygargus",
            "obs_type": "animal", "to": "plan"}
    r = editor.post("/species-review", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/review-plan?")
    settled = editor.get("/api/review-plan").json()
    assert settled["reviewed"] == 3 and settled["events"] == []
    # The CLI gives the same document on the same store.
    out = CliRunner().invoke(app, ["review-plan", "--db", db_url, "--partner", "A", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["species"] == settled["species"]
    human = CliRunner().invoke(app, ["review-plan", "--db", db_url, "--partner", "A"], env={"COLUMNS": "200"})
    assert human.exit_code == 0 and "Capreolus pygargus" in human.stdout


def test_plan_is_for_editors_only(sqlite_world, shared_data, tmp_path):
    db_url, _ = sqlite_world
    add_photos(db_url, tmp_path / "media", shared_data)
    public = client_for(db_url)
    assert public.get("/api/review-plan").status_code in (401, 403)
    r = public.get("/review-plan", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    viewer = sign_in(client_for(db_url), "viewer_a")
    doc = viewer.get("/api/review-plan").json()
    assert doc["events"] == [] and doc["species"] == [] and "editors" in doc["message"]
    # Another partner's administrator plans only over its own observations (no machine labels there).
    other = sign_in(client_for(db_url), "admin_c").get("/api/review-plan").json()
    assert {s["species"] for s in other["species"]} <= {"Panthera uncia", "Capra sibirica"}
    assert other["events"] == []
    editor = sign_in(client_for(db_url), "editor_a")
    assert editor.get("/api/review-plan", params={"occasion_days": 0}).status_code == 400
    assert editor.get("/api/review-plan", params={"occasion_days": "x"}).status_code == 422
    bad = CliRunner().invoke(app, ["review-plan", "--db", db_url, "--partner", "ZZ", "--json"])
    assert bad.exit_code == 1 and "ZZ" in bad.stdout and "Traceback" not in bad.output


def test_plan_on_the_real_camtrap_dp_example(tmp_path, shared_data):
    """The official Camtrap DP example: 34 events people identified and 2 the machine called "Ardea" (a genus,
    confidence 0.90 and 0.89) at station ce943ced, where no grey heron is reported. Grey heron is the only Ardea
    recorded, so both are probably herons missed there: the plan lists exactly those two."""
    from bigcats.exchange.camtrapdp.importer import import_package
    from bigcats.store.db import open_store

    url = f"sqlite:///{tmp_path / 'example.db'}"
    import_package(open_store(url), shared_data / "camtrap-dp-example", "INBO", country="BEL")
    out = CliRunner().invoke(app, ["review-plan", "--db", url, "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    heron = next(s for s in doc["species"] if s["species"] == "Ardea cinerea")
    assert (heron["records"], heron["expectedMissedSites"], heron["toReview"]) == (1, 1.0, 2)
    assert (heron["stations"], heron["stationsSurveyed"]) == (1, 4)  # naive occupancy 1 of 4, maybe 2 of 4
    assert all(s["toReview"] == 0 for s in doc["species"] if s["species"] != "Ardea cinerea")
    assert [(e["station"], e["machine"], e["confidence"]) for e in doc["events"]] == [
        ("ce943ced", "Ardea", 0.9), ("ce943ced", "Ardea", 0.89)]
    assert doc["reviewed"] == 0  # people's own identifications are certain, not reviews of the machine
