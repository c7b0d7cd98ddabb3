"""The input guard's body checks: how deep JSON nests (exactly at the limit, strings and
escapes, not JSON at all), that the check costs the same few Python steps whatever the
size of the body (counted with a tracer, not timed), and that a body too large for any
API request is refused before it is read or as it arrives."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from incidents import middleware
from incidents.middleware import MAX_JSON_BODY, MAX_JSON_DEPTH, nested_too_deep
from tests.helpers import STAFF, PageClient

DEPTH = MAX_JSON_DEPTH


def _lists(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def _objects(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize(
    ("body", "too_deep"),
    [
        (_lists(DEPTH), False),
        (_lists(DEPTH + 1), True),
        (_objects(DEPTH), False),
        (_objects(DEPTH + 1), True),
        (b'{"a":' + _lists(DEPTH - 1) + b"}", False),
        (b'{"a":' + _lists(DEPTH) + b"}", True),
        (b'{"a": [' + b"[1, [2]], " * 5000 + b"3]}", False),  # many brackets, three deep
        (_lists(1000), True),
        (_lists(100_000), True),
        (b"[" * 100_000, True),  # never closed, and deeper than the decoder goes
        (b'["' + b"[" * 100 + b'"]', False),  # brackets in a string
        (b'["\\"' + b"[" * 100 + b'"]', False),  # after an escaped quote, still the string
        (b'["\\\\", ' + _lists(40) + b"]", True),  # an escaped backslash, then the quote
        (b"[1]" + b"]" * 40, False),  # not JSON: the decoder's own 400 says so
        (b"[" * 40 + b"1", False),  # cut off, 40 open: not JSON, not too deep to read
        (b"{}" * 40, False),  # not one value: not JSON
    ],
)
def test_how_deep_json_nests(body: bytes, too_deep: bool) -> None:
    assert nested_too_deep(body) is too_deep


@pytest.fixture
def python_steps() -> Iterator[Callable[[Callable[[], Any]], int]]:
    """Run a call and count the Python lines and calls it took in the middleware's module
    (C code is not counted, nor a finaliser the garbage collector runs meanwhile)."""

    def count(call: Callable[[], Any]) -> int:
        steps = 0

        def tracer(frame: Any, event: str, arg: Any) -> Any:
            nonlocal steps
            if frame.f_code.co_filename == middleware.__file__:
                steps += 1
            return tracer

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            call()
        finally:
            sys.settrace(previous)
        return steps

    yield count


@pytest.mark.parametrize(
    "make",
    [
        lambda n: b"[" + b"[]," * n + b"[]]",  # many brackets, shallow
        lambda n: b"[" + b",".join([_lists(DEPTH - 1)] * (n // DEPTH)) + b"]",  # at the limit
        lambda n: b"[" + b",".join([_lists(DEPTH)] * (n // DEPTH)) + b"]",  # past it
        lambda n: b'["' + b'[{\\"' * n + b'"]',  # brackets and escapes in a string
        lambda n: b'{"a": ' + b'["x", ' * n + b"1" + b"]" * n + b"}",  # deep, long strings
    ],
)
def test_the_depth_check_takes_the_same_python_steps_for_any_size(make, python_steps) -> None:
    """The scan runs in C (counts, translate, one regular expression, the decoder): its
    Python steps do not grow with the body (a Python loop over the brackets blocked the
    event loop for half a second on 10 MB)."""
    small, large = make(1_000), make(100_000)
    assert len(large) > 50 * len(small)
    assert python_steps(lambda: nested_too_deep(small)) == python_steps(
        lambda: nested_too_deep(large)
    )
    assert nested_too_deep(small) == nested_too_deep(large)


# --- through HTTP ---------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_a_body_too_large_for_the_api_is_refused(client: PageClient, api_headers) -> None:
    """Announced by its Content-Length, it is refused before it is read; sent in chunks
    without one, as soon as it passes the limit. Either way 413, and nothing written."""
    headers = {**api_headers(STAFF), "content-type": "application/json"}
    big = b'{"summary": "' + b"x" * MAX_JSON_BODY + b'"}'
    announced = client.post("/api/v1/incidents", content=big, headers=headers)
    assert announced.status_code == 413, announced.text
    assert str(MAX_JSON_BODY) in announced.json()["errors"][0]["message"]

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    streamed = client.post("/api/v1/incidents", content=chunks(), headers=headers)
    assert streamed.status_code == 413, streamed.text
    flat = b"[" + b"[]," * (MAX_JSON_BODY // 3) + b"[]]"  # cheap to check, still too large
    assert client.post("/api/v1/incidents", content=flat, headers=headers).status_code == 413
    # Just under the limit, the body is read and answered for what it says.
    fits = b'{"draft": true, "summary": "' + b"x" * 9_000 + b'"}'
    created = client.post("/api/v1/incidents", content=fits, headers=headers)
    assert created.status_code == 201, created.text
    listing = client.get("/api/v1/incidents", headers=api_headers(STAFF)).json()["items"]
    assert len(listing) == 1
