"""Input held across a login (issue 16)

A questionnaire step posted after the login had ended (idle for too long, or past its
lifetime) is held for the same person and saved as the draft once they have logged in
again.

Revision 0015 after 0014; created 2026-11-30 19:40:00.
"""

from migrations.columns import NULL, integer, json, string, utc
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0015", "0014"


def upgrade() -> None:
    create_table(
        "held_input",
        string("token_hash", 64),
        integer("user_id"),
        string("path", 300),
        json("data"),
        utc("created_at"),
        utc("expires_at"),
        utc("used_at", NULL),
        refers={"user_id": "user_account"},
        unique=["token_hash"],
        indexes=["user_id"],
    )


def downgrade() -> None:
    drop_tables("held_input")
