"""export_detector_feedback [OUT.csv] — the signals of worked and dismissed incidents,
labelled confirmed / false_alarm, for evaluating and tuning the detector."""

from __future__ import annotations

import io

from django.core.management.base import BaseCommand

from monitoring.detection.feedback import feedback_write


class Command(BaseCommand):
    help = "Write every incident signal with its label (confirmed, false_alarm, unlabelled) as CSV."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("out", nargs="?", help="CSV file to write; standard output if omitted")

    def handle(self, *args, out=None, **options):  # type: ignore[no-untyped-def]
        if out:
            with open(out, "w", newline="", encoding="utf-8") as fh:
                n = feedback_write(fh)
            self.stderr.write(f"{n} signals -> {out}")
        else:
            buffer = io.StringIO()
            n = feedback_write(buffer)
            self.stdout.write(buffer.getvalue(), ending="")
            self.stderr.write(f"{n} signals")
