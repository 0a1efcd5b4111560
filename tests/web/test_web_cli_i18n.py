"""`bigcats users` commands, `serve`, and the translations of every page string into ru, zh and mn."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from typer.testing import CliRunner
from webworld import client_for

from bigcats.cli.serve import serve
from bigcats.cli.users import app
from bigcats.i18n import CLDR, LOCALE_DIR

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "bigcats" / "web" / "templates"


def test_users_add_list_share_and_first_sign_in(sqlite_url):
    runner = CliRunner()
    r = runner.invoke(app, ["add", "chief", "--partner", "LLNP", "--role", "administrator", "--password",
                            "s3cret-enough", "--db", sqlite_url, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["role"] == "administrator"
    again = runner.invoke(app, ["add", "chief", "--partner", "LLNP", "--password", "s3cret-enough",
                                "--db", sqlite_url])
    assert again.exit_code == 1 and "taken" in again.output
    bad_role = runner.invoke(app, ["add", "x", "--partner", "LLNP", "--role", "boss", "--password", "s3cret-enough",
                                   "--db", sqlite_url])
    assert bad_role.exit_code == 1 and "role" in bad_role.output
    listed = json.loads(runner.invoke(app, ["list", "--db", sqlite_url, "--json"]).stdout)
    assert listed == [{"username": "chief", "name": None, "active": True, "partner": "LLNP", "role": "administrator"}]
    assert "s3cret" not in runner.invoke(app, ["list", "--db", sqlite_url]).output
    refused = runner.invoke(app, ["share", "--owner", "LLNP", "--exact", "--db", sqlite_url])
    assert refused.exit_code == 1 and "public never" in refused.output
    shared = runner.invoke(app, ["share", "--owner", "LLNP", "--db", sqlite_url, "--json"])
    assert shared.exit_code == 0 and json.loads(shared.stdout)["grantee"] == "public"
    client = client_for(sqlite_url)
    r = client.post("/api/auth/login", json={"username": "chief", "password": "s3cret-enough"},
                    headers={"X-CSRF-Token": client.cookies.get("bigcats_csrf")})
    assert r.status_code == 200 and client.get("/api/me").json()["roles"] == {"LLNP": "administrator"}


def test_serve_signature():
    params = inspect.signature(serve).parameters
    assert params["host"].default == "127.0.0.1" and params["port"].default == 8000 and params["db"].default is None


def test_every_page_string_is_translated():
    msgids = {m[2] for m in extract_from_dir(str(TEMPLATES), method_map=[("**.html", "jinja2")],
                                             options_map={"**.html": {"extensions": "jinja2.ext.i18n"}})}
    assert len(msgids) > 50
    for lang in ("ru", "zh", "mn"):
        with open(LOCALE_DIR / lang / "LC_MESSAGES" / "web.po", "rb") as fh:
            catalog = read_po(fh, locale=CLDR[lang])
        done = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
        assert msgids <= done, f"{lang}: untranslated {sorted(msgids - done)[:5]}"


def test_pages_switch_language(sqlite_url):
    client = client_for(sqlite_url)
    titles = {}
    for lang in ("en", "ru", "zh", "mn"):
        html = client.get("/catalogue", params={"lang": lang}).text
        titles[lang] = re.search(r"<h1>(.*?)</h1>", html).group(1)
        assert f'<html lang="{lang}">' in html
    assert titles == {"en": "Individual catalogue", "ru": "Каталог особей", "zh": "个体目录",
                      "mn": "Бодгалийн каталог"}
    # The choice sticks (cookie) for the next page without ?lang=.
    assert "Очередь проверки" in client.get("/review", params={"lang": "ru"}).text
    assert "<h1>Сводка</h1>" in client.get("/").text


def test_review_page_names_the_flank_not_the_border_side(sqlite_url):
    client = client_for(sqlite_url)
    html = client.get("/review", params={"lang": "ru"}).text
    words = json.loads(re.search(r'<script type="application/json" id="review-i18n">(.*?)</script>', html, re.S)
                       .group(1))
    assert words["flank"] == "Бок" and words["left"] == "левый" and words["right"] == "правый"
    assert "Сторона границы" not in words.values()
