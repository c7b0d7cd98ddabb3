"""The questionnaire journey, the register, the incident page, versions and exports: each
handler translates HTTP to one call of incidents/usecases/ and its answer back."""

from __future__ import annotations

import csv
import functools
import io
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode

import anyio.to_thread
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from forms.display import answer_changes, answer_sections
from forms.questionnaire import EU_EEA_COUNTRIES, STEP_OF_QUESTION, STEPS, Question, Text
from forms.reading import all_values, read_date
from forms.values import clean_text, whole_number
from forms.words import format_number
from incidents import notices, register, scope, timeline
from incidents.auth import admin_only, staff_only
from incidents.clock import now
from incidents.controllers import api_evidence
from incidents.controllers.common import (
    Config,
    Db,
    Form,
    IncidentId,
    MultiPart,
    Page,
    Principal,
    Req,
    date_field_value,
    done,
    field_errors,
    flash,
    form_problems,
    in_thread,
    labelled,
    lang,
    uploaded_text,
)
from incidents.errors import Conflict, Invalid, Problem
from incidents.i18n import full_stop, ngettext
from incidents.i18n import gettext as _
from incidents.models import Organisation
from incidents.principal import CurrentUser
from incidents.settings import Settings
from incidents.templating import zone_of_reader
from incidents.usecases import evidence as evidence_cases
from incidents.usecases import incidents
from incidents.usecases import notices as incidents_notices
from incidents.usecases import register as register_uc
from incidents.usecases import tasks as task_cases
from incidents.usecases.incidents import FormInvalid, StepForm
from notify.assessment import assessment_of
from notify.obligations import owed, unmet

# --- the register ---------------------------------------------------------------------

TASK_FIELDS = ("title", "owner", "due_at-day", "due_at-month", "due_at-year", "due_at-time")

PAGE_FILTERS = {"q", "status", "controller", "since", "until", "sort"}  # the page's fields
EXPORT_COLUMNS = [
    "reference",
    "status",
    "created_at",
    "submitted_at",
    "discovered_at",
    "controllers",
    "summary",
    "affected_min",
    "affected_max",
    "next_deadline",
]


def _filters(
    settings: Settings, params: Mapping[str, str]
) -> tuple[register.Filters, list[dict[str, Any]]]:
    try:
        return register_uc.filters(zone_of_reader(settings.zone), params), []
    except register.FilterError as exc:
        return register.Filters(), [{"field": exc.field, "message": str(exc)}]


def _register_context(
    params: dict[str, str], found: register_uc.Page, errors: list[dict[str, Any]]
) -> dict[str, Any]:
    page = found.page
    others = {k: v for k, v in params.items() if k != "cursor"}
    return {
        "page": page,
        "now": now(),
        "errors": errors,
        "params": params,
        "dates": {key: date_field_value(params.get(key, "")) for key in ("since", "until")},
        "controllers": found.controllers,
        "statuses": register.STATUSES,
        "sorts": list(register.SORTS),
        "export_query": urlencode(others),
        "next_query": urlencode({**others, "cursor": page.next_cursor})
        if page and page.next_cursor
        else None,
    }


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        value = "'" + value  # never a formula in a spreadsheet
    return value


def _download(body: str, media_type: str, filename: str) -> Response[Any]:
    disposition = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers={"content-disposition": disposition})


def _csv(records: list[dict[str, Any]]) -> Response[Any]:
    buffer = io.StringIO()
    columns = list(records[0]) if records else ["id", *EXPORT_COLUMNS]
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _csv_cell(v) for k, v in record.items()})
    return _download(buffer.getvalue(), "text/csv", "register.csv")  # Litestar adds the charset


def _json(records: list[dict[str, Any]]) -> Response[Any]:
    body = json.dumps({"incidents": records}, ensure_ascii=False, indent=1)
    return _download(body, "application/json", "register.json")


