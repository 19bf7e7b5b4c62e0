"""Value types shared by the spike detectors (pure stdlib, no Django)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

BUCKET_MINUTES = 5
BUCKET_SECONDS = BUCKET_MINUTES * 60

VOLUME = "volume"
NEGATIVE_SHARE = "negative_share"
VELOCITY = "velocity"
KINDS = (VOLUME, NEGATIVE_SHARE, VELOCITY)


@dataclass(frozen=True)
class Bucket:
    """One brand x 5-minute bucket, all platforms summed."""

    start: datetime  # tz-aware UTC, aligned to 5 minutes
    count: int
    negative: int = 0
    positive: int = 0
    reach: int = 0
    # True when a source feeding this brand was failing in this bucket:
    # never alert on it, never learn from it.
    gap: bool = False


@dataclass(frozen=True)
class Signal:
    kind: str  # "volume" | "negative_share" | "velocity"
    at: datetime  # bucket start
    baseline: float  # what was expected
    threshold: float  # what had to be exceeded
    observed: float  # what was seen
    # (observed - baseline) / (threshold - baseline): 1.0 = just at the threshold,
    # 2.0 = twice the deviation needed to alert. Use it for severity.
    magnitude: float
    # True when this signal should raise an alert now (new incident or re-alert
    # after cooldown); False while warming up or cooling down.
    fires: bool


@dataclass
class DetectorConfig:
    """Detector settings. The dataclass defaults are the production defaults.

    Units: counts are mentions per 5-minute bucket (all platforms summed).
    """

    # --- common -----------------------------------------------------------
    # Learned (non-gap) buckets before any signal may fire: one day, so the
    # daily cycle (quiet nights) has been seen once.
    warm_up_buckets: int = 288
    # After an alert, the brand stays quiet this long (signals are still
    # returned with fires=False so they can be attached to the open incident).
    cooldown_minutes: int = 720

    # --- volume against a seasonal baseline --------------------------------
    # Minimum mentions in the bucket for a volume alert.
    min_volume: int = 10
    # Threshold = (sqrt(baseline) + volume_threshold * robust spread)^2, spread
    # measured in square-root space (variance-stabilised for counts).
    volume_threshold: float = 7.0
    # ... and the bucket must be at least this many times the baseline.
    volume_min_ratio: float = 3.0
    # The same test on the sum of the last `sustained_buckets` buckets catches
    # a rise sustained over an hour that no single bucket shows (its minimum
    # volume is min_volume * sustained_min_volume_factor mentions in the window).
    sustained_buckets: int = 12
    sustained_min_volume_factor: float = 3.0
    # A broad rise (a story that runs for hours) is absorbed by the short-term
    # level, so the last `broad_buckets` buckets are also compared with the
    # seasonal profile alone, with their own threshold and minimum ratio
    # (0 or 1 turns this test off).
    broad_buckets: int = 72
    broad_threshold: float = 4.0
    broad_min_ratio: float = 3.0
    # ... and beyond peak_factor x the brand's typical daily peak z-score
    # (median of the daily maxima over the last peak_days days), so a brand
    # whose stream is spiky every day is not alerted on its everyday spikes.
    peak_factor: float = 1.8
    peak_days: int = 14
    peak_quantile: float = 0.75
    # Seasonal profile: per hour-of-week slot, the median over the last
    # `seasonal_weeks` weeks, with the median of the last `daily_days` days
    # of the same hour-of-day as an extra vote (carries the profile through
    # the first weeks).
    seasonal_weeks: int = 4
    daily_days: int = 7
    # Short-term level correction (EWMA of log ratio observed/seasonal).
    level_halflife_buckets: int = 24
    # Robust spread (EWMA of absolute residuals, outliers clipped).
    spread_halflife_buckets: int = 288

    # --- velocity: growth over the last buckets vs the hour before ----------
    velocity_recent_buckets: int = 3
    velocity_previous_buckets: int = 12
    # growth (recent rate / previous rate), relative to the seasonal growth
    # expected at this time of day, must reach this factor...
    velocity_threshold: float = 8.0
    # ... with at least this many mentions in the recent buckets.
    velocity_min_volume: int = 60

    # --- negative share ----------------------------------------------------
    negative_window_buckets: int = 6  # share measured over the last 30 minutes
    negative_min_volume: int = 20  # mentions in that window
    # share must exceed baseline + max(negative_min_increase, z * binomial sd)
    negative_z: float = 4.0
    negative_min_increase: float = 0.15
    negative_halflife_buckets: int = 2016  # one week

    # --- rules over mentions (run by monitoring/detection_service.py) -------
    # Trigger phrases ("boycott", "抵制", … ; Brand.trigger_phrases): negative
    # mentions naming one within the window, at least this many and at least
    # trigger_ratio x the usual hourly rate of such mentions over the last week.
    trigger_window_minutes: int = 60
    trigger_min_mentions: int = 3
    trigger_ratio: float = 3.0
    trigger_cooldown_minutes: int = 120
    # Key voices: a negative post from an author with this many followers.
    key_voice_followers: int = 100_000
    key_voice_window_minutes: int = 60
    key_voice_cooldown_minutes: int = 180
    # A source feeding the brand that has failed this many polls in a row makes
    # its buckets gaps (not learned, never alerted) and raises a warning.
    source_failures_for_gap: int = 2

    @classmethod
    def from_overrides(cls, overrides: dict | None) -> DetectorConfig:
        """Defaults updated with a dict of per-brand overrides.

        Unknown keys raise ValueError (so a typo in a brand's settings is
        noticed); values are coerced to the field's type.
        """
        config = cls()
        if not overrides:
            return config
        types = {f.name: type(getattr(config, f.name)) for f in fields(cls)}
        for key, value in overrides.items():
            if key not in types:
                raise ValueError(f"unknown detector setting {key!r}")
            try:
                setattr(config, key, types[key](value))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"bad value for detector setting {key!r}: {value!r}") from exc
        return config

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
