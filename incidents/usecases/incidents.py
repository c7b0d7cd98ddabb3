"""Incidents: file, save a step, submit, correct, record a late reason, and the pages
that show one incident (task list, step, check, incident page, deadlines, versions,
changes). The browser's pages and the JSON API call the same functions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from forms import fields
from forms.answers import merge_step, step_state, validate
from forms.fields import read_step
from forms.questionnaire import QUESTIONS, STEP_BY_KEY, STEPS, Question, Step, Text
from forms.values import CORRECTION_NOTE_MAX, FieldError, clean_text, whole_number
from incidents import audit, batches, evidence, service, tasks
from incidents.db import session_scope
from incidents.errors import Conflict, Invalid, NotAllowed, NotFound, Problem, read_fields
from incidents.i18n import current_language
from incidents.i18n import gettext as _
from incidents.models import Incident, IncidentStatus, IncidentVersion, Notice, Organisation
from incidents.principal import CurrentUser
from incidents.settings import Settings
from incidents.templating import zone_of_reader
from notify.obligations import Obligation

Pairs = list[tuple[Notice, Organisation]]


# --- what the use cases answer ----------------------------------------------------------


@dataclass
class IncidentView:
    """One incident as this principal may see it: the answers (an officer sees no other
    controller), its notices with their controllers and its obligations."""

    incident: Incident
    answers: dict[str, Any]
    notices: Pairs
    obligations: list[Obligation]


class FormInvalid(Invalid):
    """Answers that break the questionnaire's rules; ``errors`` are the form's own
    problems (each names its field), ``problems`` the same in the request's language."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        language = current_language.get()
        super().__init__([Problem(e.field, e.message(language)) for e in errors])


class BadVersion(FormInvalid):
    """The version a change says it is based on cannot be read (a malformed request)."""


class AlreadySubmitted(Conflict):
    """Only a draft is submitted."""


class SavedMeanwhile(Conflict):
    """Another transaction was changing the same incident at the same moment (it won the
    race for its rows): nothing of this change was saved."""


def require_staff(user: CurrentUser) -> None:
    if not user.is_staff:
        raise NotAllowed("Only processor staff may file or change incidents")


def view_of(session: Session, user: CurrentUser, incident: Incident) -> IncidentView:
    """The incident with what the API shows of it, read in this transaction."""
    pairs = service.notices_of(session, user, incident.id)
    obligations = service.obligations_of(session, user, incident, notices=pairs)
    return IncidentView(incident, service.answers_for(user, incident.answers), pairs, obligations)


@dataclass(frozen=True)
class NoticePage:
    """A page of an incident's notices by controller slug, their controllers' obligations,
    and the slug the next page starts after (None: this was the last)."""

    notices: Pairs
    obligations: list[Obligation]
    last: str | None


def notices_page(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, after: str | None, limit: int
) -> NoticePage:
    """The notices of a visible incident (an officer: only their own) ``limit`` at a time,
    after the controller slug ``after``."""
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        pairs = service.notices_after(session, user, incident.id, after, limit + 1)
        more = len(pairs) > limit
        pairs = pairs[:limit]
        obligations = service.obligations_of(session, user, incident, notices=pairs)
    return NoticePage(pairs, obligations, pairs[-1][1].slug if more else None)


# --- filing -----------------------------------------------------------------------------


