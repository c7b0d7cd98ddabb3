"""Issue 18, evidence: files uploaded on the page and through the API come back byte for
byte with their SHA-256; the size limit and the kinds allowed are enforced with a clear
message; an officer sees only what is shared with its controller (another controller's
officer: 404); a removal is recorded with its reason; a purge deletes the content only."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from litestar.testing import TestClient

from incidents.app import create_app
from tests.helpers import ADMIN, OFFICER_ACME, OFFICER_NORTHWIND, STAFF, PageClient
from tests.web.notice_helpers import file_via_api, pdf_text, send_all
from tests.web.test_races import _at_once

pytestmark = pytest.mark.usefixtures("demo")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def _upload(client: PageClient, headers, case: str, name: str, data: bytes, **form: str):
    return client.post(
        f"/api/v1/incidents/{case}/evidence",
        files={"file": (name, data, "application/octet-stream")},
        data=form,
        headers=headers,
    )


def test_upload_and_download_byte_for_byte(client: PageClient, api_headers) -> None:
    staff = api_headers(STAFF)
    case = file_via_api(client, staff, controllers=["acme", "northwind"])
    send_all(client, case)
    made = _upload(client, staff, case, "firewall log.pdf", PDF, note="From the SIEM",
                   shared_with="acme")  # fmt: skip
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size"] == len(PDF)
    assert body["media_type"] == "application/pdf" and body["shared_with"] == ["acme"]
    url = f"/api/v1/incidents/{case}/evidence/{body['id']}"
    got = client.get(url, headers=staff)
    assert got.status_code == 200 and got.content == PDF
    assert hashlib.sha256(got.content).hexdigest() == body["sha256"]
    assert "attachment" in got.headers["content-disposition"]

    acme = api_headers(OFFICER_ACME)
    assert [
        e["id"] for e in client.get(f"/api/v1/incidents/{case}/evidence", headers=acme).json()
    ] == [body["id"]]
    assert client.get(url, headers=acme).content == PDF
    northwind = api_headers(OFFICER_NORTHWIND)
    assert client.get(f"/api/v1/incidents/{case}/evidence", headers=northwind).json() == []
    assert client.get(url, headers=northwind).status_code == 404, "not shared: as if not there"
    assert _upload(client, acme, case, "x.pdf", PDF).status_code in {403, 404}


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "kinds"),
        ("fake.pdf", b"<html>not a pdf</html>", "not what its name says"),
        ("empty.txt", b"", "empty"),
        ("nul.txt", b"text\x00with nul", "not what its name says"),
    ],
)
def test_kinds_not_allowed_are_refused(
    client: PageClient, api_headers, name: str, data: bytes, message: str
) -> None:
    staff = api_headers(STAFF)
    case = file_via_api(client, staff)
    refused = _upload(client, staff, case, name, data)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "file"
    assert message in refused.json()["errors"][0]["message"]


def test_the_size_limit(client: PageClient, api_headers, settings, engine) -> None:
    small = dataclasses.replace(settings, evidence_max_mb=1)
    staff = api_headers(STAFF)
    case = file_via_api(client, staff)
    with TestClient(app=create_app(small)) as limited:
        big = b"%PDF-" + b"0" * 1_000_001
        refused = limited.post(
            f"/api/v1/incidents/{case}/evidence",
            files={"file": ("big.pdf", big, "application/pdf")},
            headers=staff,
        )
        assert refused.status_code == 422 and "larger than 1 MB" in refused.text
        fits = limited.post(
            f"/api/v1/incidents/{case}/evidence",
            files={"file": ("ok.pdf", big[:900_000], "application/pdf")},
            headers=staff,
        )
        assert fits.status_code == 201


def test_kept_in_a_directory_when_set(client: PageClient, api_headers, settings, tmp_path) -> None:
    folder = tmp_path / "evidence"
    elsewhere = dataclasses.replace(settings, evidence_dir=folder)
    staff = api_headers(STAFF)
    case = file_via_api(client, staff)
    with TestClient(app=create_app(elsewhere)) as app:
        made = app.post(
            f"/api/v1/incidents/{case}/evidence",
            files={"file": ("notes.txt", b"Wie heeft wat gezien", "text/plain")},
            headers=staff,
        ).json()
        assert (folder / made["sha256"]).read_bytes() == b"Wie heeft wat gezien"
        got = app.get(f"/api/v1/incidents/{case}/evidence/{made['id']}", headers=staff)
        assert got.content.decode() == "Wie heeft wat gezien"


def test_the_page_removes_with_a_reason_and_an_admin_purges(
    client: PageClient, api_headers
) -> None:
    case = file_via_api(client, api_headers(STAFF), controllers=["acme"])
    send_all(client, case)
    client.login(STAFF)
    page = f"/incidents/{case}"
    added = client.submit(
        f"{page}/evidence",
        {"evidence_note": "Screenshot of the ransom note", "shared_with": "acme"},
        files={"file": ("note.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")},
    )
    assert added.status_code == 303, added.text
    section = client.page(page).select_one("#evidence")
    digest = hashlib.sha256(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100).hexdigest()
    assert "note.png" in section.text and digest in section.text
    link = section.select_one("a[href*='/evidence/']")["href"]
    remove = section.select_one("form[action$='/remove']")
    refused = client.submit_page(str(remove["action"]), {"reason": " "})
    assert refused.select_one(".error-summary")
    assert client.submit(str(remove["action"]), {"reason": "Wrong incident"}).status_code == 303
    shown = client.page(page).select_one("#evidence").text
    assert "Wrong incident" in shown and digest in shown, "removed, still on record"
    client.submit("/logout")
    client.login(ADMIN)
    purge = client.page(page).select_one("#evidence form[action$='/purge']")
    assert client.submit(str(purge["action"])).status_code == 303
    assert client.get(link).status_code == 404, "the content is gone"
    assert digest in client.page(page).select_one("#evidence").text, "the record stays"


def test_the_regulator_report_lists_the_evidence_with_hashes(
    client: PageClient, api_headers
) -> None:
    staff = api_headers(STAFF)
    case = file_via_api(client, staff, controllers=["acme"])
    made = _upload(client, staff, case, "access.log", b"10:02 admin login from 203.0.113.9\n")
    assert made.status_code == 201, made.text
    report = client.get(f"/api/v1/incidents/{case}/report.pdf?lang=en", headers=staff)
    assert report.status_code == 200
    text = pdf_text(report.content)
    assert "Evidence kept" in text and "access.log" in text
    assert made.json()["sha256"] in text.replace(" ", ""), "the whole hash"


def test_the_same_file_uploaded_twice_at_once(
    client: PageClient, api_headers, settings, tmp_path
) -> None:
    """Two people upload the same file at the same moment, kept in a directory: two
    records, one file under its hash, whole (written aside and renamed into place)."""
    folder = tmp_path / "evidence"
    elsewhere = dataclasses.replace(settings, evidence_dir=folder)
    staff = api_headers(STAFF)
    case = file_via_api(client, staff)
    with (
        TestClient(app=create_app(elsewhere)) as first,
        TestClient(app=create_app(elsewhere)) as second,
    ):
        answers = _at_once(
            [
                lambda api=api: api.post(
                    f"/api/v1/incidents/{case}/evidence",
                    files={"file": ("dump.json", b'{"rows": 42}', "application/json")},
                    headers=staff,
                )
                for api in (first, second)
            ]
        )
        assert [a.status_code for a in answers] == [201, 201]
        listed = first.get(f"/api/v1/incidents/{case}/evidence", headers=staff).json()
    assert len(listed) == 2 and len({e["id"] for e in listed}) == 2
    assert [p.name for p in folder.iterdir()] == [hashlib.sha256(b'{"rows": 42}').hexdigest()]
