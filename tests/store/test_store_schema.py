"""The schema is made and upgraded by the migrations, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sqlalchemy import select

from bigcats.config import resolve_db_url
from bigcats.taxonomy import species_table
from bigcats.store.db import BOOKKEEPING_TABLES, current_revision, head_revision, open_store, table_counts
from bigcats.store.models import Base, Species


def test_open_store_migrates_an_empty_database(db_url):
    engine = open_store(db_url)
    assert current_revision(engine) == head_revision()
    counts = table_counts(engine)
    assert set(counts) == set(Base.metadata.tables) - BOOKKEEPING_TABLES and BOOKKEEPING_TABLES <= set(Base.metadata.tables)
    assert all(n == 0 for name, n in counts.items() if name != "species")
    # The species list of the region comes with the schema, named in the partners' four languages.
    assert counts["species"] == len(species_table())
    with engine.connect() as conn:
        row = conn.execute(select(Species).where(Species.scientific_name == "Panthera uncia")).mappings().one()
    assert row["sensitive"] and row["name_ru"] == "Снежный барс" and row["name_zh"] == "雪豹" and row["name_mn"]
    # Opening again changes nothing.
    assert current_revision(open_store(db_url)) == head_revision()


def test_migrations_match_the_models(db_url):
    engine = open_store(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    # PostGIS brings its own tables into the public schema; they are not ours to compare.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name in {"spatial_ref_sys"})]
    assert diff == []


def test_database_url_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("BIGCATS_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_db_url() == f"sqlite:///{tmp_path / 'bigcats.db'}"
    monkeypatch.setenv("BIGCATS_DB", "postgresql+psycopg://u@h/db")
    assert resolve_db_url() == "postgresql+psycopg://u@h/db"
    assert resolve_db_url("other.db") == f"sqlite:///{tmp_path / 'other.db'}"
