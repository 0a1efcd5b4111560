"""Attacks on the exchange found by the review of issue 18, each refused with nothing written and nothing revealed.

A trusted peer writing another partner's data, a receive that writes and then crashes, a late bad row, resource
and project paths naming files outside the package (in signed packages, over HTTP and in a plain import).
"""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.exchange.sync import Grant, SyncError, export_changes, receive
from bigcats.exchange.sync.api import router
from bigcats.exchange.sync.auth import sign_request
from bigcats.exchange.sync.bundle import MANIFEST, pack, sign_bundle
from bigcats.problems import DataError
from bigcats.store.db import table_counts

receive_module = importlib.import_module("bigcats.exchange.sync.receive")
SECRET = "root:x:0:0:bigcats-secret-line:/root:/bin/bash\n"


def everything(engine) -> dict:
    """Row counts of every table, the sync tables included: 'exactly as before' means all of them."""
    return table_counts(engine)


def _package(ru, tmp: Path, name: str = "pkg") -> tuple[Path, dict]:
    folder = export_changes(ru.engine, "CN", since=0, agreement=[Grant("INBO", None, True)], out=tmp / name,
                            identity=ru.identity)
    return folder, json.loads((folder / MANIFEST).read_text())


def _resign(folder: Path, ru, manifest: dict) -> None:
    (folder / MANIFEST).unlink()
    (folder / "manifest.sig").unlink()
    sign_bundle(folder, ru.identity, manifest["receiver"], manifest["from_seq"], manifest["to_seq"],
                manifest["projects"])


@pytest.mark.parametrize("claimed", ["HUNCHUN", "NCTLNP"])
def test_a_peer_cannot_write_another_partners_data(nodes, tmp_path, claimed):
    ru, cn = nodes  # RU is trusted by CN for partner INBO only
    folder, manifest = _package(ru, tmp_path)
    for p in manifest["projects"]:
        p["partner"] = claimed  # CN's own partner, or a third one
    _resign(folder, ru, manifest)
    before = everything(cn.engine)
    with pytest.raises(SyncError, match="trusted for partner 'INBO' only"):
        receive(cn.engine, folder, node="CN")
    assert everything(cn.engine) == before


def test_a_receive_that_crashes_after_writing_leaves_nothing(nodes, tmp_path, monkeypatch):
    ru, cn = nodes
    folder, _ = _package(ru, tmp_path)
    before = everything(cn.engine)

    def crash(*args, **kwargs):
        raise LookupError("nothing to export")  # the variant that had written its data, then crashed

    monkeypatch.setattr(receive_module.decisions, "record_decisions", crash)
    with pytest.raises(LookupError):
        receive(cn.engine, folder, node="CN")
    assert everything(cn.engine) == before
    monkeypatch.undo()
    done = receive(cn.engine, folder, node="CN")  # resumes: the same package applies in full
    assert done["status"] == "applied" and done["added"]["observation"] > 0


def test_a_bad_row_late_in_the_package_leaves_the_receiver_as_before(nodes, tmp_path):
    ru, cn = nodes
    folder, manifest = _package(ru, tmp_path)
    obs = folder / manifest["projects"][0]["path"] / "observations.csv"
    lines = obs.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    bad = lines[-1].split(",")
    bad[header.index("observationID")] = "late-bad-row"
    bad[header.index("count")] = "minus-one"  # not an integer
    obs.write_text("\n".join([*lines, ",".join(bad)]) + "\n", encoding="utf-8")
    _resign(folder, ru, manifest)
    before = everything(cn.engine)
    with pytest.raises(SyncError, match="nothing was written"):
        receive(cn.engine, folder, node="CN")
    assert everything(cn.engine) == before


def _poison_resource(folder: Path, manifest: dict, path: str) -> None:
    desc_path = folder / manifest["projects"][0]["path"] / "datapackage.json"
    desc = json.loads(desc_path.read_text())
    for r in desc["resources"]:
        if r["name"] == "observations":
            r["path"] = path
    desc_path.write_text(json.dumps(desc))


