"""The mentions explorer, its CSV export, label corrections and key voices."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client

from monitoring.ingest import mentions_ingest
from monitoring.models import LabelCorrection, Mention, Rollup
from monitoring.selectors import key_voices

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def item(n, text, **extra):  # type: ignore[no-untyped-def]
    return {
        "source": extra.pop("source", "twitter"),
        "external_id": f"e{n}",
        "text": text,
        "published_at": extra.pop("published_at", NOW - timedelta(minutes=n)).isoformat(),
        **extra,
    }


@pytest.fixture
def mentions(brand):  # type: ignore[no-untyped-def]
    mentions_ingest(
        items=[
            item(
                1,
                "Acme Coffee is awful <script>alert(1)</script>",
                author="ann",
                author_followers=10,
            ),
            item(2, "Acme Coffee latte is wonderful, love it", author="ben", author_followers=900),
            item(3, "我昨天去了Acme咖啡，服務很差", author="cy", author_followers=50, source="ptt"),
            item(4, '=HYPERLINK("http://evil") Acme Coffee', author="dan"),
            item(5, "Unrelated chatter about tea"),
        ]
    )
    return Mention.objects.order_by("external_id")


def shown(response) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(r'data-external-id="([^"]+)"', response.content.decode()))


def login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_explorer_lists_mentions_escaped_in_a_fixed_number_of_queries(
    charlie, mentions, django_assert_num_queries
):
    client = login(charlie)
    client.get("/mentions/")  # warm caches (session, content types)
    # session, user, count (in a savepoint with its time budget set and reset: 4
    # more), page, platforms, brands in the form, the posting-pause banner (base.html),
    # the chart's series and its splits (2), and the playbook's reply marks (the
    # brands' active incidents, the page's replies: 2)
    with django_assert_num_queries(15):
        response = client.get("/mentions/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)" not in body
    assert "5 mentions" in body
    # Viewers read but cannot correct labels.
    assert "/label/" not in body


def test_the_query_count_does_not_grow_with_the_page(charlie, brand, django_assert_num_queries):
    mentions_ingest(items=[item(i, f"Acme Coffee number {i}", author=f"a{i}") for i in range(40)])
    client = login(charlie)
    client.get("/mentions/")
    with django_assert_num_queries(15):  # as above, whatever the page holds
        client.get("/mentions/")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"brand": "acme-coffee"}, {"e1", "e2", "e3", "e4"}),
        ({"platform": "ptt"}, {"e3"}),
        ({"sentiment": "positive"}, {"e2"}),
        ({"lang": "zh-hant"}, {"e3"}),
        ({"q": "latte"}, {"e2"}),
        ({"q": "咖啡"}, {"e3"}),  # a CJK substring, not a whole token
        ({"q": "coffee -latte"}, {"e1", "e4"}),
    ],
)
def test_the_explorer_filters(charlie, mentions, params, expected):
    response = login(charlie).get("/mentions/", params, headers={"HX-Request": "true"})
    assert shown(response) == expected
    assert b"<html" not in response.content  # htmx gets the results partial only


def test_a_search_lists_at_once_and_counts_in_its_own_request(charlie, mentions, settings):
    settings.LANGUAGE_CODE = "en"
    client = login(charlie)
    page = client.get("/mentions/", {"q": "coffee -latte"}).content.decode()
    assert shown_text(page) == {"e1", "e4"}
    assert "2 mentions" not in page  # the list does not wait for the count
    url = re.search(r'hx-get="(/mentions/count/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    part = client.get(url).content.decode()
    assert re.search(r'<span id="results-count">\s*2 mentions\s*</span>', part)
    # without a search the page counts itself (an index read), as before
    assert "5 mentions" in client.get("/mentions/").content.decode()


def shown_text(body: str) -> set[str]:
    return set(re.findall(r'data-external-id="([^"]+)"', body))


def test_the_time_filter_reads_the_users_time_zone(charlie, mentions):
    charlie.time_zone = "Asia/Taipei"  # UTC+8: a filter read as UTC would show nothing
    charlie.save(update_fields=["time_zone"])
    taipei = ZoneInfo("Asia/Taipei")
    since = (NOW - timedelta(minutes=2, seconds=30)).astimezone(taipei)
    response = login(charlie).get("/mentions/", {"since": since.strftime("%Y-%m-%dT%H:%M:%S")})
    assert shown(response) == {"e1", "e2"}


def test_the_csv_export_has_every_filtered_row_and_defuses_formulas(charlie, mentions):
    response = login(charlie).get("/mentions/export.csv", {"brand": "acme-coffee"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["external_id"] for r in rows) == ["e1", "e2", "e3", "e4"]
    formula = next(r for r in rows if r["external_id"] == "e4")
    assert formula["text"].startswith("'=HYPERLINK")


def test_people_without_a_role_see_nothing(dave, mentions):
    assert login(dave).get("/mentions/").status_code == 403
    assert login(dave).get("/mentions/export.csv").status_code == 403
    assert login(dave).get("/mentions/count/", {"q": "coffee"}).status_code == 403


def test_a_responder_corrects_a_label_and_the_rollup_follows(bob, brand, mentions):
    mention = Mention.objects.get(external_id="e1")
    assert mention.sentiment_label == "negative"
    response = login(bob).post(
        f"/mentions/{mention.pk}/label/", {"label": "neutral", "next": "/mentions/"}
    )
    assert response.status_code == 302
    mention.refresh_from_db()
    assert mention.sentiment_label == "neutral"
    correction = LabelCorrection.objects.get()
    assert (correction.user, correction.old_label, correction.new_label) == (
        bob,
        "negative",
        "neutral",
    )
    rollup = Rollup.objects.get(
        brand=brand,
        platform="twitter",
        bucket__lte=mention.published_at,
        bucket__gt=mention.published_at - timedelta(minutes=5),
    )
    totals = Rollup.objects.filter(brand=brand)
    voices = Mention.objects.filter(brand=brand)
    assert sum(r.negative for r in totals) == voices.filter(sentiment_label="negative").count()
    assert sum(r.neutral for r in totals) == voices.filter(sentiment_label="neutral").count()
    assert rollup.count >= 1


def test_a_viewer_cannot_correct_labels(charlie, mentions):
    mention = Mention.objects.get(external_id="e1")
    response = login(charlie).post(f"/mentions/{mention.pk}/label/", {"label": "positive"})
    assert response.status_code == 403
    assert not LabelCorrection.objects.exists()


def test_corrections_export_in_the_evaluate_sentiment_format(bob, mentions, tmp_path):
    client = login(bob)
    first, second = Mention.objects.get(external_id="e1"), Mention.objects.get(external_id="e3")
    client.post(f"/mentions/{first.pk}/label/", {"label": "positive"})
    client.post(f"/mentions/{first.pk}/label/", {"label": "neutral"})  # the latest wins
    client.post(f"/mentions/{second.pk}/label/", {"label": "positive"})
    body = client.get("/mentions/corrections.tsv").content.decode()
    lines = sorted(body.splitlines())
    assert lines == sorted([f"neutral\t{first.text}", f"positive\t{second.text}"])
    path = tmp_path / "corrections.tsv"
    call_command("export_corrections", str(path), stderr=io.StringIO())
    assert path.read_text(encoding="utf-8") == body
    out = io.StringIO()
    call_command("evaluate_sentiment", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["n"] == 2


def test_key_voices_rank_authors_by_reach_times_activity(brand):
    mentions_ingest(
        items=[
            item(1, "Acme Coffee one", author="loud", author_followers=100_000),
            item(2, "Acme Coffee two, awful", author="busy", author_followers=1_000),
            item(3, "Acme Coffee three, awful", author="busy", author_followers=1_200),
            item(4, "Acme Coffee four", author="busy", author_followers=1_200),
            item(5, "Acme Coffee five", author="quiet", author_followers=10),
            item(
                6,
                "Acme Coffee old",
                author="gone",
                author_followers=10**6,
                published_at=NOW - timedelta(days=3),
            ),
            item(7, "boost", author="fan", author_followers=500, repost_of="e5"),
        ]
    )
    voices = key_voices(brand=brand, since=NOW - timedelta(hours=1))
    assert [v.author for v in voices] == ["loud", "busy", "quiet"]
    busy = voices[1]
    assert (busy.followers, busy.posts, busy.platform) == (1_200, 3, "twitter")
    assert voices[2].amplified_reach == 500  # the repost's reach counts for the original's author
    assert [v.author for v in key_voices(brand=brand, since=NOW - timedelta(hours=1), limit=1)] == [
        "loud"
    ]
