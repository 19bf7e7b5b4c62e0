"""Labelled feedback from the team for the detector's evaluation.

An incident dismissed as a false alarm labels its signals ``false_alarm``; an
incident that was worked (acknowledged or resolved) labels them ``confirmed``;
a signal of an open incident is ``unlabelled``. Export them with
``manage.py export_detector_feedback OUT.csv``: one row per signal with what
the detector saw (baseline, threshold, observed), so a tuning run can count how
many false alarms a candidate configuration would still raise."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

COLUMNS = [
    "brand",
    "kind",
    "at",
    "baseline",
    "threshold",
    "observed",
    "magnitude",
    "fires",
    "incident",
    "label",
    "reason",
]


def feedback_rows() -> Iterator[dict]:
    from crisisroom.choices import IncidentStatus
    from monitoring.models import Signal

    labels = {
        IncidentStatus.DISMISSED: "false_alarm",
        IncidentStatus.ACKNOWLEDGED: "confirmed",
        IncidentStatus.RESOLVED: "confirmed",
    }
    signals = (
        Signal.objects.filter(incident__isnull=False, incident__is_drill=False)
        .select_related("brand", "incident")
        .order_by("brand__slug", "at", "pk")
    )
    for s in signals.iterator():
        yield {
            "brand": s.brand.slug,
            "kind": s.kind,
            "at": s.at.isoformat(),
            "baseline": s.baseline,
            "threshold": s.threshold,
            "observed": s.observed,
            "magnitude": s.magnitude,
            "fires": int(s.fires),
            "incident": s.incident_id,
            "label": labels.get(s.incident.status, "unlabelled"),
            "reason": s.incident.dismiss_reason,
        }


def feedback_write(out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    n = 0
    for row in feedback_rows():
        writer.writerow(row)
        n += 1
    return n
