"""Live pushes of new mentions to the war rooms and the dashboard."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from crisisroom import events
from crisisroom.choices import ACTIVE_STATUSES
from crisisroom.models import Incident
from monitoring.models import Mention


def mention_payload(mention: Mention) -> events.MentionPayload:
    return {
        "id": mention.pk,
        "text": mention.text,
        "author": mention.author,
        "author_followers": mention.author_followers,
        "platform": mention.platform,
        "url": mention.url,
        "lang": mention.lang,
        "published_at": mention.published_at.isoformat(),
        "sentiment_label": mention.sentiment_label,
        "sentiment_score": mention.sentiment_score,
    }


def mentions_push_to_war_rooms(
    *, mention_ids: Sequence[int], brand_ids: Iterable[int] | None = None
) -> int:
    """Send new mentions to the war rooms of their brands' active incidents.

    With ``brand_ids`` (ingest knows them), mentions are loaded only for brands that
    have an active incident: most batches have none, and ingest's hot path should not
    read its rows back for nothing."""
    incidents = Incident.objects.filter(status__in=ACTIVE_STATUSES)
    if brand_ids is not None:
        brand_ids = set(brand_ids)
        incidents = incidents.filter(brand_id__in=brand_ids)
    active = list(incidents.values_list("pk", "brand_id"))
    by_brand: dict[int, list[events.MentionPayload]] = {}
    wanted = {brand_id for _, brand_id in active}
    if wanted or brand_ids is None:
        rows = Mention.objects.filter(
            # Reposts add reach to their original, not new voices to the feed.
            pk__in=mention_ids,
            brand__isnull=False,
            repost_of__isnull=True,
        )
        if brand_ids is not None:
            rows = rows.filter(brand_id__in=wanted)
        for mention in rows.order_by("published_at", "pk"):
            by_brand.setdefault(mention.brand_id, []).append(mention_payload(mention))
    pushed = 0
    for incident_id, brand_id in active:
        if brand_id not in by_brand:
            continue
        payload: events.MentionsNewEvent = {
            "type": "mentions.new",
            "incident": incident_id,
            "mentions": by_brand[brand_id],
        }
        events.broadcast(f"incident-{incident_id}", dict(payload))
        pushed += 1
    changed = sorted(brand_ids if brand_ids is not None else by_brand)
    if changed:
        events.broadcast(events.DASHBOARD_GROUP, {"type": "brands.changed", "brands": changed})
    return pushed
