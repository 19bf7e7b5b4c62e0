"""Statement channels as data: the seeded networks, how each counts, previews per
channel against the limit, and a channel an admin adds being usable everywhere."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils import translation

from playbook.counting import text_length
from playbook.models import Channel, Statement, StatementVariant
from playbook.review import review_statement
from playbook.seed import seed_channels
from playbook.selectors import over_limit, statement_limits
from playbook.services import base, statements
from playbook.tests.conftest import drafted

NEW = ["facebook", "instagram", "threads", "line", "youtube", "ptt", "dcard"]


def test_the_networks_where_crises_happen_are_seeded_with_names_in_both_languages():
    rows = {c.code: c for c in Channel.objects.all()}
    assert set(NEW) | {"x", "mastodon", "bluesky", "email", "website", "phone"} <= set(rows)
    assert rows["line"].limit == 500
    assert rows["instagram"].limit == 2200
    assert rows["x"].counting == "x_weighted"
    assert rows["mastodon"].connector == "mastodon" and not rows["mastodon"].by_hand
    assert all(rows[code].by_hand for code in NEW)  # no API connector: by hand, with a link
    with translation.override("zh-hant"):
        assert rows["youtube"].label == "YouTube（社群貼文）"
        assert rows["email"].label == "電子郵件"
    with translation.override("en"):
        assert rows["youtube"].label == "YouTube (community post)"


def test_x_counts_cjk_as_two_and_a_link_as_23():
    assert text_length("abc", "x_weighted") == 3
    assert text_length("我們很抱歉", "x_weighted") == 10
    link = "https://example.com/a/very/long/path/that/is/much/longer/than/twenty-three"
    assert text_length(f"見 {link}", "x_weighted") == 2 + 1 + 23
    assert text_length(f"see {link}", "urls_23") == 4 + 23
    assert text_length(f"see {link}", "characters") == 4 + len(link)


def test_graphemes_and_display_width_count_what_a_reader_sees():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one family emoji, five code points
    assert len(family) == 5
    assert text_length(family, "graphemes") == 1
    assert text_length("e\u0301", "graphemes") == 1
    assert text_length("公告 ok", "width") == 4 + 1 + 2


def test_140_chinese_characters_fill_an_x_post_but_not_a_line_message():
    text = "我" * 141
    assert over_limit("x", text)  # 282 weighted
    assert not over_limit("line", text)
    assert not over_limit("x", "我" * 140)


def test_previews_count_each_channel_its_own_way_against_its_limit(cast):
    statement = drafted(cast)
    statements.statement_edit(
        statement=statement,
        by=cast["pr_lead"],
        channels=["line", "ptt", "x"],
        variants={"x": "我" * 141, "ptt": "公告：我們很抱歉"},
    )
    rows = {row["channel"]: row for row in statement_limits(Statement.objects.get(pk=statement.pk))}
    assert list(rows) == ["x", "line", "ptt"]  # the channels' order, not alphabetical
    assert rows["x"]["length"] == 282 and rows["x"]["over"] and rows["x"]["over_by"] == 2
    assert rows["line"]["text"] == statement.body  # no variant: the body goes out
    assert rows["line"]["limit"] == 500 and rows["line"]["left"] == 500 - len(statement.body)
    assert rows["ptt"]["length"] == 16 and rows["ptt"]["limit"] is None
    flags = [f.message for f in review_statement(statement) if f.code == "too_long"]
    assert flags == ["Too long for X: 282 of 280 characters."]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Previews per channel", "Published by hand, with a link", "2 over the limit"]),
        ("zh-hant", ["各頻道預覽", "手動發布，附連結", "超過上限 2 字"]),
    ],
)
def test_the_statement_page_shows_each_preview_with_its_count(client, cast, lang, words):
    statement = drafted(cast)
    statements.statement_edit(
        statement=statement, by=cast["pr_lead"], channels=["line"], variants={"x": "我" * 141}
    )
    user = cast["pr_lead"]
    user.language = lang
    user.save(update_fields=["language"])
    client.force_login(user)
    html = client.get(f"/incidents/{cast.incident.pk}/playbook/statements/{statement.pk}/").content
    page = html.decode()
    assert 'id="preview-line"' in page and 'id="preview-x"' in page
    assert f"{len(statement.body)} / 500" in page
    assert "282 / 280" in page
    for word in words:
        assert word in page


def test_a_channel_an_admin_adds_is_accepted_by_the_service_the_form_and_the_api(
    cast, api_for, client
):
    Channel.objects.create(code="plurk", name_en="Plurk", name_zh_hant="噗浪", limit=360)
    statement = drafted(cast)
    statements.statement_edit(
        statement=statement, by=cast["pr_lead"], channels=["plurk"], variants={"plurk": "a" * 361}
    )
    assert over_limit("plurk", "a" * 361)
    response = api_for(cast["pr_lead"]).post(
        f"/incidents/{cast.incident.pk}/statements", {"body": "Hello", "channels": ["plurk"]}
    )
    assert response.status_code == 201, response.content
    schema = api_for(cast["pr_lead"]).get("/openapi.json").json()
    assert "plurk" in schema["components"]["schemas"]["ChannelCode"]["enum"]
    with pytest.raises(base.InvalidInput, match="unknown channel"):
        statements.statement_edit(statement=statement, by=cast["pr_lead"], channels=["myspace"])


def test_the_migration_keeps_every_code_already_in_use(cast):
    statement = drafted(cast)
    Statement.objects.filter(pk=statement.pk).update(channels=["x", "friendster"])
    StatementVariant.objects.create(statement=statement, channel="orkut", body="hi")
    seed_channels(apps)
    rows = {c.code: c for c in Channel.objects.filter(code__in=["friendster", "orkut"])}
    assert set(rows) == {"friendster", "orkut"}
    assert not rows["orkut"].active  # kept readable, not offered for new statements
    statement = Statement.objects.get(pk=statement.pk)
    assert [r["channel"] for r in statement_limits(statement)] == ["x", "friendster", "orkut"]


def test_channels_without_a_connector_are_published_by_hand_each_with_its_link(client, cast):
    from playbook.models import Publication
    from playbook.tests.conftest import approved

    statement = approved(cast)
    variants = {"line": "LINE 版本", "ptt": "PTT 版本"}
    # Written into the rows: an edit through the service would reset the approvals.
    Statement.objects.filter(pk=statement.pk).update(channels=["line", "ptt"])
    for channel, body in variants.items():
        StatementVariant.objects.create(statement=statement, channel=channel, body=body)
    client.force_login(cast["social_media_manager"])
    url = f"/incidents/{cast.incident.pk}/playbook/statements/{statement.pk}/"
    page = client.get(url).content.decode()
    assert 'name="link_line"' in page and 'name="link_ptt"' in page
    response = client.post(f"{url}publish/", {"link_line": "javascript:alert(1)"})
    assert response.status_code == 400
    assert Statement.objects.get(pk=statement.pk).state == "approved"
    response = client.post(
        f"{url}publish/",
        {
            "link_line": "https://line.me/R/home/public/post?id=1",
            "link_ptt": "https://www.ptt.cc/bbs/x.html",
        },
    )
    assert response.status_code == 302
    assert Statement.objects.get(pk=statement.pk).state == "published"
    rows = {p.channel: p for p in Publication.objects.filter(statement=statement)}
    assert set(rows) == {"line", "ptt"}
    assert rows["line"].state == "manual" and rows["line"].body == "LINE 版本"
    assert rows["ptt"].url == "https://www.ptt.cc/bbs/x.html"
    entry = cast.incident.timeline.filter(message__contains="published by").last()
    assert "https://www.ptt.cc/bbs/x.html" in entry.message


def test_an_admin_edits_channels_and_cadences_in_the_admin(client):
    from django.core.management import call_command

    from crisisroom.models import User
    from playbook.models import UpdateCadence

    call_command("add_user", "root2", "--role", "admin")
    client.force_login(User.objects.get(username="root2"))
    page = client.get("/admin/playbook/channel/")
    assert page.status_code == 200 and "PTT 批踢踢" in page.content.decode()
    response = client.post(
        "/admin/playbook/channel/add/",
        {
            "code": "plurk",
            "name_en": "Plurk",
            "name_zh_hant": "噗浪",
            "limit": "360",
            "counting": "characters",
            "connector": "",
            "position": "20",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert over_limit("plurk", "a" * 361) and not over_limit("plurk", "a" * 360)
    cadence = UpdateCadence.objects.get(response_level="statement")
    assert client.get(f"/admin/playbook/updatecadence/{cadence.pk}/change/").status_code == 200
