"""API bearer tokens: good, bad, revoked; 401 answers in JSON."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from incidents.accounts import create_token
from incidents.models import ApiToken, User
from incidents.security import digest
from tests.helpers import OFFICER_ACME, STAFF, PageClient

pytestmark = pytest.mark.usefixtures("demo")


def _token(engine, email: str) -> str:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        token = create_token(session, user, "test", actor_id=None)
        session.commit()
    return token


def test_good_token_identifies_the_user(client: PageClient, engine) -> None:
    token = _token(engine, OFFICER_ACME)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {
        "id": response.json()["id"],
        "email": OFFICER_ACME,
        "name": "Fatima El Amrani",
        "role": "officer",
        "organisation": "acme",
        "organisation_kind": "controller",
    }


def test_only_the_hash_of_a_token_is_stored(engine) -> None:
    token = _token(engine, STAFF)
    with Session(engine) as session:
        row = session.exec(select(ApiToken)).one()
    assert row.token_hash == digest(token) and token not in (row.token_hash, row.prefix)
    assert len(row.prefix) < len(token) // 3


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Bearer bd_not-a-real-token",
        "Basic dXNlcjpwYXNz",
        "bd_token-without-scheme",
    ],
)
def test_missing_or_bad_token_is_401_json(client: PageClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["message"]


def test_revoked_token_is_refused(client: PageClient, engine) -> None:
    token = _token(engine, STAFF)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    client.login(STAFF)
    token_id = client.page("/account").select_one("form[action$='/revoke']")["action"].split("/")[3]
    assert client.submit(f"/account/tokens/{token_id}/revoke").status_code == 303
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_of_deactivated_user_is_refused(client: PageClient, engine) -> None:
    token = _token(engine, STAFF)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == STAFF)).one()
        user.is_active = False
        session.add(user)
        session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_session_cookie_does_not_authenticate_the_api(client: PageClient) -> None:
    client.login(STAFF)
    assert client.get("/api/v1/me").status_code == 401


def test_token_created_in_the_browser_is_shown_once_and_works(client: PageClient) -> None:
    client.login(STAFF)
    soup = client.submit_page("/account/tokens", {"label": "Ticketing system"})
    token = soup.select_one("#new-token").get_text(strip=True)
    assert token.startswith("bd_")
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["email"]
        == STAFF
    )
    listed = client.page("/account")
    assert token not in listed.text and "Ticketing system" in listed.text


def test_token_needs_a_name(client: PageClient) -> None:
    client.login(STAFF)
    soup = client.submit_page("/account/tokens", {"label": ""})
    assert soup.select_one(".error-summary a")["href"] == "#label"


def test_someone_elses_token_cannot_be_revoked(client: PageClient, engine, make_client) -> None:
    token = _token(engine, OFFICER_ACME)
    with Session(engine) as session:
        token_id = session.exec(select(ApiToken)).one().id
    client.login(STAFF)
    assert client.submit(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_openapi_document_describes_bearer_auth(client: PageClient) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "/api/v1/me" in schema["paths"]
    assert not any(path.startswith(("/admin", "/login", "/account")) for path in schema["paths"])


def test_every_api_operation_documents_401(client: PageClient) -> None:
    schema = client.get("/schema/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], (method, path)


def test_api_errors_are_english_unless_dutch_is_asked(app, settings) -> None:
    from dataclasses import replace

    from litestar.testing import TestClient

    from incidents.app import create_app

    dutch_default = create_app(replace(settings, default_language="nl"))
    with TestClient(dutch_default) as test_client:
        english = test_client.get("/api/v1/me").json()["errors"][0]["message"]
        dutch = test_client.get("/api/v1/me", headers={"accept-language": "nl"}).json()["errors"][
            0
        ]["message"]
    assert english.startswith("Authentication required") and dutch.startswith(
        "Authenticatie vereist"
    )


def test_method_not_allowed_lists_the_allowed_methods(client: PageClient) -> None:
    response = client.request("TRACE", "/api/v1/incidents")
    assert response.status_code == 405 and "GET" in response.headers["allow"]


def test_the_schema_is_served_without_cdn_viewers(client: PageClient) -> None:
    """Only the documents: Litestar's viewers (Swagger, ReDoc, ...) load scripts from CDNs."""
    assert client.get("/schema/openapi.json").status_code == 200
    assert client.get("/schema/openapi.yaml").status_code == 200
    for viewer in ("swagger", "redoc", "rapidoc", "elements"):
        response = client.get(f"/schema/{viewer}")
        assert response.status_code == 404 or "cdn" not in response.text.lower(), viewer
