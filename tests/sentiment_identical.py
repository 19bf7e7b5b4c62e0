"""Check that a change to the sentiment path leaves every result as it was.

    python tests/sentiment_identical.py --dump before.jsonl   # on the old code
    python tests/sentiment_identical.py --compare before.jsonl  # on the new code

Every text of the labelled files under ../shared/data/sentiment-dev and
sentiment-train (or the files given with --files) is scored three ways: the
production path (``analyze(text)``: language detection and the analyzer it picks)
and each linear analyzer forced (English, Chinese).  Each line of the dump holds
the detected language, the three results (score, label, confidence) and the
unrounded class probabilities of the two linear models (through
``_LinearAnalyzer.probabilities`` when it exists, else the reference path
``model.predict_proba(features(text))``).  ``--compare`` reports how many results
differ (they must all be equal) and the largest probability difference (it must
stay below 1e-12).  Without either flag the new fused path is compared with the
reference path in this one process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")


def _files(given: list[str]) -> list[Path]:
    if given:
        return [Path(p) for p in given]
    return sorted(p for d in ("sentiment-dev", "sentiment-train") for p in (DATA / d).glob("*.tsv"))


def _texts(path: Path) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if line.strip():
                out.append(line.partition("\t")[2])
    return out


def _probs(analyzer, text: str) -> list[float]:
    fn = getattr(analyzer, "probabilities", None)
    if fn is not None:
        return list(fn(text))
    return list(analyzer.model.predict_proba(analyzer.features(text)))


def _reference_probs(analyzer, text: str) -> list[float]:
    return list(analyzer.model.predict_proba(analyzer.features(text)))


def _result(r) -> list:
    return [r.score, r.label, r.confidence]


def records(paths: list[Path]):
    from monitoring.language import detect_language
    from monitoring.sentiment import analyze, get_analyzer

    en, zh = get_analyzer("en"), get_analyzer("zh")
    for path in paths:
        for i, text in enumerate(_texts(path)):
            yield {
                "file": path.name,
                "i": i,
                "lang": detect_language(text),
                "auto": _result(analyze(text)),
                "en": _result(en.analyze(text)),
                "zh": _result(zh.analyze(text)),
                "p_en": _probs(en, text),
                "p_zh": _probs(zh, text),
            }


def _diff(a: dict, b: dict) -> tuple[list[str], float]:
    bad = [k for k in ("lang", "auto", "en", "zh") if a[k] != b[k]]
    worst = max(abs(x - y) for k in ("p_en", "p_zh") for x, y in zip(a[k], b[k], strict=True))
    return bad, worst


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisroom.settings")
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump")
    parser.add_argument("--compare")
    parser.add_argument("--files", nargs="*", default=[])
    args = parser.parse_args()
    paths = _files(args.files)
    if args.dump:
        n = 0
        with open(args.dump, "w", encoding="utf-8") as out:
            for rec in records(paths):
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
        print(f"{n} texts from {len(paths)} files written to {args.dump}")
        return 0
    if args.compare:
        with open(args.compare, encoding="utf-8") as fh:
            before = [json.loads(line) for line in fh]
        n = differing = 0
        worst = 0.0
        for old, new in zip(before, records(paths), strict=True):
            bad, d = _diff(old, new)
            worst = max(worst, d)
            n += 1
            if bad:
                differing += 1
                if differing <= 10:
                    print("DIFFERS", old["file"], old["i"], bad, old, new)
        print(
            f"{n} texts from {len(paths)} files: {differing} with a different language "
            f"or result; largest probability difference {worst:.3g}"
        )
        return 1 if differing or worst > 1e-12 else 0
    # one process: the fused path against the reference path
    from monitoring.sentiment import get_analyzer

    n = differing = 0
    worst = 0.0
    for lang in ("en", "zh"):
        analyzer = get_analyzer(lang)
        model = analyzer.model
        for path in paths:
            for text in _texts(path):
                ref = _reference_probs(analyzer, text)
                new = _probs(analyzer, text)
                worst = max(worst, max(abs(a - b) for a, b in zip(ref, new, strict=True)))
                n += 1
                if _result(model.result(ref)) != _result(analyzer.analyze(text)):
                    differing += 1
    print(
        f"{n} (text, model) pairs: {differing} results differ from the reference path; "
        f"largest probability difference {worst:.3g}"
    )
    return 1 if differing or worst > 1e-12 else 0


if __name__ == "__main__":
    sys.exit(main())
