"""Take the README's screenshots from a running dashboard.

    python tests/screenshots.py http://127.0.0.1:8000 admin PASSWORD [docs/]

Logs in with Chromium (Debian's, /usr/bin/chromium), opens the dashboard and the
first incident's war room, and writes PNGs (desktop and phone widths).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import chromium  # noqa: E402


def main(base: str, username: str, password: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = chromium.launch(p)
        for name, viewport in (
            ("", {"width": 1280, "height": 860}),
            ("-phone", {"width": 390, "height": 844}),
        ):
            page = browser.new_page(viewport=viewport)
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit].primary")
            page.wait_for_url(f"{base}/")
            if not name:
                page.screenshot(path=str(out / "dashboard.png"))
            page.click(".incidents a")
            page.wait_for_selector(".war-room[data-connected=true]", timeout=15000)
            page.screenshot(path=str(out / f"war-room{name}.png"))
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4] if len(sys.argv) > 4 else "docs"))
