"""Issue 15: each controller's own figures. The persons affected, the records and the kinds
of data can differ per controller (the API, the notice page, a CSV on the incident page);
each controller's notice, report and assessment use its figures; without them the
incident's apply. A change after the notice went out makes a follow-up due."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from incidents.models import OutboxMessage
from tests.helpers import OFFICER_ACME, STAFF, PageClient, at_once, check_page
from tests.web.notice_helpers import file_via_api, notice_of, pdf_text, send_all

pytestmark = pytest.mark.usefixtures("demo")

OWN = {"affected_min": 10, "affected_max": 40, "records_approx": 55}


@pytest.fixture
def staff_api(api_headers) -> dict[str, str]:
    return api_headers(STAFF)


def _scope(client: PageClient, headers, incident_id: str, slug: str, body):
    return client.put(
        f"/api/v1/incidents/{incident_id}/controllers/{slug}/scope", json=body, headers=headers
    )


def _mails(engine) -> dict[str, OutboxMessage]:
    with Session(engine) as session:
        found = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "notice").order_by(OutboxMessage.id)
        ).all()
    return {("acme" if "acme" in m.recipients[0] else "northwind"): m for m in found}


def test_each_controller_reads_its_own_figures_and_the_others_the_totals(
    client: PageClient, staff_api, engine
) -> None:
    incident_id = file_via_api(client, staff_api, controllers=["acme", "northwind"])
    response = _scope(client, staff_api, incident_id, "northwind", OWN)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == OWN
    send_all(client, incident_id)
    mails = _mails(engine)
    northwind, acme = mails["northwind"].body_text, mails["acme"].body_text
    assert "10" in northwind and "40" in northwind and "450" not in northwind
    assert "450" in acme, "Acme has no figures of its own: the incident's"
    client.login(STAFF)
    report = pdf_text(
        client.get(f"/incidents/{incident_id}/report.pdf?controller=northwind&lang=en").content
    )
    assert "Maximum number of persons 40" in report and "450" not in report
    whole = pdf_text(client.get(f"/incidents/{incident_id}/report.pdf?lang=en").content)
    assert "450" in whole, "the incident keeps the totals"
    page = client.page(f"/incidents/{incident_id}/notices/northwind")
    assert page.select_one("#affected_max")["value"] == "40"
    assert "own figures" in client.page(f"/incidents/{incident_id}").select_one("#notices").text


def test_own_kinds_of_data_change_the_assessment(client: PageClient, staff_api) -> None:
    """Fewer than 100 persons and no special categories: the flag and the score follow."""
    incident_id = file_via_api(client, staff_api, controllers=["acme", "northwind"])
    body = {**OWN, "data_types": ["email"]}
    assert _scope(client, staff_api, incident_id, "northwind", body).status_code == 200
    client.login(STAFF)
    own = client.page(f"/incidents/{incident_id}/notices/northwind").select_one(".notice-frame")
    totals = client.page(f"/incidents/{incident_id}/notices/acme").select_one(".notice-frame")
    assert "More than 100 persons" not in own.text and "Health" not in own.text
    assert "Meer dan 100 betrokkenen" in totals.text and "Gezondheid" in totals.text


def test_bad_figures_are_refused_with_every_problem_and_nothing_kept(
    client: PageClient, staff_api, api_headers, engine
) -> None:
    incident_id = file_via_api(client, staff_api, controllers=["acme", "northwind"])
    bad = {"affected_min": 50, "affected_max": 20, "records_approx": "many", "colour": "red"}
    response = _scope(client, staff_api, incident_id, "acme", bad)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"affected_max", "records_approx", "colour"} <= fields
    for body in ({"affected_max": 2**63}, {"data_types": ["nonsense"]}, {"affected_min": -1}):
        assert _scope(client, staff_api, incident_id, "acme", body).status_code == 422, body
    assert notice_of(engine, incident_id, "acme").scope == {}
    officer = api_headers(OFFICER_ACME)
    assert _scope(client, officer, incident_id, "acme", OWN).status_code == 404
    assert _scope(client, staff_api, incident_id, "nobody", OWN).status_code == 404
    # Empty figures take the incident's again.
    assert _scope(client, staff_api, incident_id, "acme", OWN).status_code == 200
    assert _scope(client, staff_api, incident_id, "acme", {}).json()["scope"] == {}


def test_figures_changed_after_sending_make_a_follow_up_due(
    client: PageClient, staff_api, engine
) -> None:
    incident_id = file_via_api(client, staff_api, controllers=["acme"])
    send_all(client, incident_id)
    client.login(STAFF)
    assert "Follow-up to send" not in client.page(f"/incidents/{incident_id}").text
    assert _scope(client, staff_api, incident_id, "acme", OWN).status_code == 200
    assert "Follow-up to send" in client.page(f"/incidents/{incident_id}").text
    sent = client.post(
        f"/api/v1/incidents/{incident_id}/notices/acme/send", headers=staff_api
    ).json()
    assert sent["sent"] and sent["notice"]["version"] == 2
    # The same figures again change nothing: no follow-up.
    assert _scope(client, staff_api, incident_id, "acme", OWN).status_code == 200
    assert notice_of(engine, incident_id, "acme").scope_version == 1


def test_the_pages_take_figures_one_by_one_and_from_a_csv(
    client: PageClient, staff_api, engine
) -> None:
    incident_id = file_via_api(client, staff_api, controllers=["acme", "northwind"])
    client.login(STAFF)
    url = f"/incidents/{incident_id}/notices/acme/scope"
    refused = check_page(
        client.submit(url, {"affected_min": "300", "affected_max": "20", "records_approx": ""}).text
    )
    assert (
        refused.select_one("#affected_max-error")
        and refused.select_one("#affected_min")["value"] == "300"
    )
    assert client.submit(url, {"affected_min": "1.200", "affected_max": "1.500"}).status_code == 303
    assert notice_of(engine, incident_id, "acme").scope == {
        "affected_min": 1200,
        "affected_max": 1500,
    }

    csv_url = f"/incidents/{incident_id}/scopes"
    text = "slug,affected_min,affected_max,records_approx\nacme,5,9,\nnorthwind,300,20,\nnobody,1,2,3\n"
    response = client.post(
        csv_url, data={"_csrf_token": client.csrf, "csv": text}, files={"file": ("", b"")}
    )
    soup = check_page(response.text)
    problems = soup.select_one("#scopes-csv-error").get_text(" ", strip=True)
    assert "line 3: affected_max" in problems and "line 4: slug" in problems
    assert soup.select_one("textarea#scopes-csv").get_text() == text
    assert notice_of(engine, incident_id, "acme").scope["affected_max"] == 1500, "all or nothing"
    good = "slug,affected_min,affected_max,records_approx\nacme,5,9,\nnorthwind,300,320,4000\n"
    done = client.post(
        csv_url,
        data={"_csrf_token": client.csrf},
        files={"file": ("figures.csv", good.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert notice_of(engine, incident_id, "acme").scope == {"affected_min": 5, "affected_max": 9}
    assert notice_of(engine, incident_id, "northwind").scope == {
        "affected_min": 300,
        "affected_max": 320,
        "records_approx": 4000,
    }


def test_two_colleagues_setting_figures_at_once(
    client: PageClient, staff_api, engine, make_client
) -> None:
    incident_id = file_via_api(client, staff_api, controllers=["acme"])
    browsers = [make_client(), make_client()]

    def put(browser, maximum: int):
        body = {"affected_min": 1, "affected_max": maximum}
        return lambda: _scope(browser, staff_api, incident_id, "acme", body).status_code

    statuses = at_once(put(browsers[0], 100), put(browsers[1], 200))
    assert statuses == [200, 200]
    notice = notice_of(engine, incident_id, "acme")
    assert notice.scope["affected_max"] in {100, 200} and notice.scope_version == 2


def test_two_figure_files_at_once_leave_one_of_them_whole(
    client: PageClient, staff_api, engine, make_client
) -> None:
    """Two CSVs of figures uploaded at the same instant: each is all or nothing, so the
    notices end with one file's figures, never a mix; no 500."""
    incident_id = file_via_api(client, staff_api, controllers=["acme", "northwind"])
    header = "slug,affected_min,affected_max,records_approx\n"
    files = [header + f"acme,{n},{n * 2},\nnorthwind,{n},{n * 3},\n" for n in (10, 20)]

    def upload(text: str):
        browser = make_client()
        browser.login(STAFF)
        return lambda: (
            browser.post(
                f"/incidents/{incident_id}/scopes",
                data={"_csrf_token": browser.csrf, "csv": text},
                files={"file": ("", b"")},
                follow_redirects=False,
            ).status_code
        )

    assert at_once(upload(files[0]), upload(files[1])) == [303, 303]
    acme = notice_of(engine, incident_id, "acme").scope["affected_min"]
    northwind = notice_of(engine, incident_id, "northwind").scope["affected_min"]
    assert acme == northwind, "one file's figures, not a mix"
