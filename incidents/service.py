"""Incidents: drafts, submission, corrections, who may see what. The only place that
writes incidents; every change is audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from forms.answers import changed_keys, validate
from forms.questionnaire import STEP_OF_QUESTION
from forms.values import (
    CORRECTION_NOTE_MAX,
    TEXT_MAX,
    Context,
    FieldError,
    clean_text,
    parse_instant,
)
from incidents import audit, authorities, visibility
from incidents.db import upsert_insert
from incidents.errors import Conflict, Invalid, NotFound, Problem
from incidents.i18n import gettext as _
from incidents.models import (
    AuditEvent,
    Incident,
    IncidentStatus,
    IncidentVersion,
    Notice,
    ObligationRecord,
    Organisation,
    OrgKind,
    ReferenceCounter,
    User,
    utcnow,
)
from incidents.principal import CurrentUser
from incidents.settings import Settings
from notify.obligations import (
    ControllerFacts,
    Decision,
    IncidentFacts,
    Obligation,
    evaluate,
    owed,
    unmet,
    urgency,
)


class IncidentError(Conflict, ValueError):
    """The incident is not in a state that allows this."""


class VersionConflict(IncidentError):
    """The change was based on a version of the incident that is no longer the current
    one: someone else saved in between. ``current`` is the version it is at now."""

    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(f"the incident is at version {current}")


def check_version(incident: Incident, base_version: int | None) -> None:
    """Refuse a change based on another version than the current one (None: not said)."""
    if base_version is not None and base_version != incident.version:
        raise VersionConflict(incident.version)


def controllers_by_slug(session: Session) -> dict[str, Organisation]:
    rows = session.exec(select(Organisation).where(Organisation.kind == OrgKind.controller)).all()
    return {org.slug: org for org in rows}


def validation_context(
    session: Session, settings: Settings, now: datetime | None = None
) -> Context:
    return filing_context(session, settings, now)[0]


def filing_context(
    session: Session, settings: Settings, now: datetime | None = None
) -> tuple[Context, dict[str, Organisation]]:
    """What validation needs, and the controllers by slug, from one query."""
    orgs = session.exec(select(Organisation)).all()
    processor = next((o for o in orgs if o.kind == OrgKind.processor), None)
    controllers = {o.slug: o for o in orgs if o.kind == OrgKind.controller}
    context = Context(
        now=now or utcnow(),
        zone=settings.zone,
        home_country=processor.country if processor else "NL",
        controllers=frozenset(controllers),
    )
    return context, controllers


# --- who may see what -----------------------------------------------------------------

# SELECT … FOR NO KEY UPDATE (PostgreSQL): see visible_incident.
INCIDENT_LOCK = {"key_share": True}


def visible_incident(
    session: Session, user: CurrentUser, incident_id: uuid.UUID | str, *, lock: bool = False
) -> Incident:
    """The incident if this user may see it; otherwise NotFound, exactly as for a missing id.

    Staff see every incident. An officer sees a submitted incident once the processor has
    sent their controller its notice (the processor reviews before anyone else reads).

    ``lock``: for a change, read the row with SELECT … FOR NO KEY UPDATE, so that a
    second change of the same incident waits for this transaction and then reads what it
    wrote (PostgreSQL; on SQLite the write transaction, BEGIN IMMEDIATE, already
    serialises writers).

    Not FOR UPDATE: that lock also refuses the KEY SHARE lock PostgreSQL takes on the
    incident row to check the foreign key of every row inserted that refers to it (an
    outbox message, an audit event). A correction holds the incident and then updates the
    incident's notices (their reminder schedule, signals.py; sync_notices), while a send,
    a decision or the reminder worker updates a notice and then inserts such a row: with
    FOR UPDATE each would wait for the other (deadlock detected). FOR NO KEY UPDATE still
    makes changes of the incident take turns, and lets those inserts through."""
    try:
        key = incident_id if isinstance(incident_id, uuid.UUID) else uuid.UUID(str(incident_id))
    except ValueError:
        raise NotFound() from None
    incident = session.get(Incident, key, with_for_update=INCIDENT_LOCK if lock else None)
    if incident is None:
        raise NotFound()
    if not visibility.may_see_incident(session, user, incident):
        raise NotFound()
    if lock:
        _lock_notices(session, incident.id)
    return incident


def _lock_notices(session: Session, incident_id: uuid.UUID) -> None:
    """Lock the incident's notices too, in the order of their ids, right after the
    incident: a change of the incident may update every one of them (their reminder
    schedule, a controller added or removed), and a transaction that updates several
    rows waits for whoever holds each. Taken in one order by every change of the
    incident, and before anything else is written, they cannot be taken crosswise."""
    session.exec(
        select(col(Notice.id))
        .where(col(Notice.incident_id) == incident_id)
        .order_by(col(Notice.id))
        .with_for_update(key_share=INCIDENT_LOCK["key_share"])
    ).all()


# PostgreSQL's SQLSTATEs of a transaction that lost a race for rows: deadlock detected,
# could not serialize, lock not available. SQLite's "database is locked" (SQLITE_BUSY)
# and "database table is locked" (SQLITE_LOCKED).
LOCK_CONFLICT_STATES = frozenset({"40P01", "40001", "55P03"})
SQLITE_BUSY_OR_LOCKED = frozenset({5, 6})


def lock_conflict(exc: BaseException) -> bool:
    """Whether a database error says only that another transaction was changing the same
    rows at the same moment (nothing was saved; the same request sent again will do), as
    opposed to a fault. The pages and the API answer it with 409."""
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    if getattr(original, "sqlstate", None) in LOCK_CONFLICT_STATES:
        return True
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in SQLITE_BUSY_OR_LOCKED
    return "database is locked" in str(original)


def officer_notice(session: Session, user: CurrentUser, incident_id: uuid.UUID) -> Notice | None:
    """The officer's own notice of this incident, if they may see it."""
    return session.exec(
        select(Notice).where(Notice.incident_id == incident_id, visibility.notice_clause(user))
    ).first()


