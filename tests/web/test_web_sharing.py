"""Sharing managed in the browser: propose, accept, decline, withdraw, change and end agreements; embargo; history."""

from __future__ import annotations

from datetime import datetime, timedelta

from webworld import client_for, csrf, sign_in

from bigcats.web.security import now_utc


def _precision(client) -> dict[str, str]:
    return {s["locationID"]: s["precision"] for s in client.get("/api/stations").json()}


def test_agreements_list_answers_once_agreements_exist(world):
    db_url, _ = world
    admin = sign_in(client_for(db_url), "admin_a")
    r = admin.get("/api/agreements")
    assert r.status_code == 200, r.text  # was a 500 as soon as one agreement existed
    got = {(a["owner"], a["grantee"]) for a in r.json()}
    assert got == {("A", None), ("B", "A")}  # C->B does not involve A
    assert all(a["state"] == "in force" for a in r.json())


def test_propose_accept_change_end_between_two_partners(world):
    db_url, _ = world
    a = sign_in(client_for(db_url), "admin_a")
    b = sign_in(client_for(db_url), "admin_b")
    viewer_b = sign_in(client_for(db_url), "viewer_b")
    assert _precision(viewer_b).get("A-01") == "generalised"  # through A's public agreement only
    # Viewers and editors do not propose; nobody proposes for partners they do not administer.
    for who in ("viewer_a", "editor_a"):
        c = sign_in(client_for(db_url), who)
        assert c.post("/api/agreements", json={"owner": "A", "grantee": "B"}, headers=csrf(c)).status_code == 403
    assert a.post("/api/agreements", json={"owner": "C", "grantee": "B"}, headers=csrf(a)).status_code == 403
    r = a.post("/api/agreements", json={"owner": "A", "grantee": "B", "exact_locations": True,
                                        "note": "joint tiger monitoring"}, headers=csrf(a))
    assert r.status_code == 201, r.text
    proposal = r.json()["proposal"]
    # A proposal grants nothing, and the proposer cannot accept its own.
    assert _precision(viewer_b)["A-01"] == "generalised"
    assert a.post(f"/api/proposals/{proposal}/accept", headers=csrf(a)).status_code == 403
    r = b.post(f"/api/proposals/{proposal}/accept", headers=csrf(b))
    assert r.status_code == 200, r.text
    agreement = r.json()["agreement"]
    assert _precision(viewer_b)["A-01"] == "exact"
    assert b.post(f"/api/proposals/{proposal}/accept", headers=csrf(b)).status_code == 409  # once only
    # B asks for a change (tigers only); A accepts: the old agreement ends as the new one begins.
    r = b.post(f"/api/agreements/{agreement}/change", json={"owner": "A", "grantee": "B", "exact_locations": True,
                                                            "species": ["Panthera tigris altaica"]}, headers=csrf(b))
    change = r.json()["proposal"]
    r = a.post(f"/api/proposals/{change}/accept", headers=csrf(a))
    new = r.json()["agreement"]
    rows = {x["id"]: x for x in a.get("/api/agreements").json()}
    assert rows[agreement]["state"] == "ended" and rows[new]["state"] == "in force" and rows[new]["replaces"] == agreement
    seen = {d["scientificName"] for d in viewer_b.get("/api/detections", params={"partner": "A"}).json()}
    assert "Panthera tigris altaica" in seen
    # B ends it: from now on B's people see A only as the public does.
    assert b.post(f"/api/agreements/{new}/end", headers=csrf(b)).status_code == 200
    assert _precision(viewer_b)["A-01"] == "generalised"
    assert b.post(f"/api/agreements/{new}/end", headers=csrf(b)).status_code == 409
    history = a.get("/api/sharing").json()["history"]
    actions = [(h["action"], h["who"]) for h in reversed(history)]
    assert actions == [("proposed", "admin_a"), ("accepted", "admin_b"), ("proposed", "admin_b"),
                       ("accepted", "admin_a"), ("ended", "admin_b")]


