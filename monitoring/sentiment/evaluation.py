"""Evaluate sentiment analysis on a labelled file (``label<TAB>text`` per line).

Used by ``manage.py evaluate_sentiment`` and by training's held-out report.  By
default each text goes through ``monitoring.sentiment.analyze(text)`` -- language
detection plus the configured analyzer, exactly what ingest does -- and only those
calls are timed (file reading and model loading are not).  ``texts_per_second`` is
wall-clock; ``cpu_texts_per_second`` divides by the process's CPU time instead,
which is the per-core rate even on a busy, shared machine.

Two-class files (only "negative" and "positive" labels) are scored as two-class:
a "neutral" prediction is mapped to the side of its score (score < 0 -> negative,
otherwise positive), so accuracy, F1 and the confusion matrix use two classes.
Three-class files are scored on all three classes as predicted.  An "unscored"
prediction (a text detected as a language no model covers) counts as neutral on a
three-class file and follows the same sign rule (score 0 -> positive) on a two-class
file; ``unscored`` in the report says how many there were.

Metrics: accuracy, macro-F1 (mean F1 over the gold file's classes), per-class
precision / recall / F1, and the confusion matrix as ``{gold: {predicted: n}}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from monitoring.sentiment import analyze, get_analyzer
from monitoring.sentiment.base import LABELS, UNSCORED, SentimentResult

LANG_CHOICES = ("auto", "en", "zh")


class DataError(ValueError):
    """A labelled file that cannot be read."""


def load_labelled(path: str | Path) -> list[tuple[str, str]]:
    """Read ``label<TAB>text`` lines; blank lines are skipped."""
    pairs: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            label, sep, text = line.partition("\t")
            label = label.strip().lower()
            if not sep or label not in LABELS:
                raise DataError(
                    f"{path}:{lineno}: expected 'negative|neutral|positive<TAB>text', "
                    f"got {line[:60]!r}"
                )
            pairs.append((label, text))
    if not pairs:
        raise DataError(f"{path}: no labelled lines")
    return pairs


def gold_labels(gold: Iterable[str]) -> list[str]:
    """The classes a file is scored on: two-class if it has no neutral line."""
    present = set(gold)
    if "neutral" not in present:
        return ["negative", "positive"]
    return list(LABELS)


def to_scored_label(result: SentimentResult, labels: Sequence[str]) -> str:
    if result.label in labels:
        return result.label
    if result.label == UNSCORED and "neutral" in labels:
        return "neutral"
    # neutral prediction on a two-class file: follow the sign of the score
    return "negative" if result.score < 0 else "positive"


def compute_metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1, per-class P/R/F1 and confusion matrix."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred differ in length")
    n = len(gold)
    confusion = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    per_class = {}
    for c in labels:
        tp = confusion[c][c]
        predicted = sum(confusion[g][c] for g in labels)
        actual = sum(confusion[c].values())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[c] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": actual,
        }
    correct = sum(confusion[c][c] for c in labels)
    return {
        "n": n,
        "labels": list(labels),
        "accuracy": round(correct / n, 4) if n else 0.0,
        "macro_f1": round(sum(v["f1"] for v in per_class.values()) / len(labels), 4),
        "per_class": per_class,
        "confusion": confusion,
    }


def _default_analyze_fn(lang: str) -> Callable[[str], SentimentResult]:
    if lang not in LANG_CHOICES:
        raise ValueError(f"lang must be one of {LANG_CHOICES}")
    # load models before the clock starts
    get_analyzer("en")
    get_analyzer("zh-hans")
    if lang == "auto":
        return analyze
    fixed = "zh-hans" if lang == "zh" else "en"
    return lambda text: analyze(text, fixed)


def evaluate(
    pairs: Sequence[tuple[str, str]],
    lang: str = "auto",
    analyze_fn: Callable[[str], SentimentResult] | None = None,
) -> dict:
    """Run the analyzer over ``(label, text)`` pairs and return the metrics dict."""
    fn = analyze_fn or _default_analyze_fn(lang)
    texts = [t for _, t in pairs]
    start, cpu_start = time.perf_counter(), time.process_time()
    results = [fn(t) for t in texts]
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    gold = [g for g, _ in pairs]
    labels = gold_labels(gold)
    pred = [to_scored_label(r, labels) for r in results]
    report = compute_metrics(gold, pred, labels)
    report["texts_per_second"] = round(len(texts) / elapsed, 1) if elapsed > 0 else None
    report["cpu_texts_per_second"] = round(len(texts) / cpu, 1) if cpu > 0 else None
    report["two_class"] = len(labels) == 2
    report["unscored"] = sum(r.label == UNSCORED for r in results)
    return report


def evaluate_file(path: str | Path, lang: str = "auto") -> dict:
    report = evaluate(load_labelled(path), lang=lang)
    report["path"] = str(path)
    return report


def format_report(report: dict) -> str:
    labels = report["labels"]
    lines = []
    if report.get("path"):
        lines.append(f"file: {report['path']}")
    kind = (
        "two-class (neutral predictions follow the score's sign)"
        if len(labels) == 2
        else "three-class"
    )
    lines.append(f"texts: {report['n']}  scoring: {kind}")
    if report.get("unscored"):
        lines.append(f"unscored (language no model covers): {report['unscored']}")
    lines.append(f"accuracy: {report['accuracy']:.4f}")
    lines.append(f"macro-F1: {report['macro_f1']:.4f}")
    lines.append("")
    lines.append(f"{'class':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for c in labels:
        m = report["per_class"][c]
        lines.append(
            f"{c:<10}{m['precision']:>10.4f}{m['recall']:>10.4f}{m['f1']:>10.4f}{m['support']:>10}"
        )
    lines.append("")
    lines.append("confusion (rows: gold, columns: predicted)")
    lines.append(" " * 10 + "".join(f"{c:>10}" for c in labels))
    for g in labels:
        lines.append(f"{g:<10}" + "".join(f"{report['confusion'][g][p]:>10}" for p in labels))
    lines.append("")
    tps = report.get("texts_per_second")
    lines.append(f"texts per second: {tps:.0f}" if tps else "texts per second: n/a")
    cpu = report.get("cpu_texts_per_second")
    if cpu:
        lines.append(f"texts per CPU-second (one core): {cpu:.0f}")
    return "\n".join(lines)


def json_line(report: dict) -> str:
    """The one-line JSON summary printed last by ``evaluate_sentiment --json``."""
    keys = ("n", "accuracy", "macro_f1", "per_class", "confusion", "texts_per_second")
    out = {k: report[k] for k in keys}
    out["per_class"] = {
        c: {k: v[k] for k in ("precision", "recall", "f1")} for c, v in report["per_class"].items()
    }
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))
