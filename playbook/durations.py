"""A duration as the reports write it ("1 h 05 min", "12 min"): shared by the review,
the drill report and the response targets."""

from __future__ import annotations

from django.utils.translation import gettext as _


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    hours, rest = divmod(abs(seconds), 3600)
    minutes = rest // 60
    if hours:
        return _("%(hours)s h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}
