"""Answer from the feed: the incident's replies page (the form for one mention, the
list with approve and send). Thin views over playbook.services.replies; a refusal or
bad input answers 4xx with the page and the message, nothing typed lost."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crisisroom import selectors as incident_selectors
from crisisroom.models import Incident
from foundation.permissions import PermissionDenied
from monitoring.models import Mention
from playbook.choices import ReplyState
from playbook.models import MentionReply, PublishTarget
from playbook.permissions import can_act_on_playbook, incident_roles
from playbook.services import replies
from playbook.services.base import InvalidInput, TransitionRefused
from playbook.services.replies import APPROVED_STATES


def _incident(request: HttpRequest, pk: int) -> Incident:
    return incident_selectors.incident_get_for_user(user=request.user, pk=pk)


def _mention(incident: Incident, raw: str | None) -> Mention | None:
    if not raw or not str(raw).isdigit():
        return None
    return Mention.objects.filter(pk=int(raw), brand_id=incident.brand_id).first()


def starting_points(incident: Incident) -> list[dict[str, object]]:
    """What a reply starts from: approved statements (and their channel variants), the
    support scripts and the prepared answers to expected questions."""
    points: list[dict[str, object]] = []
    statements = incident.statements.filter(state__in=APPROVED_STATES).prefetch_related("variants")
    for s in statements:
        name = s.title or _("Statement #%(id)s") % {"id": s.pk}
        points.append({"kind": "statement", "statement": s.pk, "label": name, "text": s.body})
        for v in s.variants.all():
            points.append(
                {
                    "kind": "statement",
                    "statement": s.pk,
                    "label": f"{name} ({v.channel})",
                    "text": v.body,
                }
            )
    for script in incident.support_scripts.all():
        points.append(
            {"kind": "script", "statement": "", "label": script.title, "text": script.body}
        )
    for q in incident.expected_questions.exclude(answer=""):
        points.append(
            {"kind": "answer", "statement": "", "label": q.question[:80], "text": q.answer}
        )
    return points


def _page(
    request: HttpRequest, incident: Incident, *, status: int = 200, form: dict | None = None
) -> HttpResponse:
    source = form or request.GET
    mention = _mention(incident, source.get("mention"))
    held = incident_roles(request.user, incident)
    rows = []
    for reply in (
        MentionReply.objects.filter(incident=incident)
        .select_related("mention", "target", "created_by", "sent_by", "statement")
        .prefetch_related("approvals__role", "approvals__user")
        .order_by("-created_at", "-pk")
    ):
        done = {a.role.slug for a in reply.approvals.all()}
        missing = [r for r in reply.required_roles if r not in done]
        rows.append(
            {
                "reply": reply,
                "missing": missing,
                "can_approve": reply.state == ReplyState.AWAITING
                and reply.created_by_id != request.user.pk
                and bool(held & set(missing))
                and all(a.user_id != request.user.pk for a in reply.approvals.all()),
                "can_send": reply.state in (ReplyState.APPROVED, ReplyState.FAILED),
            }
        )
    context = {
        "incident": incident,
        "mention": mention,
        "points": starting_points(incident),
        "targets": [
            t
            for t in PublishTarget.objects.filter(active=True)
            if mention is None or t.kind in (mention.platform, "webhook")
        ],
        "rows": rows,
        "can_act": can_act_on_playbook(request.user, incident),
        "form": form or {},
    }
    return render(request, "playbook/replies.html", context, status=status)


@login_required
@require_GET
def replies_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _incident(request, pk))


def _refused(
    request: HttpRequest, incident: Incident, exc: Exception, form: dict | None
) -> HttpResponse:
    messages.error(request, str(exc))
    status = (
        403
        if isinstance(exc, PermissionDenied)
        else 409
        if isinstance(exc, TransitionRefused)
        else 400
    )
    return _page(request, incident, status=status, form=form)


@login_required
@require_POST
def reply_new(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    form = {k: request.POST.get(k, "") for k in ("mention", "text", "target", "statement")}
    mention = _mention(incident, form["mention"])
    try:
        if mention is None:
            raise InvalidInput(_("Choose a mention of this incident's brand to answer."))
        target = None
        if form["target"]:
            target = PublishTarget.objects.filter(
                pk=form["target"] if form["target"].isdigit() else 0
            ).first()
            if target is None:
                raise InvalidInput(_("Unknown publishing target."))
        statement = None
        if form["statement"].isdigit():
            statement = incident.statements.filter(pk=int(form["statement"])).first()
        reply = replies.reply_create(
            incident=incident,
            mention=mention,
            by=request.user,
            text=form["text"],
            target=target,
            statement=statement,
        )
    except (InvalidInput, TransitionRefused, PermissionDenied) as exc:
        return _refused(request, incident, exc, form)
    if reply.state == ReplyState.APPROVED:
        messages.success(request, _("Reply drafted: it may go out now."))
    else:
        messages.success(request, _("Reply drafted: it waits for approval."))
    return redirect(reverse("playbook:replies", args=[pk]) + f"#reply-{reply.pk}")


@login_required
@require_POST
def reply_action(request: HttpRequest, pk: int, rid: int, action: str) -> HttpResponse:
    incident = _incident(request, pk)
    reply = get_object_or_404(MentionReply, pk=rid, incident=incident)
    try:
        if action == "approve":
            replies.reply_approve(reply=reply, by=request.user)
        elif action == "send":
            reply = replies.reply_send(
                reply=reply, by=request.user, manual_url=request.POST.get("url", "")
            )
            if reply.state == ReplyState.FAILED:
                messages.error(
                    request,
                    _("Sending failed: %(error)s. Try again, or answer by hand and give the link.")
                    % {"error": reply.error},
                )
        else:
            return HttpResponse(status=404)
    except (InvalidInput, TransitionRefused, PermissionDenied) as exc:
        return _refused(request, incident, exc, None)
    return redirect("playbook:replies", pk=pk)
