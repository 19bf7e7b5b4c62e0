from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisroom.choices import (
    ACTIVE_STATUSES,
    AlertStatus,
    CrisisRoleSlug,
    DeliveryStatus,
    IncidentStatus,
    Severity,
    TimelineKind,
)
from crisisroom.timeline_text import render
from foundation.roles import OrgRole
from foundation.timezones import zone_choices


def _time_zone_choices() -> list[tuple[str, str]]:
    # Named by migration 0001; the list itself is the platform's.
    return zone_choices()


class CrisisRole(models.Model):
    """A role on the crisis roster (Incident lead, Legal counsel, …), seeded as data."""

    slug = models.SlugField(max_length=40, unique=True, choices=CrisisRoleSlug.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("crisis role")
        verbose_name_plural = _("crisis roles")
        ordering = ["position"]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        return str(CrisisRoleSlug(self.slug).label)


class User(AbstractUser):
    """A team member: an organisation role, the crisis roles they can fill, preferences."""

    org_role = models.CharField(
        _("organisation role"), max_length=20, choices=OrgRole.choices, default=OrgRole.VIEWER
    )
    crisis_roles = models.ManyToManyField(
        CrisisRole, blank=True, related_name="users", verbose_name=_("crisis roles (roster)")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", choices=_time_zone_choices
    )
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    @property
    def is_org_admin(self) -> bool:
        return self.is_superuser or self.org_role == OrgRole.ADMIN

    @property
    def can_respond(self) -> bool:
        return self.is_org_admin or self.org_role == OrgRole.RESPONDER


class ApiToken(models.Model):
    """A bearer token for the HTTP API. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def generate(cls) -> str:
        return "cr_" + secrets.token_urlsafe(32)


class Incident(models.Model):
    """A crisis for one brand: opened by detection, by hand, or by a drill."""

    brand = models.ForeignKey(
        "monitoring.Brand", on_delete=models.PROTECT, related_name="incidents"
    )
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    severity = models.CharField(max_length=20, choices=Severity.choices, default=Severity.MEDIUM)
    category = models.CharField(max_length=40, blank=True)
    is_drill = models.BooleanField(default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Milestones for the metrics (time to detect, acknowledge, respond, resolve).
    started_at = models.DateTimeField(
        help_text=_("When the crisis began: the first signal's bucket.")
    )
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_summary = models.CharField(max_length=300, blank=True)
    # Set when the team moves to watching the aftermath (status monitoring).
    monitoring_at = models.DateTimeField(null=True, blank=True)
    # Dismissed as a false alarm: kept, with its signals, as labelled feedback for
    # the detector's evaluation (see crisisroom/detector_feedback.py).
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismiss_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["brand", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def group_name(self) -> str:
        return f"incident-{self.pk}"


class IncidentMember(models.Model):
    """A user assigned to a crisis role on one incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="incident_memberships"
    )
    crisis_role = models.ForeignKey(CrisisRole, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "user", "crisis_role"], name="uniq_incident_member_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.crisis_role} on {self.incident_id}"


class TimelineEvent(models.Model):
    """One append-only line of an incident's history: who, what, when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=TimelineKind.choices)
    # The line as written. For a system-written entry it is the English rendering of
    # message_key + message_params, which readers see translated (``text``); rows
    # from before the key existed (and notes) show this as it stands.
    message = models.TextField()
    message_key = models.TextField(blank=True, default="")
    message_params = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Pinned entries head the timeline. What happened stays as written (append-only);
    # pinning only marks it, and who pinned or unpinned it is itself a timeline entry.
    pinned_at = models.DateTimeField(null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}: {self.message[:60]}"

    @property
    def text(self) -> str:
        """The line in the active language (the reader's): see crisisroom/timeline_text.py."""
        return render(self.message_key, self.message_params, self.message)


class OnCallEntry(models.Model):
    """The on-call list, in order. With the rotation "ordered" the first active entry
    is paged first and the next ones on escalation; with "weekly" the first person
    moves one place down the list every week (crisisroom.selectors.on_call_order).
    A place holds one person and a person one place: the database refuses collisions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call_entries"
    )
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("on-call entry")
        verbose_name_plural = _("on-call entries")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["position"], name="uniq_on_call_position"),
            models.UniqueConstraint(fields=["user"], name="uniq_on_call_user"),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.user}"


class OnCallRotation(models.Model):
    """How the on-call list turns, set in the app (one row). Without the row the
    environment's ON_CALL_ROTATION and ON_CALL_ROTATION_START apply."""

    class Mode(models.TextChoices):
        ORDERED = "ordered", _("In order: the first person is always paged first")
        WEEKLY = "weekly", _("Weekly: the first place moves one person down every week")

    mode = models.CharField(_("rotation"), max_length=10, choices=Mode.choices)
    # Weeks are counted from this moment (UTC): the handover happens at it, every 7 days.
    starts_at = models.DateTimeField(_("first handover"))
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.mode} from {self.starts_at:%Y-%m-%d %H:%M}"


