"""Concurrent imports into one database each report, and record in intake_batch, only their own rows."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.store.db import open_store
from bigcats.store.models import IntakeBatch


def test_three_concurrent_imports_count_their_own_rows(shared_data, tmp_path):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    alone = import_package(open_store(f"sqlite:///{tmp_path / 'alone.db'}"), shared_data / "camtrap-dp-example",
                           "SOLO").added
    engine = open_store(url)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda p: import_package(engine, shared_data / "camtrap-dp-example", p),
                                ["P1", "P2", "P3"]))
    for r in results:  # species are shared: only the first import adds them
        assert {k: v for k, v in r.added.items() if k not in ("partner", "species")} == \
            {k: v for k, v in alone.items() if k not in ("partner", "species")}, r.partner
    with engine.connect() as conn:
        stored = [json.loads(c) if isinstance(c, str) else c for c in conn.execute(select(IntakeBatch.counts)).scalars()]
    assert all(c["added"]["observation"] == alone["observation"] for c in stored)
