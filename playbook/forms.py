"""Forms for every playbook page POST: the one input boundary between the browser
and playbook.services. Django's CharField already refuses NUL characters; these add
the choices, lengths, http(s) links and ids the services and PostgreSQL expect."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from crisisroom.choices import ACTIVE_STATUSES, CrisisRoleSlug
from crisisroom.models import Incident, User
from foundation.timezones import zone_choices_common_first
from playbook.choices import ClaimStatus, Classification, ResponseLevel, UpdateState
from playbook.models import (
    SITREP_EVERY_CHOICES,
    Channel,
    MessageTemplate,
    PublishTarget,
    ResponseTarget,
    SitrepRecipient,
)

TEXT = 20_000  # a long statement or assessment; far below what a request may carry
WEB_URL = URLValidator(schemes=["http", "https"])


def _text(max_length: int = TEXT, required: bool = False) -> forms.CharField:
    return forms.CharField(max_length=max_length, required=required, strip=True)


def _link(max_length: int) -> forms.URLField:
    return forms.URLField(
        max_length=max_length, required=False, assume_scheme="https", validators=[WEB_URL]
    )


def first_error(form: forms.Form) -> str:
    """One line naming the field and the problem, for the page's message."""
    for name, errors in form.errors.items():
        if name == "__all__":
            return str(errors[0])
        label = form.fields[name].label or name.replace("_", " ")
        return f"{label}: {errors[0]}"
    return str(_("The form is not valid."))


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    crisis_role = forms.ChoiceField(choices=CrisisRoleSlug.choices)


class AssessmentForm(forms.Form):
    classification = forms.ChoiceField(choices=[("", "-"), *Classification.choices], required=False)
    response_level = forms.ChoiceField(choices=ResponseLevel.choices, required=False)
    original_source = _text()
    verified_facts = _text()
    key_voices = _text()
    media_coverage = _text()


class ClaimForm(forms.Form):
    claim = _text()  # empty: the service says "Write the claim."
    status = forms.ChoiceField(choices=ClaimStatus.choices, required=False)
    evidence = _text()
    correction = _text()
    correction_url = _link(200)
    claim_id = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class ClaimStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ClaimStatus.choices)
    note = _text(300)


class QuestionForm(forms.Form):
    question = _text()
    answer = _text()


class CadenceForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("A public update every (minutes)"), required=False, min_value=5, max_value=1440
    )


class PauseForm(forms.Form):
    reason = _text(2000)


class OwnerField(forms.CharField):
    """A user name, cleaned to that user (empty: nobody). A name no user has is an
    error, not an owner silently left out."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(max_length=150, required=False, label=_("owner"), **kwargs)

    def clean(self, value):  # type: ignore[no-untyped-def]
        username = super().clean(value)
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No user is called “%(name)s”: give an existing user name, or leave it empty.")
                % {"name": username}
            )
        return user


class ChannelUpdateForm(forms.Form):
    state = forms.ChoiceField(choices=UpdateState.choices)
    owner = OwnerField()
    note = _text(300)


def _channel_choices() -> list[tuple[str, str]]:
    # Channels are data (admins add them): read when the form is built, not at import.
    return [(c.code, c.label) for c in Channel.objects.all()]


class StatementNewForm(forms.Form):
    title = _text(200)
    body = _text()
    channels = forms.MultipleChoiceField(choices=_channel_choices, required=False)
    template = forms.ModelChoiceField(MessageTemplate.objects.all(), required=False)


class StatementEditForm(forms.Form):
    title = _text(200)
    body = _text()
    channels = forms.MultipleChoiceField(choices=_channel_choices, required=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.codes = [code for code, _label in self.fields["channels"].choices]
        for code in self.codes:
            self.fields[f"variant_{code}"] = _text()

    def variants(self) -> dict[str, str]:
        """The variants the form showed: a channel left out of the page (switched off
        by an admin) keeps its variant rather than losing it to an empty field."""
        return {
            c: self.cleaned_data.get(f"variant_{c}", "")
            for c in self.codes
            if f"variant_{c}" in self.data
        }


class RejectForm(forms.Form):
    comment = _text()


class PublishForm(forms.Form):
    targets = forms.MultipleChoiceField(choices=[], required=False)
    url = _link(500)

    def __init__(self, *args, targets=(), by_hand=(), **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["targets"].choices = [(t.name, t.name) for t in targets]
        # One link per channel no connector publishes (LINE, PTT, …): where it went out.
        self.by_hand = list(by_hand)
        for code in self.by_hand:
            self.fields[f"link_{code}"] = _link(500)

    def links(self) -> dict[str, str]:
        return {
            code: self.cleaned_data[f"link_{code}"]
            for code in self.by_hand
            if self.cleaned_data.get(f"link_{code}")
        }


class ReviewForm(forms.Form):
    root_cause = _text()
    lessons = _text()


class PolicyActionForm(forms.Form):
    text = _text(300)
    owner = OwnerField()


class ScheduledPostForm(forms.Form):
    """Queue a post. The time is entered in the user's time zone (the active one,
    from their preferences) and stored in UTC; the service checks the rest (the
    target's length limit, a time not in the past), as it does for the API."""

    target = forms.ModelChoiceField(
        PublishTarget.objects.filter(active=True),
        label=_("Publishing target"),
        to_field_name="name",
    )
    text = forms.CharField(label=_("Text"), max_length=TEXT, strip=True, widget=forms.Textarea)
    due_at = forms.DateTimeField(
        label=_("Post at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    incident = forms.ModelChoiceField(
        Incident.objects.filter(status__in=ACTIVE_STATUSES), label=_("Incident"), required=False
    )


class SitrepPlanForm(forms.Form):
    every_minutes = forms.TypedChoiceField(
        label=_("Cadence"),
        coerce=int,
        choices=[(str(value), label) for value, label in SITREP_EVERY_CHOICES],
    )


class SitrepRecipientForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SitrepRecipient.Kind.choices)
    address = _text(1000, required=True)
    address.label = _("Email address or webhook URL")
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Site language")), *settings.LANGUAGES],
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=zone_choices_common_first,
        initial="UTC",
        # As on the preferences page: a text box over a datalist, the common zones first.
        widget=forms.TextInput(attrs={"list": "sr-zone-list", "autocomplete": "off"}),
    )


class ResponseTargetForm(forms.ModelForm):
    """One response target on the admins' targets page (the kind and level stay put)."""

    class Meta:
        model = ResponseTarget
        fields = ["minutes", "label_en", "label_zh_hant", "action_en", "action_zh_hant", "active"]

    def clean_minutes(self) -> int:
        minutes = self.cleaned_data["minutes"]
        if not 1 <= minutes <= 24 * 60:
            raise forms.ValidationError(_("Between 1 and 1440 minutes."))
        return minutes
