from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crisisroom.services.incidents import incident_open
from monitoring.models import Brand

pytestmark = pytest.mark.django_db


def test_the_login_page_renders_with_security_headers(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"csrfmiddlewaretoken" in response.content
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_and_logout(client, bob):
    response = client.post("/accounts/login/", {"username": "bob", "password": "pw-bob"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_repeated_failed_logins_are_throttled(client, bob, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    statuses = [
        client.post("/accounts/login/", {"username": "bob", "password": "wrong"}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]  # the failure that spends the budget answers 429
    blocked = client.post("/accounts/login/", {"username": "bob", "password": "pw-bob"})
    assert blocked.status_code == 429
    assert b"Too many failed attempts" in blocked.content
    assert client.get("/").status_code == 302  # the right password did not get in


def test_csrf_is_enforced_on_forms(bob):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(bob)
    assert strict.post("/preferences/save/", {"language": "zh-hant"}).status_code == 403


def test_the_language_switch_shows_traditional_chinese_and_is_kept(client, bob):
    client.force_login(bob)
    client.post("/preferences/save/", {"language": "zh-hant", "next": "/"})
    bob.refresh_from_db()
    assert bob.language == "zh-hant"
    page = client.get("/").content.decode()
    assert "儀表板" in page  # "Dashboard"
    assert 'lang="zh-Hant"' in page


def test_an_anonymous_visitor_can_switch_language_on_the_login_page(client):
    client.post("/preferences/save/", {"language": "zh-hant", "next": "/accounts/login/"})
    assert "登入" in client.get("/accounts/login/").content.decode()


def test_times_are_shown_in_the_users_time_zone(client, bob):
    brand = Brand.objects.create(name="Acme", slug="acme")
    opened = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    incident = incident_open(brand=brand, title="Outage", started_at=opened)
    incident.opened_at = opened
    incident.save()
    bob.time_zone = "Asia/Taipei"
    bob.save()
    client.force_login(bob)
    page = client.get("/").content.decode()
    assert "2026-03-01 20:00" in page


def test_an_unsafe_next_url_is_ignored(client):
    response = client.post(
        "/preferences/save/", {"language": "en", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/"
