"""Labelled feedback from the team for the detector's evaluation.

An incident dismissed as a false alarm labels its signals ``false_alarm``; an
incident that was worked (acknowledged or resolved) labels them ``confirmed``;
a signal of an open incident is ``unlabelled``. Export them with
``manage.py export_detector_feedback OUT.csv``: one row per signal with what
the detector saw (baseline, threshold, observed), so a tuning run can count how
many false alarms a candidate configuration would still raise."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import IO

from django.db.models import Min, Sum

from crisisroom.choices import IncidentStatus
from crisisroom.models import Incident
from monitoring.models import BUCKET_SECONDS, Rollup, Signal

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


NAB_TS = "%Y-%m-%d %H:%M:%S"


def nab_export(out_dir: str) -> dict[str, int]:
    """Write the team's own labelled history as a NAB data set, so the production
    detector can be scored on it exactly like on NAB:

        manage.py export_detector_feedback --nab DIR
        manage.py evaluate_detector DIR OUT
        python nab_score.py DIR/windows.json DIR OUT

    One DIR/BRAND.csv (timestamp,value: mentions per 5 minutes from the rollups,
    zero-filled) per brand with a worked or dismissed incident, and windows.json
    with one anomaly window per confirmed incident, centred on its first signal and
    as wide as NAB makes them (10% of the series shared among its windows). A
    dismissed incident gets no window: a detector that fires there scores a false
    positive. Returns {file name: number of windows}."""

    step = timedelta(seconds=BUCKET_SECONDS)
    labelled = (
        Incident.objects.filter(
            is_drill=False,
            status__in=[
                IncidentStatus.ACKNOWLEDGED,
                IncidentStatus.RESOLVED,
                IncidentStatus.DISMISSED,
            ],
        )
        .annotate(first_signal=Min("signals__at"))
        .select_related("brand")
        .order_by("brand__slug", "started_at")
    )
    by_brand: dict = {}
    for incident in labelled:
        by_brand.setdefault(incident.brand, []).append(incident)
    os.makedirs(out_dir, exist_ok=True)
    windows: dict[str, list[list[str]]] = {}
    for brand, incidents in by_brand.items():
        counts = dict(
            Rollup.objects.filter(brand=brand)
            .values("bucket")
            .annotate(n=Sum("count"))
            .values_list("bucket", "n")
        )
        if not counts:
            continue
        first, last = min(counts), max(counts)
        times = []
        moment = first
        while moment <= last:
            times.append(moment)
            moment += step
        name = f"{brand.slug}.csv"
        with open(os.path.join(out_dir, name), "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["timestamp", "value"])
            for moment in times:
                writer.writerow([moment.strftime(NAB_TS), counts.get(moment, 0)])
        confirmed = [
            (i.first_signal or i.started_at)
            for i in incidents
            if i.status != IncidentStatus.DISMISSED
        ]
        half = max(1, int(0.1 * len(times) / max(1, len(confirmed))) // 2)
        brand_windows = []
        for at in confirmed:
            centre = min(max(0, int((at - first) / step)), len(times) - 1)
            a, b = max(0, centre - half), min(len(times) - 1, centre + half)
            brand_windows.append([times[a].strftime(NAB_TS), times[b].strftime(NAB_TS)])
        windows[name] = brand_windows
    with open(os.path.join(out_dir, "windows.json"), "w") as fh:
        json.dump(windows, fh, indent=1)
    return {name: len(w) for name, w in windows.items()}
