"""Playbook pages: thin views over playbook.services. Reading needs an
organisation role; every write is re-checked by its service (403 page on refusal)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crisisroom import selectors as incident_selectors
from crisisroom.models import CrisisRole, Incident, User
from crisisroom.platform.downloads import attachment
from playbook import exports, selectors
from playbook.choices import (
    Channel,
    ClaimStatus,
    Classification,
    ResponseLevel,
    UpdateState,
)
from playbook.models import (
    Assessment,
    ChannelUpdate,
    MessageTemplate,
    OutboundPause,
    PostCrisisReview,
    PublishTarget,
    RunChecklistItem,
    Statement,
)
from playbook.permissions import can_act_on_playbook, can_assemble_team, incident_roles
from playbook.review import review_statement
from playbook.services import assessment, base, publishing, runs, statements, support, team
from playbook.services import review as review_services
from playbook.templatetags.playbook_tags import panel_steps


def _get_incident_for_user(request: HttpRequest, pk: int) -> Incident:
    return incident_selectors.incident_get_for_user(user=request.user, pk=pk)


def _get_statement_for_user(request: HttpRequest, pk: int, sid: int) -> Statement:
    incident = _get_incident_for_user(request, pk)
    return get_object_or_404(
        Statement.objects.select_related("incident"), pk=sid, incident=incident
    )


def _back(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect("playbook:page", pk=pk)


def action(view: Callable) -> Callable:
    """POST only; a refused transition or bad input comes back as a message."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, pk, **kwargs)
        except (base.TransitionRefused, base.InvalidInput) as exc:
            messages.error(request, str(exc))
            if "sid" in kwargs:
                return redirect("playbook:statement", pk=pk, sid=kwargs["sid"])
            return _back(request, pk)

    return wrapper