class RegisterController(Controller):
    path = "/incidents"

    @get("/", name="register")
    @in_thread
    def register_view(
        self, request: Req, engine: Db, user: Principal, settings: Config
    ) -> Template:
        params = dict(request.query_params)
        chosen, errors = _filters(settings, params)
        # A page link (the cursor) has no field on the page: its message stands alone.
        errors = [
            {**e, "field": e["field"] if e["field"] in PAGE_FILTERS else None} for e in errors
        ]
        found = register_uc.page(engine, user, None if errors else chosen)
        context = _register_context(params, found, errors)
        return Template(
            "incidents/register.html", status_code=400 if errors else 200, context=context
        )

    @get("/export.csv", name="register_csv")
    @in_thread
    def export_csv(
        self, request: Req, engine: Db, user: Principal, settings: Config
    ) -> Response[Any]:
        return self._export(request, engine, user, settings, "csv")

    @get("/export.json", name="register_json")
    @in_thread
    def export_json(
        self, request: Req, engine: Db, user: Principal, settings: Config
    ) -> Response[Any]:
        return self._export(request, engine, user, settings, "json")

    @staticmethod
    def _export(
        request: Req, engine: Db, user: Principal, settings: Config, fmt: str
    ) -> Response[Any]:
        chosen, errors = _filters(settings, request.query_params)
        if errors:
            return Response({"errors": errors}, status_code=400, media_type="application/json")
        contacts = request.query_params.get("contacts") in {"1", "yes", "true"}
        records = register_uc.export(engine, user, chosen, fmt, contacts=contacts)
        return _json(records) if fmt == "json" else _csv(records)


# --- starting, the task list, the steps, check and submit --------------------------------


def _tasks_page(tasks: incidents.TaskList, errors: list[dict[str, Any]] | None = None) -> Template:
    context = {
        "incident": tasks.incident,
        "states": tasks.states,
        "complete": all(state == "completed" for _, state in tasks.states),
        "done": sum(1 for _, state in tasks.states if state == "completed"),
        "errors": errors or [],
    }
    return Template("incidents/tasks.html", context=context)


def _return_target(value: str | None) -> str | None:
    return value if value in {"check", "incident"} else None


def _base_version(value: Any) -> int | None:
    """The version a correction form was made on (its hidden field): None when the form
    has none; -1, which no incident is at, when it is not a number."""
    if value is None or value == "":
        return None
    number = whole_number(str(value).strip())
    return -1 if number is None else number


def _countries(home_country: str) -> list[tuple[str, str]]:
    others = ((c, name.get(lang())) for c, name in EU_EEA_COUNTRIES.items() if c != home_country)
    return sorted(others, key=lambda item: item[1])


def _conditions(form: StepForm) -> dict[str, dict[str, Any]]:
    """For the page script: which answer reveals which question (from forms' show_if)."""
    return {
        q.key: {"key": q.show_if.depends_on, "values": list(q.show_if.values)}
        for q in form.step.questions
        if q.show_if is not None
    }


def _groups(controllers: list[Organisation]) -> list[tuple[str, int]]:
    """The groups of controllers with how many each has, by name."""
    counts: dict[str, int] = {}
    for org in controllers:
        for group in org.groups:
            counts[group] = counts.get(group, 0) + 1
    return sorted(counts.items(), key=lambda item: item[0].lower())


def _step_template(
    form: StepForm,
    errors: list[dict[str, Any]],
    return_to: str | None,
    note: str = "",
    status_code: int = 200,
    partly_saved: bool = False,
) -> Template:
    index = STEPS.index(form.step)
    context = {
        "incident": form.incident,
        "step": form.step,
        "step_index": index,
        "steps_prev": STEPS[index - 1].key if index > 0 else None,
        "step_count": len(STEPS),
        "values": form.values,
        "errors": ([{"field": None, "message": form.conflict}] if form.conflict else [])
        + labelled(errors),
        "partly_saved": partly_saved,
        "return_to": return_to,
        "note": note,
        "controllers": form.controllers,
        "groups": _groups(form.controllers) if form.step.key == "controllers" else [],
        "countries": _countries(form.home_country),
        "conditions": _conditions(form),
    }
    return Template("incidents/step.html", status_code=status_code, context=context)


def _submit_errors(
    request: Req, incident_id: uuid.UUID, problems: list[Problem]
) -> list[dict[str, Any]]:
    """The problems that stop a submission, each linking to its question's step."""
    reverse = request.app.route_reverse
    return [
        {
            "field": None,
            "href": reverse(
                "incident_step",
                incident_id=incident_id,
                step_key=STEP_OF_QUESTION[p.field.split("-")[0]].key,
            )
            + f"?return=check#{p.field}",
            "message": p.message,
        }
        for p in problems
    ]


