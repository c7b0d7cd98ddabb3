"""Steps the browser tests take again and again."""

from __future__ import annotations


def log_in(page, email: str = "staff@talentcloud.example", password: str = "breachdesk-demo"):
    """The login form, filled in and sent; returns once the next page has loaded."""
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def fill_date(page, key: str, day: str, month: str, year: str, time: str | None = None) -> None:
    """The day, month, year (and time) fields of the date question ``key``."""
    parts = {"day": day, "month": month, "year": year, "time": time}
    for part, value in parts.items():
        if value is not None:
            page.locator(f"#{key}-{part}").fill(value)
