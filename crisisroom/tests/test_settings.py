from __future__ import annotations

import re

import pytest
from django.conf import settings

from crisisroom import embedded
from foundation.env import envbool, envint


def test_every_environment_variable_is_in_the_readme_table():
    source = (settings.BASE_DIR / "crisisroom" / "settings.py").read_text()
    names = set(re.findall(r'env(?:bool|int|list)?\(\s*"([A-Z_]+)"', source))
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EMAIL_BACKEND"} <= names
    readme = (settings.BASE_DIR / "README.md").read_text()
    undocumented = sorted(name for name in names if f"| `{name}` |" not in readme)
    assert undocumented == []


def test_env_helpers_read_files_and_refuse_nonsense(tmp_path, monkeypatch):
    secret = tmp_path / "flag"
    secret.write_text("yes\n")
    monkeypatch.setenv("SOME_FLAG_FILE", str(secret))
    assert envbool("SOME_FLAG") is True
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ValueError, match="SOME_NUMBER must be a whole number"):
        envint("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_BOOL", "maybe")
    with pytest.raises(ValueError, match="true or false"):
        envbool("SOME_BOOL")


def test_the_embedded_scheduler_runs_due_beat_entries_once_per_interval(settings, monkeypatch):
    calls = []
    from crisisroom.celery import app

    app.loader.import_default_modules()
    task = app.tasks["monitoring.tasks.brands_detect_task"]
    monkeypatch.setattr(task, "apply", lambda args=(), kwargs=None: calls.append(args))
    settings.CELERY_BEAT_SCHEDULE = {
        "x": {"task": "monitoring.tasks.brands_detect_task", "schedule": 60.0}
    }
    # each task's database connection is let go after it (the test has no database:
    # whether this worker's connection is open depends on the tests it ran before)
    closed = []
    monkeypatch.setattr(embedded, "close_old_connections", lambda: closed.append(1))
    next_run: dict[str, float] = {}
    assert embedded.run_due(next_run, now=1000.0) == ["x"]
    assert embedded.run_due(next_run, now=1030.0) == []
    assert embedded.run_due(next_run, now=1060.0) == ["x"]
    assert len(calls) == 2
    assert len(closed) == 2
