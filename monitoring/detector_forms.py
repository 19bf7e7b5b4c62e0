from __future__ import annotations

from dataclasses import fields

from django import forms
from django.utils.translation import gettext_lazy as _

from monitoring.detection import DetectorConfig


class DetectorSettingsForm(forms.Form):
    """One optional field per DetectorConfig setting; empty means the default.

    The non-empty ones become the brand's overrides, validated by
    DetectorConfig.from_overrides (the same check the detector makes)."""

    def __init__(self, *args, overrides: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        defaults = DetectorConfig()
        overrides = overrides or {}
        for f in fields(DetectorConfig):
            default = getattr(defaults, f.name)
            field_class = forms.IntegerField if isinstance(default, int) else forms.FloatField
            self.fields[f.name] = field_class(
                label=f.name.replace("_", " "),
                required=False,
                min_value=0,
                initial=overrides.get(f.name),
                help_text=_("Default: %(value)s") % {"value": default},
                widget=forms.NumberInput(attrs={"placeholder": default, "step": "any"}),
            )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        overrides = {k: v for k, v in data.items() if v is not None}
        try:
            DetectorConfig.from_overrides(overrides)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        self.overrides = overrides
        return data
