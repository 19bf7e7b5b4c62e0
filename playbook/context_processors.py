"""What every page shows: the organisation-wide posting pause, while it is active."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from playbook.models import OutboundPause


def outbound_pause(request: HttpRequest) -> dict[str, Any]:
    """One small indexed query per page for a signed-in user; nothing for others."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    pause = (
        OutboundPause.objects.filter(resumed_at__isnull=True).select_related("paused_by").first()
    )
    return {"outbound_pause": pause}
