"""Step 7: the post-crisis review and its policy actions."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import TimelineKind
from crisisroom.models import Incident, User
from crisisroom.services.timeline import timeline_add
from playbook.choices import WorkEvent
from playbook.events import work_record
from playbook.models import PolicyAction, PostCrisisReview
from playbook.permissions import require_act
from playbook.services.base import InvalidInput


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
        key=gettext_noop("Post-crisis review updated"),
        actor=by,
    )
    if review.root_cause.strip() and review.lessons.strip():
        work_record(incident=incident, event=WorkEvent.REVIEW_WRITTEN, by=by)
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
        key=gettext_noop("Policy action: %(text)s (owner: %(owner)s)"),
        params={"text": action.text, "owner": owner.get_username() if owner else "-"},
        actor=by,
    )
    return action
