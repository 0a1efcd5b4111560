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
