"""Source connectors: one small class per kind behind one interface (see base.py)."""

from __future__ import annotations

from foundation.http import SourceError
from monitoring.connectors.base import Connector, FetchResult
from monitoring.connectors.bluesky import BlueskyConnector
from monitoring.connectors.dcard import DcardConnector
from monitoring.connectors.graph import FacebookConnector, InstagramConnector, ThreadsConnector
from monitoring.connectors.hackernews import HackerNewsConnector
from monitoring.connectors.mastodon import MastodonConnector
from monitoring.connectors.ptt import PttConnector
from monitoring.connectors.push import ApiConnector, DrillConnector, ImportConnector
from monitoring.connectors.reddit import RedditConnector
from monitoring.connectors.rss import RssConnector
from monitoring.connectors.youtube import YouTubeConnector

CONNECTORS: dict[str, type[Connector]] = {
    c.kind: c
    for c in (
        RssConnector,
        MastodonConnector,
        BlueskyConnector,
        RedditConnector,
        HackerNewsConnector,
        PttConnector,
        DcardConnector,
        YouTubeConnector,
        FacebookConnector,
        InstagramConnector,
        ThreadsConnector,
        ApiConnector,
        ImportConnector,
        DrillConnector,
    )
}


def connector_for(kind: str) -> Connector:
    try:
        return CONNECTORS[kind]()
    except KeyError as exc:
        raise SourceError(f"no connector for source kind {kind!r}", retry=False) from exc


__all__ = ["CONNECTORS", "Connector", "FetchResult", "SourceError", "connector_for"]
