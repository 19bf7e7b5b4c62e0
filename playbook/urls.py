"""Playbook pages under /incidents/<id>/playbook/ and its /api/v1 endpoints."""

from __future__ import annotations

from django.urls import path

from playbook import (
    api,
    drill_views,
    queue_views,
    reply_views,
    settings_views,
    sitrep_views,
    target_views,
    views,
)

app_name = "playbook"

P = "incidents/<int:pk>/playbook/"
S = "incidents/<int:pk>/playbook/statements/<int:sid>/"
R = "incidents/<int:pk>/sitrep/"
# The in-app settings pages (org admins): listed on /settings/ through PlaybookConfig.
C = "settings/playbook/"
B = C + "playbooks/<int:pk>/"
sv = settings_views
SETTINGS = [
    path(C, sv.index, name="settings"),
    path(C + "approvals/", sv.policy_list, name="settings-policies"),
    path(C + "approvals/new/", sv.policy_edit, name="settings-policy-new"),
    path(C + "approvals/<int:pk>/", sv.policy_edit, name="settings-policy"),
    path(C + "approvals/<int:pk>/delete/", sv.policy_delete, name="settings-policy-delete"),
    path(C + "templates/", sv.message_template_list, name="settings-templates"),
    path(C + "templates/new/", sv.message_template_edit, name="settings-template-new"),
    path(C + "templates/<int:pk>/", sv.message_template_edit, name="settings-template"),
    path(
        C + "templates/<int:pk>/delete/",
        sv.message_template_delete,
        name="settings-template-delete",
    ),
    path(C + "publishing/", sv.publishing_list, name="settings-publishing"),
    path(C + "publishing/targets/new/", sv.target_edit, name="settings-target-new"),
    path(C + "publishing/targets/<int:pk>/", sv.target_edit, name="settings-target"),
    path(C + "publishing/webhooks/new/", sv.webhook_edit, name="settings-webhook-new"),
    path(C + "publishing/webhooks/<int:pk>/", sv.webhook_edit, name="settings-webhook"),
    path(C + "publishing/alerts/new/", sv.alert_webhook_edit, name="settings-alert-webhook-new"),
    path(C + "publishing/alerts/<int:pk>/", sv.alert_webhook_edit, name="settings-alert-webhook"),
    path(
        C + "publishing/<str:kind>/<int:pk>/active/",
        sv.holder_active,
        name="settings-holder-active",
    ),
    path(C + "playbooks/", sv.playbook_list, name="settings-playbooks"),
    path(B, sv.playbook_detail, name="settings-playbook"),
    path(B + "name/", sv.playbook_edit, name="settings-playbook-edit"),
    path(B + "do/<str:action>/", sv.playbook_action, name="settings-playbook-action"),
    path(B + "steps/new/", sv.step_edit, name="settings-step-new"),
    path(B + "steps/<int:step_id>/", sv.step_edit, name="settings-step"),
    path(B + "steps/<int:step_id>/do/<str:action>/", sv.step_action, name="settings-step-action"),
    path(B + "steps/<int:step_id>/items/new/", sv.item_edit, name="settings-item-new"),
    path(B + "steps/<int:step_id>/items/<int:item_id>/", sv.item_edit, name="settings-item"),
    path(
        B + "steps/<int:step_id>/items/<int:item_id>/do/<str:action>/",
        sv.item_action,
        name="settings-item-action",
    ),
]

urlpatterns = [
    *SETTINGS,
    path("drills/<int:pk>/report/", drill_views.drill_report, name="drill-report"),
    path("drills/<int:pk>/report.md", drill_views.drill_report_markdown, name="drill-report-md"),
    path("drills/<int:pk>/report.pdf", drill_views.drill_report_pdf, name="drill-report-pdf"),
    path(
        "drills/<int:pk>/report/print/", drill_views.drill_report_print, name="drill-report-print"
    ),
    path("settings/targets/", target_views.targets_settings, name="targets-settings"),
    path("outbound/", queue_views.scheduled_posts_page, name="scheduled-posts"),
    path("outbound/queue/", queue_views.scheduled_post_queue, name="scheduled-post-queue"),
    path(
        "outbound/<int:post_id>/cancel/",
        queue_views.scheduled_post_cancel,
        name="scheduled-post-cancel",
    ),
    path("outbound/pause/", queue_views.outbound_pause, name="outbound-pause"),
    path("outbound/resume/", queue_views.outbound_resume, name="outbound-resume"),
    path(R, sitrep_views.sitrep_page, name="sitrep"),
    path(R + "cadence/", sitrep_views.sitrep_plan, name="sitrep-plan"),
    path(R + "readers/", sitrep_views.sitrep_recipient_add, name="sitrep-reader-add"),
    path(
        R + "readers/<int:rid>/remove/",
        sitrep_views.sitrep_recipient_remove,
        name="sitrep-reader-remove",
    ),
    path(R + "send/", sitrep_views.sitrep_send_now, name="sitrep-send"),
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
    path(P + "review/print/", views.review_print, name="review-print"),
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
