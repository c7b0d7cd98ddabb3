"""notice sends, questions, decisions, letters

Revision 0004 after 0003; created 2026-11-22 04:36:02.069524.
"""

from alembic import op

from migrations.columns import NULL, binary, integer, json, string, text, utc, uuid
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0004", "0003"


def upgrade() -> None:
    create_table(
        "decision_version",
        uuid("notice_id"),
        integer("version"),
        json("decision"),
        integer("decided_by_id"),
        utc("decided_at"),
        refers={"decided_by_id": "user_account", "notice_id": "notice"},
        unique=[("uq_decision_version", "notice_id", "version")],
        indexes=["notice_id"],
    )
    create_table(
        "notice_message",
        uuid("notice_id"),
        integer("parent_id", NULL),
        string("side", 16),
        text("body"),
        integer("author_id"),
        utc("created_at"),
        checks={"side": "side IN ('controller', 'processor')"},
        refers={
            "author_id": "user_account",
            "notice_id": "notice",
            "parent_id": "notice_message",
        },
        indexes=["notice_id"],
    )
    create_table(
        "notice_send",
        uuid("notice_id"),
        integer("number"),
        integer("incident_version"),
        string("language", 2),
        json("answers"),
        string("subject", 500),
        text("body_html"),
        text("body_text"),
        integer("sent_by_id"),
        utc("sent_at"),
        utc("delivered_at", NULL),
        refers={"notice_id": "notice", "sent_by_id": "user_account"},
        unique=[("uq_notice_send_version", "notice_id", "incident_version")],
        indexes=["notice_id"],
    )

    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(text("letter_text", server_default=""))
        batch_op.add_column(string("letter_language", 2, NULL))
        batch_op.add_column(utc("letter_updated_at", NULL))

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(integer("notice_send_id", NULL))
        batch_op.add_column(string("attachment_name", 200, server_default=""))
        batch_op.add_column(binary("attachment", NULL))
        batch_op.create_index(
            batch_op.f("ix_outbox_message_notice_send_id"), ["notice_send_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_notice_send_id_notice_send"),
            "notice_send",
            ["notice_send_id"],
            ["id"],
        )
    # The new NOT NULL columns get '' for the existing rows; the models have no default.
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.alter_column("letter_text", server_default=None)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("attachment_name", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_notice_send_id_notice_send"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_message_notice_send_id"))
        batch_op.drop_column("attachment")
        batch_op.drop_column("attachment_name")
        batch_op.drop_column("notice_send_id")

    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("letter_updated_at")
        batch_op.drop_column("letter_language")
        batch_op.drop_column("letter_text")

    drop_tables("notice_send", "notice_message", "decision_version")
