"""Test helpers. `PageClient.page()` fetches a page and checks it like a careful reviewer:
valid HTML, exactly one h1, a title that begins with the h1, unique ids, CSRF on every
form that posts, labels for every field and an error summary whose links lead to fields."""

from __future__ import annotations

import re
from typing import Any

import html5lib
from bs4 import BeautifulSoup
from httpx import Response
from litestar.testing import TestClient

from incidents.app import CSRF_COOKIE
from incidents.demo import DEMO_PASSWORD

ERROR_PREFIXES = ("Error: ", "Fout: ")


def _text(node: Any) -> str:
    return re.sub(r"\s+", " ", node.get_text(" ", strip=True)).strip()


def check_page(html: str) -> BeautifulSoup:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    parser.parse(html)  # raises html5lib.html5parser.ParseError on invalid HTML
    soup = BeautifulSoup(html, "html5lib")

    h1s = soup.select("h1")
    assert len(h1s) == 1, f"expected exactly one h1, found {len(h1s)}"
    title = _text(soup.title)
    h1 = _text(h1s[0])
    has_errors = bool(soup.select(".error-summary"))
    if has_errors:
        assert title.startswith(ERROR_PREFIXES), f"title of a page with errors: {title!r}"
        title = title.split(": ", 1)[1]
    else:
        assert not title.startswith(ERROR_PREFIXES), f"'Error:' in title without errors: {title!r}"
    assert title.startswith(h1), f"title {title!r} does not begin with h1 {h1!r}"

    ids = [tag["id"] for tag in soup.select("[id]")]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate ids: {sorted(duplicates)}"

    for form in soup.select("form"):
        method = (form.get("method") or "get").lower()
        if method == "post":
            assert form.select('input[type="hidden"][name="_csrf_token"]'), (
                f"form posting to {form.get('action')} has no CSRF token"
            )
        assert form.get("action"), "form without an action"

    id_set = set(ids)
    for field in soup.select("input, select, textarea"):
        kind = (field.get("type") or "text").lower()
        if kind in {"hidden", "submit", "button"}:
            continue
        field_id = field.get("id")
        assert field_id, f"field {field.get('name')} has no id"
        labelled = soup.select(f'label[for="{field_id}"]') or field.get("aria-label")
        assert labelled, f"field {field_id} has no label"

    for link in soup.select(".error-summary a"):
        if not link["href"].startswith("#"):
            continue  # a link to the page where the question is asked
        target = link["href"].lstrip("#")
        assert target in id_set, f"error summary links to #{target}, which is not on the page"
    for label in soup.select("label[for]"):
        assert label["for"] in id_set, f"label for missing field {label['for']}"
    return soup


class PageClient:
    """A browser-like client: keeps cookies, sends the CSRF token with every form."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    @property
    def csrf(self) -> str:
        token = self.client.cookies.get(CSRF_COOKIE)
        if token is None:
            self.client.get("/login")
            token = self.client.cookies.get(CSRF_COOKIE)
        assert token, "no CSRF cookie"
        return token

    def page(self, url: str, status: int = 200) -> BeautifulSoup:
        response = self.client.get(url, follow_redirects=True)
        assert response.status_code == status, f"GET {url}: {response.status_code}"
        assert response.headers["content-type"].startswith("text/html")
        return check_page(response.text)

    def submit(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> Response:
        payload = dict(data or {})
        if csrf:
            payload["_csrf_token"] = self.csrf
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(url, data=payload, **kwargs)

    def submit_page(self, url: str, data: dict[str, Any], status: int = 200) -> BeautifulSoup:
        response = self.submit(url, data, follow_redirects=True)
        assert response.status_code == status, f"POST {url}: {response.status_code}"
        return check_page(response.text)

    def login(self, email: str, password: str = DEMO_PASSWORD) -> Response:
        response = self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 303, f"login of {email} failed: {response.status_code}"
        return response


STAFF = "staff@talentcloud.example"
ADMIN = "admin@talentcloud.example"
OFFICER_ACME = "fg@acme.example"
OFFICER_NORTHWIND = "dpo@northwind.example"


def app_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path pattern) of every route of the app, OPTIONS and HEAD left out: tests
    that must cover every route walk this, so a new route cannot be forgotten."""
    return [
        (method, route.path)
        for route in app.routes
        for method in sorted(getattr(route, "methods", ()))
        if method not in {"OPTIONS", "HEAD"}
    ]


def at_once(*calls: Any) -> list[Any]:
    """Run the calls in threads of their own that start at the same instant; their results
    in the order of the calls (an exception in a call is its result)."""
    import threading

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # the caller asserts on it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
