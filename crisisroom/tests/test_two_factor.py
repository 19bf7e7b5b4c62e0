"""Issue 16: TOTP two-factor sign-in. Enrolment, the code step on both login pages, the
recovery codes, the required-for-admins setting, the operator's reset, and wrong codes
spending the same django-axes budget as wrong passwords."""

from __future__ import annotations

import logging
import re
import time
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisroom.services import two_factor

pytestmark = pytest.mark.django_db

ENROL = "/account/two-factor/"


@pytest.fixture(autouse=True)
def _settings(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_THROTTLE_ATTEMPTS = 5
    settings.LOGIN_THROTTLE_IP_ATTEMPTS = 50
    # django-otp's own wait after a wrong code (1 s, doubling) is tested on its own below.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the authenticator app shows, computed from the device's key (django-otp's
    TOTP). ``steps_ahead=1`` is the next 30 s window: a code already used is refused."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    page = client.get(ENROL)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(f"{ENROL}confirm/", {"code": code_for(device)})
    assert response.status_code == 200, response.content[:500]
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    return TOTPDevice.objects.get(pk=device.pk), codes


def password_step(client: Client, page: str, username: str, password: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    data = {"username": username, "password": password, "this_is_the_login_form": "1"}
    return client.post(page, data, REMOTE_ADDR=ip)


def code_step(client: Client, code: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/code/", {"code": code}, REMOTE_ADDR=ip)


@pytest.fixture
def enrolled_alice(alice):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(alice)
    device, codes = enrol(client)
    return alice, device, codes


def test_the_enrolment_page_shows_a_qr_code_and_the_key_as_text(client, alice):
    client.force_login(alice)
    page = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=alice)
    assert not device.confirmed
    assert re.search(r'<svg viewBox="[^"]+" class="qr">', page) and "<path" in page
    assert "<img" not in page  # inline SVG: nothing fetched, nothing from the network
    secret = two_factor.secret_text(device)
    assert secret.replace(" ", "") in device.config_url
    assert secret in page
    assert "issuer=Crisis%20Room" in device.config_url  # the name the app shows
    # A reload shows the same key (a phone that already scanned it stays right).
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_a_wrong_code_does_not_confirm_the_device(client, alice):
    client.force_login(alice)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=alice)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(f"{ENROL}confirm/", {"code": wrong})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticToken.objects.exists()


def test_the_right_code_confirms_it_and_shows_recovery_codes_once(client, alice):
    client.force_login(alice)
    device, codes = enrol(client)
    assert device.confirmed
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT == len(set(codes))
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(codes)
    page = client.get(ENROL).content.decode()
    assert "recovery codes left" in page
    assert not any(code in page for code in codes)


def test_login_with_a_device_needs_the_code_before_the_session_is_logged_in(enrolled_alice):
    alice, device, _codes = enrolled_alice
    client = Client()
    response = password_step(client, "/accounts/login/", "alice", "pw-alice")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/code/"
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302  # still a visitor
    assert client.get("/accounts/login/code/").status_code == 200

    wrong = f"{(int(code_for(device, 1)) + 1) % 1_000_000:06d}"
    response = code_step(client, wrong)
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert SESSION_KEY not in client.session

    response = code_step(client, code_for(device, 1))
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(alice.pk)
    assert client.get("/").status_code == 200


def test_a_code_is_taken_once(enrolled_alice):
    _alice, device, _codes = enrolled_alice
    code = code_for(device, 1)
    first = Client()
    password_step(first, "/accounts/login/", "alice", "pw-alice")
    assert code_step(first, code).status_code == 302
    second = Client()
    password_step(second, "/accounts/login/", "alice", "pw-alice")
    assert code_step(second, code).status_code == 200
    assert SESSION_KEY not in second.session


def test_without_the_password_step_the_code_page_sends_back_to_login(enrolled_alice):
    _alice, device, _codes = enrolled_alice
    client = Client()
    response = code_step(client, code_for(device, 1))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_the_password_step_expires(enrolled_alice, monkeypatch):
    _alice, device, _codes = enrolled_alice
    client = Client()
    password_step(client, "/accounts/login/", "alice", "pw-alice")
    later = time.time() + 301
    monkeypatch.setattr("crisisroom.two_factor.time.time", lambda: later)
    response = code_step(client, code_for(device, 1))
    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_a_recovery_code_works_once(enrolled_alice):
    alice, _device, codes = enrolled_alice
    client = Client()
    password_step(client, "/accounts/login/", "alice", "pw-alice")
    # Spaces, a dash and capitals as people copy it.
    typed = f" {codes[0][:4].upper()}-{codes[0][4:]} "
    assert code_step(client, typed).status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)
    assert two_factor.recovery_codes_left(alice) == len(codes) - 1

    again = Client()
    password_step(again, "/accounts/login/", "alice", "pw-alice")
    assert code_step(again, codes[0]).status_code == 200
    assert SESSION_KEY not in again.session


def test_the_admin_login_page_also_needs_the_code(enrolled_alice):
    _alice, device, _codes = enrolled_alice
    client = Client()
    response = password_step(client, "/admin/login/?next=/admin/", "alice", "pw-alice")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/code/"
    assert SESSION_KEY not in client.session
    assert client.get("/admin/").status_code == 302
    response = code_step(client, code_for(device, 1))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_user_without_a_device_logs_in_with_the_password_alone(client, bob):
    response = password_step(client, "/accounts/login/", "bob", "pw-bob")
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(bob.pk)


