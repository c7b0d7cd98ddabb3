"""Issue 17, documents for the right reader: the report follows the AP's form only for the
AP and the EDPB's common structure for any other authority; it gives the controller's own
contact beside the processor's; a controller that decided not to notify gets its record
under Art. 33(5); and it names the other authorities concerned by persons abroad. Read
back through HTTP, as PDF text."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.helpers import OFFICER_ACME, OFFICER_NORTHWIND, STAFF, PageClient
from tests.web.notice_helpers import (
    file_via_api,
    move_northwind_to_the_uk,
    pdf_text,
    send_all,
)

pytestmark = pytest.mark.usefixtures("demo")

EDPB_SECTIONS = (
    "1. Type of notification",
    "2. Controller, reporter and data protection officer",
    "3. Nature of the breach",
    "4. Likely consequences",
    "5. Mitigation and prevention measures",
    "6. Communication to data subjects",
)
AP_SECTIONS = (
    "1. About this notification",
    "2. Organisation, reporter and contact",
    "3. Timeline",
    "4. The breach",
    "5. Personal data",
    "6. Persons concerned",
    "7. Protection",
    "8. Consequences",
    "9. Follow-up",
    "10. Other",
)
RECORD_EN = "Record of a personal data breach (Art. 33(5) GDPR)"
RECORD_NL = "Registratie van een datalek (art. 33 lid 5 AVG)"


def _report(client: PageClient, headers: dict[str, str], incident_id: str, query: str) -> bytes:
    response = client.get(f"/api/v1/incidents/{incident_id}/report.pdf?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def _title(data: bytes) -> str:
    return str(PdfReader(io.BytesIO(data)).metadata.title)


def _in_order(text: str, titles: tuple[str, ...]) -> None:
    places = [text.find(title) for title in titles]
    assert all(p >= 0 for p in places), dict(zip(titles, places, strict=True))
    assert places == sorted(places), dict(zip(titles, places, strict=True))


def test_the_report_for_the_ap_keeps_the_ap_form_and_names_the_concerned_authorities(
    client: PageClient, api_headers
) -> None:
    """A Dutch controller: the AP's form, with the controller's own contact beside the
    processor's, and the Belgian and German authorities concerned by persons there."""
    staff = api_headers(STAFF)
    incident_id = file_via_api(client, staff, controllers=["acme"], countries=["BE", "DE"])
    send_all(client, incident_id)
    text = pdf_text(_report(client, staff, incident_id, "lang=en&controller=acme"))
    assert (
        "structured like the notification form of the Dutch Data Protection Authority "
        "(Autoriteit Persoonsgegevens)" in text
    )
    assert "For the Dutch Data Protection Authority" in text  # the page header
    assert "EDPB's common template" not in text
    _in_order(text, AP_SECTIONS)
    assert "Personal data breach report" in text and "New notification" in text
    assert "The controller's contact details Country: Netherlands E-mail: privacy@acme.example" in (
        text
    )
    assert "Processor's contact for this breach Sander Bakker" in text
    assert (
        "Other supervisory authorities concerned Belgian Data Protection Authority (Belgium)"
        in (text)
    )
    assert "Federal Commissioner for Data Protection and Freedom of Information (Germany)" in text
    assert "must notify each of these authorities" not in text, "Acme is established in the EU"
    dutch = pdf_text(_report(client, staff, incident_id, "lang=nl&controller=acme"))
    assert "opgebouwd zoals het meldformulier van de Autoriteit Persoonsgegevens" in dutch
    assert "Contactpersoon van de verwerker voor dit datalek Sander Bakker" in dutch
    assert "Andere betrokken toezichthouders Gegevensbeschermingsautoriteit (België)" in dutch
    assert "Land: Nederland" in dutch


