from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from crisisroom.models import User
from crisisroom.services.users import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (the token alone on the last line)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username: str, name: str, **options) -> None:  # type: ignore[no-untyped-def]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"No user {username!r}. Create one with: manage.py add_user {username} --role responder"
            )
        token = api_token_create(user=user, name=name)
        self.stderr.write(f"API token for {username} (shown once; store it now):")
        self.stdout.write(token)
