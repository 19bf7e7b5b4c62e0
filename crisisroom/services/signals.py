"""What a detection signal means for an incident: severity and how a person reads it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext_noop

from crisisroom.choices import Severity
from crisisroom.timeline_text import message, render
from monitoring.choices import SignalKind
from monitoring.models import Mention, Signal

SEVERITY_ORDER = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
# Combined followers of the authors behind the last hour's mentions from which the
# suggested severity goes one step up: many people have already seen it.
HIGH_REACH = 1_000_000


def severity_for(magnitude: float, reach: int = 0) -> str:
    """Suggested severity from how far a signal went past its threshold (1.0 = just at
    it) and how many people the brand's recent mentions reached."""
    if magnitude >= 6:
        step = 3
    elif magnitude >= 3:
        step = 2
    elif magnitude >= 1.5:
        step = 1
    else:
        step = 0
    if reach >= HIGH_REACH:
        step += 1
    return SEVERITY_ORDER[min(step, 3)]


def _recent_reach(brand_id: int, at: datetime) -> int:
    since = at - timedelta(hours=1)
    total = Mention.objects.filter(
        brand_id=brand_id, published_at__gt=since, published_at__lte=at + timedelta(minutes=5)
    ).aggregate(reach=Sum("author_followers"))["reach"]
    return int(total or 0)


def severity_suggest(*, signal: Signal) -> str:
    return severity_for(signal.magnitude, _recent_reach(signal.brand_id, signal.at))


def signal_value(kind: str, value: float, negatives: bool = False) -> str:
    """A signal's number as a person reads it: shares as percentages, counts as counts
    (negatives: a negative_share signal over the count of negative posts)."""
    if kind == SignalKind.NEGATIVE_SHARE and not negatives:
        return f"{value:.0%}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def signal_line(signal: Signal) -> dict[str, Any]:
    """A signal as a timeline line (``key`` + ``params``, translated when read): what
    was observed against what, and the detector's stored sentence in every language."""
    negatives = bool((signal.detail or {}).get("negatives"))
    text = message(
        gettext_noop(
            "%(label)s: observed %(observed)s against a baseline of %(baseline)s "
            "(threshold %(threshold)s)"
        ),
        {
            "label": message(SignalKind(signal.kind).label),
            "observed": signal_value(signal.kind, signal.observed, negatives),
            "baseline": signal_value(signal.kind, signal.baseline, negatives),
            "threshold": signal_value(signal.kind, signal.threshold, negatives),
        },
    )
    sentences = (signal.detail or {}).get("explanation") or {}
    if not sentences:
        return text
    return message(
        gettext_noop("%(description)s. %(explanation)s"),
        {"description": text, "explanation": {"lang": dict(sentences)}},
    )


def describe_signal(signal: Signal) -> str:
    """The signal in the active language."""
    line = signal_line(signal)
    return render(line["key"], line.get("params"))
