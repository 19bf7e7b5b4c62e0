"""HTTP API under /api/v1 (see DESIGN.md "Public contract"). Token auth:
``Authorization: Bearer TOKEN``. Every error is JSON with an ``error`` message;
a bad body is a 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from crisisroom import selectors
from crisisroom.choices import IncidentStatus, Severity
from crisisroom.idempotency import idempotent
from crisisroom.models import Incident
from crisisroom.openapi import document as openapi_document
from crisisroom.services import incidents as incidents_services
from crisisroom.services import lifecycle, users
from foundation import jsonio, validation
from foundation.permissions import (
    PermissionDenied,
    can_ingest,
    can_view_incidents,
    require,
)
from monitoring.ingest import mentions_ingest
from monitoring.models import Mention
from monitoring.pagination import CursorError, decode_cursor, keyset_page
from monitoring.services import brand_get_or_create


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def api_view(*methods: str, query: tuple[str, ...] = ()) -> Callable:
    """Token auth, allowed methods, JSON errors for every failure the caller caused.
    ``query``: the query parameters the view reads (the OpenAPI document lists the
    same); any other is a 400, so a misspelt filter is not silently ignored."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method not in methods:
                response = error(405, f"Use {' or '.join(methods)} here.")
                response["Allow"] = ", ".join(methods)
                return response
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                response = error(401, "Send an API token: Authorization: Bearer TOKEN")
                response["WWW-Authenticate"] = "Bearer"
                return response
            user = users.api_token_authenticate(token.strip())
            if user is None:
                return error(401, "That API token is not valid.")
            request.user = user
            unknown = sorted(set(request.GET) - set(query))
            if unknown:
                allowed = ", ".join(query) or "none"
                return error(
                    400,
                    f"Unknown query parameter {unknown[0][:40]!r} (allowed: {allowed}).",
                )
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return error(exc.status, exc.message)
            except PermissionDenied as exc:
                return error(403, str(exc))
            except Http404 as exc:
                return error(404, str(exc) or "Not found.")
            except validation.FieldError as exc:
                return error(400, str(exc))

        return wrapper

    return decorate


def read_json(request: HttpRequest) -> Any:
    length = int(request.headers.get("Content-Length") or 0)
    if length > settings.API_MAX_BODY_BYTES:
        raise ApiError(413, f"The body is larger than {settings.API_MAX_BODY_BYTES} bytes.")
    try:
        body = request.body
    except Exception as exc:  # RequestDataTooBig and friends
        raise ApiError(
            413, f"The body is larger than {settings.API_MAX_BODY_BYTES} bytes."
        ) from exc
    if not body.strip():
        raise ApiError(400, "The body is empty; send JSON.")
    try:
        return jsonio.loads(body)
    except jsonio.JSONInputError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}") from exc


def _limit(request: HttpRequest, default: int = 100, most: int = 1000) -> int:
    raw = request.GET.get("limit")
    if raw is None:  # absent; present but empty is not a number (400)
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= most:
        raise ApiError(400, f"limit must be a whole number from 1 to {most}.")
    return int(raw)


def _time_param(request: HttpRequest, name: str):  # type: ignore[no-untyped-def]
    raw = request.GET.get(name)
    if raw is None:
        return None
    try:
        return validation.timestamp(raw, name)
    except validation.FieldError as exc:
        raise ApiError(400, str(exc)) from exc


def mention_json(mention: Mention) -> dict[str, Any]:
    return {
        "id": mention.pk,
        "source": mention.source.key,
        "external_id": mention.external_id,
        "brand": mention.brand.slug if mention.brand else None,
        "platform": mention.platform,
        "text": mention.text,
        "url": mention.url,
        "author": mention.author,
        "author_followers": mention.author_followers,
        "lang": mention.lang,
        "published_at": mention.published_at.isoformat(),
        "sentiment": {"label": mention.sentiment_label, "score": mention.sentiment_score},
    }


