"""manage.py import_mentions PATH [--format csv|jsonl] [--batch 1000]

CSV (a header row naming the API's fields) or JSONL (one JSON object per line),
streamed in batches through the one ingest service, so memory stays flat whatever
the file's size. Prints a progress bar on stderr and a summary: accepted, duplicate
and rejected lines, with each rejected line's number and reason.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from monitoring.choices import SourceKind
from monitoring.ingest import mentions_ingest

INT_FIELDS = {"author_followers"}
SHOWN_REJECTIONS = 50


class _Bad:
    """A line that could not even be read as an item; reported like a rejected item."""

    def __init__(self, error: str) -> None:
        self.error = error


def read_jsonl(handle: TextIO) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _Bad(f"not valid JSON: {exc.msg}")


def read_csv(handle: TextIO) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(handle)
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise CommandError("the CSV needs a header row naming the fields (text, source, …)")
    for row in reader:
        number = reader.line_num
        if None in row:
            yield number, _Bad("more values than header columns")
            continue
        item: dict[str, Any] = {}
        for name, value in row.items():
            if value is None or value == "":
                continue
            if name in INT_FIELDS:
                try:
                    item[name] = int(value)
                except ValueError:
                    item[name] = value  # ingest rejects it with its usual message
            else:
                item[name] = value
        yield number, item


class Progress:
    """A one-line progress bar on a terminal (a line per 10% otherwise)."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream, self.total = stream, max(total, 1)
        self.tty = stream.isatty()
        self.last = -1

    def update(self, done: int, lines: int) -> None:
        share = min(done / self.total, 1.0)
        if self.tty:
            filled = int(share * 30)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {lines:,} lines"
            )
            self.stream.flush()
        elif int(share * 10) > self.last:
            self.last = int(share * 10)
            self.stream.write(f"{share:4.0%} {lines:,} lines\n")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


class Command(BaseCommand):
    help = "Import mentions from a CSV or JSONL file with the API's fields."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("path")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the suffix")
        parser.add_argument("--batch", type=int, default=1000, help="items per ingest call")
        parser.add_argument("--source", help="source name for items that do not give one")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        fmt = options["format"] or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
        size = max(1, min(options["batch"], 1000))
        totals = {"lines": 0, "accepted": 0, "duplicates": 0, "rejected": 0}
        rejections: list[tuple[int, str]] = []
        total_bytes = os.path.getsize(path)
        with path.open("rb") as raw:
            handle = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
            rows = read_csv(handle) if fmt == "csv" else read_jsonl(handle)
            progress = Progress(
                self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr, total_bytes
            )
            batch: list[tuple[int, Any]] = []
            for number, item in rows:
                if options["source"] and isinstance(item, dict) and not item.get("source"):
                    item["source"] = options["source"]
                batch.append((number, item))
                if len(batch) == size:
                    self._send(batch, totals, rejections)
                    batch = []
                    progress.update(raw.tell(), totals["lines"])
            if batch:
                self._send(batch, totals, rejections)
            progress.update(total_bytes, totals["lines"])
            progress.close()
        self.stdout.write(
            f"{totals['lines']:,} lines: {totals['accepted']:,} accepted, "
            f"{totals['duplicates']:,} duplicates, {totals['rejected']:,} rejected"
        )
        for number, error in rejections[:SHOWN_REJECTIONS]:
            self.stdout.write(f"  line {number}: {error}")
        if len(rejections) > SHOWN_REJECTIONS:
            self.stdout.write(f"  … and {len(rejections) - SHOWN_REJECTIONS:,} more rejected lines")

    def _send(
        self,
        batch: list[tuple[int, Any]],
        totals: dict[str, int],
        rejections: list[tuple[int, str]],
    ) -> None:
        totals["lines"] += len(batch)
        items, numbers = [], []
        for number, item in batch:
            if isinstance(item, _Bad):
                totals["rejected"] += 1
                rejections.append((number, item.error))
            else:
                items.append(item)
                numbers.append(number)
        if not items:
            return
        result = mentions_ingest(items=items, source_kind=SourceKind.IMPORT)
        totals["accepted"] += result.accepted
        totals["duplicates"] += result.duplicates
        totals["rejected"] += len(result.rejected)
        rejections.extend((numbers[r["index"]], r["error"]) for r in result.rejected)
