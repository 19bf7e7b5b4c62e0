"""train_sentiment: leave-one-file-out, the bias chosen on held-out files, corrections."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from monitoring.sentiment.linear import ChineseLinearAnalyzer, EnglishLinearAnalyzer, LinearModel

pytest.importorskip("sklearn")

EN_NEG = ["this is awful", "terrible service", "I hate it", "worst day ever", "so bad", "broken"]
EN_POS = ["this is great", "lovely service", "I love it", "best day ever", "so good", "amazing"]
EN_NEU = ["it is tuesday", "the store opens at nine", "a new version is out", "see you"]
ZH_NEG = ["很差", "太差了", "又髒又吵", "失望", "不好", "難吃"]
ZH_POS = ["很好", "乾淨", "推薦", "滿意", "熱情", "好吃"]


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    for i in range(3):  # three English files, one two-class
        rows = [("negative", f"{t} {i}") for t in EN_NEG] + [
            ("positive", f"{t} {i}") for t in EN_POS
        ]
        if i != 2:
            rows += [("neutral", f"{t} {i}") for t in EN_NEU]
        _write(d / f"en_part{i}.tsv", rows * 2)
    for i in range(2):
        rows = [("negative", t + "！" * i) for t in ZH_NEG] + [
            ("positive", t + "！" * i) for t in ZH_POS
        ]
        _write(d / f"zh_part{i}.tsv", rows * 3)
    (d / "README.md").write_text("not a data file")
    return d


def test_leave_one_file_out_scores_every_file_with_a_bias_tuned_elsewhere(data_dir):
    from monitoring.sentiment.training import train

    lines: list[str] = []
    summary = train(data_dirs=[data_dir], langs=["en", "zh"], write=False, log=lines.append)
    table = summary["en"]["lofo"]
    assert set(table) == {"en_part0.tsv", "en_part1.tsv", "en_part2.tsv"}
    assert table["en_part2.tsv"]["classes"] == 2  # two-class file scored two-class
    assert table["en_part0.tsv"]["classes"] == 3
    for row in table.values():
        assert 0.0 <= row["macro_f1"] <= 1.0 and 0.0 <= row["negative_recall"] <= 1.0
    lofo = summary["en"]["lofo_summary"]
    assert lofo["macro_f1"]["worst"] == min(r["macro_f1"] for r in table.values())
    assert set(summary["zh"]["lofo"]) == {"zh_part0.tsv", "zh_part1.tsv"}
    assert any(line.strip().startswith("worst") for line in lines)


def test_choose_bias_ignores_the_file_it_scores():
    from monitoring.sentiment.training import choose_bias

    model = LinearModel(
        {
            "format": "crisisroom-linear-v2",
            "lang": "en",
            "classes": ["negative", "positive"],
            "intercept": [0.0, 0.0],
            "weights": {},
        }
    )
    # file a: every text leans slightly positive but is negative -> wants a big bias;
    # file b: texts are what they look like -> wants none
    a = {"model": model, "gold": ["negative"] * 4 + ["positive"], "probs": [[0.4, 0.6]] * 5}
    b = {
        "model": model,
        "gold": ["negative", "positive"] * 3,
        "probs": [[0.9, 0.1], [0.3, 0.7]] * 3,
    }
    held = {"a": a, "b": b}
    grid = [0.0, 0.5, 1.0]
    assert choose_bias(held, grid, exclude="b") == 0.5  # tuned on a alone
    assert choose_bias(held, grid, exclude="a") == 0.0  # tuned on b alone


@pytest.mark.django_db
def test_train_command_writes_models_and_includes_corrections(data_dir, tmp_path, bob, brand):
    from monitoring.ingest import mentions_ingest
    from monitoring.models import Mention
    from monitoring.services import mention_label_correct

    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    mentions_ingest(
        items=[
            {
                "source": "x",
                "external_id": f"c{i}",
                "text": f"Acme Coffee zorbly {i}",
                "published_at": now,
            }
            for i in range(3)
        ]
    )
    for m in Mention.objects.all():
        mention_label_correct(user=bob, mention=m, label="negative")
    out_dir = tmp_path / "models"
    out = io.StringIO()
    call_command(
        "train_sentiment", str(data_dir), "--out", str(out_dir), "--include-corrections", stdout=out
    )
    text = out.getvalue()
    assert "label corrections: en 3, zh 0" in text
    assert "leave-one-file-out" in text
    en = LinearModel.load(out_dir / "en_linear.json.gz")
    assert "corrections" in en.meta["trained_on_files"]
    assert len(en.meta["trained_on_files"]) == 4
    # the corrected brand word was learnt as negative
    assert EnglishLinearAnalyzer(out_dir / "en_linear.json.gz").analyze("zorbly").score < 0
    zh = ChineseLinearAnalyzer(out_dir / "zh_linear.json.gz")
    assert zh.analyze("很差，失望").label == "negative"
    assert zh.analyze("很好，推薦").label == "positive"


def test_train_command_reports_a_missing_directory(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such data directory"):
        call_command("train_sentiment", str(tmp_path / "nowhere"), "--lofo-only")


def _model(classes, weights, **flags) -> LinearModel:
    data = {
        "format": "crisisroom-linear-v2",
        "lang": "zh",
        "classes": classes,
        "intercept": [0.0] * len(classes),
        "weights": weights,
    }
    return LinearModel({**data, **flags})


def test_an_unscaled_feature_weighs_the_same_in_a_long_text():
    weights = {"x:cmp": [1.0, -1.0], "u:a": [0.0, 0.0]}
    short = {"x:cmp": 1.0, "u:a": 1.0}
    long = dict(short, **{f"u:{i}": 1.0 for i in range(100)})
    flags = {"binary": True, "normalize": True}
    plain = _model(["negative", "positive"], weights, **flags)
    assert plain.predict_proba(long)[0] < plain.predict_proba(short)[0]  # diluted
    kept = _model(["negative", "positive"], weights, unscaled=["x:cmp"], **flags)
    assert kept.predict_proba(long) == pytest.approx(kept.predict_proba(short))
    assert kept.predict_proba(long)[0] == pytest.approx(1 / (1 + 2.718281828**-2), abs=1e-6)


def test_fit_and_inference_agree_on_unscaled_features():
    from monitoring.sentiment.training import fit

    pairs = [("negative", "退錢" + "好" * n) for n in range(1, 9)] * 3
    pairs += [("positive", "很好" + "好" * n) for n in range(1, 9)] * 3
    cfg = {"min_df": 1, "unscaled": ["x:cmp"], "lexicon_prior": 0.0}
    model = LinearModel(fit("zh", pairs, cfg))
    assert model.unscaled == ("x:cmp",)
    assert model.predict_proba({"x:cmp": 1.0})[0] > 0.5


def test_per_file_class_balance_weighs_each_files_classes_alike():
    from monitoring.sentiment.training import CONFIG, _training_set

    files = {
        "a": [("negative", {}), ("negative", {}), ("negative", {}), ("positive", {})],
        "b": [("neutral", {}), ("positive", {})],
    }
    cfg = dict(CONFIG["en"], class_balance="file", file_balance=0.0)
    _, labels, weights = _training_set(files, ["a", "b"], cfg)
    a_neg = sum(w for lab, w in zip(labels[:4], weights[:4], strict=True) if lab == "negative")
    assert a_neg == pytest.approx(weights[3])  # file a: 3 negatives weigh as its 1 positive
    assert weights[4] == weights[5]


def test_bias_pairs_shift_negative_and_neutral():
    from monitoring.sentiment.training import _score_file, choose_bias, set_bias

    model = {"classes": ["negative", "neutral", "positive"]}
    assert set_bias(model, (1.5, -0.5))["class_bias"] == [1.5, -0.5, 0.0]
    assert set_bias(model, 2.0)["class_bias"] == [2.0, 0.0, 0.0]
    m = _model(["negative", "neutral", "positive"], {})
    # everything looks a little neutral, but half of it is negative
    held = {
        "a": {
            "model": m,
            "gold": ["negative", "neutral"] * 4,
            "probs": [[0.35, 0.45, 0.2], [0.1, 0.8, 0.1]] * 4,
        }
    }
    assert choose_bias(held, [(0.0, 0.0), (0.0, -0.5), (0.5, 0.0)]) == (0.0, -0.5)
    row = _score_file(m, held["a"], (0.0, -0.5))
    assert row["negative_recall"] == 1.0 and row["accuracy"] == 1.0
    # the file's negative and positive texts alone, two-class
    assert row["polar_accuracy"] == 1.0 and row["polar_negative_recall"] == 1.0


def test_log_count_ratios_say_which_class_a_feature_belongs_to():
    import numpy as np
    import scipy.sparse as sp

    from monitoring.sentiment.training import nb_ratios

    # columns: only in the class, only outside it, in every text
    X = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1]], dtype=float))
    r = nb_ratios(X, np.array([True, True, False, False]), np.ones(4))
    assert r[0] > 0.5 and r[1] < -0.5
    assert r[2] == pytest.approx(0.0)


@pytest.mark.parametrize("classes", [2, 3])
def test_nb_scaled_fit_is_read_by_the_plain_inference(classes):
    from monitoring.sentiment.training import fit

    pairs = [("negative", t) for t in EN_NEG] + [("positive", t) for t in EN_POS]
    if classes == 3:
        pairs += [("neutral", t) for t in EN_NEU]
    data = fit("en", pairs * 3, {"nb_scale": 0.5, "min_df": 1, "lexicon_prior": 0.0})
    assert len(data["classes"]) == classes
    model = LinearModel(data)
    # the |r| ** 0.5 column scale is folded into the written weights: the file is
    # read like any other, and it learnt the training texts
    analyzer = EnglishLinearAnalyzer.__new__(EnglishLinearAnalyzer)
    analyzer.model = model
    for label, text in pairs:
        assert analyzer.analyze(text).label == label, text


def test_column_scale_is_folded_into_the_written_weights():
    import numpy as np

    from monitoring.sentiment.features import en_features
    from monitoring.sentiment.training import CONFIG, _fit_feats, _training_set

    pairs = [("negative", t) for t in EN_NEG] + [("positive", t) for t in EN_POS]
    pairs += [("neutral", t) for t in EN_NEU]
    feats = {"data": [(label, en_features(t)) for label, t in pairs * 3]}
    cfg = dict(CONFIG["en"], min_df=1, lexicon_prior=0.0, praise_prior=0.0, weight_boost={})
    plain = _fit_feats("en", *_training_set(feats, ["data"], cfg), dict(cfg, column_scale={}))
    # the v: columns scaled by 2 and nothing else changed: fitting those columns
    # pre-multiplied by 2 and folding 2 back in gives the weights the scaled fit
    # would have on unscaled inputs
    doubled = {
        "data": [
            (lab, {k: 2 * v if k.startswith("v:") else v for k, v in f.items()})
            for lab, f in feats["data"]
        ]
    }
    by_hand = _fit_feats("en", *_training_set(doubled, ["data"], cfg), dict(cfg, column_scale={}))
    scaled = _fit_feats(
        "en", *_training_set(feats, ["data"], cfg), dict(cfg, column_scale={"v:": 2.0})
    )
    assert {n for n in scaled["weights"] if n.startswith("v:")} == {
        n for n in by_hand["weights"] if n.startswith("v:")
    }
    for name in scaled["weights"].keys() & by_hand["weights"].keys():
        w = scaled["weights"][name]
        factor = 2.0 if name.startswith("v:") else 1.0
        assert np.allclose(w, [factor * x for x in by_hand["weights"][name]], atol=2e-4), name
    assert scaled["weights"]["v:compound"] != plain["weights"]["v:compound"]
    # ``weight_boost`` multiplies those weights once more, the others not
    boosted = _fit_feats(
        "en",
        *_training_set(feats, ["data"], cfg),
        dict(cfg, column_scale={"v:": 2.0}, weight_boost={"v:": 3.0}),
    )
    for name in boosted["weights"].keys() & scaled["weights"].keys():
        factor = 3.0 if name.startswith("v:") else 1.0
        assert np.allclose(
            boosted["weights"][name], [factor * x for x in scaled["weights"][name]], atol=4e-4
        ), name
    # read by the plain inference, it learnt the training texts
    analyzer = EnglishLinearAnalyzer.__new__(EnglishLinearAnalyzer)
    analyzer.model = LinearModel(scaled)
    for label, text in pairs:
        assert analyzer.analyze(text).label == label, text
