"""Complete, valid answers to start tests from."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

# Ransomware that deleted files restored from a backup, nobody known to have seen them: a
# "high" score whose advice is lowered to "document only" (issue 13: it says why).
RESTORED_RANSOMWARE: dict[str, Any] = {
    "cause": "hacking_malware_phishing",
    "nature": ["deleted"],
    "recipients": "none_known",
    "malicious": "yes",
    "availability_loss": "restored_easily",
    "data_types": ["name_address", "financial"],
    "affected_max": 800,
}


def complete_answers(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "controllers": ["acme"],
        "summary": "Ransomware encrypted the HR file server; a copy of the files was taken.",
        "cause": "hacking_malware_phishing",
        "ongoing": "no",
        "affected_min": 120,
        "affected_max": 450,
        "affected_group": "Employees and job applicants of Acme",
        "records_approx": 3000,
        "vulnerable_subjects": "no",
        "occurred_kind": "between",
        "occurred_from": "2026-03-20",
        "occurred_until": "2026-03-27T08:30:00+01:00",
        "discovered_at": "2026-03-27T10:00:00+01:00",
        "nature": ["copied", "deleted"],
        "recipients": "unknown",
        "malicious": "yes",
        "availability_loss": "temporary",
        "data_types": ["name_address", "email", "bsn", "special"],
        "special_categories": ["health"],
        "identifiability": "maximum",
        "sensitive_context": "no",
        "extensive_volume": "yes",
        "public_or_invalid": "no",
        "encrypted": "partly",
        "encryption_details": "Disks encrypted with BitLocker; the file share itself was not.",
        "key_compromised": "no",
        "consequences": ["identity_fraud", "spam_phishing"],
        "measures": "Servers isolated, passwords reset, backups restored, forensic firm engaged.",
        "other_eu_countries": "yes",
        "countries": ["BE", "DE"],
        "contact_name": "Sander Bakker",
        "contact_role": "Security officer",
        "contact_email": "security@talentcloud.example",
        "contact_phone": "+31 20 123 4567",
    }
    for key, value in changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


def submitted_row(
    incident_id: uuid.UUID,
    reference: tuple[int, int, str],
    answers: dict[str, Any],
    at: datetime,
    created_by_id: int | None,
    affected_max: int = 450,
) -> dict[str, Any]:
    """The columns of an incident submitted at ``at`` (its first version) for a bulk INSERT;
    ``reference`` is (year, number, the reference as written)."""
    year, number, written = reference
    return {
        "id": incident_id,
        "reference": written,
        "reference_year": year,
        "reference_number": number,
        "status": "submitted",
        "answers": answers,
        "version": 1,
        "summary": answers["summary"],
        "discovered_at": at,
        "affected_max": affected_max,
        "created_by_id": created_by_id,
        "created_at": at,
        "updated_at": at,
        "submitted_at": at,
    }
