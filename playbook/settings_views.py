"""In-app settings pages for org admins under /settings/playbook/: approval policies
per response level, message templates (with a preview), publishing targets and
outgoing webhooks (secrets write-only), and the playbook template (steps in order,
their checklist items and bindings). Forms in playbook/settings_forms.py, writes in
playbook/services/settings.py."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crisisroom.models import OutgoingWebhook, Webhook
from foundation.permissions import is_org_admin, require
from playbook import settings_forms as sf
from playbook.choices import ResponseLevel, TemplateKind, WorkEvent
from playbook.counting import text_length
from playbook.models import (
    ApprovalPolicy,
    Channel,
    ChecklistItemTemplate,
    MessageTemplate,
    PlaybookTemplate,
    PublishTarget,
    StepTemplate,
)
from playbook.review import placeholders
from playbook.services import settings as svc
from playbook.services.base import TransitionRefused

FORM = "playbook/settings/form.html"
TEMPLATES = "playbook:settings-templates"


def admin_page(view: Callable) -> Callable:
    """Signed in, an org admin (403 with a message for anyone else)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require(is_org_admin(request.user), _("Only admins change these settings."))
        return view(request, *args, **kwargs)

    return wrapper


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    title: str,
    back: str,
    save: Callable[[], Any],
    saved: str,
    template: str = FORM,
    **context: Any,
) -> HttpResponse:
    """GET shows the form; a valid POST saves and goes back; an invalid one is a 400
    with the form, its messages and what was typed (secrets excepted)."""
    if request.method == "POST":
        if form.is_valid():
            save()
            messages.success(request, saved)
            return redirect(back)
        messages.error(request, _("Not saved: see the messages below."))
    status = 400 if request.method == "POST" else 200
    context.update(form=form, title=title, back=resolve_url(back))
    return render(request, template, context, status=status)


# --- Index ------------------------------------------------------------------------


@admin_page
@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "playbook/settings/index.html")


# --- Approval policies ------------------------------------------------------------


@admin_page
@require_http_methods(["GET"])
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = {
        p.response_level: p for p in ApprovalPolicy.objects.prefetch_related("required_roles")
    }
    levels = [(value, label, policies.get(value)) for value, label in ResponseLevel.choices]
    return render(request, "playbook/settings/policies.html", {"levels": levels})


@admin_page
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = get_object_or_404(ApprovalPolicy, pk=pk) if pk else None
    initial = {"response_level": request.GET.get("level", "")}
    form = sf.ApprovalPolicyForm(request.POST or None, instance=policy, initial=initial)
    return _form_page(
        request,
        form,
        title=_("Approval policy") if policy else _("Add an approval policy"),
        back="playbook:settings-policies",
        save=lambda: svc.setting_save(form=form, by=request.user),
        saved=_("Approval policy saved."),
    )


@admin_page
@require_POST
def policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    svc.approval_policy_delete(policy=get_object_or_404(ApprovalPolicy, pk=pk), by=request.user)
    messages.success(request, _("Approval policy removed: that level needs the default roles."))
    return redirect("playbook:settings-policies")


# --- Message templates ------------------------------------------------------------


@admin_page
@require_http_methods(["GET"])
def message_template_list(request: HttpRequest) -> HttpResponse:
    rows = list(MessageTemplate.objects.all())
    kinds = [
        (
            label,
            [t for t in rows if t.kind == value and t.lang == "en"],
            [t for t in rows if t.kind == value and t.lang == "zh-hant"],
            value,
        )
        for value, label in TemplateKind.choices
    ]
    return render(request, "playbook/settings/message_templates.html", {"kinds": kinds})


def template_preview(body: str) -> dict[str, Any]:
    """The body as a statement would start, its blanks to fill, and its length on
    every channel offered for statements (counted the way that network counts)."""
    lengths = []
    for channel in Channel.objects.filter(active=True):
        length = text_length(body, channel.counting)
        lengths.append(
            {
                "channel": channel,
                "length": length,
                "over": bool(channel.limit and length > channel.limit),
            }
        )
    return {"body": body, "blanks": placeholders(body), "lengths": lengths}


