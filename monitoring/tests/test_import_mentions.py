from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from monitoring.models import Mention

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0).isoformat()


def run(path) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    out, err = io.StringIO(), io.StringIO()
    call_command("import_mentions", str(path), "--batch", "2", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_jsonl_file_is_imported_with_a_summary_of_each_kind_of_line(tmp_path, brand):
    lines = [
        json.dumps(
            {
                "source": "twitter",
                "external_id": "1",
                "text": "Acme Coffee rocks",
                "published_at": NOW,
                "author_followers": 5,
            }
        ),
        "{not json",
        json.dumps(
            {
                "source": "twitter",
                "external_id": "1",
                "text": "Acme Coffee rocks",
                "published_at": NOW,
            }
        ),
        "",
        json.dumps(
            {
                "source": "twitter",
                "external_id": "2",
                "text": "Acme咖啡好喝",
                "published_at": "soon",
            }
        ),
        json.dumps(
            {
                "source": "twitter",
                "external_id": "3",
                "text": "我愛Acme咖啡的拿鐵",
                "published_at": NOW,
            }
        ),
    ]
    path = tmp_path / "mentions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = run(path)
    assert "5 lines: 2 accepted, 1 duplicates, 2 rejected" in out
    assert "line 2: not valid JSON" in out
    assert "line 5: published_at is not an ISO 8601 date-time" in out
    assert "100%" in err
    assert Mention.objects.filter(brand=brand).count() == 2
    assert Mention.objects.get(external_id="1").source.kind == "import"


def test_a_csv_file_is_imported_with_numbers_read_as_numbers(tmp_path, brand):
    path = tmp_path / "mentions.csv"
    path.write_text(
        "source,external_id,text,published_at,author,author_followers\n"
        f'twitter,a1,"Acme Coffee, again",{NOW},ann,1200\n'
        f"twitter,a2,Acme Coffee,{NOW},ben,lots\n"
        f"twitter,a3,,{NOW},cy,3\n",
        encoding="utf-8",
    )
    out, _ = run(path)
    assert "3 lines: 1 accepted, 0 duplicates, 2 rejected" in out
    assert "line 3: author_followers must be a whole number" in out
    assert "line 4: text is required" in out
    assert Mention.objects.get(external_id="a1").author_followers == 1200


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "nope.csv")
