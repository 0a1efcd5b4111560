"""Attacks found by the security review of issue 18, each reproduced and shown refused.

Files through /api/media, sign-in limits beaten by concurrency or abused for lockout, a cookie without Secure
behind TLS, and zip bombs made of many small members.
"""

from __future__ import annotations

import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from webworld import PASSWORD, client_for, csrf, sign_in

from bigcats.store.db import open_store
from bigcats.store.models import Deployment, Media, Observation, Station
from bigcats.web import create_app, security
from bigcats.web.errors import WebError
from bigcats.web.uploads import check_archive


def _jpeg(path, colour=(200, 30, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), colour).save(path, "JPEG")


def _attach(db_url: str, station: str, file_path: str) -> int:
    """A photo row on the first observation of a station, whose filePath a package named."""
    engine = open_store(db_url)
    with engine.begin() as conn:
        dep = conn.execute(select(Deployment.id).join(Station, Deployment.station_id == Station.id)
                           .where(Station.code == station)).scalar_one()
        n = conn.execute(select(Media.id)).all()
        mid = conn.execute(Media.__table__.insert().values(
            deployment_id=dep, source_id=f"m{len(n)}", timestamp_utc=datetime(2024, 1, 11), utc_offset=600,
            file_path=file_path, file_public=True, file_mediatype="image/jpeg")).inserted_primary_key[0]
        obs = conn.execute(select(Observation.__table__).where(Observation.deployment_id == dep).limit(1)).mappings().one()
        conn.execute(Observation.__table__.insert().values(
            {**{k: v for k, v in obs.items() if k != "id"}, "source_id": f"o-m{mid}", "media_id": mid}))
    engine.dispose()
    return mid


def test_media_are_served_only_from_the_partners_folder_of_the_media_store(sqlite_world, tmp_path):
    db_url, _ = sqlite_world
    root, outside = tmp_path / "store", tmp_path / "elsewhere"
    _jpeg(root / "A" / "ok.jpg")
    _jpeg(outside / "secret.jpg")
    _jpeg(root / "B" / "theirs.jpg")
    _jpeg(root / "C" / "c.jpg")
    (root / "A" / "notes.jpg").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "A" / "link.jpg").symlink_to(outside / "secret.jpg")
    ok = _attach(db_url, "A-03", str(root / "A" / "ok.jpg"))
    relative = _attach(db_url, "A-03", "ok.jpg")
    hostile = {
        "absolute path elsewhere": _attach(db_url, "A-03", str(outside / "secret.jpg")),
        "server file": _attach(db_url, "A-03", "/etc/passwd"),
        "dot-dot out": _attach(db_url, "A-03", "../../elsewhere/secret.jpg"),
        "another partner's photo": _attach(db_url, "A-03", str(root / "B" / "theirs.jpg")),
        "link out of the store": _attach(db_url, "A-03", str(root / "A" / "link.jpg")),
        "missing": _attach(db_url, "A-03", str(root / "A" / "missing.jpg")),
        "not an image": _attach(db_url, "A-03", str(root / "A" / "notes.jpg")),
        "remote URL": _attach(db_url, "A-03", "http://127.0.0.1:9/secret.jpg"),
        "not visible to the caller": _attach(db_url, "C-01", str(root / "C" / "c.jpg")),
    }
    client = TestClient(create_app(db_url, media_root=root))
    client.get("/login")
    sign_in(client, "editor_a")
    for mid in (ok, relative):
        r = client.get(f"/api/media/{mid}")
        assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
    answers = set()
    for what, mid in hostile.items():
        r = client.get(f"/api/media/{mid}")
        assert r.status_code == 404, what
        assert b"root:" not in r.content
        answers.add(r.text.replace(str(mid), "N"))
    assert client.get("/api/media/999999").text.replace("999999", "N") in answers
    assert len(answers) == 1  # missing, forbidden, outside, not an image: one answer, nothing to probe
    # Without a configured media store nothing is read from disk at all.
    bare = client_for(db_url)
    sign_in(bare, "editor_a")
    assert bare.get(f"/api/media/{ok}").status_code == 404


