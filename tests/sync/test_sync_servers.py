"""Two servers on loopback: signed push and pull, refused requests, and an exchange interrupted half-way."""

from __future__ import annotations

import importlib
import time
from datetime import datetime

import httpx
import pytest

from bigcats.exchange.sync import SyncError, state
from bigcats.exchange.sync.auth import sign_request
from bigcats.exchange.sync.client import pull, push
from bigcats.store import load
from bigcats.store.db import table_counts
from bigcats.store.models_access import SharingAgreement

# The module, not the function of the same name the package exports.
receive_module = importlib.import_module("bigcats.exchange.sync.receive")
DATA_TABLES = ("station", "deployment", "media", "observation")


def _counts(engine):
    c = table_counts(engine)
    return {t: c[t] for t in DATA_TABLES}


def _agree(engine, owner: str, grantee: str, exact: bool = False) -> None:
    with engine.begin() as conn:
        o, g = load.ensure_partner(conn, owner), load.ensure_partner(conn, grantee)
        conn.execute(SharingAgreement.__table__.insert().values(
            owner_partner_id=o, grantee_partner_id=g, exact_locations=exact, created_at=datetime.now()))


def test_push_and_pull_between_two_servers(servers):
    ru, cn = servers
    _agree(ru.engine, "INBO", "HUNCHUN")
    sent = push(cn.url, ru.engine, "CN", key_dir=ru.keys)
    assert sent["bytes_sent"] > 0 and sent["result"]["added"]["observation"] == 549
    assert _counts(cn.engine) == _counts(ru.engine)
    assert state.exchanges(ru.engine, "CN")["status"].iloc[0] == "acknowledged"
    again = push(cn.url, ru.engine, "CN", key_dir=ru.keys)  # nothing new: an empty range, nothing added
    assert again["result"]["added"] == {} and again["from_seq"] == sent["to_seq"]
    # CN pulls from RU: everything is applied already, so the range starts where the push ended.
    pulled = pull(ru.url, cn.engine, "RU", key_dir=cn.keys)
    assert pulled["from_seq"] == sent["to_seq"] and pulled["result"]["added"] == {}
    # RU pulls from CN: CN holds only RU's own data, which is never echoed back.
    back = pull(cn.url, ru.engine, "CN", key_dir=ru.keys)
    assert back["result"]["added"] == {}


def test_unsigned_stale_and_unknown_requests_are_refused(servers, tmp_path):
    ru, cn = servers
    url = cn.url + "/sync/v1/status"
    assert httpx.get(url).status_code == 401
    old = sign_request(ru.identity, "GET", "/sync/v1/status", now=time.time() - 3600)
    r = httpx.get(url, headers=old)
    assert r.status_code == 401 and "stale" in r.json()["detail"]
    wrong_path = sign_request(ru.identity, "GET", "/sync/v1/changes?since=0")
    assert httpx.get(url, headers=wrong_path).status_code == 401
    from bigcats.exchange.sync import generate_keys, load_identity
    generate_keys(tmp_path / "stranger", "MN")
    r = httpx.get(url, headers=sign_request(load_identity(tmp_path / "stranger"), "GET", "/sync/v1/status"))
    assert r.status_code == 401 and "unknown node 'MN'" in r.json()["detail"]
    ok = httpx.get(url, headers=sign_request(ru.identity, "GET", "/sync/v1/status"))
    assert ok.status_code == 200 and ok.json()["node"] == "CN"


def test_interrupted_push_leaves_both_consistent_and_resumes(servers, monkeypatch):
    ru, cn = servers
    _agree(ru.engine, "INBO", "HUNCHUN")
    real = receive_module.import_package
    calls = {"n": 0}

    def crash_after_import(*args, **kwargs):
        # The server dies after the data were written but before the exchange was recorded.
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("power cut")
        return result

    monkeypatch.setattr(receive_module, "import_package", crash_after_import)
    before = _counts(cn.engine)
    with pytest.raises(SyncError, match="500"):
        push(cn.url, ru.engine, "CN", key_dir=ru.keys)
    assert state.exchanges(ru.engine, "CN")["status"].iloc[0] == "failed"
    assert state.applied(cn.engine, "RU") == 0  # CN does not count it as applied
    assert _counts(cn.engine) == before  # the rows written before the crash were rolled back with it
    resumed = push(cn.url, ru.engine, "CN", key_dir=ru.keys)
    assert resumed["from_seq"] == 0 and resumed["result"]["status"] == "applied"
    assert resumed["result"]["added"]["observation"] > 0 and resumed["result"]["conflicts"] == 0
    assert _counts(cn.engine) == _counts(ru.engine)
    assert state.applied(cn.engine, "RU") == resumed["to_seq"]
