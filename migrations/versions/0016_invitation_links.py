"""Invitation links carried by notices (issue 16)

A notice e-mail to an invited address that has no account yet carries a link of its own
to the invitation, valid seven days from that notice, beside the invitation's own link.

Revision 0016 after 0015; created 2026-11-30 22:20:00.
"""

from migrations.columns import NULL, integer, string, utc, uuid
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0016", "0015"


def upgrade() -> None:
    create_table(
        "invitation_link",
        integer("invitation_id"),
        string("token_hash", 64),
        uuid("notice_id", NULL),
        utc("created_at"),
        utc("expires_at"),
        refers={"invitation_id": "invitation"},
        unique=["token_hash"],
        indexes=["invitation_id"],
    )


def downgrade() -> None:
    drop_tables("invitation_link")
