"""Detection over stored data: source gaps warn instead of alerting, key voices,
per-brand rule settings, and the admins' settings page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisisroom.models import Incident
from monitoring.detection import DetectorConfig
from monitoring.ingest import mentions_ingest
from monitoring.models import Mention, Rollup, Signal, Source, bucket_start
from monitoring.services import brand_detect

pytestmark = pytest.mark.django_db

BUCKET = timedelta(minutes=5)


def steady(brand, start, end, count=30):  # type: ignore[no-untyped-def]
    rows, moment = [], start
    while moment < end:
        rows.append(Rollup(brand=brand, bucket=moment, platform="twitter", count=count))
        moment += BUCKET
    Rollup.objects.bulk_create(rows)


def outage_then_recovery(brand, *, source_failing: bool):  # type: ignore[no-untyped-def]
    """Two quiet days of 30 mentions per 5 minutes, six hours with nothing (the
    source is down), then the usual 30 again."""
    start = bucket_start(timezone.now()) - timedelta(days=3)
    source = Source.objects.create(kind="api", key="twitter", platform="twitter")
    Mention.objects.create(
        source=source,
        external_id="1",
        brand=brand,
        platform="twitter",
        text="Acme Coffee",
        published_at=start + timedelta(hours=1),
    )
    down = start + timedelta(days=2)
    steady(brand, start, down)
    assert brand_detect(brand_id=brand.pk, now=down + timedelta(minutes=1)) == []
    if source_failing:
        Source.objects.filter(pk=source.pk).update(
            consecutive_failures=40,
            last_error="HTTP 503",
            last_error_at=down + timedelta(hours=5),
            last_success_at=down,
        )
    back = down + timedelta(hours=6)
    fired = brand_detect(brand_id=brand.pk, now=back)
    if source_failing:
        Source.objects.filter(pk=source.pk).update(consecutive_failures=0, last_success_at=back)
    steady(brand, back, back + timedelta(hours=1))
    return fired + brand_detect(brand_id=brand.pk, now=back + timedelta(hours=1, minutes=1))


def test_a_failing_source_raises_a_health_warning_and_no_incident(brand):
    fired = outage_then_recovery(brand, source_failing=True)
    assert fired == []
    assert not Incident.objects.exists()
    warning = Signal.objects.get(brand=brand, kind="source_health")
    assert warning.incident is None and warning.fires is False
    assert warning.detail["sources"][0]["last_error"] == "HTTP 503"


def test_the_same_hole_without_a_failing_source_is_not_learned_either(brand):
    """The control for the test above: without a failing source there is no
    warning, but six hours of nothing where 30 a bucket were expected are
    impossible under the count model, so they are a hole (not learned as a quiet
    spell) and the return to 30 a bucket is not a spike either."""
    fired = outage_then_recovery(brand, source_failing=False)
    assert fired == []
    assert not Incident.objects.exists()
    assert not Signal.objects.filter(kind="source_health").exists()


def test_a_firing_signal_explains_itself_and_a_realert_escalates(brand):
    """Two days of 30 mentions per 5 minutes, then a burst of 90: the signal
    stores the window's expected and observed counts, the probability and the
    sentence in both languages; the same burst after the cooldown, with the
    incident still open, joins it and raises its severity."""
    start = bucket_start(timezone.now()) - timedelta(days=3)
    spike = start + timedelta(days=2)
    steady(brand, start, spike)
    Rollup.objects.create(brand=brand, bucket=spike, platform="twitter", count=90)
    steady(brand, spike + BUCKET, spike + timedelta(hours=13))
    Rollup.objects.create(
        brand=brand, bucket=spike + timedelta(hours=13), platform="twitter", count=90
    )
    fired = brand_detect(brand_id=brand.pk, now=spike + BUCKET + timedelta(minutes=1))
    assert [s.kind for s in fired] == ["volume"]
    signal = fired[0]
    detail = signal.detail
    assert detail["window_minutes"] == 5 and detail["observed"] == 90
    assert 20 < detail["expected"] < 40 and detail["probability"] < 1e-6
    assert detail["surprise_bits"] >= 20 and detail["realert"] is False
    english = detail["explanation"]["en"]
    assert english.startswith("90 posts in the last 5 minutes; about "), english
    assert f"{detail['expected']:.0f} expected at this time on a " in english
    assert "(a chance of about 1 in " in english
    chinese = detail["explanation"]["zh-hant"]
    assert "90 則貼文" in chinese and "星期" in chinese, chinese
    incident = Incident.objects.get(brand=brand)
    severity = incident.severity
    again = brand_detect(brand_id=brand.pk, now=spike + timedelta(hours=13, minutes=6))
    assert [s.detail["realert"] for s in again] == [True]
    incident.refresh_from_db()
    assert Incident.objects.filter(brand=brand).count() == 1
    assert incident.signals.count() == 2
    order = ["low", "medium", "high", "critical"]
    assert order.index(incident.severity) == min(3, order.index(severity) + 1)


def item(n, text, **extra):  # type: ignore[no-untyped-def]
    return {
        "source": "twitter",
        "external_id": f"m{n}",
        "text": text,
        "published_at": timezone.now().isoformat(),
        **extra,
    }


def test_a_negative_post_from_a_high_reach_author_opens_an_incident(
    brand, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(
            items=[
                item(
                    1,
                    "Acme Coffee is awful, a disgusting scam",
                    author="bigvoice",
                    author_followers=500_000,
                    url="https://example.com/1",
                )
            ]
        )
    signal = Signal.objects.get(brand=brand, kind="key_voice")
    assert (signal.threshold, signal.observed) == (100_000, 500_000)
    assert signal.detail["mentions"][0]["author"] == "bigvoice"
    incident = Incident.objects.get(brand=brand)
    assert signal.incident == incident
    assert incident.severity == "high"


def test_a_small_author_or_a_kind_post_is_not_a_key_voice(
    brand, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(
            items=[
                item(1, "Acme Coffee is awful, a disgusting scam", author_followers=900),
                item(2, "I love Acme Coffee, wonderful", author_followers=900_000),
            ]
        )
    assert not Signal.objects.filter(kind="key_voice").exists()


def test_trigger_phrase_rule_follows_the_brands_settings(brand, django_capture_on_commit_callbacks):
    brand.detector_settings = {"trigger_min_mentions": 2}
    brand.save()
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(
            items=[
                item(1, "Boycott Acme Coffee, awful"),
                item(2, "Acme Coffee lawsuit, terrible scam"),
            ]
        )
    signal = Signal.objects.get(brand=brand, kind="trigger_phrase")
    assert signal.threshold == 2
    assert Incident.objects.filter(brand=brand).count() == 1


def test_admins_edit_detector_settings_validated_against_the_detector(client, alice, bob, brand):
    url = f"/brands/{brand.slug}/detector/"
    client.force_login(bob)
    assert client.get(url).status_code == 403
    client.force_login(alice)
    page = client.get(url)
    default = DetectorConfig().surprise_bits
    assert page.status_code == 200 and f"Default: {default}" in page.content.decode()
    assert client.post(url, {"surprise_bits": "24", "cooldown_minutes": "60"}).status_code == 302
    brand.refresh_from_db()
    assert brand.detector_settings == {"surprise_bits": 24.0, "cooldown_minutes": 60}
    bad = client.post(url, {"surprise_bits": "-1", "min_excess_mentions": "1.5"})
    assert bad.status_code == 200
    brand.refresh_from_db()
    assert brand.detector_settings == {"surprise_bits": 24.0, "cooldown_minutes": 60}
    # clearing every field goes back to the defaults
    client.post(url, {})
    brand.refresh_from_db()
    assert brand.detector_settings == {}