class OnIncident(NamedTuple):
    """The database, who asks, the settings and the incident of the path: what an act on
    one incident needs (``it: It``)."""

    engine: Db
    user: CurrentUser
    settings: Settings
    incident_id: uuid.UUID


def provide_on_incident(
    engine: Db, user: Principal, settings: Config, incident_id: IncidentId
) -> OnIncident:
    """``it``: the incident of the path, with who asks."""
    return OnIncident(engine, user, settings, incident_id)


It = NamedDependency[OnIncident]
ON_INCIDENT = {"it": Provide(provide_on_incident, sync_to_thread=False)}


class QuestionnaireController(Controller):
    path = "/incidents"
    guards = [staff_only]
    dependencies = ON_INCIDENT

    @get("/new", name="incident_start", sync_to_thread=False)
    def start_page(self) -> Template:
        return Template("incidents/start.html", context={"steps": STEPS})

    @post("/new", name="incident_create")
    @in_thread
    def start(self, request: Req, engine: Db, user: Principal, settings: Config) -> Redirect:
        view = incidents.create(engine, user, settings)
        url = request.app.route_reverse("incident_tasks", incident_id=view.incident.id)
        return Redirect(url, status_code=303)

    @get("/{incident_id:uuid}/report", name="incident_tasks")
    @in_thread
    def task_list(
        self, engine: Db, user: Principal, settings: Config, incident_id: IncidentId
    ) -> Template:
        return _tasks_page(incidents.task_list(engine, user, settings, incident_id))

    @post("/{incident_id:uuid}/delete", name="incident_delete", status_code=200)
    @in_thread
    def delete(self, request: Req, it: It, data: Form) -> Page:
        """Delete a draft, once the box that says so is ticked."""
        if data.get("confirm") != "yes":
            tasks = incidents.task_list(*it)
            message = _("Tick the box to confirm that this draft and its answers are deleted.")
            return _tasks_page(tasks, [{"field": "confirm", "message": message}])
        incidents.delete_draft(it.engine, it.user, it.incident_id, via="web")
        return done(request, _("The draft has been deleted."), "register")

    @get("/{incident_id:uuid}/report/{step_key:str}", name="incident_step")
    @in_thread
    def step_page(
        self,
        engine: Db,
        user: Principal,
        settings: Config,
        incident_id: IncidentId,
        step_key: FromPath[str],
        return_to: Annotated[str | None, QueryParameter(name="return")] = None,
    ) -> Template:
        if step_key == "check":
            return _check_page(engine, user, settings, incident_id)
        form = incidents.step_form(engine, user, settings, incident_id, step_key)
        return _step_template(form, [], _return_target(return_to))

    @post("/{incident_id:uuid}/report/{step_key:str}", name="incident_step_save", status_code=200)
    @in_thread
    def step_save(
        self,
        request: Req,
        engine: Db,
        user: Principal,
        settings: Config,
        incident_id: IncidentId,
        step_key: FromPath[str],
        data: Form,
    ) -> Template | Redirect:
        typed = _StepInput(data)
        try:
            saved = incidents.save_step(
                engine,
                user,
                settings,
                incident_id,
                step_key,
                typed.form,
                complete=typed.action == "continue",
                note=typed.note,
                base_version=typed.base_version,
            )
        except (FormInvalid, Conflict) as exc:
            return _step_again(engine, user, settings, incident_id, step_key, typed, exc)
        if saved.problems:
            problems = FormInvalid(saved.problems)
            return _step_again(engine, user, settings, incident_id, step_key, typed, problems, True)
        flash(request, _saved_message(saved))
        return Redirect(_after_save(request, saved, step_key, typed), status_code=303)

    @post("/{incident_id:uuid}/submit", name="incident_submit", status_code=200)
    @in_thread
    def submit(
        self, request: Req, engine: Db, user: Principal, settings: Config, incident_id: IncidentId
    ) -> Template | Redirect:
        try:
            incident = incidents.submit(engine, user, settings, incident_id)
        except incidents.AlreadySubmitted:
            flash(request, _("This incident has already been submitted."), "warning")
        except FormInvalid as exc:
            errors = _submit_errors(request, incident_id, exc.problems)
            return _check_page(engine, user, settings, incident_id, errors)
        else:
            message = _("Breach report %(reference)s has been submitted.")
            flash(request, message % {"reference": incident.reference})
        url = request.app.route_reverse("incident", incident_id=incident_id)
        return Redirect(url, status_code=303)


