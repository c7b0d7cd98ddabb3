"""Outgoing webhooks (issue 18)

An endpoint: where to POST which events, with its secret for the signature; a delivery:
one event for one endpoint, unique per endpoint and audit event, with its attempts.

Revision 0019 after 0018; created 2026-12-01 02:30:00.
"""

from migrations.columns import NULL, boolean, integer, json, string, text, utc
from migrations.helpers import create_table, drop_tables

revision, down_revision = "0019", "0018"


def upgrade() -> None:
    create_table(
        "webhook_endpoint",
        string("url", 1000),
        string("secret", 200),
        json("events"),
        boolean("with_answers"),
        boolean("active"),
        integer("after_event"),
        integer("created_by_id", NULL),
        utc("created_at"),
        refers={"created_by_id": "user_account"},
    )
    create_table(
        "webhook_delivery",
        integer("endpoint_id"),
        integer("audit_event_id"),
        string("event", 64),
        text("body"),
        string("status", 16),
        integer("attempts"),
        utc("next_attempt_at"),
        utc("lease_until", NULL),
        integer("last_status", NULL),
        string("last_error", 500),
        utc("created_at"),
        utc("sent_at", NULL),
        checks={"status": "status IN ('queued', 'sending', 'sent', 'failed')"},
        refers={"endpoint_id": "webhook_endpoint", "audit_event_id": "audit_event"},
        unique=[("uq_webhook_delivery_event", "endpoint_id", "audit_event_id")],
        indexes=[
            "endpoint_id",
            ("ix_webhook_delivery_status_next", ["status", "next_attempt_at"]),
        ],
    )


def downgrade() -> None:
    drop_tables("webhook_delivery", "webhook_endpoint")
