"""The situation report page (/incidents/<id>/sitrep/): the report, its readers and
cadence, "Send now". Members of the incident (and admins) only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crisisroom import selectors as incident_selectors
from crisisroom.models import Incident
from foundation.permissions import require
from playbook import forms
from playbook.permissions import can_act_on_playbook, incident_roles
from playbook.services import sitrep as sitrep_services
from playbook.services.base import InvalidInput, TransitionRefused
from playbook.sitrep import sitrep_build

PAGE = "playbook/sitrep.html"


def _get_incident_for_member(request: HttpRequest, pk: int) -> Incident:
    incident = incident_selectors.incident_get_for_user(user=request.user, pk=pk)
    require(
        request.user.is_org_admin or bool(incident_roles(request.user, incident)),
        _("The situation report is for the incident's team."),
    )
    return incident


def _page(
    request: HttpRequest, incident: Incident, status: int = 200, **forms_: Any
) -> HttpResponse:
    context = {
        "incident": incident,
        "report": sitrep_build(incident),
        "can_act": can_act_on_playbook(request.user, incident),
        "leads": sitrep_services.executive_leads(incident),
        "recipients": [
            (r, sitrep_services.recipient_label(r)) for r in incident.sitrep_recipients.all()
        ],
        "every": sitrep_services.sitrep_every(incident),
        "plan_form": forms_.get("plan_form")
        or forms.SitrepPlanForm(initial={"every_minutes": sitrep_services.sitrep_every(incident)}),
        "recipient_form": forms_.get("recipient_form") or forms.SitrepRecipientForm(),
        "history": sitrep_services.sitrep_history(incident),
    }
    return render(request, PAGE, context, status=status)


@login_required
@require_GET
def sitrep_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _get_incident_for_member(request, pk))


def _write(form_name: str | None = None) -> Callable:
    """POST only; bad input comes back as the page with a message (400), nothing lost."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @require_POST
        @wraps(view)
        def wrapper(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
            incident = _get_incident_for_member(request, pk)
            try:
                view(request, incident, **kwargs)
            except (InvalidInput, TransitionRefused) as exc:
                messages.error(request, str(exc))
                bound = {}
                if form_name == "recipient_form":
                    bound[form_name] = forms.SitrepRecipientForm(request.POST)
                return _page(request, incident, status=400, **bound)
            return redirect("playbook:sitrep", pk=pk)

        return wrapper

    return decorate


def _cleaned(form_class: type, request: HttpRequest) -> dict[str, Any]:
    form = form_class(request.POST)
    if not form.is_valid():
        raise InvalidInput(forms.first_error(form))
    return form.cleaned_data


@_write()
def sitrep_plan(request: HttpRequest, incident: Incident) -> None:
    data = _cleaned(forms.SitrepPlanForm, request)
    sitrep_services.sitrep_plan_set(
        incident=incident, by=request.user, every_minutes=data["every_minutes"]
    )
    messages.success(request, _("The sitrep cadence is saved."))


@_write("recipient_form")
def sitrep_recipient_add(request: HttpRequest, incident: Incident) -> None:
    data = _cleaned(forms.SitrepRecipientForm, request)
    sitrep_services.sitrep_recipient_add(
        incident=incident,
        by=request.user,
        kind=data["kind"],
        address=data["address"],
        language=data["language"],
        zone=data["time_zone"],
    )
    messages.success(request, _("The reader is added."))


@_write()
def sitrep_recipient_remove(request: HttpRequest, incident: Incident, rid: int) -> None:
    sitrep_services.sitrep_recipient_remove(incident=incident, by=request.user, recipient_id=rid)
    messages.success(request, _("The reader is removed."))


@_write()
def sitrep_send_now(request: HttpRequest, incident: Incident) -> None:
    n = sitrep_services.sitrep_send_now(incident=incident, by=request.user)
    if n:
        messages.success(request, _("The sitrep is on its way to %(n)s readers.") % {"n": n})
    else:
        messages.info(request, _("This minute's sitrep has already been sent."))