def create(
    engine: Engine,
    user: CurrentUser,
    settings: Settings,
    answers: Mapping[str, Any] | None = None,
    *,
    submit: bool = False,
    via: str = "web",
    errors: list[FieldError] | None = None,
    groups: Any = None,
) -> IncidentView:
    """A new incident: a draft (the page's "start", the API with ``"draft": true``), or
    filed and submitted at once when ``submit`` (every required answer must be there).
    ``groups``: controller groups whose members are added to the controllers (the API's
    ``controller_groups``; the incident keeps them). FormInvalid lists every problem
    (``errors``: those the caller found in the request already, first); nothing is saved
    then."""
    require_staff(user)
    with session_scope(engine) as session:
        ctx, controllers = service.filing_context(session, settings)
    answers = dict(answers or {})
    chosen, group_errors = with_groups(
        answers.get("controllers"), groups, controllers, "controller_groups"
    )
    if groups and not group_errors:
        answers["controllers"] = chosen
    result = validate(answers, ctx, complete=submit, strict=True)
    if errors or group_errors or result.errors:
        raise FormInvalid((errors or []) + group_errors + result.errors)
    kept = sorted(set(groups or []))
    with session_scope(engine, write=True) as session:
        if not submit:
            incident = service.create_draft(
                session, user, result.answers, via=via, controllers=controllers, groups=kept
            )
            return view_of(session, user, incident)
        incident, pairs = service.file(
            session, user, result.answers, ctx, controllers, via=via, groups=kept
        )
        no_records: dict[uuid.UUID, list[Any]] = {n.id: [] for n, _ in pairs}  # all new
        obligations = service.obligations_of(
            session, user, incident, notices=pairs, records=no_records
        )
        return IncidentView(
            incident, service.answers_for(user, incident.answers), pairs, obligations
        )


def _submit(
    session: Session,
    incident: Incident,
    user: CurrentUser,
    ctx: Any,
    *,
    via: str,
    controllers: Mapping[str, Organisation] | None = None,
) -> None:
    """Submit a draft in this transaction, or FormInvalid (the transaction is then
    rolled back by whoever owns it: nothing is half-written)."""
    if incident.status != IncidentStatus.draft:
        raise AlreadySubmitted(_("This incident has already been submitted."))
    problems = service.submit(session, incident, user, ctx, via=via, controllers=controllers)
    if problems:
        raise FormInvalid(problems)


def submit(
    engine: Engine, user: CurrentUser, settings: Settings, incident_id: uuid.UUID
) -> Incident:
    """Submit a draft saved step by step: reference, version 1, its notices."""
    require_staff(user)
    with session_scope(engine, write=True) as session:
        incident = service.visible_incident(session, user, incident_id, lock=True)
        ctx = service.validation_context(session, settings)
        _submit(session, incident, user, ctx, via="web")
        return incident


# --- changing answers: a step of the form, or the API's PATCH -------------------------------


@dataclass(frozen=True)
class Saved:
    incident: Incident
    submitted: bool  # a correction of a submitted incident (else a draft saved)
    changed: bool
    # A draft's step saved in part: the answers refused (the others were saved).
    problems: list[FieldError] = field(default_factory=list)


@contextmanager
def _changing(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    bases: list[int],
    bad_bases: list[FieldError] | None = None,
) -> Iterator[tuple[Session, Incident]]:
    """The incident read for a change, locked: changes of one incident take turns, each
    on what the last one saved. BadVersion for ``bad_bases`` (unreadable versions);
    VersionConflict when it has moved on from a version in ``bases``; SavedMeanwhile
    when another transaction won the race for its rows (a deadlock): nothing was saved."""
    try:
        with session_scope(engine, write=True) as session:
            incident = service.visible_incident(session, user, incident_id, lock=True)
            require_staff(user)
            if bad_bases:
                raise BadVersion(bad_bases)
            for base in bases:
                service.check_version(incident, base)
            yield session, incident
    except DBAPIError as exc:
        if not service.lock_conflict(exc):
            raise
        raise SavedMeanwhile() from exc


def _write(
    session: Session,
    incident: Incident,
    user: CurrentUser,
    answers: dict[str, Any],
    *,
    note: str,
    via: str,
    step: str | None,
) -> Saved:
    """A correction (a new version) of a submitted incident, or a draft saved."""
    if incident.status != IncidentStatus.draft:
        changed = service.correct(session, incident, answers, user, note=note, via=via)
        return Saved(incident, submitted=True, changed=bool(changed))
    changed = service.save_draft(session, incident, answers, user, step=step, via=via)
    return Saved(incident, submitted=False, changed=bool(changed))


