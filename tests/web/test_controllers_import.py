"""Issue 15: controllers in bulk. A CSV of controllers imported through the API, the admin
page (with a preview) and the command line: created or updated by slug, all or nothing,
every row's problems listed; exported as JSON and CSV, and an export imported again
changes nothing. Two imports at once never create a controller twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from incidents.models import AuditEvent, Invitation, Organisation
from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient, at_once, check_page

pytestmark = pytest.mark.usefixtures("demo")

HEADER = "slug,name,language,country,timezone,contract_hours,emails,nis2,groups\n"
TWO = (
    HEADER
    + "brightpay,BrightPay UK Ltd,en,GB,Europe/London,48,dpo@brightpay.example;it@brightpay.example,no,Payroll;Cluster A\n"
    + "acme,Acme Retail B.V.,nl,NL,Europe/Amsterdam,24,privacy@acme.example,no,HR\n"
)
CSV = {"content-type": "text/csv"}


def _orgs(engine) -> dict[str, Organisation]:
    with Session(engine) as session:
        return {o.slug: o for o in session.exec(select(Organisation)).all()}


def _created(engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "organisation.created")
        ).one()


def _count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Organisation)).one()


# --- the API -------------------------------------------------------------------------------


def test_the_api_imports_by_slug_and_an_export_imported_again_changes_nothing(
    client: PageClient, api_headers, engine
) -> None:
    admin = api_headers(ADMIN)
    response = client.post("/api/v1/controllers/import", content=TWO, headers={**admin, **CSV})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"], body["dry_run"]) == (
        1,
        1,
        0,
        False,
    )
    assert body["controllers"] == [
        {"slug": "brightpay", "action": "create", "fields": []},
        {"slug": "acme", "action": "update", "fields": ["groups"]},
    ]
    orgs = _orgs(engine)
    bright = orgs["brightpay"]
    assert (bright.country, bright.timezone, bright.language, bright.contract_hours) == (
        "GB",
        "Europe/London",
        "en",
        48,
    )
    assert bright.notification_emails == ["dpo@brightpay.example", "it@brightpay.example"]
    assert bright.groups == ["Cluster A", "Payroll"] and orgs["acme"].groups == ["HR"]

    listed = client.get("/api/v1/controllers", headers=api_headers(STAFF)).json()
    assert [c["slug"] for c in listed] == sorted(c["slug"] for c in listed)
    assert next(c for c in listed if c["slug"] == "brightpay")["groups"] == ["Cluster A", "Payroll"]
    client.login(ADMIN)
    exported = client.get("/admin/organisations/export.csv")
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    again = client.post(
        "/api/v1/controllers/import", content=exported.text, headers={**admin, **CSV}
    ).json()
    assert again["unchanged"] == len(listed) and again["created"] == again["updated"] == 0


def test_a_file_with_problems_is_refused_whole_with_every_problem_named(
    client: PageClient, api_headers, engine
) -> None:
    before = _count(engine)
    bad = (
        HEADER
        + "fine-one,Fine One,en,GB,Europe/London,,a@b.example,no,\n"
        + "Bad Slug,,xx,ZZ,Mars/Base,-4,not-an-address,maybe,\n"
        + "fine-one,Twice,en,GB,Europe/London,,,no,\n"
        + "talentcloud,The processor,nl,NL,Europe/Amsterdam,,,no,\n"
        + "short,Too few cells\n"
    )
    response = client.post(
        "/api/v1/controllers/import", content=bad, headers={**api_headers(ADMIN), **CSV}
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    for expected in (
        "line 3: slug",
        "line 3: name",
        "line 3: language",
        "line 3: country",
        "line 3: timezone",
        "line 3: contract_hours",
        "line 3: emails",
        "line 3: nis2",
        "line 4: slug",
        "line 6: line",
    ):
        assert expected in fields, (expected, fields)
    assert _count(engine) == before, "nothing is written"
    processor = client.post(
        "/api/v1/controllers/import",
        content=HEADER + "talentcloud,The processor,nl,NL,Europe/Amsterdam,,,no,\n",
        headers={**api_headers(ADMIN), **CSV},
    )
    assert processor.status_code == 422
    assert processor.json()["errors"][0]["field"] == "line 2: slug"


@pytest.mark.parametrize(
    ("body", "kind", "status"),
    [
        (TWO, "application/json", 415),
        ("slug,name\nx,\xff".encode("latin-1"), "text/csv", 400),
        ("", "text/csv", 422),
        ("slug,name,colour\nx,X,red\n", "text/csv", 422),
        ('slug,name\nx,"never closed\n', "text/csv", 422),
        ("slug,name\nx,X\x00\n", "text/csv", 422),
        ("slug,name\n" + "x,X\n" * 1_700_000, "text/csv", 413),
    ],
)
def test_bad_files_are_bad_input_not_crashes(
    client: PageClient, api_headers, engine, body, kind: str, status: int
) -> None:
    before = _count(engine)
    response = client.post(
        "/api/v1/controllers/import",
        content=body,
        headers={**api_headers(ADMIN), "content-type": kind},
    )
    assert response.status_code == status, response.text[:300]
    assert response.json()["errors"]
    assert _count(engine) == before


def test_a_dry_run_writes_nothing_and_only_administrators_import(
    client: PageClient, api_headers, engine
) -> None:
    before = _count(engine)
    dry = client.post(
        "/api/v1/controllers/import?dry_run=true",
        content=TWO,
        headers={**api_headers(ADMIN), **CSV},
    )
    assert dry.status_code == 200 and dry.json()["dry_run"] and dry.json()["created"] == 1
    assert _count(engine) == before
    staff = client.post(
        "/api/v1/controllers/import", content=TWO, headers={**api_headers(STAFF), **CSV}
    )
    assert staff.status_code == 403
    assert client.get("/api/v1/controllers", headers=api_headers(OFFICER_ACME)).status_code == 403
    assert _count(engine) == before


def test_two_imports_at_once_create_each_controller_once(
    client: PageClient, api_headers, engine, make_client
) -> None:
    rows = "".join(f"bulk-{n},Bulk {n},en,GB,Europe/London,24,,no,Wave\n" for n in range(40))
    headers = {**api_headers(ADMIN), **CSV}
    created_before = _created(engine)
    browsers = [make_client(), make_client()]
    statuses = at_once(
        *(
            lambda b=b: (
                b.post(
                    "/api/v1/controllers/import", content=HEADER + rows, headers=headers
                ).status_code
            )
            for b in browsers
        )
    )
    assert sorted(statuses) in ([200, 200], [200, 409]), statuses
    orgs = _orgs(engine)
    assert sum(1 for slug in orgs if slug.startswith("bulk-")) == 40
    assert _created(engine) - created_before == 40, "each controller created once"


def test_a_thousand_controllers_in_one_file(client: PageClient, api_headers, engine) -> None:
    rows = "".join(
        f"client-{n:04d},Client {n:04d} B.V.,nl,NL,Europe/Amsterdam,{24 + n % 48},"
        f"privacy@client-{n:04d}.example,{'yes' if n % 7 == 0 else 'no'},"
        f"{'HR' if n % 2 else 'CRM'};Cluster {n % 5}\n"
        for n in range(1000)
    )
    response = client.post(
        "/api/v1/controllers/import", content=HEADER + rows, headers={**api_headers(ADMIN), **CSV}
    )
    assert response.status_code == 200 and response.json()["created"] == 1000
    orgs = _orgs(engine)
    assert orgs["client-0007"].nis2 and orgs["client-0007"].groups == ["Cluster 2", "HR"]


# --- the admin page ------------------------------------------------------------------------


def test_the_admin_page_previews_then_imports_what_it_showed(client: PageClient, engine) -> None:
    client.login(ADMIN)
    page = client.page("/organisations")
    assert page.select_one("a[href='/admin/organisations/import']")
    form = client.page("/admin/organisations/import").select_one("main form[enctype]")
    assert form["enctype"] == "multipart/form-data"
    before = _count(engine)
    preview = client.post(
        "/admin/organisations/import",
        data={"_csrf_token": client.csrf, "action": "preview"},
        files={"file": ("controllers.csv", TWO.encode(), "text/csv")},
    )
    assert preview.status_code == 200
    soup = check_page(preview.text)
    assert [li.get_text(" ", strip=True) for li in soup.select(".summary-counts li")] == [
        "1 to add",
        "1 to change",
        "0 unchanged",
    ]
    rows = [tr.get_text(" ", strip=True) for tr in soup.select("tbody tr")]
    assert rows == ["brightpay BrightPay UK Ltd add —", "acme Acme Retail B.V. change groups"]
    assert _count(engine) == before, "a preview writes nothing"
    confirm = {
        "_csrf_token": client.csrf,
        "action": "import",
        "digest": soup.select_one("input[name=digest]")["value"],
        "csv": soup.select_one("input[name=csv]")["value"],
    }
    # Someone changes Acme between the preview and the import: the preview is shown again.
    with Session(engine) as session:
        acme = session.exec(select(Organisation).where(Organisation.slug == "acme")).one()
        acme.groups = ["HR"]
        session.add(acme)
        session.commit()
    clash = client.post("/admin/organisations/import", data=confirm, files={"file": ("", b"")})
    assert clash.status_code == 409
    again = check_page(clash.text)
    assert "changed since the preview" in again.select_one(".error-summary").get_text()
    confirm["digest"] = again.select_one("input[name=digest]")["value"]
    done = client.post(
        "/admin/organisations/import",
        data=confirm,
        files={"file": ("", b"")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    flash = client.page("/organisations").select_one(".notice").get_text(" ", strip=True)
    assert "1 added, 0 changed, 1 unchanged" in flash
    assert _count(engine) == before + 1


def test_the_admin_page_lists_every_problem_and_keeps_the_text(client: PageClient, engine) -> None:
    client.login(ADMIN)
    text = HEADER + "Bad Slug,,xx,ZZ,Mars/Base,-4,nope,maybe,\n"
    response = client.post(
        "/admin/organisations/import",
        data={"_csrf_token": client.csrf, "action": "preview", "csv": text},
        files={"file": ("", b"")},
    )
    soup = check_page(response.text)
    problems = [a.get_text(" ", strip=True) for a in soup.select(".error-summary li")]
    assert len(problems) == 8 and all(p.startswith("line 2:") or "line 2" in p for p in problems)
    assert soup.select_one("textarea#csv").get_text() == text


def test_a_name_that_looks_like_a_formula_is_exported_safely_and_comes_back_exact(
    client: PageClient, api_headers
) -> None:
    admin = {**api_headers(ADMIN), **CSV}
    name = '=HYPERLINK("http://evil.example","Click")'
    row = HEADER + f'formula,"{name.replace(chr(34), chr(34) * 2)}",en,GB,Europe/London,,,no,\n'
    assert client.post("/api/v1/controllers/import", content=row, headers=admin).status_code == 200
    client.login(ADMIN)
    exported = client.get("/admin/organisations/export.csv").text
    line = next(line for line in exported.splitlines() if line.startswith("formula,"))
    assert line.split(",", 2)[1].startswith("\"'=HYPERLINK"), line
    again = client.post("/api/v1/controllers/import", content=exported, headers=admin).json()
    assert again["created"] == again["updated"] == 0
    listed = client.get("/api/v1/controllers", headers=api_headers(STAFF)).json()
    assert next(c for c in listed if c["slug"] == "formula")["name"] == name


# --- the command line ----------------------------------------------------------------------


def test_the_command_line_imports_and_says_what_it_did(
    engine, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    from incidents.cli import main

    monkeypatch.setenv("BREACHDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("BREACHDESK_SECRET_KEY", "k" * 40)
    good = tmp_path / "controllers.csv"
    good.write_text(TWO, encoding="utf-8")
    assert main(["import-controllers", "--dry-run", str(good)]) == 0
    assert "would import 2 controllers: 1 created, 1 updated" in capsys.readouterr().out
    assert "brightpay" not in _orgs(engine)
    assert main(["import-controllers", str(good)]) == 0
    out = capsys.readouterr().out
    assert "imported 2 controllers: 1 created, 1 updated, 0 unchanged" in out
    assert "updated acme: groups" in out
    assert main(["import-controllers", str(good)]) == 0
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out
    # --invite: the addresses without an account are invited as officers (issue 16).
    assert main(["import-controllers", "--invite", str(good)]) == 0
    out = capsys.readouterr().out
    with Session(engine) as session:
        invited = sorted(i.email for i in session.exec(select(Invitation)).all())
    assert invited == ["dpo@brightpay.example", "it@brightpay.example", "privacy@acme.example"]
    assert "invited 3 addresses as officers" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Bad Slug,,,,,,,,\n", encoding="utf-8")
    assert main(["import-controllers", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 2: slug" in err and "line 2: name" in err
    latin = tmp_path / "latin.csv"
    latin.write_bytes("slug,name\nx,Caf\xe9\n".encode("latin-1"))
    assert main(["import-controllers", str(latin)]) == 1
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["export-controllers"]) == 0
    assert "brightpay,BrightPay UK Ltd,en,GB,Europe/London,48" in capsys.readouterr().out
