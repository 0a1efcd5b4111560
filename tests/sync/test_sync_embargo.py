"""An agreement under embargo sends the peer what the web shows its grantee, never more (issue 17's embargo).

Data recorded before the agreement began travels; what was recorded since stays home until the embargo date,
and is sent once when the embargo has ended. On the official Camtrap DP example (real, 549 observations).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select, update

from bigcats.core.clock import utcnow
from bigcats.exchange.sync import export_changes, receive
from bigcats.exchange.sync.agreement import Grant, grants_for
from bigcats.exchange.sync.changes import snapshot
from bigcats.store.db import open_store, table_counts
from bigcats.store.load import ensure_partner
from bigcats.store.models import Media, Observation, Partner
from bigcats.store.models_access import SharingAgreement

CUTOFF = datetime(2020, 7, 1)  # the agreement began: events of the example run 2020-05-30 .. 2021-04-18


def test_embargoed_agreement_grants_only_what_came_before(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'e.db'}")
    with engine.begin() as conn:
        owner, grantee = ensure_partner(conn, "LLNP"), ensure_partner(conn, "NCTLNP")
        conn.execute(SharingAgreement.__table__.insert().values(
            owner_partner_id=owner, grantee_partner_id=grantee, exact_locations=True,
            created_at=datetime(2026, 1, 1), embargo_until=datetime(2027, 6, 1)))
    (grant,) = grants_for(engine, "NCTLNP", when=datetime(2026, 12, 1))
    assert grant.embargo_from == datetime(2026, 1, 1) and grant.embargo_ended is None
    seen = grant.visible(pd.Series(["Panthera tigris altaica"] * 4),
                         pd.Series(["2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z", "not a time", None]))
    assert seen.tolist() == [True, False, False, False]  # no readable time: it stays home
    (grant,) = grants_for(engine, "NCTLNP", when=datetime(2027, 6, 2))
    assert grant.owner == "LLNP" and grant.exact_locations and grant.embargo_from is None
    assert grant.embargo_ended == datetime(2027, 6, 1)


def test_agreements_of_one_owner_count_each_on_its_own():
    # Roe deer shared without embargo, everything else under embargo: roe deer of any date, the rest only before.
    g = Grant("LLNP", None, parts=((frozenset({"Capreolus pygargus"}), None), (None, CUTOFF)))
    names = pd.Series(["Capreolus pygargus", "Capreolus pygargus", "Panthera pardus orientalis",
                       "Panthera pardus orientalis", ""])
    times = pd.Series(["2021-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z",
                       "2020-06-30T23:00:00+00:00", "2021-01-01T00:00:00Z"])
    assert g.visible(names, times).tolist() == [True, True, False, True, False]


def test_embargoed_records_never_reach_the_peer(nodes, tmp_path, shared_data):
    ru, cn = nodes
    with ru.engine.begin() as conn:
        owner = conn.execute(select(Partner.id).where(Partner.code == "INBO")).scalar_one()
        grantee = ensure_partner(conn, "HUNCHUN")
        conn.execute(SharingAgreement.__table__.insert().values(
            owner_partner_id=owner, grantee_partner_id=grantee, exact_locations=True, created_at=CUTOFF,
            embargo_until=utcnow() + timedelta(days=365)))
    pkg = export_changes(ru.engine, "CN", since=0, out=tmp_path / "p1", key_dir=ru.keys)
    # Nothing dated in the embargo is in the package's files, whatever the table.
    obs = pd.concat([pd.read_csv(f) for f in pkg.rglob("observations.csv")])
    media = pd.concat([pd.read_csv(f) for f in pkg.rglob("media.csv")])
    assert (pd.to_datetime(obs["eventStart"], utc=True) < pd.Timestamp(CUTOFF, tz="UTC")).all()
    assert (pd.to_datetime(media["timestamp"], utc=True) < pd.Timestamp(CUTOFF, tz="UTC")).all()
    receive(cn.engine, pkg, peer="RU", node="CN")
    src = pd.read_csv(shared_data / "camtrap-dp-example" / "observations.csv")
    before = int((pd.to_datetime(src["eventStart"], utc=True) < pd.Timestamp(CUTOFF, tz="UTC")).sum())
    assert 0 < before < len(src)
    assert table_counts(cn.engine)["observation"] == before  # what the web shows the grantee: no more, no less
    with cn.engine.connect() as conn:
        latest = conn.execute(select(Observation.event_start_utc).order_by(Observation.event_start_utc.desc())
                              ).scalars().first()
        latest_media = conn.execute(select(Media.timestamp_utc).order_by(Media.timestamp_utc.desc())).scalars().first()
    assert latest < CUTOFF and latest_media < CUTOFF
    # The embargo ends: the next package carries what it held back, once, though nothing changed since.
    with ru.engine.begin() as conn:
        conn.execute(update(SharingAgreement).values(embargo_until=utcnow() + timedelta(seconds=1)))
    import time

    time.sleep(1.2)
    to_seq = snapshot(ru.engine, tmp_path / "snap").to_seq
    pkg2 = export_changes(ru.engine, "CN", since=to_seq, out=tmp_path / "p2", key_dir=ru.keys)
    receive(cn.engine, pkg2, peer="RU", node="CN")
    assert table_counts(cn.engine)["observation"] == len(src)
    # ... and only once: the package after that has nothing of it.
    pkg3 = export_changes(ru.engine, "CN", since=to_seq, out=tmp_path / "p3", key_dir=ru.keys)
    assert not list(pkg3.rglob("observations.csv"))
