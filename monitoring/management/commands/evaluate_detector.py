"""evaluate_detector DATA_DIR OUT_DIR — run the production spike detector over
NAB-format series (timestamp,value) as a live stream and write OUT_DIR/NAME.csv
with timestamp,value,anomaly_score (1 where an alert would be raised)."""

import os
import time

from django.core.management.base import BaseCommand, CommandError

from monitoring.detection.evaluation import evaluate_dir


class Command(BaseCommand):
    help = (
        "Run the production detector (DetectorConfig defaults) over every CSV "
        "(timestamp,value per 5 minutes) in DATA_DIR; write OUT_DIR/NAME.csv with "
        "an anomaly_score column: 1 where an alert would fire, else 0."
    )

    def add_arguments(self, parser):
        parser.add_argument("data_dir")
        parser.add_argument("out_dir")

    def handle(self, *args, data_dir, out_dir, **options):
        if not os.path.isdir(data_dir):
            raise CommandError(f"{data_dir} is not a directory")
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            results = evaluate_dir(data_dir, out_dir, log=self.stdout.write)
        except (KeyError, ValueError) as exc:
            raise CommandError(f"bad input: {exc}") from exc
        if not results:
            raise CommandError(f"no .csv files in {data_dir}")
        rows = sum(r["rows"] for r in results)
        alerts = sum(r["alerts"] for r in results)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        self.stdout.write(
            f"{len(results)} files, {rows} rows, {alerts} alerts in {wall:.1f}s -> {out_dir} "
            f"({rows / max(wall, 1e-9):,.0f} points/s; {rows / max(cpu, 1e-9):,.0f} per CPU-second)"
        )
