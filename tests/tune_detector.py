"""Small grid search + leave-one-out check for the spike detector on NAB dev series.

usage: python tests/tune_detector.py DATA_DIR [--broad]   (needs ../shared/tools/nab_score.py)
Prints, per configuration, the NAB standard score on all dev files, then a
leave-one-out table: tuned on four files, scored on the fifth.
--broad sweeps only the broad window's settings (the others at their defaults).
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from monitoring.detection.evaluation import evaluate_series  # noqa: E402
from monitoring.detection.types import DetectorConfig  # noqa: E402

GRID = {
    "volume_threshold": [6.0, 7.0],
    "peak_factor": [1.6, 1.8],
    "volume_min_ratio": [3.0, 2.5],
    "broad_buckets": [0, 36, 72],
    "broad_threshold": [4.0, 5.0],
    "broad_min_ratio": [2.5, 3.0],
}
BROAD_GRID = {
    "broad_buckets": [0, 36, 72],
    "broad_threshold": [3.0, 4.0, 4.5, 5.0],
    "broad_min_ratio": [2.5, 3.0, 3.5],
}


def configurations(grid: dict) -> list[dict]:
    """Every combination, once: with the broad window off its settings are moot."""
    out = []
    for values in itertools.product(*grid.values()):
        overrides = dict(zip(grid, values, strict=True))
        if overrides.get("broad_buckets") == 0:
            overrides = {k: v for k, v in overrides.items() if not k.startswith("broad_")}
            overrides["broad_buckets"] = 0
        if overrides not in out:
            out.append(overrides)
    return out


def main(data_dir: str, grid: dict = GRID) -> None:
    tools = Path(data_dir).resolve().parent.parent / "tools" / "nab_score.py"
    spec = importlib.util.spec_from_file_location("nab_score", tools)
    nab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nab)
    windows = json.loads(Path(data_dir, "windows.json").read_text())
    files = []
    for name in sorted(os.listdir(data_dir)):
        if not name.endswith(".csv"):
            continue
        key = next(k for k in windows if k.endswith("/" + name) or k == name)
        with open(os.path.join(data_dir, name), newline="") as fh:
            rows = [(r["timestamp"], r["value"]) for r in csv.DictReader(fh)]
        files.append((name, rows, [nab.ts(t) for t, _ in rows], windows[key]))
    w = nab.PROFILES["standard"]

    def per_file(config):
        out = {}
        for name, rows, times, wins in files:
            flags = evaluate_series(rows, config)
            s, nw, d, _fp = nab.score_file(times, flags, wins, w)
            out[name] = (s, nw, d)
        return out

    def score(per, names):
        total = sum(per[n][0] for n in names)
        nwin = sum(per[n][1] for n in names)
        return 100 * (total + nwin) / (2 * nwin)

    results = []
    for overrides in configurations(grid):
        per = per_file(DetectorConfig.from_overrides(overrides))
        results.append((overrides, per))
        print(f"{score(per, [f[0] for f in files]):5.1f} {overrides}", flush=True)
    names = [f[0] for f in files]
    default_per = per_file(DetectorConfig())
    print("\nleave-one-out (tune on four, score the fifth):")
    loo = {}
    for held in names:
        train = [n for n in names if n != held]
        best_overrides, best_per = max(results, key=lambda r: score(r[1], train))
        loo[held] = best_per[held]
        print(
            f"  {held}: tuned {score(best_per, train):.1f} on the others, "
            f"held-out {score(best_per, [held]):.1f} (defaults {score(default_per, [held]):.1f}) "
            f"{best_overrides}"
        )
    print(f"leave-one-out score over the five held-out files: {score(loo, names):.1f}")
    best_overrides, best_per = max(results, key=lambda r: score(r[1], names))
    print(f"\nbest on all five: {score(best_per, names):.1f} {best_overrides}")
    print(f"defaults: {score(default_per, names):.1f}")


if __name__ == "__main__":
    main(sys.argv[1], BROAD_GRID if "--broad" in sys.argv[2:] else GRID)