class _StepInput:
    """What a step's form sent: the answers, and the controls beside them."""

    CONTROLS = {"_csrf_token", "action", "return", "note", "version"}

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.action = str(data.get("action", "continue"))
        self.return_to = _return_target(str(data.get("return", "")) or None)
        self.note = clean_text(str(data.get("note", "")))
        self.base_version = _base_version(data.get("version"))
        self.form = {k: v for k, v in data.items() if k not in self.CONTROLS}


def _step_again(
    engine: Db,
    user: Principal,
    settings: Config,
    incident_id: uuid.UUID,
    step_key: str,
    typed: _StepInput,
    exc: FormInvalid | Conflict,
    partly_saved: bool = False,
) -> Template:
    """The step (or correction) form again with what was typed: its problems at the
    fields (200; ``partly_saved``: the draft kept the valid answers), or why it was not
    saved when another change came first (409)."""
    conflicted = not isinstance(exc, FormInvalid)
    form = incidents.step_form(
        engine,
        user,
        settings,
        incident_id,
        step_key,
        typed.form,
        conflicted=conflicted,
        base_version=typed.base_version,
    )
    errors = form_problems(exc.problems) if isinstance(exc, FormInvalid) else []
    status = 409 if conflicted else 200
    return _step_template(form, errors, typed.return_to, typed.note, status, partly_saved)


def _saved_message(saved: incidents.Saved) -> str:
    if not saved.submitted:
        return _("Your answers have been saved.")
    if not saved.changed:
        return _("Nothing was changed.")
    return _("Your correction has been saved as version %(version)s.") % {
        "version": saved.incident.version
    }


def _after_save(request: Req, saved: incidents.Saved, step_key: str, typed: _StepInput) -> str:
    reverse = request.app.route_reverse
    incident_id = saved.incident.id
    if saved.submitted:
        return reverse("incident", incident_id=incident_id)
    index = next(i for i, step in enumerate(STEPS) if step.key == step_key)
    if typed.action == "back" and typed.return_to != "check" and index > 0:
        return reverse("incident_step", incident_id=incident_id, step_key=STEPS[index - 1].key)
    if typed.action == "back" and typed.return_to == "check":
        return reverse("incident_step", incident_id=incident_id, step_key="check")
    if typed.action != "continue":
        return reverse("incident_tasks", incident_id=incident_id)
    following = STEPS[index + 1].key if index + 1 < len(STEPS) else "check"
    target = "check" if typed.return_to == "check" else following
    return reverse("incident_step", incident_id=incident_id, step_key=target)


SUMMARY_NAMES = 10  # the answers name this many controllers; the notices table has them all


def _summary(
    answers: dict[str, Any], settings: Settings, names: dict[str, str]
) -> list[dict[str, Any]]:
    sections = answer_sections(answers, lang(), zone_of_reader(settings.zone), names)
    for section in sections:
        for row in section["rows"]:
            lines = row["lines"]
            if row["question"].key == "controllers" and len(lines) > SUMMARY_NAMES:
                more = _("and %(count)s more (the notices below list them all)") % {
                    "count": len(lines) - SUMMARY_NAMES
                }
                row["lines"] = [*lines[:SUMMARY_NAMES], more]
    return sections


def _check_page(
    engine: Db,
    user: Principal,
    settings: Settings,
    incident_id: uuid.UUID,
    errors: list[dict[str, Any]] | None = None,
) -> Template:
    found = incidents.check(engine, user, incident_id)
    context = {
        "incident": found.incident,
        "sections": _summary(found.incident.answers, settings, found.names),
        "errors": errors or [],
    }
    return Template("incidents/check.html", context=context)


# --- the incident page, deadlines, late reasons, versions, changes ------------------------


