"""manage.py train_sentiment [DATA_DIR] — needs numpy and scikit-learn (dev deps)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from monitoring.sentiment.evaluation import DataError


class Command(BaseCommand):
    help = (
        "Train the shipped sentiment models from the labelled dev data: report "
        "figures on a stratified 80/20 held-out split, then train on all of it and "
        "write monitoring/sentiment/models/{en,zh}_linear.json.gz."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "data_dir",
            nargs="?",
            default=None,
            help="directory with en_tweeteval.tsv, en_vader_tweets.tsv and "
            "zh_chnsenticorp_hotel.tsv (default: ../shared/data/sentiment-dev "
            "relative to the repository)",
        )
        parser.add_argument("--lang", choices=("en", "zh", "all"), default="all")
        parser.add_argument("--out", default=None, help="output directory for the models")
        parser.add_argument("--seed", type=int, default=42, help="held-out split seed")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--no-holdout", action="store_true", help="skip the held-out report")
        group.add_argument(
            "--holdout-only",
            action="store_true",
            help="only report held-out figures; do not write models",
        )

    def handle(self, *args, **options):
        try:
            from monitoring.sentiment.training import train
        except ImportError as exc:  # pragma: no cover
            raise CommandError(f"training needs numpy and scikit-learn: {exc}") from exc
        langs = ("en", "zh") if options["lang"] == "all" else (options["lang"],)
        try:
            train(
                data_dir=options["data_dir"],
                out_dir=options["out"],
                langs=langs,
                holdout=not options["no_holdout"],
                write=not options["holdout_only"],
                seed=options["seed"],
                log=self.stdout.write,
            )
        except ImportError as exc:
            raise CommandError(f"training needs numpy and scikit-learn: {exc}") from exc
        except (FileNotFoundError, DataError) as exc:
            raise CommandError(str(exc)) from exc