@login_required
@require_GET
def playbook_page(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    context = {
        "incident": incident,
        "steps": panel_steps(incident),
        "can_act": can_act_on_playbook(request.user, incident),
        "can_assemble": can_assemble_team(request.user, incident),
        "members": incident.members.select_related("user", "crisis_role"),
        "roster": User.objects.filter(crisis_roles__isnull=False).distinct().order_by("username"),
        "roles": CrisisRole.objects.all(),
        "assessment": Assessment.objects.get_or_create(incident=incident)[0],
        "figures": selectors.assessment_figures(incident),
        "classifications": Classification.choices,
        "levels": ResponseLevel.choices,
        "claims": incident.claims.all(),
        "claim_statuses": ClaimStatus.choices,
        "statements": selectors.statements_for(incident),
        "templates": sorted(
            MessageTemplate.objects.all(), key=lambda t: t.lang != get_language().lower()
        ),
        "channels": Channel.choices,
        "questions": incident.expected_questions.all(),
        "pause": OutboundPause.objects.filter(resumed_at__isnull=True).first(),
        "channel_updates": incident.channel_updates.select_related("owner"),
        "update_states": UpdateState.choices,
        "scripts": incident.support_scripts.all(),
    }
    return render(request, "playbook/playbook.html", context)


@action
def item_toggle(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    item = get_object_or_404(RunChecklistItem, pk=item_id, step__run__incident=incident)
    runs.checklist_item_set(item=item, done=not item.done, by=request.user)
    return _back(request, pk)


@action
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    user = get_object_or_404(User, username=request.POST.get("username", ""))
    team.team_member_add(
        incident=incident,
        user=user,
        crisis_role=request.POST.get("crisis_role", ""),
        by=request.user,
    )
    messages.success(request, _("Team member assigned and notified."))
    return _back(request, pk)


@action
def assessment_save(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    names = ["classification", "response_level", "original_source", "verified_facts"]
    names += ["key_voices", "media_coverage"]
    assessment.assessment_update(
        incident=incident,
        by=request.user,
        **{n: request.POST[n] for n in names if n in request.POST},
    )
    return _back(request, pk)


@action
def claim_save(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    raw_id = request.POST.get("claim_id", "")
    assessment.claim_record(
        incident=incident,
        by=request.user,
        claim=request.POST.get("claim", ""),
        status=request.POST.get("status", ClaimStatus.UNVERIFIED),
        evidence=request.POST.get("evidence", ""),
        correction=request.POST.get("correction", ""),
        correction_url=request.POST.get("correction_url", ""),
        claim_id=int(raw_id) if raw_id.isdigit() else None,
    )
    return _back(request, pk)


@action
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    statements.question_add(
        incident=incident,
        by=request.user,
        question=request.POST.get("question", ""),
        answer=request.POST.get("answer", ""),
    )
    return _back(request, pk)


@action
def pause(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    publishing.outbound_pause(
        by=request.user, reason=request.POST.get("reason", ""), incident=incident
    )
    return _back(request, pk)


@action
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    publishing.outbound_resume(by=request.user, incident=incident)
    return _back(request, pk)


@action
def channel_update(request: HttpRequest, pk: int, update_id: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    update = get_object_or_404(ChannelUpdate, pk=update_id, incident=incident)
    owner = User.objects.filter(username=request.POST.get("owner", "")).first()
    support.channel_update_set(
        update=update,
        by=request.user,
        state=request.POST.get("state", ""),
        owner=owner,
        note=request.POST.get("note", ""),
    )
    return _back(request, pk)


@action
def statement_new(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    template = MessageTemplate.objects.filter(pk=request.POST.get("template") or 0).first()
    statement = statements.statement_create(
        incident=incident,
        by=request.user,
        body=request.POST.get("body", ""),
        title=request.POST.get("title", ""),
        channels=request.POST.getlist("channels"),
        template=template,
    )
    return redirect("playbook:statement", pk=pk, sid=statement.pk)


@login_required
@require_GET
def statement_page(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    statement = _get_statement_for_user(request, pk, sid)
    incident = statement.incident
    data = selectors.statement_json(statement)
    held = incident_roles(request.user, incident)
    context = {
        "incident": incident,
        "statement": statement,
        "data": data,
        "flags": review_statement(statement),
        "limits": selectors.statement_limits(statement),
        "versions": statement.versions.select_related("edited_by"),
        "rejections": statement.rejections.select_related("user"),
        "variants": {v.channel: v.body for v in statement.variants.all()},
        "channels": Channel.choices,
        "can_act": can_act_on_playbook(request.user, incident),
        "can_approve": bool(held & set(data["required_roles"])),
        "targets": PublishTarget.objects.filter(active=True),
    }
    return render(request, "playbook/statement.html", context)


@action
def statement_edit(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    statement = _get_statement_for_user(request, pk, sid)
    variants = {c: request.POST.get(f"variant_{c}", "") for c in Channel.values}
    statements.statement_edit(
        statement=statement,
        by=request.user,
        body=request.POST.get("body"),
        title=request.POST.get("title"),
        channels=request.POST.getlist("channels"),
        variants=variants,
    )
    return redirect("playbook:statement", pk=pk, sid=sid)


@action
def statement_action(request: HttpRequest, pk: int, sid: int, action: str) -> HttpResponse:
    statement = _get_statement_for_user(request, pk, sid)
    if action == "submit":
        statements.statement_submit(statement=statement, by=request.user)
    elif action == "approve":
        statements.statement_approve(statement=statement, by=request.user)
    elif action == "reject":
        statements.statement_reject(
            statement=statement, by=request.user, comment=request.POST.get("comment", "")
        )
    elif action == "publish":
        names = request.POST.getlist("targets")
        targets = list(PublishTarget.objects.filter(name__in=names, active=True)) if names else None
        statement, pubs = publishing.statement_publish(
            statement=statement,
            by=request.user,
            targets=targets,
            manual_url=request.POST.get("url", ""),
        )
        for p in pubs:
            if p.error:
                messages.error(request, p.error)
    elif action == "script":
        support.support_script_create(statement=statement, by=request.user)
    else:
        return HttpResponse(status=404)
    return redirect("playbook:statement", pk=pk, sid=sid)


@login_required
@require_GET
def review_page(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    review = PostCrisisReview.objects.filter(incident=incident).first()
    context = {
        "incident": incident,
        "review": review,
        "actions": review.actions.select_related("owner") if review else [],
        "metrics": exports.metrics_rows(incident),
        "can_act": can_act_on_playbook(request.user, incident),
        "users": User.objects.order_by("username"),
    }
    return render(request, "playbook/review.html", context)


@action
def review_save(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    review_services.review_update(
        incident=incident,
        by=request.user,
        root_cause=request.POST.get("root_cause", ""),
        lessons=request.POST.get("lessons", ""),
    )
    return redirect("playbook:review", pk=pk)


@action
def policy_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    owner = User.objects.filter(username=request.POST.get("owner", "")).first()
    review_services.policy_action_add(
        incident=incident, by=request.user, text=request.POST.get("text", ""), owner=owner
    )
    return redirect("playbook:review", pk=pk)


@login_required
@require_GET
def review_markdown(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    return attachment(exports.review_markdown(incident), f"incident-{pk}-review.md")


@login_required
@require_GET
def review_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    return attachment(exports.review_pdf(incident), f"incident-{pk}-review.pdf")
