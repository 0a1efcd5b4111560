"""The review queue in the web app: who sees which proposals, photos side by side, decisions with CSRF and role."""

from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
import pandas as pd
from sqlalchemy import select
from webworld import client_for, csrf, sign_in

from bigcats.identify import catalogue as cat
from bigcats.store.db import open_store
from bigcats.store.models import Observation, Station, Deployment
from bigcats.store.models_identify import IndividualImage
from bigcats.store.query import load_frames

TIGER = "Panthera tigris altaica"


def _queue(db_url: str, world: dict, tmp_path) -> dict:
    """A pending proposal on partner A's unidentified tiger (candidate T1) and one on partner B's photo."""
    engine = open_store(db_url)
    photos = {}
    for name, value in (("query", 90), ("ref", 160), ("b", 40)):
        photos[name] = tmp_path / f"{name}.jpg"
        cv2.imwrite(str(photos[name]), np.full((60, 80, 3), value, np.uint8))
    with engine.begin() as conn:
        obs = conn.execute(select(Observation.id).join(Deployment, Observation.deployment_id == Deployment.id)
                           .join(Station, Deployment.station_id == Station.id)
                           .where(Station.code == "A-02")).scalar_one()
        conn.execute(IndividualImage.__table__.insert().values(
            individual_id=world["individuals"]["T1"], file_path=str(photos["ref"]), side="left",
            added_at=datetime(2024, 1, 1)))
    base = {"scientificName": TIGER, "side": "left", "individual": "T1", "score": 2.5, "rank": 1}
    cat.propose(engine, pd.DataFrame([base | {"observation_id": obs, "image": str(photos["query"])}]), partner="A")
    cat.propose(engine, pd.DataFrame([base | {"image": str(photos["b"])}]), partner="B")
    ids = cat.pending(engine).set_index("partner")["id"]
    return {"engine": engine, "a": int(ids["A"]), "b": int(ids["B"]), "obs": obs}


def test_review_flow_confirms_with_role_and_csrf(world, tmp_path):
    db_url, info = world
    q = _queue(db_url, info, tmp_path)
    public = client_for(db_url)
    assert public.get("/api/review").json()["items"] == []
    assert public.post(f"/api/review/{q['a']}", json={"decision": "confirm"}, headers=csrf(public)).status_code == 401
    # A viewer of A sees A's proposal but may not decide; B's proposal is not A's to see.
    viewer = sign_in(client_for(db_url), "viewer_a")
    items = viewer.get("/api/review").json()["items"]
    assert [i["id"] for i in items] == [q["a"]] and items[0]["canDecide"] is False
    assert viewer.post(f"/api/review/{q['a']}", json={"decision": "confirm"}, headers=csrf(viewer)).status_code == 403
    editor = sign_in(client_for(db_url), "editor_a")
    item = editor.get("/api/review").json()["items"][0]
    assert item["canDecide"] and item["individual"] == "T1" and "image" not in item
    # Both photos are served, side by side, re-encoded; B's photo is out of A's reach.
    for url in (item["queryPhoto"], item["candidatePhoto"]):
        r = editor.get(url)
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert editor.get(f"/api/review/{q['b']}/query.jpg").status_code == 404
    assert editor.post(f"/api/review/{q['b']}", json={"decision": "reject"}, headers=csrf(editor)).status_code == 404
    page = editor.get("/review")
    assert page.status_code == 200 and "review-list" in page.text
    # Without the CSRF token nothing is decided.
    assert editor.post(f"/api/review/{q['a']}", json={"decision": "confirm"}).status_code == 403
    assert editor.post(f"/api/review/{q['a']}", json={"decision": "maybe"}, headers=csrf(editor)).status_code == 400
    r = editor.post(f"/api/review/{q['a']}", json={"decision": "confirm"}, headers=csrf(editor))
    assert r.status_code == 200 and r.json()["individual"] == "T1"
    assert editor.get("/api/review").json()["items"] == []
    assert editor.post(f"/api/review/{q['a']}", json={"decision": "confirm"}, headers=csrf(editor)).status_code == 409
    # The confirmed identification reaches the survey frames, and the log says who decided.
    obs = load_frames(q["engine"]).observations
    a02 = obs[obs["locationID"] == "A-02"]
    assert list(a02["individualID"]) == ["T1"]
    hist = cat.history(q["engine"])
    assert list(zip(hist["action"], hist["who"], strict=True)) == [("confirm", "editor_a")]


def test_a_box_drawn_in_the_review_page_reaches_the_observation_and_the_next_match(world, tmp_path):
    db_url, info = world
    q = _queue(db_url, info, tmp_path)
    url = f"/api/review/{q['a']}/box"
    box = {"bboxX": 0.25, "bboxY": 0.1, "bboxWidth": 0.5, "bboxHeight": 0.6, "side": "right"}
    public = client_for(db_url)
    assert public.post(url, json=box, headers=csrf(public)).status_code == 401
    viewer = sign_in(client_for(db_url), "viewer_a")
    assert viewer.post(url, json=box, headers=csrf(viewer)).status_code == 403
    editor = sign_in(client_for(db_url), "editor_a")
    assert editor.post(f"/api/review/{q['b']}/box", json=box, headers=csrf(editor)).status_code == 404  # B's photo
    assert editor.post(url, json=box).status_code == 403  # no CSRF token
    # Attacks on the box itself: outside the photo, too small, half given, not numbers, an unknown flank.
    for bad in ({**box, "bboxX": 0.8}, {**box, "bboxWidth": 0.001}, {**box, "bboxY": -0.1}, {"bboxX": 0.1, "bboxY": 0.1},
                {**box, "side": "top"}, {**box, "bboxX": "left"}, {}):
        r = editor.post(url, json=bad, headers=csrf(editor))
        assert r.status_code in (400, 422), (bad, r.text)
    r = editor.post(url, content=b'{"bboxX": 0.1, "bboxY": 0.1, "bboxWidth": 0.2, "bboxHeight": 1e999}',
                    headers=csrf(editor) | {"Content-Type": "application/json"})
    assert r.status_code in (400, 422), r.text  # JSON's overflow reads as infinity
    with q["engine"].connect() as conn:
        assert conn.execute(select(Observation.bbox_x).where(Observation.id == q["obs"])).scalar() is None  # nothing changed
    r = editor.post(url, json=box, headers=csrf(editor))
    assert r.status_code == 200 and r.json()["action"] == "box" and r.json()["side"] == "right"
    item = editor.get("/api/review").json()["items"][0]
    assert item["side"] == "right" and (item["bboxX"], item["bboxWidth"]) == (0.25, 0.5)
    # The next matching run of that observation crops to the box, in the photo's pixels.
    assert cat.observation_box(q["engine"], q["obs"], (1000, 2000, 3)) == (500, 100, 1000, 600)
    # Who drew it is in the log, and undo restores the box and the flank exactly.
    hist = cat.history(q["engine"])
    assert list(zip(hist["action"], hist["who"], strict=True)) == [("box", "editor_a")]
    cat.undo(q["engine"], int(hist["id"].iloc[-1]), "editor_a")
    assert cat.observation_box(q["engine"], q["obs"], (1000, 2000, 3)) is None
    assert editor.get("/api/review").json()["items"][0]["side"] == "left"
    # A decided proposal takes no box.
    editor.post(f"/api/review/{q['a']}", json={"decision": "confirm"}, headers=csrf(editor))
    assert editor.post(url, json=box, headers=csrf(editor)).status_code in (404, 409)