def notices_of(
    session: Session,
    user: CurrentUser,
    incident_id: uuid.UUID,
    slugs: Sequence[str] | None = None,
) -> list[tuple[Notice, Organisation]]:
    """The notices of an incident with their controllers (of ``slugs`` only, when given:
    a worker sending one notice of a thousand reads one); an officer gets only their own."""
    query = (
        select(Notice, Organisation)
        .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
        .where(Notice.incident_id == incident_id)
        .order_by(Organisation.name)
    )
    if slugs is not None:
        query = query.where(col(Organisation.slug).in_(list(slugs)))
    if not user.is_staff:
        query = query.where(Notice.controller_id == user.organisation_id)
    return list(session.exec(query).all())


def notices_after(
    session: Session, user: CurrentUser, incident_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[Notice, Organisation]]:
    """A page of the incident's notices (not removed) in controller slug order: at most
    ``limit`` after the slug ``after``; an officer gets only their own."""
    query = (
        select(Notice, Organisation)
        .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
        .where(Notice.incident_id == incident_id, col(Notice.removed_at).is_(None))
    )
    if after is not None:
        query = query.where(col(Organisation.slug) > after)
    if not user.is_staff:
        query = query.where(Notice.controller_id == user.organisation_id)
    return list(session.exec(query.order_by(col(Organisation.slug)).limit(limit)).all())


