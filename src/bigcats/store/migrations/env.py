"""Alembic environment: runs the package's migrations on the engine bigcats hands it."""

from alembic import context
from sqlalchemy import create_engine

from bigcats.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things: batch mode rebuilds tables the way Alembic recommends.
            render_as_batch=conn.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run()
