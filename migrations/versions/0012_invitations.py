"""Invitations (issue 16)

An administrator invites a person by e-mail: a one-time link (only the token's hash is
kept) valid seven days, with which the person chooses a password and is logged in.

Revision 0012 after 0011; created 2026-11-30 19:15:00.
"""

from migrations.columns import NULL, integer, string, utc
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0012", "0011"


def upgrade() -> None:
    create_table(
        "invitation",
        string("token_hash", 64),
        string("email", 254),
        string("name", 200),
        string("role", 16),
        integer("organisation_id"),
        string("language", 2),
        integer("invited_by_id", NULL),
        utc("created_at"),
        utc("sent_at"),
        integer("times_sent"),
        utc("expires_at"),
        utc("accepted_at", NULL),
        integer("user_id", NULL),
        utc("revoked_at", NULL),
        checks={"role": "role IN ('staff', 'officer', 'admin')"},
        refers={
            "organisation_id": "organisation",
            "invited_by_id": "user_account",
            "user_id": "user_account",
        },
        unique=["token_hash"],
        indexes=["email"],
    )


def downgrade() -> None:
    drop_tables("invitation")
