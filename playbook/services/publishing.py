"""Step 4: publishing statements (and retrying them) and the outbound pause."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import TimelineKind
from crisisroom.models import Incident, User
from crisisroom.services.outgoing import outgoing_event_queue
from crisisroom.services.timeline import timeline_add
from crisisroom.timeline_text import every_language
from foundation.permissions import require
from foundation.signals import send_on_commit
from foundation.validation import is_web_url
from playbook import events as playbook_events
from playbook import selectors
from playbook.choices import PublicationState, StatementState, WorkEvent
from playbook.events import work_record
from playbook.models import OutboundPause, Publication, PublishTarget, Statement
from playbook.permissions import can_pause_outbound, require_act
from playbook.publishers import PublishError, publisher_for
from playbook.services.base import (
    InvalidInput,
    TransitionRefused,
    push_statement,
    roles_named,
)
from playbook.services.cadence import push_cadence
from playbook.services.runs import approval_steps_refresh
from playbook.services.scheduled import scheduled_posts_hold, scheduled_posts_release
from playbook.services.statements import statement_lock

logger = logging.getLogger(__name__)


@transaction.atomic
def statement_publish(
    *,
    statement: Statement,
    by: User,
    targets: Sequence[PublishTarget] | None = None,
    manual_url: str = "",
    manual_links: dict[str, str] | None = None,
) -> tuple[Statement, list[Publication]]:
    """Publish an approved statement: through connectors, or marked by hand with a link.

    A drill never calls out: every target gets a sandbox record instead. The row
    stays locked during the calls so two clicks cannot post twice.
    """
    statement = statement_lock(statement)
    incident = statement.incident
    require_act(by, incident)
    if statement.state == StatementState.PUBLISHED:
        raise TransitionRefused(_("This statement is already published."))
    if statement.state != StatementState.APPROVED:
        missing = selectors.missing_roles(statement)
        raise TransitionRefused(
            _("Not approved yet: publishing needs every required approval (missing: %(roles)s).")
            % {"roles": roles_named(missing) or "-"}
        )
    if targets is None:
        targets = list(PublishTarget.objects.filter(active=True))
    publications: list[Publication] = []
    if manual_url and not is_web_url(manual_url):
        raise InvalidInput(_("The link must start with http:// or https://."))
    links = manual_links or {}
    known = selectors.channels_by_code() if links else {}
    for channel, url in links.items():
        if channel not in known:
            raise InvalidInput(f"unknown channel {channel!r}")
        if not is_web_url(url):
            raise InvalidInput(_("The link must start with http:// or https://."))
    # A channel no connector publishes (LINE, PTT, Dcard, …): posted by hand, the link kept.
    for channel, url in links.items():
        publications.append(
            Publication.objects.create(
                statement=statement,
                channel=channel,
                state=PublicationState.MANUAL,
                url=url,
                body=selectors.channel_text(statement, channel),
                by=by,
            )
        )
    if manual_url:
        publications.append(
            Publication.objects.create(
                statement=statement,
                state=PublicationState.MANUAL,
                url=manual_url,
                body=statement.body,
                by=by,
            )
        )
    elif links and not targets:
        pass  # published by hand only
    elif not targets and not incident.is_drill:
        raise InvalidInput(
            _("No publishing target is set up; give the link where you published it by hand.")
        )
    elif incident.is_drill:
        for target in targets or [None]:
            channel = target.kind if target else ""
            publications.append(
                Publication.objects.create(
                    statement=statement,
                    target=target,
                    channel=channel,
                    state=PublicationState.SANDBOX,
                    body=selectors.channel_text(statement, channel) if channel else statement.body,
                    by=by,
                )
            )
    else:
        for target in targets:
            publisher = publisher_for(target)
            text = selectors.channel_text(statement, publisher.channel)
            try:
                result = _publish_one(publisher, text=text, statement=statement)
            except PublishError as exc:
                publications.append(
                    Publication.objects.create(
                        statement=statement,
                        target=target,
                        channel=publisher.channel,
                        state=PublicationState.FAILED,
                        body=text,
                        error=str(exc)[:1000],
                        by=by,
                    )
                )
                timeline_add(
                    incident=incident,
                    kind=TimelineKind.STATEMENT,
                    key=gettext_noop(
                        "Publishing statement #%(id)s to %(target)s failed: %(error)s"
                    ),
                    params={"id": statement.pk, "target": target.name, "error": str(exc)},
                    actor=by,
                    data={"statement": statement.pk, "retry": exc.retry},
                )
                if exc.retry:
                    publication_retry_queue(publications[-1].pk)
                continue
            publications.append(
                Publication.objects.create(
                    statement=statement,
                    target=target,
                    channel=publisher.channel,
                    state=PublicationState.SENT,
                    url=result.url[:500],
                    external_id=result.external_id[:200],
                    body=text,
                    by=by,
                )
            )
    if not any(p.state != PublicationState.FAILED for p in publications):
        return statement, publications
    statement_mark_published(statement, by, publications)
    return statement, publications


def _publish_one(publisher: Any, *, text: str, statement: Statement) -> Any:
    """One target's call; whatever goes wrong there becomes a PublishError, never a 500."""
    try:
        return publisher.publish(text=text, statement=statement)
    except PublishError:
        raise
    except Exception as exc:  # a connector's bug must not take the page down
        logger.exception("publishing statement %s to %s crashed", statement.pk, publisher.target)
        raise PublishError(f"unexpected error: {exc}", retry=False) from exc


