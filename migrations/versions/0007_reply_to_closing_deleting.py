"""Reply-To on outbox messages; closing and deleting incidents (issue 13)

A notice's e-mail is answered to the processor's contact for the breach, not to the
sending address (existing messages have none). An incident can be closed with a note
(closed_at, closing_note) and reopened; a deleted draft keeps its row, without answers,
for the audit log (deleted_at). A sent notice can be withdrawn (withdrawn_at,
withdrawal_reason).

Revision 0007 after 0006; created 2026-11-30 14:00:00.
"""

from alembic import op

from migrations.columns import NULL, string, text, utc

revision, down_revision = "0007", "0006"


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(string("reply_to", 254, server_default=""))
    # The model has no server default: it was only for the rows that exist.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("reply_to", server_default=None)
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(utc("closed_at", NULL))
        batch_op.add_column(text("closing_note", server_default=""))
        batch_op.add_column(utc("deleted_at", NULL))
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.alter_column("closing_note", server_default=None)
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(utc("withdrawn_at", NULL))
        batch_op.add_column(text("withdrawal_reason", server_default=""))
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.alter_column("withdrawal_reason", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("closing_note")
        batch_op.drop_column("closed_at")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("reply_to")
