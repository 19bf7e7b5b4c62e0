"""Playbook writes: the run and its checklists, team, assessment, ledger, statements
and approvals, publishing, pause, support scripts, channel updates, review.

Every action appends to the incident's timeline (which broadcasts it) and pushes
its own live event so open war rooms update without a reload.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisroom import events
from crisisroom.choices import TimelineKind
from crisisroom.models import CrisisRole, Incident, IncidentMember, User
from crisisroom.permissions import can_view_incidents, require
from crisisroom.services import member_assign, timeline_add
from crisisroom.validation import is_web_url
from playbook import selectors
from playbook.choices import (
    Channel,
    ClaimStatus,
    Classification,
    PublicationState,
    ResponseLevel,
    StatementState,
    StepState,
    UpdateChannel,
    UpdateState,
)
from playbook.models import (
    Approval,
    Assessment,
    ChannelUpdate,
    ExpectedQuestion,
    MessageTemplate,
    MisinformationClaim,
    OutboundPause,
    PlaybookRun,
    PlaybookTemplate,
    PolicyAction,
    PostCrisisReview,
    Publication,
    PublishTarget,
    Rejection,
    RunChecklistItem,
    RunStep,
    Statement,
    StatementVariant,
    StatementVersion,
    SupportScript,
)
from playbook.permissions import (
    can_assemble_team,
    can_pause_outbound,
    incident_roles,
    require_act,
    require_admin,
)

logger = logging.getLogger(__name__)


class TransitionRefused(Exception):
    """The state does not allow this (the API answers 409 with the message)."""


class InvalidInput(ValueError):
    """The caller sent something unusable (the API answers 400)."""


# --- Events -------------------------------------------------------------------------


def _push(incident: Incident, payload: dict) -> None:
    events.broadcast_on_commit(incident.group_name, payload)


def _push_statement(statement: Statement, *, new: bool = False) -> None:
    payload = {"type": "statement.updated", "incident": statement.incident_id, "new": new}
    payload.update(selectors.statement_json(statement))
    _push(statement.incident, payload)


# --- The run ------------------------------------------------------------------------


@transaction.atomic
def playbook_run_start(*, incident: Incident) -> PlaybookRun | None:
    """Copy the default template into the incident (once); None when no template exists."""
    existing = PlaybookRun.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    template = PlaybookTemplate.objects.filter(is_default=True).first()
    if template is None:
        logger.warning("no default playbook template; incident %s has no playbook", incident.pk)
        return None
    run = PlaybookRun.objects.create(incident=incident, template=template)
    for step_t in template.steps.prefetch_related("items"):
        step = RunStep.objects.create(
            run=run,
            number=step_t.number,
            title=step_t.title,
            description=step_t.description,
            owner_role_id=step_t.owner_role_id,
            needs_approval=step_t.needs_approval,
        )
        RunChecklistItem.objects.bulk_create(
            RunChecklistItem(step=step, position=item.position, text=item.text)
            for item in step_t.items.all()
        )
    Assessment.objects.get_or_create(incident=incident)
    ChannelUpdate.objects.bulk_create(
        ChannelUpdate(incident=incident, channel=channel) for channel in UpdateChannel.values
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        message=_("Playbook started from “%(name)s”") % {"name": template.name},
    )
    return run


def _step_state_refresh(step: RunStep) -> str:
    items = list(step.items.all())
    done = sum(item.done for item in items)
    if items and done == len(items):
        state = StepState.DONE
        if step.needs_approval and not _step_approval_met(step):
            state = StepState.IN_PROGRESS
    elif done:
        state = StepState.IN_PROGRESS
    else:
        state = StepState.PENDING
    if state != step.state:
        step.state = state
        step.completed_at = timezone.now() if state == StepState.DONE else None
        step.save(update_fields=["state", "completed_at"])
    return state


def _step_approval_met(step: RunStep) -> bool:
    """Step 3 is done once a statement is approved; step 4 once one is published."""
    incident_id = step.run.incident_id
    wanted = (
        [StatementState.PUBLISHED]
        if step.number >= 4
        else [StatementState.APPROVED, StatementState.PUBLISHED]
    )
    return Statement.objects.filter(incident_id=incident_id, state__in=wanted).exists()


@transaction.atomic
def checklist_item_set(*, item: RunChecklistItem, done: bool, by: User) -> RunChecklistItem:
    item = (
        RunChecklistItem.objects.select_for_update()
        .select_related("step__run__incident")
        .get(pk=item.pk)
    )
    step = item.step
    incident = step.run.incident
    require_act(by, incident)
    if item.done == done:
        return item
    item.done = done
    item.done_by = by if done else None
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done", "done_by", "done_at"])
    state = _step_state_refresh(step)
    message = (
        _("Step %(n)s: ticked “%(item)s”") if done else _("Step %(n)s: unticked “%(item)s”")
    ) % {"n": step.number, "item": _(item.text)}
    timeline_add(incident=incident, kind=TimelineKind.PLAYBOOK, message=message, actor=by)
    _push(
        incident,
        {
            "type": "playbook.item",
            "incident": incident.pk,
            "item": item.pk,
            "text": item.text,
            "done": done,
            "by": by.get_username() if done else "",
            "step": step.pk,
            "step_number": step.number,
            "step_state": state,
            "title": step.title,
        },
    )
    return item


def _refresh_approval_steps(incident: Incident) -> None:
    for step in RunStep.objects.filter(run__incident=incident, needs_approval=True):
        state = _step_state_refresh(step)
        _push(
            incident,
            {
                "type": "playbook.step",
                "incident": incident.pk,
                "step": step.pk,
                "step_number": step.number,
                "step_state": state,
                "title": step.title,
            },
        )


# --- Step 1: the team ----------------------------------------------------------------


@transaction.atomic
def team_member_add(
    *, incident: Incident, user: User, crisis_role: str, by: User
) -> IncidentMember:
    """Assign a roster member to a crisis role on the incident and notify them."""
    require(
        can_assemble_team(by, incident),
        "Only the incident's team (or an admin) may assign its members.",
    )
    role = CrisisRole.objects.filter(slug=crisis_role).first()
    if role is None:
        raise InvalidInput(_("Unknown crisis role %(role)s.") % {"role": crisis_role})
    if not can_view_incidents(user):
        raise InvalidInput(
            _("%(user)s has no organisation role and cannot join.") % {"user": user.get_username()}
        )
    if not user.crisis_roles.filter(pk=role.pk).exists():
        raise InvalidInput(
            _("%(user)s is not on the roster as %(role)s.")
            % {"user": user.get_username(), "role": role.label}
        )
    existed = IncidentMember.objects.filter(incident=incident, user=user, crisis_role=role).exists()
    member = member_assign(incident=incident, user=user, crisis_role=crisis_role, by=by)
    if not existed and user.email:
        from playbook.tasks import member_notify_task

        transaction.on_commit(lambda: member_notify_task.delay(member.pk))
    return member


def member_notify(*, member_id: int) -> bool:
    """Tell a newly assigned member which role they hold and where the war room is."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import translation

    member = (
        IncidentMember.objects.select_related("incident", "user", "crisis_role")
        .filter(pk=member_id)
        .first()
    )
    if member is None or not member.user.email:
        return False
    with translation.override(member.user.language or settings.LANGUAGE_CODE):
        subject = _("[Crisis Room] You are %(role)s on #%(id)s %(title)s") % {
            "role": member.crisis_role.label,
            "id": member.incident_id,
            "title": member.incident.title,
        }
        body = _("Join the war room: %(url)s") % {
            "url": f"{settings.SITE_URL}/incidents/{member.incident_id}/"
        }
    send_mail(subject, body, None, [member.user.email])
    return True


