"""Outgoing webhooks against a local endpoint: signed bodies that verify, durable
retries with back-off through the sweep, a refusal given up, host-only errors, and
the SSRF guard on the admin form and at send time."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from crisisroom.admin import OutgoingWebhookForm
from crisisroom.choices import DeliveryStatus
from crisisroom.models import OutgoingDelivery, OutgoingWebhook
from crisisroom.services.outgoing import outgoing_event_queue, outgoing_sweep
from tests.http_receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    with Receiver() as r:
        yield r


@pytest.fixture
def hook(receiver, local_targets):  # type: ignore[no-untyped-def]
    return OutgoingWebhook.objects.create(
        name="Sprout", url=f"{receiver.url}/in/very-secret-path?key=k", secret="topsecret"
    )


def test_an_event_arrives_signed_with_the_hmac_of_its_body(hook, receiver):  # type: ignore[no-untyped-def]
    outgoing_event_queue(event="outbound.paused", data={"reason": "hold"})
    (hit,) = receiver.wait_for("/in/very-secret-path?key=k", 1)
    expected = hmac.new(b"topsecret", hit.body, hashlib.sha256).hexdigest()
    assert hit.headers["x-crisisroom-signature"] == f"sha256={expected}"
    assert hit.headers["x-crisisroom-event"] == "outbound.paused"
    body = json.loads(hit.body)
    assert body["type"] == "outbound.paused" and body["data"] == {"reason": "hold"}
    assert abs(body["timestamp"] - timezone.now().timestamp()) < 60
    assert OutgoingDelivery.objects.get().status == DeliveryStatus.SENT


def test_a_failing_endpoint_is_retried_with_back_off_by_the_sweep(hook, receiver):  # type: ignore[no-untyped-def]
    receiver.statuses["/in/very-secret-path?key=k"] = [500]
    outgoing_event_queue(event="outbound.resumed", data={})
    delivery = OutgoingDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.error == "HTTP 500 from the endpoint"
    assert outgoing_sweep() == 0  # waiting out the back-off
    assert outgoing_sweep(now=delivery.next_attempt_at + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    first, second = receiver.at("/in/very-secret-path?key=k")
    assert json.loads(first.body)["id"] == json.loads(second.body)["id"]  # receivers dedupe on it


def test_a_refusal_is_given_up(hook, receiver):  # type: ignore[no-untyped-def]
    receiver.statuses["/in/very-secret-path?key=k"] = [410]
    outgoing_event_queue(event="outbound.paused", data={})
    delivery = OutgoingDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None


def test_the_guard_refuses_a_loopback_endpoint_and_the_error_names_only_the_host(settings):  # type: ignore[no-untyped-def]
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = False
    OutgoingWebhook.objects.create(
        name="x", url="http://127.0.0.1:9/hook/t0ken?sig=abc", secret="s"
    )
    outgoing_event_queue(event="outbound.paused", data={})
    delivery = OutgoingDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert "private or loopback" in delivery.error
    assert "t0ken" not in delivery.error and "sig=" not in delivery.error


def test_the_admin_form_refuses_a_private_address(settings):  # type: ignore[no-untyped-def]
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = False
    form = OutgoingWebhookForm(
        data={"name": "n", "url": "http://10.0.0.5/hook", "secret": "s", "active": "on"}
    )
    assert not form.is_valid()
    assert "private or loopback" in str(form.errors["url"])
    from django.utils import translation

    with translation.override("zh-hant"):
        form = OutgoingWebhookForm(
            data={"name": "n", "url": "http://10.0.0.5/hook", "secret": "s", "active": "on"}
        )
        assert not form.is_valid()
        assert "10.0.0.5 解析為私有或本機位址（10.0.0.5）。" in str(form.errors["url"])
        form = OutgoingWebhookForm(
            data={"name": "n", "url": "ftp://example.com/", "secret": "s", "active": "on"}
        )
        assert not form.is_valid()
    ok = OutgoingWebhookForm(
        data={"name": "n", "url": "https://1.1.1.1/hook", "secret": "s", "active": "on"}
    )
    assert ok.is_valid(), ok.errors


def test_the_readme_verification_snippet_accepts_a_real_event_and_refuses_a_forgery(hook, receiver):  # type: ignore[no-untyped-def]
    from django.conf import settings

    readme = (settings.BASE_DIR / "README.md").read_text()
    snippet = next(
        block.split("\n", 1)[1]
        for block in readme.split("```")
        if block.startswith("python") and "def verify(" in block
    )
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 (our own README)
    verify = namespace["verify"]
    outgoing_event_queue(event="outbound.paused", data={"reason": "hold"})
    (hit,) = receiver.wait_for("/in/very-secret-path?key=k", 1)
    headers = {"X-CrisisRoom-Signature": hit.headers["x-crisisroom-signature"]}
    assert verify(hit.body, headers, "topsecret")["type"] == "outbound.paused"
    with pytest.raises(ValueError, match="bad signature"):
        verify(hit.body.replace(b"hold", b"go"), headers, "topsecret")
    with pytest.raises(ValueError, match="bad signature"):
        verify(hit.body, headers, "another-secret")
