"""An agreement under embargo sends nothing to the peer server until the embargo ends (issue 17's embargo)."""

from __future__ import annotations

from datetime import datetime

from bigcats.exchange.sync.agreement import grants_for
from bigcats.store.db import open_store
from bigcats.store.load import ensure_partner
from bigcats.store.models_access import SharingAgreement


def test_embargoed_agreement_grants_nothing_until_it_ends(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'e.db'}")
    with engine.begin() as conn:
        owner, grantee = ensure_partner(conn, "LLNP"), ensure_partner(conn, "NCTLNP")
        conn.execute(SharingAgreement.__table__.insert().values(
            owner_partner_id=owner, grantee_partner_id=grantee, exact_locations=True,
            created_at=datetime(2026, 1, 1), embargo_until=datetime(2027, 6, 1)))
    assert grants_for(engine, "NCTLNP", when=datetime(2026, 12, 1)) == []
    (grant,) = grants_for(engine, "NCTLNP", when=datetime(2027, 6, 2))
    assert grant.owner == "LLNP" and grant.exact_locations
