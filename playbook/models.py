"""The playbook as data (template → per-incident run), statements and approvals,
message templates, misinformation ledger, publishing, channel updates and review."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crisisroom.choices import AlertStatus
from foundation.timezones import zone_choices
from playbook.choices import (
    ClaimStatus,
    Classification,
    ConnectorKind,
    Counting,
    PostState,
    PublicationState,
    ReplyState,
    ResponseLevel,
    StatementState,
    StepState,
    TargetKind,
    TemplateKind,
    UpdateChannel,
    UpdateState,
    WorkEvent,
)

USER = settings.AUTH_USER_MODEL


# --- The playbook template (edited by admins) -------------------------------------


class PlaybookTemplate(models.Model):
    """A named set of seven steps; the default one is copied into every new incident."""

    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("playbook template")
        verbose_name_plural = _("playbook templates")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_playbook",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StepTemplate(models.Model):
    """One step of a playbook template: what to do, who owns it, whether it needs approval."""

    template = models.ForeignKey(PlaybookTemplate, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    title_zh_hant = models.CharField(_("title (Traditional Chinese)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_zh_hant = models.TextField(_("description (Traditional Chinese)"), blank=True)
    owner_role = models.ForeignKey(
        "crisisroom.CrisisRole", on_delete=models.PROTECT, related_name="+"
    )
    needs_approval = models.BooleanField(_("needs approval"), default=False)

    class Meta:
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        ordering = ["template", "number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="uniq_step_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class ChecklistItemTemplate(models.Model):
    """One checklist line of a step template."""

    step = models.ForeignKey(StepTemplate, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("text"), max_length=300)
    text_zh_hant = models.CharField(_("text (Traditional Chinese)"), max_length=300, blank=True)
    # Bound to work: the item ticks itself when that happens on the incident.
    event = models.CharField(
        _("ticks itself when"), max_length=40, choices=WorkEvent.choices, blank=True
    )
    event_detail = models.CharField(
        _("only for (role or channel)"),
        max_length=40,
        blank=True,
        help_text=_("A crisis role for a member being assigned, a channel for a channel update."),
    )

    class Meta:
        ordering = ["step", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class ApprovalPolicy(models.Model):
    """Which crisis roles must approve a statement at a response level."""

    response_level = models.CharField(
        _("response level"), max_length=20, choices=ResponseLevel.choices, unique=True
    )
    required_roles = models.ManyToManyField("crisisroom.CrisisRole", related_name="+")

    class Meta:
        verbose_name = _("approval policy")
        verbose_name_plural = _("approval policies")

    def __str__(self) -> str:
        return str(ResponseLevel(self.response_level).label)


class UpdateCadence(models.Model):
    """How often the public hears from the team at a response level while the incident
    is active (an incident's assessment may override it). Seeded by migration 0006."""

    response_level = models.CharField(
        _("response level"), max_length=20, choices=ResponseLevel.choices, unique=True
    )
    minutes = models.PositiveIntegerField(_("a public update every (minutes)"))

    class Meta:
        verbose_name = _("public update cadence")
        verbose_name_plural = _("public update cadences")

    def __str__(self) -> str:
        return f"{ResponseLevel(self.response_level).label}: {self.minutes} min"


class ResponseTarget(models.Model):
    """How fast the team should do one thing at a response level (acknowledge within
    10 min, a holding statement within 30, …): timers in the war room, outcomes on the
    timeline, grades in the drill report and the review (playbook/targets.py)."""

    response_level = models.CharField(
        _("response level"), max_length=20, choices=ResponseLevel.choices
    )
    kind = models.CharField(_("target"), max_length=30, choices=TargetKind.choices)
    minutes = models.PositiveIntegerField(_("within (minutes)"))
    label_en = models.CharField(_("name (English)"), max_length=120)
    label_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=120)
    # Worded as an action: the drill report names it as a change that would have helped.
    action_en = models.CharField(_("what to change when missed (English)"), max_length=300)
    action_zh_hant = models.CharField(
        _("what to change when missed (Traditional Chinese)"), max_length=300
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["response_level", "pk"]
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")
        constraints = [
            models.UniqueConstraint(fields=["response_level", "kind"], name="uniq_target_kind")
        ]

    def __str__(self) -> str:
        return f"{ResponseLevel(self.response_level).label}: {self.label_en} ({self.minutes} min)"

    @property
    def label(self) -> str:
        zh = (get_language() or "").startswith("zh")
        return (self.label_zh_hant if zh else "") or self.label_en

    @property
    def action(self) -> str:
        zh = (get_language() or "").startswith("zh")
        return (self.action_zh_hant if zh else "") or self.action_en


class MessageTemplate(models.Model):
    """A reusable message with {placeholders}; admins mark it pre-approved."""

    kind = models.CharField(_("kind"), max_length=20, choices=TemplateKind.choices)
    lang = models.CharField(_("language"), max_length=10, default="en")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    pre_approved = models.BooleanField(_("pre-approved"), default=False)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "lang", "title"]

    def __str__(self) -> str:
        return self.title


