"""Which secrets a source may name (``config["secret_env"]``).

An admin types the name in the browser; the poller sends the value to a server of the
admin's choice. So only names the operator set aside for sources can be read: variables
whose name starts with ``CRISISROOM_SOURCE_`` (or the same name with ``_FILE``, a file
that must lie under ``SOURCES_SECRETS_DIR``). The server's own credentials (secret key,
database, broker, e-mail) can never be named, whatever their prefix.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

PREFIX = "CRISISROOM_SOURCE_"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")
# Never readable by a source, even if an operator gives them the prefix by mistake.
_FORBIDDEN = re.compile(r"(SECRET_KEY|DATABASE|REDIS|BROKER|EMAIL)")


class SecretRefused(ValueError):
    """The name is not one a source may read; the message says why."""


def secret_name_problem(name: str) -> str | None:
    """Why a source may not name this secret, or None when it may."""
    if not _NAME.match(name):
        return _("A secret's name is upper-case letters, digits and underscores.")
    if not name.startswith(PREFIX) or name == PREFIX:
        return _(
            "Sources may only read secrets whose name starts with %(prefix)s "
            "(for example %(prefix)sMASTODON_TOKEN)."
        ) % {"prefix": PREFIX}
    if name.endswith("_FILE"):
        return _("Name the secret itself; %(name)s_FILE is read automatically.") % {
            "name": name.removesuffix("_FILE")
        }
    if _FORBIDDEN.search(name.removeprefix(PREFIX)):
        return _("%(name)s is one of the server's own credentials and cannot be sent out.") % {
            "name": name
        }
    return None


def source_secret(name: str) -> str:
    """The value of an allow-listed secret: ``NAME``, or the file named by ``NAME_FILE``
    when that file lies under ``SOURCES_SECRETS_DIR``."""
    problem = secret_name_problem(name)
    if problem:
        raise SecretRefused(problem)
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        folder = Path(settings.SOURCES_SECRETS_DIR).resolve()
        path = Path(file_path).resolve()
        if not path.is_relative_to(folder):
            raise SecretRefused(
                _("%(name)s_FILE must name a file under %(folder)s.")
                % {"name": name, "folder": folder}
            )
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretRefused(
                _("%(name)s_FILE cannot be read (%(reason)s).")
                % {"name": name, "reason": exc.strerror or exc.__class__.__name__}
            ) from exc
    return os.environ.get(name, "")
