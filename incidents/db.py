"""Engine and sessions. One synchronous engine per app; handlers that use it run in threads."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def normalise_url(url: str) -> str:
    """Accept the common PostgreSQL spellings and use the psycopg 3 driver for all of them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def contains(column: Any, text: str) -> Any:
    """``column`` contains ``text``, whatever its case; ``%``, ``_`` and ``\\`` in the text
    are themselves, not patterns."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        if ":memory:" in url or url in {"sqlite://", "sqlite:///"}:
            raise ValueError("an in-memory SQLite database cannot be shared; use a file")
        # A pool of open connections: opening one (and its PRAGMAs) costs more than most
        # requests' queries. Writers still take turns through BEGIN IMMEDIATE.
        kwargs.setdefault("pool_size", 8)
        kwargs.setdefault("max_overflow", 56)
        engine = create_engine(url, connect_args=connect_args, poolclass=QueuePool, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        # SQLite has one writer at a time. Threads of this process queue on a lock, woken
        # the moment it is free, instead of in SQLite's busy handler, which sleeps up to
        # 100 ms between tries; other processes still wait through busy_timeout.
        _WRITE_LOCKS[engine] = threading.Lock()
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin) so that writers take the
    # lock up front instead of failing on upgrade from a read lock.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.info.get("write") else "BEGIN")


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session that commits at the end of the block and rolls back on any error.

    ``write=True`` makes SQLite take its write lock when the transaction begins, so
    concurrent writers wait for each other (busy_timeout) instead of failing with
    "database is locked" when a read lock cannot be upgraded. PostgreSQL ignores it.
    """
    lock = _WRITE_LOCKS.get(engine) if write else None
    if lock is None:
        yield from _session(engine, write)
        return
    with lock:
        yield from _session(engine, write)


def _session(engine: Engine, write: bool) -> Iterator[Session]:
    with engine.connect() as connection:
        connection.info["write"] = write
        with Session(bind=connection, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


def upsert_insert(session: Session, model: type[Any]) -> Any:
    """The dialect's INSERT for ``model`` (it has ``on_conflict_do_nothing/update``); both
    databases we run on speak ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def insert_ignore(
    session: Session, model: type[Any], conflict_columns: list[str], **values: Any
) -> Any | None:
    """INSERT ... ON CONFLICT (columns) DO NOTHING RETURNING id: the new row's id, or None
    when a row with the same key exists (another request or worker got there first).
    Counts the returned rows: rowcount is not reliable for an INSERT that did nothing."""
    statement = (
        upsert_insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(model.id)
    )
    rows = session.connection().execute(statement).fetchall()
    return rows[0][0] if rows else None
