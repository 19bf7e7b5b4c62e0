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
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crisisroom import selectors as incident_selectors
from crisisroom.models import CrisisRole, Incident, User
from foundation.downloads import attachment
from playbook import exports, forms, selectors, targets
from playbook.choices import (
    ClaimStatus,
    Classification,
    PostState,
    PublicationState,
    ResponseLevel,
    StatementState,
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
    ScheduledPost,
    Statement,
)
from playbook.permissions import (
    can_act_on_playbook,
    can_assemble_team,
    can_pause_outbound,
    incident_roles,
)
from playbook.report_doc import review_document
from playbook.review import review_statement, statement_placeholders
from playbook.services import (
    assessment,
    base,
    cadence,
    publishing,
    runs,
    statements,
    support,
    team,
)
from playbook.services import review as review_services
from playbook.templatetags.playbook_tags import (
    NEXT_ACTIONS,
    next_actions_context,
    panel_steps,
)


def _get_incident_for_user(request: HttpRequest, pk: int) -> Incident:
    return incident_selectors.incident_get_for_user(user=request.user, pk=pk)


def _get_statement_for_user(request: HttpRequest, pk: int, sid: int) -> Statement:
    incident = _get_incident_for_user(request, pk)
    return get_object_or_404(
        Statement.objects.select_related("incident"), pk=sid, incident=incident
    )


