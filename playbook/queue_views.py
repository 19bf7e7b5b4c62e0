"""The outbound queue page (/outbound/): scheduled posts, queued and cancelled by the
team, and the organisation-wide pause. Thin views over playbook.services.scheduled
and the pause services; every write is re-checked there."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from foundation.permissions import PermissionDenied, can_view_incidents, can_work_incidents
from playbook import forms, selectors
from playbook.models import OutboundPause, ScheduledPost
from playbook.permissions import can_pause_outbound
from playbook.services import base, publishing, scheduled


def _require_view(request: HttpRequest) -> None:
    if not can_view_incidents(request.user):
        raise PermissionDenied(_("You are not allowed to see the outbound queue."))


def _page(request: HttpRequest, form: forms.ScheduledPostForm | None = None, status: int = 200):
    _require_view(request)
    context = {
        "form": form or forms.ScheduledPostForm(initial={"incident": request.GET.get("incident")}),
        "upcoming": selectors.scheduled_posts_upcoming(),
        "recent": selectors.scheduled_posts_recent(),
        "pause": OutboundPause.objects.filter(resumed_at__isnull=True)
        .select_related("paused_by", "incident")
        .first(),
        "can_queue": can_work_incidents(request.user),
        "can_pause": can_pause_outbound(request.user, None),
    }
    return render(request, "playbook/scheduled_posts.html", context, status=status)


@login_required
@require_GET
def scheduled_posts_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def scheduled_post_queue(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    form = forms.ScheduledPostForm(request.POST)
    if not form.is_valid():
        messages.error(request, forms.first_error(form))
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        post = scheduled.scheduled_post_create(
            by=request.user,
            target=data["target"],
            text=data["text"],
            due_at=data["due_at"],
            incident=data["incident"],
        )
    except base.InvalidInput as exc:
        messages.error(request, str(exc))
        return _page(request, form, status=400)
    messages.success(request, _("Post #%(id)s queued.") % {"id": post.pk})
    return redirect("playbook:scheduled-posts")


@login_required
@require_POST
def scheduled_post_cancel(request: HttpRequest, post_id: int) -> HttpResponse:
    _require_view(request)
    post = get_object_or_404(ScheduledPost, pk=post_id)
    try:
        scheduled.scheduled_post_cancel(post=post, by=request.user)
    except base.TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Post #%(id)s cancelled.") % {"id": post.pk})
    return redirect("playbook:scheduled-posts")


@login_required
@require_POST
def outbound_pause(request: HttpRequest) -> HttpResponse:
    """The pause from the queue page (no incident: an admin's)."""
    _require_view(request)
    form = forms.PauseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        publishing.outbound_pause(by=request.user, reason=reason)
    except (base.InvalidInput, base.TransitionRefused) as exc:
        messages.error(request, str(exc))
    return redirect("playbook:scheduled-posts")


@login_required
@require_POST
def outbound_resume(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    try:
        publishing.outbound_resume(by=request.user)
    except base.TransitionRefused as exc:
        messages.error(request, str(exc))
    return redirect("playbook:scheduled-posts")
