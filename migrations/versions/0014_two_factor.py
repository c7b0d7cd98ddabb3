"""Two-factor login (issue 16)

A user may add a second factor (TOTP, RFC 6238): the secret sealed with the app's key,
when it was confirmed, the time step of the last code accepted (no code twice), and ten
single-use recovery codes kept as hashes.

Revision 0014 after 0013; created 2026-11-30 19:25:00.
"""

from migrations.columns import NULL, big, integer, string, utc
from migrations.helpers import add_columns, create_table, drop_columns, drop_tables

revision, down_revision = "0014", "0013"


def upgrade() -> None:
    add_columns(
        "user_account",
        string("totp_secret", 255, NULL),
        utc("totp_enabled_at", NULL),
        big("totp_last_step", NULL),
    )
    create_table(
        "recovery_code",
        integer("user_id"),
        string("code_hash", 64),
        utc("created_at"),
        utc("used_at", NULL),
        refers={"user_id": "user_account"},
        indexes=["user_id"],
    )


def downgrade() -> None:
    drop_tables("recovery_code")
    drop_columns("user_account", "totp_secret", "totp_enabled_at", "totp_last_step")
