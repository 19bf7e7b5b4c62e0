"""manage.py export_corrections [PATH]: corrected sentiment labels as an evaluation set."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from monitoring.selectors import label_corrections_export


class Command(BaseCommand):
    help = (
        "Write every mention whose sentiment label a person corrected, with its latest "
        "label, as 'label<TAB>text' lines (the format evaluate_sentiment reads); "
        "to PATH, or standard output."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("path", nargs="?", help="file to write; default standard output")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if not options["path"]:
            for line in label_corrections_export():
                self.stdout.write(line, ending="")
            return
        count = 0
        with Path(options["path"]).open("w", encoding="utf-8") as handle:
            for line in label_corrections_export():
                handle.write(line)
                count += 1
        self.stderr.write(f"{count} corrected mentions written to {options['path']}")
