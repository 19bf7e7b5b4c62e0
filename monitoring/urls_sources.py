"""Source health pages (namespace ``sources``), mounted at /sources/."""

from __future__ import annotations

from django.urls import path

from monitoring import views_sources

app_name = "sources"

urlpatterns = [
    path("", views_sources.source_list, name="list"),
    path("new/", views_sources.source_edit, name="new"),
    path("<int:pk>/edit/", views_sources.source_edit, name="edit"),
    path("<int:pk>/pause/", views_sources.source_pause, name="pause"),
    path("test/", views_sources.source_test, name="test"),
    path("<int:pk>/test/", views_sources.source_test, name="test"),
]