def answers_for(user: CurrentUser, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers (of an incident or a version) as this user may see them: an officer sees
    no other controllers."""
    answers = dict(answers)
    if not user.is_staff and "controllers" in answers:
        answers["controllers"] = [s for s in answers["controllers"] if s == user.organisation_slug]
    return answers


# --- writing ----------------------------------------------------------------------------


def _copy_columns(incident: Incident) -> None:
    answers = incident.answers
    incident.summary = str(answers.get("summary") or "")
    incident.discovered_at = (
        parse_instant(answers["discovered_at"]) if answers.get("discovered_at") else None
    )
    incident.affected_max = answers.get("affected_max")


def _wanted(incident: Incident, controllers: Mapping[str, Organisation]) -> list[int]:
    """The ids of the controllers the incident's answers name, in their order."""
    ids = [
        org.id
        for slug in incident.answers.get("controllers", [])
        if (org := controllers.get(slug)) is not None and org.id is not None
    ]
    return list(dict.fromkeys(ids))


def sync_notices(
    session: Session,
    incident: Incident,
    controllers: Mapping[str, Organisation],
    notices: Iterable[Notice] | None = None,
) -> None:
    """One notice per affected controller. A controller taken off a draft loses its
    notice; one taken off a submitted incident keeps it, marked removed. ``notices``:
    the incident's notices when the caller knows them (a new incident has none)."""
    wanted = _wanted(incident, controllers)
    if notices is None:
        notices = session.exec(select(Notice).where(col(Notice.incident_id) == incident.id))
    existing = {n.controller_id: n for n in notices}
    now = utcnow()
    for controller_id, notice in existing.items():
        if controller_id in wanted:
            if notice.removed_at is not None:
                notice.removed_at = None
                session.add(notice)
        elif incident.status == IncidentStatus.draft and notice.sent_at is None:
            session.delete(notice)
        elif notice.removed_at is None:
            notice.removed_at = now
            session.add(notice)
    for controller_id in wanted:
        if controller_id not in existing:
            session.add(Notice(incident_id=incident.id, controller_id=controller_id))


def create_draft(
    session: Session,
    user: CurrentUser,
    answers: Mapping[str, Any] | None = None,
    *,
    via: str = "web",
    controllers: Mapping[str, Organisation] | None = None,
    groups: Sequence[str] = (),
) -> Incident:
    """A new draft with these answers (none: an empty one) and its notices.
    ``controllers``: the controllers by slug when the caller has them; ``groups``: the
    controller groups they were chosen by."""
    incident = _new_incident(user, answers or {}, groups)
    _copy_columns(incident)
    session.add(incident)
    session.flush()  # the rows that refer to it come after it
    sync_notices(session, incident, _controllers(session, controllers), notices=[])
    audit.on_incident(session, user, "incident.created", incident.id, via=via)
    return incident


def file(
    session: Session,
    user: CurrentUser,
    answers: Mapping[str, Any],
    ctx: Context,
    controllers: Mapping[str, Organisation],
    *,
    via: str,
    groups: Sequence[str] = (),
) -> tuple[Incident, list[tuple[Notice, Organisation]]]:
    """A new incident submitted at once (the API without ``draft``), its answers checked
    complete by the caller: the same submission as :func:`submit` (``_submission``, the
    first version, the audit events), but its rows are written as plain INSERTs, parents
    first, since nothing needs to be read back: filing is the hot write path. Returns the
    incident and its notices with their controllers (by name)."""
    incident = _new_incident(user, answers, groups)
    at = _submission(session, incident, user, ctx, incident.answers)
    _copy_columns(incident)
    by_id = {org.id: org for org in controllers.values()}
    notices = [
        Notice(incident_id=incident.id, controller_id=org_id, created_at=at)
        for org_id in _wanted(incident, controllers)
    ]
    insert_rows(
        session,
        [incident],
        notices,
        [_first_version(incident, user, at)],
        [
            audit.incident_event(user, "incident.created", incident.id, via=via),
            _submitted_event(incident, user, via),
        ],
    )
    pairs = [(n, by_id[n.controller_id]) for n in notices]
    return incident, sorted(pairs, key=lambda pair: pair[1].name)


def insert_rows(session: Session, *groups: list[Any]) -> None:
    """Model instances as plain INSERTs, one statement per group, in the order given
    (the rows others refer to first). An id the database assigns is left to it."""
    for rows in groups:
        if rows:
            table = rows[0].__table__
            values = [
                {
                    c.key: getattr(row, c.key)
                    for c in table.columns
                    if not (c.primary_key and getattr(row, c.key) is None)
                }
                for row in rows
            ]
            session.execute(insert(table), values)


def _new_incident(
    user: CurrentUser, answers: Mapping[str, Any], groups: Sequence[str] = ()
) -> Incident:
    return Incident(
        answers=dict(answers),
        created_by_id=user.id,
        updated_by_id=user.id,
        controller_groups=list(groups),
    )


def _controllers(
    session: Session, controllers: Mapping[str, Organisation] | None
) -> Mapping[str, Organisation]:
    return controllers_by_slug(session) if controllers is None else controllers


def save_draft(
    session: Session,
    incident: Incident,
    answers: Mapping[str, Any],
    user: CurrentUser,
    *,
    step: str | None,
    via: str = "web",
) -> list[str]:
    """Replace the answers of a draft; returns the keys that changed."""
    if incident.status != IncidentStatus.draft:
        raise IncidentError("only a draft is saved this way; a submitted incident is corrected")
    changed = changed_keys(incident.answers, answers)
    incident.answers = dict(answers)
    incident.updated_at = utcnow()
    incident.updated_by_id = user.id
    _copy_columns(incident)
    session.add(incident)
    sync_notices(session, incident, controllers_by_slug(session))
    audit.on_incident(
        session, user, "incident.step_saved", incident.id, step=step, fields=changed, via=via
    )
    return changed


def _next_reference(session: Session, year: int) -> int:
    statement = (
        upsert_insert(session, ReferenceCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last": ReferenceCounter.last + 1})
        .returning(ReferenceCounter.last)
    )
    return int(session.execute(statement).scalar_one())


def submit(
    session: Session,
    incident: Incident,
    user: CurrentUser,
    ctx: Context,
    *,
    via: str = "web",
    controllers: Mapping[str, Organisation] | None = None,
) -> list[FieldError]:
    """Check everything and submit a draft saved step by step: reference, submission time,
    version 1. Returns the problems (nothing is changed then). ``controllers``: the
    controllers by slug when the caller has them."""
    if incident.status != IncidentStatus.draft:
        raise IncidentError("this incident has already been submitted")
    result = validate(incident.answers, ctx, complete=True, strict=False)
    if result.errors:
        return result.errors
    at = _submission(session, incident, user, ctx, result.answers)
    _copy_columns(incident)
    session.add(incident)
    sync_notices(session, incident, _controllers(session, controllers))
    session.add(_first_version(incident, user, at))
    session.add(_submitted_event(incident, user, via))
    return []


def _submission(
    session: Session,
    incident: Incident,
    user: CurrentUser,
    ctx: Context,
    answers: Mapping[str, Any],
) -> datetime:
    """What submitting makes of an incident whose answers are complete: its reference
    (the next of the year in the processor's zone), the submission time (returned),
    version 1."""
    now = utcnow()
    year = now.astimezone(ctx.zone).year
    number = _next_reference(session, year)
    incident.reference_year, incident.reference_number = year, number
    incident.reference = f"INC-{year}-{number:04d}"
    incident.answers = dict(answers)
    incident.status = IncidentStatus.submitted
    incident.submitted_at = now
    incident.updated_at = now
    incident.updated_by_id = user.id
    incident.version = 1
    return now


def _first_version(incident: Incident, user: CurrentUser, at: datetime) -> IncidentVersion:
    """The submitted answers as version 1."""
    return IncidentVersion(
        incident_id=incident.id,
        version=1,
        answers=incident.answers,
        kind="submitted",
        created_by_id=user.id,
        created_at=at,
    )


def _submitted_event(incident: Incident, user: CurrentUser, via: str) -> AuditEvent:
    return audit.incident_event(
        user, "incident.submitted", incident.id, reference=incident.reference, via=via
    )


# --- the incident's life: delete a draft, close, reopen --------------------------------

NOTE_MAX = TEXT_MAX  # a closing note


def delete_draft(session: Session, incident: Incident, user: CurrentUser, *, via: str) -> None:
    """Delete a draft: its answers, draft versions and notices go (nothing of it was ever
    sent); its row stays, empty, for the audit log, and is seen by nobody. A submitted
    incident is never deleted (Art. 33(5): it stays documented): IncidentError."""
    if incident.status != IncidentStatus.draft:
        raise IncidentError(
            _("Only a draft can be deleted; a submitted incident stays documented: close it.")
        )
    for notice in session.exec(select(Notice).where(col(Notice.incident_id) == incident.id)):
        session.delete(notice)
    versions = select(IncidentVersion).where(col(IncidentVersion.incident_id) == incident.id)
    for version in session.exec(versions):
        session.delete(version)
    now = utcnow()
    incident.answers = {}
    _copy_columns(incident)
    incident.deleted_at = incident.updated_at = now
    incident.updated_by_id = user.id
    session.add(incident)
    audit.on_incident(session, user, "incident.deleted", incident.id, via=via)


def open_duties(session: Session, user: CurrentUser, incident: Incident) -> list[Obligation]:
    """The duties of the incident not met yet (running, overdue, or not started)."""
    return unmet(obligations_of(session, user, incident))


def close(
    session: Session,
    incident: Incident,
    user: CurrentUser,
    note: str,
    *,
    with_open_duties: bool,
    via: str,
) -> None:
    """Close a submitted incident with a closing note. While a duty is still open the
    closing is refused unless ``with_open_duties`` says the note explains why (Invalid
    names the field; ``open_duties`` lists them for the message)."""
    if incident.status != IncidentStatus.submitted:
        raise IncidentError(_("Only a submitted incident can be closed."))
    text = clean_text(note).strip()
    problems = []
    if not text or len(text) > NOTE_MAX:
        message = _("Write the closing note: what was done and why the incident is closed.")
        if len(text) > NOTE_MAX:
            message = _("Keep the closing note to %(max)s characters.") % {"max": NOTE_MAX}
        problems.append(Problem("note", message))
    if open_duties(session, user, incident) and not with_open_duties:
        problems.append(
            Problem(
                "with_open_duties",
                _(
                    "Duties are still open. Close only if the note says why they are left "
                    "open, and confirm it here."
                ),
            )
        )
    if problems:
        raise Invalid(problems)
    now = utcnow()
    incident.status = IncidentStatus.closed
    incident.closed_at = incident.updated_at = now
    incident.closing_note = text
    incident.updated_by_id = user.id
    session.add(incident)
    audit.on_incident(
        session, user, "incident.closed", incident.id, with_open_duties=with_open_duties, via=via
    )


def reopen(session: Session, incident: Incident, user: CurrentUser, *, via: str) -> None:
    """A closed incident is open again (submitted). Its last closing note is kept (a new
    closing replaces it; the audit log has every closing and reopening with its time)."""
    if incident.status != IncidentStatus.closed:
        raise IncidentError(_("Only a closed incident can be reopened."))
    incident.status = IncidentStatus.submitted
    incident.closed_at = None
    incident.updated_at = utcnow()
    incident.updated_by_id = user.id
    session.add(incident)
    audit.on_incident(session, user, "incident.reopened", incident.id, via=via)


def correct(
    session: Session,
    incident: Incident,
    answers: Mapping[str, Any],
    user: CurrentUser,
    *,
    note: str = "",
    via: str = "web",
    base_version: int | None = None,
) -> list[str]:
    """A correction or supplement of a submitted incident (Art. 33(4)): a new version.
    ``answers`` must be complete and valid. Returns the changed keys (none: no version).

    The incident must have been read with ``lock=True`` in this transaction, so that the
    next version number is this one's plus one however many people correct at once.
    ``base_version``: the version the change was made on; another one raises
    VersionConflict (the browser's form and the API's If-Match say it)."""
    if incident.status == IncidentStatus.draft:
        raise IncidentError("a draft is saved, not corrected")
    if incident.status == IncidentStatus.closed:
        raise IncidentError(_("This incident is closed: reopen it to correct or supplement it."))
    check_version(incident, base_version)
    changed = changed_keys(incident.answers, answers)
    if not changed:
        return []
    now = utcnow()
    incident.version += 1
    incident.answers = dict(answers)
    incident.updated_at = now
    incident.updated_by_id = user.id
    _copy_columns(incident)
    session.add(incident)
    session.add(
        IncidentVersion(
            incident_id=incident.id,
            version=incident.version,
            answers=dict(answers),
            kind="correction",
            note=clean_text(note)[:CORRECTION_NOTE_MAX],
            created_by_id=user.id,
            created_at=now,
        )
    )
    sync_notices(session, incident, controllers_by_slug(session))
    steps = sorted({STEP_OF_QUESTION[key].key for key in changed})
    audit.on_incident(
        session,
        user,
        "incident.corrected",
        incident.id,
        version=incident.version,
        fields=changed,
        steps=steps,
        via=via,
    )
    return changed


# --- obligations ------------------------------------------------------------------------


def records_of(
    session: Session, notice_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ObligationRecord]]:
    records: dict[uuid.UUID, list[ObligationRecord]] = {n: [] for n in notice_ids}
    if notice_ids:
        rows = session.exec(
            select(ObligationRecord).where(col(ObligationRecord.notice_id).in_(notice_ids))
        )
        for record in rows:
            records[record.notice_id].append(record)
    return records


def eu_persons(answers: Mapping[str, Any]) -> list[str]:
    """The EU/EEA states of the persons concerned, as the questionnaire answers them."""
    if answers.get("other_eu_countries") != "yes":
        return []
    return [c for c in answers.get("countries") or [] if isinstance(c, str)]


def _abroad(incident: Any) -> bool:
    """Persons in other EU/EEA states: from the answers, or from a register row's column
    (the register reads rows, not the answers)."""
    if isinstance(incident, Incident):
        return bool(eu_persons(incident.answers))
    return bool(getattr(incident, "other_eu_countries", None) == "yes")


def controller_facts(
    notice: Notice, org: Organisation, records: list[ObligationRecord], incident: Any
) -> ControllerFacts:
    lead = authorities.lead_authority(org.country, org.authority)
    abroad = authorities.without_eu_establishment(org.country)
    answers = getattr(incident, "answers", None)  # a register row may not carry them
    persons = eu_persons(answers) if abroad and isinstance(answers, dict) else []
    return ControllerFacts(
        slug=org.slug,
        contract_hours=org.contract_hours,
        nis2=org.nis2,
        notice_delivered_at=notice.delivered_at,
        decision=Decision.from_json(notice.decision),
        acts={r.key: r.met_at for r in records if r.met_at is not None},
        late_reasons={r.key: r.late_reason for r in records if r.late_reason},
        withdrawn=notice.withdrawn_at is not None,
        country=org.country,
        timezone=org.timezone,
        dora=org.dora,
        dora_no_weekend_relief=org.dora_no_weekend_relief,
        authority=lead.key if lead else None,
        eu_persons=_abroad(incident),
        gdpr_authorities=tuple(a.key for a in authorities.to_notify(org.country, None, persons)),
    )


def incident_facts(
    incident: Any, parts: Iterable[tuple[Notice, Organisation, list[ObligationRecord]]]
) -> IncidentFacts:
    """The facts the obligations engine reads, for these controllers of the incident."""
    return IncidentFacts(
        incident.discovered_at,
        [controller_facts(notice, org, records, incident) for notice, org, records in parts],
    )


def owed_by_viewer(user: CurrentUser, obligation: Obligation) -> bool:
    """Staff follow every duty; an officer's list is what their controller owes, not what
    is owed to it."""
    return user.is_staff or obligation.regime.party.startswith("controller")


def obligations_of(
    session: Session,
    user: CurrentUser,
    incident: Incident,
    now: datetime | None = None,
    notices: list[tuple[Notice, Organisation]] | None = None,
    records: dict[uuid.UUID, list[ObligationRecord]] | None = None,
) -> list[Obligation]:
    """Every obligation of the incident, for the controllers this user may see.
    ``notices`` and ``records``: the incident's notices and their records when the caller
    has them already (a new incident has none)."""
    if notices is None:
        notices = notices_of(session, user, incident.id)
    pairs = [(n, o) for n, o in notices if n.removed_at is None]
    if records is None:
        records = records_of(session, [n.id for n, _ in pairs])
    facts = incident_facts(incident, [(n, o, records[n.id]) for n, o in pairs])
    return evaluate(facts, now or utcnow())


def open_obligations(
    session: Session,
    user: CurrentUser,
    *,
    controller_id: int | None = None,
    now: datetime | None = None,
) -> list[tuple[Incident, Organisation, Obligation]]:
    """Every open or overdue duty across the incidents this user may see: overdue first,
    then by due time, then the duties without a due time."""
    now = now or utcnow()
    # The notices with their controllers; each incident read once (not once per notice:
    # one incident has a thousand notices at a SaaS processor).
    query = (
        select(Notice, Organisation)
        .join(Incident, col(Incident.id) == col(Notice.incident_id))
        .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
        .where(col(Notice.removed_at).is_(None), Incident.status != IncidentStatus.closed)
    )
    if not user.is_staff:
        query = query.where(visibility.notice_clause(user), Incident.status != IncidentStatus.draft)
    if controller_id is not None:
        query = query.where(Notice.controller_id == controller_id)
    pairs = list(session.exec(query).all())
    wanted = list({notice.incident_id for notice, _ in pairs})
    incidents = {
        i.id: i for i in session.exec(select(Incident).where(col(Incident.id).in_(wanted))).all()
    }
    rows = [(notice, incidents[notice.incident_id], org) for notice, org in pairs]
    records = records_of(session, [notice.id for notice, _, _ in rows])
    result: list[tuple[Incident, Organisation, Obligation]] = []
    for notice, incident, org in rows:
        facts = incident_facts(incident, [(notice, org, records[notice.id])])
        for obligation in owed(evaluate(facts, now)):
            if owed_by_viewer(user, obligation):
                result.append((incident, org, obligation))
    return sorted(result, key=lambda row: urgency(row[2]))


def record_late_reason(
    session: Session, notice: Notice, key: str, reason: str, user: CurrentUser
) -> None:
    record = session.exec(
        select(ObligationRecord).where(
            ObligationRecord.notice_id == notice.id, ObligationRecord.key == key
        )
    ).first()
    if record is None:
        record = ObligationRecord(notice_id=notice.id, key=key, recorded_by_id=user.id)
    record.late_reason = reason[:4000]
    record.recorded_by_id = user.id
    record.recorded_at = utcnow()
    session.add(record)
    audit.on_incident(
        session,
        user,
        "obligation.late_reason",
        notice.incident_id,
        notice.controller_id,
        obligation=key,
    )


def versions_of(session: Session, incident_id: uuid.UUID) -> list[IncidentVersion]:
    return list(
        session.exec(
            select(IncidentVersion)
            .where(col(IncidentVersion.incident_id) == incident_id)
            .order_by(col(IncidentVersion.version))
        ).all()
    )


def version_of(session: Session, incident_id: uuid.UUID, number: int) -> IncidentVersion:
    """One version of the incident, or NotFound."""
    version = session.exec(
        select(IncidentVersion).where(
            col(IncidentVersion.incident_id) == incident_id,
            col(IncidentVersion.version) == number,
        )
    ).first()
    if version is None:
        raise NotFound()
    return version


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    """The names of these users by id."""
    if not ids:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(ids))).all()
    return {u.id: u.name for u in rows if u.id is not None}


def audit_events(
    session: Session, incident_id: uuid.UUID, limit: int = 200
) -> list[tuple[AuditEvent, User | None]]:
    """The incident's audit trail, newest first, with each event's actor."""
    rows = session.exec(
        select(AuditEvent, User)
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(col(AuditEvent.incident_id) == incident_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    ).all()
    return [(event, actor) for event, actor in rows]
