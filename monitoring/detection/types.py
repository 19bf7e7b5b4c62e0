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


@dataclass(frozen=True, init=False)
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

    def __init__(
        self,
        start: datetime,
        count: int,
        negative: int = 0,
        positive: int = 0,
        reach: int = 0,
        gap: bool = False,
    ):
        # (one is built for every bucket of every brand and replay: writing the
        # instance's dict directly costs a third of the six frozen
        # object.__setattr__ calls a frozen dataclass's own __init__ makes)
        d = self.__dict__
        d["start"] = start
        d["count"] = count
        d["negative"] = negative
        d["positive"] = positive
        d["reach"] = reach
        d["gap"] = gap


@dataclass(frozen=True)
class Signal:
    kind: str  # "volume" | "negative_share" | "velocity"
    at: datetime  # bucket start
    baseline: float  # what was expected (volume: per 5-minute bucket of the window)
    threshold: float  # what had to be exceeded
    observed: float  # what was seen
    # (observed - baseline) / (threshold - baseline): 1.0 = just at the threshold,
    # 2.0 = twice the deviation needed to alert. Use it for severity.
    magnitude: float
    # True when this signal should raise an alert now (new incident or re-alert
    # after cooldown); False while warming up or cooling down.
    fires: bool
    # The window the test ran over (volume: 5, 60 or 360 minutes) and how many
    # 5-minute buckets of it had data: window totals are baseline * buckets and
    # observed * buckets.
    window_minutes: int = BUCKET_MINUTES
    buckets: int = 1
    # How improbable the observation was under the brand's count model:
    # -log2 P(at least this much); the probability is 2 ** -surprise.
    surprise: float = 0.0
    # True when this alert comes after an earlier one of this detector (a
    # re-alert after cooldown): on a still-open incident it escalates severity.
    realert: bool = False
    # A negative_share signal over the COUNT of negative posts (a small brand's
    # negative-count window): baseline, threshold and observed are negative
    # posts per bucket of the window, not shares.
    negatives: bool = False

    @property
    def probability(self) -> float:
        return 2.0**-self.surprise