# --- Step 2: assessment and the misinformation ledger -------------------------------


@transaction.atomic
def assessment_update(*, incident: Incident, by: User, **fields: str) -> Assessment:
    require_act(by, incident)
    assessment, _created = Assessment.objects.get_or_create(incident=incident)
    allowed = {
        "classification",
        "response_level",
        "original_source",
        "verified_facts",
        "key_voices",
        "media_coverage",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    if fields.get("classification") and fields["classification"] not in Classification.values:
        raise InvalidInput(_("Unknown classification."))
    if "response_level" in fields and fields["response_level"] not in ResponseLevel.values:
        raise InvalidInput(_("Unknown response level."))
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.updated_by = by
    assessment.save()
    if "classification" in fields and fields["classification"]:
        Incident.objects.filter(pk=incident.pk).update(category=fields["classification"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        message=_("Assessment updated (%(fields)s)") % {"fields": ", ".join(sorted(fields))},
        actor=by,
    )
    return assessment


@transaction.atomic
def claim_record(
    *,
    incident: Incident,
    by: User,
    claim: str,
    status: str = ClaimStatus.UNVERIFIED,
    evidence: str = "",
    correction: str = "",
    correction_url: str = "",
    claim_id: int | None = None,
) -> MisinformationClaim:
    require_act(by, incident)
    if status not in ClaimStatus.values:
        raise InvalidInput(_("Unknown claim status."))
    if not claim.strip():
        raise InvalidInput(_("Write the claim."))
    if correction_url and not is_web_url(correction_url):
        raise InvalidInput(_("The correction's link must start with http:// or https://."))
    if claim_id is not None:
        row = (
            MisinformationClaim.objects.select_for_update()
            .filter(pk=claim_id, incident=incident)
            .first()
        )
        if row is None:
            raise InvalidInput(_("No such claim on this incident."))
    else:
        row = MisinformationClaim(incident=incident)
    row.claim, row.status, row.evidence = claim.strip(), status, evidence
    row.correction, row.correction_url = correction, correction_url
    row.save()
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        message=_("Misinformation ledger: “%(claim)s” is %(status)s")
        % {"claim": row.claim[:80], "status": ClaimStatus(status).label},
        actor=by,
    )
    return row


# --- Step 3: statements and approvals ------------------------------------------------


def _check_channels(channels: Sequence[str]) -> list[str]:
    if not isinstance(channels, list | tuple) or not all(isinstance(c, str) for c in channels):
        raise InvalidInput("channels must be a list of channel names.")
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise InvalidInput(
            f"unknown channel(s): {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(Channel.values)}"
        )
    return list(dict.fromkeys(channels))


@transaction.atomic
def statement_create(
    *,
    incident: Incident,
    by: User,
    body: str,
    title: str = "",
    channels: Sequence[str] = (),
    template: MessageTemplate | None = None,
) -> Statement:
    require_act(by, incident)
    if template is not None and not body.strip():
        body = template.body
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput(_("A statement needs a body."))
    assessment = Assessment.objects.filter(incident=incident).first()
    statement = Statement.objects.create(
        incident=incident,
        title=title[:200],
        body=body.strip(),
        channels=_check_channels(channels),
        response_level=assessment.response_level if assessment else ResponseLevel.STATEMENT,
        created_by=by,
    )
    StatementVersion.objects.create(
        statement=statement, number=1, body=statement.body, edited_by=by
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        message=_("Statement #%(id)s drafted by %(user)s")
        % {"id": statement.pk, "user": by.get_username()},
        actor=by,
        data={"statement": statement.pk},
    )
    _push_statement(statement, new=True)
    return statement


def _lock(statement: Statement) -> Statement:
    return Statement.objects.select_for_update().select_related("incident").get(pk=statement.pk)


def _reset_approvals(statement: Statement, by: User, why: str | None) -> None:
    """Clear the approvals and send a submitted or approved statement back to draft (the
    caller saves it). ``why`` None: the caller's own timeline entry already says so."""
    had = why is not None and (
        statement.approvals.exists() or statement.state == StatementState.APPROVED
    )
    statement.approvals.all().delete()
    if statement.state in (StatementState.SUBMITTED, StatementState.APPROVED):
        statement.state = StatementState.DRAFT
        statement.submitted_at = None
    if had:
        timeline_add(
            incident=statement.incident,
            kind=TimelineKind.STATEMENT,
            message=_("Statement #%(id)s: approvals reset (%(why)s)")
            % {"id": statement.pk, "why": why},
            actor=by,
            data={"statement": statement.pk},
        )


@transaction.atomic
def statement_edit(
    *,
    statement: Statement,
    by: User,
    body: str | None = None,
    title: str | None = None,
    channels: Sequence[str] | None = None,
    variants: dict[str, str] | None = None,
) -> Statement:
    """Change the text; any change after submission sends it back to draft, approvals cleared."""
    statement = _lock(statement)
    require_act(by, statement.incident)
    if statement.state == StatementState.PUBLISHED:
        raise TransitionRefused(_("A published statement cannot be edited; draft a new one."))
    changed = False
    if body is not None and body.strip() != statement.body:
        if not body.strip():
            raise InvalidInput(_("A statement needs a body."))
        statement.body = body.strip()
        statement.version += 1
        StatementVersion.objects.create(
            statement=statement, number=statement.version, body=statement.body, edited_by=by
        )
        changed = True
    if title is not None:
        statement.title = title[:200]
    if channels is not None:
        statement.channels = _check_channels(channels)
    for channel, text in (variants or {}).items():
        if channel not in Channel.values:
            raise InvalidInput(f"unknown channel {channel!r}")
        existing = StatementVariant.objects.filter(statement=statement, channel=channel).first()
        if not text.strip():
            if existing:
                existing.delete()
                changed = True
            continue
        if existing is None or existing.body != text.strip():
            StatementVariant.objects.update_or_create(
                statement=statement, channel=channel, defaults={"body": text.strip()}
            )
            changed = True
    if changed:
        _reset_approvals(statement, by, _("edited"))
        timeline_add(
            incident=statement.incident,
            kind=TimelineKind.STATEMENT,
            message=_("Statement #%(id)s edited by %(user)s (version %(v)s)")
            % {"id": statement.pk, "user": by.get_username(), "v": statement.version},
            actor=by,
            data={"statement": statement.pk},
        )
    statement.save()
    _push_statement(statement)
    _refresh_approval_steps(statement.incident)
    return statement


@transaction.atomic
def statement_submit(*, statement: Statement, by: User) -> Statement:
    statement = _lock(statement)
    require_act(by, statement.incident)
    if statement.state != StatementState.DRAFT:
        raise TransitionRefused(
            _("Only a draft can be submitted; this statement is %(state)s.")
            % {"state": StatementState(statement.state).label}
        )
    statement.state = StatementState.SUBMITTED
    statement.submitted_at = timezone.now()
    statement.save(update_fields=["state", "submitted_at"])
    timeline_add(
        incident=statement.incident,
        kind=TimelineKind.STATEMENT,
        message=_("Statement #%(id)s submitted for approval by %(user)s")
        % {"id": statement.pk, "user": by.get_username()},
        actor=by,
        data={"statement": statement.pk},
    )
    _push_statement(statement)
    return statement


def _authors(statement: Statement) -> set[int]:
    ids = set(statement.versions.values_list("edited_by_id", flat=True))
    ids.add(statement.created_by_id)
    ids.discard(None)
    return ids


@transaction.atomic
def statement_approve(*, statement: Statement, by: User, role: str | None = None) -> Statement:
    """Approve as a required crisis role the user holds on this incident."""
    statement = _lock(statement)
    incident = statement.incident
    require_act(by, incident)
    required = selectors.required_roles(statement)
    held = incident_roles(by, incident) & set(required)
    if role is not None:
        if role not in required:
            raise InvalidInput(_("%(role)s is not required to approve this.") % {"role": role})
        held &= {role}
    require(
        bool(held),
        "Approving needs a required crisis role on this incident: " + ", ".join(required),
    )
    if statement.state != StatementState.SUBMITTED:
        raise TransitionRefused(
            _("Only a submitted statement can be approved; this one is %(state)s.")
            % {"state": StatementState(statement.state).label}
        )
    if by.pk in _authors(statement):
        raise TransitionRefused(_("Nobody approves their own draft; another person must."))
    approvals = list(statement.approvals.filter(version=statement.version).select_related("role"))
    if any(a.user_id == by.pk for a in approvals):
        raise TransitionRefused(_("You have already approved this version."))
    done_roles = {a.role.slug for a in approvals}
    open_roles = [r for r in required if r in held and r not in done_roles]
    if not open_roles:
        raise TransitionRefused(_("Your role has already approved this version."))
    role_obj = CrisisRole.objects.get(slug=open_roles[0])
    Approval.objects.create(statement=statement, role=role_obj, user=by, version=statement.version)
    done_roles.add(role_obj.slug)
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        message=_("Statement #%(id)s approved by %(user)s as %(role)s")
        % {"id": statement.pk, "user": by.get_username(), "role": role_obj.label},
        actor=by,
        data={"statement": statement.pk, "role": role_obj.slug},
    )
    if set(required) <= done_roles:
        statement.state = StatementState.APPROVED
        statement.save(update_fields=["state"])
        timeline_add(
            incident=incident,
            kind=TimelineKind.STATEMENT,
            message=_("Statement #%(id)s is approved by every required role")
            % {"id": statement.pk},
            data={"statement": statement.pk},
        )
        _refresh_approval_steps(incident)
    _push_statement(statement)
    return statement


