"""Answer from the feed: a reply to one mention, drafted from the incident's approved
wording, approved like a statement when the response level asks for it, then sent
once through a publishing target or marked answered by hand with the link."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import TimelineKind
from crisisroom.models import CrisisRole, Incident, User
from crisisroom.services.timeline import timeline_add
from crisisroom.timeline_text import every_language
from foundation.permissions import require
from foundation.validation import is_web_url
from monitoring.models import Mention
from playbook import selectors
from playbook.choices import ReplyState, ResponseLevel, StatementState
from playbook.models import (
    ApprovalPolicy,
    Assessment,
    MentionReply,
    PublishTarget,
    ReplyApproval,
    Statement,
)
from playbook.permissions import incident_roles, require_act
from playbook.publishers import PublishError, ReplyTo, publisher_for
from playbook.services.base import InvalidInput, TransitionRefused, roles_named

logger = logging.getLogger(__name__)

APPROVED_STATES = (StatementState.APPROVED, StatementState.PUBLISHED)
MAX_REPLY = 5000


def approved_wordings(statement: Statement) -> list[str]:
    """The texts of an approved statement a reply may quote: its body and variants."""
    if statement.state not in APPROVED_STATES:
        return []
    return [statement.body, *(v.body for v in statement.variants.all())]


def quotes_statement(text: str, statement: Statement | None) -> bool:
    """The reply carries one approved wording of the statement word for word."""
    if statement is None:
        return False
    return any(w.strip() and w.strip() in text for w in approved_wordings(statement))


def reply_required_roles(incident: Incident) -> list[str]:
    """The approval policy of the incident's response level, as for statements; a
    level whose policy lists no role needs no approval for replies (statements fall
    back to the default roles there), a level with no policy the default roles."""
    assessment = Assessment.objects.filter(incident=incident).first()
    level = assessment.response_level if assessment else ResponseLevel.STATEMENT
    policy = ApprovalPolicy.objects.filter(response_level=level).first()
    if policy is None:
        return list(selectors.DEFAULT_REQUIRED)
    return [r.slug for r in policy.required_roles.order_by("position")]


def _lock(reply: MentionReply) -> MentionReply:
    return (
        MentionReply.objects.select_for_update(of=("self",))
        .select_related("incident", "mention__source", "target", "statement")
        .get(pk=reply.pk)
    )


def _who(mention: Mention | None) -> str:
    if mention is None:
        return "?"
    return f"{mention.author or '?'} ({mention.platform})"


@transaction.atomic
def reply_create(
    *,
    incident: Incident,
    mention: Mention,
    by: User,
    text: str,
    target: PublishTarget | None = None,
    statement: Statement | None = None,
) -> MentionReply:
    require_act(by, incident)
    if mention.brand_id != incident.brand_id:
        raise InvalidInput(_("This mention is not about the incident's brand."))
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise InvalidInput(_("Write the reply."))
    if len(text) > MAX_REPLY:
        raise InvalidInput(_("A reply has at most %(n)s characters.") % {"n": MAX_REPLY})
    if statement is not None and statement.incident_id != incident.pk:
        raise InvalidInput(_("That statement belongs to another incident."))
    if target is not None and not target.active:
        raise InvalidInput(_("That publishing target is switched off."))
    quoted = statement if quotes_statement(text, statement) else None
    required = [] if quoted else reply_required_roles(incident)
    reply = MentionReply.objects.create(
        incident=incident,
        mention=mention,
        text=text,
        target=target,
        statement=quoted,
        state=ReplyState.AWAITING if required else ReplyState.APPROVED,
        required_roles=required,
        created_by=by,
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        key=gettext_noop("Reply #%(id)s to %(who)s drafted by %(user)s"),
        params={"id": reply.pk, "who": _who(mention), "user": by.get_username()},
        actor=by,
        data={"reply": reply.pk, "mention": mention.pk},
    )
    return reply


def reply_missing_roles(reply: MentionReply) -> list[str]:
    done = {a.role.slug for a in reply.approvals.select_related("role")}
    return [r for r in reply.required_roles if r not in done]


@transaction.atomic
def reply_approve(*, reply: MentionReply, by: User) -> MentionReply:
    reply = _lock(reply)
    incident = reply.incident
    require_act(by, incident)
    missing = reply_missing_roles(reply)
    held = incident_roles(by, incident) & set(reply.required_roles)
    require(
        bool(held),
        _("Approving needs a required crisis role on this incident: %(roles)s.")
        % {"roles": roles_named(reply.required_roles) or "-"},
    )
    if reply.state != ReplyState.AWAITING:
        raise TransitionRefused(_("This reply is not waiting for approval."))
    if reply.created_by_id == by.pk:
        raise TransitionRefused(_("Nobody approves their own draft; another person must."))
    if reply.approvals.filter(user=by).exists():
        raise TransitionRefused(_("You have already approved this reply."))
    open_roles = [r for r in missing if r in held]
    if not open_roles:
        raise TransitionRefused(_("Your role has already approved this reply."))
    role = CrisisRole.objects.get(slug=open_roles[0])
    ReplyApproval.objects.create(reply=reply, role=role, user=by)
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        key=gettext_noop("Reply #%(id)s approved by %(user)s as %(role)s"),
        params={
            "id": reply.pk,
            "user": by.get_username(),
            "role": every_language(lambda: role.label),
        },
        actor=by,
        data={"reply": reply.pk, "role": role.slug},
    )
    if not reply_missing_roles(reply):
        reply.state = ReplyState.APPROVED
        reply.save(update_fields=["state"])
    return reply


@transaction.atomic
def reply_send(*, reply: MentionReply, by: User, manual_url: str = "") -> MentionReply:
    """Send at most once. The row stays locked during the call (two clicks wait, then
    see it sent); a retry after a failure carries the same idempotency key."""
    reply = _lock(reply)
    incident = reply.incident
    require_act(by, incident)
    if reply.state in (ReplyState.SENT, ReplyState.MANUAL, ReplyState.SANDBOX):
        raise TransitionRefused(_("This reply has already gone out."))
    if reply.state == ReplyState.AWAITING:
        raise TransitionRefused(
            _("Not approved yet: sending needs every required approval (missing: %(roles)s).")
            % {"roles": roles_named(reply_missing_roles(reply)) or "-"}
        )
    manual_url = (manual_url or "").strip()
    if manual_url and not is_web_url(manual_url):
        raise InvalidInput(_("The link must start with http:// or https://."))
    now = timezone.now()
    if manual_url or reply.target is None:
        if not manual_url:
            raise InvalidInput(_("Give the link to the reply you posted by hand."))
        reply.state, reply.external_url = ReplyState.MANUAL, manual_url[:1000]
    elif incident.is_drill:
        reply.state = ReplyState.SANDBOX
    else:
        reply.attempts += 1
        try:
            result = _send_one(reply)
        except PublishError as exc:
            reply.state, reply.error = ReplyState.FAILED, str(exc)[:1000]
            reply.save(update_fields=["state", "error", "attempts"])
            timeline_add(
                incident=incident,
                kind=TimelineKind.STATEMENT,
                key=gettext_noop("Sending reply #%(id)s to %(target)s failed: %(error)s"),
                params={"id": reply.pk, "target": reply.target.name, "error": str(exc)},
                actor=by,
                data={"reply": reply.pk, "retry": exc.retry},
            )
            return reply
        reply.state = ReplyState.SENT
        reply.external_url, reply.external_id = result.url[:1000], result.external_id[:300]
        reply.error = ""
    reply.sent_by, reply.sent_at = by, now
    reply.save()
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        key=gettext_noop("Reply #%(id)s to %(who)s sent by %(user)s"),
        params={"id": reply.pk, "who": _who(reply.mention), "user": by.get_username()},
        actor=by,
        data={"reply": reply.pk, "mention": reply.mention_id, "url": reply.external_url},
    )
    return reply


def _send_one(reply: MentionReply):  # type: ignore[no-untyped-def]
    mention = reply.mention
    if mention is None:
        raise PublishError("the mention is gone (removed by retention)", retry=False)
    publisher = publisher_for(reply.target)
    channel_kind = publisher.channel
    if channel_kind != "webhook" and mention.platform != channel_kind:
        raise PublishError(
            f"a {channel_kind} account cannot reply to a {mention.platform} post", retry=False
        )
    to = ReplyTo(
        external_id=mention.external_id, url=mention.url, source_url=mention.source.url or ""
    )
    try:
        return publisher.reply(text=reply.text, reply=reply, to=to)
    except PublishError:
        raise
    except Exception as exc:  # a connector's bug must not take the page down
        logger.exception("sending reply %s crashed", reply.pk)
        raise PublishError(f"unexpected error: {exc}", retry=False) from exc
