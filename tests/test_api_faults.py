"""The API never lies about what it stored: Idempotency-Key, JSON errors for every
/api/v1 failure, and a 200 with the true counts when Redis (cache, broker,
channel layer) is down after the database committed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.http import HttpRequest
from django.test import Client
from django.urls import path
from django.utils import timezone

from crisisroom.api import api_view
from crisisroom.models import IdempotencyKey, Incident
from monitoring.models import Mention
from playbook.models import Statement
from tests.conftest import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def post(api, url: str, body, key: str | None = None):  # type: ignore[no-untyped-def]
    headers = dict(api.headers)
    if key:
        headers["Idempotency-Key"] = key
    return api.client.post(
        f"/api/v1{url}", data=json.dumps(body), content_type="application/json", headers=headers
    )


# --- Idempotency-Key ------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_first_answer_and_opens_one_incident(
    api_for, alice, bob
):
    api = api_for(alice)
    body = {"title": "Outage", "brand": "acme"}
    first = post(api, "/incidents", body, key="raise-1")
    again = post(api, "/incidents", body, key="raise-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Incident.objects.count() == 1
    # Another token's key is its own; no key means no replay.
    assert post(api_for(bob), "/incidents", body, key="raise-1").json()["id"] != first.json()["id"]
    post(api, "/incidents", body)
    assert Incident.objects.count() == 3


def test_a_key_reused_for_another_request_is_refused(api_for, alice):
    api = api_for(alice)
    post(api, "/incidents", {"title": "Outage", "brand": "acme"}, key="k")
    refused = post(api, "/incidents", {"title": "Other", "brand": "acme"}, key="k")
    assert refused.status_code == 422
    assert "different request" in refused.json()["error"]
    assert Incident.objects.count() == 1


def test_a_key_older_than_a_day_is_forgotten(api_for, alice):
    api = api_for(alice)
    body = {"title": "Outage", "brand": "acme"}
    post(api, "/incidents", body, key="k")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert post(api, "/incidents", body, key="k").get("Idempotent-Replayed") is None
    assert Incident.objects.count() == 2


def test_a_refused_request_stores_nothing_so_a_corrected_retry_runs(api_for, alice):
    api = api_for(alice)
    assert post(api, "/incidents", {"title": ""}, key="k").status_code == 400
    assert not IdempotencyKey.objects.exists()


def test_statement_create_and_transitions_are_idempotent(api_for, alice, bob):
    api = api_for(alice)
    incident = post(api, "/incidents", {"title": "Outage", "brand": "acme"}).json()
    statement_url = f"/incidents/{incident['id']}/statements"
    first = post(api, statement_url, {"body": "We are sorry."}, key="draft-1")
    again = post(api, statement_url, {"body": "We are sorry."}, key="draft-1")
    assert first.status_code == 201 and again.json() == first.json()
    assert Statement.objects.count() == 1
    sid = first.json()["id"]
    submitted = post(api, f"/statements/{sid}/submit", {}, key="submit-1")
    assert submitted.status_code == 200, submitted.json()
    replay = post(api, f"/statements/{sid}/submit", {}, key="submit-1")
    assert (replay.status_code, replay.json()) == (200, submitted.json())
    # Without the key a second submit is a real second request: refused by the state.
    assert post(api, f"/statements/{sid}/submit", {}).status_code == 409


def test_the_openapi_documents_the_idempotency_key(client):
    spec = client.get("/api/v1/openapi.json").json()
    header = spec["components"]["parameters"]["IdempotencyKey"]
    assert header["in"] == "header" and header["name"] == "Idempotency-Key"
    refs = {"$ref": "#/components/parameters/IdempotencyKey"}
    for url in (
        "/incidents",
        "/incidents/{id}/statements",
        "/statements/{id}/submit",
        "/statements/{id}/approve",
        "/statements/{id}/reject",
        "/statements/{id}/publish",
    ):
        assert refs in spec["paths"][url]["post"]["parameters"], url


# --- every /api/v1 error is JSON -----------------------------------------------------


@api_view("GET")
def _broken(request: HttpRequest):  # type: ignore[no-untyped-def]
    raise RuntimeError("a bug")


@api_view("GET")
def _database_down(request: HttpRequest):  # type: ignore[no-untyped-def]
    raise OperationalError("could not connect to server: Connection refused")


def _broken_page(request: HttpRequest):  # type: ignore[no-untyped-def]
    raise RuntimeError("a bug in a page")


urlpatterns = [
    path("api/v1/test-broken", _broken),
    path("api/v1/test-database-down", _database_down),
    path("test-broken", _broken_page),
]


@pytest.fixture
def raw_client(settings) -> Client:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_unknown_paths_and_methods_answer_json(raw_client, api_for, alice):
    api = api_for(alice)
    missing = raw_client.get("/api/v1/no-such-thing", headers=api.headers)
    assert missing.status_code == 404
    assert missing.json() == {"error": "No such API endpoint or object."}
    wrong = raw_client.delete("/api/v1/incidents", headers=api.headers)
    assert wrong.status_code == 405 and "error" in wrong.json()
    assert "GET" in wrong["Allow"]


def test_an_unhandled_error_is_a_json_500_and_an_outage_a_503_with_retry_after(
    raw_client, settings, api_for, alice
):
    settings.ROOT_URLCONF = __name__
    api = api_for(alice)
    broken = raw_client.get("/api/v1/test-broken", headers=api.headers)
    assert broken.status_code == 500
    assert broken.json() == {"error": "Internal error; it has been logged."}
    down = raw_client.get("/api/v1/test-database-down", headers=api.headers)
    assert down.status_code == 503 and down["Retry-After"] == str(settings.API_RETRY_AFTER_SECONDS)
    assert "unavailable" in down.json()["error"]
    # Outside /api/v1 pages keep Django's own error pages.
    assert raw_client.get("/test-broken").headers["Content-Type"].startswith("text/html")


# --- Redis down after the commit: the answer is still the truth -------------------------


def test_mentions_stored_while_redis_is_down_get_200_with_the_true_counts(
    api_for, alice, brand, settings
):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "foundation.channel_layer.SharedDecodingPubSubChannelLayer",
            "CONFIG": {"hosts": [dead]},
        }
    }
    post(alice_api := api_for(alice), "/incidents", {"title": "Outage", "brand": brand.slug})
    items = [
        {
            "source": "api",
            "external_id": f"e-{i}",
            "text": f"Acme Coffee store {i} is closed today",
            "published_at": timezone.now().isoformat(),
        }
        for i in range(5)
    ]
    answer = post(alice_api, "/mentions", items + items[:2])
    assert answer.status_code == 200, answer.content
    assert (answer.json()["accepted"], answer.json()["duplicates"]) == (5, 2)
    assert Mention.objects.count() == 5
