"""Fixtures of the web tests: seeded databases (see webworld.py), on SQLite and PostgreSQL.

The world is seeded once per session into a template (an SQLite file; a PostgreSQL template database) and each
test gets a fresh copy in the database the shared `db_url` fixture made, so tests stay independent and fast.
"""

from __future__ import annotations

import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from webworld import seed


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> tuple[str, dict]:
    path = tmp_path_factory.mktemp("web-template") / "world.db"
    return str(path), seed(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def _pg_template() -> dict:
    made: dict = {}
    yield made
    if made:
        admin = create_engine(made["admin_url"], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{made["name"]}" WITH (FORCE)'))
        admin.dispose()


def _copy_pg(db_url: str, template: dict) -> dict:
    url = make_url(db_url)
    admin_url = url.set(database="postgres").render_as_string(hide_password=False)
    if not template:
        name = f"tpl_{uuid.uuid4().hex[:10]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        info = seed(url.set(database=name).render_as_string(hide_password=False))
        template.update(name=name, admin_url=admin_url, info=info)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{template["name"]}"'))
    admin.dispose()
    return template["info"]


@pytest.fixture
def world(db_url, _sqlite_template, _pg_template) -> tuple[str, dict]:
    """A freshly seeded database (SQLite and PostgreSQL) and what was put in it."""
    if db_url.startswith("sqlite"):
        shutil.copyfile(_sqlite_template[0], make_url(db_url).database)
        return db_url, _sqlite_template[1]
    return db_url, _copy_pg(db_url, _pg_template)


@pytest.fixture
def sqlite_world(sqlite_url, _sqlite_template) -> tuple[str, dict]:
    """A freshly seeded SQLite database and what was put in it."""
    shutil.copyfile(_sqlite_template[0], make_url(sqlite_url).database)
    return sqlite_url, _sqlite_template[1]
