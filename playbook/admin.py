from __future__ import annotations

from django.contrib import admin

from crisisroom.admin import WriteOnlySecretsAdmin
from playbook.models import (
    ApprovalPolicy,
    Channel,
    ChecklistItemTemplate,
    MessageTemplate,
    OutboundPause,
    PlaybookTemplate,
    PublishTarget,
    ResponseTarget,
    StepTemplate,
    UpdateCadence,
)


class StepInline(admin.TabularInline):
    model = StepTemplate
    extra = 0
    fields = ["number", "title", "title_zh_hant", "owner_role", "needs_approval"]
    show_change_link = True


@admin.register(PlaybookTemplate)
class PlaybookTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default"]
    inlines = [StepInline]


class ItemInline(admin.TabularInline):
    model = ChecklistItemTemplate
    extra = 1


@admin.register(StepTemplate)
class StepTemplateAdmin(admin.ModelAdmin):
    list_display = ["template", "number", "title", "owner_role", "needs_approval"]
    list_filter = ["template"]
    inlines = [ItemInline]


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    list_display = ["response_level"]
    filter_horizontal = ["required_roles"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "lang", "pre_approved"]
    list_filter = ["kind", "lang", "pre_approved"]
    list_editable = ["pre_approved"]


@admin.register(PublishTarget)
class PublishTargetAdmin(WriteOnlySecretsAdmin):
    list_display = ["name", "kind", "base_url", "active"]
    write_only_fields = ("secret",)


@admin.register(OutboundPause)
class OutboundPauseAdmin(admin.ModelAdmin):
    list_display = ["paused_at", "paused_by", "reason", "resumed_at", "resumed_by"]
    readonly_fields = ["paused_at", "paused_by", "resumed_at", "resumed_by", "incident"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    """Statement channels are data: add a network, change a limit or how it counts."""

    list_display = ["code", "name_en", "name_zh_hant", "limit", "counting", "connector", "active"]
    list_editable = ["limit", "counting", "active"]
    list_filter = ["counting", "connector", "active"]
    ordering = ["position", "code"]


@admin.register(UpdateCadence)
class UpdateCadenceAdmin(admin.ModelAdmin):
    list_display = ["response_level", "minutes"]


@admin.register(ResponseTarget)
class ResponseTargetAdmin(admin.ModelAdmin):
    list_display = ("response_level", "kind", "minutes", "label_en", "label_zh_hant", "active")
    list_filter = ("response_level", "kind")
