"""Playbook reads: JSON shapes for the API and live events, the assessment's
figures from the data, the review's metrics from the timeline and rollups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from crisisroom.choices import ACTIVE_STATUSES
from crisisroom.models import Incident
from monitoring.models import Mention, Rollup
from playbook import metrics, textdiff
from playbook.choices import PostState, ReplyState, ResponseLevel, StatementState
from playbook.counting import text_length
from playbook.models import (
    ApprovalPolicy,
    Assessment,
    Channel,
    MentionReply,
    RunStep,
    ScheduledPost,
    Statement,
    UpdateCadence,
)

DEFAULT_REQUIRED = ["legal_counsel", "executive_lead"]
MEDIA_PLATFORMS = {"news", "blog", "rss", "media", "press"}


# --- Statements ---------------------------------------------------------------------


def _policy_roles() -> dict[str, list[str]]:
    return {
        policy.response_level: [
            r.slug for r in sorted(policy.required_roles.all(), key=lambda r: r.position)
        ]
        for policy in ApprovalPolicy.objects.prefetch_related("required_roles")
    }


def required_roles(statement: Statement, policies: dict[str, list[str]] | None = None) -> list[str]:
    if policies is None:
        policies = _policy_roles()
    return list(policies.get(statement.response_level) or DEFAULT_REQUIRED)


def _current_approvals(statement: Statement) -> list:  # type: ignore[type-arg]
    return [a for a in statement.approvals.all() if a.version == statement.version]


def missing_roles(statement: Statement, policies: dict[str, list[str]] | None = None) -> list[str]:
    done = {a.role.slug for a in _current_approvals(statement)}
    return [r for r in required_roles(statement, policies) if r not in done]


def statement_json(
    statement: Statement, policies: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The API's and the live events' shape; prefetch with ``statements_for`` for lists."""
    if policies is None:
        policies = _policy_roles()
    approvals = sorted(_current_approvals(statement), key=lambda a: (a.at, a.pk))
    rejections = sorted(statement.rejections.all(), key=lambda r: (r.at, r.pk))
    rejection = rejections[-1] if rejections else None
    variants = {v.channel: v.body for v in statement.variants.all()}
    return {
        "id": statement.pk,
        "incident": statement.incident_id,
        "title": statement.title,
        "body": statement.body,
        "state": statement.state,
        "version": statement.version,
        "response_level": statement.response_level,
        "channels": statement.channels,
        "variants": variants,
        "required_roles": required_roles(statement, policies),
        "missing_roles": missing_roles(statement, policies),
        "approvals": [
            {"role": a.role.slug, "user": a.user.get_username(), "at": a.at.isoformat()}
            for a in approvals
        ],
        "last_rejection": {
            "user": rejection.user.get_username(),
            "comment": rejection.comment,
            "at": rejection.at.isoformat(),
        }
        if rejection
        else None,
        "created_by": statement.created_by.get_username() if statement.created_by else None,
        "created_at": statement.created_at.isoformat(),
        "published_at": statement.published_at.isoformat() if statement.published_at else None,
        "publications": [
            {
                "state": p.state,
                "channel": p.channel,
                "url": p.url,
                "error": p.error,
                "at": p.at.isoformat(),
            }
            for p in statement.publications.all()
        ],
    }


def statements_for(incident: Incident) -> list[Statement]:
    return list(
        Statement.objects.filter(incident=incident)
        .select_related("created_by")
        .prefetch_related(
            "approvals__role",
            "approvals__user",
            "rejections__user",
            "variants",
            "publications",
        )
        .order_by("created_at", "pk")
    )


def statements_json(incident: Incident) -> list[dict[str, Any]]:
    policies = _policy_roles()
    return [statement_json(s, policies) for s in statements_for(incident)]


# --- The run ------------------------------------------------------------------------


