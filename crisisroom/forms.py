from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crisisroom.choices import Severity
from crisisroom.platform.timezones import zone_choices_common_first


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=zone_choices_common_first,
        # A text box over a datalist: type "Taipei" or 台北 and pick; the common zones first.
        widget=forms.TextInput(attrs={"list": "zone-list", "autocomplete": "off"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ChatForm(forms.Form):
    body = forms.CharField(max_length=4000, strip=True)


class TimelineNoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=2000, strip=True)


class TimelinePinForm(forms.Form):
    event = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    pinned = forms.BooleanField(required=False)


SPEEDS = [(1.0, "×1"), (5.0, "×5"), (10.0, "×10"), (30.0, "×30"), (60.0, "×60")]


class DrillStartForm(forms.Form):
    scenario = forms.ChoiceField(label=_("Scenario"))
    speed = forms.TypedChoiceField(label=_("Speed"), choices=SPEEDS, coerce=float, initial=10.0)

    def __init__(self, *args, scenarios: list[dict], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.scenarios = scenarios
        self.fields["scenario"].choices = [(s["id"], s["title"]) for s in scenarios]


class SurpriseDrillForm(DrillStartForm):
    """A drill that starts without warning somewhere inside a window (the viewer's zone)."""

    not_before = forms.DateTimeField(
        label=_("Not before"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    not_after = forms.DateTimeField(
        label=_("Not after"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class IncidentRaiseForm(forms.Form):
    """Manual raise: the same fields as POST /api/v1/incidents."""

    title = forms.CharField(label=_("Title"), max_length=200)
    brand = forms.SlugField(
        label=_("Brand"),
        max_length=60,
        help_text=_("The brand's slug; a new brand is created when it does not exist."),
    )
    severity = forms.ChoiceField(label=_("Severity"), initial="medium", choices=())
    is_drill = forms.BooleanField(label=_("This is a drill"), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = Severity.choices


class IncidentDismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this a false alarm?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TwoFactorCodeForm(forms.Form):
    """A code from the authenticator app (six digits) or, where allowed, a recovery code."""

    code = forms.CharField(label=_("Code"), max_length=32, strip=True)
