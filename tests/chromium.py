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


def log_in(page, base: str, username: str, language: str = "en") -> None:  # type: ignore[no-untyped-def]
    """Choose the language on the login page, then log in as a conftest user (pw-NAME)."""
    page.goto(f"{base}/accounts/login/")
    page.select_option("#lang-select", language)
    page.locator("form.lang button").click()
    page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.locator("button[type=submit].primary").click()
    page.wait_for_url(f"{base}/")
