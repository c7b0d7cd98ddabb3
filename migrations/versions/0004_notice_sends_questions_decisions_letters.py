"""notice sends, questions, decisions, letters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:36:02.069524
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_decision_version_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_decision_version_notice_id_notice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_version")),
        sa.UniqueConstraint("notice_id", "version", name="uq_decision_version"),
    )
    with op.batch_alter_table("decision_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_version_notice_id"), ["notice_id"], unique=False
        )

    op.create_table(
        "notice_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("side", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "side IN ('controller', 'processor')", name=op.f("ck_notice_message_side")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_notice_message_author_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_message_notice_id_notice")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["notice_message.id"],
            name=op.f("fk_notice_message_parent_id_notice_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_message")),
    )
    with op.batch_alter_table("notice_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notice_message_notice_id"), ["notice_id"], unique=False
        )

    op.create_table(
        "notice_send",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("incident_version", sa.Integer(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_send_notice_id_notice")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["user_account.id"], name=op.f("fk_notice_send_sent_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_send")),
        sa.UniqueConstraint("notice_id", "incident_version", name="uq_notice_send_version"),
    )
    with op.batch_alter_table("notice_send", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_send_notice_id"), ["notice_id"], unique=False)

    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letter_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("letter_language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("letter_updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_send_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "attachment_name",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("attachment", sa.LargeBinary(), nullable=True))
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

    with op.batch_alter_table("notice_send", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_send_notice_id"))

    op.drop_table("notice_send")
    with op.batch_alter_table("notice_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_message_notice_id"))

    op.drop_table("notice_message")
    with op.batch_alter_table("decision_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_version_notice_id"))

    op.drop_table("decision_version")
