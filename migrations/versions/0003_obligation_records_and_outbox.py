"""obligation records and outbox

Revision 0003 after 0002; created 2026-11-22 03:09:46.346491.
"""

from migrations.columns import NULL, integer, json, string, text, utc, uuid
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0003", "0002"


def upgrade() -> None:
    create_table(
        "outbox_message",
        string("dedupe_key", 200),
        string("kind", 32),
        json("recipients"),
        string("subject", 500),
        text("body_text"),
        text("body_html"),
        uuid("incident_id", NULL),
        string("status", 16),
        integer("attempts"),
        utc("next_attempt_at"),
        utc("created_at"),
        utc("sent_at", NULL),
        string("last_error", 500),
        checks={"status": "status IN ('queued', 'sending', 'sent', 'failed', 'skipped')"},
        refers={"incident_id": "incident"},
        unique=["dedupe_key"],
        indexes=["incident_id", ("ix_outbox_message_status_next", ["status", "next_attempt_at"])],
    )
    create_table(
        "obligation_record",
        uuid("notice_id"),
        string("key", 32),
        utc("met_at", NULL),
        string("reference", 200),
        string("detail", 2000),
        string("late_reason", 4000),
        integer("recorded_by_id"),
        utc("recorded_at"),
        refers={"notice_id": "notice", "recorded_by_id": "user_account"},
        unique=[("uq_obligation_record_notice_key", "notice_id", "key")],
        indexes=["notice_id"],
    )


def downgrade() -> None:
    drop_tables("obligation_record", "outbox_message")