# Settings of the earlier detector (absolute floors, z-scores in square-root
# space) that the count model replaced: still accepted in a brand's stored
# overrides, and ignored.
RETIRED_SETTINGS = frozenset(
    {
        "min_volume",
        "volume_threshold",
        "sustained_min_volume_factor",
        "broad_threshold",
        "spread_halflife_buckets",
        "velocity_min_volume",
        "negative_z",
        "peak_factor",
        "peak_quantile",
    }
)


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

    # --- volume: a count model against a seasonal baseline ------------------
    # Each bucket, the sum of the last half hour, of the last hour and of the
    # last six hours is a count with an expected value from the seasonal
    # profile and an over-dispersion learned per brand and window (negative
    # binomial: variance = mean + alpha * mean^2). A window fires when the
    # observation is this improbable: -log2 P(at least this many) >=
    # surprise_bits. 16 bits = 1 in 65,536 per test; a brand-month has 8,640
    # buckets and, the windows overlapping, about 11,000 independent tests, so
    # an exact model would raise a false alarm every six brand-months. The
    # same number for a brand at 0.5 or 500 mentions per bucket. (Chosen as the
    # lowest of 12 / 15 / 16 / 17 / 20 bits with at most one false alert per
    # brand-month on every brand of the synthetic suite: 15 gives 1.07 since
    # the daily-peak floor treats quiet days as censored; not chosen on NAB.)
    surprise_bits: float = 16.0
    # Over-dispersion: floor (mean-estimation error alone is about 10%), the
    # value assumed before any learning, and how fast it follows the brand.
    dispersion_min: float = 0.01
    dispersion_prior: float = 0.1
    dispersion_halflife_buckets: int = 2016
    # The expected value never drops below this share of the brand's running
    # mean (a silent night is not proof that one post is a crisis).
    expected_floor: float = 0.2
    # A window must also exceed its expected value by this factor and by this
    # many mentions (nobody needs a page for three extra posts).
    volume_min_ratio: float = 2.0
    min_excess_mentions: int = 5
    # In the longer windows a bucket counts at most this many standard
    # deviations above its expected value (or 4x it): a spike is the bucket
    # test's job, a sustained rise the windows'.
    cap_sd: float = 6.0
    # Window lengths in buckets: the last half hour and the last hour (0 or 1
    # turns one off), and the last six hours, compared with the seasonal
    # profile alone (the short-term level would have absorbed a story that
    # builds for hours), with its own minimum ratio.
    short_buckets: int = 6
    sustained_buckets: int = 12
    broad_buckets: int = 72
    broad_min_ratio: float = 2.0
    # Accumulating statistic (CUSUM) for stories that build over hours: the
    # log-likelihood ratio of each bucket's (capped) count under cusum_shift x
    # its expected value against the expected value itself, summed and kept at
    # or above 0, fires at surprise_bits (and the daily-peak floor, like a
    # window), then restarts, when the run since it was last 0 holds at least
    # cusum_min_ratio x its expected posts (and min_excess_mentions more).
    # 0 or 1 turns it off. The ratio is the lowest of 1.6 / 1.65 / 1.7 / 1.75
    # / 1.9 with at most one false alert per brand-month on every brand of the
    # synthetic suite (1.7 gives 1.07 on the high-volume brands).
    cusum_shift: float = 2.0
    cusum_min_ratio: float = 1.75
    # Empirical calibration (no model is exact, and some brands are spiky
    # every day): per window, the daily maxima of the surprise over the last
    # peak_days days are fitted with a Gumbel distribution, and the threshold
    # is at least the level those maxima exceed once in false_alarm_days days
    # (0 = off). Scale-free like the bits themselves.
    false_alarm_days: float = 365.0
    peak_days: int = 14
    # Seasonal profile: per hour-of-week slot, the median over the last
    # `seasonal_weeks` weeks, with the median of the last `daily_days` days
    # of the same hour-of-day as an extra vote (carries the profile through
    # the first weeks).
    seasonal_weeks: int = 4
    daily_days: int = 7
    # Short-term level: ratio of the EWMAs of (capped) counts and of the
    # profile, not learned while a window is 0.4 of the way to an alert
    # (stream.LEVEL_FREEZE).
    level_halflife_buckets: int = 24

    # --- velocity: growth over the last buckets vs the hour before ----------
    # growth (recent rate / previous rate), relative to the seasonal growth
    # expected at this time of day, must reach velocity_threshold (0 = off),
    # and the recent buckets must be surprising (surprise_bits) against the
    # previous hour's rate times that expected growth.
    velocity_recent_buckets: int = 3
    velocity_previous_buckets: int = 12
    velocity_threshold: float = 0.0

    # --- negative share ----------------------------------------------------
    negative_window_buckets: int = 6  # share measured over the last 30 minutes
    # mentions in that window (9: the lowest of 8 / 9 / 10 / 12 with at most one
    # false alert per brand-month on the synthetic suite with sentiment; 8 of
    # 8 posts negative on a quiet brand's unusually negative day is 16.8 bits)
    negative_min_volume: int = 9
    # negatives in the window must be surprising (surprise_bits) under a
    # beta-binomial at the long-run share (over-dispersed by the brand's
    # learnt day-to-day swing), and the share at least this much higher
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

        Settings of the earlier detector (RETIRED_SETTINGS) are ignored; other
        unknown keys raise ValueError (so a typo in a brand's settings is
        noticed); values are coerced to the field's type.
        """
        config = cls()
        if not overrides:
            return config
        types = {f.name: type(getattr(config, f.name)) for f in fields(cls)}
        for key, value in overrides.items():
            if key in RETIRED_SETTINGS:
                continue
            if key not in types:
                raise ValueError(f"unknown detector setting {key!r}")
            try:
                setattr(config, key, types[key](value))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"bad value for detector setting {key!r}: {value!r}") from exc
        return config

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
