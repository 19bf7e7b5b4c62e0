"""Streaming spike detector: synthetic series with known answers.

Pure library tests (no database); the command test only needs settings.
"""

import csv
import json
import math
import os
import random
import tempfile
import unittest
import unittest.mock
from datetime import UTC, datetime, timedelta

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

from monitoring.detection import Bucket, DetectorConfig, StreamDetector
from monitoring.detection.counts import (
    betabinomial_surprise,
    binomial_surprise,
    nb_log_pmf,
    nb_surprise,
)
from monitoring.detection.evaluation import _bucket_start, _floor_bucket, _parse_ts, evaluate_file
from monitoring.detection.stream import STATE_VERSION

STEP = timedelta(minutes=5)
# A Friday, so that a "Monday" peak first shows after the one-day warm-up.
T0 = datetime(2024, 3, 1, tzinfo=UTC)
DAY = 288
WEEK = 7 * DAY


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def daily_rate(i, base):
    """Quiet nights, busy afternoons (UTC)."""
    hour = (i % DAY) / 12.0
    return base * (0.25 + 0.75 * (1 + math.sin(2 * math.pi * (hour - 9) / 24)) / 2)


def series(n, base=20.0, seed=1, rate=None):
    rng = random.Random(seed)
    rate = rate or (lambda i: daily_rate(i, base))
    return [poisson(rng, rate(i)) for i in range(n)]


def run(counts, config=None, negatives=None, gaps=(), detector=None):
    """Feed counts from T0; returns (detector, {index: [signals]})."""
    det = detector or StreamDetector(config)
    out = {}
    for i, c in enumerate(counts):
        b = Bucket(
            start=T0 + i * STEP,
            count=c,
            negative=negatives[i] if negatives else 0,
            gap=i in gaps,
        )
        sigs = det.update(b)
        if sigs:
            out[i] = sigs
    return det, out


