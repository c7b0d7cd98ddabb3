"""Issue 16: a forgotten password. /password-reset answers the same whether or not the
address has an account; an account gets a link valid one hour, used once; setting the
new password logs out every other session and revokes the API tokens. Requests are
limited per client address (429, which says nothing about accounts) and e-mails per
account (beyond it silently none)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from incidents.models import OutboxMessage
from tests.helpers import OFFICER_ACME, STAFF, PageClient, at_once

pytestmark = pytest.mark.usefixtures("demo")

NEW_PASSWORD = "a-brand-new-password"


def _mails(engine, email: str) -> list[OutboxMessage]:
    with Session(engine) as session:
        found = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "password_reset")
            .order_by(col(OutboxMessage.id))
        ).all()
    return [m for m in found if m.recipients == [email]]


def _link(engine, email: str) -> str:
    found = re.search(r"(/password-reset/[A-Za-z0-9_-]+)", _mails(engine, email)[-1].body_text)
    assert found
    return found.group(1)


def _ask(client: PageClient, email: str):
    return client.submit("/password-reset/", {"email": email})


def _set(client: PageClient, link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.submit(
        link, {"password": password, "confirm_password": password if confirm is None else confirm}
    )


def test_the_same_answer_for_an_address_with_and_without_an_account(
    client: PageClient, engine
) -> None:
    login = client.page("/login")
    assert login.select_one("a[href^='/password-reset']")
    known = _ask(client, OFFICER_ACME)
    unknown = _ask(client, "nobody@acme.example")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(OFFICER_ACME, "X") == unknown.text.replace("nobody@acme.example", "X")
    assert len(_mails(engine, OFFICER_ACME)) == 1
    with Session(engine) as session:
        kinds = session.exec(select(OutboxMessage.kind)).all()
    assert kinds == ["password_reset"], "nothing for the address without an account"
    mail = _mails(engine, OFFICER_ACME)[0]
    assert mail.subject == "Kies een nieuw wachtwoord voor Breachdesk"  # Acme's officer: Dutch
    link = _link(engine, OFFICER_ACME)
    assert link in mail.body_text and link in mail.body_html
    empty = _ask(client, "")
    assert empty.status_code == 200 and "Enter the e-mail address" in empty.text


def test_a_reset_sets_the_password_and_ends_every_other_login_and_token(
    client: PageClient, make_client, engine, api_headers
) -> None:
    elsewhere = make_client()
    elsewhere.login(OFFICER_ACME)
    token = api_headers(OFFICER_ACME)
    assert client.get("/api/v1/me", headers=token).status_code == 200
    _ask(make_client(), OFFICER_ACME)
    link = _link(engine, OFFICER_ACME)
    browser = make_client()
    form = browser.page(link)
    assert form.select_one("#password") and form.select_one("#confirm_password")
    refused = _set(browser, link, "short", "other")
    assert refused.status_code == 200
    assert "at least 10 characters" in refused.text and "not the same" in refused.text
    done = _set(browser, link)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "Your new password is set" in browser.page("/").text
    ended = elsewhere.client.get("/notices", follow_redirects=False)
    assert ended.status_code in {302, 303}, "the other login ended"
    assert client.get("/api/v1/me", headers=token).status_code == 401, "tokens revoked"
    gone = browser.client.get(link)
    assert gone.status_code == 404 and "no longer works" in gone.text
    assert _set(make_client(), link).status_code == 404, "used once"
    make_client().login(OFFICER_ACME, NEW_PASSWORD)


def test_a_link_lasts_one_hour_and_a_used_one_ends_the_others(
    client: PageClient, make_client, engine, clock
) -> None:
    _ask(client, STAFF)
    first = _link(engine, STAFF)
    clock.travel(timedelta(minutes=61))
    assert make_client().client.get(first).status_code == 404
    _ask(client, STAFF)
    second = _link(engine, STAFF)
    _ask(client, STAFF)
    third = _link(engine, STAFF)
    assert _set(make_client(), third).status_code == 303
    assert make_client().client.get(second).status_code == 404, "a reset ends the other links"


def test_limits_per_account_are_silent_and_per_address_say_wait(
    client: PageClient, engine, settings
) -> None:
    answers = [_ask(client, STAFF).status_code for _ in range(5)]
    assert answers == [200] * 5
    assert len(_mails(engine, STAFF)) == 3, "three links per account in the window"
    left = settings.login_attempts_per_address - 5
    for n in range(left):
        assert _ask(client, f"someone{n}@example.com").status_code == 200
    limited = _ask(client, "one-more@example.com")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "Too many links were asked for from here" in limited.text


def test_two_browsers_using_one_link_at_once_set_it_once(
    client: PageClient, make_client, engine
) -> None:
    _ask(client, STAFF)
    link = _link(engine, STAFF)
    first, second = make_client(), make_client()
    first.csrf, second.csrf  # noqa: B018  (each has its CSRF cookie before the race)
    results = at_once(lambda: _set(first, link), lambda: _set(second, link, "another-password-1"))
    assert sorted(r.status_code for r in results) == [303, 404]
