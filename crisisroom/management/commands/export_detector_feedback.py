"""export_detector_feedback [OUT.csv] [--nab DIR] — the signals of worked and dismissed incidents,
labelled confirmed / false_alarm, for evaluating and tuning the detector."""

from __future__ import annotations

import io

from django.core.management.base import BaseCommand

from crisisroom.detector_feedback import feedback_write, nab_export


class Command(BaseCommand):
    help = "Write every incident signal with its label (confirmed, false_alarm, unlabelled) as CSV."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("out", nargs="?", help="CSV file to write; standard output if omitted")
        parser.add_argument(
            "--nab",
            metavar="DIR",
            help="also write the labelled brands' series and windows.json as a NAB data set",
        )

    def handle(self, *args, out=None, nab=None, **options):  # type: ignore[no-untyped-def]
        if nab:
            for name, count in nab_export(nab).items():
                self.stderr.write(f"{nab}/{name}: {count} window(s)")
        if out:
            with open(out, "w", newline="", encoding="utf-8") as fh:
                n = feedback_write(fh)
            self.stderr.write(f"{n} signals -> {out}")
        else:
            buffer = io.StringIO()
            n = feedback_write(buffer)
            self.stdout.write(buffer.getvalue(), ending="")
            self.stderr.write(f"{n} signals")