def swinging_share(days, seed, rate=200.0):
    # a big brand whose share of negative posts swings from day to day
    # (15% on average, log-normal sd 0.3: most days 11-20%, a rare one 30%)
    rng = random.Random(seed)
    counts = series(days * DAY, base=rate, seed=seed)
    shares = [min(0.6, 0.15 * math.exp(rng.gauss(0.0, 0.3))) for _ in range(days)]
    shares[days - 3] = 0.3  # one day at twice the usual share
    negatives = [
        sum(rng.random() < shares[i // DAY] for _ in range(c)) for i, c in enumerate(counts)
    ]
    return counts, negatives


def fired(out, kind=None):
    return sorted(
        i
        for i, sigs in out.items()
        if any(s.fires and (kind is None or s.kind == kind) for s in sigs)
    )


class StepAndRampTests(unittest.TestCase):
    def test_step_up_fires_promptly(self):
        n_before = 4 * DAY
        counts = series(n_before + 60, seed=2)
        for i in range(n_before, len(counts)):
            counts[i] += 120  # step: roughly 6-10x the normal level
        _, out = run(counts)
        self.assertEqual(fired(out, "volume")[:1], [n_before])  # first bucket of the step
        self.assertEqual([i for i in fired(out) if i < n_before], [])  # nothing before it
        sig = next(s for s in out[n_before] if s.kind == "volume")
        self.assertTrue(sig.baseline < sig.threshold <= sig.observed)
        self.assertGreaterEqual(sig.magnitude, 1.0)

    def test_slow_ramp_does_not_fire(self):
        # level triples over four days (after a quiet first two days): a trend, not a crisis
        def rate(i):
            growth = 1.0 + 2.0 * max(0, i - 2 * DAY) / (4 * DAY)
            return daily_rate(i, 20.0) * min(growth, 3.0)

        _, out = run(series(7 * DAY, seed=3, rate=rate))
        self.assertEqual(fired(out), [])

    def test_story_building_over_hours_fires(self):
        # volume climbs to 4x over three hours and stays there for six: the
        # longer windows (30 minutes, an hour, six hours against the seasonal
        # profile alone) see it as a count far above what is expected
        start = 4 * DAY + 8 * 12  # 08:00 UTC on day five

        def rate(i):
            r = daily_rate(i, 20.0)
            j = i - start
            if j < 0 or j >= 36 + 72:
                return r
            return r * (1 + 3.0 * min(j, 36) / 36)

        for seed in (1, 2, 3):
            counts = series(6 * DAY, seed=seed, rate=rate)
            _, out = run(counts)
            fires = fired(out, "volume")
            self.assertEqual(len(fires), 1, fires)
            self.assertTrue(start + 6 <= fires[0] <= start + 36, fires[0] - start)
            signal = next(s for s in out[fires[0]] if s.kind == "volume")
            self.assertGreater(signal.window_minutes, 5)  # a window, not one bucket
            self.assertGreaterEqual(signal.observed, 1.5 * signal.baseline)
            self.assertGreaterEqual(signal.surprise, DetectorConfig().surprise_bits)
            self.assertLess(signal.probability, 2**-15)


class CusumTests(unittest.TestCase):
    """The accumulating statistic: a story that builds over hours."""

    def test_ramp_is_caught_earlier_than_by_the_windows_alone(self):
        from monitoring.detection import synthetic

        brand = next(b for b in synthetic.brands() if b.name == "low 3/bucket, ramp")
        with_cusum = synthetic.run_brand(brand)
        without = synthetic.run_brand(brand, DetectorConfig(cusum_shift=0.0))
        self.assertTrue(with_cusum["detected"] and without["detected"])
        self.assertLess(with_cusum["delay_minutes"], without["delay_minutes"])
        self.assertLessEqual(with_cusum["delay_minutes"], 30)
        self.assertLessEqual(with_cusum["false_per_month"], 1.0)

    def test_cusum_signal_explains_its_run(self):
        # a rise to 2.5x from 08:00 on day five of a 3-per-bucket brand
        start = 4 * DAY + 8 * 12

        def rate(i):
            r = daily_rate(i, 3.0)
            return r * 2.5 if start <= i < start + 72 else r

        counts = series(6 * DAY, seed=5, rate=rate)
        det, out = run(counts)
        # the CUSUM signal is a volume signal over its run (since it was last 0)
        hits = [
            s
            for i in range(start, start + 72)
            for s in out.get(i, [])
            if s.kind == "volume" and s.window_minutes not in (5, 30, 60, 360)
        ]
        self.assertTrue(hits)
        sig = hits[0]
        self.assertEqual(sig.window_minutes, 5 * sig.buckets)
        self.assertGreaterEqual(sig.observed, DetectorConfig().cusum_min_ratio * sig.baseline)
        self.assertGreaterEqual(sig.surprise, DetectorConfig().surprise_bits)
        self.assertTrue(sig.baseline < sig.threshold <= sig.observed)
        # restarted when it crossed
        self.assertLess(det.cusum.s / math.log(2), 1000)

    def test_off_means_off(self):
        det = StreamDetector(DetectorConfig(cusum_shift=0.0))
        for i, c in enumerate(series(2 * DAY, seed=4)):
            det.update(Bucket(T0 + i * STEP, c))
        self.assertEqual(det.cusum.n, 0)


class DispersionTests(unittest.TestCase):
    def test_a_storm_moves_the_learnt_spread_only_by_the_trimmed_amount(self):
        # the dispersion learns each window's residual clipped at _DEV_CLIP (2)
        # times its running mean absolute deviation: one storm bucket moves it
        # by at most rate x (2 - 1) x the deviation (with the old 3x: twice that)
        from monitoring.detection.stream import _DEV_CLIP

        counts = series(3 * DAY, seed=40)
        det, _ = run(counts)
        before = [(sc.dev, sc.n) for sc in det.scales]
        det.update(Bucket(T0 + len(counts) * STEP, 2000))
        rate_min = det._a_disp
        for sc, (dev, n) in zip(det.scales, before, strict=True):
            rate = max(1.0 / (n + 2), rate_min)
            self.assertLessEqual(sc.dev, dev + rate * (_DEV_CLIP - 1.0) * dev + 1e-12)
        # the bucket itself saw the storm: it moved by exactly the clipped amount
        dev, n = before[0]
        rate = max(1.0 / (n + 2), rate_min)
        self.assertAlmostEqual(det.scales[0].dev, dev + rate * (_DEV_CLIP - 1.0) * dev)
        self.assertEqual(_DEV_CLIP, 2.0)


class SeasonalityTests(unittest.TestCase):
    def test_weekly_peak_is_learned(self):
        # every Monday 10:00-12:00 UTC volume is five times normal
        def rate(i):
            t = T0 + i * STEP
            r = daily_rate(i, 20.0)
            return r * 5 if t.weekday() == 0 and 10 <= t.hour < 12 else r

        counts = series(5 * WEEK, seed=4, rate=rate)
        _, out = run(counts)
        first_monday = 3 * DAY  # 2024-03-04
        fires = fired(out)
        # the first time it is a genuine surprise...
        self.assertTrue(any(first_monday <= i < first_monday + DAY for i in fires), fires)
        # ...from the third week on it is part of the baseline
        self.assertEqual([i for i in fires if i >= first_monday + 2 * WEEK - DAY], [])

    def test_a_quiet_brands_profile_leans_on_the_pooled_hour_of_day(self):
        # a brand at 0.2 a bucket (busier weekends): its hour-of-week slots hold
        # a few posts each, the same hour over the weekdays five times as many;
        # a 500-a-bucket brand keeps its own slot (its Monday peak included)
        from monitoring.detection import stream

        def rate(i, base):
            t = T0 + i * STEP
            r = daily_rate(i, base) * (1.3 if t.weekday() >= 5 else 1.0)
            return r * 1.8 if t.weekday() == 0 and 10 <= t.hour < 12 else r

        def profile_error(det, base):
            # relative error of each weekday hour's slot of the week to come
            # against its true rate, and the slot of Monday 10:00
            first = det.hour + 1
            errors, monday = [], None
            for hour in range(first, first + 7 * 24):
                t = datetime.fromtimestamp(hour * 3600, tz=UTC)
                if t.weekday() >= 5:
                    continue
                true = sum(rate(hour * 12 + j - index0, base) for j in range(12)) / 12
                level = det._slot_level(hour)
                errors.append(abs(level / true - 1.0))
                if t.weekday() == 0 and t.hour == 10:
                    monday = level / true
            return sum(errors) / len(errors), monday

        index0 = int(T0.timestamp()) // 300
        for base in (0.2, 500.0):
            counts = series(4 * WEEK, seed=21, rate=lambda i, base=base: rate(i, base))
            det, _ = run(counts)
            pooled, monday = profile_error(det, base)
            with unittest.mock.patch.object(stream, "_POOL_POSTS", 0.0):
                own, own_monday = profile_error(det, base)
            if base < 1:
                self.assertLess(pooled, 0.8 * own, (pooled, own))
            else:
                self.assertLess(abs(pooled - own), 0.005, (pooled, own))
                self.assertGreater(monday, 0.97 * own_monday)

    def test_the_quietest_burst_is_caught_earlier_with_the_pooled_profile(self):
        # README, synthetic suite: 80 minutes with the hour-of-week slots alone
        from monitoring.detection import synthetic

        brand = next(b for b in synthetic.brands() if b.name == "low 0.2/bucket, burst")
        row = synthetic.run_brand(brand)
        self.assertTrue(row["detected"])
        self.assertLessEqual(row["delay_minutes"], 50)


class QuietingTests(unittest.TestCase):
    def test_gap_never_alerts_and_is_not_learned(self):
        n = 4 * DAY
        counts = series(n + 2 * DAY, seed=5)
        gap = set(range(n, n + 36))
        for i in gap:
            counts[i] = 500  # a failing source replaying junk, or anything else
        spike = n + DAY
        counts[spike] += 400
        _, out = run(counts, gaps=gap)
        self.assertTrue(all(i not in out for i in gap))
        self.assertEqual(
            fired(out), [spike]
        )  # nothing learned from the gap: the later spike still fires

    def test_quiet_brand_is_not_blind(self):
        # no absolute floor: on a brand with 0.3 mentions per bucket, 12 posts in
        # five minutes are news; 4 (fewer than min_excess_mentions above the
        # expected value) are not, however improbable
        counts = series(4 * DAY, base=0.3, seed=6)
        counts[3 * DAY] = 4
        counts[3 * DAY + 100] = 12
        _, out = run(counts)
        self.assertNotIn(3 * DAY, fired(out))
        self.assertEqual(fired(out), [3 * DAY + 100])
        signal = next(s for s in out[3 * DAY + 100] if s.fires)
        self.assertEqual((signal.window_minutes, signal.observed), (5, 12.0))
        self.assertLess(signal.baseline, 1.0)

    def test_same_settings_at_every_scale(self):
        # the same relative crisis (the hour runs at 5x) on brands 1000x apart
        # in volume fires with the default settings, and normal days do not
        for base in (1.0, 10.0, 100.0, 1000.0):
            start = 3 * DAY + 14 * 12

            def rate(i, base=base, start=start):
                r = daily_rate(i, base)
                return r * 5 if start <= i < start + 12 else r

            _, out = run(series(4 * DAY, seed=16, rate=rate))
            fires = fired(out)
            self.assertEqual(len(fires), 1, (base, fires))
            self.assertTrue(start <= fires[0] < start + 12, (base, fires[0] - start))

    def test_cooldown(self):
        counts = series(6 * DAY, seed=7)
        first = 5 * DAY + 6 * 12  # 06:00
        second = first + 2 * 12  # 08:00, inside the 12 h cooldown
        third = first + 13 * 12  # 19:00, after it
        for i in (first, second, third):
            counts[i] += 400
        _, out = run(counts)
        self.assertEqual(fired(out), [first, third])
        self.assertIn(second, out)  # still reported, so it can join the open incident
        self.assertFalse(any(s.fires for s in out[second]))

    def test_warm_up_does_not_fire(self):
        counts = series(2 * DAY, seed=8)
        counts[100] += 400
        counts[DAY + 100] += 400
        _, out = run(counts)
        self.assertIn(100, out)
        self.assertFalse(any(s.fires for s in out[100]))
        self.assertEqual(fired(out), [DAY + 100])


class NegativeShareTests(unittest.TestCase):
    def test_negative_share_spike_with_flat_volume(self):
        rng = random.Random(9)
        n = 4 * DAY
        counts = [poisson(rng, 40) for _ in range(n + 24)]
        negatives = [sum(rng.random() < 0.1 for _ in range(c)) for c in counts]
        for i in range(n, n + 24):  # half of all mentions turn negative; volume unchanged
            negatives[i] = sum(rng.random() < 0.55 for _ in range(counts[i]))
        _, out = run(counts, negatives=negatives)
        fires = fired(out)
        self.assertTrue(fires and n <= fires[0] <= n + 6, fires)
        self.assertEqual(fired(out, "negative_share")[:1], fires[:1])
        self.assertEqual(fired(out, "volume"), [])
        sig = next(s for s in out[fires[0]] if s.kind == "negative_share")
        self.assertLess(sig.baseline, 0.2)
        self.assertGreater(sig.observed, sig.threshold)

    def test_negative_share_allows_for_its_day_to_day_swing(self):
        counts, negatives = swinging_share(21, seed=41)
        det, out = run(counts, negatives=negatives)
        # the learnt over-dispersion is that of the swing (rho about 0.016) ...
        self.assertGreater(det._neg_rho, 0.008)
        self.assertLess(det._neg_rho, 0.04)
        # ... so a day at twice the usual share is no crisis, where the binomial
        # (rho 0) would take every half hour of it for one
        self.assertEqual(fired(out, "negative_share"), [])
        n = (21 - 3) * DAY + 150
        k, total = sum(negatives[n - 6 : n]), sum(counts[n - 6 : n])
        base = det.neg_ewma / det.cnt_ewma
        self.assertGreater(binomial_surprise(k, total, base), 30.0)
        self.assertLess(betabinomial_surprise(k, total, base, det._neg_rho), 16.0)
        state = det.to_state()
        self.assertEqual(state["version"], STATE_VERSION)
        self.assertEqual(state["neg_disp"], det.neg_disp)

    def test_a_negative_story_on_a_swinging_brand_is_still_caught(self):
        counts, negatives = swinging_share(21, seed=42)
        n = 20 * DAY + 150
        rng = random.Random(5)
        for i in range(n, n + 12):  # half the posts turn negative, volume unchanged
            negatives[i] = sum(rng.random() < 0.5 for _ in range(counts[i]))
        _, out = run(counts, negatives=negatives)
        fires = fired(out, "negative_share")
        self.assertTrue(fires and n <= fires[0] < n + 6, fires)
        sig = next(s for s in out[fires[0]] if s.kind == "negative_share")
        self.assertGreaterEqual(sig.surprise, DetectorConfig().surprise_bits)


class StateTests(unittest.TestCase):
    def _stream(self):
        rng = random.Random(10)
        counts = series(6 * DAY, seed=10)
        negatives = [sum(rng.random() < 0.15 for _ in range(c)) for c in counts]
        for i in (3 * DAY, 4 * DAY + 50, 5 * DAY):
            counts[i] += 300
        for i in range(4 * DAY + 200, 4 * DAY + 230):
            negatives[i] = counts[i]
        gaps = set(range(2 * DAY, 2 * DAY + 20))
        return [
            Bucket(T0 + i * STEP, counts[i], negative=negatives[i], gap=i in gaps)
            for i in range(len(counts))
            if not (3 * DAY + 100 <= i < 3 * DAY + 130)  # a hole: missing buckets
        ]

    def test_round_trip_equals_uninterrupted_run(self):
        buckets = self._stream()
        config = DetectorConfig.from_overrides({"cooldown_minutes": 120})
        straight = StreamDetector(config)
        expected = [straight.update(b) for b in buckets]
        self.assertTrue(any(s.fires for sigs in expected for s in sigs))

        got = []
        det = StreamDetector(config)
        rng = random.Random(11)
        for b in buckets:
            if rng.random() < 0.3:  # interrupted between tasks: persist and restore
                det = StreamDetector(config, json.loads(json.dumps(det.to_state())))
            got.append(det.update(b))
        state = json.loads(json.dumps(det.to_state()))
        self.assertEqual(got, expected)
        self.assertEqual(state, json.loads(json.dumps(straight.to_state())))

    def _v1_state(self):
        # saved by the previous detector (square-root spreads, absolute floors)
        # after nine days of a brand at ~20 mentions per bucket, up to 2024-03-10
        path = os.path.join(os.path.dirname(__file__), "fixtures", "detector_state_v1.json")
        with open(path) as fh:
            return json.load(fh)

    def test_state_of_the_previous_model_loads_and_learns_a_day(self):
        state = self._v1_state()
        self.assertEqual(state["version"], 1)
        det = StreamDetector(DetectorConfig(), state)
        # the seasonal profile and the negative share carry over ...
        self.assertEqual(det.week_slots, {int(k): v for k, v in state["week_slots"].items()})
        self.assertEqual(det.neg_ewma, state["neg_ewma"])
        # ... every window of the count model starts learning
        self.assertEqual([sc.n for sc in det.scales], [0, 0, 0, 0])
        start = datetime(2024, 3, 10, tzinfo=UTC)
        counts = series(3 * DAY, seed=22)
        spikes = (100, DAY + 100)  # one in the first day after loading, one after it
        for i in spikes:
            counts[i] += 400
        got = {}
        for i, c in enumerate(counts):
            sigs = det.update(Bucket(start + i * STEP, c))
            if sigs:
                got[i] = sigs
        self.assertIn(100, got)  # seen and returned, but not alerted: still learning
        self.assertFalse(any(s.fires for s in got[100]))
        self.assertEqual(fired(got), [DAY + 100])
        # and saved again, it is a state of the current version
        self.assertEqual(det.to_state()["version"], STATE_VERSION)

    def test_state_before_the_cusum_loads_and_its_cusum_learns_a_day(self):
        det = StreamDetector()
        counts = series(3 * DAY, seed=30)
        for i, c in enumerate(counts):
            det.update(Bucket(T0 + i * STEP, c))
        state = json.loads(json.dumps(det.to_state()))
        state["version"] = 2
        del state["cusum"]
        loaded = StreamDetector(DetectorConfig(), state)
        # the windows carry over, the CUSUM starts again
        self.assertEqual([sc.n for sc in loaded.scales], [sc.n for sc in det.scales])
        self.assertEqual(loaded.cusum.n, 0)
        start = T0 + len(counts) * STEP
        # a rise of 2.5x for six hours in the first day after loading: the
        # CUSUM returns its signal but may not alert yet
        for i in range(DAY):
            c = poisson(random.Random(i), daily_rate(len(counts) + i, 20.0) * 2.5)
            for s in loaded.update(Bucket(start + i * STEP, c)):
                if s.window_minutes not in (5, 30, 60, 360):
                    self.assertFalse(s.fires)
        self.assertEqual(loaded.cusum.n, DAY)
        self.assertEqual(loaded.to_state()["version"], STATE_VERSION)
        self.assertIn("cusum", loaded.to_state())

    def test_state_before_the_share_dispersion_loads_and_that_test_learns_a_day(self):
        rng = random.Random(31)
        counts = series(3 * DAY, seed=31)
        negatives = [sum(rng.random() < 0.1 for _ in range(c)) for c in counts]
        det, _ = run(counts, negatives=negatives)
        state = json.loads(json.dumps(det.to_state()))
        state["version"] = 3
        del state["neg_disp"], state["neg_counts"]
        loaded = StreamDetector(DetectorConfig(), state)
        self.assertEqual(loaded.neg_ewma, det.neg_ewma)
        self.assertEqual([sc.n for sc in loaded.scales], [sc.n for sc in det.scales])
        self.assertEqual(loaded.neg_disp["n"], 0)
        self.assertEqual(loaded.neg_counts, [r[1] for r in det.neg_recent])
        start = T0 + len(counts) * STEP
        more = series(2 * DAY, seed=32)
        got = {}
        for i, c in enumerate(more):
            # every post negative for half an hour, in the first day after
            # loading and again after it
            neg = c if i % DAY in range(150, 156) else sum(rng.random() < 0.1 for _ in range(c))
            sigs = loaded.update(Bucket(start + i * STEP, c, negative=neg))
            if sigs:
                got[i] = sigs
        share = {i for i, sigs in got.items() if any(s.kind == "negative_share" for s in sigs)}
        self.assertTrue(any(150 <= i < 156 for i in share), share)  # returned ...
        self.assertEqual([i for i in fired(got) if i < DAY], [])  # ... but not alerted
        self.assertTrue(any(DAY + 150 <= i < DAY + 156 for i in fired(got, "negative_share")))
        self.assertEqual(loaded.to_state()["version"], STATE_VERSION)

    def test_oldest_state_format_loads(self):
        # states saved before scales carried their keys and recent buckets their
        # seasonal part still load
        state = self._v1_state()
        for scale in state["scales"]:
            scale.pop("n", None), scale.pop("w", None), scale.pop("broad", None)
        state["recent"] = [r[:2] for r in state["recent"]]
        det = StreamDetector(DetectorConfig(), state)
        self.assertEqual(len(det.recent[-1]), 4)
        det.update(Bucket(datetime(2024, 3, 10, tzinfo=UTC), 20))
        with self.assertRaises(ValueError):
            StreamDetector(DetectorConfig(), {**state, "version": 99})

    def test_settings_that_drop_a_window_keep_the_others(self):
        det = StreamDetector()
        for b in self._stream()[: 3 * DAY]:
            det.update(b)
        state = json.loads(json.dumps(det.to_state()))
        hourly_off = DetectorConfig.from_overrides({"sustained_buckets": 1})
        again = StreamDetector(hourly_off, state)
        self.assertEqual(
            [(sc.w, sc.broad) for sc in again.scales], [(1, False), (6, False), (72, True)]
        )
        keys = StreamDetector._SCALE_KEYS
        self.assertEqual(
            [getattr(again.scales[0], k) for k in keys], [getattr(det.scales[0], k) for k in keys]
        )
        # the six-hour window's learning carries over
        self.assertEqual(
            [getattr(again.scales[2], k) for k in keys], [getattr(det.scales[3], k) for k in keys]
        )

    def test_state_is_bounded(self):
        det = StreamDetector()
        for b in self._stream():
            det.update(b)
        size_6_days = len(json.dumps(det.to_state()))
        for i, c in enumerate(series(5 * WEEK, seed=12)):
            det.update(Bucket(T0 + timedelta(days=7) + i * STEP, c))
        size = len(json.dumps(det.to_state()))
        self.assertLess(size, 40_000)
        self.assertLess(size, 3 * size_6_days)

    def test_missing_buckets_are_zero_buckets(self):
        counts = series(3 * DAY, seed=13)
        a = StreamDetector()
        b = StreamDetector()
        for i, c in enumerate(counts):
            if DAY + 40 <= i < DAY + 70:
                a.update(Bucket(T0 + i * STEP, 0))  # explicit zeros for a; b skips them
            else:
                a.update(Bucket(T0 + i * STEP, c))
                b.update(Bucket(T0 + i * STEP, c))
        self.assertEqual(a.to_state(), b.to_state())

    def test_old_or_naive_buckets(self):
        det = StreamDetector()
        det.update(Bucket(T0, 5))
        before = det.to_state()
        self.assertEqual(det.update(Bucket(T0, 50)), [])  # already processed: ignored
        self.assertEqual(det.to_state(), before)
        with self.assertRaises(ValueError):
            det.update(Bucket(datetime(2024, 3, 2), 5))  # noqa: DTZ001 - naive on purpose


class ConfigTests(unittest.TestCase):
    def test_overrides(self):
        cfg = DetectorConfig.from_overrides({"surprise_bits": "25", "cooldown_minutes": 30})
        self.assertEqual((cfg.surprise_bits, cfg.cooldown_minutes), (25.0, 30))
        self.assertEqual(DetectorConfig.from_overrides(None), DetectorConfig())
        with self.assertRaises(ValueError):
            DetectorConfig.from_overrides({"surprise_bit": 3})
        with self.assertRaises(ValueError):
            DetectorConfig.from_overrides({"surprise_bits": "lots"})

    def test_settings_of_the_previous_detector_are_ignored(self):
        # a brand's stored overrides from before the count model keep loading
        cfg = DetectorConfig.from_overrides({"min_volume": 25, "volume_threshold": 6.0})
        self.assertEqual(cfg, DetectorConfig())


class NegativeCountExplanationTests(SimpleTestCase):
    def test_the_sentence_counts_negative_posts_in_both_languages(self):
        from monitoring.detection import Signal
        from monitoring.signal_explain import explain

        at = datetime(2025, 1, 11, 9, 45, tzinfo=UTC)  # a Saturday
        found = Signal(
            "negative_share", at, 0.35, 1.5, 11 / 6, 1.4, True, 30, 6, 17.2, negatives=True
        )
        detail = explain("negative_share", at, found)
        self.assertEqual((detail["observed"], detail["expected"]), (11, 2.1))
        self.assertTrue(detail["negatives"])
        english = detail["explanation"]["en"]
        self.assertTrue(
            english.startswith("11 negative posts in the last 30 minutes; about 2.1 expected"),
            english,
        )
        self.assertIn("(a chance of about 1 in 150,000)", english)
        chinese = detail["explanation"]["zh-hant"]
        self.assertIn("11 則負面貼文", chinese)
        self.assertIn("2.1 則", chinese)
        # a share signal keeps its sentence
        share = Signal("negative_share", at, 0.15, 0.3, 0.5, 2.0, True, 30, 6, 17.0)
        self.assertIn("50% of the posts", explain("negative_share", at, share)["explanation"]["en"])


class EvaluationTests(SimpleTestCase):
    def _write(self, path, counts):
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["timestamp", "value"])
            for i, c in enumerate(counts):
                t = datetime(2015, 3, 1, 0, 2, 53) + i * STEP  # noqa: DTZ001 - NAB timestamps are naive
                w.writerow([t.strftime("%Y-%m-%d %H:%M:%S"), c])

    def test_evaluate_file_and_command(self):
        counts = series(4 * DAY, seed=14)
        counts[3 * DAY] += 500
        with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as out:
            self._write(os.path.join(data, "brand.csv"), counts)
            stats = evaluate_file(os.path.join(data, "brand.csv"), os.path.join(out, "direct.csv"))
            self.assertEqual(stats["alerts"], 1)
            with open(os.devnull, "w") as devnull:
                call_command("evaluate_detector", data, out, stdout=devnull)
            with open(os.path.join(out, "brand.csv")) as fh:
                rows = list(csv.DictReader(fh))
        self.assertEqual(len(rows), len(counts))
        self.assertEqual(list(rows[0]), ["timestamp", "value", "anomaly_score"])
        self.assertEqual([i for i, r in enumerate(rows) if r["anomaly_score"] == "1"], [3 * DAY])

    def test_bucket_starts_match_the_general_parser(self):
        for text in (
            "2015-02-26 21:42:53",
            "2015-02-26 21:40:00",
            "2015-02-26T21:44:59.999",
            "2015-02-26 21:42:53+08:00",
            "2015-02-26 21:42:53Z",
            "2015-02-26 23:59:59.000000",
        ):
            with self.subTest(text=text):
                self.assertEqual(_bucket_start(text), _floor_bucket(_parse_ts(text)))
        self.assertEqual(
            _bucket_start("2015-02-26 21:42:53"), datetime(2015, 2, 26, 21, 40, tzinfo=UTC)
        )

    def test_a_bucket_is_a_frozen_value(self):
        # (its __init__ writes the instance dict directly, for speed)
        import dataclasses

        at = datetime(2015, 2, 26, 21, 40, tzinfo=UTC)
        bucket = Bucket(at, 3)
        self.assertEqual(bucket, Bucket(start=at, count=3, negative=0, positive=0, reach=0))
        self.assertEqual((bucket.negative, bucket.gap), (0, False))
        self.assertNotEqual(bucket, Bucket(at, 3, gap=True))
        self.assertEqual(hash(bucket), hash(Bucket(at, 3)))
        with self.assertRaises(dataclasses.FrozenInstanceError):
            bucket.count = 4
        self.assertEqual(dataclasses.replace(bucket, negative=2), Bucket(at, 3, 2))
        self.assertEqual(repr(bucket).split("(")[0], "Bucket")

    def test_bad_csv_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as out:
            path = os.path.join(data, "bad.csv")
            with open(path, "w") as fh:
                fh.write("time,count\n2015-03-01 00:00:00,3\n")
            with self.assertRaises(CommandError) as ctx, open(os.devnull, "w") as devnull:
                call_command("evaluate_detector", data, out, stdout=devnull)
            self.assertIn("timestamp", str(ctx.exception))
            with open(path, "w") as fh:
                fh.write("timestamp,value\n2015-03-01 00:00:00\n")
            with self.assertRaises(CommandError) as ctx, open(os.devnull, "w") as devnull:
                call_command("evaluate_detector", data, out, stdout=devnull)
            self.assertIn("line 2", str(ctx.exception))


class CountModelTests(unittest.TestCase):
    def test_tails_match_a_brute_force_sum(self):
        def nb_pmf(k, m, a):
            r = 1 / a
            return math.exp(
                math.lgamma(k + r)
                - math.lgamma(r)
                - math.lgamma(k + 1)
                + r * math.log(r / (r + m))
                + k * math.log(m / (r + m))
            )

        for m, a, x in [(0.3, 0.1, 5), (6.0, 0.05, 41), (2.0, 0.5, 30), (500.0, 0.02, 800)]:
            tail = sum(nb_pmf(k, m, a) for k in range(x, 40 * x + 2000))
            self.assertAlmostEqual(nb_surprise(x, m, a), -math.log2(tail), delta=0.05)
        poisson_tail = sum(
            math.exp(k * math.log(4.0) - 4.0 - math.lgamma(k + 1)) for k in range(19, 200)
        )
        self.assertAlmostEqual(nb_surprise(19, 4.0, 0.0), -math.log2(poisson_tail), places=6)
        binomial = sum(math.comb(40, k) * 0.1**k * 0.9 ** (40 - k) for k in range(20, 41))
        self.assertAlmostEqual(binomial_surprise(20, 40, 0.1), -math.log2(binomial), places=6)
        self.assertEqual(nb_surprise(3, 5.0, 0.1), 0.0)  # at or below the mean: no surprise

    def test_beta_binomial_tail_matches_a_brute_force_sum(self):
        def pmf(k, n, p, rho):
            s = 1 / rho - 1
            a, b = p * s, (1 - p) * s
            return math.exp(
                math.lgamma(n + 1)
                - math.lgamma(k + 1)
                - math.lgamma(n - k + 1)
                + math.lgamma(k + a)
                + math.lgamma(n - k + b)
                - math.lgamma(n + a + b)
                - math.lgamma(a)
                - math.lgamma(b)
                + math.lgamma(a + b)
            )

        for k, n, p, rho in [(8, 8, 0.17, 0.027), (30, 60, 0.15, 0.01), (420, 1200, 0.15, 0.016)]:
            tail = sum(pmf(j, n, p, rho) for j in range(k, n + 1))
            self.assertAlmostEqual(betabinomial_surprise(k, n, p, rho), -math.log2(tail), places=4)
        # rho 0 is the binomial, and any swing makes a high share less surprising
        self.assertEqual(betabinomial_surprise(20, 40, 0.1, 0.0), binomial_surprise(20, 40, 0.1))
        self.assertLess(betabinomial_surprise(360, 1200, 0.15, 0.016), 10.0)
        self.assertGreater(binomial_surprise(360, 1200, 0.15), 60.0)
        self.assertEqual(betabinomial_surprise(10, 100, 0.15, 0.02), 0.0)

    def test_the_point_probability_bounds_the_tail_exactly(self):
        # the step skips the exact tail where -log2 P(X = obs) is already below
        # what could matter: that is only exact if the bound holds to the last
        # bit, and the tail given the caller's log P(X = obs) is the same number
        rng = random.Random(9)
        for _ in range(3000):
            mean = rng.choice([0.05, 0.3, 2.0, 40.0, 700.0]) * rng.uniform(0.5, 2.0)
            alpha = rng.choice([0.01, 0.1, 0.6, 0.0])
            x = math.floor(mean) + 1 + rng.randrange(0, 6 + int(3 * math.sqrt(mean + 1)))
            log_pmf = nb_log_pmf(x, mean, alpha)
            exact = nb_surprise(x, mean, alpha)
            self.assertEqual(nb_surprise(x, mean, alpha, log_pmf), exact)
            self.assertLessEqual(exact, max(0.0, -log_pmf / math.log(2.0)))

    def test_negative_share_on_a_small_brand(self):
        # no 20-mention floor: 10 posts in half an hour, all negative, on a brand
        # where a tenth of ~1.5 posts a bucket are negative
        rng = random.Random(17)
        n = 4 * DAY
        counts = [poisson(rng, 1.5) for _ in range(n + 12)]
        negatives = [sum(rng.random() < 0.1 for _ in range(c)) for c in counts]
        counts[n : n + 6] = negatives[n : n + 6] = [2, 2, 2, 1, 2, 1]
        _, out = run(counts, negatives=negatives)
        fires = fired(out, "negative_share")
        self.assertTrue(fires and n <= fires[0] < n + 6, fires)
        signal = next(s for s in out[fires[0]] if s.kind == "negative_share")
        self.assertEqual(signal.window_minutes, 30)
        self.assertLess(signal.baseline, 0.2)
        self.assertGreaterEqual(signal.surprise, DetectorConfig().surprise_bits)


class SyntheticSuiteTests(unittest.TestCase):
    """A part of monitoring/detection/synthetic.py's suite (tests/synthetic_detector.py
    runs it all and prints the README's table)."""

    def _first_crisis_alert(self, name, sentiment=True):
        from monitoring.detection import synthetic

        brand = next(b for b in synthetic.brands() if b.name == name)
        det = StreamDetector()
        negatives = brand.negatives if sentiment else [0] * len(brand.counts)
        for i, c in enumerate(brand.counts):
            sigs = det.update(Bucket(synthetic.T0 + i * STEP, c, negative=negatives[i]))
            if i >= brand.crisis_start and any(s.fires for s in sigs):
                return (i - brand.crisis_start) * 5, [s for s in sigs if s.fires]
        return None, []

    def test_a_small_brands_negative_posts_are_counted_against_their_expected_number(self):
        # the 1-per-bucket weekend story: 90 minutes from its volume, 45 from
        # its negative posts (11 in the half hour where about 2 are expected)
        minutes, sigs = self._first_crisis_alert("low 1/bucket, weekend")
        self.assertEqual(self._first_crisis_alert("low 1/bucket, weekend", False)[0], 90)
        self.assertLessEqual(minutes, 45)
        sig = next(s for s in sigs if s.kind == "negative_share")
        self.assertTrue(sig.negatives)
        self.assertIn(sig.window_minutes, (30, 60))
        self.assertGreater(sig.observed, sig.threshold)
        self.assertGreaterEqual(sig.observed * sig.buckets, 2 * sig.baseline * sig.buckets)
        self.assertGreaterEqual(sig.surprise, DetectorConfig().surprise_bits)

    def test_a_big_brand_has_no_negative_count_windows(self):
        # (its share test has the posts it needs; a negative day on a harmless
        # bump would otherwise alert)
        counts, negatives = swinging_share(10, seed=43, rate=60.0)
        _, out = run(counts, negatives=negatives)
        self.assertFalse(any(s.negatives for sigs in out.values() for s in sigs))
        det = StreamDetector()
        for i, c in enumerate(counts):
            det.update(Bucket(T0 + i * STEP, c, negative=negatives[i]))
        det.neg_counts[-6:] = list(counts[-6:])  # every post negative
        self.assertIsNone(det._negative_counts(len(counts)))

    def test_small_brand_crises_are_caught_and_normal_months_stay_quiet(self):
        from monitoring.detection import synthetic

        wanted = {
            "low 0.5/bucket, burst",
            "low 3/bucket, burst",
            "low 0.2/bucket, weekend",
            "low 1/bucket, normal",
            "high 500/bucket, normal",
            "gaps 50/bucket, normal",
        }
        rows = {b.name: synthetic.run_brand(b) for b in synthetic.brands() if b.name in wanted}
        self.assertEqual(set(rows), wanted)
        for name, row in rows.items():
            self.assertLessEqual(row["false_per_month"], 1.0, name)
            self.assertEqual(row["gap_alerts"], 0, name)
            if row["crisis"]:
                self.assertTrue(row["detected"], name)
                self.assertLessEqual(row["delay_minutes"], 120, name)

    def test_synthetic_sentiment_leaves_the_counts_and_marks_the_crisis(self):
        from monitoring.detection import synthetic

        brand = synthetic.build(synthetic.Brand("t", "low", 3.0, "burst", seed=5, weeks=4))
        self.assertEqual(len(brand.negatives), len(brand.counts))
        self.assertTrue(
            all(0 <= k <= c for k, c in zip(brand.negatives, brand.counts, strict=True))
        )
        # the negatives come from a random stream of their own: the counts are
        # those of a build without them (so is every figure that reads only them)
        with unittest.mock.patch.object(
            synthetic, "_negatives", lambda b: ([0] * len(b.counts), [0.0] * len(b.counts))
        ):
            plain = synthetic.build(synthetic.Brand("t", "low", 3.0, "burst", seed=5, weeks=4))
        self.assertEqual(plain.counts, brand.counts)
        start, end = brand.crisis_start, brand.crisis_start + 12
        normal = sum(brand.negatives[:start]) / sum(brand.counts[:start])
        crisis = sum(brand.negatives[start:end]) / sum(brand.counts[start:end])
        self.assertLess(abs(normal - synthetic.NORMAL_NEGATIVE), 0.03)
        self.assertGreater(crisis, 2 * normal)
        # by default the suite feeds no sentiment; with it, the negatives reach the detector
        quiet = synthetic.run_brand(brand)
        self.assertEqual(quiet, synthetic.run_brand(brand, sentiment=False))
        self.assertGreater(synthetic.oracle_bits(brand, negative=True), 13.0)

    def test_oracle_bound_is_the_best_window_at_the_true_rate(self):
        from monitoring.detection import synthetic

        brand = synthetic.Brand("t", "low", 1.0, "burst", seed=5, weeks=4)
        synthetic.build(brand)
        self.assertEqual(len(brand.normal_rates), len(brand.counts))
        bound = synthetic.oracle_bits(brand)
        start = brand.crisis_start
        # the first 30 minutes as one window is one of the windows searched
        one = nb_surprise(
            sum(brand.counts[start : start + 7]), sum(brand.normal_rates[start : start + 7]), 0.0
        )
        self.assertGreaterEqual(bound, one)
        self.assertGreater(synthetic.oracle_bits(brand, 120), bound)
        self.assertIsNone(synthetic.oracle_bits(synthetic.build(synthetic.Brand("n", "low", 1.0))))


class PeakCalibrationTests(unittest.TestCase):
    """The Gumbel floor on the daily maxima of the surprise."""

    def setUp(self):
        self.det = StreamDetector()

    def test_days_that_never_came_close_are_censored_not_zero(self):
        known = [8.3, 9.3, 6.8, 6.3, 7.3, 7.7, 9.4, 6.4, 5.1, 13.5, 11.2, 7.2]
        with_quiet_days = [*known[:8], 0.0, *known[8:], 0.0]
        # taken as zeros, two quiet days would have raised the floor by bits
        mu = sum(with_quiet_days) / len(with_quiet_days)
        sd = math.sqrt(sum((p - mu) ** 2 for p in with_quiet_days) / (len(with_quiet_days) - 1))
        beta = sd * math.sqrt(6) / math.pi
        as_zeros = mu - 0.5772 * beta - beta * math.log(-math.log(1 - 1 / 365))
        censored = self.det._peak_threshold(with_quiet_days)
        all_known = self.det._peak_threshold(known)
        self.assertLess(censored, as_zeros - 2.0)
        # and close to the fit on the known days alone (a quiet day only lowers the ranks)
        self.assertLess(abs(censored - all_known), 2.5)
        self.assertGreater(censored, max(known))

    def test_without_censored_days_the_fit_is_by_moments(self):
        peaks = [6.0, 7.0, 8.0, 9.0, 10.0, 7.5]
        mu = sum(peaks) / 6
        sd = math.sqrt(sum((p - mu) ** 2 for p in peaks) / 5)
        beta = sd * math.sqrt(6) / math.pi
        want = mu - 0.5772 * beta - beta * math.log(-math.log(1 - 1 / 365))
        self.assertAlmostEqual(self.det._peak_threshold(peaks), want, places=9)

    def test_a_brand_calmer_than_its_model_keeps_the_base_threshold(self):
        self.assertEqual(self.det._peak_threshold([0.0] * 12 + [7.0, 8.0]), 0.0)
        self.assertEqual(self.det._peak_threshold([7.0, 8.0, 9.0]), 0.0)  # too few days
        self.assertGreater(self.det._peak_threshold([0.0] * 9 + [7.0, 8.0, 11.0]), 11.0)
