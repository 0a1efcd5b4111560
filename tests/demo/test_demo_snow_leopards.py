"""The demo's third component: snow leopards on the Mongolia-Russia border, from two separate catalogues to one."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from bigcats.demo.identification import QUERY_SOURCE
from bigcats.demo.snow_leopards import SNOW_LEOPARD, run_snow_leopards
from bigcats.exchange.camtrapdp.importer import validate_package
from bigcats.exchange.camtrapdp.package import open_package
from bigcats.identify import catalogue as cat
from bigcats.store.db import open_store
from bigcats.store.models import Deployment, Media, Partner, Station
from bigcats.store.query import catalogue_aliases


@pytest.fixture(scope="module")
def altai(tmp_path_factory):
    out = tmp_path_factory.mktemp("altai")
    result = run_snow_leopards(out, seed=2, quick=True, individuals=4)
    return out, result, open_store(result["db"])


def test_stations_on_both_sides_and_the_summary_agrees_with_the_simulation(altai):
    _, r, _ = altai
    summary, truth = r["summary"], r["truth"]
    assert set(summary["stations"]) == {"MNG", "RUS"} and summary["stations"] == truth["stations"]
    for side, nights in truth["trap_nights"].items():
        assert summary["trap_nights"][side] == pytest.approx(nights, abs=0.2)
    assert summary["detections"][SNOW_LEOPARD] == truth["detections"][SNOW_LEOPARD]
    assert set(summary["detections"]) == set(truth["detections"])  # ibex, argali, goats... nothing of the Amur
    t = truth["individuals"][SNOW_LEOPARD]
    assert t["identified_on_both_sides"] >= 1  # some cats cross the ridge


def test_mongolian_labels_survive_the_exchange(altai):
    _, r, engine = altai
    for path in r["packages"].values():
        problems, _ = validate_package(open_package(path))
        assert not problems, problems.summary()
    with engine.connect() as conn:
        mn = conn.execute(select(Station.code, Station.protected_area).join(Partner, Station.partner_id == Partner.id)
                          .where(Partner.code == "SNNP")).all()
    assert mn and all(code.startswith("СН-") for code, _ in mn)
    assert {pa for _, pa in mn} == {"Сийлхэмийн нурууны байгалийн цогцолборт газар"}
    aliases = catalogue_aliases(engine)
    mongolian = aliases[aliases["partner"] == "SNNP"]
    assert len(mongolian) and mongolian["partnerCode"].str.match(r"^ИР-\d\d$").all()


def test_the_two_catalogues_become_one_only_where_the_coats_say_so(altai):
    _, r, engine = altai
    res = r["identification"]["species"][SNOW_LEOPARD]
    assert sorted(res["partners"]) == ["SNNP", "SNP"]
    # The parks came with separate catalogues: every link was made by the matcher and accepted, and is true.
    assert res["already_one"] == 0 and res["merged"] == res["accepted"] >= 1
    assert res["correct"] == res["accepted"] and res["precision"] == 1.0
    aliases = catalogue_aliases(engine)
    both = aliases.groupby("individualID")["partner"].nunique()
    assert (both == 2).sum() == res["merged"]
    # The summary made after the reconciliation counts as cross-border exactly the linked cats.
    assert r["summary"]["individuals"][SNOW_LEOPARD]["on_both_sides"] == res["merged"]
    assert res["merged"] <= r["truth"]["individuals"][SNOW_LEOPARD]["identified_on_both_sides"]
    # The stranger is not forced into the catalogue.
    stranger = [d for d in res["new_photos"] if d["truth"] == "new individual"]
    assert stranger and all(d["proposed"] is None for d in stranger)


def test_new_photos_have_media_rows_where_and_when_the_cat_was_there(altai):
    """The review page reads date, station and camera from the photo's media row (issue 16)."""
    from bigcats.web.review_words import review_extras
    from bigcats.web.visibility import Scope

    _, r, engine = altai
    res = r["identification"]["species"][SNOW_LEOPARD]
    queue = cat.pending(engine)
    assert len(queue) == res["queued_for_review"] > 0
    assert queue["media_id"].notna().all()
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(
            select(Media.id, Media.file_path, Media.timestamp_utc, Deployment.start_utc, Deployment.end_utc,
                   Partner.code.label("partner"))
            .join(Deployment, Media.deployment_id == Deployment.id).join(Station, Deployment.station_id == Station.id)
            .join(Partner, Station.partner_id == Partner.id).where(Media.source_id.startswith(QUERY_SOURCE))).all())
        items = queue.astype(object).where(queue.notna(), None).to_dict("records")  # as the API gives them
        extras = review_extras(conn, Scope(caller=None, partners={}), items, None)
    assert len(rows) == res["new_photos_with_media"] == len(res["new_photos"])
    assert (rows["partner"] == res["partners"][0]).all()  # the photographer's own station
    assert ((rows["timestamp_utc"] >= rows["start_utc"]) & (rows["timestamp_utc"] <= rows["end_utc"])).all()
    assert all(pd.io.common.file_exists(p) for p in rows["file_path"])
    for item in extras:
        taken = item["taken"]
        assert taken and taken["date"] and taken["station"] and taken["camera"], item


def test_the_review_page_shows_when_where_and_which_camera(altai):
    """Through the web API as the photographer's partner sees it: every queued photo says date, station, camera."""
    from fastapi.testclient import TestClient

    from bigcats.access.users import add_user
    from bigcats.store.load import ensure_partner
    from bigcats.web.app import create_app

    out, r, engine = altai
    owner = r["identification"]["species"][SNOW_LEOPARD]["partners"][0]
    with engine.begin() as conn:
        add_user(conn, "ranger", "a-long-password", ensure_partner(conn, owner), "editor")
    client = TestClient(create_app(r["db"]))
    client.get("/login")
    signed = client.post("/api/auth/login", json={"username": "ranger", "password": "a-long-password"},
                         headers={"X-CSRF-Token": client.cookies.get("bigcats_csrf")})
    assert signed.status_code == 200, signed.text
    items = client.get("/api/review").json()["items"]
    assert len(items) == r["identification"]["species"][SNOW_LEOPARD]["queued_for_review"]
    for item in items:
        taken = item["taken"]
        assert taken and taken["date"].startswith("2024-") and taken["date"].endswith("+07:00"), item
        assert taken["station"].startswith("СН-" if owner == "SNNP" else "SG-") and taken["camera"], taken
    photo = client.get(f"/api/review/{items[0]['id']}/query.jpg")
    assert photo.status_code == 200 and photo.content[:2] == b"\xff\xd8"
