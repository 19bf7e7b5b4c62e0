"""manage.py train_sentiment [DATA_DIR ...] — needs numpy and scikit-learn (dev deps)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from monitoring.sentiment.evaluation import DataError


class Command(BaseCommand):
    help = (
        "Train the shipped sentiment models on every en_*.tsv / zh_*.tsv file of the "
        "data directories: report a leave-one-file-out table per language (train on "
        "all files but one, score the one left out), then train on all of them and "
        "write monitoring/sentiment/models/{en,zh}_linear.json.gz."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "data_dirs",
            nargs="*",
            help="directories of 'label<TAB>text' files named en_*.tsv / zh_*.tsv "
            "(default: ../shared/data/sentiment-dev and ../shared/data/sentiment-train "
            "relative to the repository)",
        )
        parser.add_argument("--lang", choices=("en", "zh", "all"), default="all")
        parser.add_argument("--out", default=None, help="output directory for the models")
        parser.add_argument(
            "--include-corrections",
            action="store_true",
            help="also train on the label corrections stored in this deployment's "
            "database (one more file, 'corrections')",
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--no-lofo", action="store_true", help="skip the leave-one-file-out report"
        )
        group.add_argument(
            "--lofo-only",
            action="store_true",
            help="only report the leave-one-file-out table; do not write models",
        )

    def handle(self, *args, **options):
        try:
            from monitoring.sentiment.training import corrections_by_lang, train
        except ImportError as exc:  # pragma: no cover
            raise CommandError(f"training needs numpy and scikit-learn: {exc}") from exc
        langs = ("en", "zh") if options["lang"] == "all" else (options["lang"],)
        extra = None
        if options["include_corrections"]:
            extra = corrections_by_lang()
            self.stdout.write(
                "label corrections: "
                + ", ".join(f"{lang} {len(extra.get(lang, []))}" for lang in langs)
            )
        try:
            train(
                data_dirs=options["data_dirs"] or None,
                out_dir=options["out"],
                langs=langs,
                lofo=not options["no_lofo"],
                write=not options["lofo_only"],
                extra=extra,
                log=self.stdout.write,
            )
        except ImportError as exc:
            raise CommandError(f"training needs numpy and scikit-learn: {exc}") from exc
        except (FileNotFoundError, DataError) as exc:
            raise CommandError(str(exc)) from exc
