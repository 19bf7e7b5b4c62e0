"""How tests and scripts start Debian's Chromium (no browser download here)."""

from __future__ import annotations

import shutil

from tests.tools import require

EXECUTABLE = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, and this
# machine's closed network refuses it many times over.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright):  # type: ignore[no-untyped-def]
    """Debian's Chromium through Playwright; a missing browser fails with the install line."""
    require(EXECUTABLE, "chromium")
    return playwright.chromium.launch(executable_path=EXECUTABLE, args=ARGS)


def sign_in(  # type: ignore[no-untyped-def]
    page, base: str, username: str, password: str | None = None, language: str | None = "en"
) -> None:
    """Pick the language on the login page (as a newcomer does; ``None`` keeps the one
    the browser asks for), then sign in (by default with the test users' password
    convention, ``pw-<username>``); lands on the dashboard."""
    page.goto(f"{base}/accounts/login/")
    if language is not None:
        page.select_option("#lang-select", language)
        page.locator("form.lang button").click()
        page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", password or f"pw-{username}")
    page.locator("button[type=submit].primary").click()
    page.wait_for_url(f"{base}/")


def fit_problems(page, key: str, errors: list[str]) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """What is wrong with the page shown: it scrolls sideways, or the console had errors."""
    problems: dict[str, list[str]] = {}
    wide = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if wide > 0:
        problems[key + " overflow"] = [f"{wide}px sideways"]
    if errors:
        problems[key + " console"] = list(errors)
    return problems
