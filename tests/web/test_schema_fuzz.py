"""Schemathesis against the app's own OpenAPI document with a staff token: no generated
request (valid or not) may cause a server error, and every response must be one the
schema describes (status code, content type, headers, body).

Driven through Hypothesis directly, operation by operation (schemathesis' pytest plugin
does not work with pytest 9). Generated ids would only ever meet 404s, so half of the
cases use a real incident (sent to both controllers) and a real controller."""

from __future__ import annotations

import collections

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from tests.factories import complete_answers
from tests.helpers import STAFF, PageClient

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = 15  # per operation; the whole run stays well under a minute


def test_the_api_keeps_to_its_schema(app, demo, api_headers, client: PageClient) -> None:
    headers = api_headers(STAFF)
    created = client.post(
        "/api/v1/incidents",
        json=complete_answers(controllers=["acme", "northwind"]),
        headers=headers,
    )
    assert created.status_code == 201
    real_id = created.json()["id"]
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    statuses: collections.Counter[tuple[str, int]] = collections.Counter()
    for operation in operations:

        @given(
            case=operation.as_strategy(),
            real=st.booleans(),
            slug=st.sampled_from(["acme", "northwind"]),
        )
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case, real: bool, slug: str) -> None:
            if real and case.path_parameters and "incident_id" in case.path_parameters:
                case.path_parameters["incident_id"] = real_id
                if "controller" in case.path_parameters:
                    case.path_parameters["controller"] = slug
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses[
                (f"{case.operation.method.upper()} {case.operation.path}", response.status_code)
            ] += 1

        call()
        # A valid request too, so the success responses are checked against the schema.
        if operation.method.upper() == "POST" and operation.path == "/api/v1/incidents":
            valid = operation.Case(body=complete_answers())
        elif operation.method.upper() == "GET" and "{controller}" not in operation.path:
            none = "00000000-0000-4000-8000-000000000000"  # no such batch or file: a 404
            ids = {"incident_id": real_id, "batch_id": none, "evidence_id": none}
            valid = operation.Case(
                path_parameters={k: v for k, v in ids.items() if f"{{{k}}}" in operation.path}
            )
        else:
            continue
        response = valid.call_and_validate(headers=headers, checks=CHECKS)
        statuses[(f"{operation.method.upper()} {operation.path}", response.status_code)] += 1
    # The run reached the handlers, not only the 404s of made-up ids.
    assert statuses[("GET /api/v1/incidents/{incident_id}", 200)] >= 1
    assert statuses[("GET /api/v1/incidents/{incident_id}/report.pdf", 200)] >= 1
    assert statuses[("POST /api/v1/incidents", 201)] >= 1
    assert any(code == 200 for (name, code) in statuses if name.endswith("/send"))
