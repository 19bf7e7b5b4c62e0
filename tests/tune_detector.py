"""Leave-one-series-out check (and a small grid) for the spike detector on NAB series.

usage: python tests/tune_detector.py DATA_DIR [--grid NAME] [--jobs N] [setting=value ...]
       (needs ../shared/tools/nab_score.py next to DATA_DIR's parent;
       each setting=value fixes that setting in every configuration of the grid)

For every configuration of the grid it scores each series with NAB's standard
profile. Then, for each series in turn, it picks the configuration that does
best on the OTHER series (tuned on four, scored on the fifth) and reports the
held-out score: the figure of merit, since the defaults must carry to brands
the detector has never seen. It also prints the defaults' per-series scores
and, per configuration, its worst leave-one-out fold, but never picks defaults
on the combined score of the series it tuned on.

Grids are small on purpose (the machine is shared): "count" sweeps the count
model's surprise threshold, the daily-peak calibration and the minimum ratio.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from monitoring.detection.evaluation import evaluate_series  # noqa: E402
from monitoring.detection.types import DetectorConfig  # noqa: E402

GRIDS = {
    "count": {
        "surprise_bits": [16.0, 20.0, 25.0],
        "false_alarm_days": [90.0, 365.0],
        "volume_min_ratio": [1.5, 2.0],
    },
}


def configurations(grid: dict) -> list[dict]:
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def _nab(data_dir: str):
    tools = Path(data_dir).resolve().parent.parent / "tools" / "nab_score.py"
    spec = importlib.util.spec_from_file_location("nab_score", tools)
    nab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nab)
    return nab


def load(data_dir: str):
    nab = _nab(data_dir)
    windows = json.loads(Path(data_dir, "windows.json").read_text())
    files = []
    for name in sorted(os.listdir(data_dir)):
        if not name.endswith(".csv"):
            continue
        key = next((k for k in windows if k.endswith("/" + name) or k == name), None)
        if key is None:
            continue
        with open(os.path.join(data_dir, name), newline="") as fh:
            rows = [(r["timestamp"], r["value"]) for r in csv.DictReader(fh)]
        files.append((name, rows, [nab.ts(t) for t, _ in rows], windows[key]))
    return nab, files


_STATE: dict = {}


def _init(data_dir):
    _STATE["nab"], _STATE["files"] = load(data_dir)


def per_file(overrides: dict) -> dict:
    """{file: (raw NAB score, windows, detected, false-positive rows)} for one configuration."""
    nab, files = _STATE["nab"], _STATE["files"]
    config = DetectorConfig.from_overrides(overrides)
    out = {}
    for name, rows, times, wins in files:
        flags = evaluate_series(rows, config)
        out[name] = nab.score_file(times, flags, wins, nab.PROFILES["standard"])
    return out


def score(per: dict, names) -> float:
    total = sum(per[n][0] for n in names)
    nwin = sum(per[n][1] for n in names)
    return 100 * (total + nwin) / (2 * nwin)


def loso(results: list[tuple[dict, dict]], names: list[str]) -> dict:
    """For each held-out series: the configuration best on the others (ties: the
    one whose worst training series is best), and its score on the held-out one."""
    out = {}
    for held in names:
        train = [n for n in names if n != held]
        best_overrides, best_per = max(
            results,
            key=lambda r: (
                round(score(r[1], train), 6),
                min(score(r[1], [n]) for n in train),
            ),
        )
        out[held] = (best_overrides, best_per, score(best_per, train))
    return out


def main(data_dir: str, grid: dict, jobs: int = 1) -> None:
    _init(data_dir)
    names = [f[0] for f in _STATE["files"]]
    configs = configurations(grid)
    if jobs > 1:
        with ProcessPoolExecutor(jobs, initializer=_init, initargs=(data_dir,)) as pool:
            pers = list(pool.map(per_file, configs))
    else:
        pers = [per_file(c) for c in configs]
    results = list(zip(configs, pers, strict=True))
    print("per configuration: score per series, worst series")
    for overrides, per in results:
        cells = " ".join(f"{score(per, [n]):6.1f}" for n in names)
        print(f"  {cells}  worst {min(score(per, [n]) for n in names):6.1f}  {overrides}")
    default_per = per_file({})
    print("\nleave-one-series-out (tuned on the others, scored on the held-out series):")
    folds = loso(results, names)
    loo = {}
    for held in names:
        overrides, per, train_score = folds[held]
        loo[held] = per[held]
        s, nw, d, fp = per[held]
        print(
            f"  {held}: held-out {score(per, [held]):6.1f} ({d}/{nw} windows, {fp} FP rows); "
            f"tuned {train_score:.1f} on the others with {overrides}"
        )
    print(f"leave-one-series-out total: {score(loo, names):.1f}")
    print(f"worst held-out series: {min(score(loo, [n]) for n in names):.1f}")
    print("\ndefaults (DetectorConfig()), per series:")
    for n in names:
        s, nw, d, fp = default_per[n]
        print(f"  {n}: {score(default_per, [n]):6.1f} ({d}/{nw} windows, {fp} FP rows)")
    print(f"defaults on all series: {score(default_per, names):.1f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    grid_name = args[args.index("--grid") + 1] if "--grid" in args else "count"
    jobs = int(args[args.index("--jobs") + 1]) if "--jobs" in args else 1
    extra = dict(a.split("=", 1) for a in args if "=" in a)
    grid = {**GRIDS[grid_name], **{k: [float(v)] for k, v in extra.items()}}
    main(args[0], grid, jobs)
