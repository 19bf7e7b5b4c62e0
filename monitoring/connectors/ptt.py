"""PTT (批踢踢, www.ptt.cc web boards): the boards a brand names, their articles and
push comments.

``config["boards"]``: board names, comma-separated ("Gossiping, MobileComm,
Lifeismoney"). Every request carries the over-18 consent cookie (``over18=1``) that
boards such as Gossiping ask for. The board index (``/bbs/BOARD/index.html``, newest
last) is read back through its "‹ 上頁" link until it reaches the cursor (the newest
article id read per board; ids are ``M.<unix time>.A.<hex>``), at most
``MAX_PAGES`` pages; the first poll reads the newest page only. Each new article is
read once: it becomes a mention with its 推/噓/→ counted as positive/negative/neutral
reactions, and each push becomes a mention of its own pointing at the article
(``reply_to``). Articles read in the last polls whose push count on the index has
changed are read again: new pushes come in and the article's reactions are updated.
At most ``MAX_ARTICLES`` articles per board per poll (PTT is a volunteer-run site);
the rest wait for the next round (``more``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from foundation import http
from monitoring.connectors.base import Connector, FetchResult, Pacer, SourceError, iso
from monitoring.connectors.htmltree import Element, parse

if TYPE_CHECKING:
    from monitoring.models import Source

DEFAULT_BASE = "https://www.ptt.cc"
MAX_PAGES = 5
MAX_ARTICLES = 20
TRIAL_ARTICLES = 5  # "test this source": the newest few are enough
# Articles remembered per board to re-read when their push count changes.
RECENT = 40
TAIPEI = timezone(timedelta(hours=8))
_BOARD = re.compile(r"^[A-Za-z0-9_-]{2,30}$")
_ARTICLE = re.compile(r"/bbs/[^/]+/(M\.(\d+)\.A\.[0-9A-Fa-f]+)\.html$")
_PUSH_TIME = re.compile(r"(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2})")
TAGS = {"推": 0, "噓": 1, "→": 2}


def _id_key(article_id: str) -> tuple[int, str]:
    match = re.match(r"M\.(\d+)\.", article_id or "")
    return (int(match.group(1)) if match else 0, article_id or "")


def boards(source: Source) -> list[str]:
    raw = (source.config or {}).get("boards") or ""
    names = raw if isinstance(raw, list) else str(raw).replace("，", ",").split(",")
    names = [str(n).strip() for n in names if str(n).strip()]
    if not names:
        raise SourceError("the source's config needs 'boards' (e.g. \"Gossiping\")", retry=False)
    for name in names:
        if not _BOARD.match(name):
            raise SourceError(f"{name!r} is not a PTT board name", retry=False)
    return names


class PttConnector(Connector):
    kind = "ptt"
    platform = "ptt"
    needs = _(
        "Board names (e.g. Gossiping, MobileComm, Lifeismoney); no account, the over-18 consent is sent for you. Polite: at most 20 articles a board per poll."
    )
    example = {"boards": "Gossiping, MobileComm"}

    def __init__(self) -> None:
        self.pacer = Pacer(float(getattr(settings, "SOURCES_PTT_REQUEST_GAP_SECONDS", 0.5)))

    def _get(self, url: str, what: str) -> str:
        with self.pacer:
            response = http.request(
                "GET", url, headers={"Cookie": "over18=1", "Accept": "text/html"}
            )
        self.check(response, what=what)
        text = response.body.decode("utf-8", errors="replace")
        if "/ask/over18" in response.url or ('name="yes"' in text and "over18" in text):
            raise SourceError(f"{what}: PTT asked for the over-18 consent again", retry=True)
        return text

    def _index(self, url: str, board: str) -> tuple[list[dict[str, Any]], str]:
        """Articles on one index page (oldest first, pinned ones left out) and the
        address of the page before it."""
        page = parse(self._get(url, f"PTT {board}"))
        listing = page.find("div", "r-list-container")
        paging = page.find("div", "btn-group-paging")
        if listing is None or paging is None:
            raise SourceError(f"PTT {board}: not a board index page", retry=True)
        entries: list[dict[str, Any]] = []
        for node in listing.children:
            if not isinstance(node, Element):
                continue
            if "r-list-sep" in node.classes:
                break  # what follows are the board's pinned notices
            if "r-ent" not in node.classes:
                continue
            link = node.find("a")
            match = _ARTICLE.search(link.attrs.get("href", "")) if link is not None else None
            if match is None:
                continue  # (本文已被刪除): a deleted article has no link
            nrec = node.find("div", "nrec")
            author = node.find("div", "author")
            entries.append(
                {
                    "id": match.group(1),
                    "url": urljoin(url, link.attrs["href"]),
                    "title": link.text().strip(),
                    "nrec": nrec.text().strip() if nrec is not None else "",
                    "author": author.text().strip() if author is not None else "",
                }
            )
        previous = ""
        for button in paging.find_all("a"):
            if "上頁" in button.text() and button.attrs.get("href"):
                previous = urljoin(url, button.attrs["href"])
        return entries, previous

    def _article(self, source: Source, entry: dict[str, Any], board: str) -> list[dict[str, Any]]:
        page = parse(self._get(entry["url"], f"PTT {board} {entry['id']}"))
        main = page.find("div", "bbs-content") or page.find(None, "bbs-screen")
        if main is None:
            raise SourceError(f"PTT {board} {entry['id']}: not an article page", retry=True)
        meta: dict[str, str] = {}
        body: list[str] = []
        pushes: list[Element] = []
        for node in main.children:
            if isinstance(node, str):
                body.append(node)
                continue
            if node.classes & {"article-metaline", "article-metaline-right"}:
                tag, value = (
                    node.find("span", "article-meta-tag"),
                    node.find("span", "article-meta-value"),
                )
                if tag is not None and value is not None:
                    meta[tag.text().strip()] = value.text().strip()
            elif "push" in node.classes:
                pushes.append(node)
            elif "f2" in node.classes:
                continue  # ※ 發信站 / 文章網址 / 編輯 lines
            else:
                body.append(node.text())
        text = "".join(body)
        text = text.split("\n--\n※ 發信站")[0].split("※ 發信站")[0]
        text = re.sub(r"\n--\s*$", "", text.strip()).strip()
        title = meta.get("標題") or entry["title"]
        published = datetime.fromtimestamp(_id_key(entry["id"])[0], tz=UTC)
        author = (meta.get("作者") or entry["author"]).split(" ")[0]
        counts = [0, 0, 0]
        items: list[dict[str, Any]] = []
        for number, push in enumerate(pushes, start=1):
            tag = push.find("span", "push-tag")
            user = push.find("span", "push-userid")
            content = push.find("span", "push-content")
            stamp = push.find("span", "push-ipdatetime")
            mark = (tag.text().strip() if tag is not None else "")[:1]
            if mark in TAGS:
                counts[TAGS[mark]] += 1
            said = (content.text() if content is not None else "").strip()
            said = said[1:].strip() if said.startswith(":") else said
            if not said:
                continue
            items.append(
                {
                    "source": source.key,
                    "external_id": f"{entry['id']}#{number}",
                    "text": said,
                    "published_at": iso(
                        _push_time(stamp.text() if stamp is not None else "", published)
                    ),
                    "url": f"{entry['url']}#push-{number}",
                    "author": (user.text().strip() if user is not None else "")[:200],
                    "author_followers": 0,
                    "lang": "zh-hant",
                    "reply_to": entry["id"],
                }
            )
        article = {
            "source": source.key,
            "external_id": entry["id"],
            "text": f"{title}\n{text}".strip()[:20000],
            "published_at": iso(published),
            "url": entry["url"],
            "author": author[:200],
            "author_followers": 0,
            "lang": "zh-hant",
            "reactions": {"positive": counts[0], "negative": counts[1], "neutral": counts[2]},
        }
        return [article, *items]

    def fetch(self, source: Source) -> FetchResult:
        base = (source.url or DEFAULT_BASE).rstrip("/")
        cursor = dict((source.cursor or {}).get("boards") or {})
        items: list[dict[str, Any]] = []
        more = False
        for board in boards(source):
            state = dict(cursor.get(board) or {})
            last = str(state.get("last") or "")
            recent: dict[str, str] = dict(state.get("recent") or {})
            url = f"{base}/bbs/{board}/index.html"
            seen: list[dict[str, Any]] = []
            for _page in range(MAX_PAGES):
                entries, previous = self._index(url, board)
                seen = entries + seen
                oldest = entries[0]["id"] if entries else ""
                if not last or not previous or (oldest and _id_key(oldest) <= _id_key(last)):
                    break
                url = previous
            new = sorted(
                (e for e in seen if not last or _id_key(e["id"]) > _id_key(last)),
                key=lambda e: _id_key(e["id"]),
            )
            limit = TRIAL_ARTICLES if self.trial else MAX_ARTICLES
            if len(new) > limit:
                new, more = new[-limit:] if self.trial else new[:limit], True
            again = [
                e
                for e in seen
                if e["id"] in recent and recent[e["id"]] != e["nrec"] and e not in new
            ]
            for entry in again + new:
                items.extend(self._article(source, entry, board))
                recent[entry["id"]] = entry["nrec"]
            if new:
                last = new[-1]["id"]
            kept = sorted(recent, key=_id_key)[-RECENT:]
            cursor[board] = {"last": last, "recent": {k: recent[k] for k in kept}}
        return FetchResult(items=items, new_cursor={"boards": cursor}, more=more)


def _push_time(stamp: str, article_time: datetime) -> datetime:
    """A push says "MM/DD HH:MM" in Taiwan time without a year: the article's year, or
    the next one when that would put the push before the article (a December article
    pushed in January)."""
    match = _PUSH_TIME.search(stamp or "")
    if match is None:
        return article_time
    month, day, hour, minute = (int(g) for g in match.groups())
    local = article_time.astimezone(TAIPEI)
    try:
        moment = datetime(local.year, month, day, hour, minute, tzinfo=TAIPEI)
        if moment < local - timedelta(days=1):
            moment = moment.replace(year=local.year + 1)
    except ValueError:
        return article_time
    return moment.astimezone(UTC)
