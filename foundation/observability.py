"""Counters every process shares, Sentry and JSON logs (a platform helper: imports no app).

Prometheus scrapes one address, `/metrics` on the web process, but mentions are
stored and detectors run in the Celery worker as much as in the web process. Our own
counters therefore live in Redis (services mode) where every process adds to them
and the web process reads them at scrape time; in embedded mode everything runs in
one process and they live in memory. A metrics write never fails the work it counts:
Redis errors are logged and dropped.

Open websockets are a per-process gauge (prometheus_client): the sockets belong to
the web process that answers the scrape.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import redis
import sentry_sdk
from django.conf import settings
from prometheus_client import REGISTRY, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

MENTIONS_INGESTED = "crisisroom_mentions_ingested"
DETECTION_RUNS = "crisisroom_detection_runs"
POLL_ERRORS = "crisisroom_poll_errors"
INGEST_SECONDS = "crisisroom_ingest_seconds"

COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    MENTIONS_INGESTED: ("Mentions stored, by source and brand", ("source", "brand")),
    DETECTION_RUNS: ("Detector runs for one brand, by outcome (fired or quiet)", ("outcome",)),
    POLL_ERRORS: ("Failed polls of a source", ("source", "kind")),
}
HISTOGRAMS: dict[str, tuple[str, tuple[float, ...]]] = {
    INGEST_SECONDS: (
        "Time to validate, score and store one ingest batch",
        (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    ),
}
SEP = "\x1f"

OPEN_SOCKETS = Gauge(
    "crisisroom_open_websockets", "Open websockets in this web process", ["consumer"]
)


class _Store:
    """Counter values: a Redis hash per metric, or a dict in embedded mode."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._client: redis.Redis | None = None
        self._url = ""

    def client(self) -> redis.Redis | None:
        url = settings.REDIS_URL
        if not url:
            return None
        if self._client is None or self._url != url:
            self._client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
            self._url = url
        return self._client

    def key(self, name: str) -> str:
        return f"{settings.METRICS_KEY_PREFIX}:{name}"

    def add(self, changes: list[tuple[str, str, float]]) -> None:
        client = self.client()
        if client is None:
            with self.lock:
                for name, field, by in changes:
                    self.local[name][field] += by
            return
        try:
            pipe = client.pipeline(transaction=False)
            for name, field, by in changes:
                pipe.hincrbyfloat(self.key(name), field, by)
            pipe.execute()
        except redis.RedisError as exc:
            logger.warning("metrics not recorded: %s", exc)

    def read(self, name: str) -> dict[str, float]:
        client = self.client()
        if client is None:
            with self.lock:
                return dict(self.local[name])
        raw = client.hgetall(self.key(name))
        return {k.decode(): float(v) for k, v in raw.items()}


store = _Store()


def count(name: str, by: float = 1, **labels: str) -> None:
    """Add to one of COUNTERS; labels are the metric's label names."""
    record(counts={name: {tuple(str(labels[n]) for n in COUNTERS[name][1]): by}})


def observe(name: str, value: float) -> None:
    """One observation of a histogram (cumulative buckets, as Prometheus wants them)."""
    record(observations={name: value})


def record(
    *,
    counts: dict[str, dict[tuple[str, ...], float]] | None = None,
    observations: dict[str, float] | None = None,
) -> None:
    """Counter additions and histogram observations in one Redis round trip."""
    changes = [
        (name, SEP.join(key), by)
        for name, values in (counts or {}).items()
        for key, by in values.items()
        if by
    ]
    for name, value in (observations or {}).items():
        changes += [(name, f"le{bound}", 1.0) for bound in HISTOGRAMS[name][1] if value <= bound]
        changes += [(name, "count", 1.0), (name, "sum", value)]
    if changes:
        store.add(changes)


class SharedCollector(Collector):
    """Reads the shared counters at scrape time."""

    def describe(self) -> Iterator[Any]:
        # Names only, so registering does not read Redis (settings may not be ready).
        for name, (doc, label_names) in COUNTERS.items():
            yield CounterMetricFamily(name, doc, labels=list(label_names))
        for name, (doc, _bounds) in HISTOGRAMS.items():
            yield HistogramMetricFamily(name, doc)

    def collect(self) -> Iterator[Any]:
        try:
            yield from self._families()
        except redis.RedisError as exc:
            logger.warning("metrics not read: %s", exc)

    def _families(self) -> Iterator[Any]:
        for name, (doc, label_names) in COUNTERS.items():
            family = CounterMetricFamily(name, doc, labels=list(label_names))
            for field, value in sorted(store.read(name).items()):
                family.add_metric(field.split(SEP), value)
            yield family
        for name, (doc, bounds) in HISTOGRAMS.items():
            values = store.read(name)
            total = values.get("count", 0.0)
            buckets = [(str(b), values.get(f"le{b}", 0.0)) for b in bounds] + [("+Inf", total)]
            family = HistogramMetricFamily(name, doc)
            family.add_metric([], buckets, values.get("sum", 0.0))
            yield family


REGISTRY.register(SharedCollector())


# --- Sentry and logs --------------------------------------------------------------


def sentry_init(*, dsn: str, environment: str = "", traces_sample_rate: float = 0.0) -> None:
    """Errors (and log records at ERROR) from Django, Celery and Redis calls to Sentry."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
    )


def logging_config(*, level: str, json: bool) -> dict[str, Any]:
    """LOGGING for settings.py: plain lines, or one JSON object per line."""
    formatter: dict[str, Any] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    if json:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "daphne": {"level": "WARNING"},
            "django.channels.server": {"level": "WARNING"},
        },
    }
