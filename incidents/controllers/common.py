"""Small helpers shared by the handlers."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from typing import Annotated, Any, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

import anyio.to_thread
from litestar import Request
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, URLEncodedBody
from litestar.response import Redirect, Response, Template
from sqlalchemy.engine import Engine

from forms.questionnaire import QUESTIONS
from forms.values import FieldError
from incidents.errors import Problem
from incidents.i18n import current_language
from incidents.i18n import gettext as _
from incidents.principal import CurrentUser
from incidents.settings import Settings

FLASH_KEY = "flash"

P = ParamSpec("P")
T = TypeVar("T")


def in_thread(fn: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """Run a blocking handler (database, PDF) in a worker thread.

    Used instead of ``sync_to_thread=True``: Litestar 2.25 wraps such a handler a second
    time when another handler is registered on the same path, and the second wrapper
    returns an un-awaited coroutine. An ``async def`` handler is never wrapped.
    Context variables (the request language) are carried into the thread.
    """

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

    return wrapper


class Reply(Exception):
    """Send this response instead of the handler's declared return type: an API error body
    the OpenAPI document lists among the handler's responses. incidents/app.py sends it
    as it is."""

    def __init__(self, response: Response[Any]) -> None:
        super().__init__(response.status_code)
        self.response = response


# --- dependencies every handler may declare by name --------------------------------------


def provide_user(request: Request[Any, Any, Any]) -> CurrentUser:
    """``user``: the principal of this request (404 when there is none, as for a page that
    does not exist; the auth middleware has already answered 401 where one is needed)."""
    user = request.scope.get("user")
    if not isinstance(user, CurrentUser):
        raise NotFoundException()
    return user


def provide_engine(state: State) -> Engine:
    """``engine``: the database."""
    return cast(Engine, state.engine)


def provide_settings(state: State) -> Settings:
    """``settings``: the app's settings."""
    return cast(Settings, state.settings)


# The types a handler declares them with: ``user: Principal, engine: Db, settings: Config``.
Principal = NamedDependency[CurrentUser]
Db = NamedDependency[Engine]
Config = NamedDependency[Settings]

# And the plain types every page handler spells the same way.
Req = Request[Any, Any, Any]
Form = URLEncodedBody[dict[str, Any]]
Page = Template | Redirect
IncidentId = FromPath[uuid.UUID]

DEPENDENCIES = {
    "user": Provide(provide_user, sync_to_thread=False),
    "engine": Provide(provide_engine, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
}


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative '//' URL."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    return target


def flash(request: Request[Any, Any, Any], message: str, category: str = "success") -> None:
    """A message for the next page this browser sees (kept in the encrypted session)."""
    current = request.scope.get("session")
    data = dict(current) if isinstance(current, dict) else {}
    data[FLASH_KEY] = [*data.get(FLASH_KEY, []), {"message": message, "category": category}]
    request.set_session(data)


def done(
    request: Request[Any, Any, Any],
    message: str,
    route: str,
    *,
    category: str = "success",
    anchor: str = "",
    **params: Any,
) -> Redirect:
    """After a form's act: the message for the next page, and a redirect to ``route``."""
    flash(request, message, category)
    return Redirect(request.app.route_reverse(route, **params) + anchor, status_code=303)


def typed(data: dict[str, Any]) -> dict[str, str]:
    """A form's fields as text, as typed (without the CSRF token)."""
    values = {k: (v[0] if isinstance(v, list) else str(v)) for k, v in data.items()}
    values.pop("_csrf_token", None)
    return values


def pop_flashes(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    current = request.scope.get("session")
    if not isinstance(current, dict) or FLASH_KEY not in current:
        return []
    return list(current.pop(FLASH_KEY))


def lang() -> str:
    """The language of this request."""
    return current_language.get()


def form_problems(problems: Iterable[Problem]) -> list[dict[str, str]]:
    """A refusal's problems as the templates show them at their fields: each a sentence
    (the domain words some messages in lower case, for the command line)."""
    return [{"field": p.field, "message": p.message[:1].upper() + p.message[1:]} for p in problems]


def labelled(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Form errors with the label of the question each is about (a date part's id names
    its question first), so that the error summary names every field."""
    language = lang()
    out = []
    for error in errors:
        field = str(error.get("field") or "")
        question = QUESTIONS.get(field.split("-")[0])
        if question:
            out.append({**error, "label": question.name.get(language)})
        elif field == "note":  # a correction's note, below the questions
            out.append({**error, "label": _("What changed and why")})
        else:
            out.append(error)
    return out


def error_response(status: int, errors: list[dict[str, Any]]) -> Response[Any]:
    """The API's error body: ``{"errors": [{"field": ..., "message": ...}, ...]}``."""
    return Response({"errors": errors}, status_code=status, media_type="application/json")


def one_error(status: int, field: str | None, message: str) -> Response[Any]:
    """The API's error body with one problem."""
    return error_response(status, [{"field": field, "message": message}])


def field_errors(errors: list[FieldError]) -> list[dict[str, str]]:
    """Form errors as the templates show them, in the request's language."""
    return [{"field": e.field, "message": e.message(lang())} for e in errors]


def pdf_response(data: bytes, filename: str) -> Response[bytes]:
    """A PDF to download."""
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


MultiPart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


async def uploaded_text(data: dict[str, Any], max_bytes: int) -> tuple[str, list[dict[str, Any]]]:
    """A CSV sent with a form: the uploaded ``file``, else the text pasted in ``csv`` (or
    carried by a preview); the problem when the file is not UTF-8 text. A file larger than
    ``max_bytes`` is read that far: the reader refuses it as too large."""
    upload = data.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(max_bytes + 1)
        try:
            return raw.decode("utf-8-sig"), []
        except UnicodeDecodeError:
            message = _("The file is not UTF-8 text: save the CSV as UTF-8 and upload it again.")
            return "", [{"field": "file", "message": message}]
    text = data.get("csv")
    return (text if isinstance(text, str) else ""), []


def date_field_value(value: str) -> str:
    """The value a date field (``<input type="date">``) can hold: the filter as typed when it
    is a valid date string (yyyy-mm-dd, a real day), else nothing, as a browser drops any
    other value (a date-time with an offset, as the API takes, or 31 February)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return ""
    try:
        date.fromisoformat(value)
    except ValueError:
        return ""
    return value