def run_steps(incident: Incident) -> list[RunStep]:
    return list(
        RunStep.objects.filter(run__incident=incident)
        .select_related("owner_role")
        .prefetch_related("items__done_by")
        .order_by("number")
    )


def playbook_json(incident: Incident) -> list[dict[str, Any]]:
    return [
        {
            "number": step.number,
            "title": step.title,
            "title_zh_hant": step.title_zh_hant,
            "owner_role": step.owner_role.slug,
            "needs_approval": step.needs_approval,
            "state": step.state,
            "completed_at": step.completed_at.isoformat() if step.completed_at else None,
            "checklist": [
                {
                    "id": item.pk,
                    "text": item.text,
                    "text_zh_hant": item.text_zh_hant,
                    "done": item.done,
                    "done_by": item.done_by.get_username() if item.done_by else None,
                }
                for item in step.items.all()
            ],
        }
        for step in run_steps(incident)
    ]


# --- Step 2: figures from the data -------------------------------------------------


def assessment_figures(incident: Incident, now: datetime | None = None) -> dict[str, Any]:
    """Scale, growth, platforms by harm, sentiment split and trend, key voices, media."""
    now = now or timezone.now()
    end = incident.resolved_at or now
    mentions = Mention.objects.filter(
        brand_id=incident.brand_id, published_at__gte=incident.started_at, published_at__lt=end
    )
    totals = mentions.aggregate(
        n=Count("pk"),
        reach=Sum("author_followers"),
        neg=Count("pk", filter=Q(sentiment_label="negative")),
        pos=Count("pk", filter=Q(sentiment_label="positive")),
    )
    hours = max((end - incident.started_at).total_seconds() / 3600, 1 / 12)
    last_hour = mentions.filter(published_at__gte=end - timedelta(hours=1)).count()
    prev_hour = mentions.filter(
        published_at__gte=end - timedelta(hours=2), published_at__lt=end - timedelta(hours=1)
    ).count()
    platforms = []
    for row in mentions.values("platform").annotate(
        n=Count("pk"),
        neg=Count("pk", filter=Q(sentiment_label="negative")),
        neg_reach=Sum("author_followers", filter=Q(sentiment_label="negative")),
        reach=Sum("author_followers"),
    ):
        # Harm: negative posts weighted by how many people they reach.
        row["harm"] = row["neg"] + (row["neg_reach"] or 0) / 1000
        platforms.append(row)
    platforms.sort(key=lambda r: r["harm"], reverse=True)
    half = incident.started_at + (end - incident.started_at) / 2
    first = mentions.filter(published_at__lt=half).aggregate(
        n=Count("pk"), neg=Count("pk", filter=Q(sentiment_label="negative"))
    )
    second = mentions.filter(published_at__gte=half).aggregate(
        n=Count("pk"), neg=Count("pk", filter=Q(sentiment_label="negative"))
    )
    share_1 = first["neg"] / first["n"] if first["n"] else None
    share_2 = second["neg"] / second["n"] if second["n"] else None
    voices = list(
        mentions.exclude(author="")
        .order_by("-author_followers", "-published_at")
        .values("author", "platform", "author_followers", "sentiment_label", "text", "url")[:10]
    )
    media = list(
        mentions.filter(platform__in=MEDIA_PLATFORMS)
        .order_by("-published_at")
        .values("author", "platform", "sentiment_label", "text", "url")[:10]
    )
    n = totals["n"] or 0
    return {
        "mentions": n,
        "reach": totals["reach"] or 0,
        "per_hour": round(n / hours, 1),
        "last_hour": last_hour,
        "previous_hour": prev_hour,
        "growth": round((last_hour - prev_hour) / prev_hour, 2) if prev_hour else None,
        "sentiment": {
            "negative": totals["neg"],
            "positive": totals["pos"],
            "neutral": n - totals["neg"] - totals["pos"],
            "negative_share": round(totals["neg"] / n, 3) if n else None,
        },
        "trend": None
        if share_1 is None or share_2 is None
        else (
            "worsening"
            if share_2 > share_1 + 0.05
            else "easing"
            if share_2 < share_1 - 0.05
            else "steady"
        ),
        "platforms": platforms,
        "key_voices": voices,
        "media": media,
    }


