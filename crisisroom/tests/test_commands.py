from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crisisroom.models import User
from crisisroom.services.users import api_token_authenticate

pytestmark = pytest.mark.django_db


def test_add_user_creates_and_updates_with_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRISISROOM_PASSWORD", "s3cret-pass")
    out = StringIO()
    call_command(
        "add_user",
        "erin",
        "--role",
        "responder",
        "--crisis-role",
        "legal_counsel",
        "--crisis-role",
        "pr_lead",
        "--email",
        "erin@example.com",
        stdout=out,
    )
    erin = User.objects.get(username="erin")
    assert erin.check_password("s3cret-pass")
    assert erin.org_role == "responder"
    assert sorted(erin.crisis_roles.values_list("slug", flat=True)) == ["legal_counsel", "pr_lead"]
    assert "Created erin" in out.getvalue()
    monkeypatch.delenv("CRISISROOM_PASSWORD")
    call_command("add_user", "erin", "--role", "admin", stdout=StringIO())
    erin.refresh_from_db()
    assert erin.org_role == "admin"
    assert erin.is_staff
    assert erin.check_password("s3cret-pass")  # no password given: the old one stays


def test_add_user_without_a_password_cannot_log_in(monkeypatch):
    monkeypatch.delenv("CRISISROOM_PASSWORD", raising=False)
    call_command("add_user", "frank", "--role", "viewer", stdout=StringIO())
    assert not User.objects.get(username="frank").has_usable_password()


def test_create_api_token_prints_a_working_token_on_the_last_line(bob):
    out = StringIO()
    call_command("create_api_token", "bob", stdout=out, stderr=StringIO())
    token = out.getvalue().strip().splitlines()[-1]
    assert api_token_authenticate(token) == bob


def test_create_api_token_for_an_unknown_user_fails_clearly():
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("create_api_token", "nobody", stdout=StringIO())