def _login(client: TestClient, user: str, password: str, address: str | None = None) -> int:
    headers = csrf(client) | ({"X-Forwarded-For": address} if address else {})
    return client.post("/api/auth/login", json={"username": user, "password": password},
                       headers=headers).status_code


def test_concurrent_guesses_are_counted_like_guesses_in_a_row(sqlite_world):
    db_url, _ = sqlite_world
    app = create_app(db_url)
    clients = []
    for _ in range(20):
        c = TestClient(app)
        c.get("/login")
        clients.append(c)
    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda c: _login(c, "viewer_a", "wrong-password-1"), clients))
    assert codes.count(401) <= security.MAX_FAILED_PER_USER, codes  # checked: at most the limit
    assert codes.count(429) >= 20 - security.MAX_FAILED_PER_USER


def test_others_failures_delay_an_account_but_never_lock_it_out(sqlite_world, monkeypatch):
    db_url, _ = sqlite_world
    monkeypatch.setattr(security, "ACCOUNT_DELAY", security.timedelta(seconds=1))
    client = client_for(db_url, trusted_proxies=["testclient"])
    started = time.monotonic()
    codes = [_login(client, "admin_a", f"guess-{i}", "203.0.113.9") for i in range(27)]
    allowed = security.MAX_FAILED_PER_USER + int(time.monotonic() - started) + 1  # one try per delay past the limit
    assert set(codes) == {401, 429} and codes[:security.MAX_FAILED_PER_USER] == [401] * security.MAX_FAILED_PER_USER
    assert codes.count(401) <= allowed
    time.sleep(1.2)
    # The administrator, from elsewhere, gets in after the delay.
    assert _login(client, "admin_a", PASSWORD, "198.51.100.7") == 200


def test_client_address_comes_from_proxy_headers_only_when_the_proxy_is_trusted(sqlite_world):
    db_url, _ = sqlite_world
    client = client_for(db_url)  # no trusted proxy: X-Forwarded-For is the attacker's to write, so ignored
    codes = [_login(client, f"nobody{i}", "guess-guess", f"10.0.0.{i}") for i in range(security.MAX_FAILED_PER_ADDRESS)]
    assert set(codes) == {401}
    assert _login(client, "viewer_b", PASSWORD, "10.9.9.9") == 429  # the real address is over its limit
    proxied = client_for(db_url, trusted_proxies=["testclient"])
    assert _login(proxied, "viewer_b", PASSWORD, "10.9.9.9") == 200  # another client behind the proxy


@pytest.mark.parametrize("public_url, flag, expected", [
    ("https://bigcats.example.org", None, True), ("http://localhost:8000", None, False),
    ("https://bigcats.example.org", False, False), ("", True, True)])
def test_session_cookie_is_secure_when_the_public_url_is_https(sqlite_world, public_url, flag, expected):
    db_url, _ = sqlite_world
    client = TestClient(create_app(db_url, public_url=public_url, cookie_secure=flag), base_url="https://testserver")
    client.get("/login")
    r = client.post("/api/auth/login", json={"username": "viewer_a", "password": PASSWORD}, headers=csrf(client))
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("bigcats_session=")]
    assert cookies and (("; secure" in cookies[0].lower()) == expected)


def test_many_small_members_do_not_pass_the_ratio_check(tmp_path):
    bomb = tmp_path / "many.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(300):
            z.writestr(f"part{i}.csv", b"0" * 900_000)  # each under 1 MB, ~1000x together
    with pytest.raises(WebError, match="zip bomb"):
        check_archive(bomb)


def test_real_packages_pass_the_ratio_check(shared_data, tmp_path):
    real = tmp_path / "real.zip"
    with zipfile.ZipFile(real, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted((shared_data / "camtrap-dp-example").iterdir()):
            if f.is_file():
                z.write(f, f.name)
    assert len(check_archive(real)) >= 4
