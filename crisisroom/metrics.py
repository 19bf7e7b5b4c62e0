"""`/metrics` for Prometheus: django-prometheus's request metrics, the shared counters
of crisisroom.observability, and gauges read from the database at scrape time."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from typing import Any

import prometheus_client
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from crisisroom.choices import AlertStatus, IncidentStatus
from crisisroom.models import Alert, Incident


class DatabaseCollector(Collector):
    """Alerts by delivery state and incidents by status (a GROUP BY each)."""

    def describe(self) -> Iterator[Any]:
        yield GaugeMetricFamily("crisisroom_alerts", "Alerts by delivery state", labels=["state"])
        yield GaugeMetricFamily("crisisroom_incidents", "Incidents by status", labels=["status"])

    def collect(self) -> Iterator[Any]:
        try:
            alerts = dict(Alert.objects.values_list("status").annotate(n=Count("pk")).order_by())
            incidents = dict(
                Incident.objects.values_list("status").annotate(n=Count("pk")).order_by()
            )
        except DatabaseError:
            return
        family = GaugeMetricFamily(
            "crisisroom_alerts", "Alerts by delivery state", labels=["state"]
        )
        for state in AlertStatus.values:
            family.add_metric([state], alerts.get(state, 0))
        yield family
        family = GaugeMetricFamily("crisisroom_incidents", "Incidents by status", labels=["status"])
        for status in IncidentStatus.values:
            family.add_metric([status], incidents.get(status, 0))
        yield family


prometheus_client.REGISTRY.register(DatabaseCollector())


def _allowed(request: HttpRequest) -> bool:
    if settings.METRICS_TOKEN:
        header = request.headers.get("Authorization", "")
        return hmac.compare_digest(header.encode(), f"Bearer {settings.METRICS_TOKEN}".encode())
    # Behind a proxy every request comes from the proxy's (often loopback) address.
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_NETWORKS)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(
            "metrics need METRICS_TOKEN as a bearer token, or a request from "
            "METRICS_ALLOWED_NETWORKS\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(
        prometheus_client.generate_latest(prometheus_client.REGISTRY),
        content_type=prometheus_client.CONTENT_TYPE_LATEST,
    )