def publication_failure_message(publication: Publication) -> str:
    """What the page says when a target failed: which one, why, and what to do next."""
    name = publication.target.name if publication.target else publication.channel
    return _(
        "Publishing to %(target)s failed: %(error)s. The statement is still approved: "
        "try again, or publish it by hand and give the link."
    ) % {"target": name, "error": publication.error}


def publication_retry_queue(publication_id: int) -> None:
    send_on_commit(
        playbook_events.publication_retry_wanted, sender=Publication, publication_id=publication_id
    )


def statement_mark_published(
    statement: Statement, by: User | None, publications: list[Publication]
) -> None:
    incident = statement.incident
    now = timezone.now()
    statement.state = StatementState.PUBLISHED
    statement.published_at = now
    statement.save(update_fields=["state", "published_at"])
    if incident.first_response_at is None:
        Incident.objects.filter(pk=incident.pk, first_response_at__isnull=True).update(
            first_response_at=now
        )
        incident.first_response_at = now
    # str(): a choice label is a lazy translation proxy, which str.join refuses.
    where = every_language(
        lambda: ", ".join(
            p.url or (p.target.name if p.target else "") or str(PublicationState(p.state).label)
            for p in publications
            if p.state != PublicationState.FAILED
        )
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        key=(
            gettext_noop("Statement #%(id)s published to the drill sandbox by %(user)s")
            if incident.is_drill
            else gettext_noop("Statement #%(id)s published by %(user)s: %(where)s")
        ),
        params={"id": statement.pk, "user": by.get_username() if by else "-", "where": where},
        actor=by,
        data={"statement": statement.pk, "publications": [p.pk for p in publications]},
    )
    push_statement(statement)
    push_cadence(incident)  # the next public update is now due a cadence from here
    work_record(incident=incident, event=WorkEvent.STATEMENT_PUBLISHED, by=by)
    approval_steps_refresh(incident)


def publication_retry(*, publication_id: int) -> bool:
    """Try a failed publication again (same target, same text). Returns True when sent.

    Raises PublishError when another try may help (the task retries it with back-off).
    Nothing is sent when the statement was edited or rejected since: its approval is gone.
    """
    retry_error: PublishError | None = None
    with transaction.atomic():
        publication = (
            Publication.objects.select_for_update(of=("self",))
            .select_related("statement__incident", "target", "by")
            .filter(pk=publication_id)
            .first()
        )
        if publication is None or publication.state != PublicationState.FAILED:
            return False
        statement = statement_lock(publication.statement)
        if statement.state not in (StatementState.APPROVED, StatementState.PUBLISHED):
            return False
        if publication.target is None or not publication.target.active:
            return False
        if statement.incident.is_drill:
            return False
        try:
            result = publisher_for(publication.target).publish(
                text=publication.body, statement=statement
            )
        except PublishError as exc:
            publication.error = str(exc)[:1000]
            publication.save(update_fields=["error"])
            retry_error = exc
        else:
            publication_sent(publication, statement, result)
    if retry_error is not None:
        if retry_error.retry:
            raise retry_error  # after commit: the error stays recorded
        return False
    return True