@transaction.atomic
def statement_reject(*, statement: Statement, by: User, comment: str) -> Statement:
    statement = _lock(statement)
    incident = statement.incident
    require_act(by, incident)
    required = selectors.required_roles(statement)
    require(
        bool(incident_roles(by, incident) & set(required)),
        "Rejecting needs a required crisis role on this incident: " + ", ".join(required),
    )
    if not isinstance(comment, str) or not comment.strip():
        raise InvalidInput(_("Say why: a rejection needs a comment."))
    if statement.state not in (StatementState.SUBMITTED, StatementState.APPROVED):
        raise TransitionRefused(
            _("Only a submitted or approved statement can be rejected; this one is %(state)s.")
            % {"state": StatementState(statement.state).label}
        )
    Rejection.objects.create(
        statement=statement, user=by, version=statement.version, comment=comment.strip()
    )
    _reset_approvals(statement, by, None)  # the rejection's entry below says why
    statement.save(update_fields=["state", "submitted_at"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        message=_("Statement #%(id)s rejected by %(user)s: %(comment)s")
        % {"id": statement.pk, "user": by.get_username(), "comment": comment.strip()},
        actor=by,
        data={"statement": statement.pk},
    )
    _push_statement(statement)
    _refresh_approval_steps(incident)
    return statement


@transaction.atomic
def question_add(
    *, incident: Incident, by: User, question: str, answer: str = ""
) -> ExpectedQuestion:
    require_act(by, incident)
    if not question.strip():
        raise InvalidInput(_("Write the question."))
    row = ExpectedQuestion.objects.create(incident=incident, question=question, answer=answer)
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        message=_("Expected question added: %(q)s") % {"q": question[:80]},
        actor=by,
    )
    return row


