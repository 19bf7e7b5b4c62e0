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
from crisisroom.models import User
from crisisroom.platform.permissions import require
from playbook import selectors
from playbook.models import PublishTarget, Statement
from playbook.permissions import can_view_playbook
from playbook.review import review_statement
from playbook.services import base, publishing, statements, team


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
    username, role = body.get("username"), body.get("crisis_role")
    if not isinstance(username, str) or not isinstance(role, str):
        raise ApiError(400, "Send {username, crisis_role}.")
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
    text = body.get("body")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "body (the statement's text) is required.")
    title = body.get("title", "")
    if not isinstance(title, str):
        raise ApiError(400, "title must be a string.")
    statement = statements.statement_create(
        incident=incident,
        by=request.user,
        body=text,
        title=title,
        channels=body.get("channels", []),
    )
    return JsonResponse(selectors.statement_json(statement), status=201)


@api_view("GET", "PATCH")
@_translate_errors
def statement_detail(request: HttpRequest, pk: int) -> JsonResponse:
    statement = _get_statement_for_user(request, pk)
    if request.method == "PATCH":
        body = _body_object(request)
        variants = body.get("variants")
        if variants is not None and not (
            isinstance(variants, dict) and all(isinstance(v, str) for v in variants.values())
        ):
            raise ApiError(400, "variants must be an object {channel: text}.")
        for name in ("body", "title"):
            if name in body and not isinstance(body[name], str):
                raise ApiError(400, f"{name} must be a string.")
        statement = statements.statement_edit(
            statement=statement,
            by=request.user,
            body=body.get("body"),
            title=body.get("title"),
            channels=body.get("channels"),
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
    comment = body.get("comment", "")
    if not isinstance(comment, str) or not comment.strip():
        raise ApiError(400, "A rejection needs {comment}.")
    statement = statements.statement_reject(statement=statement, by=request.user, comment=comment)
    return JsonResponse(selectors.statement_json(statement))


@api_view("POST")
@idempotent
@_translate_errors
def statement_publish(request: HttpRequest, pk: int) -> JsonResponse:
    statement = _get_statement_for_user(request, pk)
    body = _body_object(request, optional=True)
    url = body.get("url", "")
    names = body.get("targets")
    if not isinstance(url, str):
        raise ApiError(400, "url must be a string.")
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
