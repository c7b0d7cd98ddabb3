"""The migrations build exactly the schema of the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session

from incidents import audit
from incidents.db import make_engine
from incidents.migrate import downgrade, upgrade
from incidents.models import include_object, metadata


def _differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_object": include_object,
                },
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_migrated_schema_equals_the_models(database_url: str) -> None:
    assert _differences(database_url) == []


def test_migrations_run_down_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert tables <= {"alembic_version"}
    upgrade(database_url)
    assert _differences(database_url) == []


def test_upgrade_is_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    assert _differences(database_url) == []


def test_every_model_table_exists(database_url: str) -> None:
    engine = make_engine(database_url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {table.name for table in metadata.sorted_tables} <= names
    assert {
        "organisation",
        "user_account",
        "api_token",
        "incident",
        "incident_version",
        "notice",
        "audit_event",
        "user_session",
        "login_failure",
    } <= names


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"]
)
def test_audit_log_is_append_only(database_url: str, statement: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        audit.record(session, "test.event", actor_id=None)
        session.commit()
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_event")).scalars().all() == [
            "test.event"
        ]
    engine.dispose()


def test_postgresql_has_trigram_indexes_for_search(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("trigram indexes exist only on PostgreSQL")
    engine = make_engine(database_url)
    names = {index["name"] for index in inspect(engine).get_indexes("incident")}
    engine.dispose()
    assert {"ix_incident_summary_trgm", "ix_incident_reference_trgm"} <= names


def test_migrations_keep_the_data_of_a_database_in_use(database_url: str) -> None:
    """Down to 0006 and up again with organisations, incidents and notices in the database:
    rebuilding a SQLite table that other rows refer to must neither fail nor lose a row."""
    from incidents.demo import load_demo

    engine = make_engine(database_url)
    load_demo(engine)
    tables = ("organisation", "user_account", "incident", "notice", "outbox_message")

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            return {
                t: conn.execute(select(func.count()).select_from(table(t))).scalar_one()
                for t in tables
            }

    before = counts()
    assert before["incident"] and before["notice"]
    engine.dispose()
    downgrade(database_url, "0006")
    upgrade(database_url)
    assert counts() == before
    assert _differences(database_url) == []
    if database_url.startswith("sqlite"):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    engine.dispose()