def test_a_uk_controllers_report_follows_the_edpb_structure_for_the_ico(
    client: PageClient, api_headers
) -> None:
    move_northwind_to_the_uk(client)
    staff = api_headers(STAFF)
    incident_id = file_via_api(client, staff, controllers=["northwind"], countries=["BE", "DE"])
    send_all(client, incident_id)
    officer = api_headers(OFFICER_NORTHWIND)
    base = f"/api/v1/incidents/{incident_id}/notices/northwind"
    assert client.post(f"{base}/acknowledge", headers=officer).status_code == 200
    data = _report(client, officer, incident_id, "lang=en")
    text = pdf_text(data)
    assert (
        "Notification of a personal data breach for the Information Commissioner's Office "
        "(ICO), structured after the EDPB's common template for breach notifications" in text
    )
    assert "Information Commissioner's Office (ICO): https://ico.org.uk/" in text
    assert "For the Information Commissioner" in text  # the page header
    _in_order(text, EDPB_SECTIONS)
    assert "About this notification" not in text and "10. Other" not in text
    assert "Times are in Europe/London time." in text
    assert "GMT" in text or "BST" in text
    assert "CET" not in text and "CEST" not in text and "Europe/Amsterdam" not in text
    assert "Country: United Kingdom" in text
    assert "E-mail: dpo@northwind.example, security@northwind.example" in text
    assert "Processor's contact for this breach" in text
    assert "Autoriteit Persoonsgegevens" not in text and "Dutch Data Protection" not in text
    assert "BSN" not in text and "National identification or tax numbers" in text
    # The UK GDPR's 72 hours and, for the persons in the EU, the GDPR's: each its own.
    assert "The 72 hours under Art. 33(1) UK GDPR ended or end" in text
    assert "The 72 hours under Art. 33(1) GDPR ended or end" in text
    # No establishment in the EU: every authority where persons live (EDPB 9/2022, 73).
    assert "Other supervisory authorities concerned Belgian Data Protection Authority" in text
    to_notify = text[text.index("Supervisory authorities to notify") :]
    assert "(EDPB Guidelines 9/2022 v2.0, para. 73)" in to_notify
    named = [
        "Information Commissioner's Office (United Kingdom)",
        "Belgian Data Protection Authority (Belgium)",
        "Federal Commissioner for Data Protection and Freedom of Information (Germany)",
    ]
    _in_order(to_notify, tuple(named))


def test_a_report_for_controllers_under_different_authorities_is_for_all_of_them(
    client: PageClient, api_headers
) -> None:
    move_northwind_to_the_uk(client)
    staff = api_headers(STAFF)
    incident_id = file_via_api(client, staff, controllers=["acme", "northwind"])
    send_all(client, incident_id)
    text = pdf_text(_report(client, staff, incident_id, "lang=en"))
    assert "for the supervisory authorities concerned, structured after the EDPB's" in text
    assert "For the supervisory authorities concerned" in text
    _in_order(text, EDPB_SECTIONS)
    assert "Acme Retail B.V.: Country: Netherlands" in text
    assert "Northwind Logistics Ltd: Country: United Kingdom" in text
    # Acme's own report is still the AP's.
    acme = pdf_text(_report(client, staff, incident_id, "lang=en&controller=acme"))
    assert "structured like the notification form of the Dutch Data Protection" in acme


def test_a_controller_that_decided_not_to_notify_gets_its_art_33_5_record(
    client: PageClient, api_headers
) -> None:
    staff = api_headers(STAFF)
    incident_id = file_via_api(client, staff, controllers=["acme", "northwind"])
    send_all(client, incident_id)
    acme = api_headers(OFFICER_ACME)
    base = f"/api/v1/incidents/{incident_id}/notices"
    assert client.post(f"{base}/acme/acknowledge", headers=acme).status_code == 200
    decision = {
        "is_breach": True,
        "notify_authority": False,
        "authority_reason": "Only test data of fictitious persons were on the server.",
        "inform_data_subjects": False,
        "data_subjects_reason": "No real persons are concerned.",
    }
    decided = client.post(f"{base}/acme/decision", json=decision, headers=acme)
    assert decided.status_code == 200, decided.text
    northwind = api_headers(OFFICER_NORTHWIND)
    not_a_breach = {
        "is_breach": False,
        "authority_reason": "The copied files held no personal data of ours.",
    }
    decided = client.post(f"{base}/northwind/decision", json=not_a_breach, headers=northwind)
    assert decided.status_code == 200, decided.text

    data = _report(client, acme, incident_id, "lang=en")
    text = pdf_text(data)
    assert _title(data).startswith(RECORD_EN)
    assert text.count(RECORD_EN) >= 2  # the heading and the introduction
    assert "Personal data breach report" not in text and "New notification" not in text
    assert (
        "Kind of notification Record of a breach not notified to the supervisory authority "
        "(Art. 33(5) GDPR)" in text
    )
    assert (
        "Acme Retail B.V. decided not to notify the supervisory authority. Its reasons: "
        "Only test data of fictitious persons were on the server." in text
    )
    assert "Record under Art. 33(5) GDPR" in text  # the page header
    dutch = _report(client, acme, incident_id, "lang=nl")
    assert _title(dutch).startswith(RECORD_NL)
    dutch_text = pdf_text(dutch)
    assert "Registratie van een niet-gemeld datalek (art. 33 lid 5 AVG)" in dutch_text
    assert "Melding datalek" not in dutch_text

    own = pdf_text(_report(client, northwind, incident_id, "lang=en"))
    assert RECORD_EN in own
    assert "Kind of notification Record: not a personal data breach (Art. 33(5) GDPR)" in own
    assert "decided that this is not a personal data breach" in own

    # The report of both is no one's record: each controller's kind is named in it.
    both = _report(client, staff, incident_id, "lang=en")
    text = pdf_text(both)
    assert _title(both).startswith("Personal data breach report")
    assert RECORD_EN not in text
    assert "Acme Retail B.V.: Record of a breach not notified to the supervisory" in text
    assert "Northwind Logistics Ltd: Record: not a personal data breach" in text
