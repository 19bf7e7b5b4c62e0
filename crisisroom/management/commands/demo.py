from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from crisisroom.demo import load_demo
from crisisroom.drills import drill_start, drill_stop
from crisisroom.models import Drill


class Command(BaseCommand):
    help = "Migrate, load demo data, print the demo login, and serve the dashboard (embedded mode)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Load the data and stop.")
        parser.add_argument(
            "--drill", default="policy-backlash", help="scenario to run live ('' for none)"
        )
        parser.add_argument("--speed", type=float, default=10.0, help="the drill's speed")
        parser.add_argument(
            "--under-way",
            type=float,
            default=10.0,
            help="start the drill this many scenario minutes in",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        no_serve: bool,
        drill: str,
        speed: float,
        under_way: float,
        **options,
    ) -> None:  # type: ignore[no-untyped-def]
        call_command("migrate", interactive=False, verbosity=0)
        info = load_demo()
        started = None
        if drill:
            for running in Drill.objects.filter(status=Drill.Status.RUNNING):
                drill_stop(drill=running)
            started = drill_start(scenario_id=drill, speed=speed, under_way=under_way)
        base = f"http://{host}:{port}"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Crisis Room demo ({'embedded' if settings.EMBEDDED else 'services'} mode), {info['mentions']} mentions loaded.",
                    f"  Open    {base}/",
                    f"  Log in  username: {info['username']}   password: {info['password']}",
                    *(
                        [
                            f"  A fire drill is under way ({started.scenario}, ×{speed:g}, brand {started.brand.name}):"
                            " its incident opens within a minute; watch it on the dashboard."
                        ]
                        if started
                        else []
                    ),
                    "  Post a mention and watch it arrive in the war room:",
                    f"    curl -s -X POST {base}/api/v1/mentions -H 'Authorization: Bearer {info['token']}' \\",
                    "      -H 'Content-Type: application/json' \\",
                    '      -d \'[{"source":"twitter","external_id":"\'$RANDOM\'","text":"Boycott Acme Coffee, this is a scam",'
                    '"published_at":"\'$(date -u +%FT%TZ)\'","author":"you"}]\'',
                    "",
                ]
            )
        )
        self.stdout.flush()
        if no_serve:
            return
        from daphne.cli import CommandLineInterface

        CommandLineInterface().run(["-b", host, "-p", str(port), "crisisroom.asgi:application"])
