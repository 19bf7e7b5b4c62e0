"""Streaming spike detector for one brand's 5-minute mention buckets.

At time t it uses only buckets up to t. State is small (a few hundred numbers),
JSON-serialisable, and restoring it continues exactly as if never interrupted.

Model
-----
* Seasonal profile S(t): for each completed hour we store its mean of capped
  counts (a bucket counts at most cap_sd standard deviations, or 4x, above
  its expected value, so a spike is not learned as normal). S(t) is the median
  of the same hour-of-week over the last weeks plus, as one extra vote, the
  median of the same hour-of-day over the last days, smoothed with the
  neighbouring hours (1/4, 1/2, 1/4). A regular weekly peak becomes part of
  the baseline once seen; one-off spikes never do. Each slot is shrunk
  towards the same hour of the same kind of day (weekdays, weekend) pooled
  over the weeks kept, the more the fewer posts it holds (n / (n + 100)):
  a quiet brand's slot of 3-4 hourly means of a few posts each scatters by a
  third, its pooled weekday hour by about an eighth.
* Short-term level: the ratio of EWMAs of capped counts and of S, shrunk to 1
  by a pseudo-count of one bucket at the brand's mean, not learned while any
  window is LEVEL_FREEZE (0.4) of the way to its alert (in bits). Expected
  E(t) = S(t) x level, never below expected_floor x the brand's running mean.
* Count model (monitoring/detection/counts.py): the bucket and the sums of the
  last half hour, hour and six hours are counts X with expected value M (the
  sum of E; of S alone for the six hours, which the short-term level would
  have absorbed). Per window the detector learns a slow calibration factor c
  (observed / expected, bounded to 1/2..2) and the over-dispersion alpha from
  the robust spread of its residuals in square-root space (Var sqrt X ~
  (1 + alpha M) / 4). A window fires when its surprise -log2 P(X' >= X), X' ~
  NegBin(mean cM, alpha), reaches the threshold, and X is at least min_ratio x
  cM and min_excess_mentions above it. The threshold is surprise_bits, or more
  where the brand's own daily maxima of the surprise (last peak_days days,
  capped at the threshold, fitted with a Gumbel distribution) reach it more
  often than once in false_alarm_days: the empirical calibration of a model
  that is never exact. Days that never came near the threshold are censored
  in that fit, not zeros. No absolute volume floor: the same settings serve a
  brand at 0.5 and at 500 mentions per bucket.
* CUSUM (cusum_shift, cusum_min_ratio): the log-likelihood ratio of each
  bucket's capped count under NB(shift x its mean) against NB(mean), summed
  and kept >= 0, fires like a window (surprise_bits and the Gumbel floor of
  its own daily maxima) when its run holds cusum_min_ratio x the expected
  posts, then restarts: a story that builds over hours. Its signal is a
  volume signal over the run; the level is not frozen by it.
* A zero bucket the model calls impossible (dozens expected) is treated as a
  gap: neither learned nor alerted on.
* Negative share: negatives of the last half hour against the brand's
  long-run share, the same surprise threshold and a minimum increase. The
  share swings from day to day, so the count is a beta-binomial (variance
  N p (1 - p) (1 + (N - 1) rho)) with rho learnt per brand from trimmed
  squared residuals (not from half hours LEVEL_FREEZE of the way to an
  alert), at least 0.01: on a big brand that swing, not the binomial's
  sampling noise, is what a normal day looks like.
  Velocity (off by default) compares the growth of the last few buckets with
  the growth the seasonal profile expects.
* Warm-up and cooldown are per brand: one alert, then quiet for
  cooldown_minutes (signals are still returned, with fires=False). Every
  window learns for warm_up_buckets before it may fire, also after a state of
  an older model was loaded (its seasonal profile is kept). An alert after an
  earlier one is marked realert (an open incident escalates on it).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from .counts import betabinomial_surprise, nb_log_pmf, nb_surprise
from .types import (
    BUCKET_MINUTES,
    BUCKET_SECONDS,
    NEGATIVE_SHARE,
    VELOCITY,
    VOLUME,
    Bucket,
    DetectorConfig,
    Signal,
)

# 2: the count model (per-window calibration and dispersion). States of
# version 1 load: the seasonal profile, level and negative share carry over,
# the windows learn again for a day.
# 3: the accumulating statistic (CUSUM) for stories that build over hours.
# States of version 2 load unchanged; their CUSUM learns for a day.
# 4: the negative-share test's over-dispersion (a beta-binomial whose rho the
# brand learns). States of version 1-3 load; the test learns a day before it
# alerts again.
STATE_VERSION = 4
COMPATIBLE_VERSIONS = (1, 2, 3, 4)
BUCKETS_PER_HOUR = 3600 // BUCKET_SECONDS
# Holes longer than this (one week) are not replayed bucket by bucket.
MAX_FILL_BUCKETS = 2016
_EPOCH_MONDAY = 4 * 24  # 1970-01-01 was a Thursday: hour-of-week offset
# Residuals beyond this many standard deviations are clipped before learning.
_CLIP_SD = 4.0
# ... and never below this multiple of its expected value (a legitimate weekly
# peak of a big, steady brand is learned, not cut).
CAP_RATIO = 4.0
# The short-term level is not learned while the most surprising window is this
# share of its threshold (in bits) or more: 0.4 of 16 bits is 1 in 85. Chosen
# among 0.2 / 0.3 / 0.4 / 0.5 on the leave-one-series-out worst fold and the
# synthetic suite (README: "Spike detection is a count model").
LEVEL_FREEZE = 0.4
# Days of daily peaks needed before they calibrate the threshold.
MIN_PEAK_DAYS = 5
_LN2 = math.log(2.0)
# A residual counts at most this many times the window's current mean absolute
# deviation when the dispersion learns (a trimmed estimate: storms must not
# become the brand's everyday spread). Chosen among 1.5 / 1.75 / 2 / 2.5 / 3 on
# the leave-one-series-out worst fold and the synthetic suite (README).
_DEV_CLIP = 2.0
# The negative-share test's squared residual counts at most this many squared
# standard deviations of the current model when its over-dispersion learns
# (trimmed like the volume windows' spread; README: "Synthetic sentiment").
_NEG_CLIP = 3.0
# The over-dispersion of the negative share is kept below this (rho 0.25: the
# share of a big window varies by half its own size).
_NEG_RHO_MAX = 0.25
# ... and above this (a share varying by about a tenth of itself from day to
# day; a week of half hours estimates rho only roughly). The lowest of 0 /
# 0.005 / 0.01 with at most one false alert per synthetic brand-month (README).
_NEG_RHO_MIN = 0.01
# The negative-count windows serve windows expecting fewer posts than this many
# times negative_min_volume (90 by default: a brand below about 7 posts a
# bucket in its half hour). 10 and 30 give the same synthetic table, 3 loses
# the 3-per-bucket brand's earlier catches; without the limit a big brand's
# negative day on a harmless bump (share x2, volume x1.5) alerts (1.07 per
# brand-month). README: "Synthetic sentiment".
_NEG_COUNT_POSTS = 10
# Below this z-score the exact tail is not computed (it is far below any threshold).
_PREFILTER_Z = 2.0
# sqrt(k + 3/8) (the variance-stabilised count) for the counts seen most.
_ROOTS_LEN = 4096
_ROOTS = [math.sqrt(k + 0.375) for k in range(_ROOTS_LEN)]
# The profile's hour-of-week slot is shrunk towards the same hour of the same
# kind of day (weekdays or weekend) pooled over the weeks kept, with weight
# n / (n + _POOL_POSTS), n the posts the slot's weeks hold at the pooled rate
# (a Poisson-gamma posterior mean: _POOL_POSTS is the prior's pseudo-posts).
# A brand at 500 a bucket keeps its own slot (weight 0.98 or more), one at 0.2
# leans on the pooled shape (weight about 0.13 on a weekday afternoon). The
# largest of 3 / 10 / 30 / 100 / 300 / 1000 with at most one false alert per
# brand-month on every synthetic brand, with and without sentiment (300 gives
# 1.07 on the 500-per-bucket brand; README: "A better low-volume profile").
_POOL_POSTS = 100.0
# Hour-of-week slots are counted from Sunday 00:00 (day 0); Saturday is day 6.
_WEEKEND = (0, 6)
_WEEKDAYS = (1, 2, 3, 4, 5)


def _alpha(halflife: float) -> float:
    return 1.0 - 0.5 ** (1.0 / max(halflife, 1e-9))


def _median(values):
    s = sorted(values)
    n = len(s)
    if n == 0:
        return None
    m = n // 2
    return float(s[m]) if n % 2 else (s[m - 1] + s[m]) / 2.0


def _index_to_dt(index: int) -> datetime:
    return datetime.fromtimestamp(index * BUCKET_SECONDS, tz=UTC)


def _smallest(test, lo: int, hi: int) -> int:
    """Smallest integer in [lo, hi] for which test holds (test(hi) must hold)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if test(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


class _DailyPeaks:
    """A score's maximum of the day so far, the maxima of the last peak_days days
    and the threshold fitted to them (``_peak_threshold``: derived, not saved)."""

    __slots__ = ("day_peak", "peaks", "thr")

    def __init__(self, day_peak: float | None = None, peaks: list | None = None):
        self.day_peak = day_peak
        self.peaks = list(peaks or [])
        self.thr = 0.0


class _Window(_DailyPeaks):
    """One volume window: its running sums, calibration, dispersion and daily
    maxima of the surprise. Attributes rather than a dict: the step reads a
    dozen of them per window for every bucket."""

    __slots__ = (
        "w",
        "broad",
        "n",
        "sx",
        "se",
        "ok",
        "cx",
        "cm",
        "dev",
        "m1",
        "alpha",
    )

    def __init__(self, w: int, broad: bool):
        super().__init__()
        self.w = w
        self.broad = broad
        self.n = 0  # buckets learned from
        # running sums over the window's non-gap buckets
        self.sx = 0
        self.se = 0.0
        self.ok = 0
        # calibration: EWMAs of the clipped observed and of the expected sum
        self.cx = None
        self.cm = None
        # dispersion: EWMAs of the absolute residual in square-root space
        # (clipped) and of the expected count
        self.dev = None
        self.m1 = None
        self.alpha = None  # (derived from dev and m1: not saved)


class _Cusum(_DailyPeaks):
    """The CUSUM of the log-likelihood ratio of a raised rate, and its current run."""

    __slots__ = ("n", "s", "len", "obs", "exp", "cap", "slope")

    def __init__(self) -> None:
        super().__init__()
        self.n = 0  # buckets learned from (it may alert after warm_up_buckets)
        self.s = 0.0  # the statistic, in nats
        # the current run (since the statistic was last 0): buckets, posts,
        # expected posts, capped posts and the sum of the per-post slopes
        self.len = 0
        self.obs = 0
        self.exp = 0.0
        self.cap = 0
        self.slope = 0.0


class StreamDetector:
    def __init__(self, config: DetectorConfig | None = None, state: dict | None = None):
        self.config = config or DetectorConfig()
        cfg = self.config
        self._seasonal_cache = (None, 0.0)
        # each hour's slot (_slot), until an hour of its hour-of-day closes
        self._slot_cache = {}
        # (derived from the settings, once: the step runs for every bucket)
        self._a_level = _alpha(cfg.level_halflife_buckets)
        self._a_disp = _alpha(cfg.dispersion_halflife_buckets)
        # a window's learning rate is 1 / (n + 2) until that drops below _a_disp
        # (from n = _a_disp_from on): the same rate without a division per bucket
        self._a_disp_from = _smallest(lambda n: 1.0 / (n + 2) < self._a_disp, 0, 2**62)
        self._a_mean = _alpha(288)
        self._a_neg = _alpha(cfg.negative_halflife_buckets)
        self._recent_max = self._recent_len()
        self._log_shift = math.log(cfg.cusum_shift) if cfg.cusum_shift > 1.0 else 0.0
        # per window: (length, column of its counts, column of its expected
        # value, where the bucket leaving it is in self.recent)
        self._layout = [
            (w, 0 if w == 1 else 3, 2 if broad else 1, -w - 1) for w, broad in self._scales()
        ]
        if state:
            if state.get("version") not in COMPATIBLE_VERSIONS:
                raise ValueError("incompatible detector state version")
            self._load(state)
        else:
            self._reset()

    # ------------------------------------------------------------------ state
    def _reset(self):
        self._slot_cache = {}
        self.last_index = None  # index of the last bucket processed
        self.learned = 0  # non-gap buckets learned from (since last re-warm)
        self.cooldown_until = None  # bucket index from which alerts may fire again
        # seasonal profile
        self.hour = None  # hour index currently being accumulated
        self.hour_values = []  # non-gap counts of the current hour
        self.week_slots = {}  # hour-of-week -> recent hourly levels (oldest first)
        self.day_slots = {}  # hour-of-day -> recent hourly levels
        self.mean = None  # running EWMA of counts (before any hour completed, and the floor)
        # short-term level: EWMAs of the (capped) counts and of the profile;
        # their ratio scales the profile (1 until learned)
        self.level_x = None
        self.level_s = None
        # per volume window: running sums, calibration, dispersion and daily
        # maxima of the surprise (how spiky this brand normally is)
        self.scales = [self._new_scale(w, broad) for w, broad in self._scales()]
        for sc in self.scales:
            sc.alpha = self._estimate_dispersion(sc)
        self.vel = _DailyPeaks()
        self.cusum = _Cusum()
        self.peak_day = None
        # recent buckets: [count or None (gap), expected, seasonal, capped count]
        self.recent = []
        # negative share
        self.neg_recent = []  # [count, negative] or None (gap)
        self.neg_counts = []  # negatives of the last buckets (None: a gap)
        self._neg_sums()  # (its running sums: derived, not saved)
        self.neg_ewma = 0.0
        self.cnt_ewma = 0.0
        self.neg_disp = self._new_neg_disp()
        self._neg_rho = _NEG_RHO_MIN

    @staticmethod
    def _new_neg_disp() -> dict:
        # the negative share's over-dispersion: buckets seen (it alerts after
        # warm_up_buckets), half hours learned from, and EWMAs
        # of the squared residual beyond the binomial's variance and of what a
        # rho of 1 would add to it (their ratio is rho; derived, not saved)
        return {"n": 0, "m": 0, "d": 0.0, "v": 0.0}

    _SCALE_KEYS = ("w", "broad", "n", "sx", "se", "ok", "cx", "cm", "dev", "m1")

    def to_state(self) -> dict:
        return {
            "version": STATE_VERSION,
            "last_index": self.last_index,
            "learned": self.learned,
            "cooldown_until": self.cooldown_until,
            "hour": self.hour,
            "hour_values": list(self.hour_values),
            "week_slots": {str(k): list(v) for k, v in self.week_slots.items()},
            "day_slots": {str(k): list(v) for k, v in self.day_slots.items()},
            "mean": self.mean,
            "level_x": self.level_x,
            "level_s": self.level_s,
            "scales": [
                {
                    **{k: getattr(sc, k) for k in self._SCALE_KEYS},
                    "day_peak": sc.day_peak,
                    "peaks": list(sc.peaks),
                }
                for sc in self.scales
            ],
            "recent": [list(r) for r in self.recent],
            "neg_recent": [list(r) if r is not None else None for r in self.neg_recent],
            "neg_counts": list(self.neg_counts),
            "neg_ewma": self.neg_ewma,
            "cnt_ewma": self.cnt_ewma,
            "neg_disp": dict(self.neg_disp),
            "peak_day": self.peak_day,
            "vel": {"day_peak": self.vel.day_peak, "peaks": list(self.vel.peaks)},
            "cusum": {
                **{k: getattr(self.cusum, k) for k in self._CUSUM_KEYS},
                "day_peak": self.cusum.day_peak,
                "peaks": list(self.cusum.peaks),
            },
        }

    def _load(self, s: dict):
        self._slot_cache = {}
        self.last_index = s["last_index"]
        self.learned = s["learned"]
        self.cooldown_until = s["cooldown_until"]
        self.hour = s["hour"]
        self.hour_values = list(s["hour_values"])
        self.week_slots = {int(k): list(v) for k, v in s["week_slots"].items()}
        self.day_slots = {int(k): list(v) for k, v in s["day_slots"].items()}
        self.mean = s["mean"]
        # (a version-1 state kept a log level instead: it starts again at 1)
        self.level_x = s.get("level_x")
        self.level_s = s.get("level_s")
        # recent buckets saved as [count, expected] get their seasonal part
        # recent buckets saved as [count, expected] get their seasonal part, and
        # those saved without one their capped count (the count itself)
        self.recent = [list(r) if len(r) > 2 else [*r, r[1]] for r in s["recent"]]
        self.recent = [r if len(r) > 3 else [*r, r[0]] for r in self.recent]
        # Windows are matched by (length, broad), so a brand's settings may add,
        # drop or resize them: kept ones continue, new ones learn for a day
        # before they may fire. Windows of a version-1 state (square-root
        # spreads, no count model) are all new: only the profile carries over.
        by_key = {}
        if s["version"] >= 2:
            by_key = {(sc["w"], sc["broad"]): sc for sc in s["scales"]}
        self.scales = []
        for key in self._scales():
            old = by_key.get(key)
            if old is not None:
                sc = _Window(*key)
                for k in self._SCALE_KEYS:
                    setattr(sc, k, old[k])
                sc.day_peak = old["day_peak"]
                sc.peaks = list(old["peaks"])
            else:
                sc = self._new_scale(*key)
                self._fill_sums(sc)
            self.scales.append(sc)
        self.neg_recent = [list(r) if r is not None else None for r in s["neg_recent"]]
        # (a state before version 4 kept only the half hour's [count, negative])
        self.neg_counts = list(
            s.get("neg_counts", [r[1] if r is not None else None for r in self.neg_recent])
        )
        self._neg_sums()
        self.neg_ewma = s["neg_ewma"]
        self.cnt_ewma = s["cnt_ewma"]
        # (a state before version 4: the negative-share test learns its
        # over-dispersion for a day before it alerts)
        self.neg_disp = self._new_neg_disp()
        self.neg_disp.update(s.get("neg_disp") or {})
        self._neg_rho = self._estimate_neg_rho()
        self.peak_day = s["peak_day"]
        self.vel = _DailyPeaks(s["vel"]["day_peak"], s["vel"]["peaks"])
        # (a state without the CUSUM, version 1 or 2: it starts and learns a day)
        old = s.get("cusum")
        self.cusum = _Cusum()
        if old is not None:
            for k in self._CUSUM_KEYS:
                setattr(self.cusum, k, old[k])
            self.cusum.day_peak = old["day_peak"]
            self.cusum.peaks = list(old["peaks"])
        self.cusum.thr = self._peak_threshold(self.cusum.peaks)
        for sc in self.scales:
            sc.thr = self._peak_threshold(sc.peaks)
            sc.alpha = self._estimate_dispersion(sc)  # (derived, not saved)
        self.vel.thr = self._peak_threshold(self.vel.peaks, censored=False)

    _CUSUM_KEYS = ("n", "s", "len", "obs", "exp", "cap", "slope")

    @staticmethod
    def _new_scale(w: int, broad: bool) -> _Window:
        return _Window(w, broad)

    def _fill_sums(self, sc):
        """Running sums of a new window from the recent buckets already kept."""
        col = 2 if sc.broad else 1
        window = [r for r in self.recent[-sc.w :] if r[0] is not None]
        sc.sx = sum(r[0 if sc.w == 1 else 3] for r in window)
        sc.se = float(sum(r[col] for r in window))
        sc.ok = len(window)

    def _scales(self) -> list[tuple[int, bool]]:
        """(length, broad) of each volume window: the bucket, the last hour, and
        (if broad_buckets > 1) the last hours against the seasonal profile alone."""
        cfg = self.config
        scales = [(1, False)]
        for w in (cfg.short_buckets, cfg.sustained_buckets):
            if w > 1 and (w, False) not in scales:
                scales.append((w, False))
        if cfg.broad_buckets > 1:
            scales.append((cfg.broad_buckets, True))
        return scales

    def _recent_len(self):
        cfg = self.config
        return max(
            cfg.velocity_recent_buckets + cfg.velocity_previous_buckets,
            cfg.short_buckets,
            cfg.sustained_buckets,
            cfg.broad_buckets,
            1,
        )

    # ------------------------------------------------------------- public API
    def update(self, bucket: Bucket) -> list[Signal]:
        """Feed the next complete bucket; returns the signals above threshold.

        Buckets must come in time order. Missing buckets since the previous
        update are treated as zero-count buckets. A bucket at or before the last
        one processed is ignored (returns [] and leaves the state unchanged).
        """
        start = bucket.start
        if start.tzinfo is None:
            raise ValueError("Bucket.start must be timezone-aware (UTC)")
        # (_bucket_index, inline: this runs for every bucket)
        index = int(start.timestamp()) // BUCKET_SECONDS
        last = self.last_index
        if last is not None and index != last + 1:
            if index <= last:
                return []
            # a long silence is replayed for at most a week of zero buckets;
            # beyond that the detector simply jumps ahead
            start = max(self.last_index + 1, index - MAX_FILL_BUCKETS)
            for i in range(start, index):
                self._step(i, 0, 0, False)
        return self._step(index, bucket.count, bucket.negative, bucket.gap)

    # -------------------------------------------------------------- internals
    def _slot(self, hour: int):
        """The profile's level for one hour (cached: the next hours' profiles
        read it again)."""
        cache = self._slot_cache
        if hour in cache:
            return cache[hour]
        value = cache[hour] = self._slot_level(hour)
        return value

    def _slot_level(self, hour: int):
        """The median of the same hour-of-week over the last weeks and, as one
        more vote, of the same hour-of-day, shrunk towards that hour of the same
        kind of day by how few posts the slot's weeks hold (``_POOL_POSTS``)."""
        how = (hour + _EPOCH_MONDAY) % 168
        week = self.week_slots.get(how, ())
        votes = list(week)
        day = _median(self.day_slots.get(hour % 24, ()))
        if day is not None:
            votes.append(day)
        raw = _median(votes)
        if raw is None or not week:
            return raw
        pooled = self._pooled(how)
        n = BUCKETS_PER_HOUR * len(week) * pooled
        if n <= 0.0:
            return raw
        w = n / (n + _POOL_POSTS)
        return w * raw + (1.0 - w) * pooled

    def _pooled(self, how: int) -> float:
        """The mean hourly level of this hour of the day over the weekdays (or
        the weekend days) of the weeks kept (its own slot included)."""
        hod = how % 24
        slots = self.week_slots
        total, count = 0.0, 0
        for d in _WEEKEND if how // 24 in _WEEKEND else _WEEKDAYS:
            levels = slots.get(d * 24 + hod)
            if levels:
                total += sum(levels)
                count += len(levels)
        return total / count

    def _seasonal(self, index: int) -> float:
        hour = index // BUCKETS_PER_HOUR
        cached_hour, value = self._seasonal_cache
        if cached_hour == hour:
            return value
        centre = self._slot(hour)
        if centre is None:
            return self.mean if self.mean is not None else 0.0
        # smoothed with the neighbouring hours (1/4, 1/2, 1/4): a brand with a
        # few mentions an hour has a noisy profile hour by hour
        total, weight = 0.5 * centre, 0.5
        for neighbour in (hour - 1, hour + 1):
            level = self._slot(neighbour)
            if level is not None:
                total += 0.25 * level
                weight += 0.25
        value = total / weight
        # (the profile only changes when an hour closes: cache it for the hour)
        self._seasonal_cache = (hour, value)
        return value

    def _flush_hour(self, new_hour):
        """Close the hour being accumulated and store its robust level."""
        cfg = self.config
        if self.hour is not None and len(self.hour_values) >= BUCKETS_PER_HOUR // 2:
            # the hour's mean of capped counts: a spike counts only up to its
            # bucket's ceiling, so it is not learned as normal
            level = sum(self.hour_values) / len(self.hour_values)
            w = self.week_slots.setdefault((self.hour + _EPOCH_MONDAY) % 168, [])
            w.append(level)
            del w[: max(0, len(w) - cfg.seasonal_weeks)]
            d = self.day_slots.setdefault(self.hour % 24, [])
            d.append(level)
            del d[: max(0, len(d) - cfg.daily_days)]
        # (the slots of this hour of the day have changed; hours past are not read)
        hod = self.hour % 24 if self.hour is not None else None
        self._slot_cache = {
            h: v for h, v in self._slot_cache.items() if h >= new_hour - 1 and h % 24 != hod
        }
        self.hour = new_hour
        self.hour_values = []
        self._seasonal_cache = (None, 0.0)

    def _slide(self, entry):
        """Append a bucket to the recent window and move every running sum."""
        recent = self.recent
        recent.append(entry)
        size = len(recent)
        for sc in self.scales:
            w = sc.w
            col = 2 if sc.broad else 1
            xcol = 0 if w == 1 else 3
            if entry[0] is not None:
                sc.sx += entry[xcol]
                sc.se += entry[col]
                sc.ok += 1
            if size > w:
                old = recent[-w - 1]
                if old[0] is not None:
                    sc.sx -= old[xcol]
                    sc.se -= old[col]
                    sc.ok -= 1
            if sc.ok == 0:
                sc.se = 0.0  # (no float residue in an empty window)
        excess = len(recent) - self._recent_max
        if excess > 0:
            del recent[:excess]

    def _level_ratio(self) -> float:
        """Recent counts over the recent profile, shrunk towards 1 by a pseudo-count
        of one bucket at the brand's mean (a quiet brand's few posts are noisy),
        and kept within 1/4 to 4."""
        if self.level_x is None:
            return 1.0
        k = max(self.mean or 0.0, 1e-3)
        return min(4.0, max(0.25, (self.level_x + k) / (self.level_s + k)))

    def _estimate_dispersion(self, sc) -> float:
        cfg = self.config
        if sc.dev is None or sc.m1 <= 0:
            return max(cfg.dispersion_prior, cfg.dispersion_min)
        # Var(sqrt X) ~ (1 + alpha * M) / 4 for a negative binomial; the robust
        # spread (1.25 x mean absolute deviation) keeps the brand's rare big
        # spikes out of its everyday dispersion (the daily-peak calibration
        # deals with those)
        spread = 1.25 * sc.dev
        return max(cfg.dispersion_min, (4.0 * spread * spread - 1.0) / sc.m1)

    def _step(self, index: int, count: int, negative: int, gap: bool) -> list[Signal]:
        # (this runs for every bucket of every brand: one pass over the windows
        # that moves their sums, tests and learns, with the settings in locals)
        cfg = self.config
        hour = index // BUCKETS_PER_HOUR
        if hour != self.hour:
            self._flush_hour(hour)
        self.last_index = index
        x = int(count)
        if x < 0:
            x = 0
        neg = int(negative)
        neg = 0 if neg < 0 else x if neg > x else neg

        cached_hour, seasonal = self._seasonal_cache
        if cached_hour != hour:
            seasonal = self._seasonal(index)
        brand_mean = self.mean
        floor = cfg.expected_floor * brand_mean if brand_mean is not None else 0.0
        # (the short-term level, _level_ratio inline)
        level_x = self.level_x
        if level_x is not None:
            k = brand_mean if brand_mean and brand_mean > 1e-3 else 1e-3
            ratio = (level_x + k) / (self.level_s + k)
            expected = seasonal * (4.0 if ratio > 4.0 else 0.25 if ratio < 0.25 else ratio)
        else:
            expected = seasonal
        if expected < floor:
            expected = floor
        if seasonal < floor:
            seasonal = floor

        # Windows longer than a bucket count each bucket at most up to its own
        # ceiling (expected + cap_sd standard deviations of the bucket's count
        # model), so one spike does not look like a sustained rise; the
        # bucket's own test sees the spike in full.
        scales = self.scales
        disp0 = scales[0].alpha
        sd = math.sqrt(expected + disp0 * expected * expected)
        cap = expected + cfg.cap_sd * sd
        if cap < CAP_RATIO * expected:
            cap = CAP_RATIO * expected
        capped = math.floor(cap) + 1
        if x < capped:
            capped = x
        # A silence the count model calls impossible (no post at all where
        # dozens were expected) is a hole in the data, not news: it is neither
        # learned nor alerted on, like a flagged gap.
        if x == 0 and not gap and self.learned >= cfg.warm_up_buckets:
            gap = nb_log_pmf(0, max(expected, 1e-9), disp0) < -cfg.surprise_bits * _LN2
        if gap:
            self._slide_negative(None)
            if self.neg_ewma > 0.0:
                self._slide_counts(None)
            self._slide([None, expected, seasonal, capped])
            return []
        # (_slide_negative, inline)
        neg_recent = self.neg_recent
        neg_recent.append((x, neg))
        self._neg_n += x
        self._neg_k += neg
        self._neg_ok += 1
        while len(neg_recent) > cfg.negative_window_buckets:
            old = neg_recent.pop(0)
            if old is not None:
                self._neg_n -= old[0]
                self._neg_k -= old[1]
                self._neg_ok -= 1
        entry = [x, expected, seasonal, capped]
        recent = self.recent
        recent.append(entry)
        size = len(recent)

        if index // 288 != self.peak_day:
            self._roll_day(index)
        at = None
        signals = []
        warm_up = cfg.warm_up_buckets
        warm = self.learned >= warm_up
        can_fire = warm and (self.cooldown_until is None or index >= self.cooldown_until)

        # ---- volume: the bucket, the half hour, the hour, the six hours as counts
        best, best_ready = None, False
        mean0, disp_b = None, None
        # how close the most surprising window came to its threshold
        alarm = 0.0
        base_bits = cfg.surprise_bits
        a_min = self._a_disp
        a_min_from = self._a_disp_from
        d_min = cfg.dispersion_min
        sqrt = math.sqrt
        roots = _ROOTS
        # (everything a window reads more than once is read into a local once:
        # this loop is most of the detector's time)
        for sc, (w, xcol, col, back) in zip(scales, self._layout, strict=True):
            # move the window's running sums
            n = sc.ok + 1
            obs = sc.sx + entry[xcol]
            raw_sum = sc.se + entry[col]
            if size > w:
                old = recent[back]
                if old[0] is not None:
                    obs -= old[xcol]
                    raw_sum -= old[col]
                    n -= 1
            sc.sx = obs
            sc.se = raw_sum
            sc.ok = n
            if n * 2 < w:
                continue
            raw = raw_sum if raw_sum >= 1e-6 else 1e-6
            # (a bias correction, bounded: never more than a factor of two)
            cm = sc.cm
            cx = sc.cx
            if cm:
                calib = cx / cm
                calib = 2.0 if calib > 2.0 else 0.5 if calib < 0.5 else calib
                mean = raw * calib
            else:
                mean = raw
            disp = sc.alpha
            if w == 1:
                mean0, disp_b = mean, disp
            learned_n = sc.n
            if obs <= mean:
                # (below its expected value: no test, and nothing to clip; sd > 0)
                clipped = float(obs)
                if learned_n >= warm_up and sc.day_peak is None:
                    sc.day_peak = 0.0
            else:
                sd = sqrt(mean + disp * mean * mean)
                if obs - mean >= _PREFILTER_Z * sd:
                    bits_threshold = sc.thr if sc.thr > base_bits else base_bits
                    day_peak = sc.day_peak
                    # P(X >= obs) >= P(X = obs): the surprise is at most the
                    # point's own. When that bound reaches neither LEVEL_FREEZE
                    # of the threshold nor the day's peak so far, the exact tail
                    # (up to 40 terms) would change nothing: it is not computed.
                    log_pmf = nb_log_pmf(obs, mean, disp)
                    upper = -log_pmf / _LN2
                    if upper / bits_threshold < LEVEL_FREEZE and (
                        learned_n < warm_up or (day_peak is not None and upper <= day_peak)
                    ):
                        pass
                    else:
                        bits, sig = self._test_window(
                            sc, obs, mean, disp, bits_threshold, index, n, log_pmf
                        )
                        if bits / bits_threshold > alarm:
                            alarm = bits / bits_threshold
                        # (capped at the threshold for the daily peaks: anomalies
                        # are not learned; daily peaks only once the window has
                        # learnt: the first day's surprises measure the model's
                        # start, not the brand)
                        if learned_n >= warm_up:
                            peak = bits if bits < bits_threshold else bits_threshold
                            if day_peak is None or peak > day_peak:
                                sc.day_peak = peak
                        if sig is not None:
                            at = at or sig.at
                            # a window new to this state learns for a day before
                            # it may alert (its signal is still returned, like one
                            # during the warm-up)
                            ready = learned_n >= warm_up
                            if best is None or (ready, sig.magnitude) > (
                                best_ready,
                                best.magnitude,
                            ):
                                best, best_ready = sig, ready
                elif learned_n >= warm_up and sc.day_peak is None:
                    # far below any threshold: nothing to compute or remember
                    sc.day_peak = 0.0
                clipped = mean + _CLIP_SD * sd
                if obs < clipped:
                    clipped = float(obs)

            # ---- learn the window's calibration and dispersion from clipped
            # residuals (a running mean at first, then an EWMA)
            a = a_min if learned_n >= a_min_from else 1.0 / (learned_n + 2)
            dev = roots[obs] if obs < _ROOTS_LEN else sqrt(obs + 0.375)
            dev -= sqrt(mean + 0.375)
            if dev < 0:
                dev = -dev
            if cx is None:
                sc.cx, sc.cm, sc.m1 = clipped, raw, mean
                m1 = mean
                prior = max(cfg.dispersion_prior, d_min)
                dev = sc.dev = sqrt((1.0 + prior * mean) / 4.0) / 1.25
            else:
                sc.cx = cx + a * (clipped - cx)
                sc.cm = cm + a * (raw - cm)
                m1 = sc.m1
                m1 = sc.m1 = m1 + a * (mean - m1)
                old_dev = sc.dev
                limit = _DEV_CLIP * old_dev
                dev = sc.dev = old_dev + a * ((dev if dev < limit else limit) - old_dev)
            sc.n = learned_n + 1
            # (the same as _estimate_dispersion, inline)
            spread = 1.25 * dev
            alpha = (4.0 * spread * spread - 1.0) / m1 if m1 > 0 else d_min
            sc.alpha = alpha if alpha > d_min else d_min
        excess = size - self._recent_max
        if excess > 0:
            del recent[:excess]
        # ---- the accumulating statistic: a story that builds over hours
        if cfg.cusum_shift > 1.0 and mean0 is not None:
            # (it does not freeze the short-term level: measured, feeding it to
            # LEVEL_FREEZE doubled the false alerts of high-volume brands)
            sig, ready = self._cusum_step(index, x, capped, mean0, disp_b)
            if sig is not None:
                at = at or sig.at
                if best is None or (ready, sig.magnitude) > (best_ready, best.magnitude):
                    best, best_ready = sig, ready
        if best is not None:
            signals.append(best)
        # (signals returned that may not alert yet: their statistic still learns)
        blocked = (best,) if best is not None and not best_ready else ()

        # ---- velocity: growth of the last buckets vs the hour before, relative
        # to the growth the seasonal profile expects (night -> morning is normal)
        vel_score = None
        if cfg.velocity_threshold > 0:
            vel_score, vel_signal = self._velocity(index, disp0)
            if vel_signal is not None:
                signals.append(vel_signal)

        # ---- negative share: negatives of the last half hour against a beta-binomial
        neg_high_share = None
        neg_bits = 0.0
        n_win = self._neg_n
        if (
            self.cnt_ewma > 0
            and n_win >= cfg.negative_min_volume
            and n_win >= 1
            # (the share must be up by negative_min_increase: most buckets stop here)
            and self._neg_k / n_win
            >= min(1.0, self.neg_ewma / self.cnt_ewma + cfg.negative_min_increase)
        ):
            neg_high_share, neg_signal, neg_bits = self._negative_share(index, n_win)
            if neg_signal is not None:
                at = at or neg_signal.at
                signals.append(neg_signal)
                # (its over-dispersion new to this state: it learns a day first)
                if self.neg_disp["n"] < warm_up:
                    blocked = (*blocked, neg_signal)
        # ---- negative posts of a small brand: counts against their expected value
        if self.neg_ewma > 0.0:
            self._slide_counts(neg)
            if neg_high_share is None and warm:
                neg_signal = self._negative_counts(index)
                if neg_signal is not None:
                    at = at or neg_signal.at
                    signals.append(neg_signal)
                    if self.neg_disp["n"] < warm_up:
                        blocked = (*blocked, neg_signal)

        if can_fire and signals and any(all(s is not b for b in blocked) for s in signals):
            realert = self.cooldown_until is not None
            signals = [
                s if any(s is b for b in blocked) else self._fired(s, realert) for s in signals
            ]
            self.cooldown_until = index + max(1, cfg.cooldown_minutes * 60 // BUCKET_SECONDS)

        # ---- learn (robustly) from this bucket: profile, level, negative share
        self.learned += 1
        self.hour_values.append(capped)
        self.mean = x if brand_mean is None else brand_mean + self._a_mean * (x - brand_mean)
        # level: no learning while a window is LEVEL_FREEZE of the way to its
        # alert (a crisis building up must not become the new normal)
        if alarm < LEVEL_FREEZE:
            a = self._a_level
            if self.level_x is None:
                self.level_x, self.level_s = float(capped), seasonal
            else:
                self.level_x += a * (capped - self.level_x)
                self.level_s += a * (seasonal - self.level_s)
        # during a negative-share anomaly learn at most the threshold
        if neg_high_share is not None:
            neg = min(neg, neg_high_share * x)
        self.neg_disp["n"] += 1
        # (its over-dispersion not from a half hour LEVEL_FREEZE of the way to
        # an alert: a crisis must not become the brand's day-to-day swing)
        if self.neg_ewma > 0.0 and n_win >= 2 and neg_bits < LEVEL_FREEZE * cfg.surprise_bits:
            self._learn_neg_disp(n_win)
        a = self._a_neg
        self.neg_ewma += a * (neg - self.neg_ewma)
        self.cnt_ewma += a * (x - self.cnt_ewma)
        if vel_score is not None:
            self._peak(self.vel, vel_score)
        return signals

    def _cusum_step(self, index, x, capped, mean, disp):
        """One bucket of the CUSUM: the log-likelihood ratio of the (capped) count
        under NB(shift x mean) against NB(mean), accumulated and kept >= 0. Its
        value in bits bounds the probability of such a run under the model (the
        likelihood ratio is a martingale: P(ever >= b bits) <= 2**-b). Returns
        (signal or None, ready to alert)."""
        cfg = self.config
        cu = self.cusum
        k = cfg.cusum_shift
        if disp < 1e-7:
            slope = self._log_shift
            intercept = mean * (1.0 - k)
        else:
            # log NB(x; k m) - log NB(x; m) = r L + x (log k + L), L = log((r + m) / (r + k m))
            r = 1.0 / disp
            log_ratio = math.log((r + mean) / (r + k * mean))
            slope = self._log_shift + log_ratio
            intercept = r * log_ratio
        s = cu.s + intercept + slope * capped
        learned_n = cu.n
        cu.n = learned_n + 1
        if s <= 0.0:
            if cu.len:
                cu.s, cu.len, cu.obs, cu.exp, cu.cap, cu.slope = (
                    0.0,
                    0,
                    0,
                    0.0,
                    0,
                    0.0,
                )
            if cu.day_peak is None and learned_n >= cfg.warm_up_buckets:
                cu.day_peak = 0.0
            return None, False
        cu.s = s
        cu.len += 1
        cu.obs += x
        cu.exp += mean
        cu.cap += capped
        cu.slope += slope
        bits = s / _LN2
        threshold = cu.thr if cu.thr > cfg.surprise_bits else cfg.surprise_bits
        if learned_n >= cfg.warm_up_buckets:
            peak = bits if bits < threshold else threshold
            if cu.day_peak is None or peak > cu.day_peak:
                cu.day_peak = peak
        if bits < threshold:
            return None, False
        n, expected, observed = cu.len, cu.exp, cu.obs
        need = max(cfg.cusum_min_ratio * expected, expected + cfg.min_excess_mentions)
        if observed < need:
            return None, False
        # the posts the run needed to reach the threshold (at its mean slope)
        mean_slope = cu.slope / n
        at_threshold = cu.cap - (s - threshold * _LN2) / mean_slope if mean_slope > 0 else need
        sig = self._signal(
            VOLUME,
            _index_to_dt(index),
            expected / n,
            max(need, min(at_threshold, observed)) / n,
            observed / n,
            window_minutes=n * BUCKET_MINUTES,
            buckets=n,
            surprise=bits,
        )
        # (restarted once it has crossed: a story still growing crosses again)
        cu.s, cu.len, cu.obs, cu.exp, cu.cap, cu.slope = 0.0, 0, 0, 0.0, 0, 0.0
        return sig, learned_n >= cfg.warm_up_buckets

    def _test_window(self, sc, obs, mean, disp, bits_threshold, index, n, log_pmf=None):
        """(surprise in bits, the window's signal or None) for an observation
        well above its expected value (log_pmf: its log P(X = obs), if known)."""
        bits = nb_surprise(obs, mean, disp, log_pmf)
        if bits < bits_threshold:
            return bits, None
        cfg = self.config
        ratio = cfg.broad_min_ratio if sc.broad else cfg.volume_min_ratio
        need = max(ratio * mean, mean + cfg.min_excess_mentions)
        if obs < need:
            return bits, None
        threshold = max(
            need,
            _smallest(
                lambda k: nb_surprise(k, mean, disp) >= bits_threshold,
                math.floor(mean),
                obs,
            ),
        )
        sig = self._signal(
            VOLUME,
            _index_to_dt(index),
            mean / n,
            threshold / n,
            obs / n,
            window_minutes=sc.w * BUCKET_MINUTES,
            buckets=n,
            surprise=bits,
        )
        return bits, sig

    def _negative_share(self, index, n_win):
        """(the share learned at most, the signal or None, the surprise in bits):
        negatives of the last half hour against a beta-binomial at the brand's
        long-run share, over-dispersed by its learnt day-to-day swing (rho)."""
        cfg = self.config
        base = self.neg_ewma / self.cnt_ewma
        k_neg = self._neg_k
        share = k_neg / n_win
        min_share = min(1.0, base + cfg.negative_min_increase)
        if share < min_share:
            return None, None, 0.0
        rho = self._neg_rho
        bits = betabinomial_surprise(k_neg, n_win, base, rho)
        if bits < cfg.surprise_bits:
            return None, None, bits
        k_thr = _smallest(
            lambda k: betabinomial_surprise(k, n_win, base, rho) >= cfg.surprise_bits,
            math.floor(n_win * base),
            k_neg,
        )
        share_threshold = max(min_share, k_thr / n_win)
        sig = self._signal(
            NEGATIVE_SHARE,
            _index_to_dt(index),
            base,
            share_threshold,
            share,
            window_minutes=cfg.negative_window_buckets * BUCKET_MINUTES,
            buckets=self._neg_ok,
            surprise=bits,
        )
        return share_threshold, sig, bits

    def _slide_counts(self, negative):
        counts = self.neg_counts
        counts.append(negative)
        excess = len(counts) - self._recent_max
        if excess > 0:
            del counts[:excess]

    def _negative_counts(self, index):
        """A small brand's negative posts over the half hour and the hour as a
        count: expected value the window's (calibrated) expected posts x the
        long-run share, over-dispersion the window's own plus the share's day
        -to-day swing (N ~ NB(M, alpha), K | N ~ BetaBinomial(N, p, rho) give
        K about NB(M p, alpha + rho (1 - p) / p)). Only where the window expects
        fewer than _NEG_COUNT_POSTS x negative_min_volume posts: above that the
        share test has the posts it needs. The most surprising window's signal
        at surprise_bits, or None."""
        cfg = self.config
        p = self.neg_ewma / self.cnt_ewma
        if p <= 0.0 or p >= 1.0:
            return None
        most = _NEG_COUNT_POSTS * cfg.negative_min_volume
        swing = self._neg_rho * (1.0 - p) / p
        counts = self.neg_counts
        best = None
        for sc in self.scales:
            w = sc.w
            if sc.broad or w not in (cfg.short_buckets, cfg.sustained_buckets) or w < 2:
                continue
            if sc.n < cfg.warm_up_buckets or sc.ok * 2 < w or not sc.cm:
                continue
            calib = sc.cx / sc.cm
            calib = 2.0 if calib > 2.0 else 0.5 if calib < 0.5 else calib
            posts = max(sc.se, 1e-6) * calib
            if posts >= most:
                continue
            mean = posts * p
            k = sum(c for c in counts[-w:] if c is not None)
            need = max(cfg.volume_min_ratio * mean, mean + cfg.min_excess_mentions)
            if k < need:
                continue
            disp = sc.alpha + swing
            bits = nb_surprise(k, mean, disp)
            if bits < cfg.surprise_bits or (best is not None and bits <= best.surprise):
                continue
            threshold = max(
                need,
                _smallest(
                    lambda j, m=mean, d=disp: nb_surprise(j, m, d) >= cfg.surprise_bits,
                    math.floor(mean),
                    k,
                ),
            )
            n = sc.ok
            best = self._signal(
                NEGATIVE_SHARE,
                _index_to_dt(index),
                mean / n,
                threshold / n,
                k / n,
                window_minutes=w * BUCKET_MINUTES,
                buckets=n,
                surprise=bits,
                negatives=True,
            )
        return best

    def _estimate_neg_rho(self) -> float:
        nd = self.neg_disp
        rho = nd["d"] / nd["v"] if nd["v"] > 0.0 else 0.0
        return _NEG_RHO_MIN if rho < _NEG_RHO_MIN else _NEG_RHO_MAX if rho > _NEG_RHO_MAX else rho

    def _learn_neg_disp(self, n_win):
        """Learn the negative share's over-dispersion from this half hour (method of
        moments, trimmed): E (K - N p)^2 = N p (1 - p) (1 + (N - 1) rho)."""
        base = self.neg_ewma / self.cnt_ewma
        if base >= 1.0:
            return
        var = n_win * base * (1.0 - base)
        resid = self._neg_k - n_win * base
        sq = resid * resid
        limit = _NEG_CLIP * _NEG_CLIP * var * (1.0 + (n_win - 1) * self._neg_rho)
        if sq > limit:
            sq = limit
        nd = self.neg_disp
        learned = nd["m"]
        nd["m"] = learned + 1
        # (a window's learning rate: a running mean, then dispersion_halflife_buckets)
        a = self._a_disp if learned >= self._a_disp_from else 1.0 / (learned + 2)
        nd["d"] += a * (sq - var - nd["d"])
        nd["v"] += a * (var * (n_win - 1) - nd["v"])
        self._neg_rho = self._estimate_neg_rho()

    def _slide_negative(self, entry):
        """Append (count, negative) or None (a gap) to the negative-share window."""
        nr = self.neg_recent
        nr.append(entry)
        if entry is not None:
            self._neg_n += entry[0]
            self._neg_k += entry[1]
            self._neg_ok += 1
        excess = len(nr) - self.config.negative_window_buckets
        if excess > 0:
            for old in nr[:excess]:
                if old is not None:
                    self._neg_n -= old[0]
                    self._neg_k -= old[1]
                    self._neg_ok -= 1
            del nr[:excess]

    def _neg_sums(self):
        window = [r for r in self.neg_recent if r is not None]
        self._neg_n = sum(r[0] for r in window)
        self._neg_k = sum(r[1] for r in window)
        self._neg_ok = len(window)

    def _velocity(self, index, disp0):
        cfg = self.config
        nr, npv = cfg.velocity_recent_buckets, cfg.velocity_previous_buckets
        vel = self.recent[-(nr + npv) :]
        if len(vel) < nr + npv or any(r[0] is None for r in vel) or nr < 1 or npv < 1:
            return None, None
        prev, rec = vel[:npv], vel[npv:]
        rec_sum = sum(r[0] for r in rec)
        growth = (rec_sum / nr + 1.0) / (sum(r[0] for r in prev) / npv + 1.0)
        exp_growth = (sum(r[1] for r in rec) / nr + 1.0) / (sum(r[1] for r in prev) / npv + 1.0)
        score = math.log(growth / exp_growth)
        log_threshold = max(math.log(cfg.velocity_threshold), self.vel.thr)
        v_threshold = exp_growth * math.exp(log_threshold)
        signal = None
        if growth >= v_threshold:
            # recent buckets against the previous hour's rate grown as expected
            mean = max(1e-6, nr * (sum(r[0] for r in prev) / npv) * exp_growth)
            bits = nb_surprise(rec_sum, mean, disp0)
            if bits >= cfg.surprise_bits and rec_sum >= mean + cfg.min_excess_mentions:
                signal = self._signal(
                    VELOCITY,
                    _index_to_dt(index),
                    exp_growth,
                    v_threshold,
                    growth,
                    window_minutes=nr * BUCKET_MINUTES,
                    buckets=nr,
                    surprise=bits,
                )
        return min(score, log_threshold), signal

    def _roll_day(self, index):
        """On a new day, remember each score's maximum of the day before (peak_days kept)."""
        day = index // 288
        if day == self.peak_day:
            return
        self.peak_day = day
        for sc in [*self.scales, self.vel, self.cusum]:
            if sc.day_peak is not None:
                sc.peaks.append(sc.day_peak)
                del sc.peaks[: max(0, len(sc.peaks) - self.config.peak_days)]
            sc.day_peak = None
            sc.thr = self._peak_threshold(sc.peaks, censored=sc is not self.vel)

    def _peak_threshold(self, peaks, censored: bool = True) -> float:
        """The level the daily maxima exceed once in false_alarm_days days (a
        Gumbel fit); nothing (the model's own surprise_bits) while fewer than
        MIN_PEAK_DAYS days are known.

        A window's daily maximum is recorded as 0 on a day it never came within
        _PREFILTER_Z standard deviations of its expected value: its true
        maximum is unknown, only low. Taken as 0 those days made the fitted
        spread, and so the yearly level, far too high on quiet brands (whose
        maxima are 0 one day and 9 bits the next), so with such days the
        Gumbel is fitted to the known maxima at their ranks in the whole sample
        (a probability-plot fit of a censored sample, Gringorten positions),
        and with fewer than three known maxima the brand is calmer than its
        model and the window keeps surprise_bits."""
        days = self.config.false_alarm_days
        n = len(peaks)
        if days <= 0 or n < MIN_PEAK_DAYS:
            return 0.0
        y_rare = -math.log(-math.log(1.0 - 1.0 / max(days, 1.0001)))
        if not censored or min(peaks) > 0:
            mu = sum(peaks) / n
            sd = math.sqrt(sum((p - mu) ** 2 for p in peaks) / (n - 1))
            beta = sd * math.sqrt(6.0) / math.pi
            return mu - 0.5772 * beta + beta * y_rare
        known = [
            (-math.log(-math.log((rank + 0.56) / (n + 0.12))), p)
            for rank, p in enumerate(sorted(peaks))
            if p > 0
        ]
        if len(known) < 3:
            return 0.0
        my = sum(y for y, _ in known) / len(known)
        mp = sum(p for _, p in known) / len(known)
        syy = sum((y - my) ** 2 for y, _ in known)
        beta = max(0.0, sum((y - my) * (p - mp) for y, p in known) / syy)
        return mp + beta * (y_rare - my)

    @staticmethod
    def _peak(sc: _DailyPeaks, z: float | None) -> None:
        if z is not None and (sc.day_peak is None or z > sc.day_peak):
            sc.day_peak = z

    @staticmethod
    def _signal(kind, at, baseline, threshold, observed, **extra) -> Signal:
        span = threshold - baseline
        magnitude = (observed - baseline) / span if span > 0 else float(observed > threshold) + 1.0
        return Signal(
            kind=kind,
            at=at,
            baseline=round(float(baseline), 6),
            threshold=round(float(threshold), 6),
            observed=float(observed),
            magnitude=round(float(magnitude), 6),
            fires=False,
            window_minutes=extra.get("window_minutes", BUCKET_MINUTES),
            buckets=extra.get("buckets", 1),
            surprise=round(float(extra.get("surprise", 0.0)), 3),
            negatives=extra.get("negatives", False),
        )

    @staticmethod
    def _fired(s: Signal, realert: bool) -> Signal:
        return Signal(
            s.kind,
            s.at,
            s.baseline,
            s.threshold,
            s.observed,
            s.magnitude,
            True,
            s.window_minutes,
            s.buckets,
            s.surprise,
            realert,
            s.negatives,
        )