# --- Step 7: metrics -----------------------------------------------------------------


def _share(rows: list[tuple[datetime, int, int]], start: datetime, end: datetime) -> float | None:
    n = sum(c for at, c, _ in rows if start <= at < end)
    neg = sum(x for at, _, x in rows if start <= at < end)
    return round(neg / n, 3) if n else None


def _recovered_at(
    rows: list[tuple[datetime, int, int]], since: datetime, until: datetime, ceiling: float
) -> datetime | None:
    """The end of the first hour, starting at ``since`` and stepping 5 minutes while the
    start is before ``until``, whose negative share is at most ``ceiling``.

    ``rows`` are sorted by time; one sliding window over them keeps this linear.
    """
    span, step = timedelta(hours=1), timedelta(minutes=5)
    lo = hi = n = neg = 0
    hour = since
    while hour < until:
        while hi < len(rows) and rows[hi][0] < hour + span:
            n += rows[hi][1]
            neg += rows[hi][2]
            hi += 1
        while lo < hi and rows[lo][0] < hour:
            n -= rows[lo][1]
            neg -= rows[lo][2]
            lo += 1
        # Same rounding as _share, so the answer matches a rescan of every window.
        if n and round(neg / n, 3) <= ceiling:
            return hour + span
        hour += step
    return None


def review_metrics(incident: Incident, now: datetime | None = None) -> dict[str, Any]:
    """Time to detect, acknowledge, respond, resolve; peak volume; negative share
    before, during and after; how long sentiment took to recover."""
    now = now or timezone.now()
    window = timedelta(hours=24)
    end = incident.resolved_at or now
    buckets: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for bucket, count, negative in Rollup.objects.filter(
        brand_id=incident.brand_id,
        bucket__gte=incident.started_at - window,
        bucket__lt=end + window,
    ).values_list("bucket", "count", "negative"):
        buckets[bucket][0] += count
        buckets[bucket][1] += negative
    rows = sorted((at, c, n) for at, (c, n) in buckets.items())
    during = [r for r in rows if incident.started_at <= r[0] < end]
    peak = max(during, key=lambda r: r[1], default=None)
    before = _share(rows, incident.started_at - window, incident.started_at)
    recovered_at = None
    since = incident.first_response_at or incident.opened_at
    if before is not None:
        recovered_at = _recovered_at(rows, since, min(end + window, now), before + 0.05)
    return {
        "time_to_detect": metrics.time_to_detect(incident),
        "time_to_acknowledge": metrics.time_to_acknowledge(incident),
        "time_to_first_response": metrics.time_to_first_response(incident),
        "time_to_resolve": metrics.time_to_resolve(incident),
        "checklist": metrics.checklist_progress(incident),
        "peak_volume": peak[1] if peak else 0,
        "peak_at": peak[0].isoformat() if peak else None,
        "negative_share_before": before,
        "negative_share_during": _share(rows, incident.started_at, end),
        "negative_share_after": _share(rows, end, end + window) if incident.resolved_at else None,
        "time_to_recover": metrics.seconds_between(since, recovered_at),
    }


def channel_text(statement: Statement, channel: str) -> str:
    """What goes out on ``channel``: its variant when the statement has one, else the body.

    Reads ``statement.variants.all()``, so a prefetch (``statements_for``) saves the query.
    """
    for variant in statement.variants.all():
        if variant.channel == channel:
            return variant.body
    return statement.body


def channels_by_code(*, active_only: bool = False) -> dict[str, Channel]:
    """Every statement channel by code, in display order (one query)."""
    rows = Channel.objects.all()
    if active_only:
        rows = rows.filter(active=True)
    return {channel.code: channel for channel in rows}