class PublishTarget(models.Model):
    """An account statements are published to (Mastodon, Bluesky, a webhook)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ConnectorKind.choices)
    base_url = models.URLField(_("base URL"))
    # Mastodon: access token. Bluesky: handle and app password. Webhook: optional secret.
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    secret = models.CharField(_("token or password"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("publishing target")
        verbose_name_plural = _("publishing targets")

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Channel(models.Model):
    """A network or medium a statement goes out on, with its length limit and how it
    counts. Seeded by migration 0006; admins add or change channels as data."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=60)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=60)
    limit = models.PositiveIntegerField(
        _("length limit"), null=True, blank=True, help_text=_("Empty: no hard limit.")
    )
    counting = models.CharField(
        _("how the length is counted"),
        max_length=20,
        choices=Counting.choices,
        default=Counting.CHARACTERS,
    )
    # Which kind of publishing target posts to it; empty: the team posts it by hand
    # and gives the link.
    connector = models.CharField(
        _("published by"),
        max_length=20,
        choices=ConnectorKind.choices,
        blank=True,
        help_text=_("Empty: published by hand, with a link."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("offered for new statements"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("statement channel")
        verbose_name_plural = _("statement channels")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language (Traditional Chinese for any zh)."""
        if (get_language() or "").lower().startswith("zh") and self.name_zh_hant:
            return self.name_zh_hant
        return self.name_en

    @property
    def by_hand(self) -> bool:
        return not self.connector


class OutboundPause(models.Model):
    """A pause of the organisation's scheduled posts: who, why, from when to when."""

    reason = models.TextField(_("reason"))
    paused_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    paused_at = models.DateTimeField(default=timezone.now)
    incident = models.ForeignKey(
        "crisisroom.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resumed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbound pause")
        verbose_name_plural = _("outbound pauses")
        ordering = ["-paused_at"]

    def __str__(self) -> str:
        return f"pause {self.paused_at:%Y-%m-%d %H:%M}"


class ScheduledPost(models.Model):
    """A post queued for one publishing target at a time (stored in UTC). The sweep
    (playbook/services/scheduled.py) publishes it when due through the target's
    publisher, unless the organisation's posts are paused: then it is held."""

    target = models.ForeignKey(
        PublishTarget, null=True, on_delete=models.SET_NULL, related_name="scheduled_posts"
    )
    text = models.TextField(_("text"))
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(max_length=20, choices=PostState.choices, default=PostState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the sweep may try (again) after a failure; the due time until then.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A short reason, host only (never a URL's path or query: it can be a credential).
    error = models.CharField(max_length=300, blank=True)
    incident = models.ForeignKey(
        "crisisroom.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scheduled_posts",
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    external_url = models.URLField(max_length=500, blank=True)
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="scheduled_post_due_idx")]

    def __str__(self) -> str:
        return f"post {self.pk} ({self.state}) at {self.due_at:%Y-%m-%d %H:%M}"


# --- One incident's run -----------------------------------------------------------


class PlaybookRun(models.Model):
    """The playbook of one incident, copied from a template when it opened."""

    incident = models.OneToOneField(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="playbook_run"
    )
    template = models.ForeignKey(
        PlaybookTemplate, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"playbook of {self.incident_id}"


class RunStep(models.Model):
    """One step of an incident's playbook with its state."""

    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    title_zh_hant = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    description_zh_hant = models.TextField(blank=True)
    owner_role = models.ForeignKey(
        "crisisroom.CrisisRole", on_delete=models.PROTECT, related_name="+"
    )
    needs_approval = models.BooleanField(default=False)
    state = models.CharField(max_length=20, choices=StepState.choices, default=StepState.PENDING)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class RunChecklistItem(models.Model):
    """A checklist line of one incident's step: ticked by whom, when."""

    step = models.ForeignKey(RunStep, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    text_zh_hant = models.CharField(max_length=300, blank=True)
    event = models.CharField(max_length=40, choices=WorkEvent.choices, blank=True)
    event_detail = models.CharField(max_length=40, blank=True)
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["step", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class Assessment(models.Model):
    """Step 2: the team's reading of the crisis (the figures come from the data)."""

    incident = models.OneToOneField(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="assessment"
    )
    classification = models.CharField(
        _("classification"), max_length=30, choices=Classification.choices, blank=True
    )
    response_level = models.CharField(
        _("response level"),
        max_length=20,
        choices=ResponseLevel.choices,
        default=ResponseLevel.STATEMENT,
    )
    original_source = models.TextField(_("original source"), blank=True)
    verified_facts = models.TextField(_("verified facts"), blank=True)
    key_voices = models.TextField(_("key voices (influencers, media, customers)"), blank=True)
    media_coverage = models.TextField(_("media coverage (sources, tone)"), blank=True)
    # Empty: the cadence of the response level (UpdateCadence).
    update_every_minutes = models.PositiveIntegerField(
        _("public update every (minutes)"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"assessment of {self.incident_id}"


class MisinformationClaim(models.Model):
    """A claim circulating about the brand: its status, evidence, correction."""

    incident = models.ForeignKey(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="claims"
    )
    claim = models.TextField(_("claim"))
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.UNVERIFIED
    )
    evidence = models.TextField(_("evidence"), blank=True)
    correction = models.TextField(_("correction published"), blank=True)
    correction_url = models.URLField(_("correction link"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.claim[:60]


class ClaimStatusChange(models.Model):
    """One change of a claim's status (the first row is the status it was recorded with):
    the ledger's history, who decided and when."""

    claim = models.ForeignKey(MisinformationClaim, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=ClaimStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ClaimStatus.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["claim", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.from_status or '-'} -> {self.to_status}"


class Statement(models.Model):
    """A public statement for one incident, moving draft → submitted → approved → published."""

    incident = models.ForeignKey(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="statements"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    state = models.CharField(
        max_length=20, choices=StatementState.choices, default=StatementState.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    response_level = models.CharField(
        max_length=20, choices=ResponseLevel.choices, default=ResponseLevel.STATEMENT
    )
    channels = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title or self.body[:60]


class StatementVersion(models.Model):
    """The text of a statement at each edit (kept: who changed what, when)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    edited_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["statement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="uniq_statement_version")
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} v{self.number}"


class StatementVariant(models.Model):
    """The statement as written for one channel (a post must fit the network's limit)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="variants")
    # A Channel's code (kept as text: a channel an admin later removes leaves the
    # variant readable).
    channel = models.CharField(max_length=20)
    body = models.TextField()

    class Meta:
        ordering = ["statement", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "channel"], name="uniq_statement_channel")
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.channel}"


class Approval(models.Model):
    """One crisis role's approval of one version of a statement."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="approvals")
    role = models.ForeignKey("crisisroom.CrisisRole", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "role", "version"], name="uniq_approval_role_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} v{self.version} by {self.role_id}"


class Rejection(models.Model):
    """A rejection sends a statement back to its author with a comment."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="rejections")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    comment = models.TextField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.statement_id} v{self.version} rejected"


class ExpectedQuestion(models.Model):
    """A question the team expects, with the answer prepared for it."""

    incident = models.ForeignKey(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="expected_questions"
    )
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"), blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.question[:60]


class Publication(models.Model):
    """Where and how a statement went out (sandbox for drills; by hand with a link)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="publications")
    target = models.ForeignKey(
        PublishTarget, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=20, blank=True)
    state = models.CharField(max_length=20, choices=PublicationState.choices)
    url = models.URLField(max_length=500, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.state} {self.channel}"


class SupportScript(models.Model):
    """Step 5: what customer service says, drawn from the approved statement."""

    incident = models.ForeignKey(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="support_scripts"
    )
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class ChannelUpdate(models.Model):
    """Step 6: one owned channel to update (website, blog, …) with its owner and state."""

    incident = models.ForeignKey(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="channel_updates"
    )
    channel = models.CharField(max_length=20, choices=UpdateChannel.choices)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=20, choices=UpdateState.choices, default=UpdateState.TODO)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "channel"], name="uniq_channel_update")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.channel}: {self.state}"


class PostCrisisReview(models.Model):
    """Step 7: the review after the crisis: root cause, lessons, metrics snapshot."""

    incident = models.OneToOneField(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="review"
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    lessons = models.TextField(_("lessons"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"review of {self.incident_id}"


class PolicyAction(models.Model):
    """A policy change the review decided, with its owner."""

    review = models.ForeignKey(PostCrisisReview, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text


# --- Situation reports (playbook/sitrep.py, playbook/services/sitrep.py) -------------


SITREP_EVERY_CHOICES = [
    (0, _("Off")),
    (30, _("Every 30 minutes")),
    (60, _("Every hour")),
    (120, _("Every 2 hours")),
]
SITREP_DEFAULT_EVERY = 60


def _sitrep_zone_choices() -> list[tuple[str, str]]:
    return zone_choices()


class SitrepPlan(models.Model):
    """How often an incident's situation report goes out while it is active (0: off).
    An incident without a row gets SITREP_DEFAULT_EVERY."""

    incident = models.OneToOneField(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="sitrep_plan"
    )
    every_minutes = models.PositiveSmallIntegerField(
        _("cadence"), choices=SITREP_EVERY_CHOICES, default=SITREP_DEFAULT_EVERY
    )
    updated_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"sitrep of {self.incident_id} every {self.every_minutes} min"


class SitrepRecipient(models.Model):
    """A reader of an incident's sitreps beyond its executive leads: an email address
    or a team's Slack or Microsoft Teams incoming webhook, with the language and time
    zone the report is written in (blank language: the site's)."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"

    incident = models.ForeignKey(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="sitrep_recipients"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=1000)
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", choices=_sitrep_zone_choices
    )
    added_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "kind", "address"], name="uniq_sitrep_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.address}"


class SitrepDelivery(models.Model):
    """One sitrep to one reader for one period ("every-<unix start>" on the cadence,
    "now-<unix minute>" sent by hand). The row is the truth about delivery, as an
    alert's is: unique per incident, period and reader, claimed before sending, and at
    most once (a claim whose worker died is "unconfirmed", never sent again)."""

    incident = models.ForeignKey(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="sitrep_deliveries"
    )
    period = models.CharField(max_length=40)
    # "user-<id>" (an executive lead) or "recipient-<id>": one row per reader per period.
    target = models.CharField(max_length=40)
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        SitrepRecipient,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    kind = models.CharField(max_length=10, choices=SitrepRecipient.Kind.choices)
    address = models.CharField(max_length=1000)
    status = models.CharField(
        max_length=20, choices=AlertStatus.choices, default=AlertStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="sitrep_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "period", "target"], name="uniq_sitrep_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"sitrep {self.incident_id} {self.period} → {self.target} ({self.status})"


class MentionReply(models.Model):
    """A reply from the team to one mention, drafted from the incident's approved
    wording. Sent through a publishing target (Mastodon ``in_reply_to_id``, Bluesky
    reply refs) or, with no target, answered by hand and the link kept."""

    incident = models.ForeignKey(
        "crisisroom.Incident", on_delete=models.CASCADE, related_name="mention_replies"
    )
    mention = models.ForeignKey(
        "monitoring.Mention",
        null=True,
        on_delete=models.SET_NULL,
        related_name="team_replies",
        # The mentions table is partitioned on PostgreSQL (monitoring/partitions.py):
        # no database constraint; Django, and retention's SQL, apply SET_NULL.
        db_constraint=False,
    )
    text = models.TextField(_("reply"))
    target = models.ForeignKey(
        PublishTarget, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the text quotes this approved statement's wording: it needs no approval.
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=20, choices=ReplyState.choices)
    required_roles = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    external_url = models.URLField(max_length=1000, blank=True)
    external_id = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["incident", "mention"], name="reply_incident_mention_idx")]

    def __str__(self) -> str:
        return f"reply {self.pk} to mention {self.mention_id} ({self.state})"

    @property
    def idempotency_key(self) -> str:
        return f"crisisroom-reply-{self.pk}"


class ReplyApproval(models.Model):
    """One crisis role's approval of a reply (never by its author)."""

    reply = models.ForeignKey(MentionReply, on_delete=models.CASCADE, related_name="approvals")
    role = models.ForeignKey("crisisroom.CrisisRole", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "role"], name="uniq_reply_approval_role")
        ]

    def __str__(self) -> str:
        return f"reply {self.reply_id} by {self.role_id}"
