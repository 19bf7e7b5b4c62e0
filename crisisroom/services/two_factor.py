"""Two-factor sign-in (TOTP through django-otp, recovery codes through its static plugin).

A person enrols an authenticator app on /account/two-factor/: an unconfirmed TOTP
device is made, shown as a QR code and as text, and confirmed only by a code from the
app. Confirming also makes ``RECOVERY_CODE_COUNT`` one-time recovery codes, shown once.
Login then asks for a code after the password (crisisroom/two_factor.py).

Both device kinds throttle themselves (django-otp: a wait that doubles after each wrong
code); the login step also counts wrong codes as failed logins for django-axes.
"""

from __future__ import annotations

import logging
import re
import time
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisroom.models import User

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 8
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
_TOTP_CODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class CodeCheck:
    """What checking a code found: the device that took it, or why none did."""

    device: Device | None
    retry_at: datetime | None = None  # the device is waiting after wrong codes

    @property
    def accepted(self) -> bool:
        return self.device is not None


def two_factor_device(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def two_factor_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_enrolment_device(*, user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (the same one on every reload, so the QR
    code a phone already scanned stays valid until it is confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key as people type it into an app without a camera: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code (made here: no network)."""
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr")


def normalise_code(code: str) -> str:
    """Spaces and dashes are how people copy codes; they are not part of one."""
    return re.sub(r"[\s-]", "", code or "").lower()


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def two_factor_confirm(*, user: User, code: str) -> list[str] | None:
    """Confirm the device being enrolled with a code from the app. Returns the new
    recovery codes (to show once), or None when the code is not right."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    code = normalise_code(code)
    if device is None or not _TOTP_CODE.match(code) or not device.verify_token(code):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    logger.info("two-factor enrolled for %s", user.get_username())
    return codes


def two_factor_check(*, user: User, code: str) -> CodeCheck:
    """Check a sign-in code: six digits against the authenticator app, anything else
    against the recovery codes (each works once: django-otp deletes it when used)."""
    code = normalise_code(code)
    model = TOTPDevice if _TOTP_CODE.match(code) else StaticDevice
    with transaction.atomic():
        devices = model.objects.select_for_update().filter(user=user, confirmed=True)
        for device in devices:
            allowed, details = device.verify_is_allowed()
            if not allowed:
                return CodeCheck(None, retry_at=(details or {}).get("locked_until"))
            if code and device.verify_token(code):
                if model is StaticDevice:
                    logger.info(
                        "recovery code used by %s (%d left)",
                        user.get_username(),
                        device.token_set.count(),
                    )
                return CodeCheck(device)
    return CodeCheck(None)


@transaction.atomic
def two_factor_recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes (the old ones stop working)."""
    codes = _new_recovery_codes(user)
    logger.info("recovery codes renewed for %s", user.get_username())
    return codes


@transaction.atomic
def two_factor_remove(*, user: User, by: str) -> int:
    """Remove every two-factor device of ``user`` (and its recovery codes); ``by`` says
    who, for the log. Returns how many authenticator apps were removed."""
    removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
    StaticDevice.objects.filter(user=user).delete()
    logger.warning(
        "two-factor removed for %s by %s (%d authenticator app(s))",
        user.get_username(),
        by,
        removed,
    )
    return removed


def seconds_until(moment: datetime | None) -> int:
    if moment is None:
        return 1
    return max(1, int(moment.timestamp() - time.time()) + 1)