def test_decline_withdraw_and_refusals(world):
    db_url, _ = world
    a = sign_in(client_for(db_url), "admin_a")
    b = sign_in(client_for(db_url), "admin_b")
    c = sign_in(client_for(db_url), "admin_c")
    p1 = a.post("/api/agreements", json={"owner": "A", "grantee": "B"}, headers=csrf(a)).json()["proposal"]
    p2 = a.post("/api/agreements", json={"owner": "A", "grantee": "B"}, headers=csrf(a)).json()["proposal"]
    assert c.post(f"/api/proposals/{p1}/accept", headers=csrf(c)).status_code == 404  # not C's business
    assert b.post(f"/api/proposals/{p1}/decline", headers=csrf(b)).json()["status"] == "declined"
    assert b.post(f"/api/proposals/{p2}/withdraw", headers=csrf(b)).status_code == 403  # only the proposer
    assert a.post(f"/api/proposals/{p2}/withdraw", headers=csrf(a)).json()["status"] == "withdrawn"
    assert b.post(f"/api/proposals/{p2}/accept", headers=csrf(b)).status_code == 409
    bad = [({"owner": "A", "grantee": None, "exact_locations": True}, "public never"),
           ({"owner": "A", "grantee": "A"}, "its own data"),
           ({"owner": "A", "grantee": "B", "species": ["Panthera leo"]}, "not in the species list"),
           ({"owner": "A", "grantee": "Z"}, "no partner"),
           ({"owner": "A", "grantee": "B", "valid_from": "2030-01-01", "valid_until": "2029-01-01"}, "after")]
    for body, words in bad:
        r = a.post("/api/agreements", json=body, headers=csrf(a))
        assert r.status_code == 400 and words in r.json()["detail"], (body, r.text)
    assert a.get("/api/sharing").json()["agreements"]  # nothing above broke the list


def test_embargo_hides_new_observations_until_its_date(world):
    db_url, _ = world
    a = sign_in(client_for(db_url), "admin_a")
    b = sign_in(client_for(db_url), "admin_b")
    viewer_a = sign_in(client_for(db_url), "viewer_a")
    before = {d["scientificName"] for d in viewer_a.get("/api/detections", params={"partner": "B"}).json()}
    assert before == {"Capreolus pygargus"}
    # B shares everything with A from 2024-01-25 (B's records run 21-28 January), new data (recorded from then
    # on) embargoed for a year.
    start = datetime(2024, 1, 25)
    p = b.post("/api/agreements", json={"owner": "B", "grantee": "A", "valid_from": start.isoformat(),
                                        "embargo_until": (now_utc() + timedelta(days=365)).isoformat()},
               headers=csrf(b)).json()["proposal"]
    a.post(f"/api/proposals/{p}/accept", headers=csrf(a))
    rows = viewer_a.get("/api/detections", params={"partner": "B", "limit": 1000}).json()
    when = {r["observationID"]: datetime.fromisoformat(r["timestamp"][:19]) for r in rows}
    names = {r["scientificName"] for r in rows}
    assert {"Panthera pardus orientalis", "Panthera tigris altaica"} <= names  # recorded before the start
    assert all(when[r["observationID"]] < start for r in rows if r["scientificName"] != "Capreolus pygargus")
    # Roe deer recorded after the start still show: the older roe-deer agreement has no embargo.
    assert any(when[r["observationID"]] >= start for r in rows if r["scientificName"] == "Capreolus pygargus")
    # The catalogue, map and dashboard follow the same rule (no cached shortcut around the embargo).
    cats = {c["individualID"]: c for c in viewer_a.get("/api/individuals").json()}
    assert cats["L1"]["detections"] == 2
    dash = viewer_a.get("/api/dashboard", params={"partner": "B"}).json()
    assert {s["scientificName"] for s in dash["species"]} == names
    # The whole package would carry embargoed rows: refused, the CSV is the way.
    assert viewer_a.get("/api/downloads/camtrapdp/B.zip").status_code == 403
    state = {x["id"]: x["state"] for x in a.get("/api/agreements").json()}
    assert "embargo" in state.values()


def test_sharing_page_forms(world):
    db_url, _ = world
    a = sign_in(client_for(db_url), "admin_a")
    b = sign_in(client_for(db_url), "admin_b")
    page = a.get("/sharing").text
    assert 'id="propose-form"' in page and "the public" in page
    token = a.cookies.get("bigcats_csrf")
    r = a.post("/sharing/propose", data={"owner": "A", "grantee": "B", "exact_locations": "1",
                                         "species": ["Panthera tigris altaica"], "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303 and "sent+to+the+other+side" in r.headers["location"].replace("%20", "+")
    page = b.get("/sharing").text
    assert "/accept" in page
    proposal = b.get("/api/sharing").json()["proposals"][0]["id"]
    r = b.post(f"/sharing/proposals/{proposal}/accept", data={"csrf_token": b.cookies.get("bigcats_csrf")},
               follow_redirects=False)
    assert r.status_code == 303 and "error" not in r.headers["location"]
    assert b.post(f"/sharing/proposals/{proposal}/accept", data={}).status_code == 403  # no CSRF token
    # A refusal comes back as a message on the page, not as an error page.
    r = a.post("/sharing/propose", data={"owner": "A", "grantee": "", "exact_locations": "1", "csrf_token": token},
               follow_redirects=True)
    assert "public never" in r.text and 'id="sharing-error"' in r.text
    assert client_for(db_url).get("/sharing", follow_redirects=False).status_code == 303  # the public signs in
