"""manage.py evaluate_sentiment PATH [--json] [--lang auto|en|zh]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from monitoring.sentiment.evaluation import (
    LANG_CHOICES,
    DataError,
    evaluate_file,
    format_report,
    json_line,
)


class Command(BaseCommand):
    help = (
        "Score the production sentiment path (language detection + configured "
        "analyzer) on a file of 'label<TAB>text' lines (negative|neutral|positive; "
        "two-class files are scored as two-class, a neutral prediction following "
        "the sign of its score)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="labelled file, one 'label<TAB>text' per line")
        parser.add_argument(
            "--json",
            action="store_true",
            help="also print the metrics as one JSON object on the last line",
        )
        parser.add_argument(
            "--lang",
            choices=LANG_CHOICES,
            default="auto",
            help="auto (default): detect each text's language as ingest does; "
            "en / zh: force one analyzer",
        )

    def handle(self, *args, **options):
        try:
            report = evaluate_file(options["path"], lang=options["lang"])
        except FileNotFoundError as exc:
            raise CommandError(f"no such file: {options['path']}") from exc
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(format_report(report))
        if options["json"]:
            self.stdout.write(json_line(report))
