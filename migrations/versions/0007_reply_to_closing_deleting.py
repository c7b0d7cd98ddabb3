"""Reply-To on outbox messages; closing and deleting incidents (issue 13)

A notice's e-mail is answered to the processor's contact for the breach, not to the
sending address (existing messages have none). An incident can be closed with a note
(closed_at, closing_note) and reopened; a deleted draft keeps its row, without answers,
for the audit log (deleted_at). A sent notice can be withdrawn (withdrawn_at,
withdrawal_reason).

Revision 0007 after 0006; created 2026-11-30 14:00:00.
"""

from migrations.columns import NULL, string, text, utc
from migrations.helpers import add_columns, drop_columns

revision, down_revision = "0007", "0006"


def upgrade() -> None:
    add_columns("outbox_message", string("reply_to", 254, server_default=""))
    add_columns(
        "incident",
        utc("closed_at", NULL),
        text("closing_note", server_default=""),
        utc("deleted_at", NULL),
    )
    add_columns("notice", utc("withdrawn_at", NULL), text("withdrawal_reason", server_default=""))


def downgrade() -> None:
    drop_columns("notice", "withdrawal_reason", "withdrawn_at")
    drop_columns("incident", "deleted_at", "closing_note", "closed_at")
    drop_columns("outbox_message", "reply_to")
