from __future__ import annotations

from django.urls import path

from crisisroom.consumers import DashboardConsumer, IncidentConsumer

websocket_urlpatterns = [
    path("ws/incidents/<int:incident_id>/", IncidentConsumer.as_asgi()),
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
]
