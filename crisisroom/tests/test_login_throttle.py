"""Issue 16: the login throttle (django-axes) keys on the username as the form reads
it, covers both login pages, and budgets per account and per address separately."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from crisisroom.services.users import user_add
from foundation.roles import OrgRole

pytestmark = pytest.mark.django_db

LOOKALIKES = ["throttle", "ｔhrottle", "𝐭hrottle", "𝕥hrottle", "THROTTLE", "ᵗhrottle"]
PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture(autouse=True)
def _fast_hashes(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_THROTTLE_ATTEMPTS = 5
    settings.LOGIN_THROTTLE_IP_ATTEMPTS = 50


def _user(name: str, role: str = OrgRole.ADMIN):  # type: ignore[no-untyped-def]
    return user_add(username=name, org_role=role, password="right-pass")[0]


def _try(client: Client, page: str, username: str, password: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    data = {"username": username, "password": password, "this_is_the_login_form": "1"}
    return client.post(page, data, REMOTE_ADDR=ip)


@pytest.fixture
def checked_passwords(monkeypatch):  # type: ignore[no-untyped-def]
    """How many times a password was actually checked (ModelBackend.authenticate)."""
    from django.contrib.auth.backends import ModelBackend

    calls: list[str] = []
    original = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(username)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return calls


def test_a_thousand_guesses_across_lookalikes_and_both_pages_get_only_the_budget(
    checked_passwords,
):
    _user("throttle")
    client = Client()
    statuses = []
    for n in range(1000):
        username = LOOKALIKES[n % len(LOOKALIKES)]
        # Once in a while the right password, in a lookalike spelling: never let in.
        password = "right-pass" if n % 97 == 96 else f"guess-{n}"
        statuses.append(_try(client, PAGES[n % 2], username, password).status_code)
        assert "_auth_user_id" not in client.session, (n, username)
    # The budget (5) of guesses was checked; the fifth failure answers 429 at once.
    assert len(checked_passwords) == 5
    assert statuses[:4] == [200] * 4 and set(statuses[4:]) == {429}
    failures = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert failures == 5
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"throttle"}


def test_the_right_password_in_a_lookalike_spelling_is_refused_once_locked():
    _user("throttle")
    client = Client()
    for n in range(5):
        assert _try(client, PAGES[n % 2], LOOKALIKES[n], "wrong").status_code in {200, 429}
    locked = _try(client, "/accounts/login/", "𝕥hrottle", "right-pass")
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert _try(client, "/admin/login/", "throttle", "right-pass").status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_persons_typos_do_not_lock_out_colleagues_behind_the_same_address():
    _user("throttle")
    _user("colleague", OrgRole.RESPONDER)
    client = Client()
    for _ in range(6):
        _try(client, "/accounts/login/", "throttle", "wrong")
    colleague = Client()
    response = _try(colleague, "/accounts/login/", "colleague", "right-pass")
    assert response.status_code == 302
    assert "_auth_user_id" in colleague.session


def test_one_password_across_many_usernames_hits_the_address_budget():
    for n in range(3):
        _user(f"user{n}", OrgRole.RESPONDER)
    client = Client()
    statuses = [
        _try(client, PAGES[n % 2], f"someone{n}", "Summer2026!").status_code for n in range(80)
    ]
    assert statuses.count(200) == 49  # the 50th failure already answers 429
    assert set(statuses[49:]) == {429}
    # Still locked for a real account from that address, even with its password ...
    assert _try(client, "/accounts/login/", "user0", "right-pass").status_code == 429
    # ... while another address is not affected.
    other = Client()
    assert _try(other, "/accounts/login/", "user0", "right-pass", ip="10.0.0.2").status_code == 302


def test_admins_see_failed_logins_in_the_admin():
    admin = _user("boss")
    _try(Client(), "/accounts/login/", "ｂoss", "wrong", ip="10.9.9.9")
    assert AccessFailureLog.objects.filter(username="boss", ip_address="10.9.9.9").exists()
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/axes/accessfailurelog/")
    assert page.status_code == 200
    assert "10.9.9.9" in page.content.decode()
