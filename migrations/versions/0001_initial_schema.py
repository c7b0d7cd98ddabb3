"""initial schema

Revision 0001, the first; created 2026-11-22 02:12:35.855872.
"""

from alembic import op

from migrations.columns import NULL, boolean, integer, json, string, utc, uuid
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0001", None


def upgrade() -> None:
    create_table(
        "login_failure",
        string("key", 64),
        utc("at"),
        indexes=[("ix_login_failure_key_at", ["key", "at"])],
    )
    create_table(
        "organisation",
        string("slug", 64),
        string("name", 200),
        string("kind", 16),
        integer("contract_hours", NULL),
        string("language", 2),
        json("notification_emails"),
        boolean("nis2"),
        string("country", 2),
        string("timezone", 64),
        utc("created_at"),
        checks={
            "kind": "kind IN ('processor', 'controller')",
            "language": "language IN ('nl', 'en')",
            "contract_hours": "contract_hours IS NULL OR contract_hours > 0",
        },
        unique_indexes=["slug"],
    )
    create_table(
        "user_account",
        string("email", 254),
        string("name", 200),
        string("role", 16),
        integer("organisation_id"),
        string("password_hash", 255),
        string("language", 2, NULL),
        boolean("is_active"),
        utc("created_at"),
        utc("password_changed_at"),
        checks={"role": "role IN ('staff', 'officer', 'admin')"},
        refers={"organisation_id": "organisation"},
        unique_indexes=["email"],
        indexes=["organisation_id"],
    )
    create_table(
        "api_token",
        integer("user_id"),
        string("token_hash", 64),
        string("prefix", 16),
        string("label", 100),
        utc("created_at"),
        utc("last_used_at", NULL),
        utc("revoked_at", NULL),
        refers={"user_id": "user_account"},
        unique_indexes=["token_hash"],
        indexes=["user_id"],
    )
    create_table(
        "incident",
        uuid("id"),
        string("reference", 32, NULL),
        integer("reference_year", NULL),
        integer("reference_number", NULL),
        string("status", 16),
        json("answers"),
        integer("version"),
        integer("created_by_id"),
        utc("created_at"),
        utc("updated_at"),
        utc("submitted_at", NULL),
        checks={"status": "status IN ('draft', 'submitted', 'closed')"},
        refers={"created_by_id": "user_account"},
        unique=["reference", ("uq_incident_reference_seq", "reference_year", "reference_number")],
        indexes=["created_at", "status"],
    )
    create_table(
        "user_session",
        string("id_hash", 64),
        integer("user_id"),
        utc("created_at"),
        utc("last_seen_at"),
        utc("expires_at"),
        utc("revoked_at", NULL),
        string("revoked_reason", 32, NULL),
        refers={"user_id": "user_account"},
        key="id_hash",
        indexes=["user_id"],
    )
    create_table(
        "audit_event",
        utc("at"),
        integer("actor_id", NULL),
        string("action", 64),
        uuid("incident_id", NULL),
        integer("organisation_id", NULL),
        json("details"),
        refers={
            "actor_id": "user_account",
            "incident_id": "incident",
            "organisation_id": "organisation",
        },
        indexes=["at", "incident_id"],
    )
    create_table(
        "incident_version",
        uuid("incident_id"),
        integer("version"),
        json("answers"),
        string("kind", 16),
        string("note", 2000),
        integer("created_by_id"),
        utc("created_at"),
        refers={"created_by_id": "user_account", "incident_id": "incident"},
        unique=[("uq_incident_version", "incident_id", "version")],
        indexes=["incident_id"],
    )
    create_table(
        "notice",
        uuid("id"),
        uuid("incident_id"),
        integer("controller_id"),
        integer("version"),
        integer("incident_version", NULL),
        utc("sent_at", NULL),
        utc("delivered_at", NULL),
        utc("acknowledged_at", NULL),
        integer("acknowledged_by_id", NULL),
        json("decision", NULL),
        utc("created_at"),
        refers={
            "acknowledged_by_id": "user_account",
            "controller_id": "organisation",
            "incident_id": "incident",
        },
        unique=[("uq_notice_incident_controller", "incident_id", "controller_id")],
        indexes=["controller_id", "incident_id"],
    )
    _create_audit_guards()


def downgrade() -> None:
    _drop_audit_guards()
    drop_tables(
        "notice",
        "incident_version",
        "audit_event",
        "user_session",
        "incident",
        "api_token",
        "user_account",
        "organisation",
        "login_failure",
    )


# The audit log is append-only: the database itself refuses UPDATE and DELETE on it.
_AUDIT_MESSAGE = "audit_event is append-only"


def _create_audit_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{_AUDIT_MESSAGE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_AUDIT_MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )


def _drop_audit_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
