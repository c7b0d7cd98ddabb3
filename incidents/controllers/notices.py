"""Notices in the browser: the inbox, the notice page (staff: review and send; officers:
acknowledge, ask, decide, record what they did), sent notices and their PDFs, the letter
to the persons, and the outbox. Each handler translates the request to one use case
(incidents/usecases/notices.py, outbox.py) and its result or error back to a page."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from forms.decision import (
    ACT_FIELDS,
    ART34_GROUNDS,
    LABELS,
    act_form_errors,
    act_from_form,
    form_values,
)
from forms.reading import read_integer
from forms.values import clean_text
from incidents import batches, notices, timeline
from incidents.auth import staff_only
from incidents.controllers.common import (
    Config,
    Db,
    Form,
    IncidentId,
    Principal,
    field_errors,
    flash,
    form_problems,
    in_thread,
    lang,
    pdf_response,
    typed,
)
from incidents.controllers.incidents import ON_INCIDENT, It, incident_page_again
from incidents.errors import Invalid, NotFound
from incidents.i18n import full_stop, ngettext
from incidents.i18n import gettext as _
from incidents.models import Organisation, utcnow
from incidents.principal import CurrentUser
from incidents.templating import zone_of_reader
from incidents.usecases import notices as cases
from incidents.usecases import outbox as outbox_cases
from incidents.usecases.notices import DecisionForm, Found, InvalidFields
from notify import outbox
from notify.assessment import LEVEL_LABELS, assessment_of
from notify.obligations import authority_rows, own_authority_hours, regime_hours

AnyRequest = Request[Any, Any, Any]
Slug = FromPath[str]

# The regimes whose hours the decision form names (from REGIMES, never written here).
DECISION_HOURS = ("gdpr_authority", "nis2_early_warning", "nis2_notification", "dora_initial")


class Target(NamedTuple):
    """The database, who asks and the notice asked about (its incident and controller):
    the first arguments of every use case on one notice, as in ``cases.decide(*at, values)``."""

    engine: Db
    user: CurrentUser
    incident_id: uuid.UUID
    slug: str


# How a handler asks for it: ``at: At``.
At = NamedDependency[Target]


def provide_target(engine: Db, user: Principal, incident_id: IncidentId, slug: Slug) -> Target:
    """``at``: the notice of the path."""
    return Target(engine, user, incident_id, slug)


def _notice_url(request: AnyRequest, at: At, anchor: str = "") -> str:
    return request.app.route_reverse("notice", incident_id=at.incident_id, slug=at.slug) + anchor


def _submit(
    request: AnyRequest,
    act: Callable[[], Any],
    again: Callable[[Invalid], Template],
    done: str | Callable[[Any], str],
    url: str,
) -> Template | Redirect:
    """An officer's form: do the act; on invalid input the form again with the problems at
    its fields, else a message for the next page and a redirect there."""
    try:
        result = act()
    except Invalid as exc:
        return again(exc)
    flash(request, done(result) if callable(done) else done)
    return Redirect(url, status_code=303)


# --- templates ---------------------------------------------------------------------------


def _notice_template(
    context: dict[str, Any],
    errors: list[dict[str, str]] | None = None,
    values: dict[str, str] | None = None,
    form: str | None = None,
) -> Template:
    language = lang()
    shown = {
        "act_fields": ACT_FIELDS,
        "labels": {k: v.get(language) for k, v in LABELS.items()},
        "grounds": {k: v.get(language) for k, v in ART34_GROUNDS.items()},
        "errors": errors or [],
        "values": values or {},
        "form": form,
    }
    return Template("notices/notice.html", context={**context, **shown})


def _found(found: Found, values: dict[str, str], errors: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "incident": found.incident,
        "notice": found.notice,
        "org": found.org,
        "values": values,
        "errors": errors,
    }


def _decision_template(
    form: DecisionForm, values: dict[str, str], errors: list[dict[str, str]]
) -> Template:
    context = {
        **_found(form, values, errors),
        "late": form.late,
        "assessment": assessment_of(form.incident),
        "labels": {k: v.get(lang()) for k, v in LABELS.items()},
        "grounds": [(k, v.get(lang())) for k, v in ART34_GROUNDS.items()],
        "hours": {key: regime_hours(key) for key in DECISION_HOURS},
        **_authority_duty(form.org, form.notice.delivered_at),
    }
    return Template("notices/decision.html", context=context)


def _authority_duty(org: Organisation, delivered_at: datetime | None) -> dict[str, Any]:
    """The hours of the controller's duty to notify its authority, and whether it is the
    Omnibus's (only a likely high risk), as in force when the notice reached it."""
    aware = delivered_at or utcnow()
    rows = authority_rows(org.country, org.timezone, aware)
    return {
        "authority_hours": own_authority_hours(rows, org.country),
        "omnibus": any(r.law == "gdpr_omnibus" for r in rows),
    }


