"""Issue 16: importing controllers (or adding or editing one) can invite their notification
addresses as officers, so that the first notice reaches someone who can log in and act; a
notice e-mail to an invited address without an account carries a new link to the
invitation, valid seven days from that notice, in an e-mail of its own (only the link's
hash is kept, so each such address gets its own message)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from forms.display import format_datetime
from incidents.models import Invitation, InvitationLink, OutboxMessage
from incidents.reminders import deliver_outbox
from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient, at_once
from tests.web.notice_helpers import file_via_api, send_all

pytestmark = pytest.mark.usefixtures("demo")

PASSWORD = "a-long-enough-password"
ACME_INBOX = "privacy@acme.example"  # Acme's notification address: no account in the demo
LINK = re.compile(r"https?://[^/\s]+(/invitations/[A-Za-z0-9_-]+)")

CSV = (
    "slug,name,language,timezone,contract_hours,emails\n"
    "bakkerij-vos,Bakkerij Vos B.V.,nl,Europe/Amsterdam,24,privacy@vos.example;fg@acme.example\n"
    "harbour-gym,Harbour Gym Ltd,en,Europe/London,,dpo@harbour.example\n"
)


@pytest.fixture
def staff_api(api_headers) -> dict[str, str]:
    return api_headers(STAFF)


def _messages(engine, kind: str) -> list[OutboxMessage]:
    with Session(engine) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        return list(session.exec(query.order_by(col(OutboxMessage.id))).all())


def _invitations(engine) -> dict[str, Invitation]:
    with Session(engine) as session:
        return {i.email: i for i in session.exec(select(Invitation)).all()}


def _link(message: OutboxMessage) -> str:
    found = LINK.search(message.body_text)
    assert found, "no link in the e-mail"
    assert found.group(0) in message.body_html
    return found.group(1)


def _import(client: PageClient, headers: dict[str, str], invite: bool):
    query = "?invite_officers=true" if invite else ""
    return client.post(
        f"/api/v1/controllers/import{query}",
        content=CSV.encode(),
        headers={**headers, "content-type": "text/csv"},
    )


def _invite_acme(client: PageClient) -> None:
    """The administrator ticks "invite" on Acme's settings."""
    _invite_on_settings(client, "acme", "nl")


def _invite_on_settings(client: PageClient, slug: str, language: str) -> None:
    """The administrator saves a controller's settings as they are, with "invite" ticked:
    its one address without an account is invited."""
    client.login(ADMIN)
    form = client.page(f"/admin/organisations/{slug}")
    values = {
        "name": form.select_one("#name")["value"],
        "language": language,
        "emails": form.select_one("#emails").get_text(),
        "contract_hours": form.select_one("#contract_hours")["value"],
        "invite": "yes",
    }
    saved = client.submit(f"/admin/organisations/{slug}", values, follow_redirects=True)
    assert "1 address has been invited as a privacy officer" in saved.text
    client.submit("/logout")


def test_an_import_invites_the_addresses_without_an_account(
    client: PageClient, api_headers, engine
) -> None:
    admin = api_headers(ADMIN)
    plain = _import(client, admin, invite=False)
    assert plain.status_code == 200 and plain.json()["invited"] == 0
    assert _invitations(engine) == {}

    invited = _import(client, admin, invite=True)
    assert invited.status_code == 200, invited.text
    assert invited.json()["invited"] == 2
    found = _invitations(engine)
    # fg@acme.example has an account (Acme's officer): not invited.
    assert set(found) == {"privacy@vos.example", "dpo@harbour.example"}
    assert {(i.role, i.name) for i in found.values()} == {("officer", "")}
    mails = {m.recipients[0]: m for m in _messages(engine, "invitation")}
    # Each in its controller's language, greeting without a name (they give it when accepting).
    assert mails["privacy@vos.example"].body_text.lstrip().startswith("Goedendag,")
    assert "privacyfunctionaris van Bakkerij Vos B.V." in mails["privacy@vos.example"].body_text
    assert mails["dpo@harbour.example"].body_text.lstrip().startswith("Hello,")
    assert "privacy officer of Harbour Gym Ltd" in mails["dpo@harbour.example"].body_text

    # Importing again invites nobody twice: their invitations are open.
    again = _import(client, admin, invite=True)
    assert again.json()["invited"] == 0
    assert len(_messages(engine, "invitation")) == 2
    # The administrator's list shows them, the name left for the person.
    client.login(ADMIN)
    rows = [
        r.get_text(" ", strip=True) for r in client.page("/admin/invitations/").select("tbody tr")
    ]
    assert any("dpo@harbour.example" in r and "Harbour Gym Ltd" in r and "—" in r for r in rows)


