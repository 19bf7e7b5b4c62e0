"""The on-call list, its rotation and its overrides, as admins set them in the app.

Reads go through crisisroom.selectors.on_call_order (alerts, escalation, pages and the
preview alike). Writes take one lock so two admins reordering at once cannot collide;
the database's unique places are the last word."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisroom.models import OnCallEntry, OnCallOverride, OnCallRotation, User
from foundation.roles import OrgRole

# pg_advisory_xact_lock key: "oncall" in ASCII, unlikely to meet another lock's key.
_LOCK_KEY = 0x6F6E63616C6C


class OnCallError(ValueError):
    """A change to the on-call setup that is refused; the message says why."""


def _lock() -> None:
    # SQLite (embedded mode) runs one writer at a time anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def can_be_paged(user: User) -> bool:
    return bool(
        user.is_active
        and user.email
        and (user.is_superuser or user.org_role in (OrgRole.ADMIN, OrgRole.RESPONDER))
    )


def _check_pageable(user: User) -> None:
    if not user.is_active:
        raise OnCallError(_("%(user)s is deactivated.") % {"user": user.get_username()})
    if not user.email:
        raise OnCallError(
            _("%(user)s has no email address, so an alert cannot reach them.")
            % {"user": user.get_username()}
        )
    if not can_be_paged(user):
        raise OnCallError(
            _("%(user)s is a viewer and cannot acknowledge an alert.")
            % {"user": user.get_username()}
        )


@transaction.atomic
def on_call_add(*, user: User) -> OnCallEntry:
    """Put ``user`` at the end of the list."""
    _lock()
    _check_pageable(user)
    if OnCallEntry.objects.filter(user=user).exists():
        raise OnCallError(_("%(user)s is already on the list.") % {"user": user.get_username()})
    top = OnCallEntry.objects.aggregate(top=Max("position"))["top"]
    return OnCallEntry.objects.create(user=user, position=0 if top is None else top + 1)


@transaction.atomic
def on_call_remove(*, entry: OnCallEntry) -> None:
    _lock()
    OnCallEntry.objects.filter(pk=entry.pk).delete()


@transaction.atomic
def on_call_move(*, entry: OnCallEntry, direction: str) -> None:
    """Swap ``entry`` with its neighbour above ("up") or below ("down")."""
    _lock()
    entry = OnCallEntry.objects.get(pk=entry.pk)
    rows = OnCallEntry.objects.order_by("position", "pk")
    neighbour = (
        rows.filter(position__lt=entry.position).order_by("-position").first()
        if direction == "up"
        else rows.filter(position__gt=entry.position).first()
    )
    if neighbour is None:
        message = (
            _("%(user)s is already first.") if direction == "up" else _("%(user)s is already last.")
        )
        raise OnCallError(message % {"user": entry.user.get_username()})
    # Through a free place: the unique constraint holds after every statement.
    free = OnCallEntry.objects.aggregate(top=Max("position"))["top"] + 1
    mine, theirs = entry.position, neighbour.position
    OnCallEntry.objects.filter(pk=entry.pk).update(position=free)
    OnCallEntry.objects.filter(pk=neighbour.pk).update(position=mine)
    OnCallEntry.objects.filter(pk=entry.pk).update(position=theirs)


@transaction.atomic
def on_call_set_active(*, entry: OnCallEntry, active: bool) -> None:
    """A paused entry keeps its place and is skipped while paused."""
    OnCallEntry.objects.filter(pk=entry.pk).update(active=active)


@transaction.atomic
def on_call_rotation_set(*, mode: str, starts_at: datetime, by: User) -> OnCallRotation:
    if mode not in OnCallRotation.Mode.values:
        raise OnCallError(_("Choose a rotation from the list."))
    _lock()
    row = OnCallRotation.objects.order_by("pk").first() or OnCallRotation()
    row.mode, row.starts_at = mode, starts_at
    row.updated_at, row.updated_by = timezone.now(), by
    row.save()
    return row


@transaction.atomic
def on_call_override_add(
    *, user: User, starts_at: datetime, ends_at: datetime, note: str = "", by: User
) -> OnCallOverride:
    """``user`` is paged first from ``starts_at`` until ``ends_at``; refused when it
    overlaps another override, is over already, or ``user`` cannot be paged."""
    if ends_at <= starts_at:
        raise OnCallError(_("The override must end after it starts."))
    if ends_at <= timezone.now():
        raise OnCallError(_("This override is over already; choose dates from today on."))
    _check_pageable(user)
    _lock()
    clash = (
        OnCallOverride.objects.select_related("user")
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .first()
    )
    if clash is not None:
        raise OnCallError(
            _(
                "It overlaps the override for %(user)s (%(start)s to %(end)s); change or remove that one first."
            )
            % {
                "user": clash.user.get_username(),
                "start": timezone.localtime(clash.starts_at).strftime("%Y-%m-%d %H:%M"),
                "end": timezone.localtime(clash.ends_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    return OnCallOverride.objects.create(
        user=user, starts_at=starts_at, ends_at=ends_at, note=note, created_by=by
    )


@transaction.atomic
def on_call_override_remove(*, override: OnCallOverride) -> None:
    OnCallOverride.objects.filter(pk=override.pk).delete()
