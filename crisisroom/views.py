from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from crisisroom import drills as drill_service
from crisisroom import selectors
from crisisroom.forms import (
    ChatForm,
    DrillStartForm,
    IncidentDismissForm,
    IncidentRaiseForm,
    PreferencesForm,
    SurpriseDrillForm,
    TimelineNoteForm,
    TimelinePinForm,
)
from crisisroom.health import health_report
from crisisroom.models import Drill, SurpriseDrill
from crisisroom.services import alerts as alerts_services
from crisisroom.services import chat, incidents, lifecycle, signals, timeline
from crisisroom.two_factor import TwoFactorLoginMixin
from foundation.permissions import PermissionDenied, can_view_incidents, can_work_incidents
from monitoring.detection_service import brand_detector_config
from monitoring.selectors import brands_overview, key_voices, sources_health


def _get_incident_for_user(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return selectors.incident_get_for_user(user=request.user, pk=pk)


class ThrottledLoginView(TwoFactorLoginMixin, auth_views.LoginView):
    """Django's login form; django-axes throttles it (crisisroom/login_throttle.py), and
    a user with two-factor gives a code next (crisisroom/two_factor.py)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        return {**super().get_context_data(**kwargs), "sso_enabled": settings.OIDC_ENABLED}


@login_required
@require_GET
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can_view_incidents(request.user):
        return HttpResponseForbidden(_("Your account has no organisation role yet. Ask an admin."))
    template = "crisisroom/dashboard.html"
    if request.htmx and request.GET.get("part") == "live":
        template += "#live"  # the resync after a missed heartbeat: as a fresh load shows it
    return render(request, template, dashboard_context())


def dashboard_context() -> dict:
    """What the dashboard shows; the dashboard's websocket re-renders the same."""
    return {
        "active": list(selectors.incidents_active()),
        "recent": list(selectors.incidents_recent()),
        "brands": selectors.brands_with_sparklines(brands_overview()),
        "sources": sources_health(),
        "warnings": list(selectors.source_warnings_recent(limit=5)),
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def war_room(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    voices = key_voices(
        brand=incident.brand_id, since=incident.started_at - timedelta(hours=1), limit=8
    )
    part = request.GET.get("part") if request.htmx else None
    if part == "voices":
        # Refreshed every minute by each open page: only what the key-voices card shows.
        context = {"incident": incident, "voices": voices}
        return render(request, "crisisroom/war_room.html#key-voices", context)
    context = {
        "incident": incident,
        "mentions": selectors.incident_feed(incident=incident, limit=settings.WAR_ROOM_FEED_SIZE),
        "timeline": list(selectors.incident_timeline(incident=incident)),
        "pinned": timeline.timeline_pinned(incident=incident),
        "incident_id": incident.pk,
        "can_note": timeline.can_write_notes(request.user, incident),
        "note_form": TimelineNoteForm(),
        "signals": [(s, signals.describe_signal(s)) for s in incident.signals.order_by("at")],
        "chat": selectors.incident_chat(incident=incident, user=request.user),
        "present": chat.presence_list(incident_id=incident.pk),
        "platforms": selectors.incident_platform_names(incident=incident),
        "voices": voices,
        # "High reach" in the feed's unanswered filter: the key-voice signal's threshold.
        "high_reach": brand_detector_config(incident.brand).key_voice_followers,
        "can_work": can_work_incidents(request.user),
        "can_close": lifecycle.can_close_incident(request.user, incident),
    }
    template = "crisisroom/war_room.html"
    if part == "live":
        template += "#live"  # the resync after a reconnect: the page as a fresh load shows it
    return render(request, template, context)


@login_required
@require_GET
def incident_series(request: HttpRequest, pk: int) -> JsonResponse:
    """The war-room chart's data; ?range= one of selectors.SERIES_RANGES (default: the
    incident's window). An unknown range is a 400 naming the ones there are."""
    incident = _get_incident_for_user(request, pk)
    span = request.GET.get("range", "incident")
    try:
        return JsonResponse(selectors.incident_series(incident=incident, span=span))
    except selectors.SeriesRangeError:
        ranges = ", ".join(selectors.SERIES_RANGES)
        message = _("Unknown range %(range)r: use one of %(ranges)s.") % {
            "range": span,
            "ranges": ranges,
        }
        return JsonResponse({"error": message}, status=400)


@login_required
@require_POST
def chat_post(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    form = ChatForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    chat.chat_post(incident=incident, author=request.user, body=form.cleaned_data["body"])
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("crisisroom:war-room", pk=incident.pk)


def _timeline_answer(request: HttpRequest, incident, error: str = "") -> HttpResponse:  # type: ignore[no-untyped-def]
    """htmx: 204 (the room's socket brings the change) or 400 with the message;
    without JavaScript: back to the war room with the message."""
    if request.htmx:
        return HttpResponse(error, status=400 if error else 204)
    if error:
        messages.error(request, error)
    return redirect("crisisroom:war-room", pk=incident.pk)


@login_required
@require_POST
def timeline_note(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    form = TimelineNoteForm(request.POST)
    if not form.is_valid():
        return _timeline_answer(request, incident, " ".join(form.errors.get("text", [])))
    try:
        timeline.timeline_note_add(
            incident=incident, by=request.user, text=form.cleaned_data["text"]
        )
    except timeline.NoteError as exc:
        return _timeline_answer(request, incident, str(exc))
    return _timeline_answer(request, incident)


@login_required
@require_POST
def timeline_pin(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    form = TimelinePinForm(request.POST)
    if not form.is_valid():
        return _timeline_answer(request, incident, _("Choose an entry of the timeline."))
    try:
        timeline.timeline_pin(
            incident=incident,
            event_id=form.cleaned_data["event"],
            by=request.user,
            pinned=form.cleaned_data["pinned"],
        )
    except timeline.NoteError as exc:
        return _timeline_answer(request, incident, str(exc))
    return _timeline_answer(request, incident)


@login_required
@require_POST
def incident_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    incidents.incident_acknowledge(incident=incident, user=request.user)
    messages.success(request, _("Incident acknowledged."))
    return redirect("crisisroom:war-room", pk=incident.pk)


@login_required
@require_POST
def incident_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    form = IncidentDismissForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        incidents.incident_dismiss(incident=incident, user=request.user, reason=reason)
        messages.success(request, _("Incident dismissed as a false alarm."))
    except incidents.IncidentStateError as exc:
        messages.error(request, str(exc))
    return redirect("crisisroom:war-room", pk=incident.pk)


def _lifecycle_answer(
    request: HttpRequest,
    incident,
    error: str = "",  # type: ignore[no-untyped-def]
) -> HttpResponse:
    """htmx swaps the lifecycle block in place; without JavaScript, back to the room."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("crisisroom:war-room", pk=incident.pk)
    incident.refresh_from_db()
    context = {
        "incident": incident,
        "can_work": can_work_incidents(request.user),
        "can_close": lifecycle.can_close_incident(request.user, incident),
        "lifecycle_error": error,
    }
    return render(request, "crisisroom/partials/lifecycle.html", context)


def _lifecycle_step(request: HttpRequest, pk: int, step, field: str = "") -> HttpResponse:  # type: ignore[no-untyped-def]
    """One lifecycle button: the service checks the state and the text (the API calls
    the same service), and the answer is the lifecycle block or the war room."""
    incident = _get_incident_for_user(request, pk)
    text = {field: request.POST.get(field, "")} if field else {}
    try:
        step(incident=incident, user=request.user, **text)
    except incidents.IncidentStateError as exc:
        return _lifecycle_answer(request, incident, str(exc))
    return _lifecycle_answer(request, incident)


@login_required
@require_POST
def incident_monitor(request: HttpRequest, pk: int) -> HttpResponse:
    return _lifecycle_step(request, pk, lifecycle.incident_monitor)


@login_required
@require_POST
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _lifecycle_step(request, pk, lifecycle.incident_resolve, "summary")


@login_required
@require_POST
def incident_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _lifecycle_step(request, pk, lifecycle.incident_reopen, "reason")


@login_required
def incident_raise(request: HttpRequest) -> HttpResponse:
    """Manual raise: a small form (the API's POST /api/v1/incidents does the same)."""
    if not can_work_incidents(request.user):
        raise PermissionDenied(_("Only responders and admins raise incidents."))
    form = IncidentRaiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident = incidents.incident_open(
            brand=data["brand"],
            title=data["title"],
            severity=data["severity"],
            opened_by=request.user,
            is_drill=data["is_drill"],
        )
        return redirect("crisisroom:war-room", pk=incident.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "crisisroom/incident_new.html", {"form": form}, status=status)


@login_required
@require_GET
def incident_alerts(request: HttpRequest, pk: int) -> HttpResponse:
    """Every alert sent (or not) for an incident, with the error of a failed one."""
    incident = _get_incident_for_user(request, pk)
    alerts = list(selectors.incident_alerts(incident=incident))
    return render(
        request, "crisisroom/incident_alerts.html", {"incident": incident, "alerts": alerts}
    )


@login_required
@require_GET
def on_call(request: HttpRequest) -> HttpResponse:
    if not can_view_incidents(request.user):
        raise PermissionDenied(_("You are not allowed to see the on-call list."))
    return render(
        request,
        "crisisroom/on_call.html",
        {
            "order": selectors.on_call_order(),
            "fallback": alerts_services.on_call_now(),
            "escalate_after": settings.ALERT_ESCALATE_AFTER_MINUTES,
            "rotation": selectors.on_call_rotation()[0],
            "webhooks": selectors.webhooks_active(),
            "preview": selectors.on_call_preview(days=14),
        },
    )


@require_http_methods(["GET", "POST"])
def alert_acknowledge(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link in an alert email. GET shows a page with one button; the
    POST acknowledges. Mail scanners and chat unfurlers (Outlook Safe Links, Slack
    previews) fetch GET links on their own, so a GET must not change anything; one
    tap on the button is still one click from a phone and needs no login: the
    signed, expiring token stands for the person the alert was sent to."""
    try:
        alert = alerts_services.alert_from_ack_token(token=token)
    except alerts_services.AckLinkError as exc:
        return render(
            request,
            "crisisroom/alert_acknowledge.html",
            {"error": str(exc), "expired": exc.expired},
            status=410 if exc.expired else 400,
        )
    incident = alert.incident
    done = False
    if request.method == "POST":
        incident = incidents.alert_acknowledge_by_token(token=token)
        done = True
    return render(
        request,
        "crisisroom/alert_acknowledge.html",
        {"alert": alert, "incident": incident, "done": done},
    )


@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    """The language switch (anyone) and time zone (signed-in users); kept on the user."""
    form = PreferencesForm(request.POST)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = redirect(target)
    if not form.is_valid():
        return response
    language = form.cleaned_data["language"]
    time_zone = form.cleaned_data["time_zone"]
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", secure=settings.HTTPS
        )
    if request.user.is_authenticated:
        fields = []
        if language:
            request.user.language = language
            fields.append("language")
        if time_zone:
            request.user.time_zone = time_zone
            fields.append("time_zone")
        if fields:
            request.user.save(update_fields=fields)
    return response


@login_required
@require_GET
def preferences_page(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(
        initial={"language": request.user.language, "time_zone": request.user.time_zone}
    )
    return render(request, "crisisroom/preferences.html", {"form": form})


def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def permission_denied_view(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    return render(request, "403.html", {"message": str(exception or "")}, status=403)


class PermissionDeniedMiddleware:
    """Turn the services' PermissionDenied into a 403 page."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied):
            return permission_denied_view(request, exception)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def drills(request: HttpRequest) -> HttpResponse:
    """Start and stop fire drills; see the running and past ones."""
    if not can_view_incidents(request.user):
        raise PermissionDenied(_("You are not allowed to see drills."))
    form = DrillStartForm(request.POST or None, scenarios=drill_service.scenarios_list())
    if request.method == "POST" and form.is_valid():
        try:
            drill = drill_service.drill_start(
                scenario_id=form.cleaned_data["scenario"],
                speed=form.cleaned_data["speed"],
                user=request.user,
            )
        except drill_service.ScenarioError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Drill started: %(name)s.") % {"name": drill.brand.name})
            return redirect("crisisroom:drills")
    return _drills_page(request, form=form)


def _drills_page(
    request: HttpRequest,
    *,
    form: DrillStartForm | None = None,
    surprise_form: SurpriseDrillForm | None = None,
    status: int = 200,
) -> HttpResponse:
    scenarios = drill_service.scenarios_list()
    past = list(Drill.objects.select_related("brand", "incident").order_by("-started_at")[:30])
    rows = [(d, drill_service.drill_incident(d)) for d in past]
    # The window only: the moment it starts is in the admin data, not on this page.
    surprises = list(
        SurpriseDrill.objects.filter(status=SurpriseDrill.Status.SCHEDULED).defer(
            "starts_at", "seed"
        )
    )
    return render(
        request,
        "crisisroom/drills.html",
        {
            "form": form or DrillStartForm(scenarios=scenarios),
            "surprise_form": surprise_form or SurpriseDrillForm(scenarios=scenarios),
            "scenarios": scenarios,
            "rows": rows,
            "surprises": surprises,
            "can_work": can_work_incidents(request.user),
        },
        status=status,
    )


@login_required
@require_POST
def surprise_drill_schedule(request: HttpRequest) -> HttpResponse:
    """Schedule a surprise drill; bad input comes back on the page with a 400."""
    form = SurpriseDrillForm(request.POST, scenarios=drill_service.scenarios_list())
    if form.is_valid():
        data = form.cleaned_data
        try:
            drill_service.surprise_drill_schedule(
                scenario_id=data["scenario"],
                speed=data["speed"],
                window_start=data["not_before"],
                window_end=data["not_after"],
                user=request.user,
            )
        except drill_service.ScenarioError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Surprise drill scheduled. Nobody is told when it starts."))
            return redirect("crisisroom:drills")
    return _drills_page(request, surprise_form=form, status=400)


@login_required
@require_POST
def surprise_drill_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    surprise = SurpriseDrill.objects.filter(pk=pk).first()
    if surprise is None:
        raise Http404
    drill_service.surprise_drill_cancel(surprise=surprise, user=request.user)
    messages.success(request, _("Surprise drill cancelled."))
    return redirect("crisisroom:drills")


@login_required
@require_POST
def drill_stop(request: HttpRequest, pk: int) -> HttpResponse:
    drill = Drill.objects.filter(pk=pk).first()
    if drill is None:
        raise Http404
    drill_service.drill_stop(drill=drill, user=request.user)
    messages.success(request, _("Drill stopped."))
    return redirect("crisisroom:drills")
