"""The settings pages admins use instead of Django's admin: the menu (every installed
app's ``settings_pages``), users and their roles, and the on-call list with its
rotation, overrides and preview. Views check admin rights, validate a form, call one
service and render; a refused change answers 400 with the form and its message."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisisroom import selectors
from crisisroom.forms import (
    OnCallAddForm,
    OnCallMoveForm,
    OnCallOverrideForm,
    OnCallRotationForm,
    UserAddForm,
    UserEditForm,
)
from crisisroom.models import OnCallEntry, OnCallOverride, User
from crisisroom.services import on_call as on_call_services
from crisisroom.services import users as user_services
from foundation.permissions import PermissionDenied, is_org_admin


def _require_admin(request: HttpRequest) -> None:
    if not is_org_admin(request.user):
        raise PermissionDenied(_("Only admins change the settings."))


def settings_menu() -> list[tuple[str, str]]:
    """(label, URL) of every installed app's ``settings_pages``, in INSTALLED_APPS order."""
    entries = []
    for config in apps.get_app_configs():
        for name, label in getattr(config, "settings_pages", ()):
            entries.append((str(label), reverse(name)))
    return entries


@login_required
@require_GET
def settings_index(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "crisisroom/settings/index.html", {"entries": settings_menu()})


# --- Users and roles --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def users(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = UserAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = user_services.user_invite(
                    username=data["username"],
                    org_role=data["org_role"],
                    crisis_roles=data["crisis_roles"],
                    email=data["email"],
                    password=data["password"],
                )
            except (user_services.UserChangeError, ValueError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(name)s added.") % {"name": user.username})
                return redirect("crisisroom:settings-users")
        status = 400
    rows = User.objects.prefetch_related("crisis_roles").order_by("-is_active", "username")
    context = {"form": form, "users": rows}
    return render(request, "crisisroom/settings/users.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    person = get_object_or_404(User, pk=pk)
    initial = {
        "email": person.email,
        "org_role": person.org_role,
        "crisis_roles": list(person.crisis_roles.values_list("slug", flat=True)),
        "is_active": person.is_active,
    }
    form = UserEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user_services.user_update(user=person, by=request.user, **form.cleaned_data)
            except (user_services.UserChangeError, ValueError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(name)s saved.") % {"name": person.username})
                return redirect("crisisroom:settings-users")
        status = 400
    context = {"form": form, "person": person}
    return render(request, "crisisroom/settings/user_edit.html", context, status=status)


# --- On call ----------------------------------------------------------------------------


def _on_call_page(request: HttpRequest, status: int = 200, **forms) -> HttpResponse:  # type: ignore[no-untyped-def]
    mode, starts_at = selectors.on_call_rotation()
    local_start = timezone.localtime(starts_at).date()
    context = {
        "entries": [
            (entry, on_call_services.can_be_paged(entry.user))
            for entry in OnCallEntry.objects.select_related("user").order_by("position", "pk")
        ],
        "add_form": forms.get("add_form") or OnCallAddForm(),
        "rotation_form": forms.get("rotation_form")
        or OnCallRotationForm(initial={"mode": mode, "starts_on": local_start}),
        "override_form": forms.get("override_form") or OnCallOverrideForm(),
        "error": forms.get("error", ""),
        "overrides": list(
            OnCallOverride.objects.select_related("user")
            .filter(ends_at__gt=timezone.now())
            .order_by("starts_at")
        ),
        "preview": selectors.on_call_preview(days=14),
    }
    return render(request, "crisisroom/settings/on_call.html", context, status=status)


def _on_call_done(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("crisisroom:settings-on-call")


@login_required
@require_GET
def on_call_settings(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return _on_call_page(request)


@login_required
@require_POST
def on_call_add(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = OnCallAddForm(request.POST)
    if not form.is_valid():
        return _on_call_page(request, 400, add_form=form)
    try:
        on_call_services.on_call_add(user=form.cleaned_data["user"])
    except on_call_services.OnCallError as exc:
        form.add_error("user", str(exc))
        return _on_call_page(request, 400, add_form=form)
    return _on_call_done(request, _("Added to the on-call list."))


@login_required
@require_POST
def on_call_move(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    entry = get_object_or_404(OnCallEntry, pk=pk)
    form = OnCallMoveForm(request.POST)
    if not form.is_valid():
        return _on_call_page(request, 400, error=_("Move a person up or down."))
    try:
        on_call_services.on_call_move(entry=entry, direction=form.cleaned_data["direction"])
    except on_call_services.OnCallError as exc:
        return _on_call_page(request, 400, error=str(exc))
    return _on_call_done(request, _("On-call order saved."))


@login_required
@require_POST
def on_call_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    entry = get_object_or_404(OnCallEntry, pk=pk)
    on_call_services.on_call_set_active(entry=entry, active=not entry.active)
    return _on_call_done(request, _("On-call order saved."))


@login_required
@require_POST
def on_call_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    on_call_services.on_call_remove(entry=get_object_or_404(OnCallEntry, pk=pk))
    return _on_call_done(request, _("Removed from the on-call list."))


@login_required
@require_POST
def on_call_rotation(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = OnCallRotationForm(request.POST)
    if not form.is_valid():
        return _on_call_page(request, 400, rotation_form=form)
    on_call_services.on_call_rotation_set(
        mode=form.cleaned_data["mode"], starts_at=form.starts_at(), by=request.user
    )
    return _on_call_done(request, _("Rotation saved."))


@login_required
@require_POST
def on_call_override_add(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = OnCallOverrideForm(request.POST)
    if not form.is_valid():
        return _on_call_page(request, 400, override_form=form)
    starts_at, ends_at = form.window()
    try:
        on_call_services.on_call_override_add(
            user=form.cleaned_data["user"],
            starts_at=starts_at,
            ends_at=ends_at,
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except on_call_services.OnCallError as exc:
        form.add_error(None, str(exc))
        return _on_call_page(request, 400, override_form=form)
    return _on_call_done(request, _("Override saved."))


@login_required
@require_POST
def on_call_override_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    on_call_services.on_call_override_remove(override=get_object_or_404(OnCallOverride, pk=pk))
    return _on_call_done(request, _("Override removed."))