def save_step(
    engine: Engine,
    user: CurrentUser,
    settings: Settings,
    incident_id: uuid.UUID,
    step_key: str,
    form: Mapping[str, Any],
    *,
    complete: bool,
    note: str = "",
    base_version: int | None = None,
) -> Saved:
    """One step of the questionnaire saved from its form. A draft may be saved incomplete
    unless ``complete``; a correction of a submitted incident must be complete.
    FormInvalid (the form again), VersionConflict or SavedMeanwhile (409)."""
    step = step_of(step_key)
    bases = [] if base_version is None else [base_version]
    with _changing(engine, user, incident_id, bases) as (session, incident):
        ctx, controllers = service.filing_context(session, settings)
        raw, read_errors = read_step(step, form, zone_of_reader(settings.zone))
        if step.key == "controllers":
            raw, group_errors = _by_groups(incident, form, raw, controllers)
            read_errors += group_errors
        merged = merge_step(incident.answers, step, raw)
        complete = complete or incident.status != IncidentStatus.draft
        problems = _step_problems(step, merged, read_errors, ctx, complete=complete)
        if len(clean_text(note)) > CORRECTION_NOTE_MAX:  # refused, never cut
            problems.append(FieldError("note", "too_long", {"max": CORRECTION_NOTE_MAX}))
        if not problems:
            canonical = validate(merged, ctx, complete=False, strict=False).answers
            return _write(session, incident, user, canonical, note=note, via="web", step=step.key)
        if incident.status != IncidentStatus.draft:
            raise FormInvalid(problems)
        # A draft keeps every answer of the page that is valid; the others stay as they were.
        partial = _valid_part(step, incident.answers, raw, problems, ctx)
        if partial == incident.answers:
            return Saved(incident, submitted=False, changed=False, problems=problems)
        _write(session, incident, user, partial, note=note, via="web", step=step.key)
        return Saved(incident, submitted=False, changed=True, problems=problems)


ALL_CONTROLLERS = "*"  # the group that stands for every controller


def _by_groups(
    incident: Incident,
    form: Mapping[str, Any],
    raw: dict[str, Any],
    controllers: Mapping[str, Organisation],
) -> tuple[dict[str, Any], list[FieldError]]:
    """The controllers of the first step: those ticked one by one, and every member of the
    groups ticked (or all controllers). The incident keeps the groups they came from; the
    answer ``controllers`` the controllers they are now, in name order after those ticked."""
    groups = sorted(set(fields.all_values(form, "controller_group")))
    chosen, errors = with_groups(raw.get("controllers", []), groups, controllers, "controllers")
    if errors:
        return raw, errors
    incident.controller_groups = groups
    return ({**raw, "controllers": chosen} if groups else raw), []


def with_groups(
    chosen: Any, groups: Any, controllers: Mapping[str, Organisation], field: str
) -> tuple[Any, list[FieldError]]:
    """The controllers ``chosen`` one by one followed by every member of ``groups`` (or of
    all, ALL_CONTROLLERS) in name order, each once; or the problem at ``field`` (groups
    that are not a list of known group names)."""
    if not groups:
        return chosen, []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        return chosen, [FieldError(field, "wrong_type", {"expected": _LIST_OF_NAMES})]
    known = {g for org in controllers.values() for g in org.groups} | {ALL_CONTROLLERS}
    unknown = [g for g in groups if g not in known]
    if unknown:
        return chosen, [FieldError(field, "unknown_group", {"value": unknown[0][:80]})]
    members = sorted(
        (
            o
            for o in controllers.values()
            if ALL_CONTROLLERS in groups or set(o.groups) & set(groups)
        ),
        key=lambda o: o.name.lower(),
    )
    explicit = chosen if isinstance(chosen, list) else []
    return list(dict.fromkeys([*explicit, *(o.slug for o in members)])), []


_LIST_OF_NAMES = Text("a list of group names", "een lijst van groepsnamen")


