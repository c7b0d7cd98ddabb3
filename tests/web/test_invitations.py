"""Issue 16: invitations. An administrator invites a person (page, API, command line); the
person gets an e-mail in their language, plain text and HTML, with a link that works once
for seven days; with it they choose a password and are logged in. Accepted, expired,
revoked and replaced links answer 404 with a way to ask for a new one; only the token's
hash is stored, and neither the outbox pages nor the logs show it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, func, select
from structlog.testing import capture_logs

from incidents.models import Invitation, OutboxMessage, User
from incidents.security import digest
from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient, at_once

pytestmark = pytest.mark.usefixtures("demo")

NEW = "nieuwe.fg@acme.example"
PASSWORD = "a-long-enough-password"
INVITE = {"email": NEW, "name": "Noor Jansen", "role": "officer", "org": "acme"}


def _mails(engine, email: str = NEW) -> list[OutboxMessage]:
    with Session(engine) as session:
        found = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "invitation")
            .order_by(col(OutboxMessage.id))
        ).all()
    return [m for m in found if m.recipients == [email]]


def _link(engine, email: str = NEW) -> str:
    """The path of the link in the last invitation e-mail to ``email``."""
    found = re.search(
        r"https?://[^/\s]+(/invitations/[A-Za-z0-9_-]+)", _mails(engine, email)[-1].body_text
    )
    assert found, "no link in the e-mail"
    return found.group(1)


def _invite(client: PageClient, values: dict[str, str] = INVITE):
    return client.submit("/admin/invitations/", values)


def _accept(client: PageClient, link: str, password: str = PASSWORD, **extra: str):
    data = {"name": "Noor Jansen", "password": password, "confirm_password": password, **extra}
    return client.submit(link, data)


def test_an_invited_officer_chooses_a_password_and_is_logged_in(
    client: PageClient, make_client, engine
) -> None:
    client.login(ADMIN)
    users = client.page("/admin/users/")
    assert users.select_one("a[href^='/admin/invitations']")
    assert _invite(client).status_code == 303
    listed = client.page("/admin/invitations/")
    assert "Invitation has been sent" not in listed.text  # the flash is the next page's
    row = listed.select_one("tbody tr").get_text(" ", strip=True)
    assert "Noor Jansen" in row and "Acme Retail B.V." in row and "Open until" in row

    (mail,) = _mails(engine)
    link = _link(engine)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43, "256 random bits"
    # Acme reads Dutch: the e-mail is in Dutch, in plain text and HTML, the link written out.
    assert mail.subject == "Uw uitnodiging voor Breachdesk van TalentCloud B.V."
    assert "privacyfunctionaris van Acme Retail B.V." in mail.body_text
    assert link in mail.body_text and link in mail.body_html and "&amp;" not in mail.body_text
    with Session(engine) as session:
        invitation = session.exec(select(Invitation)).one()
        assert invitation.token_hash == digest(token)
        assert token not in str(invitation.model_dump())
    # Staff see the e-mail in the outbox, but not its text: the link is the officer's.
    client.login(STAFF)
    outbox = client.page("/outbox/")
    assert "only the recipient reads it" in outbox.text
    assert client.get(f"/outbox/{mail.id}").status_code == 404
    assert client.get(f"/outbox/{mail.id}/eml").status_code == 404

    officer = make_client()
    with capture_logs() as logged:
        form = officer.page(link)
    assert form.select_one("#username")["value"] == NEW
    assert form.select_one("#name")["value"] == "Noor Jansen"
    refused = _accept(officer, link, "short", confirm_password="other")
    assert refused.status_code == 200
    page = refused.text
    assert "at least 10 characters" in page and "not the same" in page and "Noor Jansen" in page
    accepted = _accept(officer, link)
    assert accepted.status_code == 303 and accepted.headers["location"] == "/"
    home = officer.page("/")
    assert "your account is ready" in home.text
    assert officer.client.get("/notices").status_code == 200  # logged in, as an officer
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == NEW)).one()
        assert (user.role, user.language) == ("officer", "nl")
    # Used once: the link is gone, for the page and the form alike.
    gone = make_client()
    response = gone.client.get(link)
    assert response.status_code == 404 and "no longer works" in response.text
    assert _accept(gone, link).status_code == 404
    paths = [event.get("path", "") for event in logged]
    assert "/invitations/…" in paths and not any(token in p for p in paths), "no token logged"
    # The new officer logs in with the password chosen.
    make_client().login(NEW, PASSWORD)


def test_an_expired_link_is_gone_and_sending_again_gives_a_new_one(
    client: PageClient, make_client, engine, clock
) -> None:
    client.login(ADMIN)
    _invite(client)
    first = _link(engine)
    clock.travel(timedelta(days=6, hours=23))
    assert make_client().client.get(first).status_code == 200, "still open on day 7"
    clock.travel(timedelta(hours=1, minutes=1))
    assert make_client().client.get(first).status_code == 404
    client.login(ADMIN)  # a week later: the admin's login has ended too
    listed = client.page("/admin/invitations/")
    assert "Expired" in listed.select_one("tbody tr").get_text(" ", strip=True)
    resend = listed.select_one("form[action$='/resend']")["action"]
    assert client.submit(resend).status_code == 303
    second = _link(engine)
    assert second != first and len(_mails(engine)) == 2
    assert make_client().client.get(first).status_code == 404
    clock.travel(timedelta(days=6))
    assert _accept(make_client(), second).status_code == 303
    client.login(ADMIN)
    assert "Sent 2 times" in client.page("/admin/invitations/").text


def test_a_revoked_or_replaced_link_is_gone(client: PageClient, make_client, engine) -> None:
    client.login(ADMIN)
    _invite(client)
    first = _link(engine)
    _invite(client, {**INVITE, "name": "Noor J."})  # invited again: the first link ends
    second = _link(engine)
    assert make_client().client.get(first).status_code == 404
    revoke = client.page("/admin/invitations/").select_one("form[action$='/revoke']")["action"]
    assert client.submit(revoke).status_code == 303
    assert make_client().client.get(second).status_code == 404
    assert client.submit(revoke).status_code == 404, "revoked once"
    states = [
        tr.get_text(" ", strip=True) for tr in client.page("/admin/invitations/").select("tbody tr")
    ]
    assert len(states) == 2 and all("Revoked" in s for s in states)


def test_the_invitation_form_keeps_the_input_and_lists_every_problem(
    client: PageClient, engine
) -> None:
    client.login(ADMIN)
    bad = {"email": OFFICER_ACME, "name": "", "role": "officer", "org": ""}
    page = client.submit_page("/admin/invitations/", bad)
    summary = page.select_one(".error-summary").get_text(" ", strip=True)
    assert "has an account already" in summary and "officer" in summary
    assert page.select_one("#email")["value"] == OFFICER_ACME
    assert _mails(engine, OFFICER_ACME) == []
    client.login(STAFF)
    assert client.get("/admin/invitations/").status_code == 403
    assert _invite(client).status_code == 403


def test_the_api_invites_lists_and_refuses_with_every_problem(
    client: PageClient, api_headers, engine
) -> None:
    admin = api_headers(ADMIN)
    created = client.post("/api/v1/invitations", json=INVITE, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["email"], body["org"], body["state"]) == (NEW, "acme", "open")
    assert "token" not in body and "link" not in body
    staff = {"email": "nieuw@talentcloud.example", "name": "Kim", "role": "staff"}
    assert client.post("/api/v1/invitations", json=staff, headers=admin).status_code == 201
    bad = client.post(
        "/api/v1/invitations",
        json={"email": "not-an-address", "name": "", "role": "boss", "org": 5},
        headers=admin,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"email", "name", "role"}
    listed = client.get("/api/v1/invitations", headers=admin).json()
    assert [i["email"] for i in listed] == ["nieuw@talentcloud.example", NEW]
    assert _mails(engine, "nieuw@talentcloud.example")[0].subject.startswith("Uw uitnodiging")
    assert (
        client.post("/api/v1/invitations", json=INVITE, headers=api_headers(STAFF)).status_code
        == 403
    )
    assert client.get("/api/v1/invitations", headers=api_headers(OFFICER_ACME)).status_code == 403


def test_an_english_controllers_officer_is_invited_in_english(
    client: PageClient, api_headers, engine
) -> None:
    values = {
        "email": "dpo2@northwind.example",
        "name": "Sam",
        "role": "officer",
        "org": "northwind",
    }
    assert (
        client.post("/api/v1/invitations", json=values, headers=api_headers(ADMIN)).status_code
        == 201
    )
    (mail,) = _mails(engine, "dpo2@northwind.example")
    assert mail.subject == "Your invitation to Breachdesk from TalentCloud B.V."
    assert "privacy officer of Northwind Logistics Ltd" in mail.body_html


def test_two_browsers_accepting_one_link_at_once_make_one_account(
    client: PageClient, make_client, engine
) -> None:
    client.login(ADMIN)
    _invite(client)
    link = _link(engine)
    first, second = make_client(), make_client()
    first.csrf, second.csrf  # noqa: B018  (each has its CSRF cookie before the race)
    results = at_once(lambda: _accept(first, link), lambda: _accept(second, link))
    codes = sorted(r.status_code for r in results)
    assert codes == [303, 404], codes
    with Session(engine) as session:
        assert (
            session.exec(select(func.count()).select_from(User).where(User.email == NEW)).one() == 1
        )


def test_sending_again_twice_at_once_sends_one_e_mail(
    client: PageClient, make_client, engine
) -> None:
    """Two clicks on "Send again" (or two administrators) at the same moment: one new
    e-mail, whose link works; the other click is told it was sent a moment ago (409) and
    nothing more goes out."""
    client.login(ADMIN)
    _invite(client)
    form = client.page("/admin/invitations/").select_one("form[action$='/resend']")
    seen = form.select_one("input[name=times_sent]")["value"]
    admins = [make_client(), make_client()]
    for admin in admins:
        admin.login(ADMIN)
    answers = at_once(*(lambda a=a: a.submit(form["action"], {"times_sent": seen}) for a in admins))
    codes = sorted(r.status_code for r in answers)
    assert codes == [303, 409], codes
    lost = next(r for r in answers if r.status_code == 409)
    assert "sent again or ended a moment ago" in lost.text
    assert len(_mails(engine)) == 2, "the invitation and one more"
    with Session(engine) as session:
        assert session.exec(select(Invitation)).one().times_sent == 2
    assert make_client().client.get(_link(engine)).status_code == 200


def test_seven_days_are_real_hours_across_the_change_to_winter_time(
    client: PageClient, make_client, engine, clock
) -> None:
    """Invited the Thursday before the clocks go back (25 October 2026 in Amsterdam): the
    link works 168 real hours, so the e-mail gives the end an hour later by the clock,
    13:00 CET for an invitation sent at 14:00 CEST."""
    clock.freeze(datetime(2026, 10, 22, 12, 0, tzinfo=UTC))  # 14:00 CEST
    client.login(ADMIN)
    _invite(client)
    (mail,) = _mails(engine)
    assert "29 oktober 2026, 13:00 CET" in mail.body_text, "Acme's zone and language"
    link = _link(engine)
    clock.freeze(datetime(2026, 10, 29, 11, 59, tzinfo=UTC))
    assert make_client().client.get(link).status_code == 200
    clock.freeze(datetime(2026, 10, 29, 12, 0, tzinfo=UTC))
    assert make_client().client.get(link).status_code == 404
