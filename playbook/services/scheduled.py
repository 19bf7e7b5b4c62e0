"""The outbound queue: posts scheduled per publishing target, published when due
through the target's publisher, held while the organisation's posts are paused.

    queued ──due, not paused──▶ sent
      │ ▲                        (a failure worth retrying waits next_attempt_at,
      │ └── resume ── held        doubling; after SCHEDULED_POST_MAX_ATTEMPTS,
      └── pause ──────▶ held      or a failure not worth retrying: failed)
    queued / held ── cancel ──▶ cancelled

Exactly once: ``scheduled_posts_sweep`` (beat and the embedded scheduler, and a task
queued after commit when a post is due or the pause is lifted) takes one due row at
a time with ``select_for_update(skip_locked=True)`` and keeps it locked while the
publisher is called, so two sweeps never send one post. A pause marks every queued
post held in the pause's own transaction; that UPDATE waits for a post being sent
at that moment, so once the pause has committed nothing more goes out. The sweep
also checks the pause under the row lock, for a post queued in the same instant.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import TimelineKind
from crisisroom.models import Incident, User
from crisisroom.services.alert_delivery import retry_delay
from crisisroom.services.timeline import timeline_add
from foundation.http import short_reason
from foundation.permissions import can_work_incidents, require
from foundation.signals import send_on_commit
from playbook import events as playbook_events
from playbook.choices import PostState
from playbook.models import Channel, OutboundPause, PublishTarget, ScheduledPost
from playbook.publishers import PublishError, publisher_for
from playbook.selectors import channel_length
from playbook.services.base import InvalidInput, TransitionRefused

logger = logging.getLogger(__name__)

MAX_TEXT = 20_000
# A time a little in the past is "now" (a form filled in a minute ago); older is a typo.
PAST_GRACE = timedelta(minutes=5)


def outbound_paused() -> bool:
    return OutboundPause.objects.filter(resumed_at__isnull=True).exists()


def scheduled_post_check(*, target: PublishTarget | None, text: str, due_at: datetime) -> str:
    """The rules the page's form and the API share; the text, stripped. InvalidInput
    says which rule a post breaks."""
    if target is None or not target.active:
        raise InvalidInput(_("Choose an active publishing target."))
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write the text of the post."))
    channel = Channel.objects.filter(code=publisher_for(target).channel).first()
    length = channel_length(channel, text)  # counted the network's way
    limit = min(channel.limit, MAX_TEXT) if channel and channel.limit else MAX_TEXT
    if len(text) > MAX_TEXT or length > limit:
        raise InvalidInput(
            _("The post has %(n)s characters; %(target)s allows %(limit)s.")
            % {"n": length, "target": target.name, "limit": limit}
        )
    if timezone.is_naive(due_at):
        raise InvalidInput(_("Give the time with its time zone."))
    if due_at < timezone.now() - PAST_GRACE:
        raise InvalidInput(_("The time is in the past; give a time from now on."))
    return text


@transaction.atomic
def scheduled_post_create(
    *,
    by: User,
    target: PublishTarget | None,
    text: str,
    due_at: datetime,
    incident: Incident | None = None,
) -> ScheduledPost:
    """Queue a post (held at once while posting is paused)."""
    require(can_work_incidents(by), "Only responders and admins may queue posts.")
    text = scheduled_post_check(target=target, text=text, due_at=due_at)
    post = ScheduledPost.objects.create(
        target=target,
        text=text,
        due_at=due_at,
        next_attempt_at=due_at,
        state=PostState.HELD if outbound_paused() else PostState.QUEUED,
        incident=incident,
        created_by=by,
    )
    if incident is not None:
        timeline_add(
            incident=incident,
            kind=TimelineKind.PLAYBOOK,
            key=gettext_noop("Post #%(id)s queued for %(target)s"),
            params={"id": post.pk, "target": str(target)},
            actor=by,
            data={"scheduled_post": post.pk},
        )
    if post.state == PostState.QUEUED and due_at <= timezone.now():
        scheduled_posts_due_announce()
    return post


@transaction.atomic
def scheduled_post_cancel(*, post: ScheduledPost, by: User) -> ScheduledPost:
    require(can_work_incidents(by), "Only responders and admins may cancel posts.")
    # Waits for a sweep that is sending this very post; then it is sent, not cancelled.
    post = ScheduledPost.objects.select_for_update().get(pk=post.pk)
    if post.state not in (PostState.QUEUED, PostState.HELD):
        raise TransitionRefused(
            _("Post #%(id)s is %(state)s: only a queued or held post can be cancelled.")
            % {"id": post.pk, "state": PostState(post.state).label}
        )
    post.state = PostState.CANCELLED
    post.next_attempt_at = None
    post.save(update_fields=["state", "next_attempt_at"])
    return post


def scheduled_posts_hold() -> int:
    """Inside the pause's transaction: hold every queued post."""
    return ScheduledPost.objects.filter(state=PostState.QUEUED).update(state=PostState.HELD)


