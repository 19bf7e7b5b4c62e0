"""Streaming spike detector for one brand's 5-minute mention buckets.

At time t it uses only buckets up to t. State is small (a few hundred numbers),
JSON-serialisable, and restoring it continues exactly as if never interrupted.

Model
-----
* Seasonal profile S(t): for each completed hour we store a robust hourly
  level (mean of the hour's buckets without its two largest, so a short spike
  is not learned). S(t) is the median of the same hour-of-week over the last
  weeks plus, as one extra vote, the median of the same hour-of-day over the
  last days. A regular weekly peak therefore becomes part of the baseline
  after it has been seen, while one-off spikes never are.
* Short-term level: an EWMA of log((x+1)/(S+1)) with clipped innovations
  follows slow trends (a slow ramp is absorbed, a step is not).
* Baseline E(t) = (S+1)*exp(level) - 1. Spread: EWMA of |sqrt(x) - sqrt(E)|
  (clipped), i.e. in variance-stabilised space for counts.
* Volume fires when x >= (sqrt(E) + k*sigma)^2, x >= min_ratio*E and
  x >= min_volume, where k is at least volume_threshold and at least
  peak_factor x the brand's usual daily peak z-score (75th percentile of the
  daily maxima over the last two weeks; z capped at the threshold before it is
  remembered): a brand that is spiky every day is not alerted on its
  everyday spikes. The same test runs on the last hour (trimmed of its two
  largest buckets) to catch sustained rises, and on the last six hours
  against the seasonal profile alone (broad_buckets): a story that builds over
  hours is absorbed by the short-term level, so that window skips it (its
  own threshold and minimum ratio, default 3x the seasonal volume).
  Velocity compares the growth of the last few buckets against the growth
  the seasonal profile expects. Negative share compares
  the share of negative mentions in the last half hour with its long-run
  share (binomial spread, minimum increase, minimum volume).
* Warm-up and cooldown are per brand: one alert, then quiet for
  cooldown_minutes (signals are still returned, with fires=False).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from .types import (
    BUCKET_SECONDS,
    NEGATIVE_SHARE,
    VELOCITY,
    VOLUME,
    Bucket,
    DetectorConfig,
    Signal,
)

STATE_VERSION = 1
BUCKETS_PER_HOUR = 3600 // BUCKET_SECONDS
# Holes longer than this (one week) are not replayed bucket by bucket.
MAX_FILL_BUCKETS = 2016
_EPOCH_MONDAY = 4 * 24  # 1970-01-01 was a Thursday: hour-of-week offset
_ANSCOMBE = 0.375


def _alpha(halflife: float) -> float:
    return 1.0 - 0.5 ** (1.0 / max(halflife, 1e-9))


def _median(values):
    s = sorted(values)
    n = len(s)
    if n == 0:
        return None
    m = n // 2
    return float(s[m]) if n % 2 else (s[m - 1] + s[m]) / 2.0


def _quantile(values, q):
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _bucket_index(start: datetime) -> int:
    if start.tzinfo is None:
        raise ValueError("Bucket.start must be timezone-aware (UTC)")
    return int(start.timestamp()) // BUCKET_SECONDS


def _index_to_dt(index: int) -> datetime:
    return datetime.fromtimestamp(index * BUCKET_SECONDS, tz=UTC)


class StreamDetector:
    def __init__(self, config: DetectorConfig | None = None, state: dict | None = None):
        self.config = config or DetectorConfig()
        if state:
            if state.get("version") != STATE_VERSION:
                raise ValueError("incompatible detector state version")
            self._load(state)
        else:
            self._reset()

    # ------------------------------------------------------------------ state
    def _reset(self):
        self.last_index = None  # index of the last bucket processed
        self.learned = 0  # non-gap buckets learned from (since last re-warm)
        self.cooldown_until = None  # bucket index from which alerts may fire again
        # seasonal profile
        self.hour = None  # hour index currently being accumulated
        self.hour_values = []  # non-gap counts of the current hour
        self.week_slots = {}  # hour-of-week -> recent hourly levels (oldest first)
        self.day_slots = {}  # hour-of-day -> recent hourly levels
        self.mean = None  # running EWMA of counts, used before any hour completed
        self.level = 0.0
        # per volume scale: robust spread and daily maxima of the z-score
        # (how spiky this brand normally is)
        self.scales = [self._new_scale(w, broad) for w, broad in self._scales()]
        self.vel = {"day_peak": None, "peaks": []}
        self.peak_day = None
        # recent buckets for velocity: [count or None (gap), expected]
        self.recent = []
        # negative share
        self.neg_recent = []  # [count, negative] or None (gap)
        self.neg_ewma = 0.0
        self.cnt_ewma = 0.0

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
            "level": self.level,
            "scales": [
                {
                    "spread": sc["spread"],
                    "day_peak": sc["day_peak"],
                    "peaks": list(sc["peaks"]),
                    "n": sc["n"],
                    "w": sc["w"],
                    "broad": sc["broad"],
                }
                for sc in self.scales
            ],
            "recent": [list(r) for r in self.recent],
            "neg_recent": [list(r) if r is not None else None for r in self.neg_recent],
            "neg_ewma": self.neg_ewma,
            "cnt_ewma": self.cnt_ewma,
            "peak_day": self.peak_day,
            "vel": {"day_peak": self.vel["day_peak"], "peaks": list(self.vel["peaks"])},
        }

    def _load(self, s: dict):
        self.last_index = s["last_index"]
        self.learned = s["learned"]
        self.cooldown_until = s["cooldown_until"]
        self.hour = s["hour"]
        self.hour_values = list(s["hour_values"])
        self.week_slots = {int(k): list(v) for k, v in s["week_slots"].items()}
        self.day_slots = {int(k): list(v) for k, v in s["day_slots"].items()}
        self.mean = s["mean"]
        self.level = s["level"]
        # Scales are matched by (length, broad), so a brand's settings may add,
        # drop or resize windows: kept ones continue, new ones learn their spread
        # before they may fire. States saved before scales carried these keys
        # held the windows in the current order.
        saved = s["scales"]
        if all("w" in sc for sc in saved):
            by_key = {(sc["w"], sc.get("broad", False)): sc for sc in saved}
        else:
            by_key = dict(zip(self._scales(), saved, strict=False))
        self.scales = []
        for key in self._scales():
            sc = self._new_scale(*key)
            old = by_key.get(key)
            if old is not None:
                sc.update(
                    spread=old["spread"],
                    day_peak=old["day_peak"],
                    peaks=list(old["peaks"]),
                    n=old.get("n", self.config.warm_up_buckets),
                )
            self.scales.append(sc)
        # recent buckets saved as [count, expected] get their seasonal part
        self.recent = [list(r) if len(r) > 2 else [*r, r[1]] for r in s["recent"]]
        self.neg_recent = [list(r) if r is not None else None for r in s["neg_recent"]]
        self.neg_ewma = s["neg_ewma"]
        self.cnt_ewma = s["cnt_ewma"]
        self.peak_day = s["peak_day"]
        self.vel = {"day_peak": s["vel"]["day_peak"], "peaks": list(s["vel"]["peaks"])}

    @staticmethod
    def _new_scale(w: int, broad: bool) -> dict:
        return {"spread": None, "day_peak": None, "peaks": [], "n": 0, "w": w, "broad": broad}

    def _scales(self) -> list[tuple[int, bool]]:
        """(length, broad) of each volume window: the bucket, the last hour, and
        (if broad_buckets > 1) the last hours against the seasonal profile alone."""
        cfg = self.config
        scales = [(1, False)]
        if cfg.sustained_buckets > 1:
            scales.append((cfg.sustained_buckets, False))
        if cfg.broad_buckets > 1:
            scales.append((cfg.broad_buckets, True))
        return scales

    def _recent_len(self):
        cfg = self.config
        return max(
            cfg.velocity_recent_buckets + cfg.velocity_previous_buckets,
            cfg.sustained_buckets,
            cfg.broad_buckets,
        )

    # ------------------------------------------------------------- public API
    def update(self, bucket: Bucket) -> list[Signal]:
        """Feed the next complete bucket; returns the signals above threshold.

        Buckets must come in time order. Missing buckets since the previous
        update are treated as zero-count buckets. A bucket at or before the last
        one processed is ignored (returns [] and leaves the state unchanged).
        """
        index = _bucket_index(bucket.start)
        if self.last_index is not None:
            if index <= self.last_index:
                return []
            # a long silence is replayed for at most a week of zero buckets;
            # beyond that the detector simply jumps ahead
            start = max(self.last_index + 1, index - MAX_FILL_BUCKETS)
            for i in range(start, index):
                self._step(i, 0, 0, False)
        return self._step(index, bucket.count, bucket.negative, bucket.gap)

    # -------------------------------------------------------------- internals
    def _seasonal(self, index: int) -> float:
        hour = index // BUCKETS_PER_HOUR
        votes = list(self.week_slots.get((hour + _EPOCH_MONDAY) % 168, ()))
        day = _median(self.day_slots.get(hour % 24, ()))
        if day is not None:
            votes.append(day)
        if votes:
            return _median(votes)
        return self.mean if self.mean is not None else 0.0

    def _flush_hour(self, new_hour):
        """Close the hour being accumulated and store its robust level."""
        cfg = self.config
        if self.hour is not None and len(self.hour_values) >= BUCKETS_PER_HOUR // 2:
            vals = sorted(self.hour_values)
            drop = 2 if len(vals) >= 8 else 1
            vals = vals[: len(vals) - drop]
            level = sum(vals) / len(vals)
            w = self.week_slots.setdefault((self.hour + _EPOCH_MONDAY) % 168, [])
            w.append(level)
            del w[: max(0, len(w) - cfg.seasonal_weeks)]
            d = self.day_slots.setdefault(self.hour % 24, [])
            d.append(level)
            del d[: max(0, len(d) - cfg.daily_days)]
        self.hour = new_hour
        self.hour_values = []

    def _step(self, index: int, count: int, negative: int, gap: bool) -> list[Signal]:
        cfg = self.config
        hour = index // BUCKETS_PER_HOUR
        if hour != self.hour:
            self._flush_hour(hour)
        self.last_index = index
        at = _index_to_dt(index)
        x = max(0, int(count))
        neg = min(max(0, int(negative)), x)

        seasonal = self._seasonal(index)
        expected = max(0.0, (seasonal + 1.0) * math.exp(self.level) - 1.0)

        # keep the windows used by velocity and negative share
        self.recent.append([None if gap else x, expected, seasonal])
        del self.recent[: max(0, len(self.recent) - self._recent_len())]
        self.neg_recent.append(None if gap else [x, neg])
        del self.neg_recent[: max(0, len(self.neg_recent) - cfg.negative_window_buckets)]

        if gap:
            return []

        signals = []
        warm = self.learned >= cfg.warm_up_buckets
        can_fire = warm and (self.cooldown_until is None or index >= self.cooldown_until)

        # ---- volume: the bucket itself, and the last `sustained_buckets`
        # together (a rise over an hour that no single bucket shows)
        scale_z = []
        best = None
        for k, sc in enumerate(self.scales):
            w, is_broad = sc["w"], sc["broad"]
            window = [r for r in self.recent[-w:] if r[0] is not None]
            if len(window) * 2 < w:
                scale_z.append(None)
                continue
            if k > 0:
                # trimmed: the largest buckets are left out, so one spike does
                # not make the hour look like a sustained rise
                window = sorted(window)[: max(1, len(window) - w // 6)]
            n = len(window)
            obs = float(sum(r[0] for r in window))
            # the broad window is measured against the seasonal profile alone:
            # the short-term level would have absorbed a rise lasting hours
            exp = float(sum(r[2 if is_broad else 1] for r in window))
            root_e = math.sqrt(exp + _ANSCOMBE)
            sigma = max(0.5, 1.25 * sc["spread"]) if sc["spread"] is not None else 0.5
            z = (math.sqrt(obs + _ANSCOMBE) - root_e) / sigma
            z_threshold = cfg.broad_threshold if is_broad else cfg.volume_threshold
            if sc["peaks"]:
                z_threshold = max(
                    z_threshold, cfg.peak_factor * _quantile(sc["peaks"], cfg.peak_quantile)
                )
            # (z capped at the threshold for the daily peaks: anomalies are not learned)
            scale_z.append((min(z, z_threshold), abs(math.sqrt(obs + _ANSCOMBE) - root_e)))
            threshold = max(
                (root_e + z_threshold * sigma) ** 2 - _ANSCOMBE,
                (cfg.broad_min_ratio if is_broad else cfg.volume_min_ratio) * exp,
                float(cfg.min_volume) * (n if k == 0 else cfg.sustained_min_volume_factor),
            )
            # a scale added to a saved state learns its spread before it may alert
            if obs >= threshold and (k == 0 or sc["n"] >= cfg.warm_up_buckets):
                # reported per 5-minute bucket (averaged over the window)
                sig = self._signal(VOLUME, at, exp / n, threshold / n, obs / n)
                if best is None or sig.magnitude > best.magnitude:
                    best = sig
        if best is not None:
            signals.append(best)

        # ---- velocity: growth of the last buckets vs the hour before, relative
        # to the growth the seasonal profile expects (night -> morning is normal)
        nr, npv = cfg.velocity_recent_buckets, cfg.velocity_previous_buckets
        vel = self.recent[-(nr + npv) :]
        vel_score = None
        if len(vel) == nr + npv and all(r[0] is not None for r in vel):
            prev, rec = vel[:npv], vel[npv:]
            rec_sum = sum(r[0] for r in rec)
            growth = (rec_sum / nr + 1.0) / (sum(r[0] for r in prev) / npv + 1.0)
            exp_growth = (sum(r[1] for r in rec) / nr + 1.0) / (sum(r[1] for r in prev) / npv + 1.0)
            vel_score = math.log(growth / exp_growth)
            log_threshold = math.log(cfg.velocity_threshold)
            if self.vel["peaks"]:
                log_threshold = max(
                    log_threshold, cfg.peak_factor * _quantile(self.vel["peaks"], cfg.peak_quantile)
                )
            vel_score = min(vel_score, log_threshold)
            v_threshold = exp_growth * math.exp(log_threshold)
            if rec_sum >= cfg.velocity_min_volume and growth >= v_threshold:
                signals.append(self._signal(VELOCITY, at, exp_growth, v_threshold, growth))

        # ---- negative share
        window = [r for r in self.neg_recent if r is not None]
        n_win = sum(r[0] for r in window)
        neg_high_share = None
        if self.cnt_ewma > 0 and n_win >= cfg.negative_min_volume:
            base = self.neg_ewma / self.cnt_ewma
            p = min(max(base, 0.02), 0.98)
            share_threshold = min(
                1.0,
                base
                + max(cfg.negative_min_increase, cfg.negative_z * math.sqrt(p * (1 - p) / n_win)),
            )
            share = sum(r[1] for r in window) / n_win
            if share >= share_threshold and share > base:
                signals.append(self._signal(NEGATIVE_SHARE, at, base, share_threshold, share))
                neg_high_share = share_threshold

        if can_fire and signals:
            signals = [self._fired(s) for s in signals]
            self.cooldown_until = index + max(1, cfg.cooldown_minutes * 60 // BUCKET_SECONDS)

        # ---- learn (robustly) from this bucket
        self._learn(x, neg, seasonal, expected, neg_high_share, scale_z)
        self._track_peaks(
            index,
            list(zip(self.scales, [zr and zr[0] for zr in scale_z], strict=True))
            + [(self.vel, vel_score)],
        )
        return signals

    def _learn(self, x, neg, seasonal, expected, neg_cap_share, scale_z):
        cfg = self.config
        self.learned += 1
        self.hour_values.append(x)
        self.mean = x if self.mean is None else self.mean + _alpha(288) * (x - self.mean)
        # level: clipped innovation, so a spike moves it by a bounded amount
        innov = math.log((x + 1.0) / (seasonal + 1.0)) - self.level
        innov = max(-1.0, min(1.0, innov))
        self.level += _alpha(cfg.level_halflife_buckets) * innov
        # spread in sqrt space per scale, outliers clipped at 3x the current spread
        a_s = _alpha(cfg.spread_halflife_buckets)
        for sc, zr in zip(self.scales, scale_z, strict=True):
            if zr is None:
                continue
            resid = zr[1]
            if sc["spread"] is None:
                sc["spread"] = max(resid, 0.4)
            else:
                sc["spread"] += a_s * (min(resid, 3.0 * sc["spread"]) - sc["spread"])
            sc["n"] += 1
        # negative share: during a negative-share anomaly learn at most the threshold
        if neg_cap_share is not None:
            neg = min(neg, neg_cap_share * x)
        a = _alpha(cfg.negative_halflife_buckets)
        self.neg_ewma += a * (neg - self.neg_ewma)
        self.cnt_ewma += a * (x - self.cnt_ewma)

    def _track_peaks(self, index, tracked):
        """Keep, per score, the daily maxima of the last peak_days days."""
        day = index // 288
        new_day = day != self.peak_day
        self.peak_day = day
        for sc, z in tracked:
            if new_day:
                if sc["day_peak"] is not None:
                    sc["peaks"].append(sc["day_peak"])
                    del sc["peaks"][: max(0, len(sc["peaks"]) - self.config.peak_days)]
                sc["day_peak"] = None
            if z is not None and (sc["day_peak"] is None or z > sc["day_peak"]):
                sc["day_peak"] = z

    @staticmethod
    def _signal(kind, at, baseline, threshold, observed) -> Signal:
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
        )

    @staticmethod
    def _fired(s: Signal) -> Signal:
        return Signal(s.kind, s.at, s.baseline, s.threshold, s.observed, s.magnitude, True)
