"""The in-memory counts behind the map, dashboard and catalogue give what the SQL path gives, scope by scope."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

import bigcats.store.models_access  # noqa: F401
from bigcats.store.db import open_store
from bigcats.store.models_access import User
from bigcats.web import queries
from bigcats.web.summary import SummaryCache
from bigcats.web.visibility import PUBLIC, Caller, SensitiveStations, build_scope, caller_roles

FILTERS = [queries.Filters(), queries.Filters(species=("Panthera tigris altaica",)),
           queries.Filters(partner="B"), queries.Filters(side="RUS"),
           queries.Filters(species=("Capreolus pygargus", "Panthera uncia"))]


def _norm(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = frame.drop(columns=[c for c in frame.columns if c.startswith("_")]).copy()
    for c in ("firstSeen", "lastSeen"):
        if c in out:
            out[c] = pd.to_datetime(out[c])
    for c in ("detections", "individuals", "stations"):
        if c in out:
            out[c] = out[c].astype("int64")
    return out.sort_values(keys).reset_index(drop=True)


def test_cached_counts_equal_sql(world):
    db_url, _ = world
    engine = open_store(db_url)
    cache = SummaryCache()
    with engine.connect() as conn:
        users = dict(conn.execute(select(User.username, User.id)).all())
        callers = [PUBLIC] + [Caller(users[u], u, caller_roles(conn, users[u])) for u in ("viewer_a", "viewer_b")]
        sensitive = SensitiveStations().get(conn)
        for caller in callers:
            scope = build_scope(conn, caller)
            for f in FILTERS:
                sql = queries.map_points(conn, scope, sensitive, f)
                mem = queries.map_points(conn, scope, sensitive, f, cache=cache)
                keys = ["latitude", "longitude", "scientificName"]
                pd.testing.assert_frame_equal(_norm(sql, keys), _norm(mem, keys)[_norm(sql, keys).columns],
                                              check_dtype=False)
                d_sql = queries.dashboard(conn, scope, f)
                d_mem = queries.dashboard(conn, scope, f, cache=cache)
                assert d_sql["effort"] == d_mem["effort"] and d_sql["partners"] == d_mem["partners"]
                keys = ["scientificName", "year"]
                pd.testing.assert_frame_equal(_norm(d_sql["species"], keys), _norm(d_mem["species"], keys),
                                              check_dtype=False)
                i_sql = queries.individuals(conn, scope, f)
                i_mem = queries.individuals(conn, scope, f, cache=cache)
                keys = ["individualID"]
                pd.testing.assert_frame_equal(_norm(i_sql, keys), _norm(i_mem, keys)[_norm(i_sql, keys).columns],
                                              check_dtype=False)
        # Not vacuous: the scopes differ, and the tiger is seen on both sides only by a scope that sees B's tigers.
        a_scope = build_scope(conn, callers[1])
        cats = queries.individuals(conn, a_scope, queries.Filters(), cache=cache).set_index("individualID")
        assert cats.loc["T1", "sides"] == ["RUS"] and cats.loc["T1", "detections"] == 3
    engine.dispose()