def _step_problems(
    step: Step,
    merged: dict[str, Any],
    read_errors: list[FieldError],
    ctx: Any,
    *,
    complete: bool,
) -> list[FieldError]:
    """The problems of one step's answers in page order. A question that does not apply
    (its condition is not met) but was answered is refused: without the page script
    every question is shown, and a ticked "Health" without "Special categories" must not
    silently disappear."""
    result = validate(merged, ctx, complete=complete, strict=False, only=step.keys)
    unreadable = {_key(e) for e in read_errors}
    problems = read_errors + [e for e in result.errors if _key(e) not in unreadable]
    answered = set(merged) | unreadable
    for question in step.questions:
        if question.key in answered and not question.applies(merged):
            problems = [e for e in problems if _key(e) != question.key]
            problems.append(_not_asked(question))
    order = {key: index for index, key in enumerate(step.keys)}
    return sorted(problems, key=lambda e: order.get(_key(e), len(order)))


def _not_asked(question: Question) -> FieldError:
    """An answer to a question its condition does not ask (only without the page script)."""
    assert question.show_if is not None and question.condition is not None
    depends = QUESTIONS[question.show_if.depends_on].label
    return FieldError(
        question.key, "answered_not_asked", {"condition": question.condition, "depends": depends}
    )


def _valid_part(
    step: Step,
    stored: dict[str, Any],
    raw: dict[str, Any],
    problems: list[FieldError],
    ctx: Any,
) -> dict[str, Any]:
    """The draft's answers with this step's valid answers taken and its refused ones left
    as they were stored. An answer that is valid alone but contradicts one left as stored
    (a minimum above the stored maximum) is left as stored too; when no single answer is
    to blame, the step stays as it was."""

    def clashes(refused: set[str]) -> tuple[dict[str, Any], set[str]]:
        kept = {k: v for k, v in raw.items() if k not in refused}
        kept.update({k: stored[k] for k in refused if k in stored})
        merged = merge_step(stored, step, kept)
        result = validate(merged, ctx, complete=False, strict=False, only=step.keys)
        bad = {_key(e) for e in result.errors}
        bad |= {q.key for q in step.questions if q.key in merged and not q.applies(merged)}
        return merged, bad

    refused = {_key(e) for e in problems}
    merged, bad = clashes(refused)
    refused |= bad
    candidates = [None, *(k for k in step.keys if k in raw and k not in refused)]
    for extra in candidates:
        merged, bad = clashes(refused | ({extra} if extra else set()))
        if not bad:
            return validate(merged, ctx, complete=False, strict=False).answers
    return stored


@dataclass(frozen=True)
class Change:
    """The API's change of an incident's answers (a key with None removes the answer)."""

    answers: Mapping[str, Any]
    bases: list[int]  # the versions the change says it is based on
    bad_bases: list[FieldError]  # those that could not be read
    submit: bool = False  # a draft: submit it too
    note: str = ""  # a correction: what changed and why
    errors: list[FieldError] = field(default_factory=list)  # found in the request already


def update(
    engine: Engine,
    user: CurrentUser,
    settings: Settings,
    incident_id: uuid.UUID,
    change: Change,
) -> IncidentView:
    """The API's change of answers: a draft saved (and submitted when asked), a
    submitted incident corrected (the result complete): one new version. The problems
    of the request and of the answers are listed together (FormInvalid)."""
    with _changing(engine, user, incident_id, change.bases, change.bad_bases) as (
        session,
        incident,
    ):
        ctx = service.validation_context(session, settings)
        answers = change.answers
        unknown = [FieldError(str(k)[:80], "unknown_key") for k in answers if k not in QUESTIONS]
        merged = {k: v for k, v in {**incident.answers, **answers}.items() if v is not None}
        submitting = change.submit or incident.status != IncidentStatus.draft
        result = validate(merged, ctx, complete=submitting, strict=True)
        known = [e for e in result.errors if e.code != "unknown_key"]
        if problems := change.errors + unknown + known:
            raise FormInvalid(problems)
        _write(session, incident, user, result.answers, note=change.note, via="api", step=None)
        if change.submit and incident.status == IncidentStatus.draft:
            _submit(session, incident, user, ctx, via="api")
        return view_of(session, user, incident)


