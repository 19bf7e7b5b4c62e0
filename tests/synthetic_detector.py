"""Run the detector's synthetic suite and print the README's table.

usage: python tests/synthetic_detector.py [--sentiment] [key=value ...]
Low-volume brands with injected crises (burst, ramp, weekend story), high-volume
brands with daily and weekly peaks and no crisis, brands with source gaps; see
monitoring/detection/synthetic.py. Deterministic (fixed seeds). --sentiment
feeds the synthetic negative counts as well (a second table in the README).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from monitoring.detection.synthetic import brands, markdown, run_brand  # noqa: E402
from monitoring.detection.types import DetectorConfig  # noqa: E402


def main(argv: list[str]) -> None:
    overrides = dict(a.split("=", 1) for a in argv if "=" in a)
    config = DetectorConfig.from_overrides(overrides)
    sentiment = "--sentiment" in argv
    t0 = time.perf_counter()
    suite = brands()
    rows = [run_brand(b, config, sentiment) for b in suite]
    seconds = time.perf_counter() - t0
    print(markdown(rows, negative_oracle=sentiment))
    crises = [r for r in rows if r["crisis"]]
    caught = [r for r in crises if r["detected"]]
    fast = [r for r in caught if r["delay_minutes"] <= 30]
    worst = max(r["false_per_month"] for r in rows)
    print(
        f"\ncrises caught {len(caught)}/{len(crises)}, within 30 minutes {len(fast)}/{len(crises)}; "
        f"worst false alerts per brand-month {worst:.2f}; "
        f"{sum(len(b.counts) for b in suite)} buckets in {seconds:.1f}s"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
