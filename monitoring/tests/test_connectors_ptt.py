"""PTT connector against pages of ptt.cc's real markup, served from 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring.connectors import SourceError, connector_for
from monitoring.models import Source
from monitoring.tests.feedserver import FeedServer, Reply

PAYLOADS = Path(__file__).parent / "payloads"
A1 = "M.1795518000.A.1F3"
A2 = "M.1795521600.A.2B7"


def page(name: str) -> str:
    return (PAYLOADS / name).read_text(encoding="utf-8")


def html(body: str) -> Reply:
    return Reply(body=body, headers={"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture
def ptt(feed_server: FeedServer, allow_private, settings) -> Source:  # type: ignore[no-untyped-def]
    settings.SOURCES_PTT_REQUEST_GAP_SECONDS = 0
    feed_server.routes["/bbs/MobileComm/index.html"] = html(page("ptt_index.html"))
    feed_server.routes[f"/bbs/MobileComm/{A1}.html"] = html(page("ptt_article_1.html"))
    feed_server.routes[f"/bbs/MobileComm/{A2}.html"] = html(page("ptt_article_2.html"))
    return Source(
        kind="ptt", key="ptt-test", url=feed_server.base_url, config={"boards": "MobileComm"}
    )


def test_articles_and_their_pushes_become_mentions_linked_to_the_article(feed_server, ptt):
    result = connector_for("ptt").fetch(ptt)

    by_id = {item["external_id"]: item for item in result.items}
    # The deleted article has no link and the pinned rules notice is past the separator.
    assert set(by_id) == {A1, f"{A1}#1", f"{A1}#2", f"{A1}#3", f"{A1}#4", A2, f"{A2}#1"}
    article = by_id[A1]
    assert article["text"].startswith("[問題] Acme手機 更新後一直當機\n昨天更新到新版之後")
    assert "Acme 手機一直自己重開機 & 當機" in article["text"]
    assert "發信站" not in article["text"] and "推 " not in article["text"]
    assert article["author"] == "phoneguy"
    assert article["published_at"] == "2026-11-24T11:00:00+00:00"
    assert article["url"] == f"{feed_server.base_url}/bbs/MobileComm/{A1}.html"
    assert article["reactions"] == {"positive": 2, "negative": 1, "neutral": 1}
    boo = by_id[f"{A1}#2"]
    assert boo["text"] == "爛透了 退貨"
    assert boo["author"] == "angry99"
    assert boo["reply_to"] == A1
    assert boo["published_at"] == "2026-11-24T11:07:00+00:00"  # 19:07 in Taipei
    assert by_id[f"{A1}#4"]["published_at"] == "2026-11-24T16:10:00+00:00"
    assert result.new_cursor["boards"]["MobileComm"]["last"] == A2
    # Every request carried the over-18 consent cookie.
    assert all(seen.headers.get("cookie") == "over18=1" for seen in feed_server.requests)


def test_the_next_poll_reads_nothing_old_and_rereads_an_article_whose_pushes_grew(feed_server, ptt):
    first = connector_for("ptt").fetch(ptt)
    ptt.cursor = first.new_cursor
    feed_server.requests.clear()

    again = connector_for("ptt").fetch(ptt)
    assert again.items == []
    assert [s.path for s in feed_server.requests] == ["/bbs/MobileComm/index.html"]

    # Article 1's push count on the index goes from 5 to 6: it is read again.
    feed_server.routes["/bbs/MobileComm/index.html"] = html(
        page("ptt_index.html").replace(
            '<span class="hl f2">5</span>', '<span class="hl f2">6</span>'
        )
    )
    feed_server.routes[f"/bbs/MobileComm/{A1}.html"] = html(
        page("ptt_article_1.html").replace(
            "</span></div></div>",
            '</span></div><div class="push"><span class="hl push-tag">推 </span>'
            '<span class="f3 hl push-userid">late</span><span class="f3 push-content">: 修好了</span>'
            '<span class="push-ipdatetime"> 11/25 09:00\n</span></div></div>',
        )
    )
    ptt.cursor = again.new_cursor
    grown = connector_for("ptt").fetch(ptt)
    ids = [item["external_id"] for item in grown.items]
    assert f"{A1}#5" in ids and A1 in ids and A2 not in ids
    article = next(i for i in grown.items if i["external_id"] == A1)
    assert article["reactions"] == {"positive": 3, "negative": 1, "neutral": 1}


def test_paging_goes_back_through_the_previous_page_link_until_the_cursor(feed_server, ptt):
    older = (
        page("ptt_index.html").replace(A1, "M.1795510000.A.0AA").replace(A2, "M.1795514000.A.0BB")
    )
    feed_server.routes["/bbs/MobileComm/index6523.html"] = html(older)
    feed_server.routes["/bbs/MobileComm/M.1795514000.A.0BB.html"] = html(page("ptt_article_2.html"))
    ptt.cursor = {"boards": {"MobileComm": {"last": "M.1795510000.A.0AA", "recent": {}}}}

    result = connector_for("ptt").fetch(ptt)

    articles = [i["external_id"] for i in result.items if "#" not in i["external_id"]]
    assert articles == ["M.1795514000.A.0BB", A1, A2]  # oldest first, the cursor's own left out
    assert "/bbs/MobileComm/index6523.html" in [s.path for s in feed_server.requests]


def test_an_empty_board_page_yields_nothing(feed_server, ptt):
    empty = page("ptt_index.html")
    start, end = empty.index('<div class="r-ent">'), empty.index('<div class="r-list-sep">')
    feed_server.routes["/bbs/MobileComm/index.html"] = html(empty[:start] + empty[end:])
    result = connector_for("ptt").fetch(ptt)
    assert result.items == []
    assert result.new_cursor == {"boards": {"MobileComm": {"last": "", "recent": {}}}}


def test_rate_limited_is_transient_with_retry_after(feed_server, ptt):
    feed_server.routes["/bbs/MobileComm/index.html"] = Reply(
        503, "<html><body>Service Temporarily Unavailable</body></html>", {"Retry-After": "60"}
    )
    with pytest.raises(SourceError) as caught:
        connector_for("ptt").fetch(ptt)
    assert caught.value.retry and caught.value.retry_after == 60


def test_a_page_that_is_not_a_board_index_is_a_transient_error(feed_server, ptt):
    feed_server.routes["/bbs/MobileComm/index.html"] = html("<html><body><h1>502 Bad Gateway")
    with pytest.raises(SourceError, match="not a board index") as caught:
        connector_for("ptt").fetch(ptt)
    assert caught.value.retry


def test_the_over18_question_is_noticed_not_parsed_as_a_board(feed_server, ptt):
    feed_server.routes["/bbs/MobileComm/index.html"] = Reply(
        302, headers={"Location": "/ask/over18?from=%2Fbbs%2FMobileComm%2Findex.html"}
    )
    feed_server.routes["/ask/over18"] = html(
        '<form action="/ask/over18" method="post"><input type="hidden" name="from" '
        'value="/bbs/MobileComm/index.html"><button name="yes" value="yes">我同意，我已年滿十八歲'
        "</button></form>"
    )
    with pytest.raises(SourceError, match="over-18"):
        connector_for("ptt").fetch(ptt)


def test_a_board_name_that_is_not_one_is_refused_before_any_request(feed_server, ptt):
    ptt.config = {"boards": "../../etc"}
    with pytest.raises(SourceError) as caught:
        connector_for("ptt").fetch(ptt)
    assert not caught.value.retry
    assert feed_server.requests == []


def test_requests_to_ptt_are_spaced_by_the_polite_gap(feed_server, ptt, settings):
    import time

    settings.SOURCES_PTT_REQUEST_GAP_SECONDS = 0.2
    arrivals: list[float] = []
    index = feed_server.routes["/bbs/MobileComm/index.html"]

    def timed(seen):  # type: ignore[no-untyped-def]
        arrivals.append(time.monotonic())
        return index

    feed_server.routes["/bbs/MobileComm/index.html"] = timed
    for article in (A1, A2):
        reply = feed_server.routes[f"/bbs/MobileComm/{article}.html"]
        feed_server.routes[f"/bbs/MobileComm/{article}.html"] = lambda seen, reply=reply: (
            arrivals.append(time.monotonic()) or reply
        )
    connector_for("ptt").fetch(ptt)
    assert len(arrivals) == 3
    assert all(b - a >= 0.19 for a, b in zip(arrivals, arrivals[1:], strict=False))


@pytest.mark.django_db
def test_polling_a_board_stores_articles_and_linked_pushes_and_refreshes_reactions(
    feed_server, ptt, brand
):
    from monitoring.models import Mention
    from monitoring.polling import source_poll

    ptt.platform = "ptt"
    ptt.config = {"boards": "MobileComm"}
    ptt.save()
    # The articles name "Acme手機"; the brand's terms are about Acme咖啡: add one that matches.
    brand.terms.create(kind="name", query="Acme")
    source_poll(source_id=ptt.pk, force=True)

    article = Mention.objects.get(external_id=A1)
    pushes = Mention.objects.filter(reply_to=article).order_by("external_id")
    assert [p.text for p in pushes] == ["我的沒事耶", "爛透了 退貨", "客服也不回", "同樣問題+1"]
    assert {p.brand_id for p in pushes} == {brand.pk}  # the pushes name no brand
    assert (article.reactions_positive, article.reactions_negative) == (2, 1)
    assert all(m.platform == "ptt" for m in Mention.objects.all())

    # A new push: the index shows 6, the article is read again, one mention more.
    feed_server.routes["/bbs/MobileComm/index.html"] = html(
        page("ptt_index.html").replace(
            '<span class="hl f2">5</span>', '<span class="hl f2">6</span>'
        )
    )
    feed_server.routes[f"/bbs/MobileComm/{A1}.html"] = html(
        page("ptt_article_1.html").replace(
            "</span></div></div>",
            '</span></div><div class="push"><span class="f1 hl push-tag">噓 </span>'
            '<span class="f3 hl push-userid">late</span><span class="f3 push-content">: 還是當機</span>'
            '<span class="push-ipdatetime"> 11/25 09:00\n</span></div></div>',
        )
    )
    before = Mention.objects.count()
    source_poll(source_id=ptt.pk, force=True)
    assert Mention.objects.count() == before + 1
    article.refresh_from_db()
    assert (article.reactions_positive, article.reactions_negative) == (2, 2)
    assert Mention.objects.get(external_id=f"{A1}#5").reply_to_id == article.pk


def test_a_trial_fetch_reads_only_the_newest_few_articles(feed_server, ptt):
    from monitoring.connectors.ptt import PttConnector

    ids = [f"M.{1795518000 + n * 60}.A.{n:03X}" for n in range(8)]
    entries = "".join(
        f'<div class="r-ent"><div class="nrec"></div><div class="title">'
        f'<a href="/bbs/MobileComm/{i}.html">[閒聊] {n}</a></div><div class="meta">'
        f'<div class="author">u{n}</div></div></div>'
        for n, i in enumerate(ids)
    )
    index = page("ptt_index.html")
    start, end = index.index('<div class="r-ent">'), index.index('<div class="r-list-sep">')
    feed_server.routes["/bbs/MobileComm/index.html"] = html(index[:start] + entries + index[end:])
    for i in ids:
        feed_server.routes[f"/bbs/MobileComm/{i}.html"] = html(page("ptt_article_2.html"))

    trial = PttConnector()
    trial.trial = True
    articles = [x["external_id"] for x in trial.fetch(ptt).items if "#" not in x["external_id"]]
    assert articles == ids[-5:]
    full = [
        x["external_id"] for x in PttConnector().fetch(ptt).items if "#" not in x["external_id"]
    ]
    assert full == ids
