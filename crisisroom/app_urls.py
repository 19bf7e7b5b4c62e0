"""URLs of the crisisroom app (namespace ``crisisroom``); the root URLconf is crisisroom/urls.py."""

from __future__ import annotations

from django.urls import path

from crisisroom import api, two_factor, views, views_settings
from monitoring import detector_views

app_name = "crisisroom"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("incidents/<int:pk>/", views.war_room, name="war-room"),
    path(
        "incidents/<int:pk>/acknowledge/", views.incident_acknowledge, name="incident-acknowledge"
    ),
    path("incidents/<int:pk>/series.json", views.incident_series, name="incident-series"),
    path("incidents/<int:pk>/chat/", views.chat_post, name="chat-post"),
    path("incidents/<int:pk>/timeline/note/", views.timeline_note, name="timeline-note"),
    path("incidents/<int:pk>/timeline/pin/", views.timeline_pin, name="timeline-pin"),
    path("drills/", views.drills, name="drills"),
    path("drills/<int:pk>/stop/", views.drill_stop, name="drill-stop"),
    path("drills/surprise/", views.surprise_drill_schedule, name="surprise-drill-schedule"),
    path(
        "drills/surprise/<int:pk>/cancel/",
        views.surprise_drill_cancel,
        name="surprise-drill-cancel",
    ),
    path("incidents/new/", views.incident_raise, name="incident-raise"),
    path("incidents/<int:pk>/dismiss/", views.incident_dismiss, name="incident-dismiss"),
    path("incidents/<int:pk>/monitor/", views.incident_monitor, name="incident-monitor"),
    path("incidents/<int:pk>/resolve/", views.incident_resolve, name="incident-resolve"),
    path("incidents/<int:pk>/reopen/", views.incident_reopen, name="incident-reopen"),
    path("incidents/<int:pk>/alerts/", views.incident_alerts, name="incident-alerts"),
    path("alerts/ack/<str:token>/", views.alert_acknowledge, name="alert-acknowledge"),
    path("on-call/", views.on_call, name="on-call"),
    path(
        "brands/<slug:slug>/detector/",
        detector_views.brand_detector_settings,
        name="brand-detector",
    ),
    path("settings/", views_settings.settings_index, name="settings"),
    path("settings/users/", views_settings.users, name="settings-users"),
    path("settings/users/<int:pk>/", views_settings.user_edit, name="settings-user"),
    path("settings/on-call/", views_settings.on_call_settings, name="settings-on-call"),
    path("settings/on-call/add/", views_settings.on_call_add, name="settings-on-call-add"),
    path(
        "settings/on-call/<int:pk>/move/",
        views_settings.on_call_move,
        name="settings-on-call-move",
    ),
    path(
        "settings/on-call/<int:pk>/toggle/",
        views_settings.on_call_toggle,
        name="settings-on-call-toggle",
    ),
    path(
        "settings/on-call/<int:pk>/remove/",
        views_settings.on_call_remove,
        name="settings-on-call-remove",
    ),
    path(
        "settings/on-call/rotation/",
        views_settings.on_call_rotation,
        name="settings-on-call-rotation",
    ),
    path(
        "settings/on-call/overrides/",
        views_settings.on_call_override_add,
        name="settings-on-call-override",
    ),
    path(
        "settings/on-call/overrides/<int:pk>/remove/",
        views_settings.on_call_override_remove,
        name="settings-on-call-override-remove",
    ),
    path("settings/detector/", detector_views.detector_brands, name="detector-brands"),
    path("preferences/", views.preferences_page, name="preferences-page"),
    path("preferences/save/", views.preferences, name="preferences"),
    path("account/two-factor/", two_factor.two_factor_page, name="two-factor"),
    path("account/two-factor/confirm/", two_factor.two_factor_confirm, name="two-factor-confirm"),
    path("account/two-factor/remove/", two_factor.two_factor_remove, name="two-factor-remove"),
    path(
        "account/two-factor/recovery-codes/",
        two_factor.two_factor_recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("api/v1/openapi.json", api.openapi, name="api-openapi"),
    path("api/v1/mentions", api.mentions, name="api-mentions"),
    path("api/v1/incidents", api.incidents, name="api-incidents"),
    path("api/v1/incidents/<int:pk>", api.incident_detail, name="api-incident-detail"),
    path(
        "api/v1/incidents/<int:pk>/acknowledge",
        api.incident_acknowledge,
        name="api-incident-acknowledge",
    ),
    path("api/v1/incidents/<int:pk>/dismiss", api.incident_dismiss, name="api-incident-dismiss"),
    path("api/v1/incidents/<int:pk>/resolve", api.incident_resolve, name="api-incident-resolve"),
    path("api/v1/incidents/<int:pk>/reopen", api.incident_reopen, name="api-incident-reopen"),
    path("api/v1/incidents/<int:pk>/monitor", api.incident_monitor, name="api-incident-monitor"),
]