def _key(error: FieldError) -> str:
    """The question an error is about (a date part's id names its question first)."""
    return error.field.split("-")[0]


# --- the questionnaire's pages ----------------------------------------------------------


def step_of(step_key: str) -> Step:
    step = STEP_BY_KEY.get(step_key)
    if step is None:
        raise NotFound()
    return step


@dataclass
class TaskList:
    incident: Incident
    states: list[tuple[Step, str]]


def task_list(
    engine: Engine, user: CurrentUser, settings: Settings, incident_id: uuid.UUID
) -> TaskList:
    """Each step of the questionnaire with its state (not started, in progress, completed)."""
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        ctx = service.validation_context(session, settings)
    return TaskList(incident, [(step, step_state(step, incident.answers, ctx)) for step in STEPS])


SAVED_MEANWHILE = Text(
    "Someone else was saving a change to this incident at the same moment, so yours was "
    "not saved. What you typed is below: check it and save again.",
    "Iemand anders sloeg op hetzelfde moment een wijziging van dit incident op, daarom is "
    "de uwe niet opgeslagen. Wat u typte staat hieronder: controleer het en sla opnieuw op.",
)


@dataclass
class StepForm:
    """What a step's form shows: the incident, the step, the values of its fields (stored,
    or what was typed), the controllers to choose from and the processor's country."""

    incident: Incident
    step: Step
    values: dict[str, Any]
    controllers: list[Organisation]
    home_country: str
    conflict: str = ""  # why a change was not saved (a 409), for the top of the form


def step_form(
    engine: Engine,
    user: CurrentUser,
    settings: Settings,
    incident_id: uuid.UUID,
    step_key: str,
    typed: Mapping[str, Any] | None = None,
    *,
    conflicted: bool = False,
    base_version: int | None = None,
) -> StepForm:
    """A step's form: with the stored answers, or again with what was ``typed``. After a
    change that another one beat (``conflicted``), ``conflict`` says which: the incident
    moved on from ``base_version``, or was being saved at the same moment."""
    step = step_of(step_key)
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        ctx, by_slug = service.filing_context(session, settings)
    controllers = sorted(by_slug.values(), key=lambda o: o.name.lower())
    values = (
        fields.form_values(step, incident.answers, zone_of_reader(settings.zone))
        if typed is None
        else dict(typed)
    )
    if typed is None and step.key == "controllers":
        values["controller_group"] = list(incident.controller_groups)
    if not conflicted:
        return StepForm(incident, step, values, controllers, ctx.home_country)
    moved = incident.status != IncidentStatus.draft and base_version not in {
        None,
        incident.version,
    }
    conflict = _moved_on(incident.version) if moved else SAVED_MEANWHILE.get(current_language.get())
    return StepForm(incident, step, values, controllers, ctx.home_country, conflict)


def _moved_on(version: int) -> str:
    return _(
        "Someone else saved a change to this incident while you were editing: it "
        "is now at version %(version)s. What you typed is below and not saved yet. "
        "Check it against the incident as it is now, then save again."
    ) % {"version": version}


@dataclass
class Check:
    incident: Incident
    names: dict[str, str]  # the controllers' names by slug


def check(engine: Engine, user: CurrentUser, incident_id: uuid.UUID) -> Check:
    """ "Check your answers": the incident and the names of the controllers."""
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        by_slug = service.controllers_by_slug(session)
    return Check(incident, {slug: org.name for slug, org in by_slug.items()})


# --- the incident page and what hangs off it --------------------------------------------


