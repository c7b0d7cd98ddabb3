"""Setting up incidents and notices through the HTTP interface, for the web tests."""

from __future__ import annotations

import io
import uuid

from pypdf import PdfReader
from sqlmodel import Session, select

from incidents.models import Notice, Organisation
from tests.factories import complete_answers
from tests.helpers import ADMIN, STAFF, PageClient


def file_via_api(client: PageClient, headers: dict[str, str], **changes) -> str:
    """A complete incident filed through the API; its id."""
    response = client.post("/api/v1/incidents", json=complete_answers(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def send_all(client: PageClient, incident_id: str) -> None:
    """Staff send the incident's notices to every controller (then log out)."""
    client.login(STAFF)
    sent = client.submit(f"/incidents/{incident_id}/notices/send", {"confirm_send": "yes"})
    assert sent.status_code == 303
    client.submit("/logout")


def notice_of(engine, incident_id: str, slug: str) -> Notice:
    with Session(engine) as session:
        return session.exec(
            select(Notice)
            .join(Organisation, Organisation.id == Notice.controller_id)
            .where(Notice.incident_id == uuid.UUID(incident_id), Organisation.slug == slug)
        ).one()


def pdf_text(data: bytes) -> str:
    """A PDF's text, whitespace made single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def settings_of(client: PageClient, slug: str) -> dict[str, str]:
    """A controller's settings as its admin form shows them (the administrator logged in)."""
    form = client.page(f"/admin/organisations/{slug}")
    chosen = form.select_one("#country option[selected]")
    return {
        "name": form.select_one("#name")["value"],
        "language": form.select_one("#language option[selected]")["value"],
        "emails": form.select_one("#emails").get_text(),
        "contract_hours": form.select_one("#contract_hours")["value"],
        "country": chosen["value"] if chosen else "",
        "timezone": form.select_one("#timezone")["value"],
    }


def move_northwind_to_the_uk(client: PageClient) -> None:
    """The administrator moves the demo controller Northwind to GB (only the country is
    changed: the zone shown, Amsterdam's, follows it to London's)."""
    client.login(ADMIN)
    values = {**settings_of(client, "northwind"), "country": "GB"}
    assert client.submit("/admin/organisations/northwind", values).status_code == 303
    client.submit("/logout")
