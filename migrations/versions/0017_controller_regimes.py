"""A controller's regimes and lead authority (issue 17)

``dora``: a financial entity under DORA; ``dora_no_weekend_relief``: one whose initial and
intermediate reports get no weekend or holiday relief (credit institutions, central
counterparties, trading venues, NIS2 essential or important entities); ``authority``:
the lead supervisory authority chosen in place of its country's own (empty: its
country's).

Revision 0017 after 0016; created 2026-12-01 01:40:00.
"""

import sqlalchemy as sa

from migrations.columns import boolean, string
from migrations.helpers import add_columns, drop_columns

revision, down_revision = "0017", "0016"


def upgrade() -> None:
    add_columns(
        "organisation",
        boolean("dora", server_default=sa.false()),
        boolean("dora_no_weekend_relief", server_default=sa.false()),
        string("authority", 32, server_default=""),
    )


def downgrade() -> None:
    drop_columns("organisation", "dora", "dora_no_weekend_relief", "authority")