ACTION_LABELS = {
    "incident.created": ("Report started", "Melding begonnen"),
    "incident.step_saved": ("Answers saved", "Antwoorden opgeslagen"),
    "incident.submitted": ("Submitted", "Ingediend"),
    "incident.corrected": ("Corrected or supplemented", "Gecorrigeerd of aangevuld"),
    "incident.viewed": ("Viewed by the privacy officer", "Bekeken door de privacyfunctionaris"),
    "notice.sent": (
        "Notice sent to a controller",
        "Melding verzonden aan een verwerkingsverantwoordelijke",
    ),
    "notice.viewed": (
        "Notice viewed by the privacy officer",
        "Melding bekeken door de privacyfunctionaris",
    ),
    "notice.acknowledged": ("Receipt acknowledged", "Ontvangst bevestigd"),
    "notice.question": ("Question asked", "Vraag gesteld"),
    "notice.answer": ("Question answered", "Vraag beantwoord"),
    "notice.decided": ("Decision recorded", "Besluit vastgelegd"),
    "notice.assessment_overridden": (
        "Severity assessed by the officer",
        "Ernst ingeschat door de privacyfunctionaris",
    ),
    "notice.letter_saved": ("Letter to the persons saved", "Brief aan de betrokkenen opgeslagen"),
    "obligation.met": ("Duty recorded as met", "Plicht vastgelegd als nagekomen"),
    "obligation.late_reason": ("Reason for a delay recorded", "Reden voor vertraging vastgelegd"),
    "incident.closed": ("Closed", "Gesloten"),
    "incident.reopened": ("Reopened", "Heropend"),
}


def _audit_trail(session: Session, incident_id: uuid.UUID) -> list[dict[str, Any]]:
    language = current_language.get()
    trail = []
    for event, actor in service.audit_events(session, incident_id):
        en, nl = ACTION_LABELS.get(event.action, (event.action, event.action))
        detail = event.details
        fields = [
            QUESTIONS[k].label.get(language) for k in detail.get("fields", []) if k in QUESTIONS
        ]
        trail.append(
            {
                "at": event.at,
                "action": nl if language == "nl" else en,
                "actor": actor.name if actor else "—",
                "fields": fields,
                "version": detail.get("version"),
                "via": detail.get("via"),
            }
        )
    return trail


def _record_view(session: Session, user: CurrentUser, incident: Incident, via: str) -> None:
    """An officer reading an incident is recorded (the processor sees who read what)."""
    if user.is_staff:
        return
    details = {"via": via} if via != "web" else {}
    audit.on_incident(
        session, user, "incident.viewed", incident.id, user.organisation_id, **details
    )


def get(engine: Engine, user: CurrentUser, incident_id: uuid.UUID) -> IncidentView:
    """One incident as the API shows it (an officer's reading is recorded)."""
    with session_scope(engine, write=not user.is_staff) as session:
        incident = service.visible_incident(session, user, incident_id)
        _record_view(session, user, incident, "api")
        return view_of(session, user, incident)


@dataclass
class Deadlines:
    incident: Incident
    current: Pairs  # the notices not removed, with their controllers
    obligations: list[Obligation]
    now: datetime


def _deadlines(
    session: Session, user: CurrentUser, incident: Incident, pairs: Pairs, now: datetime
) -> Deadlines:
    current = [(n, o) for n, o in pairs if n.removed_at is None]
    obligations = service.obligations_of(session, user, incident, now, notices=pairs)
    return Deadlines(incident, current, obligations, now)


def deadlines(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, now: datetime
) -> Deadlines:
    """The duties of one incident and their clocks (the live countdowns)."""
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        pairs = service.notices_of(session, user, incident.id)
        return _deadlines(session, user, incident, pairs, now)


@dataclass
class IncidentPage:
    incident: Incident
    notices: Pairs
    answers: dict[str, Any]
    versions: list[IncidentVersion]
    authors: dict[int, str]
    trail: list[dict[str, Any]]  # staff only
    deadlines: Deadlines
    batch: batches.Progress | None = None  # staff: the last "send to all", as it stands
    on_the_way: frozenset[uuid.UUID] = frozenset()  # staff: notices waiting in a batch
    tasks: list[Any] = field(default_factory=list)  # staff: the action plan (TaskView)
    owners: list[tuple[str, str]] = field(default_factory=list)  # staff: (e-mail, name)
    evidence: list[Any] = field(default_factory=list)  # the files this user may see


