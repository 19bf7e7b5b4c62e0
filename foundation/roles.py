from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgRole(models.TextChoices):
    ADMIN = "admin", _("Admin")
    RESPONDER = "responder", _("Responder")
    VIEWER = "viewer", _("Viewer")
