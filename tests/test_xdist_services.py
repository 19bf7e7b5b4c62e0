"""The suite runs on several pytest-xdist workers; each must have a Redis database of
its own (tests/xdist_services.py), as pytest-django gives each its own test database."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

from tests.xdist_services import worker_redis_url


def test_each_worker_gets_a_redis_database_apart_from_the_shared_one():
    shared = "redis://:secret@cache.internal:6380/3"
    urls = [worker_redis_url(shared, f"gw{k}") for k in range(4)]
    assert urls == [
        "redis://:secret@cache.internal:6380/4",
        "redis://:secret@cache.internal:6380/5",
        "redis://:secret@cache.internal:6380/6",
        "redis://:secret@cache.internal:6380/7",
    ]
    # redis-server has 16 databases: the numbers wrap around, never past 15.
    assert worker_redis_url("redis://127.0.0.1:6379/14", "gw1") == "redis://127.0.0.1:6379/0"
    assert worker_redis_url("redis://127.0.0.1:6379", "gw0") == "redis://127.0.0.1:6379/1"


@pytest.mark.django_db
def test_under_xdist_this_worker_uses_its_own_redis_and_test_database():
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        pytest.skip("the suite is not running under pytest-xdist")
    shared = os.environ["XDIST_SHARED_REDIS_URL"]
    assert settings.REDIS_URL == worker_redis_url(shared, worker) != shared
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] == [settings.REDIS_URL]
    assert connection.settings_dict["NAME"].endswith(f"_{worker}")