def page(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, now: datetime
) -> IncidentPage | None:
    """The incident page: answers, notices, versions, the timeline, and for staff the
    audit trail; None for a draft (it has its task list instead). An officer's reading
    is recorded."""
    with session_scope(engine, write=not user.is_staff) as session:
        incident = service.visible_incident(session, user, incident_id)
        if incident.status == IncidentStatus.draft:
            return None
        pairs = service.notices_of(session, user, incident.id)
        versions = service.versions_of(session, incident.id)
        authors = service.user_names(session, {v.created_by_id for v in versions})
        _record_view(session, user, incident, "web")
        return IncidentPage(
            incident,
            notices=pairs,
            answers=service.answers_for(user, incident.answers),
            versions=versions,
            authors=authors,
            trail=_audit_trail(session, incident.id) if user.is_staff else [],
            deadlines=_deadlines(session, user, incident, pairs, now),
            batch=batches.latest(session, incident.id) if user.is_staff else None,
            on_the_way=batches.on_the_way(session, incident.id) if user.is_staff else frozenset(),
            tasks=tasks.of_incident(session, incident.id) if user.is_staff else [],
            owners=[(u.email, u.name) for u in tasks.owners(session)] if user.is_staff else [],
            evidence=evidence.visible(session, user, incident),
        )


