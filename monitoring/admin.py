from __future__ import annotations

from django.contrib import admin

from monitoring.models import (
    Brand,
    LabelCorrection,
    Mention,
    Rollup,
    Signal,
    Source,
    WatchTerm,
)


class WatchTermInline(admin.TabularInline):
    model = WatchTerm
    extra = 1


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [WatchTermInline]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = (
        "key",
        "kind",
        "platform",
        "brand",
        "paused",
        "last_success_at",
        "consecutive_failures",
        "next_poll_at",
        "last_error",
    )
    list_filter = ("kind", "paused")
    list_select_related = ("brand",)
    # The poll service owns these; editing them by hand would skip or repeat items.
    readonly_fields = (
        "cursor",
        "etag",
        "last_modified",
        "last_success_at",
        "last_error",
        "last_error_at",
        "consecutive_failures",
    )


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ("published_at", "brand", "platform", "author", "sentiment_label", "text")
    list_filter = ("brand", "platform", "sentiment_label", "lang")
    raw_id_fields = ("repost_of", "reply_to")
    search_fields = ("text", "author")
    list_select_related = ("brand",)


@admin.register(Rollup)
class RollupAdmin(admin.ModelAdmin):
    list_display = (
        "brand",
        "bucket",
        "platform",
        "count",
        "negative",
        "neutral",
        "positive",
        "reach",
    )
    list_filter = ("brand", "platform")


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = ("brand", "kind", "at", "baseline", "threshold", "observed", "fires", "incident")
    list_filter = ("kind", "brand")


@admin.register(LabelCorrection)
class LabelCorrectionAdmin(admin.ModelAdmin):
    list_display = ("at", "mention", "user", "old_label", "new_label")
    list_filter = ("new_label",)
    list_select_related = ("mention", "user")
    raw_id_fields = ("mention",)
