"""Role guards: each role is refused where it does not belong, and sees what it should."""

from __future__ import annotations

import pytest

from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient

pytestmark = pytest.mark.usefixtures("demo")

STAFF_PAGES = ["/organisations", "/organisations/acme"]
ADMIN_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/organisations/new",
    "/admin/organisations/acme",
]
ADMIN_FORMS = [
    (
        "/admin/users/new",
        {"email": "x@y.example", "name": "X", "role": "staff", "password": "long-enough-1"},
    ),
    ("/admin/organisations/new", {"slug": "newco", "name": "NewCo"}),
    ("/admin/organisations/acme", {"name": "Hacked", "language": "nl", "emails": ""}),
]


@pytest.mark.parametrize("url", ["/", "/account"])
@pytest.mark.parametrize("email", [STAFF, ADMIN, OFFICER_ACME])
def test_every_role_sees_home_and_account(client: PageClient, email: str, url: str) -> None:
    client.login(email)
    client.page(url)


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_officer_is_refused_staff_pages(client: PageClient, url: str) -> None:
    client.login(OFFICER_ACME)
    soup = client.page(url, status=403)
    assert soup.h1.get_text() == "You do not have access"


@pytest.mark.parametrize("url", STAFF_PAGES)
@pytest.mark.parametrize("email", [STAFF, ADMIN])
def test_staff_and_admin_see_staff_pages(client: PageClient, email: str, url: str) -> None:
    client.login(email)
    client.page(url)


@pytest.mark.parametrize("url", ADMIN_PAGES)
@pytest.mark.parametrize("email", [STAFF, OFFICER_ACME])
def test_non_admins_are_refused_admin_pages(client: PageClient, email: str, url: str) -> None:
    client.login(email)
    client.page(url, status=403)


@pytest.mark.parametrize(("url", "data"), ADMIN_FORMS)
@pytest.mark.parametrize("email", [STAFF, OFFICER_ACME])
def test_non_admins_are_refused_admin_actions(
    client: PageClient, email: str, url: str, data: dict
) -> None:
    client.login(email)
    assert client.submit(url, data).status_code == 403
    client.submit("/logout")
    client.login(ADMIN)
    soup = client.page("/organisations")
    assert "NewCo" not in soup.text and "Hacked" not in soup.text
    assert "x@y.example" not in client.page("/admin/users").text


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_sees_admin_pages(client: PageClient, url: str) -> None:
    client.login(ADMIN)
    client.page(url)


def test_navigation_matches_the_role(client: PageClient) -> None:
    def nav_as(email: str) -> set[str]:
        client.login(email)
        hrefs = {a["href"] for a in client.page("/").select(".main-nav a")}
        client.submit("/logout")
        return hrefs

    officer = {"/", "/incidents", "/notices", "/statistics"}
    staff = officer | {"/outbox", "/organisations", "/audit"}
    assert nav_as(OFFICER_ACME) == officer
    assert nav_as(STAFF) == staff
    assert nav_as(ADMIN) == staff | {"/admin/users"}


def test_officer_home_shows_only_their_controller(client: PageClient) -> None:
    client.login(OFFICER_ACME)
    text = client.page("/").get_text(" ")
    assert "Acme Retail B.V." in text and "24 hours" in text and "privacy@acme.example" in text
    assert "Northwind" not in text and "Zorggroep" not in text


def test_staff_see_controllers_with_their_contract_deadlines(client: PageClient) -> None:
    client.login(STAFF)
    rows = [r.get_text(" ", strip=True) for r in client.page("/organisations").select("tbody tr")]
    assert rows == [
        "TalentCloud B.V. Processor – privacy@talentcloud.example 2",
        "Acme Retail B.V. Controller 24 hours privacy@acme.example 1",
        "Northwind Logistics Ltd Controller Without undue delay dpo@northwind.example, security@northwind.example 1",
        "Zorggroep Noord Controller 36 hours fg@zorggroep-noord.example 1",
    ]


def test_unknown_page_is_404_page(client: PageClient) -> None:
    client.login(STAFF)
    soup = client.page("/no/such/page", status=404)
    assert soup.h1.get_text() == "Page not found"
    client.page("/organisations/no-such-org", status=404)