@transaction.atomic
def message_template_pre_approve(
    *, template: MessageTemplate, by: User, pre_approved: bool = True
) -> MessageTemplate:
    require_admin(by)
    template.pre_approved = pre_approved
    template.save(update_fields=["pre_approved"])
    return template


# --- Step 4: publishing and the outbound pause --------------------------------------


@transaction.atomic
def statement_publish(
    *,
    statement: Statement,
    by: User,
    targets: Sequence[PublishTarget] | None = None,
    manual_url: str = "",
) -> tuple[Statement, list[Publication]]:
    """Publish an approved statement: through connectors, or marked by hand with a link.

    A drill never calls out: every target gets a sandbox record instead. The row
    stays locked during the calls so two clicks cannot post twice.
    """
    from playbook.publishers import PublishError, publisher_for

    statement = _lock(statement)
    incident = statement.incident
    require_act(by, incident)
    if statement.state == StatementState.PUBLISHED:
        raise TransitionRefused(_("This statement is already published."))
    if statement.state != StatementState.APPROVED:
        missing = selectors.missing_roles(statement)
        raise TransitionRefused(
            _("Not approved yet: publishing needs every required approval (missing: %(roles)s).")
            % {"roles": ", ".join(missing) or "-"}
        )
    if targets is None:
        targets = list(PublishTarget.objects.filter(active=True))
    publications: list[Publication] = []
    if manual_url and not is_web_url(manual_url):
        raise InvalidInput(_("The link must start with http:// or https://."))
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
                result = publisher.publish(text=text, statement=statement)
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
                    message=_("Publishing statement #%(id)s to %(target)s failed: %(error)s")
                    % {"id": statement.pk, "target": target.name, "error": exc},
                    actor=by,
                    data={"statement": statement.pk, "retry": exc.retry},
                )
                if exc.retry:
                    _queue_retry(publications[-1].pk)
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
    _mark_published(statement, by, publications)
    return statement, publications


