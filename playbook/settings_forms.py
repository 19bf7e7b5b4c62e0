"""Forms of the in-app settings pages (/settings/playbook/…): approval policies,
message templates, publishing targets, outgoing webhooks and the playbook template.
Every one says what is wrong in the reader's words; playbook/services/settings.py
writes what they clean."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crisisroom.choices import CrisisRoleSlug
from crisisroom.models import CrisisRole, OutgoingWebhook, Webhook
from foundation.http import url_refusal
from playbook.choices import UpdateChannel, WorkEvent
from playbook.models import (
    ApprovalPolicy,
    ChecklistItemTemplate,
    MessageTemplate,
    PlaybookTemplate,
    PublishTarget,
    StepTemplate,
)

# What an item's "only for" may name, by the event it is bound to: the detail the
# services send with it (member_assign: the role; assessment_save: "facts" or
# "classified"; channel_update_set: the channel).
DETAIL_KINDS = {
    WorkEvent.MEMBER_ASSIGNED: dict(CrisisRoleSlug.choices),
    WorkEvent.ASSESSMENT_SAVED: {
        "facts": _("the original source or verified facts are written"),
        "classified": _("the classification and response level are chosen"),
    },
    WorkEvent.CHANNEL_UPDATED: dict(UpdateChannel.choices),
}


class Rows:
    """The fields as the page lays them out: a bilingual pair (English, 繁體中文) side
    by side, every other field on its own row."""

    pairs: tuple[tuple[str, str], ...] = ()

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for english, _zh in self.pairs:
            field = self.fields[english]  # type: ignore[attr-defined]
            field.label = _("%(field)s (English)") % {"field": field.label}

    def rows(self) -> list[list[forms.BoundField]]:
        paired = {b: a for a, b in self.pairs}
        firsts = dict(self.pairs)
        out = []
        for field in self.visible_fields():  # type: ignore[attr-defined]
            if field.name in paired:
                continue
            if field.name in firsts:
                out.append([field, self[firsts[field.name]]])  # type: ignore[index]
            else:
                out.append([field])
        return out


def _guarded_url(url: str) -> str:
    """The guard that sends (foundation/http.py) checks when it is typed."""
    refusal = url_refusal(url)
    if refusal:
        raise forms.ValidationError(_("This address cannot be used: %(why)s") % {"why": refusal})
    return url


class SecretField(forms.CharField):
    """Write-only: never rendered back; empty keeps the stored one."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.PasswordInput(render_value=False))
        super().__init__(**kwargs)


class ApprovalPolicyForm(forms.ModelForm):
    required_roles = forms.ModelMultipleChoiceField(
        queryset=CrisisRole.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Roles that must approve"),
        error_messages={"required": _("Choose at least one role that must approve.")},
    )

    class Meta:
        model = ApprovalPolicy
        fields = ["response_level", "required_roles"]
        error_messages = {
            "response_level": {
                "unique": _("This response level already has a policy: edit that one.")
            }
        }


class MessageTemplateForm(Rows, forms.ModelForm):
    lang = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    class Meta:
        model = MessageTemplate
        fields = ["kind", "lang", "title", "body", "pre_approved"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}


class PublishTargetForm(forms.ModelForm):
    base_url = forms.URLField(label=_("base URL"), max_length=200, assume_scheme="https")
    secret = SecretField(
        label=_("token or password"),
        max_length=500,
        help_text=_(
            "Write-only: never shown again. Leave empty to keep the stored one; "
            "type a new one to rotate it."
        ),
    )

    class Meta:
        model = PublishTarget
        fields = ["name", "kind", "base_url", "handle", "secret", "active"]
        error_messages = {"name": {"unique": _("A publishing target has this name already.")}}

    def clean_base_url(self) -> str:
        return _guarded_url(self.cleaned_data["base_url"])

    def clean(self) -> dict:
        data = super().clean()
        kind, handle = data.get("kind"), data.get("handle", "")
        has_secret = bool(data.get("secret") or (self.instance.pk and self.instance.secret))
        if kind == "mastodon" and not has_secret:
            self.add_error("secret", _("A Mastodon target needs its access token."))
        if kind == "bluesky":
            if not handle:
                self.add_error("handle", _("A Bluesky target needs its handle."))
            if not has_secret:
                self.add_error("secret", _("A Bluesky target needs its app password."))
        return data


class OutgoingWebhookForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https")
    secret = SecretField(
        label=_("signing secret"),
        max_length=200,
        help_text=_(
            "Shared with the receiver, which checks the signature with it. Write-only: "
            "leave empty to keep the stored one; type a new one to rotate it."
        ),
    )

    class Meta:
        model = OutgoingWebhook
        fields = ["name", "url", "secret", "active"]

    def clean_url(self) -> str:
        return _guarded_url(self.cleaned_data["url"])

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"]
        if not secret and not (self.instance.pk and self.instance.secret):
            raise forms.ValidationError(_("A new webhook needs a signing secret."))
        return secret


class AlertWebhookForm(forms.ModelForm):
    """A team's Slack or Microsoft Teams incoming webhook, told about every alert. Its
    URL carries the token, so it is write-only like a secret."""

    url = SecretField(
        label=_("Incoming webhook URL"),
        max_length=1000,
        help_text=_(
            "From Slack or Teams. Write-only: it holds the token, so it is never shown "
            "again; leave empty to keep the stored one, paste a new one to replace it."
        ),
    )

    class Meta:
        model = Webhook
        fields = ["name", "kind", "url", "active"]
        labels = {"kind": _("Kind"), "active": _("active")}

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if not url:
            if self.instance.pk:  # kept: credential_holder_save restores the stored one
                return ""
            raise forms.ValidationError(_("A new alert webhook needs its URL."))
        url = forms.URLField(max_length=1000, assume_scheme="https").clean(url)
        return _guarded_url(url)


class PlaybookTemplateForm(forms.ModelForm):
    class Meta:
        model = PlaybookTemplate
        fields = ["name"]


class StepTemplateForm(Rows, forms.ModelForm):
    pairs = (("title", "title_zh_hant"), ("description", "description_zh_hant"))
    owner_role = forms.ModelChoiceField(
        queryset=CrisisRole.objects.all(),
        label=_("owner role"),
        error_messages={"invalid_choice": _("Choose a crisis role that exists.")},
    )

    class Meta:
        model = StepTemplate
        fields = [
            "title",
            "title_zh_hant",
            "description",
            "description_zh_hant",
            "owner_role",
            "needs_approval",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_zh_hant": forms.Textarea(attrs={"rows": 3}),
        }


class ChecklistItemForm(Rows, forms.ModelForm):
    pairs = (("text", "text_zh_hant"),)

    class Meta:
        model = ChecklistItemTemplate
        fields = ["text", "text_zh_hant", "event", "event_detail"]

    def clean(self) -> dict:
        data = super().clean()
        event, detail = data.get("event", ""), data.get("event_detail", "").strip()
        kinds = DETAIL_KINDS.get(event)
        if detail and not kinds:
            self.add_error(
                "event_detail",
                _(
                    "Only a binding to a member being assigned, the assessment or a "
                    "channel update takes this."
                ),
            )
        elif detail and detail not in kinds:
            self.add_error(
                "event_detail",
                _("“%(detail)s” is not one of: %(choices)s.")
                % {"detail": detail, "choices": ", ".join(kinds)},
            )
        data["event_detail"] = detail
        return data
