"""Run the production detector over NAB-format CSV series (timestamp,value).

Usable without Django:
    python -m monitoring.detection.evaluation DATA_DIR OUT_DIR
The management command ``evaluate_detector`` is a thin wrapper around
:func:`evaluate_dir`.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from datetime import UTC, datetime

from .stream import StreamDetector
from .types import BUCKET_MINUTES, BUCKET_SECONDS, Bucket, DetectorConfig


def _parse_ts(text: str) -> datetime:
    text = text.strip()
    try:  # the common NAB form, "2015-02-26 21:42:53(.000000)", parsed in C
        dt = datetime.fromisoformat(text)
    except ValueError:
        dt = None
    if dt is not None:
        if dt.tzinfo is None:  # NAB timestamps are naive UTC
            return dt.replace(tzinfo=UTC)
        return dt.astimezone(UTC)
    for fmt in (
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S.%f",
        "%Y-%m-%dT%H:%M:%S",
    ):
        try:
            dt = datetime.strptime(text, fmt)  # noqa: DTZ007 - naive means UTC here
            break
        except ValueError:
            continue
    else:
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:  # NAB timestamps are naive UTC
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _floor_bucket(dt: datetime) -> datetime:
    seconds = int(dt.timestamp())
    if seconds % BUCKET_SECONDS == 0 and dt.microsecond == 0:
        return dt
    return datetime.fromtimestamp(seconds // BUCKET_SECONDS * BUCKET_SECONDS, tz=UTC)


def _bucket_start(text: str) -> datetime:
    """The 5-minute bucket a row's timestamp falls in (UTC)."""
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return _floor_bucket(_parse_ts(text))
    if dt.tzinfo is not None:
        return _floor_bucket(dt.astimezone(UTC))
    # naive means UTC (NAB): the bucket start without a round trip through epoch
    # seconds (and built positionally: replace() with keywords costs five times more)
    minute = dt.minute
    return datetime(dt.year, dt.month, dt.day, dt.hour, minute - minute % BUCKET_MINUTES, 0, 0, UTC)


def evaluate_series(rows, config: DetectorConfig | None = None) -> list[int]:
    """rows: iterable of (timestamp str, value). Returns one 0/1 flag per row:
    1 where any signal returned for that row's bucket fires."""
    detector = StreamDetector(config or DetectorConfig())
    update = detector.update
    flags = []
    append = flags.append
    for ts, value in rows:
        count = round(float(value))  # (an int: round() of a float without ndigits)
        signals = update(Bucket(_bucket_start(ts), count))
        append(1 if signals and any(s.fires for s in signals) else 0)
    return flags


def evaluate_file(in_path: str, out_path: str, config: DetectorConfig | None = None) -> dict:
    with open(in_path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None) or []
        if "timestamp" not in header or "value" not in header:
            raise KeyError(f"{os.path.basename(in_path)}: needs timestamp and value columns")
        t, v = header.index("timestamp"), header.index("value")
        width = max(t, v)
        rows = []
        for line, r in enumerate(reader, start=2):
            if not r:
                continue
            if len(r) <= width:
                raise ValueError(f"{os.path.basename(in_path)} line {line}: missing columns")
            rows.append((r[t], r[v]))
    flags = evaluate_series(rows, config)
    with open(out_path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timestamp", "value", "anomaly_score"])
        writer.writerows((ts, value, flag) for (ts, value), flag in zip(rows, flags, strict=True))
    return {"name": os.path.basename(in_path), "rows": len(rows), "alerts": sum(flags)}


def evaluate_dir(
    data_dir: str, out_dir: str, config: DetectorConfig | None = None, log=None
) -> list[dict]:
    """Evaluate every *.csv in data_dir; write out_dir/NAME.csv. Returns per-file stats."""
    os.makedirs(out_dir, exist_ok=True)
    results = []
    for name in sorted(os.listdir(data_dir)):
        if not name.endswith(".csv"):
            continue
        t0 = time.perf_counter()
        stats = evaluate_file(os.path.join(data_dir, name), os.path.join(out_dir, name), config)
        stats["seconds"] = round(time.perf_counter() - t0, 3)
        results.append(stats)
        if log:
            log(f"{name}: {stats['rows']} rows, {stats['alerts']} alerts, {stats['seconds']:.2f}s")
    return results


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 3:
        sys.exit("usage: python -m monitoring.detection.evaluation DATA_DIR OUT_DIR")
    evaluate_dir(sys.argv[1], sys.argv[2], log=print)