class OnCallOverride(models.Model):
    """Someone else takes the first place for a while (a swap, a holiday cover):
    from ``starts_at`` to ``ends_at`` (UTC, end excluded) ``user`` is paged first and
    the rotation's order follows. Overrides never overlap (crisisroom/services/on_call.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call_overrides"
    )
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="on_call_override_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"


class Webhook(models.Model):
    """A team's Slack or Microsoft Teams incoming webhook, told about every alert."""

    class Kind(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"

    name = models.CharField(_("team"), max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.URLField(max_length=1000)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("alert webhook")
        verbose_name_plural = _("alert webhooks")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Alert(models.Model):
    """One alert to one person (email) or one team webhook for one incident and one
    reason ("opened", "signal-<id>", "escalation-<level>", "failover-<id>").

    The row is the truth about delivery (crisisroom/services/alert_delivery.py): the sweep
    claims due rows (next_attempt_at in the past) and retries with back-off."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alerts")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    webhook = models.ForeignKey(
        Webhook, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    email = models.EmailField(blank=True)
    reason = models.CharField(max_length=30, default="opened")
    # Escalation level: 0 for the first person paged, 1 for the next, …
    level = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=AlertStatus.choices, default=AlertStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the sweep may try (again); null once sent or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # When a worker took it ("sending"); a stale claim means that worker died.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The email's Message-ID, recorded before it is handed to the mail server.
    message_id = models.CharField(max_length=255, blank=True)
    # When the next person was paged because this alert kept failing.
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="alert_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "recipient", "reason"],
                condition=models.Q(recipient__isnull=False),
                name="uniq_alert_per_reason",
            ),
            models.UniqueConstraint(
                fields=["incident", "webhook", "reason"],
                condition=models.Q(webhook__isnull=False),
                name="uniq_webhook_alert_per_reason",
            ),
        ]

    def __str__(self) -> str:
        target = self.email or (self.webhook and self.webhook.name)
        return f"alert {self.incident_id} → {target} ({self.status})"


class ChatMessage(models.Model):
    """Team chat inside an incident's war room: internal, not part of the public record."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="chat_messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=4000)
    mentioned = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} in {self.incident_id}: {self.body[:40]}"


class RoomPresence(models.Model):
    """One open war-room socket: who is in the room right now (per connection)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user} in {self.incident_id}"


class Drill(models.Model):
    """A fire drill: a scenario replayed through the real ingest path at some speed."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        STOPPED = "stopped", _("Stopped")

    scenario = models.SlugField(max_length=60)
    brand = models.ForeignKey("monitoring.Brand", on_delete=models.PROTECT, related_name="drills")
    speed = models.FloatField(default=1.0)
    seed = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Scenario seconds delivered so far: a tick delivers (cursor, now × speed] exactly once.
    cursor = models.FloatField(default=0.0)
    delivered = models.PositiveIntegerField(default=0)
    curveballs_noted = models.JSONField(default=list, blank=True)
    # The incident the drill's signals opened or joined; set by incident_take_signal.
    incident = models.ForeignKey(
        "crisisroom.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drills",
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand"],
                condition=models.Q(status="running"),
                name="one_running_drill_per_brand",
            )
        ]

    def __str__(self) -> str:
        return f"drill {self.scenario} ×{self.speed:g} ({self.status})"


class SurpriseDrill(models.Model):
    """A drill scheduled to start without warning at a random moment inside a window,
    as fire drills are done. ``starts_at`` is drawn from ``seed`` when it is scheduled
    and shown to nobody (only the admin data holds it); the drill tick starts it."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        STARTED = "started", _("Started")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Could not start")

    scenario = models.SlugField(_("scenario"), max_length=60)
    speed = models.FloatField(_("speed"), default=1.0)
    window_start = models.DateTimeField(_("not before"))
    window_end = models.DateTimeField(_("not after"))
    seed = models.BigIntegerField()
    starts_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    drill = models.OneToOneField(
        Drill, null=True, blank=True, on_delete=models.SET_NULL, related_name="surprise"
    )

    class Meta:
        verbose_name = _("surprise drill")
        verbose_name_plural = _("surprise drills")
        ordering = ["window_start", "pk"]

    def __str__(self) -> str:
        return (
            f"surprise {self.scenario} {self.window_start:%Y-%m-%d %H:%M}–{self.window_end:%H:%M}"
        )


class IdempotencyKey(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key`` header, kept per
    API token for IDEMPOTENCY_KEY_HOURS so a retry gets it back and changes nothing
    (crisisroom/idempotency.py)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    # What was asked (method, path and a hash of the body): a key reused for another
    # request is refused rather than answered with the wrong stored response.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.BinaryField()
    content_type = models.CharField(max_length=100, default="application/json")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="uniq_idempotency_key_per_token")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"


class OutgoingWebhook(models.Model):
    """An endpoint of another tool (a Hootsuite, Buffer or Sprout integration) told
    about organisation-wide events such as ``outbound.paused``. Each event is a JSON
    POST signed with the secret: ``X-CrisisRoom-Signature: sha256=<hex HMAC-SHA256
    of the body>`` (crisisroom/services/outgoing.py)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=1000)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        help_text=_("Shared with the receiver, which checks the signature with it."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("outgoing webhook")
        verbose_name_plural = _("outgoing webhooks")

    def __str__(self) -> str:
        return self.name


class OutgoingDelivery(models.Model):
    """One event for one outgoing webhook. The row is the truth about delivery: sent
    after commit, and the sweep retries due rows with back-off (as alerts are)."""

    webhook = models.ForeignKey(
        OutgoingWebhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    # Unique per event (the same for every endpoint and every try): receivers dedupe on it.
    event_id = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing delivery")
        verbose_name_plural = _("outgoing deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outgoing_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"
