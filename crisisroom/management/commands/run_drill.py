from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from crisisroom.drills import (
    ScenarioError,
    drill_incident,
    drill_start,
    drill_stop,
    drill_tick,
    scenarios_list,
)
from crisisroom.models import Drill


class Command(BaseCommand):
    help = (
        "Run a fire drill: replay a scenario through the real ingest path, so detection, "
        "alerts, the playbook and the war room run for real. Ctrl-C stops it."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("scenario", nargs="?")
        parser.add_argument(
            "--speed", type=float, default=1.0, help="1 = real time, 60 = a minute a second"
        )
        parser.add_argument("--list", action="store_true", help="list the scenarios")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--tick", type=float, default=2.0, help="seconds between deliveries")

    def handle(
        self,
        *args,
        scenario: str | None,
        speed: float,
        list: bool,
        seed: int,
        tick: float,
        **options,
    ) -> None:  # type: ignore[no-untyped-def]  # noqa: A002
        if list or not scenario:
            for found in scenarios_list():
                self.stdout.write(
                    f"{found['id']:<22} {found['duration_minutes']:>4g} min  {found['title']}"
                )
            if not list:
                raise CommandError("name a scenario (see above)")
            return
        try:
            drill = drill_start(scenario_id=scenario, speed=speed, seed=seed)
        except ScenarioError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Drill {drill.pk}: {scenario} at ×{speed:g} (brand {drill.brand.name}). Ctrl-C stops it."
        )
        announced = False
        # Ctrl-C (SIGINT) or SIGTERM only sets a flag, checked between ticks: an
        # interrupt in the middle of a tick's database work could leave the
        # connection mid-query and the stop below waiting on it.
        stop = threading.Event()
        previous = {
            sig: signal.signal(sig, lambda *_: stop.set())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            while not stop.is_set():
                stored = drill_tick(drill_id=drill.pk)
                drill.refresh_from_db()
                incident = drill_incident(drill)
                if incident is not None and not announced:
                    self.stdout.write(f"Incident #{incident.pk} opened: {incident.title}")
                    announced = True
                if stored:
                    self.stdout.write(
                        f"  +{stored} mentions (scenario minute {drill.cursor / 60:.1f})"
                    )
                if drill.status != Drill.Status.RUNNING:
                    break
                stop.wait(tick)
            if stop.is_set():
                drill_stop(drill=drill)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        drill.refresh_from_db()
        self.stdout.write(f"Drill {drill.pk} {drill.status}: {drill.delivered} mentions delivered.")
