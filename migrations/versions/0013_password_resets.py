"""Password resets (issue 16)

A person who forgot their password asks for a link on /password-reset: valid one hour,
used once, only the token's hash kept.

Revision 0013 after 0012; created 2026-11-30 19:20:00.
"""

from migrations.columns import NULL, integer, string, utc
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0013", "0012"


def upgrade() -> None:
    create_table(
        "password_reset",
        string("token_hash", 64),
        integer("user_id"),
        utc("created_at"),
        utc("expires_at"),
        utc("used_at", NULL),
        refers={"user_id": "user_account"},
        unique=["token_hash"],
        indexes=["user_id"],
    )


def downgrade() -> None:
    drop_tables("password_reset")
