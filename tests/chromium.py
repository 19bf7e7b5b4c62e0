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