def _assessment_template(
    found: Found, values: dict[str, str], errors: list[dict[str, str]]
) -> Template:
    language = lang()
    context = {
        **_found(found, values, errors),
        "assessment": assessment_of(found.incident),
        "labels": {k: v.get(language) for k, v in LABELS.items()},
        "levels": [(k, v.get(language)) for k, v in LEVEL_LABELS.items()],
    }
    return Template("notices/assessment.html", context=context)


def _letter_template(found: Found, text: str, errors: list[dict[str, str]]) -> Template:
    return Template("notices/letter.html", context=_found(found, {"letter": text}, errors))


def _send(request: AnyRequest, at: Target, base_url: str, slugs: list[str] | None) -> None:
    """Send, and say what was sent (or why nothing could be) on the next page."""
    try:
        results = cases.send(at.engine, at.user, at.incident_id, slugs, base_url)
    except notices.NoticeError as exc:
        flash(request, str(exc), "error")
        return
    sent = ", ".join(sorted(r.name for r in results if r.sent))  # as the page lists them
    if not sent:
        flash(request, _("Nothing to send: every controller has this version already."), "warning")
        return
    flash(request, _sent_to(sent))


def _sent_to(names: str) -> str:
    """ "Notice sent to: …" (one full stop after a name that ends in one)."""
    said = full_stop(_("Notice sent to: %(names)s") % {"names": names})
    return said + " " + _("It is delivered by e-mail within a minute.")


def _say_progress(request: AnyRequest, found: Any) -> None:
    """What a "send to all" did: sent to these (a small batch), or is being sent."""
    if found.queued:
        message = ngettext(
            "The notice to %(num)d controller is being rendered and sent; its progress shows below.",
            "The notices to %(num)d controllers are being rendered and sent; their progress shows below.",
            found.total,
        )
        flash(request, message % {"num": found.total})
        return
    if found.sent_to:
        flash(request, _sent_to(", ".join(found.sent_to)))
    for name, error in found.failures:
        flash(request, f"{name}: {error}", "error")


def _own_form(
    request: AnyRequest,
    at: At,
    data: dict[str, Any],
    act: Callable[..., Any],
    again: Callable[[Target, dict[str, str], list[dict[str, str]]], Template],
    done: str,
    anchor: str = "",
) -> Template | Redirect:
    """A form of the officer's on its own page (the decision, the estimate): the act with
    the form's values, or that page again with them and the problems."""
    values = typed(data)
    return _submit(
        request,
        lambda: act(*at, values),
        lambda exc: again(at, values, form_problems(exc.problems)),
        done,
        _notice_url(request, at, anchor),
    )


def _decision_again(at: At, values: dict[str, str], errors: list[dict[str, str]]) -> Template:
    return _decision_template(cases.decision_form(*at), values, errors)


def _assessment_again(at: At, values: dict[str, str], errors: list[dict[str, str]]) -> Template:
    return _assessment_template(cases.officer_notice(*at), values, errors)


FIGURES = ("affected_min", "affected_max", "records_approx")  # on the page; data types: API


def _notice_again(
    at: At, errors: list[dict[str, str]], values: dict[str, str], form: str
) -> Template:
    """The notice page again with a form's problems (an officer's look is not audited again)."""
    context = cases.notice_page(*at, viewed=False)
    return _notice_template(context, errors, values, form)


# --- the inbox ------------------------------------------------------------------------------


class InboxController(Controller):
    path = "/notices"

    @get("/", name="notices")
    @in_thread
    def inbox(self, engine: Db, user: Principal) -> Template:
        """Officers: their notices, unacknowledged first. Staff: every notice of a submitted
        incident, those still to be sent (or followed up) first."""
        rows = cases.inbox(engine, user)
        return Template(
            "notices/inbox.html", context={"rows": rows, "needs_sending": notices.needs_sending}
        )


# --- one notice -------------------------------------------------------------------------------


