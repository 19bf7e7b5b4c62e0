from __future__ import annotations

import logging.config
import os

from celery import Celery, signals
from django.conf import settings

from foundation.env import env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisroom.settings")

app = Celery("crisisroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _django_logging(**kwargs: object) -> None:
    logging.config.dictConfig(settings.LOGGING)


# With JSON logs the worker and beat log through Django's LOGGING: a receiver of
# setup_logging means Celery installs no format of its own. Plain logs keep Celery's.
if env("LOG_FORMAT") == "json":
    signals.setup_logging.connect(_django_logging, weak=False)