@admin_page
@require_http_methods(["GET", "POST"])
def message_template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    template = get_object_or_404(MessageTemplate, pk=pk) if pk else None
    initial = {k: request.GET[k] for k in ("kind", "lang") if k in request.GET}
    form = sf.MessageTemplateForm(request.POST or None, instance=template, initial=initial)
    title = _("Message template") if template else _("Add a message template")
    if request.method == "POST" and "preview" in request.POST and form.is_valid():
        preview = template_preview(form.cleaned_data["body"])
        context = {"form": form, "title": title, "back": reverse(TEMPLATES), "preview": preview}
        return render(request, FORM, {**context, "previewable": True})
    preview = template_preview(template.body) if template and request.method == "GET" else None
    return _form_page(
        request,
        form,
        title=title,
        back=TEMPLATES,
        save=lambda: svc.setting_save(form=form, by=request.user),
        saved=_("Message template saved."),
        preview=preview,
        previewable=True,
        delete_url=reverse("playbook:settings-template-delete", args=[pk]) if pk else "",
        siblings=MessageTemplate.objects.filter(kind=template.kind).exclude(pk=pk) if pk else [],
    )


@admin_page
@require_POST
def message_template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(MessageTemplate, pk=pk)
    svc.message_template_delete(template=template, by=request.user)
    messages.success(request, _("Message template deleted."))
    return redirect("playbook:settings-templates")


# --- Publishing targets and outgoing webhooks -------------------------------------


@admin_page
@require_http_methods(["GET"])
def publishing_list(request: HttpRequest) -> HttpResponse:
    context = {
        "targets": PublishTarget.objects.order_by("name"),
        "webhooks": OutgoingWebhook.objects.all(),
        "alert_webhooks": Webhook.objects.all(),
    }
    return render(request, "playbook/settings/publishing.html", context)


def _holder_page(
    request: HttpRequest,
    form_class: type,
    model: type,
    pk: int | None,
    titles: tuple[str, str],
    saved: str,
    secret_field: str = "secret",
) -> HttpResponse:
    holder = get_object_or_404(model, pk=pk) if pk else None
    form = form_class(request.POST or None, instance=holder)
    return _form_page(
        request,
        form,
        title=titles[0] if holder else titles[1],
        back="playbook:settings-publishing",
        save=lambda: svc.credential_holder_save(
            form=form, by=request.user, secret_field=secret_field
        ),
        saved=saved,
        has_secret=bool(holder and getattr(holder, secret_field)),
    )


@admin_page
@require_http_methods(["GET", "POST"])
def target_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _holder_page(
        request,
        sf.PublishTargetForm,
        PublishTarget,
        pk,
        (_("Publishing target"), _("Add a publishing target")),
        _("Publishing target saved."),
    )


@admin_page
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _holder_page(
        request,
        sf.OutgoingWebhookForm,
        OutgoingWebhook,
        pk,
        (_("Outgoing webhook"), _("Add an outgoing webhook")),
        _("Outgoing webhook saved."),
    )


@admin_page
@require_http_methods(["GET", "POST"])
def alert_webhook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _holder_page(
        request,
        sf.AlertWebhookForm,
        Webhook,
        pk,
        (_("Alert webhook"), _("Add an alert webhook")),
        _("Alert webhook saved."),
        secret_field="url",
    )


