"""The domain's errors know nothing of HTTP; incidents/app.py answers them in one place."""

from __future__ import annotations

import pytest
from litestar import get
from litestar.testing import create_test_client

from incidents import accounts, notices, register, service
from incidents.app import handle_conflict, handle_invalid, handle_not_allowed, handle_not_found
from incidents.errors import Conflict, Invalid, NotAllowed, NotFound, Problem
from incidents.i18n import current_language

HANDLERS = {
    NotFound: handle_not_found,
    NotAllowed: handle_not_allowed,
    Conflict: handle_conflict,
    Invalid: handle_invalid,
}


@pytest.mark.parametrize(
    ("error", "status", "errors"),
    [
        (NotFound(), 404, [{"field": None, "message": "Not found."}]),
        (NotAllowed("only the officer"), 403, [{"field": None, "message": "You may not do this."}]),
        (
            notices.NoticeError("nothing to send"),
            409,
            [{"field": None, "message": "nothing to send"}],
        ),
        (
            service.VersionConflict(3),
            409,
            [{"field": None, "message": "the incident is at version 3"}],
        ),
        (
            accounts.InputError([Problem("email", "bad")]),
            422,
            [{"field": "email", "message": "bad"}],
        ),
        (
            register.FilterError("sort", "Use one of: a"),
            422,
            [{"field": "sort", "message": "Use one of: a"}],
        ),
    ],
)
def test_each_domain_error_has_one_answer_in_the_api(error, status, errors):
    @get("/api/thing", sync_to_thread=False)
    def thing() -> None:
        current_language.set("en")  # the language middleware's part
        raise error

    with create_test_client([thing], exception_handlers=HANDLERS) as client:
        response = client.get("/api/thing")
    assert response.status_code == status
    assert response.json() == {"errors": errors}


def test_the_errors_that_were_there_keep_their_types():
    assert isinstance(notices.NoticeError("x"), ValueError)
    assert isinstance(service.IncidentError("x"), Conflict)
    assert isinstance(accounts.InputError([]), ValueError)
    assert str(register.FilterError("sort", "Use one of: a")) == "Use one of: a"
