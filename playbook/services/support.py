"""Steps 5 and 6: support scripts and channel updates."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import TimelineKind
from crisisroom.models import User
from crisisroom.services.timeline import timeline_add
from crisisroom.timeline_text import message
from playbook.choices import StatementState, UpdateChannel, UpdateState, WorkEvent
from playbook.events import work_record
from playbook.models import ChannelUpdate, Statement, SupportScript
from playbook.permissions import require_act
from playbook.services.base import InvalidInput, TransitionRefused


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
        key=gettext_noop("Support script drawn from statement #%(id)s"),
        params={"id": statement.pk},
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
        key=gettext_noop("Channel %(channel)s: %(state)s"),
        params={
            "channel": message(UpdateChannel(update.channel).label),
            "state": message(UpdateState(state).label),
        },
        actor=by,
    )
    if state in (UpdateState.DONE, UpdateState.NOT_NEEDED):
        work_record(
            incident=update.incident, event=WorkEvent.CHANNEL_UPDATED, detail=update.channel, by=by
        )
    return update
