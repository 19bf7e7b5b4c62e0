"""docker-compose.yml cannot run here (no Docker engine), so read it against the project."""

from __future__ import annotations

import importlib
import re
import shlex

import yaml
from django.core.management import get_commands

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _argv(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_it_runs_every_service_the_design_names_with_health_checks():
    assert {"postgres", "redis", "web", "worker", "beat", "mailpit"} <= set(SERVICES)
    for name, service in SERVICES.items():
        assert "healthcheck" in service, name
    assert "pgdata" in COMPOSE["volumes"]


def test_every_manage_py_command_it_names_exists():
    text = (ROOT / "docker-compose.yml").read_text()
    named = set(re.findall(r"manage\.py (\w+)", text))
    assert named, "expected manage.py commands in the web service"
    assert named <= set(get_commands()), named - set(get_commands())


def test_the_asgi_app_celery_app_and_beat_scheduler_it_names_import():
    text = (ROOT / "docker-compose.yml").read_text()
    module, attr = re.search(r"daphne .*?(\S+):(\w+)", text).groups()
    assert callable(getattr(importlib.import_module(module), attr))
    for name in ("worker", "beat"):
        argv = _argv(SERVICES[name])
        assert argv[:3] == ["celery", "-A", "crisisroom"] and argv[3] == name
        app = importlib.import_module(argv[2]).celery_app
        assert app.main == "crisisroom"
    scheduler = _argv(SERVICES["beat"])[_argv(SERVICES["beat"]).index("--scheduler") + 1]
    module, cls = scheduler.split(":")
    assert hasattr(importlib.import_module(module), cls)
    queue = _argv(SERVICES["worker"])[_argv(SERVICES["worker"]).index("--queues") + 1]
    from django.conf import settings

    assert queue == settings.CELERY_TASK_DEFAULT_QUEUE


def test_the_app_environment_names_only_settings_the_readme_documents():
    readme = (ROOT / "README.md").read_text()
    env = SERVICES["web"]["environment"]
    for name in env:
        assert f"`{name}`" in readme, f"{name} is not in the README's settings table"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://")
    assert env["EMAIL_HOST"] == "mailpit"


def test_the_image_installs_the_lock_file():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements/base.lock" in dockerfile
    assert (ROOT / "requirements" / "base.lock").exists()
