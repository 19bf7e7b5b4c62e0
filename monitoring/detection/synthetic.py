"""A synthetic suite for the detector (pure stdlib, deterministic seeds).

Brands of three kinds, counted per 5-minute bucket:

* low-volume brands (mean 0.2 to 3 mentions per bucket: a bakery, a local
  chain) with quiet nights, busier weekends and day-to-day level swings, and
  one injected crisis each: a *burst* (20+ angry posts in the first hour,
  fading over six), a *ramp* (growing for three hours, then holding), or a
  *weekend* story (a Saturday-morning story that runs all day);
* high-volume brands (50 to 500 per bucket) with daily and weekly peaks (a
  Monday-morning peak, evening peaks) and occasional viral-but-harmless
  bumps, and no crisis: every alert is a false alarm;
* brands with source gaps (a failing source marks six hours as gaps, and an
  unflagged outage leaves two hours of zeros): no crisis either.

Each bucket also has its negative mentions (``_negatives``: a normal share
that swings from day to day, crisis posts mostly negative), fed to the
detector only with ``sentiment=True``.

``run_suite()`` feeds each brand to the production StreamDetector and returns
one row per brand: detected or not, the delay from the crisis start to the
first alert, and the false alerts per brand-month.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .counts import nb_surprise
from .stream import StreamDetector
from .types import Bucket, DetectorConfig

STEP = timedelta(minutes=5)
DAY = 288
WEEK = 7 * DAY
MONTH_BUCKETS = 30 * DAY
# A Monday, midnight UTC.
T0 = datetime(2025, 1, 6, tzinfo=UTC)
# Crises start after this much history (the detector has learnt the brand).
CRISIS_AFTER = 3 * WEEK
# False alarms are counted from here on (after the warm-up and first learning).
COUNT_FALSE_FROM = WEEK


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _daily(i: int) -> float:
    """Quiet nights, busy afternoons and evenings (mean 1 over the day)."""
    hour = (i % DAY) / 12.0
    return 1.0 + 0.7 * math.sin(2 * math.pi * (hour - 9) / 24)


@dataclass
class Brand:
    name: str
    kind: str  # "low" | "high" | "gaps"
    mean: float
    crisis: str = ""  # "" | "burst" | "ramp" | "weekend"
    weeks: int = 5
    seed: int = 0
    counts: list = field(default_factory=list)
    gaps: set = field(default_factory=set)
    crisis_start: int | None = None
    crisis_end: int | None = None
    # the true rate of each bucket without the crisis (for the oracle bound)
    normal_rates: list = field(default_factory=list)
    # negative mentions of each bucket (drawn from the counts, see _negatives),
    # and the true rate of negatives without the crisis
    negatives: list = field(default_factory=list)
    negative_rates: list = field(default_factory=list)


def _crisis_excess(brand: Brand, j: int) -> float:
    """Extra mentions per bucket, j buckets after the crisis started."""
    # At least 20 extra posts in the first hour, and at least twice the usual
    # volume for a brand whose normal hour is already busier than that.
    a = max(20.0 / 12.0, 2.0 * brand.mean)
    if brand.crisis == "burst":
        return a if j < 12 else a * 0.5 ** ((j - 12) / 12.0) if j < 72 else 0.0
    if brand.crisis == "ramp":
        # grows linearly to 2a over three hours, holds three more
        return 2.0 * a * min(1.0, (j + 1) / 36.0) if j < 72 else 0.0
    if brand.crisis == "weekend":
        # builds over the first hour, then runs for half a day
        return a * min(1.0, (j + 1) / 12.0) if j < 144 else 0.0
    return 0.0


# Sentiment (what the production Bucket carries as ``negative``): on a normal
# day a share NORMAL_NEGATIVE of the posts is negative, swinging from day to
# day (log-normal, sd DAILY_SHARE_SD); a crisis's extra posts are negative
# with probability CRISIS_NEGATIVE. Assumptions, not measurements: see README.
NORMAL_NEGATIVE = 0.15
DAILY_SHARE_SD = 0.3
CRISIS_NEGATIVE = 0.7


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def _negatives(brand: Brand) -> tuple[list[int], list[float]]:
    """Negative mentions per bucket, from a random stream of their own (the
    counts, and every result that only reads them, stay as they were). A post
    of a crisis bucket is one of the crisis's extra posts with probability
    excess / (normal rate + excess) (Poisson thinning)."""
    rng = random.Random(brand.seed + 1_000_003)
    days = len(brand.counts) // DAY + 1
    shares = [
        min(0.6, NORMAL_NEGATIVE * math.exp(rng.gauss(0.0, DAILY_SHARE_SD))) for _ in range(days)
    ]
    out, rates = [], []
    for i, c in enumerate(brand.counts):
        share = shares[i // DAY]
        rates.append(brand.normal_rates[i] * share)
        start = brand.crisis_start
        if start is not None and i >= start:
            excess = _crisis_excess(brand, i - start)
            rate = brand.normal_rates[i]
            if excess > 0:
                share = (rate * share + excess * CRISIS_NEGATIVE) / (rate + excess)
        out.append(_binomial(rng, c, share))
    return out, rates


def build(brand: Brand) -> Brand:
    rng = random.Random(brand.seed)
    n = brand.weeks * WEEK
    levels = [math.exp(rng.gauss(0.0, 0.15)) for _ in range(brand.weeks * 7 + 1)]
    if brand.crisis == "weekend":
        start = CRISIS_AFTER + 5 * DAY + 9 * 12  # Saturday 09:00
    elif brand.crisis:
        start = CRISIS_AFTER + 1 * DAY + 14 * 12  # Tuesday 14:00
    else:
        start = None
    brand.crisis_start = start
    counts = []
    bumps = []
    if brand.kind == "high":
        # harmless viral bumps: a few a month, 20-40% above normal for two hours
        day = 3
        while day < brand.weeks * 7:
            bumps.append((day * DAY + rng.randrange(8 * 12, 20 * 12), 1.2 + 0.2 * rng.random()))
            day += rng.randrange(4, 9)
    for i in range(n):
        d = i // DAY
        weekday = d % 7
        rate = brand.mean * _daily(i) * levels[d]
        if brand.kind == "high":
            hour = (i % DAY) // 12
            if weekday == 0 and 9 <= hour < 12:
                rate *= 1.8  # Monday-morning peak
            if weekday >= 5:
                rate *= 0.75
            for at, size in bumps:
                if at <= i < at + 24:
                    rate *= size
        elif weekday >= 5:
            rate *= 1.3  # small businesses: busier weekends
        brand.normal_rates.append(rate)
        if start is not None and i >= start:
            rate += _crisis_excess(brand, i - start)
        counts.append(_poisson(rng, rate))
    if start is not None:
        brand.crisis_end = start + next(
            j for j in range(1, 10 * DAY) if _crisis_excess(brand, j) == 0.0
        )
    if brand.kind == "gaps":
        # a source failing for six hours (flagged gaps, junk counts that must
        # not be learned), then back; later an unflagged two-hour outage
        g0 = 2 * WEEK + 2 * DAY + 10 * 12
        brand.gaps = set(range(g0, g0 + 72))
        for i in brand.gaps:
            counts[i] = counts[i] * 3 + 50
        o0 = 3 * WEEK + 4 * DAY + 15 * 12
        for i in range(o0, o0 + 24):
            counts[i] = 0
    brand.counts = counts
    brand.negatives, brand.negative_rates = _negatives(brand)
    return brand


def brands() -> list[Brand]:
    out = []
    seed = 100
    for mean in (0.2, 0.5, 1.0, 3.0):
        out.append(Brand(f"low {mean:g}/bucket, normal", "low", mean, weeks=9, seed=seed))
        seed += 1
        for crisis in ("burst", "ramp", "weekend"):
            out.append(Brand(f"low {mean:g}/bucket, {crisis}", "low", mean, crisis, seed=seed))
            seed += 1
    for mean in (50.0, 200.0, 500.0):
        out.append(Brand(f"high {mean:g}/bucket, normal", "high", mean, weeks=9, seed=seed))
        seed += 1
    for mean in (0.5, 50.0):
        out.append(Brand(f"gaps {mean:g}/bucket, normal", "gaps", mean, weeks=5, seed=seed))
        seed += 1
    return [build(b) for b in out]


def oracle_bits(brand: Brand, minutes: int = 30, negative: bool = False) -> float | None:
    """The most surprising window any detector could see by `minutes` after
    the crisis started: the counts of every window ending by then, against a
    Poisson at the TRUE normal rate (no estimation error, no over-dispersion).
    An upper bound on the evidence: a detector that fires below it would fire
    as often on normal traffic. negative: the same for the negative mentions
    alone, against the true negative rate of the day."""
    start = brand.crisis_start
    if start is None:
        return None
    counts = brand.negatives if negative else brand.counts
    rates = brand.negative_rates if negative else brand.normal_rates
    best = 0.0
    last = start + minutes // 5
    for end in range(start, last + 1):
        obs, mean = 0, 0.0
        for begin in range(end, start - 13, -1):
            obs += counts[begin]
            mean += rates[begin]
            best = max(best, nb_surprise(obs, mean, 0.0))
    return best


def run_brand(brand: Brand, config: DetectorConfig | None = None, sentiment: bool = False) -> dict:
    """sentiment: feed the buckets' negative counts too (the README's table is
    without: its figures predate the synthetic sentiment)."""
    det = StreamDetector(config or DetectorConfig())
    alerts = []
    negatives = brand.negatives if sentiment else [0] * len(brand.counts)
    for i, c in enumerate(brand.counts):
        signals = det.update(Bucket(T0 + i * STEP, c, negative=negatives[i], gap=i in brand.gaps))
        if any(s.fires for s in signals):
            alerts.append(i)
    start, end = brand.crisis_start, brand.crisis_end
    in_crisis = [i for i in alerts if start is not None and start <= i < end + DAY // 2]
    false = [
        i for i in alerts if i >= COUNT_FALSE_FROM and i not in in_crisis and i not in brand.gaps
    ]
    months = (len(brand.counts) - COUNT_FALSE_FROM) / MONTH_BUCKETS
    return {
        "brand": brand.name,
        "kind": brand.kind,
        "crisis": brand.crisis,
        "detected": bool(in_crisis) if brand.crisis else None,
        "delay_minutes": (in_crisis[0] - start) * 5 if in_crisis else None,
        "false_alerts": len(false),
        "false_per_month": len(false) / months,
        "gap_alerts": len([i for i in alerts if i in brand.gaps]),
        "oracle_bits": oracle_bits(brand),
        "oracle_negative_bits": oracle_bits(brand, negative=True),
    }


def run_suite(config: DetectorConfig | None = None, sentiment: bool = False) -> list[dict]:
    return [run_brand(b, config, sentiment) for b in brands()]


def markdown(rows: list[dict], negative_oracle: bool = False) -> str:
    lines = [
        "| brand | crisis caught | minutes to first alert | best possible bits by 30 min "
        + ("| ... from negatives alone " if negative_oracle else "")
        + "| false alerts | per brand-month |",
        "|---|---|---|---|---|---|" + ("---|" if negative_oracle else ""),
    ]
    for r in rows:
        caught = "-" if r["detected"] is None else ("yes" if r["detected"] else "**no**")
        delay = "-" if r["delay_minutes"] is None else str(r["delay_minutes"])
        oracle = "-" if r.get("oracle_bits") is None else f"{r['oracle_bits']:.1f}"
        if negative_oracle:
            neg = r.get("oracle_negative_bits")
            oracle += " | " + ("-" if neg is None else f"{neg:.1f}")
        lines.append(
            f"| {r['brand']} | {caught} | {delay} | {oracle} | {r['false_alerts']} | "
            f"{r['false_per_month']:.2f} |"
        )
    return "\n".join(lines)