def _queue_retry(publication_id: int) -> None:
    from playbook.tasks import publication_retry_task

    transaction.on_commit(lambda: publication_retry_task.delay(publication_id))


def _mark_published(statement: Statement, by: User | None, publications: list[Publication]) -> None:
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
    where = ", ".join(
        p.url or (p.target.name if p.target else "") or PublicationState(p.state).label
        for p in publications
        if p.state != PublicationState.FAILED
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        message=(
            _("Statement #%(id)s published to the drill sandbox by %(user)s")
            if incident.is_drill
            else _("Statement #%(id)s published by %(user)s: %(where)s")
        )
        % {"id": statement.pk, "user": by.get_username() if by else "-", "where": where},
        actor=by,
        data={"statement": statement.pk, "publications": [p.pk for p in publications]},
    )
    _push_statement(statement)
    _refresh_approval_steps(incident)


def publication_retry(*, publication_id: int) -> bool:
    """Try a failed publication again (same target, same text). Returns True when sent.

    Raises PublishError when another try may help (the task retries it with back-off).
    Nothing is sent when the statement was edited or rejected since: its approval is gone.
    """
    from playbook.publishers import PublishError, publisher_for

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
        statement = _lock(publication.statement)
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
            _publication_sent(publication, statement, result)
    if retry_error is not None:
        if retry_error.retry:
            raise retry_error  # after commit: the error stays recorded
        return False
    return True