def test_the_import_page_and_the_organisation_form_invite_when_ticked(
    client: PageClient, engine
) -> None:
    client.login(ADMIN)
    preview = client.submit_page("/admin/organisations/import", {"csv": CSV, "action": "preview"})
    box = preview.select_one("input[name=invite]")
    assert box is not None and not box.has_attr("checked"), "not ticked unless asked"
    digest = preview.select_one("input[name=digest]")["value"]
    done = client.submit(
        "/admin/organisations/import",
        {"csv": CSV, "action": "import", "digest": digest, "invite": "yes"},
        follow_redirects=True,
    )
    assert "2 addresses have been invited as privacy officers" in done.text
    # Adding a controller with the box ticked invites its addresses too.
    added = client.submit(
        "/admin/organisations/new",
        {
            "slug": "de-kas",
            "name": "De Kas",
            "language": "nl",
            "emails": "avg@dekas.example",
            "invite": "yes",
        },
        follow_redirects=True,
    )
    assert "1 address has been invited as a privacy officer" in added.text
    assert set(_invitations(engine)) == {
        "privacy@vos.example",
        "dpo@harbour.example",
        "avg@dekas.example",
    }


def test_the_notice_to_an_invited_address_carries_its_own_link(
    client: PageClient, make_client, staff_api, engine, settings
) -> None:
    _invite_acme(client)
    (invitation_mail,) = _messages(engine, "invitation")
    own_link = _link(invitation_mail)
    incident_id = file_via_api(client, staff_api, controllers=["acme"])
    send_all(client, incident_id)

    (personal,) = _messages(engine, "notice_invitation")
    (common,) = _messages(engine, "notice")
    assert personal.recipients == [ACME_INBOX]
    assert common.recipients == [OFFICER_ACME], "the officer with an account: no link"
    assert "/invitations/" not in common.body_text + common.body_html
    # The personal e-mail is the notice (same subject, text, PDF) opening with the link, in
    # Acme's language.
    assert personal.subject == common.subject
    assert personal.attachment == common.attachment
    assert personal.body_text.lstrip().startswith("== U hebt nog geen account ==")
    assert common.body_text in personal.body_text
    notice_link = _link(personal)
    assert notice_link != own_link
    with Session(engine) as session:
        (kept,) = session.exec(select(InvitationLink)).all()
        assert notice_link.rsplit("/", 1)[1] not in str(kept.model_dump())
    # Staff see that it went, not its text; the progress counts Acme once, not per e-mail.
    client.login(STAFF)
    progress = client.page(f"/incidents/{incident_id}").select_one("#send-progress")
    assert "0 waiting, 1 rendered, 0 delivered, 0 failed" in progress.get_text(" ", strip=True)
    assert deliver_outbox(engine, settings) == 3  # the invitation and the two notices
    progress = client.page(f"/incidents/{incident_id}").select_one("#send-progress")
    assert "0 waiting, 0 rendered, 1 delivered, 0 failed" in progress.get_text(" ", strip=True)
    outbox = client.page("/outbox/")
    assert "only the recipient reads it" in outbox.text
    assert client.get(f"/outbox/{personal.id}").status_code == 404
    assert client.get(f"/outbox/{common.id}").status_code == 200

    # Both links open the invitation; the person gives their name and is logged in.
    person = make_client()
    assert person.client.get(own_link).status_code == 200
    form = person.page(notice_link)
    assert form.select_one("#name")["value"] == ""
    nameless = person.submit(
        notice_link, {"name": "", "password": PASSWORD, "confirm_password": PASSWORD}
    )
    assert nameless.status_code == 200 and "#name" in nameless.text
    accepted = person.submit(
        notice_link,
        {"name": "Pieter Smit", "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert accepted.status_code == 303
    assert person.client.get(f"/incidents/{incident_id}/notices/acme").status_code == 200
    # Accepted: every link of the invitation is gone.
    for link in (own_link, notice_link):
        assert make_client().client.get(link).status_code == 404

    # The next notice goes to the new officer as to any officer: no link.
    client.login(STAFF)
    corrected = client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"affected_max": 900, "note": "More known."},
        headers=staff_api,
    )
    assert corrected.status_code == 200, corrected.text
    send_all(client, incident_id)
    assert len(_messages(engine, "notice_invitation")) == 1
    follow_up = _messages(engine, "notice")[-1]
    assert sorted(follow_up.recipients) == sorted([ACME_INBOX, OFFICER_ACME])