def scheduled_posts_release() -> int:
    """Inside the resume's transaction: queue every held post again (the due ones go out
    at the next sweep, which is asked for after commit)."""
    released = ScheduledPost.objects.filter(state=PostState.HELD).update(state=PostState.QUEUED)
    if released:
        scheduled_posts_due_announce()
    return released


def scheduled_posts_due_announce() -> None:
    send_on_commit(playbook_events.scheduled_posts_due, sender=ScheduledPost)


def scheduled_post_publish_next(*, now: datetime, skip: set[int]) -> ScheduledPost | None:
    """Take the next due post, publish it, record the result. None when there is none
    (or posting is paused)."""
    with transaction.atomic():
        post = (
            ScheduledPost.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("target", "incident")
            .filter(state=PostState.QUEUED, due_at__lte=now, next_attempt_at__lte=now)
            .exclude(pk__in=list(skip))
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if post is None:
            return None
        skip.add(post.pk)
        if outbound_paused():
            ScheduledPost.objects.filter(pk=post.pk).update(state=PostState.HELD)
            return None
        # Compare-and-set as well as the lock: SQLite (embedded mode) has no row locks,
        # and its scheduler thread and a request's after-commit sweep may meet here.
        claimed = ScheduledPost.objects.filter(
            pk=post.pk, state=PostState.QUEUED, attempts=post.attempts
        ).update(attempts=post.attempts + 1)
        if not claimed:
            return post
        post.attempts += 1
        _publish(post, now=now)
    return post


def _publish(post: ScheduledPost, *, now: datetime) -> None:
    fields = ["attempts", "state", "error", "next_attempt_at"]
    if post.target is None or not post.target.active:
        post.state, post.error, post.next_attempt_at = (
            PostState.FAILED,
            _("The publishing target was removed or switched off."),
            None,
        )
        post.save(update_fields=fields)
        _log(post, failed=True)
        return
    if post.incident is not None and post.incident.is_drill:
        # A drill never calls out, as statements of a drill do not.
        post.state, post.error, post.next_attempt_at, post.sent_at = (
            PostState.SENT,
            "",
            None,
            timezone.now(),
        )
        post.save(update_fields=[*fields, "sent_at"])
        _log(post, failed=False)
        return
    try:
        result = publisher_for(post.target).publish_scheduled(text=post.text, post=post)
    except Exception as exc:  # a connector's bug is a failure of this post, not of the sweep
        retry = exc.retry if isinstance(exc, PublishError) else False
        if not isinstance(exc, PublishError):
            logger.exception("scheduled post %s crashed its publisher", post.pk)
        post.error = short_reason(exc, limit=300)
        if retry and post.attempts < settings.SCHEDULED_POST_MAX_ATTEMPTS:
            post.next_attempt_at = now + retry_delay(post.attempts)
        else:
            post.state, post.next_attempt_at = PostState.FAILED, None
        post.save(update_fields=fields)
        logger.warning("scheduled post %s (attempt %s) failed: %s", post.pk, post.attempts, exc)
        if post.state == PostState.FAILED:
            _log(post, failed=True)
        return
    post.state, post.error, post.next_attempt_at = PostState.SENT, "", None
    post.sent_at = timezone.now()
    post.external_url = result.url[:500]
    post.external_id = result.external_id[:200]
    post.save(update_fields=[*fields, "sent_at", "external_url", "external_id"])
    _log(post, failed=False)


def _log(post: ScheduledPost, *, failed: bool) -> None:
    if post.incident is None:
        return
    target = post.target.name if post.target else "-"
    timeline_add(
        incident=post.incident,
        kind=TimelineKind.PLAYBOOK,
        key=(
            gettext_noop("Post #%(id)s to %(target)s failed: %(error)s")
            if failed
            else gettext_noop("Post #%(id)s published to %(target)s")
        ),
        params={"id": post.pk, "target": target, "error": post.error if failed else ""},
        data={"scheduled_post": post.pk},
    )


def scheduled_posts_sweep(*, now: datetime | None = None) -> int:
    """Publish every due post (one try each per sweep). Returns how many were sent."""
    now = now or timezone.now()
    if outbound_paused():
        return 0
    tried: set[int] = set()
    sent = 0
    while True:
        post = scheduled_post_publish_next(now=now, skip=tried)
        if post is None:
            break
        sent += post.state == PostState.SENT
    return sent