class NoticeController(Controller):
    path = "/incidents/{incident_id:uuid}/notices"
    dependencies = {"at": Provide(provide_target, sync_to_thread=False), **ON_INCIDENT}

    @get("/{slug:str}", name="notice")
    @in_thread
    def notice_page(self, at: At) -> Template:
        return _notice_template(cases.notice_page(*at))

    @get("/{slug:str}/sent/{number:int}", name="notice_sent")
    @in_thread
    def sent_page(self, at: At, number: FromPath[int]) -> Template:
        found, send = cases.sent(*at, number)
        context = {"incident": found.incident, "org": found.org, "send": send}
        return Template("notices/sent.html", context=context)

    @get("/{slug:str}/sent/{number:int}/pdf", name="notice_sent_pdf")
    @in_thread
    def sent_pdf(self, at: At, number: FromPath[int]) -> Response[bytes]:
        """The PDF that was attached to that notice's e-mail (stored with it, not re-made)."""
        name, data = cases.sent_pdf(*at, number)
        return pdf_response(data, name)

    # --- sending ---

    @post("/{slug:str}/send", name="notice_send", guards=[staff_only])
    @in_thread
    def send_one(self, request: AnyRequest, at: At, settings: Config) -> Redirect:
        _send(request, at, settings.base_url, [at.slug])
        return Redirect(_notice_url(request, at), status_code=303)

    @post("/send", name="notice_send_all", guards=[staff_only], status_code=200)
    @in_thread
    def send_all(self, request: AnyRequest, it: It, data: Form) -> Template | Redirect:
        """Send to every controller that needs this version, once the box naming them is
        ticked (the page again with the message at it otherwise)."""
        engine, user, settings, incident_id = it
        if data.get("confirm_send") != "yes":
            message = _("Tick the box to confirm the controllers the notice goes to.")
            return incident_page_again(it, [{"field": "confirm_send", "message": message}], {})
        try:
            found = cases.send_all(engine, user, settings, incident_id, inline=True)
        except notices.NoticeError as exc:
            flash(request, str(exc), "error")
        else:
            _say_progress(request, found)
        url = request.app.route_reverse("incident", incident_id=incident_id)
        return Redirect(url + "#notices", status_code=303)

    @get("/batches/{batch_id:uuid}", name="notice_batch", guards=[staff_only])
    @in_thread
    def batch(self, it: It, batch_id: FromPath[uuid.UUID]) -> Template:
        """The progress of a "send to all" (the fragment the incident page refreshes)."""
        found = batches.batch_progress(it.engine, it.user, it.incident_id, batch_id)
        context = {"batch": found, "incident": {"id": it.incident_id}}
        return Template("incidents/_batch.html", context=context)

    @post("/{slug:str}/withdraw", name="notice_withdraw", guards=[staff_only], status_code=200)
    @in_thread
    def withdraw(
        self, request: AnyRequest, at: At, settings: Config, data: Form
    ) -> Template | Redirect:
        """Withdraw the sent notice with the reason; the page again with it if refused."""
        values = typed(data)
        body = {"reason": values.get("reason", "")}
        return _submit(
            request,
            lambda: cases.withdraw(*at, body, settings.base_url),
            lambda exc: _notice_again(at, form_problems(exc.problems), values, "withdraw"),
            lambda found: (
                _("The notice is withdrawn; %(name)s is told by e-mail.") % {"name": found.org.name}
            ),
            _notice_url(request, at),
        )

    @post("/{slug:str}/scope", name="notice_scope", guards=[staff_only], status_code=200)
    @in_thread
    def scope(
        self, request: AnyRequest, at: At, settings: Config, data: Form
    ) -> Template | Redirect:
        """This controller's own figures; empty fields take the incident's totals."""
        values = typed(data)
        body = {key: read_integer(values[key]) if values.get(key) else None for key in FIGURES}
        return _submit(
            request,
            lambda: cases.set_scope(at.engine, at.user, settings, at.incident_id, at.slug, body),
            lambda exc: _notice_again(at, form_problems(exc.problems), values, "figures"),
            lambda found: _("The figures for %(name)s have been saved.") % {"name": found.org.name},
            _notice_url(request, at),
        )

    # --- the officer's acts ---

    @post("/{slug:str}/acknowledge", name="notice_acknowledge")
    @in_thread
    def acknowledge(self, request: AnyRequest, at: At) -> Redirect:
        first = cases.acknowledge(*at).first
        again = _("You had already acknowledged this notice.")
        flash(request, _("Receipt acknowledged.") if first else again)
        return Redirect(_notice_url(request, at), status_code=303)

    @post("/{slug:str}/questions", name="notice_question", status_code=200)
    @in_thread
    def question(
        self, request: AnyRequest, settings: Config, at: At, data: Form
    ) -> Template | Redirect:
        """An officer's question, or staff's answer to one (``parent_id``)."""
        values = typed(data)
        body, parent = values.get("body", ""), values.get("parent_id")
        answered = _("Your answer has been sent.")
        asked = _("Your question has been sent to the processor.")
        return _submit(
            request,
            lambda: cases.ask(*at, body, parent, settings=settings),
            lambda exc: _notice_again(
                at,
                form_problems(exc.problems),
                {p.field: clean_text(body) for p in exc.problems},
                "question",
            ),
            lambda parent_id: answered if parent_id else asked,
            _notice_url(request, at, "#questions"),
        )

    @get("/{slug:str}/decision", name="notice_decision")
    @in_thread
    def decision_page(self, at: At) -> Template:
        """The officer's decision form, filled in with the last decision if any; it asks
        for the reasons for a delay once the 72 hours have passed without them."""
        form = cases.decision_form(*at)
        return _decision_template(form, form_values(form.notice.decision or {}), [])

    @post("/{slug:str}/decision", name="notice_decide", status_code=200)
    @in_thread
    def decide(self, request: AnyRequest, at: At, data: Form) -> Template | Redirect:
        done = _("Your decision has been recorded.")
        return _own_form(request, at, data, cases.decide, _decision_again, done)

    @get("/{slug:str}/assessment", name="notice_assessment")
    @in_thread
    def assessment_page(self, at: At) -> Template:
        """The officer's own estimate of the severity: the form, with the last one."""
        found = cases.officer_notice(*at)
        values = form_values(found.notice.assessment_override or {})
        return _assessment_template(found, values, [])

    @post("/{slug:str}/assessment", name="notice_assessment_save", status_code=200)
    @in_thread
    def assessment_save(self, request: AnyRequest, at: At, data: Form) -> Template | Redirect:
        """The officer's own estimate of the severity, kept beside the computed one."""
        act, done = (
            cases.override_assessment,
            _("Your estimate has been recorded beside the computed assessment."),
        )
        return _own_form(request, at, data, act, _assessment_again, done, "#assessment")

    @post("/{slug:str}/acts/{key:str}", name="notice_act", status_code=200)
    @in_thread
    def record_act(
        self, request: AnyRequest, settings: Config, at: At, key: FromPath[str], data: Form
    ) -> Template | Redirect:
        """What the officer did to meet duty ``key``: the act's form on the notice page."""
        if key not in ACT_FIELDS:
            raise NotFound()
        values = typed(data)
        raw, date_error = act_from_form(key, values, zone_of_reader(settings.zone))

        def again(exc: Invalid) -> Template:
            found = exc.errors if isinstance(exc, InvalidFields) else []
            errors = field_errors(act_form_errors(key, found, date_error))
            return _notice_again(at, errors, values, key)

        done = _("Recorded: %(duty)s.") % {"duty": timeline.regime_label(key)}
        act = functools.partial(cases.record_act, *at, key, raw)
        return _submit(request, act, again, done, _notice_url(request, at, "#acts"))

    # --- the letter to the persons ---

    @get("/{slug:str}/letter", name="notice_letter")
    @in_thread
    def letter_page(self, at: At) -> Template:
        found = cases.letter(*at)
        return _letter_template(found, found.text, [])

    @post("/{slug:str}/letter", name="notice_letter_save", status_code=200)
    @in_thread
    def letter_save(self, request: AnyRequest, at: At, data: Form) -> Template | Redirect:
        text = typed(data).get("letter", "")
        url = request.app.route_reverse("notice_letter", incident_id=at.incident_id, slug=at.slug)
        return _submit(
            request,
            lambda: cases.save_letter(*at, text),
            lambda exc: _letter_template(
                cases.letter(*at), clean_text(text), form_problems(exc.problems)
            ),
            _("The letter has been saved."),
            url,
        )

    @get("/{slug:str}/letter/{fmt:str}", name="notice_letter_file")
    @in_thread
    def letter_file(self, at: At, fmt: FromPath[str]) -> Response[bytes]:
        name, data = cases.letter_file(*at, fmt)
        if fmt == "pdf":
            return pdf_response(data, name)
        return Response(
            data,
            media_type="text/plain",  # Litestar adds "; charset=utf-8"
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


# --- the outbox -------------------------------------------------------------------------------


class OutboxController(Controller):
    path = "/outbox"
    guards = [staff_only]

    @get("/", name="outbox")
    @in_thread
    def outbox_page(self, engine: Db, settings: Config) -> Template:
        context = {
            "messages": outbox_cases.messages(engine),
            "personal_kinds": outbox_cases.PERSONAL_LINK_KINDS,
            "smtp": bool(settings.smtp_url),
            "folder": str(settings.outbox_dir),
        }
        return Template("notices/outbox.html", context=context)

    @get("/{message_id:int}", name="outbox_message")
    @in_thread
    def outbox_message(self, engine: Db, settings: Config, message_id: FromPath[int]) -> Template:
        message = outbox_cases.message(engine, message_id)
        context = {
            "message": message,
            "message_id": outbox.message_id(message.dedupe_key, settings.mail_from),
        }
        return Template("notices/outbox_message.html", context=context)

    @get("/{message_id:int}/eml", name="outbox_eml")
    @in_thread
    def outbox_eml(
        self, engine: Db, settings: Config, message_id: FromPath[int]
    ) -> Response[bytes]:
        return Response(
            outbox_cases.eml(engine, message_id, settings.mail_from),
            media_type="message/rfc822",
            headers={"Content-Disposition": f'attachment; filename="message-{message_id}.eml"'},
        )


handlers = [InboxController, NoticeController, OutboxController]