def _back(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect("playbook:page", pk=pk)


class FormRejected(base.InvalidInput):
    """A page POST that did not pass its form: answered 400 with the page and a message
    naming the field."""


def _clean(form_class: type, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
    form = form_class(request.POST, **kwargs)
    if not form.is_valid():
        raise FormRejected(forms.first_error(form))
    return {**form.cleaned_data, "_form": form}


def action(view: Callable) -> Callable:
    """POST only; a refused transition or bad input comes back as a message."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, pk, **kwargs)
        except FormRejected as exc:
            messages.error(request, str(exc))
            if "sid" in kwargs:
                return _statement_response(request, pk, kwargs["sid"], status=400)
            return _playbook_response(request, pk, status=400)
        except (base.TransitionRefused, base.InvalidInput) as exc:
            messages.error(request, str(exc))
            if "sid" in kwargs:
                return redirect("playbook:statement", pk=pk, sid=kwargs["sid"])
            return _back(request, pk)

    return wrapper


@login_required
@require_GET
def playbook_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _playbook_response(request, pk)


def _playbook_response(request: HttpRequest, pk: int, status: int = 200) -> HttpResponse:
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
        "claims": incident.claims.prefetch_related("history__by"),
        "claim_statuses": ClaimStatus.choices,
        "statements": selectors.statements_for(incident),
        "templates": sorted(
            MessageTemplate.objects.all(), key=lambda t: t.lang != get_language().lower()
        ),
        "channels": selectors.channel_choices(),
        "questions": incident.expected_questions.all(),
        "pause": OutboundPause.objects.filter(resumed_at__isnull=True).first(),
        "can_pause": can_pause_outbound(request.user, incident),
        "queued_posts": ScheduledPost.objects.filter(
            state__in=(PostState.QUEUED, PostState.HELD)
        ).count(),
        "channel_updates": incident.channel_updates.select_related("owner"),
        "update_states": UpdateState.choices,
        "scripts": incident.support_scripts.all(),
    }
    return render(request, "playbook/playbook.html", context, status=status)


@action
def item_toggle(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """The checkbox: ``set`` with ``done`` (checked) or without (unchecked); a bare
    POST toggles. htmx gets the item back in place, the room gets it over the socket."""
    incident = _get_incident_for_user(request, pk)
    item = get_object_or_404(RunChecklistItem, pk=item_id, step__run__incident=incident)
    done = "done" in request.POST if "set" in request.POST else not item.done
    item = runs.checklist_item_set(item=item, done=done, by=request.user)
    if request.htmx:
        step = item.step
        context = {"item": runs.item_payload(item, step=step, step_state=step.state)}
        return render(request, "playbook/partials/panel.html#item", context)
    return _back(request, pk)


@action
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    data = _clean(forms.MemberForm, request)
    user = get_object_or_404(User, username=data["username"])
    team.team_member_add(
        incident=incident, user=user, crisis_role=data["crisis_role"], by=request.user
    )
    messages.success(request, _("Team member assigned and notified."))
    return _back(request, pk)


@action
def assessment_save(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    data = _clean(forms.AssessmentForm, request)
    # Only the fields the page sent: the panel saves parts of the assessment at a time.
    assessment.assessment_update(
        incident=incident,
        by=request.user,
        **{n: data[n] for n in forms.AssessmentForm.base_fields if n in request.POST},
    )
    return _back(request, pk)


@action
def claim_save(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    data = _clean(forms.ClaimForm, request)
    if data["claim_id"] is not None:
        get_object_or_404(incident.claims, pk=data["claim_id"])
    assessment.claim_record(
        incident=incident,
        by=request.user,
        claim=data["claim"],
        status=data["status"] or ClaimStatus.UNVERIFIED,
        evidence=data["evidence"],
        correction=data["correction"],
        correction_url=data["correction_url"],
        claim_id=data["claim_id"],
    )
    return _back(request, pk)


@action
def claim_status(request: HttpRequest, pk: int, claim_id: int) -> HttpResponse:
    """A claim's status changes (false → corrected); htmx gets the ledger row back."""
    incident = _get_incident_for_user(request, pk)
    claim = get_object_or_404(incident.claims, pk=claim_id)
    data = _clean(forms.ClaimStatusForm, request)
    assessment.claim_status_set(
        claim=claim, by=request.user, status=data["status"], note=data["note"]
    )
    if request.htmx:
        context = {
            "incident": incident,
            "c": incident.claims.prefetch_related("history__by").get(pk=claim_id),
            "claim_statuses": ClaimStatus.choices,
            "can_act": True,
        }
        return render(request, "playbook/playbook.html#claim", context)
    return _back(request, pk)


@action
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    data = _clean(forms.QuestionForm, request)
    statements.question_add(
        incident=incident, by=request.user, question=data["question"], answer=data["answer"]
    )
    return _back(request, pk)


@action
def pause(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    data = _clean(forms.PauseForm, request)
    publishing.outbound_pause(by=request.user, reason=data["reason"], incident=incident)
    return _back(request, pk)


@action
def cadence_set(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    data = _clean(forms.CadenceForm, request)
    cadence.update_cadence_set(incident=incident, by=request.user, minutes=data["minutes"])
    messages.success(request, _("The public update cadence is saved."))
    return redirect("crisisroom:war-room", pk=pk)


@action
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    publishing.outbound_resume(by=request.user, incident=incident)
    return _back(request, pk)


@action
def channel_update(request: HttpRequest, pk: int, update_id: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    update = get_object_or_404(ChannelUpdate, pk=update_id, incident=incident)
    data = _clean(forms.ChannelUpdateForm, request)
    support.channel_update_set(
        update=update,
        by=request.user,
        state=data["state"],
        owner=data["owner"],
        note=data["note"],
    )
    return _back(request, pk)


@action
def statement_new(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    data = _clean(forms.StatementNewForm, request)
    statement = statements.statement_create(
        incident=incident,
        by=request.user,
        body=data["body"],
        title=data["title"],
        channels=data["channels"],
        template=data["template"],
    )
    return redirect("playbook:statement", pk=pk, sid=statement.pk)


@login_required
@require_GET
def statement_page(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    return _statement_response(request, pk, sid)


def _statement_response(request: HttpRequest, pk: int, sid: int, status: int = 200) -> HttpResponse:
    statement = _get_statement_for_user(request, pk, sid)
    incident = statement.incident
    data = selectors.statement_json(statement)
    held = incident_roles(request.user, incident)
    # The author reads the page as its author: no Approve (the service refuses it too).
    is_author = request.user.pk in statements.statement_authors(statement)
    context = {
        "incident": incident,
        "statement": statement,
        "data": data,
        "flags": review_statement(statement),
        "limits": selectors.statement_limits(statement),
        "diff": selectors.statement_diff(statement),
        "placeholders": statement_placeholders(statement),
        "versions": statement.versions.select_related("edited_by"),
        "rejections": statement.rejections.select_related("user"),
        "variants": {v.channel: v.body for v in statement.variants.all()},
        "channels": selectors.channel_choices(keep=statement.channels),
        "can_act": can_act_on_playbook(request.user, incident),
        "is_author": is_author,
        "is_approver": bool(held & set(data["required_roles"])),
        # Approve only while one of the user's roles still waits and they have not yet
        # approved this version (the service refuses either way).
        "can_approve": bool(held & set(data["missing_roles"]))
        and not is_author
        and all(a["user"] != request.user.get_username() for a in data["approvals"]),
        "targets": PublishTarget.objects.filter(active=True),
    }
    return render(request, "playbook/statement.html", context, status=status)


@action
def statement_edit(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    statement = _get_statement_for_user(request, pk, sid)
    data = _clean(forms.StatementEditForm, request)
    statements.statement_edit(
        statement=statement,
        by=request.user,
        body=data["body"] if "body" in request.POST else None,
        title=data["title"] if "title" in request.POST else None,
        channels=data["channels"],
        variants=data["_form"].variants(),
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
        data = _clean(forms.RejectForm, request)
        statements.statement_reject(statement=statement, by=request.user, comment=data["comment"])
    elif action == "publish":
        active = list(PublishTarget.objects.filter(active=True))
        by_hand = [
            row["channel"] for row in selectors.statement_limits(statement) if row["by_hand"]
        ]
        data = _clean(forms.PublishForm, request, targets=active, by_hand=by_hand)
        names, links = set(data["targets"]), data["_form"].links()
        statement, pubs = publishing.statement_publish(
            statement=statement,
            by=request.user,
            # No target ticked: every active one, unless the post went out by hand.
            targets=[t for t in active if t.name in names] if names or links else None,
            manual_url=data["url"],
            manual_links=links,
        )
        for p in pubs:
            if p.state == PublicationState.FAILED:
                messages.error(request, publishing.publication_failure_message(p))
        if statement.state == StatementState.PUBLISHED:
            messages.success(request, _("Statement published."))
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
        "target_rows": targets.incident_targets(incident),
        "can_act": can_act_on_playbook(request.user, incident),
        "users": User.objects.order_by("username"),
    }
    return render(request, "playbook/review.html", context)


@action
def review_save(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    data = _clean(forms.ReviewForm, request)
    review_services.review_update(
        incident=incident, by=request.user, root_cause=data["root_cause"], lessons=data["lessons"]
    )
    return redirect("playbook:review", pk=pk)


@action
def policy_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    data = _clean(forms.PolicyActionForm, request)
    review_services.policy_action_add(
        incident=incident, by=request.user, text=data["text"], owner=data["owner"]
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


@login_required
@require_GET
def review_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The review as a page to print (or save as PDF from the browser)."""
    incident = _get_incident_for_user(request, pk)
    document = review_document(incident)
    back = reverse("playbook:review", args=[pk])
    return render(request, "playbook/report_print.html", {"doc": document, "back": back})


@login_required
@require_GET
def next_actions_part(request: HttpRequest, pk: int) -> HttpResponse:
    """The war room's next-actions panel for this viewer (polled, so timed rules move)."""
    incident = _get_incident_for_user(request, pk)
    return render(
        request, NEXT_ACTIONS + "#next-actions", next_actions_context(incident, request.user)
    )
