"""Shared fixtures: alice (admin), bob (responder), charlie (viewer), dave (no role),
API tokens, a brand with watch terms, and eager Celery for in-process tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from crisisroom.services.users import api_token_create, user_add
from foundation.roles import OrgRole
from monitoring.models import Brand, WatchTerm


@pytest.fixture(autouse=True)
def _eager_celery(request: pytest.FixtureRequest) -> Any:
    """In-process tests run tasks inline; flow tests use a real worker instead."""
    from crisisroom.celery import app

    if request.node.get_closest_marker("flow"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _language_reset() -> Any:
    """A request by a zh-Hant user leaves zh-Hant active on the thread (the locale
    middleware activates, nothing deactivates): each test starts and ends in the
    default language, so messages asserted in English are not translated by chance."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _user(username: str, role: str, **extra: Any):  # type: ignore[no-untyped-def]
    # Transactional tests flush every table, the migration's crisis roles too.
    from crisisroom.choices import CrisisRoleSlug
    from crisisroom.models import CrisisRole

    for position, slug in enumerate(CrisisRoleSlug.values):
        CrisisRole.objects.get_or_create(slug=slug, defaults={"position": position})
    user, _ = user_add(
        username=username,
        org_role=role,
        email=f"{username}@example.com",
        password="pw-" + username,
        **extra,
    )
    return user


@pytest.fixture
def alice(db):  # type: ignore[no-untyped-def]
    return _user("alice", OrgRole.ADMIN, crisis_roles=["incident_lead"])


@pytest.fixture
def bob(db):  # type: ignore[no-untyped-def]
    return _user("bob", OrgRole.RESPONDER, crisis_roles=["legal_counsel"])


@pytest.fixture
def charlie(db):  # type: ignore[no-untyped-def]
    return _user("charlie", OrgRole.VIEWER)


@pytest.fixture
def dave(db):  # type: ignore[no-untyped-def]
    """Signed up but given no usable organisation role."""
    user = _user("dave", OrgRole.VIEWER)
    user.org_role = ""
    user.save(update_fields=["org_role"])
    return user


@pytest.fixture
def brand(db) -> Brand:  # type: ignore[no-untyped-def]
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    WatchTerm.objects.create(brand=brand, kind="name", query="Acme Coffee")
    WatchTerm.objects.create(brand=brand, kind="name", query="Acme咖啡")
    WatchTerm.objects.create(brand=brand, kind="exclude", query="acme coffee grinder")
    return brand


class Api:
    """A test client that talks to /api/v1 with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def post(self, path: str, body: Any, raw: bool = False):  # type: ignore[no-untyped-def]
        data = body if raw else json.dumps(body)
        return self.client.post(
            f"/api/v1{path}", data=data, content_type="application/json", headers=self.headers
        )

    def get(self, path: str, **params: Any):  # type: ignore[no-untyped-def]
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)


@pytest.fixture
def api_for(db) -> Callable[[Any], Api]:  # type: ignore[no-untyped-def]
    def make(user: Any) -> Api:
        return Api(api_token_create(user=user) if user is not None else None)

    return make


@pytest.fixture
def local_targets(settings):  # type: ignore[no-untyped-def]
    """Let outbound HTTP (sources, webhooks, publishing) reach this machine's test servers;
    by default the guard refuses private and loopback addresses."""
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = True
