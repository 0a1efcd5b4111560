"""Species review: least confident machine identifications first, bulk decisions by editors, history kept."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from webworld import add_photos, client_for, csrf, sign_in

from bigcats.store.models import Observation, Species


def test_queue_decide_and_history(sqlite_world, shared_data, tmp_path):
    db_url, _ = sqlite_world
    photos = add_photos(db_url, tmp_path / "media", shared_data)
    editor = sign_in(client_for(db_url, media_root=tmp_path / "media"), "editor_a")
    items = editor.get("/api/species-review").json()["items"]
    probs = [i["probability"] for i in items]
    assert [i["id"] for i in items] and set(i["id"] for i in items) == set(photos["machine"])
    assert probs == sorted(probs)  # least confident first (each its own burst: a day apart)
    worst = items[0]
    # The least confident was a wild boar: the editor corrects it; the two most confident are confirmed in bulk.
    r = editor.post("/api/species-review", json={"observations": [worst["id"]], "scientificName": "Sus scrofa",
                                                 "note": "tusks visible"}, headers=csrf(editor))
    assert r.status_code == 200 and r.json() == {"observations": 1, "changed": 1}
    top = [i["id"] for i in items[-2:]]
    r = editor.post("/api/species-review", json={"observations": top, "scientificName": "Capreolus pygargus"},
                    headers=csrf(editor))
    assert r.json() == {"observations": 2, "changed": 0}
    left = {i["id"] for i in editor.get("/api/species-review").json()["items"]}
    assert left == set(photos["machine"]) - {worst["id"], *top}
    history = editor.get("/api/species-review/history").json()
    fix = next(h for h in history if h["observation"] == worst["id"])
    assert fix["who"] == "editor_a" and fix["before"] == "Capreolus pygargus" and fix["after"] == "Sus scrofa"
    assert fix["machine"] == "Capreolus pygargus" and abs(fix["machineProbability"] - worst["probability"]) < 1e-9
    # A second change keeps the machine's original guess, not the person's first decision.
    editor.post("/api/species-review", json={"observations": [worst["id"]], "scientificName": "Capreolus pygargus"},
                headers=csrf(editor))
    again = next(h for h in editor.get("/api/species-review/history").json() if h["observation"] == worst["id"])
    assert again["before"] == "Sus scrofa" and again["machine"] == "Capreolus pygargus"
    engine = create_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(select(Observation.classification_method, Observation.classified_by, Species.scientific_name)
                           .join(Species, Observation.species_id == Species.id)
                           .where(Observation.id == worst["id"])).one()
    engine.dispose()
    assert tuple(row) == ("human", "editor_a", "Capreolus pygargus")
    # The dashboard sees the change at once (the summary cache was dropped).
    dash = editor.get("/api/dashboard", params={"partner": "A", "species": "Sus scrofa"}).json()
    assert sum(s["detections"] for s in dash["species"]) == 2


def test_only_editors_of_the_partner_decide(sqlite_world, shared_data, tmp_path):
    db_url, _ = sqlite_world
    photos = add_photos(db_url, tmp_path / "media", shared_data)
    oid = photos["machine"][0]
    viewer = sign_in(client_for(db_url), "viewer_a")
    assert viewer.get("/api/species-review").json()["items"] == []
    r = viewer.post("/api/species-review", json={"observations": [oid], "scientificName": "Sus scrofa"},
                    headers=csrf(viewer))
    assert r.status_code == 404
    other = sign_in(client_for(db_url), "admin_c")
    r = other.post("/api/species-review", json={"observations": [oid], "scientificName": "Sus scrofa"},
                   headers=csrf(other))
    assert r.status_code == 404 and "not among those you may edit" in r.json()["detail"]
    editor = sign_in(client_for(db_url), "editor_a")
    for body, words in (({"observations": [oid], "scientificName": "Felis nonexistens"}, "not in the species list"),
                        ({"observations": [oid]}, "needs a species"),
                        ({"observations": [oid], "type": "ghost"}, "type"),
                        ({"observations": [oid, 10**9], "scientificName": "Sus scrofa"}, "not among")):
        r = editor.post("/api/species-review", json=body, headers=csrf(editor))
        assert r.status_code in (400, 404) and words in r.json()["detail"], (body, r.text)
    # Refused whole: the good id in the last batch was not changed either.
    assert editor.get("/api/species-review/history").json() == []
    # A blank is recorded as such, without a species.
    r = editor.post("/api/species-review", json={"observations": [oid], "type": "blank"}, headers=csrf(editor))
    assert r.json()["changed"] == 1
    page = editor.get("/species-review").text
    assert "species-history" in page and "blank" in page


def test_species_review_page_bulk_form(sqlite_world, shared_data, tmp_path):
    db_url, _ = sqlite_world
    photos = add_photos(db_url, tmp_path / "media", shared_data)
    editor = sign_in(client_for(db_url, media_root=tmp_path / "media"), "editor_a")
    page = editor.get("/species-review").text
    assert page.count('name="obs"') == len(photos["machine"])
    r = editor.post("/species-review", data={"obs": photos["machine"][:2], "scientific_name": "Sus scrofa",
                                             "obs_type": "animal", "csrf_token": editor.cookies.get("bigcats_csrf")},
                    follow_redirects=True)
    assert "2 observations decided" in r.text
    assert r.text.count('name="obs"') == len(photos["machine"]) - 2
