"""Outbox leases and the reminder schedule (issue 12)

A worker claims an outbox message for a lease (claimed_by, claimed_at, lease_until), so a
message left ``sending`` by a worker that died is claimed again. A reminder names its
notice (indexed; set to NULL when the notice is deleted, as a controller taken off a draft
is) and duty. Each notice carries the next instant the reminder worker has to look at it
(next_reminder_at, indexed): a cycle reads the notices that are due, not every notice.

Revision 0006 after 0005; created 2026-11-30 06:13:35.631684.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from migrations.columns import NULL, string, utc, uuid

revision, down_revision = "0006", "0005"

# Every existing notice is looked at by the first reminder cycle; messages a crashed worker
# left in ``sending`` are claimable at once.
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(utc("next_reminder_at", NULL))
        batch_op.create_index(
            batch_op.f("ix_notice_next_reminder_at"), ["next_reminder_at"], unique=False
        )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(uuid("notice_id", NULL))
        batch_op.add_column(string("duty", 32, server_default=""))
        batch_op.add_column(string("claimed_by", 100, server_default=""))
        batch_op.add_column(utc("claimed_at", NULL))
        batch_op.add_column(utc("lease_until", NULL))
        # A notice deleted (its controller taken off a draft) leaves its reminders.
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_notice_id_notice"),
            "notice",
            ["notice_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_message_notice_id"), ["notice_id"], unique=False
        )

    # The model has no server defaults: they were only for the rows that exist.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("duty", server_default=None)
        batch_op.alter_column("claimed_by", server_default=None)

    long_ago = sa.bindparam("long_ago", LONG_AGO, type_=sqlmodel.sql.sqltypes.UTCDateTime())
    op.execute(sa.text("UPDATE notice SET next_reminder_at = :long_ago").bindparams(long_ago))
    op.execute(
        sa.text(
            "UPDATE outbox_message SET lease_until = :long_ago WHERE status = 'sending'"
        ).bindparams(long_ago)
    )


def downgrade() -> None:
    op.execute(sa.text("UPDATE outbox_message SET status = 'queued' WHERE status = 'sending'"))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_notice_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_notice_id_notice"), type_="foreignkey"
        )
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("duty")
        batch_op.drop_column("notice_id")

    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_next_reminder_at"))
        batch_op.drop_column("next_reminder_at")