@api_view("GET", "POST", query=("brand", "since", "until", "sentiment", "limit", "cursor"))
def mentions(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        return _mentions_post(request)
    require(can_view_incidents(request.user))
    queryset = Mention.objects.select_related("source", "brand")
    if brand := request.GET.get("brand"):
        validation.check_text(brand, "brand")
        queryset = queryset.filter(brand__slug=brand)
    if since := _time_param(request, "since"):
        queryset = queryset.filter(published_at__gte=since)
    if until := _time_param(request, "until"):
        queryset = queryset.filter(published_at__lt=until)
    if (sentiment := request.GET.get("sentiment")) is not None:
        if sentiment not in {"negative", "neutral", "positive", "unscored"}:
            raise ApiError(400, "sentiment must be negative, neutral, positive or unscored.")
        queryset = queryset.filter(sentiment_label=sentiment)
    try:
        cursor = decode_cursor(request.GET["cursor"]) if request.GET.get("cursor") else None
    except CursorError as exc:
        raise ApiError(400, str(exc)) from exc
    # Keyset pages (an extension of the contract): ?cursor=<next_cursor> reads the
    # next older page off the (published_at, id) indexes, stable under inserts.
    page = keyset_page(queryset, cursor=cursor, size=_limit(request))
    rows = [mention_json(m) for m in page.rows]
    return JsonResponse({"mentions": rows, "count": len(rows), "next_cursor": page.next_cursor})


def _mentions_post(request: HttpRequest) -> JsonResponse:
    require(can_ingest(request.user), "Only responders and admins may send mentions.")
    body = read_json(request)
    items = body.get("mentions") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ApiError(400, 'Send a JSON array of mentions, or {"mentions": [...]}.')
    if not items:
        raise ApiError(400, "Send at least one mention.")
    if len(items) > settings.API_MAX_ITEMS:
        raise ApiError(
            413, f"At most {settings.API_MAX_ITEMS} mentions per request; this had {len(items)}."
        )
    result = mentions_ingest(items=items)
    return JsonResponse(result.as_dict())


# What floors above add to an incident's detail (the playbook: its run and statements),
# appended in their AppConfig.ready so that incidents never import them. Each is
# called with the incident and the viewer (the token's user; None outside a request).
INCIDENT_DETAIL_PARTS: list[Callable[[Incident, Any], dict[str, Any]]] = []


def incident_json(
    incident: Incident, *, detail: bool = False, viewer: Any = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": incident.pk,
        "title": incident.title,
        "brand": incident.brand.slug,
        "status": incident.status,
        "severity": incident.severity,
        "category": incident.category,
        "is_drill": incident.is_drill,
        "started_at": incident.started_at.isoformat(),
        "opened_at": incident.opened_at.isoformat(),
        "acknowledged_at": incident.acknowledged_at.isoformat()
        if incident.acknowledged_at
        else None,
        "first_response_at": incident.first_response_at.isoformat()
        if incident.first_response_at
        else None,
        "monitoring_at": incident.monitoring_at.isoformat() if incident.monitoring_at else None,
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "resolution_summary": incident.resolution_summary,
        "dismissed_at": incident.dismissed_at.isoformat() if incident.dismissed_at else None,
        "dismiss_reason": incident.dismiss_reason,
        "url": f"{settings.SITE_URL}/incidents/{incident.pk}/",
    }
    if detail:
        data["signals"] = [
            {
                "kind": s.kind,
                "at": s.at.isoformat(),
                "baseline": s.baseline,
                "threshold": s.threshold,
                "observed": s.observed,
            }
            for s in incident.signals.order_by("at")
        ]
        data["members"] = [
            {"username": m.user.get_username(), "crisis_role": m.crisis_role.slug}
            for m in incident.members.select_related("user", "crisis_role")
        ]
        for part in INCIDENT_DETAIL_PARTS:
            data.update(part(incident, viewer))
    return data


@api_view("GET", "POST", query=("status", "limit"))
def incidents(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        return _incident_post(request)
    require(can_view_incidents(request.user))
    queryset = Incident.objects.select_related("brand")
    if (status := request.GET.get("status")) is not None:
        if status not in IncidentStatus.values:
            raise ApiError(400, f"status must be one of {', '.join(IncidentStatus.values)}.")
        queryset = queryset.filter(status=status)
    rows = [incident_json(i) for i in queryset.order_by("-opened_at")[: _limit(request)]]
    return JsonResponse({"incidents": rows, "count": len(rows)})


@idempotent
def _incident_post(request: HttpRequest) -> JsonResponse:
    body = read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Send a JSON object: {title, brand, severity?, is_drill?}.")
    title = validation.text(body, "title", required=True, max_length=200)
    brand_slug = validation.text(body, "brand", required=True, max_length=60)
    severity = body.get("severity", Severity.MEDIUM)
    if severity not in Severity.values:
        raise ApiError(400, f"severity must be one of {', '.join(Severity.values)}.")
    is_drill = body.get("is_drill", False)
    if not isinstance(is_drill, bool):
        raise ApiError(400, "is_drill must be true or false.")
    require(can_ingest(request.user), "Only responders and admins raise incidents.")
    try:
        brand = brand_get_or_create(slug=brand_slug)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    incident = incidents_services.incident_open(
        brand=brand,
        title=title.strip(),
        severity=severity,
        opened_by=request.user,
        is_drill=is_drill,
        started_at=timezone.now(),
    )
    return JsonResponse(incident_json(incident, detail=True, viewer=request.user), status=201)


@api_view("GET")
def incident_detail(request: HttpRequest, pk: int) -> JsonResponse:
    incident = selectors.incident_get_for_user(user=request.user, pk=pk)
    return JsonResponse(incident_json(incident, detail=True, viewer=request.user))


@api_view("POST")
def incident_acknowledge(request: HttpRequest, pk: int) -> JsonResponse:
    incident = selectors.incident_get_for_user(user=request.user, pk=pk)
    incident = incidents_services.incident_acknowledge(incident=incident, user=request.user)
    return JsonResponse(incident_json(incident, detail=True, viewer=request.user))


@api_view("POST")
def incident_dismiss(request: HttpRequest, pk: int) -> JsonResponse:
    """Dismiss as a false alarm: {reason?}. 409 when the incident is no longer active."""
    body = read_json(request) if request.body else {}
    if not isinstance(body, dict) or not isinstance(body.get("reason", ""), str):
        raise ApiError(400, "Send a JSON object: {reason?: string}.")
    incident = selectors.incident_get_for_user(user=request.user, pk=pk)
    try:
        incident = incidents_services.incident_dismiss(
            incident=incident,
            user=request.user,
            reason=validation.text(body, "reason", max_length=2000),
        )
    except incidents_services.IncidentStateError as exc:
        raise ApiError(409, str(exc)) from exc
    return JsonResponse(incident_json(incident, detail=True, viewer=request.user))


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Anything under /api/v1/ no route matched (also /incidents/abc): a JSON 404."""
    return error(404, "No such API endpoint or object.")


def _text_field(request: HttpRequest, name: str) -> str:
    body = read_json(request) if request.body else {}
    if not isinstance(body, dict):
        raise ApiError(400, f"Send a JSON object: {{{name}: string}}.")
    # The service says what is missing or too long; this refuses NUL and lone surrogates.
    return validation.text(body, name, max_length=2000)


@api_view("POST")
def incident_monitor(request: HttpRequest, pk: int) -> JsonResponse:
    """The response is out; watching the aftermath. 409 when the incident is closed."""
    incident = selectors.incident_get_for_user(user=request.user, pk=pk)
    try:
        incident = lifecycle.incident_monitor(incident=incident, user=request.user)
    except incidents_services.IncidentStateError as exc:
        raise ApiError(409, str(exc)) from exc
    return JsonResponse(incident_json(incident, detail=True, viewer=request.user))


@api_view("POST")
def incident_resolve(request: HttpRequest, pk: int) -> JsonResponse:
    """Resolve: {summary} (one line). Incident lead on the incident or admin; else 403."""
    summary = _text_field(request, "summary")
    incident = selectors.incident_get_for_user(user=request.user, pk=pk)
    try:
        incident = lifecycle.incident_resolve(incident=incident, user=request.user, summary=summary)
    except lifecycle.LifecycleInputError as exc:
        raise ApiError(400, str(exc)) from exc
    except incidents_services.IncidentStateError as exc:
        raise ApiError(409, str(exc)) from exc
    return JsonResponse(incident_json(incident, detail=True, viewer=request.user))


@api_view("POST")
def incident_reopen(request: HttpRequest, pk: int) -> JsonResponse:
    """Reopen a resolved or dismissed incident: {reason}. Same permission as resolve."""
    reason = _text_field(request, "reason")
    incident = selectors.incident_get_for_user(user=request.user, pk=pk)
    try:
        incident = lifecycle.incident_reopen(incident=incident, user=request.user, reason=reason)
    except lifecycle.LifecycleInputError as exc:
        raise ApiError(400, str(exc)) from exc
    except incidents_services.IncidentStateError as exc:
        raise ApiError(409, str(exc)) from exc
    return JsonResponse(incident_json(incident, detail=True, viewer=request.user))


def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document())