def duty_choices(explain: list[Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """The late duties a reason can explain, as the form offers them: one by one, or with
    many controllers late, one choice per kind of duty and due minute with the count."""
    if len(explain) <= timeline.GROUP_FROM:
        return [
            {
                "value": f"{o.controller}:{o.key}",
                "who": names.get(o.controller, o.controller),
                "o": o,
            }
            for o in explain
        ]
    return [
        {
            "value": f"group:{group[0].key}:{incidents.due_minute(group[0].due_at)}",
            "who": _controllers(len(group)),
            "o": group[0],
        }
        for group in timeline.together(explain, lambda o: (o.key, timeline.minute(o.due_at)))
    ]


def _controllers(count: int) -> str:
    words = ngettext("%(num)s controller", "%(num)s controllers", count)
    return words % {"num": format_number(count, lang())}


def _rows_by_duty(
    rows: list[Any], names: dict[str, str], key: Callable[[Any], Any] = timeline.alike
) -> list[tuple[Any, str]]:
    """Duties with whom they concern; with many controllers those alike (by ``key``: one
    duty, one due time) are one row that counts the controllers."""
    if len(names) <= timeline.GROUP_FROM:
        return [(o, names.get(o.controller, o.controller)) for o in rows]
    return [
        (
            group[0],
            names.get(group[0].controller, group[0].controller)
            if len(group) == 1
            else _controllers(len(group)),
        )
        for group in timeline.together(rows, key)
    ]


def _names(pairs: Any) -> dict[str, str]:
    return {org.slug: org.name for _, org in pairs}


def _timeline_context(
    found: incidents.Deadlines, settings: Settings, files: list[Any] | None = None
) -> dict[str, Any]:
    extra = [
        timeline.Item(
            view.evidence.uploaded_at,
            "event",
            _("Evidence added: %(name)s") % {"name": view.evidence.filename},
            f"SHA-256 {view.evidence.sha256[:16]}…",
        )
        for view in files or []
    ]
    items = timeline.build_items(
        found.incident, found.current, found.obligations, zone_of_reader(settings.zone), extra
    )
    return {
        "now": found.now,
        "items": items,
        "axis": timeline.axis_svg(items, found.now),
        "owed": _rows_by_duty(owed(found.obligations), _names(found.current)),
        "late": [o for o in found.obligations if o.late],
        "names": _names(found.current),
    }


NOTICES_PER_PAGE = 50


def _notice_rows(found: incidents.IncidentPage, query: str = "", page: int = 1) -> dict[str, Any]:
    """The notices table of a page, for a thousand controllers as for three: the counts by
    state; the rows found by name (``query``), overdue first, then by name; one page of
    NOTICES_PER_PAGE."""
    incident, pairs = found.incident, found.notices
    overdue = {o.controller for o in found.deadlines.obligations if o.status == "overdue"}
    live = [(n, o) for n, o in pairs if n.removed_at is None]
    counts = {
        "all": len(live),
        "to_send": sum(1 for n, _o in live if notices.needs_sending(incident, n)),
        "delivered": sum(1 for n, _o in live if n.delivered_at),
        "acknowledged": sum(1 for n, _o in live if n.acknowledged_at),
        "decided": sum(1 for n, _o in live if n.decision),
        "overdue": len({o.slug for _n, o in live} & overdue),
    }
    needle = query.strip().lower()
    rows = [p for p in pairs if not needle or needle in p[1].name.lower() or needle in p[1].slug]
    rows.sort(key=lambda p: (p[1].slug not in overdue, p[1].name.lower()))
    pages = max(1, -(-len(rows) // NOTICES_PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * NOTICES_PER_PAGE
    return {
        "notices": rows[start : start + NOTICES_PER_PAGE],
        "notice_counts": counts,
        "notice_query": query,
        "notice_page": page,
        "notice_pages": pages,
        "notice_found": len(rows),
        "overdue_controllers": overdue,
    }


def _incident_context(
    found: incidents.IncidentPage, settings: Settings, query: str = "", page: int = 1
) -> dict[str, Any]:
    incident, pairs = found.incident, found.notices
    names = {org.slug: org.name for _, org in pairs}
    return {
        **_timeline_context(found.deadlines, settings, found.evidence),
        **_notice_rows(found, query, page),
        "incident": incident,
        "sections": _summary(found.answers, settings, names),
        "versions": found.versions,
        "authors": found.authors,
        "trail": found.trail,
        "needs_sending": notices.needs_sending,
        "duty_choices": duty_choices,
        "batch": found.batch,
        "on_the_way": found.on_the_way,
        "to_send": sum(1 for n, _o in pairs if notices.needs_sending(incident, n)),
        "to_send_names": [o.name for n, o in pairs if notices.needs_sending(incident, n)],
        "unmet": _rows_by_duty(unmet(found.deadlines.obligations), names, lambda o: o.key),
        "errors": [],
        "values": {},
        "tasks": found.tasks,
        "task_owners": found.owners,
        "evidence": found.evidence,
        "evidence_max_mb": settings.evidence_max_mb,
        "now": now(),
        "assessment": assessment_of(incident),
        "overrides": [
            (org.name, n.assessment_override)
            for n, org in pairs
            if n.assessment_override and n.removed_at is None
        ],
    }


class IncidentController(Controller):
    path = "/incidents/{incident_id:uuid}"
    dependencies = ON_INCIDENT

    @get("/", name="incident")
    @in_thread
    def incident_page(
        self,
        request: Req,
        engine: Db,
        user: Principal,
        settings: Config,
        incident_id: IncidentId,
        search: Annotated[str, QueryParameter(name="q", max_length=200)] = "",
        page: Annotated[str, QueryParameter(name="page", max_length=12)] = "1",
    ) -> Template | Redirect:
        """The incident; its notices found by name (``q``) and paged (``page``)."""
        found = incidents.page(engine, user, incident_id, now())
        if found is None:  # a draft: its task list
            url = request.app.route_reverse("incident_tasks", incident_id=incident_id)
            return Redirect(url, status_code=303)
        context = _incident_context(found, settings, clean_text(search), whole_number(page) or 1)
        return Template("incidents/incident.html", context=context)

    @post("/close", name="incident_close", guards=[staff_only], status_code=200)
    @in_thread
    def close(self, request: Req, it: It, data: Form) -> Page:
        """Close with a closing note; the page again with the note kept if refused."""
        values = {k: str(data.get(k, "")) for k in ("note", "with_open_duties")}
        body = {"note": values["note"], "with_open_duties": values["with_open_duties"] == "yes"}
        try:
            incidents.close(it.engine, it.user, it.incident_id, body, via="web")
        except Invalid as exc:
            return incident_page_again(it, form_problems(exc.problems), values)
        return done(request, _("The incident is closed."), "incident", incident_id=it.incident_id)

    @post("/evidence", name="incident_evidence_add", guards=[staff_only], status_code=200,
          request_max_body_size=api_evidence.BODY_MAX)  # fmt: skip
    async def add_evidence(self, request: Req, it: It, data: MultiPart) -> Page:
        """Attach a file, shared with the controllers ticked (or none); refused, the page
        again with the problem at the file and the note kept."""
        values = {k: str(data.get(k) or "") for k in ("evidence_note", "shared_with")}
        shared = values["shared_with"].split(",")
        try:
            name, content = await api_evidence.read_upload(data, it.settings.evidence_max_mb)
            await anyio.to_thread.run_sync(
                functools.partial(
                    evidence_cases.add, it.engine, it.settings, it.user, it.incident_id,
                    filename=name, data=content, note=values["evidence_note"],
                    shared_with=shared,
                )
            )  # fmt: skip
        except Invalid as exc:
            problems = [
                {**p, "field": "evidence_note"} if p.get("field") == "note" else p
                for p in form_problems(exc.problems)
            ]
            page = functools.partial(incident_page_again, it, problems, values)
            return await anyio.to_thread.run_sync(page)
        message = _("The file is kept as evidence.")
        return done(request, message, "incident", incident_id=it.incident_id)

    @get("/evidence/{evidence_id:uuid}", name="incident_evidence_file")
    @in_thread
    def evidence_file(self, it: It, evidence_id: FromPath[uuid.UUID]) -> Response[bytes]:
        found = evidence_cases.download(
            it.engine, it.settings, it.user, it.incident_id, evidence_id
        )
        return api_evidence.file_response(*found)

    @post("/evidence/{evidence_id:uuid}/remove", name="incident_evidence_remove",
          guards=[staff_only], status_code=200)  # fmt: skip
    @in_thread
    def remove_evidence(
        self, request: Req, it: It, evidence_id: FromPath[uuid.UUID], data: Form
    ) -> Page:
        """Mark a file removed, with the reason (it stays on record)."""
        values = {f"reason-{evidence_id}": str(data.get("reason", ""))}
        try:
            evidence_cases.remove(
                it.engine, it.user, it.incident_id, evidence_id, str(data.get("reason", ""))
            )
        except Invalid as exc:
            problems = [
                {"field": f"reason-{evidence_id}", "message": p.message} for p in exc.problems
            ]
            return incident_page_again(it, problems, values)
        return done(
            request, _("The file is marked removed."), "incident", incident_id=it.incident_id
        )

    @post("/evidence/{evidence_id:uuid}/purge", name="incident_evidence_purge",
          guards=[admin_only])  # fmt: skip
    @in_thread
    def purge_evidence(self, request: Req, it: It, evidence_id: FromPath[uuid.UUID]) -> Page:
        """An administrator deletes the file's content; its record stays."""
        evidence_cases.purge(it.engine, it.settings, it.user, it.incident_id, evidence_id)
        message = _("The file's content is deleted; its record stays.")
        return done(request, message, "incident", incident_id=it.incident_id)

    @post("/tasks", name="incident_task_add", guards=[staff_only], status_code=200)
    @in_thread
    def add_task(self, request: Req, it: It, data: Form) -> Page:
        """A task of the action plan: what, who (a member of staff), due when."""
        values = {k: str(data.get(k, "")) for k in TASK_FIELDS}
        question = Question("due_at", "datetime", Text("Due", "Klaar op"))
        due, date_error = read_date(question, values, zone_of_reader(it.settings.zone))
        raw = {"title": values["title"], "owner": values["owner"], "due_at": due or ""}
        if date_error is not None:
            return incident_page_again(it, field_errors([date_error]), values)
        try:
            task_cases.add(it.engine, it.user, it.incident_id, raw)
        except Invalid as exc:
            return incident_page_again(it, form_problems(exc.problems), values)
        message = _("The task is added to the action plan.")
        return done(request, message, "incident", incident_id=it.incident_id)

    @post("/tasks/{task_id:int}", name="incident_task_change", guards=[staff_only],
          status_code=200)  # fmt: skip
    @in_thread
    def change_task(self, request: Req, it: It, task_id: FromPath[int], data: Form) -> Page:
        """Mark a task done or cancelled, or open it again, on the version shown (409 with
        the page again when someone changed it meanwhile)."""
        version = whole_number(str(data.get("version", ""))) or 0
        raw = {"state": str(data.get("state", "")), "version": version}
        try:
            task_cases.change(it.engine, it.user, it.incident_id, task_id, raw)
        except Conflict as exc:
            errors = [{"field": None, "message": str(exc)}]
            return incident_page_again(it, errors, {}, status_code=409)
        message = _("The action plan is updated.")
        return done(request, message, "incident", incident_id=it.incident_id)

    @post("/reopen", name="incident_reopen", guards=[staff_only])
    @in_thread
    def reopen(self, request: Req, it: It) -> Redirect:
        incidents.reopen(it.engine, it.user, it.incident_id, via="web")
        message = _("The incident is open again.")
        return done(request, message, "incident", incident_id=it.incident_id)

    @post("/scopes", name="incident_scopes", guards=[staff_only], status_code=200)
    async def scopes(self, request: Req, it: It, data: MultiPart) -> Page:
        """Each controller's own figures from a CSV (slug, affected_min, affected_max,
        records_approx), all or nothing; refused, the page again with every problem and
        the text kept."""
        text, errors = await uploaded_text(data, scope.MAX_CSV_BYTES)
        if not errors and not text.strip():
            errors = [
                {"field": "scopes-csv", "message": _("Choose a CSV file, or paste its text.")}
            ]
        if errors:
            return await anyio.to_thread.run_sync(
                incident_page_again, it, errors, {"scopes-csv": text}
            )
        try:
            count = await anyio.to_thread.run_sync(
                incidents_notices.import_scopes,
                it.engine,
                it.user,
                it.settings,
                it.incident_id,
                text,
            )
        except Invalid as exc:
            problems = [
                {"field": "scopes-csv", "message": f"{p.field}: {p.message}"} for p in exc.problems
            ]
            return await anyio.to_thread.run_sync(
                incident_page_again, it, problems, {"scopes-csv": text}
            )
        message = ngettext(
            "The figures of %(num)d controller have been saved.",
            "The figures of %(num)d controllers have been saved.",
            count,
        ) % {"num": count}
        return done(request, message, "incident", anchor="#notices", incident_id=it.incident_id)

    @get("/deadlines", name="incident_deadlines")
    @in_thread
    def deadlines_fragment(
        self, engine: Db, user: Principal, settings: Config, incident_id: IncidentId
    ) -> Template:
        """The live countdowns of one incident (refreshed by htmx every minute)."""
        found = incidents.deadlines(engine, user, incident_id, now())
        context = {**_timeline_context(found, settings), "incident": found.incident}
        return Template("incidents/_deadlines.html", context=context)

    @post("/obligations/reason", name="obligation_reasons", status_code=200)
    @in_thread
    def late_reasons(self, request: Req, it: It, data: Form) -> Page:
        """Record why duties were (or are) late (Art. 33(1)): one reason for each duty
        ticked (``duty``: ``controller:key``). Refused, the page again with the text and
        the ticks kept and the message at its field."""
        reason = str(data.get("reason", ""))
        chosen = all_values(data, "duty")
        # "group:key:due-minute" stands for the alike duties of many controllers.
        groups = [g.split(":", 2)[1:] for g in chosen if g.startswith("group:")]
        singles = [d.partition(":") for d in chosen if not d.startswith("group:")]
        duties = [(c, k) for c, _sep, k in singles if c and k]
        wanted = [(g[0], g[1]) for g in groups if len(g) == 2]
        outcome = incidents.record_late_reasons(
            it.engine, it.user, it.incident_id, duties, reason, wanted
        )
        values = {"late-reason": reason, "duty": chosen}
        if outcome.outcome == "invalid":
            message = _late_reason_problem(outcome.field)
            field = "late-reason" if outcome.field == "reason" else "duty"
            return incident_page_again(it, [{"field": field, "message": message}], values)
        if outcome.outcome == "explained":
            message = _(
                "Someone else recorded a reason for %(names)s meanwhile; it stands. Nothing "
                "was recorded: your text is below for the duties still without a reason."
            ) % {"names": ", ".join(outcome.recorded)}
            return incident_page_again(it, [{"field": None, "message": message}], values, 409)
        message, category = _late_reason_flash(outcome)
        return done(
            request,
            message,
            "incident",
            category=category,
            anchor="#timeline",
            incident_id=it.incident_id,
        )

    @get("/versions/{number:int}", name="incident_version")
    @in_thread
    def version_page(
        self,
        engine: Db,
        user: Principal,
        settings: Config,
        incident_id: IncidentId,
        number: FromPath[int],
    ) -> Template:
        found = incidents.version(engine, user, incident_id, number)
        context = {
            "incident": found.incident,
            "version": found.version,
            "author": found.author,
            "sections": _summary(found.answers, settings, found.names),
        }
        return Template("incidents/version.html", context=context)

    @get("/changes", name="incident_changes")
    @in_thread
    def changes_page(
        self,
        engine: Db,
        user: Principal,
        settings: Config,
        incident_id: IncidentId,
        since: Annotated[str | None, QueryParameter(name="from")] = None,
        until: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> Template:
        found = incidents.changes(engine, user, incident_id, since, until)
        context = {
            "incident": found.incident,
            "rows": answer_changes(
                found.old_answers,
                found.new_answers,
                lang(),
                zone_of_reader(settings.zone),
                found.names,
            ),
            "old": found.old,
            "new": found.new,
            "numbers": found.numbers,
        }
        return Template("incidents/changes.html", context=context)


def incident_page_again(
    it: OnIncident, errors: list[dict[str, Any]], values: dict[str, Any], status_code: int = 200
) -> Template:
    """The incident page again with a form's problems at its fields and its input kept
    (409 when another change came first)."""
    found = incidents.page(it.engine, it.user, it.incident_id, now())
    if found is None:  # a draft has no incident page, nor its forms
        raise Conflict(" ".join(e["message"] for e in errors))
    context = {**_incident_context(found, it.settings), "errors": errors, "values": values}
    return Template("incidents/incident.html", context=context, status_code=status_code)


def _late_reason_problem(field: str) -> str:
    if field == "duty":
        return _("Tick at least one late duty that this reason explains.")
    return _("Enter the reason for the delay (at most 4000 characters).")


def _late_reason_flash(outcome: incidents.LateReasons) -> tuple[str, str]:
    """The message after a late reason, by the use case's outcome, and its category."""
    if outcome.outcome == "not_late":
        return _("This duty is not late; no reason is needed."), "warning"
    names = ", ".join(outcome.recorded)
    message = _("The reason for the delay has been recorded for: %(names)s")
    return full_stop(message % {"names": names}), "success"


handlers = [RegisterController, QuestionnaireController, IncidentController]
