from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from crisisroom.choices import CrisisRoleSlug
from crisisroom.services.two_factor import two_factor_enabled
from crisisroom.services.users import user_add
from foundation.roles import OrgRole


class Command(BaseCommand):
    help = (
        "Create or update a user. The password comes from the environment variable "
        "CRISISROOM_PASSWORD (or none). An admin then turns on two-factor sign-in at "
        "/account/two-factor/ (manage.py reset_two_factor removes a lost device)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=OrgRole.values)
        parser.add_argument(
            "--crisis-role", action="append", default=[], choices=CrisisRoleSlug.values
        )
        parser.add_argument("--email", default="")

    def handle(
        self, *args, username: str, role: str, crisis_role: list[str], email: str, **options
    ) -> None:  # type: ignore[no-untyped-def]
        password = os.environ.get("CRISISROOM_PASSWORD") or None
        try:
            user, created = user_add(
                username=username,
                org_role=role,
                crisis_roles=crisis_role,
                email=email,
                password=password,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} {user.username} ({role}{', ' + ', '.join(crisis_role) if crisis_role else ''})"
        )
        if role == OrgRole.ADMIN and password and not two_factor_enabled(user):
            self.stdout.write(
                "Next: sign in and turn on two-factor sign-in at /account/two-factor/ "
                "(required first when CRISISROOM_REQUIRE_2FA_FOR_ADMINS is on)."
            )
