"""The location-leak crawl for every role and every agreement state, over every GET route (pages, API, photos,
thumbnails, downloads): nobody gets an exact position of a sensitive station they are not entitled to, no photo
carries a GPS position, no answer names the server's folders."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from test_web_reports import pdf_text
from test_web_visibility import QUERIES, _expand, _get_routes, _leaks, _texts
from webworld import add_photos, client_for, csrf, sign_in

from bigcats.web.security import now_utc

ROLES = {"public": None, "viewer_a": "A", "editor_a": "A", "admin_a": "A", "viewer_b": "B", "admin_b": "B",
         "admin_c": "C"}
# Partners whose sensitive stations each partner's people may see exactly, before any change: their own, and
# C's for B (C shares with B, exact locations included).
BASE = {"A": {"A"}, "B": {"B", "C"}, "C": {"C"}, None: set()}


def _set_state(db_url: str, state: str) -> dict:
    """Put the world in an agreement state through the API; returns who then sees whose exact stations."""
    entitled = {k: set(v) for k, v in BASE.items()}
    if state == "seeded":
        return entitled
    a = sign_in(client_for(db_url), "admin_a")
    b = sign_in(client_for(db_url), "admin_b")
    if state == "proposed":  # A offers B exact locations; not accepted yet: nothing changes
        a.post("/api/agreements", json={"owner": "A", "grantee": "B", "exact_locations": True}, headers=csrf(a))
    elif state in ("accepted", "ended"):
        p = a.post("/api/agreements", json={"owner": "A", "grantee": "B", "exact_locations": True},
                   headers=csrf(a)).json()["proposal"]
        agreement = b.post(f"/api/proposals/{p}/accept", headers=csrf(b)).json()["agreement"]
        if state == "ended":
            assert b.post(f"/api/agreements/{agreement}/end", headers=csrf(b)).status_code == 200
        else:
            entitled["B"].add("A")
    elif state == "embargo":  # B shares everything with A, exact, new data under embargo
        p = b.post("/api/agreements", json={"owner": "B", "grantee": "A", "exact_locations": True,
                                            "valid_from": "2024-01-25",
                                            "embargo_until": (now_utc() + timedelta(days=90)).isoformat()},
                   headers=csrf(b)).json()["proposal"]
        assert a.post(f"/api/proposals/{p}/accept", headers=csrf(a)).status_code == 200
        entitled["A"].add("B")
    elif state == "public-exact-forced":  # an agreement giving the public exact locations, written by hand
        from datetime import datetime

        from sqlalchemy import create_engine, select

        from bigcats.store.models import Partner
        from bigcats.store.models_access import SharingAgreement

        engine = create_engine(db_url)
        with engine.begin() as conn:
            for code in ("B", "C"):
                pid = conn.execute(select(Partner.id).where(Partner.code == code)).scalar_one()
                conn.execute(SharingAgreement.__table__.insert().values(
                    owner_partner_id=pid, grantee_partner_id=None, exact_locations=True,
                    created_at=datetime(2020, 1, 1)))
        engine.dispose()
    return entitled


@pytest.mark.parametrize("state", ["seeded", "proposed", "accepted", "ended", "embargo", "public-exact-forced"])
def test_no_role_gets_a_location_it_is_not_entitled_to(sqlite_world, shared_data, tmp_path, state):
    db_url, info = sqlite_world
    media = tmp_path / "media"
    photos = add_photos(db_url, media, shared_data)
    entitled = _set_state(db_url, state)
    values = {"individual_id": [str(i) for i in info["individuals"].values()],
              "media_id": [str(m) for m in photos["media"]], "image_id": [str(i) for i in photos["reference"]],
              "partner": list(info["partners"]), "job_id": ["0" * 32], "proposal_id": ["1"], "name": ["parks"],
              "size": ["thumb"], "which": ["query", "candidate"], "table": ["stations", "individuals", "summary"],
              "fmt": ["html", "pdf"]}
    server_paths = re.compile(re.escape(str(tmp_path)) + "|" + re.escape(str(media)))
    crawled = 0
    # Roles of one partner see alike: every role in the first state, one per partner (and the public) after.
    roles = ROLES if state == "seeded" else {r: p for r, p in ROLES.items() if r in ("public", "viewer_a", "viewer_b",
                                                                                      "admin_c")}
    for role, partner in roles.items():
        client = client_for(db_url, media_root=media, thumb_dir=tmp_path / "thumbs")
        if partner:
            sign_in(client, role)
        hidden = [s for s in info["sensitive_stations"] if s[0] not in entitled[partner]]
        for route in _get_routes(client.app):
            for path in _expand(route, values):
                for q in (QUERIES[:2] if "{" not in route and state == "seeded" else QUERIES[:1]):
                    r = client.get(path + q)
                    crawled += 1
                    assert r.status_code < 500, (state, role, path + q, r.text[:300])
                    if r.headers.get("content-type", "").startswith("image/"):
                        assert b"GPS" not in r.content and b"Exif" not in r.content, (state, role, path)
                        continue
                    for text in _texts(r):
                        leaked = _leaks(text, hidden)
                        assert not leaked, f"{state}: {role} got exact {leaked} from {path + q}"
                        assert not server_paths.search(text), f"{state}: {role} got a server path from {path}"
        # Status reports (HTML and PDF) of each sensitive species, whole area and per partner: a report that
        # names a route above is only crawled without a species, so here each is fetched and read.
        for sp in ("Panthera tigris altaica", "Panthera pardus orientalis", "Panthera uncia"):
            for area in ("", "&partner=A", "&partner=B", "&partner=C"):
                for fmt in (("html", "pdf") if area == "" and sp == "Panthera tigris altaica" else ("html",)):
                    r = client.get(f"/api/downloads/report.{fmt}?species={sp}{area}")
                    crawled += 1
                    assert r.status_code in (200, 400, 404), (state, role, sp, area, r.text[:300])
                    if r.status_code != 200:
                        continue
                    kind = r.headers["content-disposition"].split('filename="')[1].split("-")[0]
                    # The selection: one partner, or every partner whose data the caller sees.
                    owners = {area[-1]} if area else {p["code"] for p in client.get("/api/partners").json()}
                    # The full report (station map) only for those entitled to every partner's exact stations.
                    assert kind == "brochure" or (partner and owners <= entitled[partner]), (state, role, sp, area)
                    text = pdf_text(r.content) if fmt == "pdf" else r.text
                    assert not _leaks(text, hidden), f"{state}: {role} got exact stations from a report"
                    assert not server_paths.search(text), f"{state}: {role} got a server path from a report"
        # Not vacuous: what a role is entitled to, it does get exactly.
        if partner:
            own = [s for s in info["sensitive_stations"] if s[0] in entitled[partner]]
            assert sorted(_leaks(client.get("/api/stations").text, own)) == sorted(s[1] for s in own), (state, role)
    assert crawled > 250
