"""Filling in the questionnaire through the HTTP interface, as a browser would."""

from __future__ import annotations

from typing import Any

from tests.helpers import PageClient

STEP_FORMS: dict[str, dict[str, Any]] = {
    "controllers": {"controllers": ["acme", "northwind"]},
    "incident": {
        "summary": "A laptop with an export of the HR system was stolen from a car.",
        "cause": "lost_stolen_device_or_paper",
        "ongoing": "no",
    },
    "persons": {
        "affected_min": "200",
        "affected_max": "1.250",
        "affected_group": "Employees of Acme and Northwind",
        "records_approx": "",
        "vulnerable_subjects": "no",
    },
    "when": {
        "occurred_kind": "on",
        "occurred_on-day": "20",
        "occurred_on-month": "3",
        "occurred_on-year": "2026",
        "occurred_on-time": "",
        "discovered_at-day": "27",
        "discovered_at-month": "3",
        "discovered_at-year": "2026",
        "discovered_at-time": "10:00",
    },
    "nature": {
        "nature": ["stolen"],
        "recipients": "unknown",
        "malicious": "yes",
        "availability_loss": "temporary",
    },
    "data": {
        "data_types": ["name_address", "bsn"],
        "identifiability": "maximum",
        "sensitive_context": "no",
        "extensive_volume": "no",
        "public_or_invalid": "no",
    },
    "protection": {"encrypted": "no"},
    "consequences": {"consequences": ["identity_fraud"]},
    "measures": {"measures": "Laptop wiped remotely; passwords reset; police report filed."},
    "countries": {"other_eu_countries": "no"},
    "contact": {
        "contact_name": "Sander Bakker",
        "contact_role": "Security officer",
        "contact_email": "security@talentcloud.example",
        "contact_phone": "+31 20 123 4567",
    },
}


def start_report(client: PageClient) -> str:
    response = client.submit("/incidents/new")
    assert response.status_code == 303
    return response.headers["location"].rsplit("/", 2)[1]


def fill_all(
    client: PageClient, incident_id: str, changes: dict[str, dict[str, Any]] | None = None
) -> None:
    for step, form in STEP_FORMS.items():
        data = {**form, **(changes or {}).get(step, {}), "action": "continue"}
        response = client.submit(f"/incidents/{incident_id}/report/{step}", data)
        assert response.status_code == 303, f"step {step}: {response.text[:2000]}"


def file_incident(client: PageClient, changes: dict[str, dict[str, Any]] | None = None) -> str:
    incident_id = start_report(client)
    fill_all(client, incident_id, changes)
    response = client.submit(f"/incidents/{incident_id}/submit")
    assert (
        response.status_code == 303 and response.headers["location"] == f"/incidents/{incident_id}"
    )
    return incident_id