def due_minute(at: datetime | None) -> str:
    """A due time to the minute, as a group of alike duties names it (UTC)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if at else ""


@dataclass(frozen=True)
class LateReasons:
    """What became of one reason for several late duties: ``recorded`` (the controllers'
    names, in name order); ``explained`` when a reason was recorded meanwhile for some of
    them (their names; nothing was written); ``not_late`` when none of them is late (any
    more); or ``invalid`` with the field at fault (``reason``: none, or longer than 4000;
    ``duty``: none chosen)."""

    outcome: str
    recorded: list[str] = field(default_factory=list)
    field: str = ""


def record_late_reasons(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    duties: list[tuple[str, str]],
    reason: str,
    groups: list[tuple[str, str]] | None = None,
) -> LateReasons:
    """One reason why one or more duties were (or are) late (Art. 33(1)): the processor's
    duty to many controllers explained at once by staff; a controller's own duties by its
    privacy officer. All or nothing, in one transaction; a duty this principal cannot see
    is NotFound, one it does not owe NotAllowed; one not late (any more) is passed over."""
    reason = clean_text(reason)
    if not duties and not groups:
        return LateReasons("invalid", field="duty")
    if not reason or len(reason) > 4000:
        return LateReasons("invalid", field="reason")
    with session_scope(engine, write=True) as session:
        incident = service.visible_incident(session, user, incident_id, lock=True)
        pairs = {org.slug: (n, org) for n, org in service.notices_of(session, user, incident.id)}
        obligations = {
            (o.controller, o.key): o for o in service.obligations_of(session, user, incident)
        }
        # A group stands for every duty of that kind due in that minute still without a
        # reason (the page offers groups when many controllers are late).
        wanted = set(groups or [])
        duties = list(duties) + [
            (o.controller, o.key)
            for o in obligations.values()
            if (o.key, due_minute(o.due_at)) in wanted and o.late and not o.late_reason
        ]
        if not duties:
            return LateReasons("not_late")
        late: list[tuple[Notice, Organisation, str]] = []
        explained: list[str] = []
        for controller, key in dict.fromkeys(duties):
            obligation = obligations.get((controller, key))
            if controller not in pairs or obligation is None:
                raise NotFound()
            owner = (
                user.is_staff if key == "processor_notice" else user.organisation_slug == controller
            )
            if not owner:
                raise NotAllowed("Only the party that owes this duty explains its delay")
            notice, org = pairs[controller]
            if obligation.late and obligation.late_reason:
                explained.append(org.name)
            elif obligation.late:
                late.append((notice, org, key))
        if explained:  # someone else gave a reason meanwhile: theirs stands, nothing is written
            return LateReasons("explained", sorted(set(explained), key=str.lower))
        for notice, _org, key in late:
            service.record_late_reason(session, notice, key, reason, user)
        recorded = [org.name for _notice, org, _key in late]
    if not recorded:
        return LateReasons("not_late")
    return LateReasons("recorded", sorted(set(recorded), key=str.lower))


# --- the incident's life ------------------------------------------------------------------


def for_staff(session: Session, user: CurrentUser, incident_id: uuid.UUID) -> Incident:
    """The incident, locked for a change only staff make: NotFound when this principal may
    not see it, then NotFound for an officer (the act does not exist for them) and
    NotAllowed for any other role."""
    incident = service.visible_incident(session, user, incident_id, lock=True)
    if not user.is_staff:
        raise NotFound() if user.is_officer else NotAllowed()
    return incident


def delete_draft(engine: Engine, user: CurrentUser, incident_id: uuid.UUID, via: str) -> None:
    """Delete a draft (staff); a submitted incident: Conflict (409)."""
    with session_scope(engine, write=True) as session:
        service.delete_draft(session, for_staff(session, user, incident_id), user, via=via)


def close(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    body: Mapping[str, Any],
    *,
    via: str,
) -> IncidentView:
    """Close a submitted incident (staff) with ``body``'s ``note`` and, while duties are
    open, ``with_open_duties`` true. Invalid names every problem of the body; another
    state than submitted: Conflict."""
    with session_scope(engine, write=True) as session:
        incident = for_staff(session, user, incident_id)
        given = read_fields(body, {"note": "", "with_open_duties": False})
        service.close(
            session,
            incident,
            user,
            given["note"],
            with_open_duties=given["with_open_duties"],
            via=via,
        )
        return view_of(session, user, incident)


def reopen(engine: Engine, user: CurrentUser, incident_id: uuid.UUID, via: str) -> IncidentView:
    """Reopen a closed incident (staff); another state: Conflict."""
    with session_scope(engine, write=True) as session:
        incident = for_staff(session, user, incident_id)
        service.reopen(session, incident, user, via=via)
        return view_of(session, user, incident)


@dataclass
class VersionPage:
    incident: Incident
    version: IncidentVersion
    author: str
    answers: dict[str, Any]
    names: dict[str, str]  # the controllers' names by slug


def version(engine: Engine, user: CurrentUser, incident_id: uuid.UUID, number: int) -> VersionPage:
    """One saved version of the answers, as this principal may see them."""
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        found = service.version_of(session, incident.id, number)
        author = service.user_names(session, {found.created_by_id}).get(found.created_by_id)
        names = _names(session, user, incident)
    answers = service.answers_for(user, found.answers)
    return VersionPage(incident, found, author or "—", answers, names)


def _names(session: Session, user: CurrentUser, incident: Incident) -> dict[str, str]:
    return {org.slug: org.name for _n, org in service.notices_of(session, user, incident.id)}


@dataclass
class Changes:
    incident: Incident
    old: IncidentVersion
    new: IncidentVersion
    old_answers: dict[str, Any]
    new_answers: dict[str, Any]
    numbers: list[int]
    names: dict[str, str]


def changes(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    old_number: str | None = None,
    new_number: str | None = None,
) -> Changes:
    """What changed between two versions (as typed in the query; by default the one
    before the current version and the current one); NotFound for a version not there."""
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        versions = {v.version: v for v in service.versions_of(session, incident.id)}
        names = _names(session, user, incident)
    old = _pick(versions, old_number, incident.version - 1)
    new = _pick(versions, new_number, incident.version)
    if old is None or new is None:
        raise NotFound()
    old_answers = service.answers_for(user, old.answers)
    new_answers = service.answers_for(user, new.answers)
    return Changes(incident, old, new, old_answers, new_answers, sorted(versions), names)


def _pick(
    versions: dict[int, IncidentVersion], text: str | None, default: int
) -> IncidentVersion | None:
    number = default if text is None else whole_number(text)
    return None if number is None else versions.get(number)
