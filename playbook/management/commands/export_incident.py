"""`manage.py export_incident ID [-o FILE]`: one incident's full record as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crisisroom.models import Incident
from playbook.archive import encoder, incident_record


class Command(BaseCommand):
    help = (
        "Write one incident's full record (timeline, statements with versions and "
        "approvals, claims, review, …) as JSON, to standard output or --output."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("incident_id", type=int)
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            record = incident_record(incident_id=options["incident_id"])
        except Incident.DoesNotExist as exc:
            raise CommandError(f"no incident {options['incident_id']}") from exc
        text = json.dumps(record, cls=encoder, ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"incident {options['incident_id']} written to {options['output']}")
        else:
            self.stdout.write(text, ending="")
