"""Statement and team endpoints of /api/v1 (DESIGN.md, public contract): the same
services and permission rules as the pages. 403 for a wrong role, 409 for a
transition the state does not allow, 400 for a bad body."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse

from crisisroom import selectors as incident_selectors
from crisisroom.api import ApiError, api_view, read_json
from crisisroom.idempotency import idempotent
from crisisroom.models import Incident, User
from foundation import validation
from foundation.permissions import can_view_incidents, require
from foundation.validation import FieldError
from playbook import selectors
from playbook.models import OutboundPause, PublishTarget, ScheduledPost, Statement
from playbook.permissions import can_view_playbook
from playbook.review import review_statement
from playbook.services import base, publishing, scheduled, statements, team

# Longer than any channel allows (the review helper flags the limits per channel).
MAX_BODY = 20_000


def _translate_errors(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            return view(request, *args, **kwargs)
        except base.TransitionRefused as exc:
            raise ApiError(409, str(exc)) from exc
        except base.InvalidInput as exc:
            raise ApiError(400, str(exc)) from exc

    return wrapper


def _body_object(request: HttpRequest, *, optional: bool = False) -> dict[str, Any]:
    if optional and not request.body.strip():
        return {}
    body = read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Send a JSON object.")
    return body


def _channels(body: dict[str, Any], *, default: list[str] | None) -> list[str] | None:
    """The optional channels list: absent means the default; null or anything but a
    list of known channels is a 400 (as the schema says)."""
    if "channels" not in body:
        return default
    channels = body["channels"]
    known = selectors.channels_by_code()
    if not isinstance(channels, list) or not all(
        isinstance(c, str) and c in known for c in channels
    ):
        raise ApiError(400, f"channels must be a list of: {', '.join(known)}.")
    return channels


def _get_statement_for_user(request: HttpRequest, pk: int) -> Statement:
    statement = Statement.objects.select_related("incident", "created_by").filter(pk=pk).first()
    if statement is None:
        raise Http404("No such statement.")
    require(can_view_playbook(request.user, statement.incident))
    return statement


@api_view("POST")
@_translate_errors
def incident_members(request: HttpRequest, pk: int) -> JsonResponse:
    incident = incident_selectors.incident_get_for_user(user=request.user, pk=pk)
    body = _body_object(request)
    username = validation.text(body, "username", required=True, max_length=150)
    role = validation.text(body, "crisis_role", required=True, max_length=40)
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ApiError(400, f"No user called {username!r}.")
    member = team.team_member_add(incident=incident, user=user, crisis_role=role, by=request.user)
    return JsonResponse(
        {"username": member.user.get_username(), "crisis_role": member.crisis_role.slug},
        status=201,
    )


@api_view("POST")
@idempotent
@_translate_errors
def incident_statements(request: HttpRequest, pk: int) -> JsonResponse:
    incident = incident_selectors.incident_get_for_user(user=request.user, pk=pk)
    body = _body_object(request)
    text = validation.text(body, "body", required=True, max_length=MAX_BODY, strip=False)
    title = validation.text(body, "title", max_length=200)
    statement = statements.statement_create(
        incident=incident,
        by=request.user,
        body=text,
        title=title,
        channels=_channels(body, default=[]),
    )
    return JsonResponse(selectors.statement_json(statement), status=201)


@api_view("GET", "PATCH")
@_translate_errors
def statement_detail(request: HttpRequest, pk: int) -> JsonResponse:
    statement = _get_statement_for_user(request, pk)
    if request.method == "PATCH":
        body = _body_object(request)
        variants = body.get("variants")
        if "variants" in body and not (
            isinstance(variants, dict)
            and set(variants) <= set(selectors.channels_by_code())
            and all(isinstance(v, str) for v in variants.values())
        ):
            raise ApiError(400, "variants must be an object {channel: text}.")
        for channel, text in (variants or {}).items():
            validation.check_text(text, f"variants.{channel}", max_length=MAX_BODY, strip=False)
        for name in ("body", "title"):
            if name in body and not isinstance(body[name], str):
                raise ApiError(400, f"{name} must be a string.")
        statement = statements.statement_edit(
            statement=statement,
            by=request.user,
            body=validation.text(body, "body", required=True, max_length=MAX_BODY, strip=False)
            if "body" in body
            else None,
            title=validation.text(body, "title", max_length=200) if "title" in body else None,
            channels=_channels(body, default=None),
            variants=variants,
        )
    return JsonResponse(selectors.statement_json(statement))


@api_view("POST")
@idempotent
@_translate_errors
def statement_submit(request: HttpRequest, pk: int) -> JsonResponse:
    statement = _get_statement_for_user(request, pk)
    statement = statements.statement_submit(statement=statement, by=request.user)
    return JsonResponse(selectors.statement_json(statement))


@api_view("POST")
@idempotent
@_translate_errors
def statement_approve(request: HttpRequest, pk: int) -> JsonResponse:
    statement = _get_statement_for_user(request, pk)
    body = _body_object(request, optional=True)
    role = body.get("role")
    if role is not None and not isinstance(role, str):
        raise ApiError(400, "role must be a crisis role slug.")
    statement = statements.statement_approve(statement=statement, by=request.user, role=role)
    return JsonResponse(selectors.statement_json(statement))


@api_view("POST")
@idempotent
@_translate_errors
def statement_reject(request: HttpRequest, pk: int) -> JsonResponse:
    statement = _get_statement_for_user(request, pk)
    body = _body_object(request, optional=True)
    comment = validation.text(body, "comment", required=True, max_length=MAX_BODY)
    statement = statements.statement_reject(statement=statement, by=request.user, comment=comment)
    return JsonResponse(selectors.statement_json(statement))


@api_view("POST")
@idempotent
@_translate_errors
def statement_publish(request: HttpRequest, pk: int) -> JsonResponse:
    statement = _get_statement_for_user(request, pk)
    body = _body_object(request, optional=True)
    url = validation.text(body, "url", max_length=500)
    if url and not validation.is_web_url(url):
        raise ApiError(400, "url must be an http:// or https:// address.")
    names = body.get("targets")
    targets = None
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ApiError(400, "targets must be a list of target names.")
        targets = list(PublishTarget.objects.filter(name__in=names, active=True))
        if len(targets) != len(set(names)):
            raise ApiError(400, "Unknown or inactive publishing target.")
    statement, publications = publishing.statement_publish(
        statement=statement, by=request.user, targets=targets, manual_url=url
    )
    data = selectors.statement_json(statement)
    if statement.state != "published":
        data["error"] = "Publishing failed: " + "; ".join(p.error for p in publications)
        return JsonResponse(data, status=502)
    return JsonResponse(data)


@api_view("GET")
def statement_review(request: HttpRequest, pk: int) -> JsonResponse:
    statement = _get_statement_for_user(request, pk)
    return JsonResponse({"flags": [flag.__dict__ for flag in review_statement(statement)]})


# --- The outbound queue and the pause (DESIGN.md, "Outbound queue") ---------------

POST_STATES = ("queued", "held", "sent", "failed", "cancelled")


def _incident_field(body: dict[str, Any]) -> Incident | None:
    raw = body.get("incident")
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 2**63:
        raw = int(raw)  # JSON has one number type: 7.0 is the integer 7 (as the schema says)
    pk = validation.whole_number(raw, "incident", minimum=1)
    incident = Incident.objects.filter(pk=pk).first()
    if incident is None:
        raise Http404(f"No incident {pk}.")
    return incident


@api_view("GET", "POST", query=("state", "limit"))
def scheduled_posts(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        return _scheduled_post_create(request)
    require(can_view_incidents(request.user))
    rows = ScheduledPost.objects.select_related("target", "created_by").order_by("due_at", "pk")
    if (state := request.GET.get("state")) is not None:
        if state not in POST_STATES:
            raise ApiError(400, f"state must be one of: {', '.join(POST_STATES)}.")
        rows = rows.filter(state=state)
    limit = request.GET.get("limit", "100")
    if not (limit.isascii() and limit.isdigit() and len(limit) <= 4 and 1 <= int(limit) <= 1000):
        raise ApiError(400, "limit must be a whole number from 1 to 1000.")
    posts = [selectors.scheduled_post_json(p) for p in rows[: int(limit)]]
    return JsonResponse({"scheduled_posts": posts, "count": len(posts), "paused": _paused()})


@idempotent
@_translate_errors
def _scheduled_post_create(request: HttpRequest) -> JsonResponse:
    body = _body_object(request)
    unknown = sorted(set(body) - {"channel", "body", "at", "incident"})
    if unknown:
        raise ApiError(
            400, f"Unknown field {unknown[0][:40]!r} (allowed: channel, body, at, incident)."
        )
    channel = validation.text(body, "channel", required=True, max_length=100)
    target = PublishTarget.objects.filter(name=channel, active=True).first()
    if target is None:
        names = ", ".join(PublishTarget.objects.filter(active=True).values_list("name", flat=True))
        raise ApiError(
            400, f"channel must be an active publishing target ({names or 'none set up'})."
        )
    text = validation.text(body, "body", required=True, max_length=MAX_BODY)
    if "at" not in body:
        raise FieldError("at", "is required")
    due_at = validation.timestamp(body["at"], "at")
    post = scheduled.scheduled_post_create(
        by=request.user, target=target, text=text, due_at=due_at, incident=_incident_field(body)
    )
    return JsonResponse(selectors.scheduled_post_json(post), status=201)


@api_view("POST")
@idempotent
@_translate_errors
def scheduled_post_cancel(request: HttpRequest, pk: int) -> JsonResponse:
    require(can_view_incidents(request.user))
    post = ScheduledPost.objects.filter(pk=pk).first()
    if post is None:
        raise Http404("No such scheduled post.")
    post = scheduled.scheduled_post_cancel(post=post, by=request.user)
    return JsonResponse(selectors.scheduled_post_json(post))


def _paused() -> dict[str, Any] | None:
    pause = (
        OutboundPause.objects.filter(resumed_at__isnull=True).select_related("paused_by").first()
    )
    if pause is None:
        return None
    return {
        "reason": pause.reason,
        "paused_at": pause.paused_at.isoformat(),
        "paused_by": pause.paused_by.get_username() if pause.paused_by else None,
        "incident": pause.incident_id,
    }


@api_view("GET")
def outbound_state(request: HttpRequest) -> JsonResponse:
    require(can_view_incidents(request.user))
    return JsonResponse({"paused": _paused()})


@api_view("POST")
@_translate_errors
def outbound_pause(request: HttpRequest) -> JsonResponse:
    body = _body_object(request)
    reason = validation.text(body, "reason", required=True, max_length=2000)
    publishing.outbound_pause(by=request.user, reason=reason, incident=_incident_field(body))
    return JsonResponse({"paused": _paused()})


@api_view("POST")
@_translate_errors
def outbound_resume(request: HttpRequest) -> JsonResponse:
    body = _body_object(request, optional=True)
    publishing.outbound_resume(by=request.user, incident=_incident_field(body))
    return JsonResponse({"paused": _paused()})