def channel_choices(*, keep: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(code, name in the active language) of the channels offered, plus any in
    ``keep`` (a statement's own, even if an admin has since switched one off)."""
    return [
        (code, channel.label)
        for code, channel in channels_by_code().items()
        if channel.active or code in keep
    ]


def channel_length(channel: Channel | None, text: str) -> int:
    return text_length(text, channel.counting if channel else "characters")


def over_limit(channel: str | Channel | None, text: str) -> bool:
    """Whether ``text`` is longer than ``channel`` allows, counted the channel's way
    (a channel without a limit, or unknown, never is)."""
    if isinstance(channel, str):
        channel = Channel.objects.filter(code=channel).first()
    return bool(channel and channel.limit and channel_length(channel, text) > channel.limit)


def channel_preview(channel: Channel | None, code: str, text: str) -> dict[str, Any]:
    """One channel's preview: the text as it goes out, counted against the limit."""
    length = channel_length(channel, text)
    limit = channel.limit if channel else None
    return {
        "channel": code,
        "label": channel.label if channel else code,
        "text": text,
        "length": length,
        "limit": limit,
        "left": limit - length if limit else None,
        "over": bool(limit and length > limit),
        "over_by": max(length - limit, 0) if limit else 0,
        "counting": channel.get_counting_display() if channel else "",
        "by_hand": channel.by_hand if channel else True,
        "connector": channel.get_connector_display() if channel and channel.connector else "",
    }


def statement_limits(statement: Statement) -> list[dict[str, Any]]:
    """Each chosen channel's text (its variant, or the body) with its length, counted
    the channel's way, against its limit, in the channels' order; ``own_variant`` when
    the channel has its own text rather than the statement's."""
    known = channels_by_code()
    own = {v.channel for v in statement.variants.all()}
    chosen = set(statement.channels) | own
    order = [c for c in known if c in chosen] + sorted(chosen - set(known))
    return [
        {
            **channel_preview(known.get(code), code, channel_text(statement, code)),
            "own_variant": code in own,
        }
        for code in order
    ]


def statement_diff(statement: Statement) -> dict[str, Any] | None:
    """What changed in the text since the version before the current one, word by word
    (character by character in Chinese); None for a first version."""
    versions = list(
        statement.versions.filter(number__lte=statement.version)
        .select_related("edited_by")
        .order_by("-number")[:2]
    )
    if len(versions) < 2:
        return None
    new, old = versions
    pieces = textdiff.word_diff(old.body, new.body)
    return {
        "from": old.number,
        "to": new.number,
        "by": new.edited_by.get_username() if new.edited_by else "",
        "at": new.at,
        "pieces": pieces,
        **textdiff.diff_counts(pieces),
    }


def published_statements(incident: Incident) -> list[Statement]:
    return list(incident.statements.filter(state=StatementState.PUBLISHED))


def incident_detail_json(incident: Incident, viewer: Any = None) -> dict[str, Any]:
    """The playbook's part of an incident's API detail."""
    return {"playbook": playbook_json(incident), "statements": statements_json(incident)}


# --- Keeping the public informed ---------------------------------------------------

DEFAULT_CADENCE_MINUTES = 60


def update_every(incident: Incident) -> tuple[int, bool]:
    """(minutes between public updates, whether the incident overrides its level's)."""
    assessment = Assessment.objects.filter(incident=incident).first()
    if assessment is not None and assessment.update_every_minutes:
        return assessment.update_every_minutes, True
    level = assessment.response_level if assessment else ResponseLevel.STATEMENT
    row = UpdateCadence.objects.filter(response_level=level).first()
    return (row.minutes if row else DEFAULT_CADENCE_MINUTES), False


def update_due(incident: Incident, *, now: datetime | None = None) -> dict[str, Any]:
    """When the public should next hear from the team: the cadence counted from the
    last published statement (or, before any, from when the incident opened)."""
    now = now or timezone.now()
    every, overridden = update_every(incident)
    last = (
        incident.statements.filter(state=StatementState.PUBLISHED, published_at__isnull=False)
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    last_at, source = (last, "statement") if last else (incident.opened_at, "opened")
    due_at = last_at + timedelta(minutes=every)
    seconds = (due_at - now).total_seconds()
    minutes_left = int(-(-seconds // 60)) if seconds > 0 else 0  # round up: "due in 1 min"
    return {
        "type": "cadence.updated",
        "incident": incident.pk,
        "active": incident.is_active,
        "every": every,
        "overridden": overridden,
        "last_at": last_at,
        "source": source,
        "due_at": due_at if incident.is_active else None,
        "minutes_left": minutes_left,
        "overdue": incident.is_active and seconds <= 0,
        "overdue_by": int(-seconds // 60) if seconds <= 0 else 0,
    }


def update_due_json(incident: Incident) -> dict[str, Any]:
    """The live event's shape (times as ISO 8601)."""
    due = update_due(incident)
    for name in ("last_at", "due_at"):
        due[name] = due[name].isoformat() if due[name] else None
    return due


def scheduled_posts_upcoming(limit: int = 200) -> list[ScheduledPost]:
    """Queued and held posts, soonest first."""
    return list(
        ScheduledPost.objects.filter(state__in=(PostState.QUEUED, PostState.HELD))
        .select_related("target", "incident", "created_by")
        .order_by("due_at", "pk")[:limit]
    )


def scheduled_posts_recent(limit: int = 50) -> list[ScheduledPost]:
    """Sent, failed and cancelled posts, latest first."""
    return list(
        ScheduledPost.objects.exclude(state__in=(PostState.QUEUED, PostState.HELD))
        .select_related("target", "incident", "created_by")
        .order_by("-due_at", "-pk")[:limit]
    )


def scheduled_post_json(post: ScheduledPost) -> dict[str, Any]:
    return {
        "id": post.pk,
        "channel": post.target.name if post.target else None,
        "body": post.text,
        "at": post.due_at.isoformat(),
        "state": post.state,
        "attempts": post.attempts,
        "error": post.error,
        "incident": post.incident_id,
        "created_by": post.created_by.get_username() if post.created_by else None,
        "sent_at": post.sent_at.isoformat() if post.sent_at else None,
        "url": post.external_url,
    }


# --- Replies to mentions -----------------------------------------------------------


REPLY_DONE = (ReplyState.SENT, ReplyState.MANUAL, ReplyState.SANDBOX)


def _latest_by_mention(replies: Any) -> dict[int, MentionReply]:
    out: dict[int, MentionReply] = {}
    for reply in replies.select_related("sent_by").order_by("sent_at", "pk"):
        if reply.mention_id is not None:
            out[reply.mention_id] = reply
    return out


def replies_by_mention(incident: Incident) -> dict[int, MentionReply]:
    """The latest answer (sent, by hand or sandbox) to each mention of the incident."""
    return _latest_by_mention(MentionReply.objects.filter(incident=incident, state__in=REPLY_DONE))


def replies_for_mentions(mention_ids: Sequence[int]) -> dict[int, MentionReply]:
    """The latest answer to each of these mentions, whichever incident it came from."""
    return _latest_by_mention(
        MentionReply.objects.filter(mention_id__in=list(mention_ids), state__in=REPLY_DONE)
    )


def active_incident_by_brand(brand_ids: Sequence[int]) -> dict[int, int]:
    """The newest active incident of each brand (where a reply to its mention goes)."""
    out: dict[int, int] = {}
    for incident_id, brand_id in (
        Incident.objects.filter(brand_id__in=list(brand_ids), status__in=ACTIVE_STATUSES)
        .order_by("started_at", "pk")
        .values_list("pk", "brand_id")
    ):
        out[brand_id] = incident_id
    return out
