"""The admins' page of response targets (listed in the in-app settings menu)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from playbook import targets
from playbook.choices import ResponseLevel, TargetKind
from playbook.forms import ResponseTargetForm
from playbook.models import ResponseTarget
from playbook.permissions import require_admin


@login_required
@require_http_methods(["GET", "POST"])
def targets_settings(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    order = list(TargetKind.values)
    rows = sorted(
        ResponseTarget.objects.all(),
        key=lambda t: (list(ResponseLevel.values).index(t.response_level), order.index(t.kind)),
    )
    data = request.POST if request.method == "POST" else None
    forms = [ResponseTargetForm(data, instance=row, prefix=f"t{row.pk}") for row in rows]
    if data is not None:
        if all(form.is_valid() for form in forms):
            changed = targets.response_targets_save(by=request.user, forms=forms)
            messages.success(request, _("Response targets saved (%(n)s changed).") % {"n": changed})
            return redirect("playbook:targets-settings")
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
    levels = [
        (label, [(form, form.instance) for form in forms if form.instance.response_level == value])
        for value, label in ResponseLevel.choices
    ]
    status = 400 if data is not None else 200
    return render(request, "playbook/targets_settings.html", {"levels": levels}, status=status)