def test_a_notice_renews_an_expired_invitation_but_not_a_revoked_one(
    client: PageClient, make_client, staff_api, engine, clock
) -> None:
    _invite_acme(client)
    own_link = _link(_messages(engine, "invitation")[0])
    clock.travel(timedelta(days=10))
    assert make_client().client.get(own_link).status_code == 404, "expired after 7 days"
    first = file_via_api(client, staff_api, controllers=["acme"])
    send_all(client, first)
    (personal,) = _messages(engine, "notice_invitation")
    notice_link = _link(personal)
    invitation = _invitations(engine)[ACME_INBOX]
    assert invitation.expires_at - clock.now() > timedelta(days=6, hours=23)
    # The link's end is written in Acme's zone and language.
    until = format_datetime(invitation.expires_at, ZoneInfo("Europe/Amsterdam"), "nl")
    assert f"tot {until}:" in personal.body_text
    client.login(ADMIN)
    assert "Open until" in client.page("/admin/invitations/").text
    assert make_client().client.get(own_link).status_code == 404, "the old link stays dead"
    # Six days on, the notice's link still works; eight days on, it does not.
    clock.travel(timedelta(days=6))
    assert make_client().client.get(notice_link).status_code == 200
    clock.travel(timedelta(days=2))
    assert make_client().client.get(notice_link).status_code == 404

    # Revoked (an expired invitation can be revoked too): the next notice has no link.
    client.login(ADMIN)
    revoke = client.page("/admin/invitations/").select_one("form[action$='/revoke']")
    assert revoke is not None
    assert client.submit(revoke["action"]).status_code == 303
    second = file_via_api(client, staff_api, controllers=["acme"])
    send_all(client, second)
    assert len(_messages(engine, "notice_invitation")) == 1
    assert ACME_INBOX in _messages(engine, "notice")[-1].recipients


def test_two_sends_at_once_give_one_link_and_one_message(
    client: PageClient, make_client, staff_api, engine
) -> None:
    _invite_acme(client)
    incident_id = file_via_api(client, staff_api, controllers=["acme"])
    browsers = [make_client(), make_client()]
    for browser in browsers:
        browser.login(STAFF)
    url = f"/incidents/{incident_id}/notices/send"
    answers = at_once(*(lambda b=b: b.submit(url, {"confirm_send": "yes"}) for b in browsers))
    assert all(r.status_code in (303, 409) for r in answers), [r.status_code for r in answers]
    assert len(_messages(engine, "notice_invitation")) == 1
    assert len(_messages(engine, "notice")) == 1
    with Session(engine) as session:
        assert len(session.exec(select(InvitationLink)).all()) == 1


