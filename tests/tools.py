"""A test that needs a tool from Debian fails, never skips, with the one line to fix it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.services import install_hint


def require(what: str, package: str) -> None:
    """`what` is a command on PATH or a file path."""
    if not (shutil.which(what) or Path(what).exists()):
        pytest.fail(install_hint([package]), pytrace=False)
