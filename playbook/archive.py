"""One incident's full record as JSON for the organisation's archive (`export_incident`).

Each row is Django's own serialisation of the model (every field, foreign keys as
ids), so a new field lands in the archive without a change here; users are added by
username next to their ids, which mean nothing outside this database.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers import serialize
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet

from crisisroom.models import Incident

FORMAT_VERSION = 1


def _rows(queryset: QuerySet | list[Model]) -> list[dict[str, Any]]:
    return [
        {"id": row["pk"], **row["fields"]}
        for row in serialize("python", queryset, use_natural_foreign_keys=False)
    ]


def _one(obj: Model | None) -> dict[str, Any] | None:
    return _rows([obj])[0] if obj is not None else None


def incident_record(*, incident_id: int) -> dict[str, Any]:
    """Raises Incident.DoesNotExist for an unknown id."""
    incident = Incident.objects.select_related("brand").get(pk=incident_id)
    statements = []
    for statement in incident.statements.order_by("pk"):
        statements.append(
            {
                **_one(statement),
                "versions": _rows(statement.versions.order_by("pk")),
                "approvals": _rows(statement.approvals.order_by("pk")),
                "rejections": _rows(statement.rejections.order_by("pk")),
                "variants": _rows(statement.variants.order_by("pk")),
                "publications": _rows(statement.publications.order_by("pk")),
            }
        )
    run = getattr(incident, "playbook_run", None)
    steps = []
    if run is not None:
        for step in run.steps.order_by("pk"):
            steps.append({**_one(step), "items": _rows(step.items.order_by("pk"))})
    review = getattr(incident, "review", None)
    record = {
        "format": "crisisroom.incident",
        "format_version": FORMAT_VERSION,
        "incident": {**_one(incident), "brand_slug": incident.brand.slug},
        "timeline": _rows(incident.timeline.order_by("at", "pk")),
        "members": _rows(incident.members.order_by("pk")),
        "signals": _rows(incident.signals.order_by("at", "pk")),
        "alerts": _rows(incident.alerts.order_by("pk")),
        "chat": _rows(incident.chat_messages.order_by("pk")),
        "assessment": _one(getattr(incident, "assessment", None)),
        "playbook": {"run": _one(run), "steps": steps},
        "statements": statements,
        "claims": [
            {**_one(claim), "history": _rows(claim.history.order_by("at", "pk"))}
            for claim in incident.claims.order_by("pk")
        ],
        "expected_questions": _rows(incident.expected_questions.order_by("pk")),
        "support_scripts": _rows(incident.support_scripts.order_by("pk")),
        "channel_updates": _rows(incident.channel_updates.order_by("pk")),
        "review": (
            {**_one(review), "actions": _rows(review.actions.order_by("pk"))}
            if review is not None
            else None
        ),
    }
    record["users"] = _users(record)
    return record


def _users(record: Any) -> dict[str, str]:
    """Every user id the record names, with its username."""
    ids: set[int] = set()
    user_fields = {"actor", "user", "by", "author", "created_by", "edited_by", "done_by"}
    user_fields |= {"opened_by", "dismissed_by", "updated_by", "recipient", "owner", "mentioned"}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in user_fields and isinstance(inner, int):
                    ids.add(inner)
                elif key in user_fields and isinstance(inner, list):
                    ids.update(i for i in inner if isinstance(i, int))
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(record)
    users = get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")
    return {str(pk): username for pk, username in users}


encoder = DjangoJSONEncoder