def test_wrong_codes_spend_the_accounts_login_budget_and_lock_both_steps(enrolled_alice):
    _alice, device, _codes = enrolled_alice
    client = Client()
    password_step(client, "/accounts/login/", "alice", "pw-alice")
    wrong = f"{(int(code_for(device, 1)) + 1) % 1_000_000:06d}"
    statuses = [code_step(client, wrong).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.failures_since_start == 5
    assert wrong not in attempt.post_data  # the code is not logged
    # Locked: the right code is not even tried, and the password step refuses too.
    assert SESSION_KEY not in client.session
    assert code_step(client, code_for(device, 1)).status_code == 302  # pending state dropped
    assert SESSION_KEY not in client.session
    fresh = Client()
    assert password_step(fresh, "/accounts/login/", "alice", "pw-alice").status_code == 429
    assert password_step(fresh, "/admin/login/", "alice", "pw-alice").status_code == 429


def test_the_device_itself_makes_the_next_try_wait_after_a_wrong_code(enrolled_alice, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    _alice, device, _codes = enrolled_alice
    client = Client()
    password_step(client, "/accounts/login/", "alice", "pw-alice")
    wrong = f"{(int(code_for(device, 1)) + 1) % 1_000_000:06d}"
    assert code_step(client, wrong).status_code == 200
    response = code_step(client, code_for(device, 1))
    assert response.status_code == 429
    assert "Too soon after a wrong code" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_removing_the_device_needs_a_current_code(enrolled_alice):
    alice, device, _codes = enrolled_alice
    client = Client()
    client.force_login(alice)
    response = client.post(f"{ENROL}remove/", {"code": "000000x"})
    assert response.status_code == 400
    assert two_factor.two_factor_enabled(alice)
    response = client.post(f"{ENROL}remove/", {"code": code_for(device, 1)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert two_factor.recovery_codes_left(alice) == 0
    assert password_step(Client(), "/accounts/login/", "alice", "pw-alice")["Location"] == "/"


def test_new_recovery_codes_replace_the_old_ones(enrolled_alice):
    alice, device, old = enrolled_alice
    client = Client()
    client.force_login(alice)
    response = client.post(f"{ENROL}recovery-codes/", {"code": code_for(device, 1)})
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new) == two_factor.RECOVERY_CODE_COUNT
    assert response["Cache-Control"] == "no-store"
    assert not set(old) & set(StaticToken.objects.values_list("token", flat=True))


def test_required_for_admins_sends_an_admin_without_a_device_to_enrol_first(settings, alice, bob):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = True
    client = Client()
    assert password_step(client, "/accounts/login/", "alice", "pw-alice")["Location"] == "/"
    for path in ("/", "/admin/", "/sources/", "/on-call/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == ENROL, path
    assert client.get(ENROL).status_code == 200
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == ENROL
    # A responder is not asked.
    other = Client()
    password_step(other, "/accounts/login/", "bob", "pw-bob")
    assert other.get("/").status_code == 200
    # Once enrolled, the admin goes on.
    device = TOTPDevice.objects.get(user=alice)
    client.post(f"{ENROL}confirm/", {"code": code_for(device)})
    assert client.get("/").status_code == 200


def test_required_for_admins_is_off_by_default(alice):
    client = Client()
    password_step(client, "/accounts/login/", "alice", "pw-alice")
    assert client.get("/").status_code == 200


def test_required_for_admins_leaves_single_sign_on_sessions_alone(settings, alice):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = True
    client = Client()
    client.force_login(alice, backend="crisisroom.sso.Backend")
    assert client.get("/").status_code == 200
    password = Client()
    password.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    assert password.get("/")["Location"] == ENROL


def test_the_reset_command_removes_a_lost_device_and_logs_it(enrolled_alice, caplog):
    alice, _device, _codes = enrolled_alice
    out = StringIO()
    with caplog.at_level(logging.WARNING, logger="crisisroom.services.two_factor"):
        call_command("reset_two_factor", "alice", stdout=out)
    assert "Removed two-factor sign-in for alice" in out.getvalue()
    assert not two_factor.two_factor_enabled(alice)
    assert two_factor.recovery_codes_left(alice) == 0
    record = next(r for r in caplog.records if "two-factor removed for alice" in r.getMessage())
    assert "reset_two_factor" in record.getMessage()
    client = Client()
    assert password_step(client, "/accounts/login/", "alice", "pw-alice")["Location"] == "/"
    out = StringIO()
    call_command("reset_two_factor", "alice", stdout=out)
    assert "nothing changed" in out.getvalue()


def test_the_reset_command_refuses_an_unknown_user():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no user named"):
        call_command("reset_two_factor", "nobody")


def test_the_code_pages_are_translated(enrolled_alice, client):
    client.cookies["django_language"] = "zh-hant"
    password_step(client, "/accounts/login/", "alice", "pw-alice")
    page = client.get("/accounts/login/code/").content.decode()
    assert "兩步驟驗證碼" in page
    client.force_login(enrolled_alice[0])
    assert "兩步驟登入" in client.get(ENROL).content.decode()


def test_add_user_tells_a_new_password_admin_to_enrol(monkeypatch):
    monkeypatch.setenv("CRISISROOM_PASSWORD", "s3cret-pass")
    out = StringIO()
    call_command("add_user", "root", "--role", "admin", stdout=out)
    assert "/account/two-factor/" in out.getvalue()
    out = StringIO()
    call_command("add_user", "viewer1", "--role", "viewer", stdout=out)
    assert "two-factor" not in out.getvalue()
