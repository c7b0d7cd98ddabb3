"""Sending as background work (issue 15)

"Send to all" to a thousand controllers took minutes inside one request. Now the request
writes a batch with one item per notice and returns; workers (several processes, on
several machines with PostgreSQL) claim the items for a lease, render and write each
notice's send and e-mail, and the outbox delivers them.

Revision 0011 after 0010; created 2026-11-30 16:40:00.
"""

from migrations.columns import NULL, integer, string, utc, uuid
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0011", "0010"


def upgrade() -> None:
    create_table(
        "send_batch",
        uuid("id"),
        uuid("incident_id"),
        integer("requested_by_id"),
        string("base_url", 500),
        integer("total"),
        utc("created_at"),
        utc("finished_at", NULL),
        refers={"incident_id": "incident", "requested_by_id": "user_account"},
        indexes=["incident_id"],
    )
    create_table(
        "send_batch_item",
        uuid("batch_id"),
        uuid("notice_id"),
        string("state", 16),
        integer("attempts"),
        string("claimed_by", 100, NULL),
        utc("lease_until", NULL),
        integer("send_id", NULL),
        string("error", 500),
        utc("done_at", NULL),
        checks={"state": "state IN ('queued', 'rendered', 'failed')"},
        refers={"batch_id": "send_batch", "notice_id": "notice", "send_id": "notice_send"},
        unique=[("uq_send_batch_item_notice", "batch_id", "notice_id")],
        indexes=["batch_id", ("ix_send_batch_item_state_lease", ("state", "lease_until"))],
    )


def downgrade() -> None:
    drop_tables("send_batch_item", "send_batch")
