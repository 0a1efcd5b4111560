"""Status reports on the downloads page: the report of `bigcats report`, from what the caller may see only; the
full report (station map) only for callers entitled to every exact location of the selection, else the brochure."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from test_web_visibility import _leaks
from webworld import client_for, sign_in

from bigcats.store.models import Partner
from bigcats.store.models_access import SharingAgreement
from bigcats.web.security import now_utc

TIGER = "Panthera tigris altaica"


def _kind(r) -> str:
    assert r.status_code == 200, r.text[:300]
    return r.headers["content-disposition"].split('filename="')[1].split("-")[0]


def pdf_text(data: bytes) -> str:
    """The text of a PDF (poppler's pdftotext), to crawl it like a page."""
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_report_kind_follows_the_precision_rule(sqlite_world):
    db_url, info = sqlite_world
    public = client_for(db_url)
    r = public.get("/api/downloads/report.html", params={"species": TIGER})
    assert _kind(r) == "brochure" and not _leaks(r.text, info["sensitive_stations"])
    admin_a = sign_in(client_for(db_url), "admin_a")
    # A's own tigers: the full report; all partners (B's tigers are not A's to see exactly): the brochure.
    assert _kind(admin_a.get("/api/downloads/report.html", params={"species": TIGER, "partner": "A"})) == "status"
    assert _kind(admin_a.get("/api/downloads/report.html", params={"species": TIGER})) == "brochure"
    # B sees C's snow leopards exactly (C shares exact with B), A's only generalised.
    viewer_b = sign_in(client_for(db_url), "viewer_b")
    assert _kind(viewer_b.get("/api/downloads/report.html", params={"species": "Panthera uncia", "partner": "C"})
                 ) == "status"
    assert _kind(viewer_b.get("/api/downloads/report.html", params={"species": TIGER, "partner": "A"})) == "brochure"
    page = admin_a.get("/downloads", params={"species": TIGER}).text
    assert 'id="report-downloads"' in page and "/api/downloads/report.pdf?species=" in page
    assert 'id="report-choose"' in admin_a.get("/downloads").text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_pdf_report_says_what_the_html_says(sqlite_world):
    db_url, info = sqlite_world
    public = client_for(db_url)
    r = public.get("/api/downloads/report.pdf", params={"species": TIGER, "lang": "ru"})
    assert r.headers["content-type"] == "application/pdf" and _kind(r) == "brochure"
    text = pdf_text(r.content)
    assert "Амурский тигр" in text and not _leaks(text, info["sensitive_stations"])


def test_report_reads_only_what_the_caller_may_see(sqlite_world):
    from bigcats.store.db import open_store
    from bigcats.web.reports import scoped_inputs
    from bigcats.web.visibility import PUBLIC, build_scope

    db_url, info = sqlite_world
    engine = open_store(db_url)
    with engine.connect() as conn:
        public = scoped_inputs(engine, conn, build_scope(conn, PUBLIC))
        # The public sees A (shared with everyone) and nothing of B or C.
        assert set(public.frames.deployments["partner"]) == {"A"}
        assert set(public.frames.observations["partner"]) == {"A"} and public.census is None
        a_scope = build_scope(conn, _caller(conn, "admin_a"))
        scoped = scoped_inputs(engine, conn, a_scope)
        seen = scoped.frames.observations
        # Catalogue photos (which may be another partner's) only for those who see everything (issue 16).
        assert public.photos is None and scoped.photos is None
        # B shares only roe deer with A; C nothing.
        assert set(seen.loc[seen["partner"] == "B", "scientificName"]) == {"Capreolus pygargus"}
        assert "C" not in set(seen["partner"])
    # B puts everything under an embargo for A from 2024-01-25: A's report reads B's data before it only.
    with engine.begin() as conn:
        ids = dict(conn.execute(select(Partner.code, Partner.id)).all())
        conn.execute(SharingAgreement.__table__.insert().values(
            owner_partner_id=ids["B"], grantee_partner_id=ids["A"], exact_locations=True,
            valid_from=datetime(2024, 1, 25), created_at=datetime(2024, 1, 25),
            embargo_until=now_utc() + timedelta(days=30)))
    with engine.connect() as conn:
        seen = scoped_inputs(engine, conn, build_scope(conn, _caller(conn, "admin_a"))).frames.observations
    b = seen[seen["partner"] == "B"]
    assert len(b)
    late_tigers = b[(b["scientificName"] != "Capreolus pygargus") & (b["timestamp"] >= "2024-01-25")]
    assert late_tigers.empty
    engine.dispose()


def _caller(conn, username: str):
    from bigcats.store.models_access import User
    from bigcats.web.visibility import Caller, caller_roles

    uid = conn.execute(select(User.id).where(User.username == username)).scalar_one()
    return Caller(user_id=uid, username=username, roles=caller_roles(conn, uid))


def test_report_refusals_say_why(sqlite_world):
    db_url, _ = sqlite_world
    c = sign_in(client_for(db_url), "viewer_a")
    assert c.get("/api/downloads/report.html").status_code == 400
    r = c.get("/api/downloads/report.html", params={"species": f"{TIGER},Sus scrofa"})
    assert r.status_code == 400 and "one species" in r.json()["detail"]
    assert c.get("/api/downloads/report.doc", params={"species": TIGER}).status_code == 404
    r = c.get("/api/downloads/report.html", params={"species": TIGER, "partner": "C"})
    assert r.status_code == 404 and "C" in r.json()["detail"]
    r = c.get("/api/downloads/report.html", params={"species": TIGER, "partner": "A", "project": "nosuch"})
    assert r.status_code == 404
    assert _kind(c.get("/api/downloads/report.html", params={"species": TIGER, "partner": "A", "lang": "xx"})
                 ) == "status"


def test_report_of_a_period(sqlite_world):
    db_url, _ = sqlite_world
    c = sign_in(client_for(db_url), "admin_a")
    r = c.get("/api/downloads/report.html", params={"species": TIGER, "partner": "A", "start": "2024-01-01",
                                                    "end": "2024-01-31", "lang": "ru"})
    assert _kind(r) == "status" and "status-Panthera_tigris_altaica-A-ru.html" in r.headers["content-disposition"]
    assert "января 2024" in r.text  # the period is the one asked for, in the reader's language
    assert c.get("/api/downloads/report.html", params={"species": TIGER, "start": "the spring"}).status_code == 400


def test_a_kept_report_follows_the_agreements(sqlite_world):
    """Reports are kept per data version and visibility: a new agreement changes what the same user gets."""
    import time

    from webworld import csrf

    db_url, info = sqlite_world
    b = sign_in(client_for(db_url), "viewer_b")
    params = {"species": TIGER, "partner": "A"}
    assert _kind(b.get("/api/downloads/report.html", params=params)) == "brochure"
    t = time.perf_counter()
    again = b.get("/api/downloads/report.html", params=params)
    assert _kind(again) == "brochure" and time.perf_counter() - t < 1.0  # kept, not built again
    a, admin_b = sign_in(client_for(db_url), "admin_a"), sign_in(client_for(db_url), "admin_b")
    p = a.post("/api/agreements", json={"owner": "A", "grantee": "B", "exact_locations": True},
               headers=csrf(a)).json()["proposal"]
    assert admin_b.post(f"/api/proposals/{p}/accept", headers=csrf(admin_b)).status_code == 200
    assert _kind(b.get("/api/downloads/report.html", params=params)) == "status"


def test_a_kept_report_is_made_again_when_a_species_becomes_sensitive(sqlite_world):
    """Reports are kept per access version too: a sensitivity change must not leave an older report served."""
    from bigcats.store.db import open_store
    from bigcats.web import reports
    from bigcats.store.species import set_sensitive

    db_url, _ = sqlite_world
    public = client_for(db_url)
    params = {"species": "Capreolus pygargus"}
    first = public.get("/api/downloads/report.html", params=params)
    assert first.status_code == 200
    kept = set(reports._MADE)
    assert public.get("/api/downloads/report.html", params=params).status_code == 200
    assert set(reports._MADE) == kept  # the same report, not made again
    engine = open_store(db_url)
    set_sensitive(engine, "Capreolus pygargus", "A")
    engine.dispose()
    assert public.get("/api/downloads/report.html", params=params).status_code == 200
    assert set(reports._MADE) - kept  # made again under the new access version
