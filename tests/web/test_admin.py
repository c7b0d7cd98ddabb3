"""Administration of organisations and users through the pages."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from incidents.models import AuditEvent, Organisation, User
from tests.helpers import ADMIN, PageClient

pytestmark = pytest.mark.usefixtures("demo")


def _new_user(client: PageClient, refused: bool, *fields: str):
    """The admin sends the new-user form with email, name, role, org and password: the
    response, or the form shown again when it is ``refused``."""
    client.login(ADMIN)
    form = dict(zip(("email", "name", "role", "org", "password"), fields, strict=True))
    send = client.submit_page if refused else client.submit
    return send("/admin/users/new", form)


def test_admin_adds_a_controller(client: PageClient, engine) -> None:
    client.login(ADMIN)
    response = client.submit(
        "/admin/organisations/new",
        {
            "slug": "gemeente-x",
            "name": "Gemeente X",
            "contract_hours": "48",
            "language": "en",
            "emails": "fg@gemeente-x.example\nsecurity@gemeente-x.example",
            "nis2": "yes",
        },
    )
    assert (
        response.status_code == 303 and response.headers["location"] == "/organisations/gemeente-x"
    )
    soup = client.page("/organisations/gemeente-x")
    assert "The organisation has been added." in soup.select_one(".notice").text
    text = soup.get_text(" ")
    assert "48 hours" in text and "fg@gemeente-x.example, security@gemeente-x.example" in text
    with Session(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == "gemeente-x")).one()
        assert (org.kind, org.nis2, org.language) == ("controller", True, "en")
        actions = [
            e.action
            for e in session.exec(select(AuditEvent).where(AuditEvent.organisation_id == org.id))
        ]
    assert actions == ["organisation.created"]


def test_bad_controller_form_lists_every_problem_and_keeps_input(
    client: PageClient, engine
) -> None:
    client.login(ADMIN)
    soup = client.submit_page(
        "/admin/organisations/new",
        {
            "slug": "Bad Slug!",
            "name": "",
            "contract_hours": "many",
            "language": "nl",
            "emails": "not-an-address",
        },
    )
    linked = {a["href"] for a in soup.select(".error-summary a")}
    assert linked == {"#slug", "#name", "#contract_hours", "#emails"}
    assert soup.select_one("#slug")["value"] == "Bad Slug!"
    assert soup.select_one("#contract_hours")["value"] == "many"
    assert soup.select_one("#emails").get_text() == "not-an-address"
    with Session(engine) as session:
        assert session.exec(select(Organisation).where(Organisation.name == "")).first() is None


def test_duplicate_slug_is_refused(client: PageClient) -> None:
    client.login(ADMIN)
    soup = client.submit_page(
        "/admin/organisations/new", {"slug": "acme", "name": "Acme 2", "language": "nl"}
    )
    assert "already exists" in soup.select_one("#slug-error").text


def test_admin_changes_contract_hours(client: PageClient) -> None:
    client.login(ADMIN)
    soup = client.page("/admin/organisations/acme")
    assert soup.select_one("#contract_hours")["value"] == "24"
    response = client.submit(
        "/admin/organisations/acme",
        {
            "name": "Acme Retail B.V.",
            "contract_hours": "",
            "language": "nl",
            "emails": "privacy@acme.example",
        },
    )
    assert response.status_code == 303
    assert "Without undue delay" in client.page("/organisations/acme").text


def test_admin_adds_officer_and_officer_logs_in(client: PageClient, make_client) -> None:
    response = _new_user(
        client,
        False,
        "New.Officer@Acme.example",
        "New Officer",
        "officer",
        "acme",
        "first-password-1",
    )
    assert response.status_code == 303
    assert "new.officer@acme.example" in client.page("/admin/users").text
    other = make_client()
    other.login("new.officer@acme.example", "first-password-1")
    assert "Acme Retail B.V." in other.page("/").text


def test_officer_must_belong_to_a_controller(client: PageClient) -> None:
    soup = _new_user(
        client, True, "x@acme.example", "X", "officer", "talentcloud", "first-password-1"
    )
    assert "controller" in soup.select_one("#org-error").text
    assert soup.select_one("#email")["value"] == "x@acme.example"


def test_new_user_form_reports_every_problem(client: PageClient) -> None:
    soup = _new_user(client, True, "admin@talentcloud.example", "", "staff", "talentcloud", "short")
    assert {a["href"] for a in soup.select(".error-summary a")} == {"#email", "#name", "#password"}


def test_admin_cannot_remove_own_admin_role(client: PageClient, engine) -> None:
    client.login(ADMIN)
    with Session(engine) as session:
        admin_id = session.exec(select(User).where(User.email == ADMIN)).one().id
    soup = client.submit_page(
        f"/admin/users/{admin_id}",
        {"name": "Anne de Vries", "role": "staff", "org": "talentcloud", "active": "yes"},
    )
    assert "your own administrator access" in soup.select_one("#role-error").text
    with Session(engine) as session:
        assert session.get(User, admin_id).role == "admin"


def test_deactivated_user_is_logged_out(client: PageClient, make_client, engine) -> None:
    staff = make_client()
    staff.login("staff@talentcloud.example")
    client.login(ADMIN)
    with Session(engine) as session:
        staff_id = (
            session.exec(select(User).where(User.email == "staff@talentcloud.example")).one().id
        )
    response = client.submit(
        f"/admin/users/{staff_id}", {"name": "Sander Bakker", "role": "staff", "org": "talentcloud"}
    )
    assert response.status_code == 303
    assert staff.get("/", follow_redirects=False).status_code == 303
