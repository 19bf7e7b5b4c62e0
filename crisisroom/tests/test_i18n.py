"""The Traditional Chinese catalog is complete and its compiled file is current."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from django.conf import settings

from tests.tools import require

PO = settings.BASE_DIR / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _entries() -> list[tuple[str, str, bool]]:
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fuzzy = "#, fuzzy" in block
        msgid, msgstr, current = [], [], None
        for line in block.splitlines():
            if line.startswith("msgid "):
                current, line = msgid, line[6:]
            elif line.startswith("msgid_plural "):
                current = None
                continue
            elif line.startswith(("msgstr ", "msgstr[0] ")):
                current, line = msgstr, line.split(" ", 1)[1]
            elif not line.startswith('"'):
                continue
            if current is not None:
                current.append(line.strip()[1:-1])
        if msgid:
            entries.append(("".join(msgid), "".join(msgstr), fuzzy))
    return entries


def test_every_message_has_a_traditional_chinese_translation():
    entries = [e for e in _entries() if e[0]]
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr, _ in entries if not msgstr]
    fuzzy = [msgid for msgid, _, is_fuzzy in entries if is_fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_the_catalog_covers_every_string_in_the_code():
    """makemessages over the tree finds no message the catalog lacks (the file is restored)."""
    if not shutil.which("xgettext"):
        pytest.fail("gettext is needed (apt-get install gettext)")
    original = PO.read_bytes()
    ours = {msgid for msgid, _, _ in _entries()}
    try:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "zh_Hant",
                "--no-location",
                "--no-obsolete",
                "-i",
                ".venv/*",
                "-i",
                "var/*",
            ],
            cwd=settings.BASE_DIR,
            check=True,
            capture_output=True,
        )
        found = {msgid for msgid, _, _ in _entries()}
    finally:
        PO.write_bytes(original)
    assert sorted(found - ours) == [], "run `make messages` and translate these"


def test_the_compiled_catalog_matches_the_source(tmp_path):
    require("msgfmt", "gettext")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True)
    assert fresh.read_bytes() == MO.read_bytes(), "run `make messages` to recompile"
