"""Issue 16: a failed Slack/Teams call never stores or shows the webhook URL (its path
is the credential); viewers see the host and a short reason."""

from __future__ import annotations

import pytest
from django.test import Client

from crisisroom.models import Alert, Webhook
from crisisroom.services.incidents import incident_open
from monitoring.models import Brand
from monitoring.tests.feedserver import FeedServer, Reply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("status", [404, 500, None])
def test_a_failed_webhook_keeps_its_url_out_of_the_error(status, charlie, settings):
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    server = FeedServer().start()
    try:
        path = "/services/T0000/B0000/XXXXXXXXSECRETXXXX"
        if status is not None:
            server.routes[path] = Reply(status=status, body="invalid_token")
            url = server.url(path)
        else:
            url = "http://127.0.0.1:9" + path  # nothing listens: connection refused
        Webhook.objects.create(name="Comms", kind="slack", url=url + "?token=TOPSECRET")
        incident = incident_open(brand=Brand.objects.create(name="A", slug="a"), title="Outage")
    finally:
        server.stop()
    alert = Alert.objects.get(incident=incident, webhook__isnull=False)
    assert alert.status == "failed"
    assert alert.error
    for secret in ("XXXXSECRET", "TOPSECRET", "/services/"):
        assert secret not in alert.error
    timeline = " ".join(incident.timeline.values_list("message", flat=True))
    assert "SECRET" not in timeline

    client = Client()
    client.force_login(charlie)
    page = client.get(f"/incidents/{incident.pk}/alerts/").content.decode()
    assert "SECRET" not in page and "/services/" not in page
