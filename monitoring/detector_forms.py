from __future__ import annotations

from dataclasses import fields

from django import forms
from django.utils.translation import gettext_lazy as _

from monitoring.detection import DetectorConfig

# A person's words for each setting (the field name stays the key).
LABELS = {
    "warm_up_buckets": _("Learning period (5-minute buckets)"),
    "cooldown_minutes": _("Quiet time after an alert (minutes)"),
    "surprise_bits": _("Surprise needed to alert (bits)"),
    "dispersion_min": _("Smallest dispersion"),
    "dispersion_prior": _("Starting dispersion"),
    "dispersion_halflife_buckets": _("Dispersion memory (half-life, buckets)"),
    "expected_floor": _("Lowest expected count"),
    "volume_min_ratio": _("Volume must be at least this many times expected"),
    "min_excess_mentions": _("Mentions above expected needed"),
    "cap_sd": _("Cap on one bucket (standard deviations)"),
    "short_buckets": _("Short window (buckets)"),
    "sustained_buckets": _("Sustained window (buckets)"),
    "broad_buckets": _("Broad window (buckets)"),
    "broad_min_ratio": _("Broad window: times expected"),
    "cusum_shift": _("Building story: rise tested for (times expected; 0 = off)"),
    "cusum_min_ratio": _("Building story: times expected needed"),
    "false_alarm_days": _("One false alarm per this many days"),
    "peak_days": _("Daily peaks learned over (days)"),
    "seasonal_weeks": _("Weekly pattern learned over (weeks)"),
    "daily_days": _("Daily pattern learned over (days)"),
    "level_halflife_buckets": _("Level memory (half-life, buckets)"),
    "velocity_recent_buckets": _("Speed: recent window (buckets)"),
    "velocity_previous_buckets": _("Speed: earlier window (buckets)"),
    "velocity_threshold": _("Speed threshold"),
    "negative_window_buckets": _("Negative share window (buckets)"),
    "negative_min_volume": _("Negative share: mentions needed"),
    "negative_min_increase": _("Negative share: rise needed"),
    "negative_halflife_buckets": _("Negative share memory (half-life, buckets)"),
    "trigger_window_minutes": _("Trigger phrases: window (minutes)"),
    "trigger_min_mentions": _("Trigger phrases: mentions needed"),
    "trigger_ratio": _("Trigger phrases: times usual"),
    "trigger_cooldown_minutes": _("Trigger phrases: quiet time (minutes)"),
    "key_voice_followers": _("Key voice: followers at least"),
    "key_voice_window_minutes": _("Key voice: window (minutes)"),
    "key_voice_cooldown_minutes": _("Key voice: quiet time (minutes)"),
    "source_failures_for_gap": _("Failed polls before a data gap"),
}


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
                label=LABELS.get(f.name, f.name.replace("_", " ")),
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
