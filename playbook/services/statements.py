"""Step 3: statements, their versions and approvals, expected questions, pre-approved templates."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import CrisisRoleSlug, TimelineKind
from crisisroom.models import CrisisRole, Incident, User
from crisisroom.services.timeline import timeline_add
from crisisroom.timeline_text import message
from foundation.permissions import require
from playbook import selectors
from playbook.choices import ResponseLevel, StatementState, WorkEvent
from playbook.events import work_record
from playbook.models import (
    Approval,
    Assessment,
    ExpectedQuestion,
    MessageTemplate,
    Rejection,
    Statement,
    StatementVariant,
    StatementVersion,
)
from playbook.permissions import incident_roles, require_act, require_admin
from playbook.review import statement_placeholders
from playbook.services.base import InvalidInput, TransitionRefused, push_statement, roles_named
from playbook.services.runs import approval_steps_refresh


def channels_check(channels: Sequence[str]) -> list[str]:
    if not isinstance(channels, list | tuple) or not all(isinstance(c, str) for c in channels):
        raise InvalidInput("channels must be a list of channel names.")
    known = selectors.channels_by_code()
    unknown = set(channels) - set(known)
    if unknown:
        raise InvalidInput(
            f"unknown channel(s): {', '.join(sorted(unknown))}; choose from {', '.join(known)}"
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
        channels=channels_check(channels),
        response_level=assessment.response_level if assessment else ResponseLevel.STATEMENT,
        created_by=by,
    )
    StatementVersion.objects.create(
        statement=statement, number=1, body=statement.body, edited_by=by
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        key=gettext_noop("Statement #%(id)s drafted by %(user)s"),
        params={"id": statement.pk, "user": by.get_username()},
        actor=by,
        data={"statement": statement.pk},
    )
    push_statement(statement, new=True)
    return statement


def statement_lock(statement: Statement) -> Statement:
    return Statement.objects.select_for_update().select_related("incident").get(pk=statement.pk)


def approvals_reset(statement: Statement, by: User, why: str | None) -> None:
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
            key=gettext_noop("Statement #%(id)s: approvals reset (%(why)s)"),
            params={"id": statement.pk, "why": message(why)},
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
    statement = statement_lock(statement)
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
        statement.channels = channels_check(channels)
    known = selectors.channels_by_code() if variants else {}
    for channel, text in (variants or {}).items():
        if channel not in known:
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
        approvals_reset(statement, by, gettext_noop("edited"))
        timeline_add(
            incident=statement.incident,
            kind=TimelineKind.STATEMENT,
            key=gettext_noop("Statement #%(id)s edited by %(user)s (version %(v)s)"),
            params={"id": statement.pk, "user": by.get_username(), "v": statement.version},
            actor=by,
            data={"statement": statement.pk},
        )
    statement.save()
    push_statement(statement)
    approval_steps_refresh(statement.incident)
    return statement


def placeholders_refuse(statement: Statement) -> None:
    """A template's blanks go out as "{next_update}" if nobody fills them: refuse."""
    if found := statement_placeholders(statement):
        raise TransitionRefused(
            _("Fill in the template's placeholders first: %(names)s.") % {"names": ", ".join(found)}
        )


@transaction.atomic
def statement_submit(*, statement: Statement, by: User) -> Statement:
    statement = statement_lock(statement)
    require_act(by, statement.incident)
    if statement.state != StatementState.DRAFT:
        raise TransitionRefused(
            _("Only a draft can be submitted; this statement is %(state)s.")
            % {"state": StatementState(statement.state).label}
        )
    placeholders_refuse(statement)
    statement.state = StatementState.SUBMITTED
    statement.submitted_at = timezone.now()
    statement.save(update_fields=["state", "submitted_at"])
    timeline_add(
        incident=statement.incident,
        kind=TimelineKind.STATEMENT,
        key=gettext_noop("Statement #%(id)s submitted for approval by %(user)s"),
        params={"id": statement.pk, "user": by.get_username()},
        actor=by,
        data={"statement": statement.pk},
    )
    push_statement(statement)
    work_record(incident=statement.incident, event=WorkEvent.STATEMENT_SUBMITTED, by=by)
    return statement


def statement_authors(statement: Statement) -> set[int]:
    ids = set(statement.versions.values_list("edited_by_id", flat=True))
    ids.add(statement.created_by_id)
    ids.discard(None)
    return ids


@transaction.atomic
def statement_approve(*, statement: Statement, by: User, role: str | None = None) -> Statement:
    """Approve as a required crisis role the user holds on this incident."""
    statement = statement_lock(statement)
    incident = statement.incident
    require_act(by, incident)
    required = selectors.required_roles(statement)
    held = incident_roles(by, incident) & set(required)
    if role is not None:
        if role not in required:
            raise InvalidInput(
                _("%(role)s is not required to approve this.") % {"role": roles_named([role])}
            )
        held &= {role}
    require(
        bool(held),
        _("Approving needs a required crisis role on this incident: %(roles)s.")
        % {"roles": roles_named(required)},
    )
    if statement.state != StatementState.SUBMITTED:
        raise TransitionRefused(
            _("Only a submitted statement can be approved; this one is %(state)s.")
            % {"state": StatementState(statement.state).label}
        )
    if by.pk in statement_authors(statement):
        raise TransitionRefused(_("Nobody approves their own draft; another person must."))
    placeholders_refuse(statement)  # submitted before the check existed
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
        key=gettext_noop("Statement #%(id)s approved by %(user)s as %(role)s"),
        params={
            "id": statement.pk,
            "user": by.get_username(),
            "role": message(CrisisRoleSlug(role_obj.slug).label),
        },
        actor=by,
        data={"statement": statement.pk, "role": role_obj.slug},
    )
    if set(required) <= done_roles:
        statement.state = StatementState.APPROVED
        statement.save(update_fields=["state"])
        timeline_add(
            incident=incident,
            kind=TimelineKind.STATEMENT,
            key=gettext_noop("Statement #%(id)s is approved by every required role"),
            params={"id": statement.pk},
            data={"statement": statement.pk},
        )
        work_record(incident=incident, event=WorkEvent.STATEMENT_APPROVED, by=by)
        approval_steps_refresh(incident)
    push_statement(statement)
    return statement


@transaction.atomic
def statement_reject(*, statement: Statement, by: User, comment: str) -> Statement:
    statement = statement_lock(statement)
    incident = statement.incident
    require_act(by, incident)
    required = selectors.required_roles(statement)
    require(
        bool(incident_roles(by, incident) & set(required)),
        _("Rejecting needs a required crisis role on this incident: %(roles)s.")
        % {"roles": roles_named(required)},
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
    approvals_reset(statement, by, None)  # the rejection's entry below says why
    statement.save(update_fields=["state", "submitted_at"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.STATEMENT,
        key=gettext_noop("Statement #%(id)s rejected by %(user)s: %(comment)s"),
        params={"id": statement.pk, "user": by.get_username(), "comment": comment.strip()},
        actor=by,
        data={"statement": statement.pk},
    )
    push_statement(statement)
    approval_steps_refresh(incident)
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
        key=gettext_noop("Expected question added: %(q)s"),
        params={"q": question[:80]},
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
