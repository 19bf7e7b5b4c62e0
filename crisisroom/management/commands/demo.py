from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from crisisroom.demo import load_demo


class Command(BaseCommand):
    help = "Migrate, load demo data, print the demo login, and serve the dashboard (embedded mode)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Load the data and stop.")

    def handle(self, *args, host: str, port: int, no_serve: bool, **options) -> None:  # type: ignore[no-untyped-def]
        call_command("migrate", interactive=False, verbosity=0)
        info = load_demo()
        base = f"http://{host}:{port}"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Crisis Room demo ({'embedded' if settings.EMBEDDED else 'services'} mode), {info['mentions']} mentions loaded.",
                    f"  Open    {base}/",
                    f"  Log in  username: {info['username']}   password: {info['password']}",
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
