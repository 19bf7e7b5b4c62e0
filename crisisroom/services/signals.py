"""What a detection signal means for an incident: severity and how a person reads it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils.translation import gettext as _

from crisisroom.choices import Severity
from monitoring.choices import SignalKind
from monitoring.models import Mention, Signal
from monitoring.signal_explain import signal_sentence

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


def signal_value(kind: str, value: float) -> str:
    """A signal's number as a person reads it: shares as percentages, counts as counts."""
    if kind == SignalKind.NEGATIVE_SHARE:
        return f"{value:.0%}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def describe_signal(signal: Signal) -> str:
    text = _(
        "%(label)s: observed %(observed)s against a baseline of %(baseline)s (threshold %(threshold)s)"
    ) % {
        "label": SignalKind(signal.kind).label,
        "observed": signal_value(signal.kind, signal.observed),
        "baseline": signal_value(signal.kind, signal.baseline),
        "threshold": signal_value(signal.kind, signal.threshold),
    }
    sentence = signal_sentence(signal)
    if not sentence:
        return text
    return _("%(description)s. %(explanation)s") % {"description": text, "explanation": sentence}
