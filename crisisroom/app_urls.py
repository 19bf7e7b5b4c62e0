"""URLs of the crisisroom app (namespace ``crisisroom``); the root URLconf is crisisroom/urls.py."""

from __future__ import annotations

from django.urls import path

from crisisroom import api, views

app_name = "crisisroom"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("incidents/<int:pk>/", views.war_room, name="war-room"),
    path(
        "incidents/<int:pk>/acknowledge/", views.incident_acknowledge, name="incident-acknowledge"
    ),
    path("incidents/<int:pk>/series.json", views.incident_series, name="incident-series"),
    path("incidents/<int:pk>/chat/", views.chat_post, name="chat-post"),
    path("drills/", views.drills, name="drills"),
    path("drills/<int:pk>/stop/", views.drill_stop, name="drill-stop"),
    path("preferences/", views.preferences_page, name="preferences-page"),
    path("preferences/save/", views.preferences, name="preferences"),
    path("api/v1/openapi.json", api.openapi, name="api-openapi"),
    path("api/v1/mentions", api.mentions, name="api-mentions"),
    path("api/v1/incidents", api.incidents, name="api-incidents"),
    path("api/v1/incidents/<int:pk>", api.incident_detail, name="api-incident-detail"),
]
