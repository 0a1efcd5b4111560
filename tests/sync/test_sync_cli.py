"""`bigcats exchange ...` through Typer: keygen, trust, export, receive, conflicts and status as JSON."""

from __future__ import annotations

import json
from datetime import datetime

from typer.testing import CliRunner

from bigcats.cli.sync import app
from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.store import load
from bigcats.store.db import open_store
from bigcats.store.models_access import SharingAgreement

runner = CliRunner()


def _ok(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def test_cli_exchange_from_keys_to_status(tmp_path, shared_data):
    ru_db, cn_db = str(tmp_path / "ru.db"), str(tmp_path / "cn.db")
    ru_keys, cn_keys = str(tmp_path / "ru-keys"), str(tmp_path / "cn-keys")
    _ok(["keygen", "RU", "--keys", ru_keys, "--db", ru_db])
    _ok(["keygen", "CN", "--keys", cn_keys, "--db", cn_db])
    again = runner.invoke(app, ["keygen", "RU", "--keys", ru_keys, "--db", ru_db])
    assert again.exit_code != 0 and "exists already" in again.output
    _ok(["trust", "CN", f"{cn_keys}/node.pub", "--partner", "HUNCHUN", "--db", ru_db])
    _ok(["trust", "RU", f"{ru_keys}/node.pub", "--partner", "INBO", "--db", cn_db])
    ru = open_store(ru_db)
    import_package(ru, shared_data / "camtrap-dp-example", "INBO")
    with ru.begin() as conn:
        o, g = load.ensure_partner(conn, "INBO"), load.ensure_partner(conn, "HUNCHUN")
        conn.execute(SharingAgreement.__table__.insert().values(
            owner_partner_id=o, grantee_partner_id=g, exact_locations=False, created_at=datetime.now()))
    out = json.loads(_ok(["export", "CN", str(tmp_path / "pkg"), "--keys", ru_keys, "--db", ru_db,
                          "--json"]).stdout)
    assert out["from_seq"] == 0 and out["projects"][0]["rows"]["observations"] == 549
    got = json.loads(_ok(["receive", str(tmp_path / "pkg"), "--peer", "RU", "--keys", cn_keys, "--db", cn_db,
                          "--json"]).stdout)
    assert got["added"]["observation"] == 549
    refused = runner.invoke(app, ["receive", str(tmp_path / "pkg"), "--peer", "MN", "--db", cn_db])
    assert refused.exit_code == 1 and "comes from 'RU'" in refused.output
    assert json.loads(_ok(["conflicts", "--db", cn_db, "--json"]).stdout) == []
    status = json.loads(_ok(["status", "--db", cn_db, "--json"]).stdout)
    assert status["exchanges"][0]["status"] == "applied" and status["exchanges"][0]["to_seq"] == out["to_seq"]
