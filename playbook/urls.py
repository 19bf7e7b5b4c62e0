"""Playbook pages under /incidents/<id>/playbook/ and its /api/v1 endpoints."""

from __future__ import annotations

from django.urls import path

from playbook import api, drill_views, queue_views, reply_views, views

app_name = "playbook"

P = "incidents/<int:pk>/playbook/"
S = "incidents/<int:pk>/playbook/statements/<int:sid>/"

urlpatterns = [
    path("drills/<int:pk>/report/", drill_views.drill_report, name="drill-report"),
    path("drills/<int:pk>/report.md", drill_views.drill_report_markdown, name="drill-report-md"),
    path("drills/<int:pk>/report.pdf", drill_views.drill_report_pdf, name="drill-report-pdf"),
    path("outbound/", queue_views.scheduled_posts_page, name="scheduled-posts"),
    path("outbound/queue/", queue_views.scheduled_post_queue, name="scheduled-post-queue"),
    path(
        "outbound/<int:post_id>/cancel/",
        queue_views.scheduled_post_cancel,
        name="scheduled-post-cancel",
    ),
    path("outbound/pause/", queue_views.outbound_pause, name="outbound-pause"),
    path("outbound/resume/", queue_views.outbound_resume, name="outbound-resume"),
    path(P, views.playbook_page, name="page"),
    path(P + "items/<int:item_id>/toggle/", views.item_toggle, name="item-toggle"),
    path(P + "team/", views.member_add, name="member-add"),
    path(P + "assessment/", views.assessment_save, name="assessment-save"),
    path(P + "claims/", views.claim_save, name="claim-save"),
    path(P + "claims/<int:claim_id>/status/", views.claim_status, name="claim-status"),
    path(P + "questions/", views.question_add, name="question-add"),
    path(P + "next-actions/", views.next_actions_part, name="next-actions"),
    path(P + "pause/", views.pause, name="pause"),
    path(P + "resume/", views.resume, name="resume"),
    path(P + "cadence/", views.cadence_set, name="cadence-set"),
    path(P + "channels/<int:update_id>/", views.channel_update, name="channel-update"),
    path(P + "statements/new/", views.statement_new, name="statement-new"),
    path(S, views.statement_page, name="statement"),
    path(S + "edit/", views.statement_edit, name="statement-edit"),
    path(S + "<str:action>/", views.statement_action, name="statement-action"),
    path(P + "replies/", reply_views.replies_page, name="replies"),
    path(P + "replies/new/", reply_views.reply_new, name="reply-new"),
    path(P + "replies/<int:rid>/<str:action>/", reply_views.reply_action, name="reply-action"),
    path(P + "review/", views.review_page, name="review"),
    path(P + "review/save/", views.review_save, name="review-save"),
    path(P + "review/actions/", views.policy_action_add, name="policy-action-add"),
    path(P + "review/export.md", views.review_markdown, name="review-md"),
    path(P + "review/export.pdf", views.review_pdf, name="review-pdf"),
    path("api/v1/scheduled-posts", api.scheduled_posts, name="api-scheduled-posts"),
    path(
        "api/v1/scheduled-posts/<int:pk>/cancel",
        api.scheduled_post_cancel,
        name="api-scheduled-post-cancel",
    ),
    path("api/v1/outbound", api.outbound_state, name="api-outbound"),
    path("api/v1/outbound/pause", api.outbound_pause, name="api-outbound-pause"),
    path("api/v1/outbound/resume", api.outbound_resume, name="api-outbound-resume"),
    path("api/v1/incidents/<int:pk>/members", api.incident_members, name="api-members"),
    path("api/v1/incidents/<int:pk>/statements", api.incident_statements, name="api-statements"),
    path("api/v1/statements/<int:pk>", api.statement_detail, name="api-statement"),
    path("api/v1/statements/<int:pk>/submit", api.statement_submit, name="api-submit"),
    path("api/v1/statements/<int:pk>/approve", api.statement_approve, name="api-approve"),
    path("api/v1/statements/<int:pk>/reject", api.statement_reject, name="api-reject"),
    path("api/v1/statements/<int:pk>/publish", api.statement_publish, name="api-publish"),
    path("api/v1/statements/<int:pk>/review", api.statement_review, name="api-review"),
]
