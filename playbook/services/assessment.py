"""Step 2: the assessment and the misinformation ledger (claims)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisroom.choices import TimelineKind
from crisisroom.models import Incident, User
from crisisroom.services.timeline import timeline_add
from crisisroom.timeline_text import every_language, message
from foundation.validation import is_web_url
from playbook.choices import ClaimStatus, Classification, ResponseLevel, WorkEvent
from playbook.events import work_record
from playbook.models import Assessment, ClaimStatusChange, MisinformationClaim
from playbook.permissions import require_act
from playbook.services.base import InvalidInput


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
    changed = [n for n, value in fields.items() if getattr(assessment, n) != value]
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.updated_by = by
    assessment.save()
    if "classification" in fields and fields["classification"]:
        Incident.objects.filter(pk=incident.pk).update(category=fields["classification"])
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        key=gettext_noop("Assessment updated (%(fields)s)"),
        params={"fields": every_language(lambda: _field_names(changed or fields))},
        actor=by,
    )
    # What the assessment now holds ticks the matching checklist lines.
    if assessment.original_source.strip() or assessment.verified_facts.strip():
        work_record(incident=incident, event=WorkEvent.ASSESSMENT_SAVED, detail="facts", by=by)
    if assessment.classification and assessment.response_level:
        work_record(incident=incident, event=WorkEvent.ASSESSMENT_SAVED, detail="classified", by=by)
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
    before = row.status if row.pk else ""
    row.claim, row.status, row.evidence = claim.strip(), status, evidence
    row.correction, row.correction_url = correction, correction_url
    row.save()
    if before != status:
        ClaimStatusChange.objects.create(claim=row, from_status=before, to_status=status, by=by)
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        key=gettext_noop("Misinformation ledger: “%(claim)s” is %(status)s"),
        params={"claim": row.claim[:80], "status": message(ClaimStatus(status).label)},
        actor=by,
        data={"claim": row.pk, "status": status},
    )
    work_record(incident=incident, event=WorkEvent.CLAIM_RECORDED, by=by)
    return row


@transaction.atomic
def claim_status_set(
    *, claim: MisinformationClaim, by: User, status: str, note: str = ""
) -> MisinformationClaim:
    """Change what the ledger says of a claim (false → corrected, unverified → true, …);
    every change is kept in the claim's history and lands on the timeline."""
    claim = (
        MisinformationClaim.objects.select_for_update().select_related("incident").get(pk=claim.pk)
    )
    incident = claim.incident
    require_act(by, incident)
    if status not in ClaimStatus.values:
        raise InvalidInput(_("Unknown claim status."))
    note = (note or "").strip()[:300]
    if status == claim.status:
        return claim  # nothing changed (a second click): no history row, no timeline entry
    before = claim.status
    claim.status = status
    claim.save(update_fields=["status"])
    ClaimStatusChange.objects.create(
        claim=claim, from_status=before, to_status=status, note=note, by=by
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.PLAYBOOK,
        key=(
            gettext_noop(
                "Misinformation ledger: “%(claim)s” changed from %(before)s to %(after)s (%(note)s)"
            )
            if note
            else gettext_noop(
                "Misinformation ledger: “%(claim)s” changed from %(before)s to %(after)s"
            )
        ),
        params={
            "claim": claim.claim[:80],
            "before": message(ClaimStatus(before).label),
            "after": message(ClaimStatus(status).label),
            "note": note,
        },
        actor=by,
        data={"claim": claim.pk, "status": status, "from": before},
    )
    return claim


def _field_names(names: Iterable[str]) -> str:
    """The assessment's fields by name in the writer's language, in the page's order
    (the timeline is read by people, not by the code)."""
    order = [f.name for f in Assessment._meta.get_fields()]
    return ", ".join(
        str(Assessment._meta.get_field(n).verbose_name) for n in sorted(names, key=order.index)
    )
