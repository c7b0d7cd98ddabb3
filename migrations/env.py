"""Alembic environment: SQLModel metadata, batch mode for SQLite, type comparison."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from alembic import context

import incidents.models  # noqa: F401  (registers every table on SQLModel.metadata)
from incidents.db import make_engine
from incidents.models import include_object, metadata

config = context.config

# The revisions import migrations.helpers: the project root is on the path, whoever runs them.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def _url() -> str:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        import os

        url = os.environ.get("BREACHDESK_DATABASE_URL", "sqlite:///./breachdesk.db")
    return url


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        include_object=include_object,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            raw: Any = None
            if sqlite:
                # Batch mode rebuilds a SQLite table (copy, drop, rename): with foreign keys
                # on, dropping a table that other rows refer to fails. They are off while
                # the migrations run (SQLite ignores the pragma inside a transaction), and
                # checked afterwards: a migration that broke a reference stops here.
                # The driver's own connection: SQLAlchemy would first emit a BEGIN.
                raw = conn.connection.driver_connection
                raw.execute("PRAGMA foreign_keys=OFF")
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                raw.execute("PRAGMA foreign_keys=ON")
                if broken:
                    raise RuntimeError(f"the migrations broke foreign keys: {broken[:5]}")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
