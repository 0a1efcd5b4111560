"""Sign-in, sessions, CSRF, rate limits and upload safety of the web application."""

from __future__ import annotations

import io
import logging
import re
import stat
import zipfile

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from webworld import PASSWORD, all_routes, client_for, csrf, sign_in

from bigcats.web.errors import WebError
from bigcats.web.security import MAX_FAILED_PER_USER
from bigcats.web.uploads import check_archive, safe_extract

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _zip_bytes(members: dict[str, bytes], symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def test_every_state_changing_route_refuses_missing_or_forged_csrf(sqlite_world):
    db_url, _ = sqlite_world
    client = sign_in(client_for(db_url), "admin_a")
    routes = [(p, m) for p, methods in all_routes(client.app) for m in methods & UNSAFE]
    assert {("/api/auth/login", "POST"), ("/api/uploads", "POST"), ("/api/agreements", "POST"),
            ("/logout", "POST"), ("/login", "POST")} <= set(routes)
    good = client.cookies.get("bigcats_csrf")
    # Forged: a random string, and a well-formed token signed with another key.
    other_key = URLSafeTimedSerializer("not-this-installation", salt="bigcats-csrf").dumps("x")
    for path, method in routes:
        path = re.sub(r"{\w+}", "1", path)
        if path.startswith("/sync/v1/"):
            # Server-to-server exchange: no cookies count there; without a node's signature even a signed-in
            # browser with a valid CSRF token is refused.
            for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": good}):
                r = client.request(method, path, headers=headers, json={})
                assert r.status_code == 401, (method, path, headers, r.status_code, r.text[:200])
            continue
        for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": other_key}):
            r = client.request(method, path, headers=headers, json={})
            assert r.status_code == 403, (method, path, headers, r.status_code, r.text[:200])
            assert "CSRF" in r.text
        # A forged token in a form field is refused too (HTML forms send it that way).
        r = client.request(method, path, data={"csrf_token": other_key})
        assert r.status_code == 403, (method, path)
    # The cookie itself, sent as the only proof, is not enough: the header must repeat it.
    assert good and client.post("/api/auth/logout").status_code == 403
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": good}).status_code == 200


def test_passwords_are_argon2_hashed_and_never_logged(sqlite_world, caplog, capsys):
    db_url, _ = sqlite_world
    caplog.set_level(logging.DEBUG)
    client = sign_in(client_for(db_url), "viewer_a")
    client.post("/api/auth/login", json={"username": "viewer_b", "password": "wrong-password-1"},
                headers=csrf(client))
    engine = create_engine(db_url)
    with engine.connect() as conn:
        hashes = conn.execute(text("SELECT password_hash FROM web_user")).scalars().all()
        dump = "\n".join(str(row) for t in ("web_user", "web_login_attempt", "web_session", "web_access_log")
                         for row in conn.execute(text(f"SELECT * FROM {t}")).all())
    engine.dispose()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert PASSWORD not in dump and "wrong-password-1" not in dump
    out = capsys.readouterr()
    logged = caplog.text + out.out + out.err
    assert PASSWORD not in logged and "wrong-password-1" not in logged


def test_session_cookie_is_httponly_and_signed(sqlite_world):
    db_url, _ = sqlite_world
    client = client_for(db_url)
    r = client.post("/api/auth/login", json={"username": "viewer_a", "password": PASSWORD}, headers=csrf(client))
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("bigcats_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/api/me").json()["username"] == "viewer_a"
    # A tampered cookie is the public, not an error and not the user.
    value = client.cookies.get("bigcats_session")
    client.cookies.set("bigcats_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert client.get("/api/me").json()["public"] is True
    # Signing out ends the session on the server: the old cookie no longer works.
    client.cookies.set("bigcats_session", value)
    client.post("/api/auth/logout", headers=csrf(client))
    client.cookies.set("bigcats_session", value)
    assert client.get("/api/me").json()["public"] is True


def test_login_rate_limit_blocks_guessing_even_with_the_right_password(sqlite_world):
    db_url, _ = sqlite_world
    client = client_for(db_url)
    for _ in range(MAX_FAILED_PER_USER):
        r = client.post("/api/auth/login", json={"username": "viewer_a", "password": "guess-guess"},
                        headers=csrf(client))
        assert r.status_code == 401
    r = client.post("/api/auth/login", json={"username": "viewer_a", "password": PASSWORD}, headers=csrf(client))
    assert r.status_code == 429
    # Another user is not locked out by someone guessing viewer_a's password.
    assert client.post("/api/auth/login", json={"username": "viewer_b", "password": PASSWORD},
                       headers=csrf(client)).status_code == 200


def test_form_sign_in_with_csrf_field(sqlite_world):
    db_url, _ = sqlite_world
    client = client_for(db_url)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = client.post("/login", data={"username": "editor_a", "password": PASSWORD, "csrf_token": token,
                                    "next": "https://evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # no open redirect
    assert client.get("/api/me").json()["roles"] == {"A": "editor"}


def test_archive_checks_refuse_traversal_links_and_bombs(tmp_path):
    cases = {
        "traversal.zip": _zip_bytes({"ok/datapackage.json": b"{}", "../../etc/cron.d/x": b"boom"}),
        "absolute.zip": _zip_bytes({"/etc/passwd": b"root"}),
        "windows.zip": _zip_bytes({"..\\..\\evil.txt": b"x"}),
        "link.zip": _zip_bytes({"a.txt": b"a"}, symlink="link"),
        "bomb.zip": _zip_bytes({"zeros.bin": b"\0" * 50_000_000}),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(WebError) as err:
            check_archive(path)
        assert name in str(err.value)
    big = tmp_path / "big.zip"
    big.write_bytes(_zip_bytes({"a.csv": b"x,y\n" * 1000, "b.csv": b"x,y\n" * 1000}))
    with pytest.raises(WebError, match="unpacks to more than"):
        check_archive(big, max_unpacked=5000)
    fine = tmp_path / "fine.zip"
    fine.write_bytes(_zip_bytes({"photos/a.jpg": b"\xff\xd8" + bytes(range(256)) * 10}))
    out = safe_extract(fine, tmp_path / "out")
    assert (out / "photos" / "a.jpg").stat().st_size == 2562
    assert not (tmp_path / "etc").exists()


def test_upload_route_refuses_bad_archives_roles_and_size(sqlite_world):
    db_url, _ = sqlite_world
    client = client_for(db_url, max_upload_bytes=200_000)
    evil = _zip_bytes({"../datapackage.json": b"{}"})
    files = {"file": ("evil.zip", evil, "application/zip")}
    assert client.post("/api/uploads", data={"partner": "A"}, files=files, headers=csrf(client)).status_code == 401
    sign_in(client, "viewer_a")
    r = client.post("/api/uploads", data={"partner": "A"}, files=files, headers=csrf(client))
    assert r.status_code == 403  # viewers do not upload
    sign_in(client, "editor_a")
    r = client.post("/api/uploads", data={"partner": "B"}, files=files, headers=csrf(client))
    assert r.status_code == 403  # an editor of A is not an editor of B
    r = client.post("/api/uploads", data={"partner": "A"}, files=files, headers=csrf(client))
    assert r.status_code == 400 and "would be written outside the folder" in r.json()["detail"]
    too_big = {"file": ("big.zip", b"\0" * 2_000_000, "application/zip")}
    assert client.post("/api/uploads", data={"partner": "A"}, files=too_big, headers=csrf(client)).status_code == 413
