from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path

from crisisroom import api, metrics, sso, two_factor, views

urlpatterns = [
    path("", include("crisisroom.app_urls")),
    path("", include("monitoring.urls")),
    path("", include("playbook.urls")),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/login/code/", two_factor.login_code, name="login-code"),
    path("accounts/logout/", sso.LogoutView.as_view(), name="logout"),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("sources/", include("monitoring.urls_sources")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    # Last: an /api/v1 path no route matched (a non-integer id too) answers JSON, not HTML.
    re_path(r"^api/(?P<rest>.*)$", api.not_found, name="api-not-found"),
]

handler403 = "crisisroom.views.permission_denied_view"
