from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=lambda: [(z, z) for z in sorted(zoneinfo.available_timezones())],
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ChatForm(forms.Form):
    body = forms.CharField(max_length=4000, strip=True)


SPEEDS = [(1.0, "×1"), (5.0, "×5"), (10.0, "×10"), (30.0, "×30"), (60.0, "×60")]


class DrillStartForm(forms.Form):
    scenario = forms.ChoiceField(label=_("Scenario"))
    speed = forms.TypedChoiceField(label=_("Speed"), choices=SPEEDS, coerce=float, initial=10.0)

    def __init__(self, *args, scenarios: list[dict], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.scenarios = scenarios
        self.fields["scenario"].choices = [(s["id"], s["title"]) for s in scenarios]
