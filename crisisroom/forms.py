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