def _publication_sent(publication: Publication, statement: Statement, result: Any) -> None:
    publication.state = PublicationState.SENT
    publication.url = result.url[:500]
    publication.external_id = result.external_id[:200]
    publication.error = ""
    publication.at = timezone.now()
    publication.save(update_fields=["state", "url", "external_id", "error", "at"])
    if statement.state == StatementState.APPROVED:
        _mark_published(statement, publication.by or statement.created_by, [publication])
        return
    timeline_add(
        incident=statement.incident,
        kind=TimelineKind.STATEMENT,
        message=_("Statement #%(id)s published on retry: %(where)s")
        % {"id": statement.pk, "where": publication.url or publication.target.name},
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
    logger.info("outbound posts paused by %s: %s", by, reason)
    if incident is not None:
        timeline_add(
            incident=incident,
            kind=TimelineKind.PLAYBOOK,
            message=_("Scheduled posts paused: %(reason)s") % {"reason": pause.reason},
            actor=by,
        )
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
    logger.info("outbound posts resumed by %s", by)
    if incident is not None:
        message = _("Scheduled posts resumed by %(user)s from incident #%(id)s") % {
            "user": by.get_username(),
            "id": incident.pk,
        }
    else:
        message = _("Scheduled posts resumed by %(user)s") % {"user": by.get_username()}
    for target in {incident, pause.incident} - {None}:
        timeline_add(incident=target, kind=TimelineKind.PLAYBOOK, message=message, actor=by)
    return pause


# --- Steps 5 and 6 --------------------------------------------------------------------


@transaction.atomic
def support_script_create(*, statement: Statement, by: User) -> SupportScript:
    """A customer-service script drawn from an approved (or published) statement."""
    incident = statement.incident
    require_act(by, incident)
    if statement.state not in (StatementState.APPROVED, StatementState.PUBLISHED):
        raise TransitionRefused(_("Scripts are drawn from an approved statement only."))
    questions = list(incident.expected_questions.all())
    lines = [
        _("Acknowledge: “I understand, and I'm sorry this affected you.”"),
        _("What we have said publicly:"),
        statement.body,
    ]
    for q in questions:
        lines += ["", _("If asked: %(q)s") % {"q": q.question}, q.answer]
    lines += ["", _("Do not speculate beyond the statement; escalate press to the PR lead.")]
    script = SupportScript.objects.create(
        incident=incident,
        statement=statement,
        title=_("Script from statement #%(id)s") % {"id": statement.pk},
        body="\n".join(lines),
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        message=_("Support script drawn from statement #%(id)s") % {"id": statement.pk},
        actor=by,
    )
    return script


@transaction.atomic
def channel_update_set(
    *, update: ChannelUpdate, by: User, state: str, owner: User | None = None, note: str = ""
) -> ChannelUpdate:
    update = ChannelUpdate.objects.select_for_update().select_related("incident").get(pk=update.pk)
    require_act(by, update.incident)
    if state not in UpdateState.values:
        raise InvalidInput(_("Unknown state."))
    update.state = state
    if owner is not None:
        update.owner = owner
    update.note = note[:300]
    update.save()
    timeline_add(
        incident=update.incident,
        kind=TimelineKind.PLAYBOOK,
        message=_("Channel %(channel)s: %(state)s")
        % {
            "channel": UpdateChannel(update.channel).label,
            "state": UpdateState(state).label,
        },
        actor=by,
    )
    return update


# --- Step 7: post-crisis review -------------------------------------------------------


@transaction.atomic
def review_update(
    *, incident: Incident, by: User, root_cause: str, lessons: str
) -> PostCrisisReview:
    require_act(by, incident)
    review, _created = PostCrisisReview.objects.get_or_create(incident=incident)
    review.root_cause, review.lessons = root_cause, lessons
    review.save()
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        message=_("Post-crisis review updated"),
        actor=by,
    )
    return review


@transaction.atomic
def policy_action_add(
    *, incident: Incident, by: User, text: str, owner: User | None = None
) -> PolicyAction:
    require_act(by, incident)
    if not text.strip():
        raise InvalidInput(_("Describe the action."))
    review, _created = PostCrisisReview.objects.get_or_create(incident=incident)
    action = PolicyAction.objects.create(review=review, text=text.strip()[:300], owner=owner)
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        message=_("Policy action: %(text)s (owner: %(owner)s)")
        % {"text": action.text, "owner": owner.get_username() if owner else "-"},
        actor=by,
    )
    return action
