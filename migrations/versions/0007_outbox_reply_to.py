"""Outbox messages carry a Reply-To (issue 13)

A notice's e-mail is answered to the processor's contact for the breach, not to the
sending address. Existing messages have none.

Revision 0007 after 0006; created 2026-11-30 14:00:00.
"""

from alembic import op

from migrations.columns import string

revision, down_revision = "0007", "0006"


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(string("reply_to", 254, server_default=""))
    # The model has no server default: it was only for the rows that exist.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("reply_to", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("reply_to")