@admin_page
@require_POST
def holder_active(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = {"target": PublishTarget, "webhook": OutgoingWebhook, "alert": Webhook}.get(kind)
    if model is None:
        raise Http404(_("Unknown action."))
    holder = get_object_or_404(model, pk=pk)
    active = request.POST.get("active") == "1"
    svc.credential_holder_set_active(holder=holder, active=active, by=request.user)
    messages.success(request, _("Enabled.") if active else _("Disabled."))
    return redirect("playbook:settings-publishing")


# --- The playbook template ----------------------------------------------------------


@admin_page
@require_http_methods(["GET"])
def playbook_list(request: HttpRequest) -> HttpResponse:
    return _playbook_list_page(request)


def _playbook_list_page(request: HttpRequest, status: int = 200) -> HttpResponse:
    templates = PlaybookTemplate.objects.order_by("-is_default", "name").annotate(
        step_count=Count("steps")
    )
    context = {"templates": templates}
    return render(request, "playbook/settings/playbooks.html", context, status=status)


@admin_page
@require_http_methods(["GET"])
def playbook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(PlaybookTemplate, pk=pk)
    steps = template.steps.select_related("owner_role").prefetch_related(
        Prefetch("items", queryset=ChecklistItemTemplate.objects.order_by("position", "pk"))
    )
    return render(
        request, "playbook/settings/playbook.html", {"template": template, "steps": steps}
    )


@admin_page
@require_http_methods(["GET", "POST"])
def playbook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(PlaybookTemplate, pk=pk)
    form = sf.PlaybookTemplateForm(request.POST or None, instance=template)
    return _form_page(
        request,
        form,
        title=_("Playbook template"),
        back="playbook:settings-playbooks",
        save=lambda: svc.setting_save(form=form, by=request.user),
        saved=_("Playbook template saved."),
    )


@admin_page
@require_POST
def playbook_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    template = get_object_or_404(PlaybookTemplate, pk=pk)
    try:
        if action == "default":
            svc.playbook_template_make_default(template=template, by=request.user)
            messages.success(request, _("New incidents now start from this playbook."))
        elif action == "copy":
            copy = svc.playbook_template_copy(template=template, by=request.user)
            messages.success(request, _("Playbook copied."))
            return redirect("playbook:settings-playbook", pk=copy.pk)
        elif action == "delete":
            svc.playbook_template_delete(template=template, by=request.user)
            messages.success(request, _("Playbook template deleted."))
        else:
            return HttpResponse(_("Unknown action."), status=404)
    except TransitionRefused as exc:
        messages.error(request, str(exc))
        return _playbook_list_page(request, status=409)
    return redirect("playbook:settings-playbooks")


@admin_page
@require_http_methods(["GET", "POST"])
def step_edit(request: HttpRequest, pk: int, step_id: int | None = None) -> HttpResponse:
    template = get_object_or_404(PlaybookTemplate, pk=pk)
    step = get_object_or_404(StepTemplate, pk=step_id, template=template) if step_id else None
    form = sf.StepTemplateForm(request.POST or None, instance=step)
    return _form_page(
        request,
        form,
        title=_("Step %(n)s") % {"n": step.number} if step else _("Add a step"),
        back=reverse("playbook:settings-playbook", args=[template.pk]),
        save=lambda: svc.step_template_save(form=form, by=request.user, template=template),
        saved=_("Step saved."),
    )


@admin_page
@require_POST
def step_action(request: HttpRequest, pk: int, step_id: int, action: str) -> HttpResponse:
    step = get_object_or_404(StepTemplate, pk=step_id, template_id=pk)
    if action in ("up", "down"):
        svc.step_template_move(step=step, up=action == "up", by=request.user)
    elif action == "delete":
        svc.step_template_delete(step=step, by=request.user)
        messages.success(request, _("Step deleted."))
    else:
        return HttpResponse(_("Unknown action."), status=404)
    return redirect("playbook:settings-playbook", pk=pk)


@admin_page
@require_http_methods(["GET", "POST"])
def item_edit(
    request: HttpRequest, pk: int, step_id: int, item_id: int | None = None
) -> HttpResponse:
    step = get_object_or_404(StepTemplate, pk=step_id, template_id=pk)
    item = get_object_or_404(ChecklistItemTemplate, pk=item_id, step=step) if item_id else None
    form = sf.ChecklistItemForm(request.POST or None, instance=item)
    return _form_page(
        request,
        form,
        title=(
            _("Checklist item of step %(n)s") if item else _("Add a checklist item to step %(n)s")
        )
        % {"n": step.number},
        back=reverse("playbook:settings-playbook", args=[pk]),
        save=lambda: svc.checklist_item_save(form=form, by=request.user, step=step),
        saved=_("Checklist item saved."),
        bindings=True,
        detail_codes=[
            (WorkEvent(event).label, sorted(labels.items()))
            for event, labels in sf.DETAIL_KINDS.items()
        ],
    )


@admin_page
@require_POST
def item_action(
    request: HttpRequest, pk: int, step_id: int, item_id: int, action: str
) -> HttpResponse:
    item = get_object_or_404(
        ChecklistItemTemplate, pk=item_id, step_id=step_id, step__template_id=pk
    )
    if action in ("up", "down"):
        svc.checklist_item_move(item=item, up=action == "up", by=request.user)
    elif action == "delete":
        svc.checklist_item_delete(item=item, by=request.user)
        messages.success(request, _("Checklist item deleted."))
    else:
        return HttpResponse(_("Unknown action."), status=404)
    return redirect("playbook:settings-playbook", pk=pk)