def test_a_thousand_clients_invitations_are_paged_and_found(
    client: PageClient, api_headers, engine
) -> None:
    """An import of many controllers invites many addresses: the administrator's list
    shows 50 to a page, the most recently sent first, found by state and by a part of the
    address, name or organisation; the API pages them too (X-Total-Count, Link)."""
    admin = api_headers(ADMIN)
    rows = "".join(
        f"client-{n:03d},Client {n:03d} B.V.,nl,,,dpo@client-{n:03d}.example\n" for n in range(120)
    )
    big = "slug,name,language,timezone,contract_hours,emails\n" + rows
    imported = client.post(
        "/api/v1/controllers/import?invite_officers=true",
        content=big.encode(),
        headers={**admin, "content-type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["invited"] == 120
    client.login(ADMIN)
    first = client.page("/admin/invitations/")
    assert len(first.select("tbody tr")) == 50
    assert "120 invitations found" in first.text and "Page 1 of 3" in first.text
    last = client.page("/admin/invitations/?page=3")
    assert len(last.select("tbody tr")) == 20
    beyond = client.page("/admin/invitations/?page=99999999")
    assert "Page 3 of 3" in beyond.text, "a page past the end shows the last"
    assert client.page("/admin/invitations/?page=x").select("tbody tr"), "junk: the first page"
    found = client.page("/admin/invitations/?q=CLIENT-007")
    assert [r.select("td")[1].get_text(strip=True) for r in found.select("tbody tr")] == [
        "dpo@client-007.example"
    ]
    literal = client.page("/admin/invitations/?q=client_0%25")
    assert "No invitations found." in literal.text, "% and _ are searched as themselves"
    client.submit(found.select_one("form[action$='/revoke']")["action"])
    revoked = client.page("/admin/invitations/?state=revoked")
    assert len(revoked.select("tbody tr")) == 1
    assert len(client.page("/admin/invitations/?state=open&page=3").select("tbody tr")) == 19

    api = client.get("/api/v1/invitations?limit=100&page=1", headers=admin)
    assert api.status_code == 200 and len(api.json()) == 100
    assert api.headers["x-total-count"] == "120"
    assert api.headers["link"] == '</api/v1/invitations?limit=100&page=2>; rel="next"'
    second = client.get("/api/v1/invitations?limit=100&page=2", headers=admin)
    assert len(second.json()) == 20 and "link" not in second.headers
    ids = {i["id"] for i in api.json()} | {i["id"] for i in second.json()}
    assert len(ids) == 120, "every invitation once"
    only = client.get("/api/v1/invitations?state=revoked&q=007", headers=admin).json()
    assert [i["email"] for i in only] == ["dpo@client-007.example"]
    bad = client.get("/api/v1/invitations?state=gone&limit=0&page=-1", headers=admin)
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"state", "limit", "page"}


def test_two_incidents_sent_at_once_to_the_same_invited_addresses(
    client: PageClient, make_client, staff_api, engine
) -> None:
    """Two incidents of Acme and Northwind, both with an invited address, sent at the same
    moment: both sends go through (on PostgreSQL they take the invitations in one order,
    so neither waits for the other in a circle), each address gets one e-mail per notice."""
    _invite_acme(client)
    _invite_on_settings(client, "northwind", "en")
    for _round in range(3):
        incidents = [
            file_via_api(client, staff_api, controllers=["acme", "northwind"]) for _ in range(2)
        ]
        browsers = [make_client(), make_client()]
        for browser in browsers:
            browser.login(STAFF)
        answers = at_once(
            *(
                lambda b=b, i=i: b.submit(f"/incidents/{i}/notices/send", {"confirm_send": "yes"})
                for b, i in zip(browsers, incidents, strict=True)
            )
        )
        assert [r.status_code for r in answers] == [303, 303]
    personal = _messages(engine, "notice_invitation")
    assert len(personal) == 12, "3 rounds x 2 incidents x 2 invited addresses"
    with Session(engine) as session:
        assert len(session.exec(select(InvitationLink)).all()) == 12
