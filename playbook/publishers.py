"""Publishing connectors: one small class per kind behind one interface
(healthchecks' transports). ``PublishError.retry`` says whether trying again may help
(network trouble, 429, 5xx) or not (bad credentials, refused content)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from foundation.http import SourceError, post_json, request, url_origin
from monitoring.connectors.base import Connector
from playbook.choices import ConnectorKind
from playbook.models import Channel, MentionReply, PublishTarget, ScheduledPost, Statement
from playbook.selectors import channel_length


class PublishError(Exception):
    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Celery pickles the exception of a retried task; keep ``retry`` across.
        return (self.__class__, (str(self),), {"retry": self.retry})


@dataclass
class Published:
    url: str
    external_id: str


@dataclass
class ReplyTo:
    """The post a reply answers, as the monitoring connector stored it: Mastodon's
    status id on the server it was read from (``source_url``), Bluesky's at:// uri."""

    external_id: str
    url: str
    source_url: str = ""


def _get_json(url: str, params: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
    """A read the reply needs first (the status id on our server, Bluesky's cid)."""
    try:
        response = request(
            "GET",
            url,
            params=params,
            headers={"Accept": "application/json", **headers},
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
        Connector.check(response, what=url_origin(url))
        data = response.json()
    except SourceError as exc:
        raise PublishError(f"{url_origin(url)}: {exc}", retry=exc.retry) from exc
    return data if isinstance(data, dict) else {}


def _post_json(
    url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    try:
        response = post_json(url, body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    except SourceError as exc:  # unreachable, timed out, or an address the guard refuses
        raise PublishError(f"could not reach {url_origin(url)}: {exc}", retry=exc.retry) from exc
    try:
        # The connectors' rule: 408, 429, 5xx transient; 401/403 and other 4xx permanent.
        Connector.check(response, what=url_origin(url))
    except SourceError as exc:
        detail = response.body[:300].decode(errors="replace")
        raise PublishError(f"{exc}: {detail}", retry=exc.retry) from exc
    if not response.body.strip():
        return {}
    try:
        data = response.json()
    except SourceError as exc:
        # The post was accepted: trying again could post it twice.
        raise PublishError(str(exc), retry=False) from exc
    return data if isinstance(data, dict) else {"data": data}


class Publisher:
    channel = ""

    def __init__(self, target: PublishTarget) -> None:
        self.target = target
        self.base = target.base_url.rstrip("/")

    def publish(self, *, text: str, statement: Statement) -> Published:
        """A statement (or its variant for this channel)."""
        return self.send(
            text=text,
            key=f"crisisroom-statement-{statement.pk}-v{statement.version}",
            event=lambda: {
                "event": "statement.published",
                "incident": statement.incident_id,
                "statement": statement.pk,
                "version": statement.version,
                "title": statement.title,
                "text": text,
                "variants": {v.channel: v.body for v in statement.variants.all()},
                "is_drill": statement.incident.is_drill,
            },
        )

    def publish_scheduled(self, *, text: str, post: ScheduledPost) -> Published:
        """A post from the outbound queue (playbook/services/scheduled.py)."""
        return self.send(
            text=text,
            key=f"crisisroom-post-{post.pk}",
            event=lambda: {
                "event": "scheduled_post.published",
                "post": post.pk,
                "incident": post.incident_id,
                "text": text,
                "due_at": post.due_at.isoformat(),
                "is_drill": False,
            },
        )

    def reply(self, *, text: str, reply: MentionReply, to: ReplyTo) -> Published:
        """A reply from the team to one mention (playbook/services/replies.py)."""
        return self.send(
            text=text,
            key=reply.idempotency_key,
            reply_to=to,
            event=lambda: {
                "event": "mention_reply.sent",
                "reply": reply.pk,
                "incident": reply.incident_id,
                "text": text,
                "in_reply_to": {"external_id": to.external_id, "url": to.url},
                "is_drill": reply.incident.is_drill,
            },
        )

    def send(
        self,
        *,
        text: str,
        key: str,
        event: Callable[[], dict[str, Any]],
        reply_to: ReplyTo | None = None,
    ) -> Published:
        """Post ``text`` (as a reply to ``reply_to`` when given); ``key`` stops a retry from posting twice where the network
        supports it; ``event`` is the JSON a generic webhook receives."""
        raise NotImplementedError

    def _check_length(self, text: str) -> None:
        channel = Channel.objects.filter(code=self.channel).first()
        length = channel_length(channel, text)
        if channel and channel.limit and length > channel.limit:
            raise PublishError(
                f"the text has {length} characters as {channel.name_en} counts them; "
                f"{channel.name_en} allows {channel.limit}",
                retry=False,
            )


class MastodonPublisher(Publisher):
    """POST /api/v1/statuses with a bearer token (an idempotency key stops double posts)."""

    channel = "mastodon"

    def send(
        self,
        *,
        text: str,
        key: str,
        event: Callable[[], dict[str, Any]],
        reply_to: ReplyTo | None = None,
    ) -> Published:
        self._check_length(text)
        body: dict[str, Any] = {"status": text, "visibility": "public"}
        if reply_to is not None:
            body["in_reply_to_id"] = self._local_status_id(reply_to)
        data = _post_json(
            f"{self.base}/api/v1/statuses",
            body,
            {"Authorization": f"Bearer {self.target.secret}", "Idempotency-Key": key},
        )
        if "id" not in data:
            raise PublishError("Mastodon answered without a status id", retry=False)
        return Published(
            url=str(data.get("url") or data.get("uri") or ""), external_id=str(data["id"])
        )

    def _local_status_id(self, to: ReplyTo) -> str:
        """A status id is only valid on the server it came from: read on ours, use it;
        read elsewhere, have our server resolve the post's URL (v2 search, resolve=true)."""
        if to.source_url and url_origin(to.source_url) == url_origin(self.base):
            return to.external_id
        if not to.url:
            raise PublishError("the mention has no link to find it on this server", retry=False)
        data = _get_json(
            f"{self.base}/api/v2/search",
            {"q": to.url, "type": "statuses", "resolve": "true", "limit": "1"},
            {"Authorization": f"Bearer {self.target.secret}"},
        )
        statuses = data.get("statuses") or []
        if not statuses or not isinstance(statuses[0], dict) or not statuses[0].get("id"):
            raise PublishError(f"{url_origin(self.base)} cannot find the post", retry=False)
        return str(statuses[0]["id"])


class BlueskyPublisher(Publisher):
    """com.atproto.server.createSession, then com.atproto.repo.createRecord."""

    channel = "bluesky"

    def send(
        self,
        *,
        text: str,
        key: str,
        event: Callable[[], dict[str, Any]],
        reply_to: ReplyTo | None = None,
    ) -> Published:
        self._check_length(text)
        session = _post_json(
            f"{self.base}/xrpc/com.atproto.server.createSession",
            {"identifier": self.target.handle, "password": self.target.secret},
        )
        token, did = session.get("accessJwt"), session.get("did")
        if not token or not did:
            raise PublishError("Bluesky did not open a session", retry=False)
        post: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": timezone.now().isoformat().replace("+00:00", "Z"),
        }
        if reply_to is not None:
            post["reply"] = self._reply_refs(reply_to, token)
        record = _post_json(
            f"{self.base}/xrpc/com.atproto.repo.createRecord",
            {"repo": did, "collection": "app.bsky.feed.post", "record": post},
            {"Authorization": f"Bearer {token}"},
        )
        uri = str(record.get("uri", ""))
        if not uri:
            raise PublishError("Bluesky answered without a record uri", retry=False)
        rkey = uri.rsplit("/", 1)[-1]
        return Published(url=f"https://bsky.app/profile/{did}/post/{rkey}", external_id=uri)

    def _reply_refs(self, to: ReplyTo, token: str) -> dict[str, Any]:
        """{root, parent} strong refs (uri + cid): the mention stores only its uri, so
        app.bsky.feed.getPosts gives its cid and, when it is itself a reply, the root."""
        if not to.external_id.startswith("at://"):
            raise PublishError("the mention has no at:// uri to reply to", retry=False)
        data = _get_json(
            f"{self.base}/xrpc/app.bsky.feed.getPosts",
            {"uris": to.external_id},
            {"Authorization": f"Bearer {token}"},
        )
        posts = data.get("posts") or []
        post = posts[0] if posts and isinstance(posts[0], dict) else {}
        if not post.get("uri") or not post.get("cid"):
            raise PublishError("Bluesky cannot find the post (deleted?)", retry=False)
        parent = {"uri": str(post["uri"]), "cid": str(post["cid"])}
        root = ((post.get("record") or {}).get("reply") or {}).get("root") or {}
        if not (isinstance(root, dict) and root.get("uri") and root.get("cid")):
            root = parent
        return {"root": {"uri": str(root["uri"]), "cid": str(root["cid"])}, "parent": parent}


class WebhookPublisher(Publisher):
    """A JSON POST for any other tool: the statement, its variants and incident."""

    channel = "webhook"

    def send(
        self,
        *,
        text: str,
        key: str,
        event: Callable[[], dict[str, Any]],
        reply_to: ReplyTo | None = None,
    ) -> Published:
        headers = {"Authorization": f"Bearer {self.target.secret}"} if self.target.secret else {}
        data = _post_json(self.target.base_url, event(), headers)
        return Published(url=str(data.get("url", "")), external_id=str(data.get("id", "")))


PUBLISHERS: dict[str, type[Publisher]] = {
    ConnectorKind.MASTODON: MastodonPublisher,
    ConnectorKind.BLUESKY: BlueskyPublisher,
    ConnectorKind.WEBHOOK: WebhookPublisher,
}


def publisher_for(target: PublishTarget) -> Publisher:
    return PUBLISHERS[target.kind](target)
