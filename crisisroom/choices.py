from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CrisisRoleSlug(models.TextChoices):
    INCIDENT_LEAD = "incident_lead", _("Incident lead")
    SOCIAL_MEDIA_MANAGER = "social_media_manager", _("Social media manager")
    PR_LEAD = "pr_lead", _("PR/communications lead")
    LEGAL_COUNSEL = "legal_counsel", _("Legal counsel")
    HR_REPRESENTATIVE = "hr_representative", _("HR representative")
    EXECUTIVE_LEAD = "executive_lead", _("Executive lead")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed as false alarm")


# The lifecycle: open -> acknowledged -> monitoring -> resolved; dismissed (a false
# alarm) from any active status; a resolved or dismissed incident can be reopened.
ACTIVE_STATUSES = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MONITORING)
CLOSED_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.DISMISSED)


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class TimelineKind(models.TextChoices):
    OPENED = "opened", _("Incident opened")
    SIGNAL = "signal", _("Signal")
    ALERT = "alert", _("Alert")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    MEMBER = "member", _("Team")
    NOTE = "note", _("Note")
    STATUS = "status", _("Status change")
    CURVEBALL = "curveball", _("Curveball")
    PLAYBOOK = "playbook", _("Playbook")
    STATEMENT = "statement", _("Statement")
    TARGET = "target", _("Response target")


class AlertStatus(models.TextChoices):
    """pending → sending → sent, or → failed (tried again at next_attempt_at; no
    next attempt means given up). An email whose worker died mid-send is
    "unconfirmed": it is not sent again (see crisisroom/services/alert_delivery.py)."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNCONFIRMED = "unconfirmed", _("Not confirmed")


class DeliveryStatus(models.TextChoices):
    """An outgoing webhook event: pending → sending → sent, or failed (tried again at
    next_attempt_at; no next attempt means given up)."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
