"""URLs of the monitoring app (namespace ``monitoring``)."""

from __future__ import annotations

from django.urls import path

from monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("mentions/", views.mentions_explorer, name="explorer"),
    path("mentions/export.csv", views.mentions_export, name="explorer-export"),
    path("mentions/charts/", views.mentions_charts, name="explorer-charts"),
    path("mentions/count/", views.mentions_count, name="explorer-count"),
    path("mentions/exports/", views.export_start, name="export-start"),
    path("mentions/exports/<int:pk>/", views.export_detail, name="export-detail"),
    path("mentions/exports/<int:pk>/mentions.csv", views.export_download, name="export-download"),
    path("mentions/corrections.tsv", views.corrections_export, name="corrections-export"),
    path("mentions/<int:pk>/label/", views.mention_correct, name="mention-correct"),
    path("brands/", views.brand_list, name="brand-list"),
    path("brands/new/", views.brand_edit, name="brand-new"),
    path("brands/check-terms/", views.brand_check_terms, name="brand-check-terms"),
    path("brands/<int:pk>/", views.brand_edit, name="brand-edit"),
]
