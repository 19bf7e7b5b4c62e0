from __future__ import annotations

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from crisisroom.models import User
from crisisroom.services.two_factor import two_factor_remove


class Command(BaseCommand):
    help = (
        "Remove a user's two-factor devices (authenticator app and recovery codes), for a "
        "lost phone. The user then signs in with the password alone and enrols again at "
        "/account/two-factor/. Logged as a warning with the operator's name."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:  # type: ignore[no-untyped-def]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        try:
            operator = getpass.getuser()
        except (KeyError, OSError):
            operator = os.environ.get("USER", "unknown")
        removed = two_factor_remove(
            user=user, by=f"operator {operator} (manage.py reset_two_factor)"
        )
        if not removed:
            self.stdout.write(f"{username} had no two-factor device; nothing changed.")
            return
        self.stdout.write(
            f"Removed two-factor sign-in for {username}. They sign in with their password "
            "alone now and can enrol again at /account/two-factor/."
        )
