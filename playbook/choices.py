from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StepState(models.TextChoices):
    PENDING = "pending", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class Classification(models.TextChoices):
    PRODUCT_ISSUE = "product_issue", _("Product issue")
    CUSTOMER_SERVICE = "customer_service", _("Customer-service failure")
    EMPLOYEE_CONDUCT = "employee_conduct", _("Employee conduct")
    DATA_SECURITY = "data_security", _("Data/security")
    MISINFORMATION = "misinformation", _("Misinformation")
    OFFENSIVE_CONTENT = "offensive_content", _("Offensive content")
    POLICY_CHANGE = "policy_change", _("Policy change")
    OTHER = "other", _("Other")


class ResponseLevel(models.TextChoices):
    CLARIFICATION = "clarification", _("Clarification")
    STATEMENT = "statement", _("Statement")
    FULL_CAMPAIGN = "full_campaign", _("Full campaign")


class TargetKind(models.TextChoices):
    """What a response target measures (playbook/targets.py evaluates each)."""

    ACKNOWLEDGE = "acknowledge", _("Acknowledge the alert")
    HOLDING_STATEMENT = "holding_statement", _("Publish a holding statement")
    ZH_HANT_STATEMENT = "zh_hant_statement", _("Publish the Traditional Chinese statement")
    UPDATES = "updates", _("Publish an update")


class ClaimStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    FALSE = "false", _("False")
    TRUE = "true", _("True")
    CORRECTED = "corrected", _("Corrected")
    MISLEADING = "misleading", _("Misleading")


# Claims a statement must not repeat: everything the ledger does not know to be true.
CLAIMS_NOT_TO_REPEAT = (
    ClaimStatus.UNVERIFIED,
    ClaimStatus.FALSE,
    ClaimStatus.CORRECTED,
    ClaimStatus.MISLEADING,
)


class StatementState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


class Counting(models.TextChoices):
    """How a network counts a post's length against its limit (playbook/counting.py)."""

    CHARACTERS = "characters", _("Characters (Unicode code points)")
    GRAPHEMES = "graphemes", _("Graphemes (an emoji or accented letter counts once)")
    URLS_23 = "urls_23", _("Characters, each link counted as 23 (Mastodon)")
    X_WEIGHTED = "x_weighted", _("X weighting: CJK and emoji count 2, each link 23")
    WIDTH = "width", _("Display width: full-width (CJK) counts 2 (PTT)")


class TemplateKind(models.TextChoices):
    HOLDING = "holding", _("Holding statement")
    APOLOGY = "apology", _("Apology")
    STATUS_UPDATE = "status_update", _("Status update")
    FAQ = "faq", _("FAQ")


class ConnectorKind(models.TextChoices):
    MASTODON = "mastodon", _("Mastodon")
    BLUESKY = "bluesky", _("Bluesky")
    WEBHOOK = "webhook", _("Generic webhook")


class PublicationState(models.TextChoices):
    SENT = "sent", _("Sent")
    SANDBOX = "sandbox", _("Sandbox (drill)")
    MANUAL = "manual", _("Marked published by hand")
    FAILED = "failed", _("Failed")


class UpdateChannel(models.TextChoices):
    WEBSITE = "website", _("Website")
    BLOG = "blog", _("Blog")
    SOCIAL = "social", _("Social profiles")
    EMAIL = "email", _("Email")
    ADS = "ads", _("Ads")
    PHONE = "phone", _("Phone system")
    STORES = "stores", _("Stores")


class UpdateState(models.TextChoices):
    TODO = "todo", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_NEEDED = "not_needed", _("Not needed")


class WorkEvent(models.TextChoices):
    """Work a checklist item can be bound to: when it happens, the item ticks itself."""

    MEMBER_ASSIGNED = "member.assigned", _("a member is assigned (in the given role)")
    ASSESSMENT_SAVED = "assessment.saved", _("the assessment is saved")
    CLAIM_RECORDED = "claim.recorded", _("a claim is recorded")
    STATEMENT_SUBMITTED = "statement.submitted", _("a statement is submitted")
    STATEMENT_APPROVED = "statement.approved", _("a statement is approved")
    STATEMENT_PUBLISHED = "statement.published", _("a statement is published")
    PAUSE_SET = "outbound.paused", _("scheduled posts are paused")
    PAUSE_LIFTED = "outbound.resumed", _("scheduled posts are resumed")
    CHANNEL_UPDATED = "channel.updated", _("a channel update is done (the given channel)")
    REVIEW_WRITTEN = "review.written", _("the post-crisis review is written")


class PostState(models.TextChoices):
    """A scheduled post: queued until due, then sent (or failed after its tries);
    held while the organisation's posts are paused; cancelled by a person."""

    QUEUED = "queued", _("Queued")
    HELD = "held", _("Held (posting paused)")
    SENT = "sent", _("Sent out")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ReplyState(models.TextChoices):
    """A reply to one mention: waiting for approval, approved (ready to send), then
    sent through a target, marked answered by hand with a link, a drill's sandbox
    record, or failed (may be sent again: the idempotency key stops a double post)."""

    AWAITING = "awaiting", _("Awaiting approval")
    APPROVED = "approved", _("Ready to send")
    SENT = "sent", _("Sent")
    MANUAL = "manual", _("Answered by hand")
    SANDBOX = "sandbox", _("Sandbox (drill)")
    FAILED = "failed", _("Failed")
