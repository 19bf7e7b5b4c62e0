"""What every page shows: the organisation-wide posting pause, while it is active."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from playbook.models import OutboundPause


def _active_pause() -> OutboundPause | None:
    return OutboundPause.objects.filter(resumed_at__isnull=True).select_related("paused_by").first()


def outbound_pause(request: HttpRequest) -> dict[str, Any]:
    """Lazy: the one small query runs only where a template reads it (the base
    template's banner), not for htmx partials; nothing for a signed-out visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"outbound_pause": SimpleLazyObject(_active_pause)}