def publication_sent(publication: Publication, statement: Statement, result: Any) -> None:
    publication.state = PublicationState.SENT
    publication.url = result.url[:500]
    publication.external_id = result.external_id[:200]
    publication.error = ""
    publication.at = timezone.now()
    publication.save(update_fields=["state", "url", "external_id", "error", "at"])
    if statement.state == StatementState.APPROVED:
        statement_mark_published(statement, publication.by or statement.created_by, [publication])
        return
    timeline_add(
        incident=statement.incident,
        kind=TimelineKind.STATEMENT,
        key=gettext_noop("Statement #%(id)s published on retry: %(where)s"),
        params={"id": statement.pk, "where": publication.url or publication.target.name},
        data={"statement": statement.pk},
    )


@transaction.atomic
def outbound_pause(*, by: User, reason: str, incident: Incident | None = None) -> OutboundPause:
    """Pause the organisation's scheduled posts (one pause at a time), logged."""
    require(
        can_pause_outbound(by, incident),
        "Only an admin or the incident lead of an active incident may pause posting.",
    )
    if not reason.strip():
        raise InvalidInput(_("Give a reason for pausing."))
    current = OutboundPause.objects.select_for_update().filter(resumed_at__isnull=True).first()
    if current is not None:
        raise TransitionRefused(_("Scheduled posts are already paused."))
    pause = OutboundPause.objects.create(reason=reason.strip(), paused_by=by, incident=incident)
    held = scheduled_posts_hold()
    logger.info("outbound posts paused by %s (%s held): %s", by, held, reason)
    outgoing_event_queue(event="outbound.paused", data=_pause_event(pause, held=held))
    if incident is not None:
        timeline_add(
            incident=incident,
            kind=TimelineKind.PLAYBOOK,
            key=gettext_noop("Scheduled posts paused: %(reason)s"),
            params={"reason": pause.reason},
            actor=by,
        )
        work_record(incident=incident, event=WorkEvent.PAUSE_SET, by=by)
    return pause


@transaction.atomic
def outbound_resume(*, by: User, incident: Incident | None = None) -> OutboundPause:
    """Lift the organisation-wide pause; both the pausing and the lifting incident's
    timelines say who lifted it and from where."""
    require(
        can_pause_outbound(by, incident),
        "Only an admin or the incident lead of an active incident may resume posting.",
    )
    pause = OutboundPause.objects.select_for_update().filter(resumed_at__isnull=True).first()
    if pause is None:
        raise TransitionRefused(_("Scheduled posts are not paused."))
    pause.resumed_at = timezone.now()
    pause.resumed_by = by
    pause.save(update_fields=["resumed_at", "resumed_by"])
    released = scheduled_posts_release()
    logger.info("outbound posts resumed by %s (%s released)", by, released)
    outgoing_event_queue(event="outbound.resumed", data=_pause_event(pause, released=released))
    key = (
        gettext_noop("Scheduled posts resumed by %(user)s from incident #%(id)s")
        if incident is not None
        else gettext_noop("Scheduled posts resumed by %(user)s")
    )
    params = {"user": by.get_username(), "id": incident.pk if incident is not None else ""}
    for target in {incident, pause.incident} - {None}:
        timeline_add(incident=target, kind=TimelineKind.PLAYBOOK, key=key, params=params, actor=by)
        work_record(incident=target, event=WorkEvent.PAUSE_LIFTED, by=by)
    return pause


def _pause_event(pause: OutboundPause, **counts: int) -> dict[str, Any]:
    """What other tools (a Hootsuite, Buffer or Sprout integration) are told."""
    return {
        "paused": pause.resumed_at is None,
        "pause_id": pause.pk,
        "reason": pause.reason,
        "paused_at": pause.paused_at.isoformat(),
        "paused_by": pause.paused_by.get_username() if pause.paused_by else None,
        "resumed_at": pause.resumed_at.isoformat() if pause.resumed_at else None,
        "resumed_by": pause.resumed_by.get_username() if pause.resumed_by else None,
        "incident": pause.incident_id,
        **counts,
    }
