"""The per-brand detector settings page (admins). Kept apart from the listening
views; routed from crisisroom/app_urls.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from foundation.permissions import PermissionDenied
from monitoring.detection_service import brand_detector_settings_update
from monitoring.detector_forms import DetectorSettingsForm
from monitoring.models import Brand


def _get_brand_for_admin(request: HttpRequest, slug: str) -> Brand:
    if not getattr(request.user, "is_org_admin", False):
        raise PermissionDenied(_("Only admins change detector settings."))
    return get_object_or_404(Brand, slug=slug)


@login_required
@require_GET
def detector_brands(request: HttpRequest) -> HttpResponse:
    """The settings menu's way in: every brand, each linking to its detector page."""
    if not getattr(request.user, "is_org_admin", False):
        raise PermissionDenied(_("Only admins change detector settings."))
    brands = Brand.objects.order_by("name")
    return render(request, "monitoring/detector_brands.html", {"brands": brands})


@login_required
def brand_detector_settings(request: HttpRequest, slug: str) -> HttpResponse:
    brand = _get_brand_for_admin(request, slug)
    form = DetectorSettingsForm(
        request.POST if request.method == "POST" else None, overrides=brand.detector_settings
    )
    if request.method == "POST" and form.is_valid():
        brand_detector_settings_update(brand=brand, overrides=form.overrides, user=request.user)
        messages.success(request, _("Detector settings saved."))
        return redirect("crisisroom:brand-detector", slug=brand.slug)
    return render(request, "monitoring/detector_settings.html", {"brand": brand, "form": form})
