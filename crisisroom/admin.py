from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from crisisroom.models import (
    Alert,
    ApiToken,
    CrisisRole,
    Incident,
    IncidentMember,
    OnCallEntry,
    OutgoingDelivery,
    OutgoingWebhook,
    SurpriseDrill,
    TimelineEvent,
    User,
    Webhook,
)
from foundation.http import url_origin as http_origin
from foundation.http import url_refusal
from foundation.validation import write_only_keep


class WriteOnlySecretsAdmin(admin.ModelAdmin):
    """Secrets (tokens, passwords, a webhook URL that carries its token) are never shown
    back, as on the in-app settings pages: the field renders empty, left empty on a
    change keeps the stored value, typed in replaces it. A new row still needs what its
    model requires."""

    write_only_fields: tuple[str, ...] = ()

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        for name in self.write_only_fields:
            field = form.base_fields.get(name)
            if field is None:
                continue
            field.widget = forms.PasswordInput(render_value=False)
            if obj is not None:
                field.required = False
                field.help_text = _("Write-only: leave empty to keep the stored one.")
        return form

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            write_only_keep(obj, self.write_only_fields, form.cleaned_data)
        super().save_model(request, obj, form, change)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "org_role", "is_active", "time_zone")
    list_filter = ("org_role", "is_active", "crisis_roles")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Crisis Room"), {"fields": ("org_role", "crisis_roles", "time_zone", "language")}),
    )
    filter_horizontal = ("crisis_roles", "groups", "user_permissions")


@admin.register(CrisisRole)
class CrisisRoleAdmin(admin.ModelAdmin):
    list_display = ("slug", "label", "position")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")


class IncidentMemberInline(admin.TabularInline):
    model = IncidentMember
    extra = 0


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("pk", "title", "brand", "status", "severity", "is_drill", "opened_at")
    list_filter = ("status", "severity", "is_drill", "brand")
    inlines = [IncidentMemberInline]


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    """Read-only: the timeline is append-only."""

    list_display = ("incident", "at", "kind", "actor", "message")
    list_filter = ("kind",)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(OnCallEntry)
class OnCallEntryAdmin(admin.ModelAdmin):
    list_display = ("position", "user", "active")
    list_editable = ("active",)


@admin.register(Webhook)
class WebhookAdmin(WriteOnlySecretsAdmin):
    list_display = ("name", "kind", "active")
    write_only_fields = ("url",)
    list_editable = ("active",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "incident",
        "email",
        "webhook",
        "reason",
        "level",
        "status",
        "attempts",
        "sent_at",
        "error",
    )
    list_filter = ("status",)


class OutgoingWebhookForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https")

    class Meta:
        model = OutgoingWebhook
        fields = ["name", "url", "secret", "active"]

    def clean_url(self) -> str:
        # The guard that sends the events (foundation/http.py) also checks
        # here, so an address it would refuse is refused when it is typed.
        url = self.cleaned_data["url"]
        refusal = url_refusal(url)
        if refusal:
            raise forms.ValidationError(refusal)
        return url


@admin.register(OutgoingWebhook)
class OutgoingWebhookAdmin(WriteOnlySecretsAdmin):
    form = OutgoingWebhookForm
    write_only_fields = ("secret",)
    list_display = ("name", "url_origin", "active", "created_at")
    list_editable = ("active",)

    @admin.display(description=_("host"))
    def url_origin(self, obj: OutgoingWebhook) -> str:
        return http_origin(obj.url)


@admin.register(OutgoingDelivery)
class OutgoingDeliveryAdmin(admin.ModelAdmin):
    """Read-only: what was told to whom, and how delivery went."""

    list_display = ("created_at", "event", "webhook", "status", "attempts", "sent_at", "error")
    list_filter = ("status", "event")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(SurpriseDrill)
class SurpriseDrillAdmin(admin.ModelAdmin):
    """The admin data is the one place a surprise drill's moment is shown."""

    list_display = (
        "scenario",
        "speed",
        "window_start",
        "window_end",
        "starts_at",
        "status",
        "drill",
    )
    list_filter = ("status",)
    readonly_fields = ("seed", "starts_at", "drill", "error", "created_by", "created_at")