@pytest.mark.parametrize("where", ["/etc/passwd", "SECRET", "../../SECRET", "link"])
def test_signed_packages_cannot_name_files_outside_themselves(nodes, tmp_path, where):
    ru, cn = nodes
    secret = tmp_path / "SECRET"
    secret.write_text(SECRET)
    folder, manifest = _package(ru, tmp_path / "out")
    sub = folder / manifest["projects"][0]["path"]
    if where == "link":
        (sub / "link.csv").symlink_to(secret)
        path = "link.csv"
    else:
        path = str(secret) if where == "SECRET" else where
    _poison_resource(folder, manifest, path)
    _resign(folder, ru, manifest)
    before = everything(cn.engine)
    with pytest.raises(SyncError) as err:
        receive(cn.engine, folder, node="CN")
    assert "bigcats-secret-line" not in str(err.value) and "root:" not in str(err.value)
    assert everything(cn.engine) == before


def test_a_project_folder_outside_the_package_is_refused(nodes, tmp_path):
    ru, cn = nodes
    folder, manifest = _package(ru, tmp_path / "out")
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(folder / manifest["projects"][0]["path"], elsewhere)
    manifest["projects"][0]["path"] = "../../elsewhere"
    _resign(folder, ru, manifest)
    with pytest.raises(SyncError, match="not inside the package"):
        receive(cn.engine, folder, node="CN")


def test_nothing_of_a_local_file_goes_back_over_http(nodes, tmp_path):
    ru, cn = nodes
    folder, manifest = _package(ru, tmp_path)
    _poison_resource(folder, manifest, "/etc/passwd")
    _resign(folder, ru, manifest)
    app = FastAPI()
    app.include_router(router(lambda: cn.engine, key_dir=cn.keys))
    body = pack(folder)
    r = TestClient(app).post("/sync/v1/packages", content=body,
                             headers=sign_request(ru.identity, "POST", "/sync/v1/packages", body))
    assert r.status_code == 409
    assert "root:" not in r.text and "/bin/" not in r.text
    assert "bigcats-inbox" not in r.text  # nor where this server keeps its files


@pytest.mark.parametrize("where", ["/etc/passwd", "../SECRET", "link"])
def test_a_plain_import_cannot_name_files_outside_the_package(shared_data, tmp_path, where):
    pkg = tmp_path / "pkg"
    shutil.copytree(shared_data / "camtrap-dp-example", pkg)
    (tmp_path / "SECRET").write_text(SECRET)
    if where == "link":
        (pkg / "link.csv").symlink_to(tmp_path / "SECRET")
        where = "link.csv"
    desc = json.loads((pkg / "datapackage.json").read_text())
    for r in desc["resources"]:
        if r["name"] == "media":
            r["path"] = where
    (pkg / "datapackage.json").write_text(json.dumps(desc))
    from bigcats.store.db import open_store

    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(DataError) as err:
        import_package(engine, pkg, "INBO")
    text_ = str(err.value) + json.dumps([p.to_dict() for p in err.value.problems.problems])
    assert "path-outside-package" in text_ and "bigcats-secret-line" not in text_ and "root:" not in text_
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 0


def test_a_signed_request_cannot_be_replayed_inside_its_window(nodes):
    ru, cn = nodes
    app = FastAPI()
    app.include_router(router(lambda: cn.engine, key_dir=cn.keys))
    client = TestClient(app)
    headers = sign_request(ru.identity, "GET", "/sync/v1/status")
    assert client.get("/sync/v1/status", headers=headers).status_code == 200
    again = client.get("/sync/v1/status", headers=headers)  # captured and sent again a second later
    assert again.status_code == 401 and "replayed" in again.json()["detail"]
    unsigned_nonce = {k: v for k, v in sign_request(ru.identity, "GET", "/sync/v1/status").items()
                      if k != "X-Bigcats-Nonce"}
    assert client.get("/sync/v1/status", headers=unsigned_nonce).status_code == 401
    forged = sign_request(ru.identity, "GET", "/sync/v1/status") | {"X-Bigcats-Nonce": "0" * 32}
    assert client.get("/sync/v1/status", headers=forged).status_code == 401  # the nonce is signed
    assert client.get("/sync/v1/status", headers=sign_request(ru.identity, "GET", "/sync/v1/status")
                      ).status_code == 200
