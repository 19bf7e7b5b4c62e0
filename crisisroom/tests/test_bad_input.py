"""Issue 16: bad input gets a JSON 4xx naming the problem, never a 500 (PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from crisisroom.models import Incident
from crisisroom.services.incidents import incident_open
from monitoring.models import Mention, Source

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
HUGE_INT = '{"title": "x", "brand": "acme", "n": ' + "9" * 5000 + "}"
JSON_ENDPOINTS = ["/mentions", "/incidents", "/incidents/{id}/dismiss"]


def _mention(**extra):  # type: ignore[no-untyped-def]
    return {
        "source": "twitter",
        "external_id": "1",
        "text": "Acme Coffee burnt my tongue",
        "published_at": "2026-11-24T10:00:00Z",
        **extra,
    }


@pytest.fixture
def incident(brand):  # type: ignore[no-untyped-def]
    return incident_open(brand=brand, title="Burnt beans")


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("body", [DEEP, HUGE_INT, '{"reason": NaN}', "[1e999]", b"\xff\xfe"])
def test_hostile_json_is_a_400_on_every_json_endpoint(api_for, bob, incident, path, body):
    response = api_for(bob).post(path.format(id=incident.pk), body, raw=True)
    assert response.status_code == 400, response.content
    assert "not valid JSON" in response.json()["error"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("title", "Burnt\x00beans", "title contains a NUL character"),
        ("title", "Burnt \ud800 beans", "title contains an invalid character"),
        ("title", "   ", "title must not be empty"),
        ("title", "x" * 201, "title is longer than 200"),
        ("brand", "acme\x00", "brand contains a NUL character"),
    ],
)
def test_incident_text_is_checked_and_the_field_named(api_for, bob, field, value, reason):
    body = {"title": "Outage", "brand": "acme", field: value}
    response = api_for(bob).post("/incidents", json.dumps(body, ensure_ascii=True), raw=True)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not Incident.objects.exists()


def test_a_bad_item_is_rejected_by_name_and_the_rest_stored(api_for, bob, brand):
    items = [
        _mention(external_id="ok", brand=brand.slug),
        _mention(external_id="s", text="bad \ud800 text"),
        _mention(external_id="f", author_followers=2**63),
        _mention(external_id="d1", published_at="0001-01-01T00:00:00+01:00"),
        _mention(external_id="d2", published_at="9999-12-31T23:59:59-01:00"),
        _mention(external_id="d3", published_at="1900-01-01T00:00:00Z"),
        _mention(external_id="big", text="Acme Coffee: a huge account", author_followers=2**63 - 1),
    ]
    response = api_for(bob).post("/mentions", json.dumps(items, ensure_ascii=True), raw=True)
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["accepted"] == 2
    errors = {r["index"]: r["error"] for r in result["rejected"]}
    assert "text contains an invalid character" in errors[1]
    assert "author_followers" in errors[2]
    assert all("published_at" in errors[i] for i in (3, 4, 5))
    assert Mention.objects.get(external_id="big").author_followers == 2**63 - 1


@pytest.mark.parametrize(
    "query",
    [
        {"since": "0001-01-01T00:00:00+01:00"},
        {"until": "9999-12-31T23:59:59-01:00"},
        {"since": "2026-13-01"},
        {"limit": "²"},
        {"limit": "9" * 5000},
        {"sentiment": "angry"},
        {"brand": "a\x00b"},
    ],
)
def test_bad_filters_are_a_400(api_for, charlie, query):
    response = api_for(charlie).get("/mentions", **query)
    assert response.status_code == 400
    assert response.json()["error"]


def test_edge_dates_that_fit_are_accepted_as_filters(api_for, charlie):
    assert api_for(charlie).get("/mentions", since="0001-01-01T01:00:00+01:00").status_code == 200
    assert api_for(charlie).get("/mentions", until="9999-12-30T00:00:00Z").status_code == 200


@pytest.mark.parametrize("body", [{}, [], {"mentions": []}, {"items": [_mention()]}])
def test_mentions_needs_at_least_one_item(api_for, bob, body):
    response = api_for(bob).post("/mentions", body)
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize(
    "path",
    ["/incidents/abc", "/incidents/1.5/acknowledge", "/statements/x", "/nothing-here", "/"],
)
def test_every_api_error_is_json_even_for_a_path_no_route_matches(api_for, charlie, path):
    response = api_for(charlie).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


def test_a_wrong_method_is_a_json_405(api_for, charlie):
    response = api_for(charlie).client.delete("/api/v1/incidents", headers=api_for(charlie).headers)
    assert response.status_code == 405
    assert response.json()["error"]
    assert "GET" in response["Allow"]


@pytest.mark.parametrize(
    "config",
    [
        '{"q": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"q": ' + "1" * 5000 + "}",
        '{"q": NaN}',
        '{"q": "a\\u0000b"}',
        '{"q\\ud800": "x"}',
    ],
)
def test_the_source_forms_config_refuses_hostile_json(alice, config):
    client = Client()
    client.force_login(alice)
    response = client.post(
        "/sources/new/",
        {
            "kind": "rss",
            "key": "feed",
            "name": "Feed",
            "platform": "news",
            "url": "https://news.example.com/feed.xml",
            "config": config,
            "poll_interval_seconds": 300,
        },
    )
    assert response.status_code == 400  # an invalid form is redisplayed with 400
    assert not Source.objects.filter(key="feed").exists()


def test_the_admin_sends_the_csp_and_org_admins_can_use_its_model_pages(alice):
    client = Client()
    client.force_login(alice)
    for path in ["/admin/", "/admin/monitoring/source/", "/admin/crisisroom/webhook/add/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"]


def test_a_user_made_admin_by_the_command_can_use_the_admin(db, capsys):
    from django.core.management import call_command

    call_command("add_user", "root2", "--role", "admin")
    from crisisroom.models import User

    client = Client()
    client.force_login(User.objects.get(username="root2"))
    assert client.get("/admin/playbook/publishtarget/").status_code == 200
    # Demoted: the admin is closed again.
    call_command("add_user", "root2", "--role", "viewer")
    client.force_login(User.objects.get(username="root2"))
    assert client.get("/admin/playbook/publishtarget/").status_code == 302


@pytest.mark.parametrize(
    ("path", "model_path", "fields", "secret_field"),
    [
        (
            "crisisroom/webhook",
            "crisisroom.models.Webhook",
            {"name": "War room", "kind": "slack", "active": "on"},
            "url",
        ),
        (
            "crisisroom/outgoingwebhook",
            "crisisroom.models.OutgoingWebhook",
            {"name": "CRM", "url": "https://crm.example.com/hook", "active": "on"},
            "secret",
        ),
        (
            "playbook/publishtarget",
            "playbook.models.PublishTarget",
            {
                "name": "Mastodon",
                "kind": "mastodon",
                "base_url": "https://social.example.com",
                "handle": "",
                "active": "on",
            },
            "secret",
        ),
    ],
)
def test_the_admin_never_shows_a_secret_back_and_keeps_it_when_left_empty(
    alice, path, model_path, fields, secret_field
):
    from django.utils.module_loading import import_string

    model = import_string(model_path)
    client = Client()
    client.force_login(alice)
    stored = "https://hooks.slack.example/services/T0/B0/token-123"
    if secret_field == "secret":
        stored = "token-123"
    response = client.post(f"/admin/{path}/add/", {**fields, secret_field: stored})
    assert response.status_code == 302, response.content.decode()[:2000]
    row = model.objects.get()
    assert getattr(row, secret_field) == stored
    page = client.get(f"/admin/{path}/{row.pk}/change/").content.decode()
    assert "token-123" not in page
    assert f'name="{secret_field}"' in page
    # Left empty on a change, the stored one stays; typed in, it replaces it.
    assert (
        client.post(f"/admin/{path}/{row.pk}/change/", {**fields, secret_field: ""}).status_code
        == 302
    )
    row.refresh_from_db()
    assert getattr(row, secret_field) == stored
    rotated = stored.replace("123", "456")
    client.post(f"/admin/{path}/{row.pk}/change/", {**fields, secret_field: rotated})
    row.refresh_from_db()
    assert getattr(row, secret_field) == rotated
