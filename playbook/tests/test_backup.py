"""Backup and restore as the README describes them (pg_dump, pg_restore into an empty
database), and `export_incident`'s archive of one incident."""

from __future__ import annotations

import json
import subprocess
import uuid
from io import StringIO
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from crisisroom.models import Incident, TimelineEvent
from crisisroom.services.incidents import incident_open
from monitoring.models import Brand
from playbook.models import (
    Approval,
    MisinformationClaim,
    PostCrisisReview,
    Statement,
    StatementVersion,
)
from playbook.services import assessment, review, statements
from playbook.tests.conftest import approved, drafted
from tests.conftest import _test_database_url
from tests.tools import require

RECORD = [Incident, TimelineEvent, Statement, StatementVersion, Approval]
RECORD += [MisinformationClaim, PostCrisisReview]


def _record(cast) -> None:  # type: ignore[no-untyped-def]
    statement = approved(cast)
    edited = drafted(cast, body="Erste Fassung")
    statements.statement_edit(statement=edited, by=cast["pr_lead"], body="我們很抱歉。第二版。")
    assessment.claim_record(incident=cast.incident, by=cast["pr_lead"], claim="The beans are toxic")
    review.review_update(
        incident=cast.incident, by=cast["incident_lead"], root_cause="Roaster", lessons="Audit"
    )
    other = Brand.objects.create(name="Beta Tea", slug="beta-tea")
    incident_open(brand=other, title="Second incident", opened_by=cast["admin"])
    assert statement.approvals.count() == 2


def _rows(url: str, table: str) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY id')  # noqa: S608 (model tables)
        rows = cursor.fetchall()
    conn.close()
    return rows


@pytest.mark.django_db(transaction=True)
def test_a_dump_restored_into_an_empty_database_has_the_whole_record(cast, tmp_path):
    for tool in ("pg_dump", "pg_restore"):
        require(tool, "postgresql-client")
    _record(cast)
    source_url = _test_database_url()
    dump = tmp_path / "crisisroom.dump"
    # The README's backup command.
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source_url], check=True
    )
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    parts = urlsplit(source_url)
    restored_url = urlunsplit(parts._replace(path=f"/{name}"))
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        # The README's restore command, into the new, empty database.
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_url}", dump],
            check=True,
        )
        for model in RECORD:
            table = model._meta.db_table
            original, restored = _rows(source_url, table), _rows(restored_url, table)
            assert original, f"the test should have written {table}"
            assert restored == original, table
        assert len(_rows(restored_url, Incident._meta.db_table)) == 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_export_incident_writes_the_full_record_as_json(cast, tmp_path):
    _record(cast)
    out = tmp_path / "incident.json"
    call_command("export_incident", str(cast.incident.pk), "--output", str(out), stderr=StringIO())
    record = json.loads(out.read_text(encoding="utf-8"))
    incident = cast.incident
    assert record["format"] == "crisisroom.incident"
    assert record["incident"]["id"] == incident.pk
    assert record["incident"]["brand_slug"] == "acme-coffee"
    timeline = record["timeline"]
    assert [e["id"] for e in timeline] == list(
        incident.timeline.order_by("at", "pk").values_list("pk", flat=True)
    )
    assert {e["kind"] for e in timeline} >= {"statement", "playbook"}
    assert any("Roaster" in e["message"] or "review" in e["message"].lower() for e in timeline)
    statements = {s["id"]: s for s in record["statements"]}
    assert set(statements) == set(incident.statements.values_list("pk", flat=True))
    for statement in incident.statements.all():
        exported = statements[statement.pk]
        assert [v["body"] for v in exported["versions"]] == list(
            statement.versions.order_by("pk").values_list("body", flat=True)
        )
        assert len(exported["approvals"]) == statement.approvals.count()
    bodies = [v["body"] for s in record["statements"] for v in s["versions"]]
    assert "我們很抱歉。第二版。" in bodies
    approvers = {
        record["users"][str(a["user"])] for s in record["statements"] for a in s["approvals"]
    }
    assert approvers == {cast["legal_counsel"].username, cast["executive_lead"].username}
    assert [c["claim"] for c in record["claims"]] == ["The beans are toxic"]
    assert record["review"]["root_cause"] == "Roaster"
    assert len(record["playbook"]["steps"]) == 7
    assert all(step["items"] for step in record["playbook"]["steps"])


def test_export_incident_refuses_an_unknown_id(db):
    with pytest.raises(CommandError, match="no incident 999999"):
        call_command("export_incident", "999999")
