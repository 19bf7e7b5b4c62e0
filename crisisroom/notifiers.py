"""Team webhooks for alerts: one small class per kind behind one interface
(after healthchecks' hc/api/transports.py). Each builds its service's real JSON
format and POSTs it; errors say whether a retry can help."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from foundation.http import SourceError, post_json


class WebhookError(Exception):
    """The webhook did not take the message."""


class WebhookTemporaryError(WebhookError):
    """Worth retrying: a network error, 429 or 5xx."""


class WebhookRejected(WebhookError):
    """Not worth retrying: the receiver refused the message (4xx)."""


class Notifier:
    def __init__(self, url: str) -> None:
        self.url = url

    def payload(self, summary: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def send(self, summary: dict[str, Any]) -> None:
        try:
            response = post_json(
                self.url, self.payload(summary), timeout=settings.WEBHOOK_TIMEOUT_SECONDS
            )
        except SourceError as exc:  # unreachable, timed out, or an address the guard refuses
            error = WebhookTemporaryError if exc.retry else WebhookRejected
            raise error(f"webhook: {exc}") from exc
        if response.status >= 400:
            message = f"HTTP {response.status} from the webhook"
            if response.status == 429 or response.status >= 500:
                raise WebhookTemporaryError(message)
            raise WebhookRejected(message)


def _fact_lines(summary: dict[str, Any]) -> list[tuple[str, str]]:
    return [(label, value) for label, value in summary["facts"] if value]


class SlackNotifier(Notifier):
    """Slack incoming webhook: {"text": fallback, "blocks": [...]} (Block Kit)."""

    def payload(self, summary: dict[str, Any]) -> dict[str, Any]:
        fields = [
            {"type": "mrkdwn", "text": f"*{label}*\n{value}"}
            for label, value in _fact_lines(summary)
        ][:10]
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": summary["title"][:150]}},
            {"type": "section", "fields": fields},
        ]
        if summary["signals"]:
            blocks.append(
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "\n".join(f"• {s}" for s in summary["signals"])[:3000],
                    },
                }
            )
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": summary["open_label"]},
                        "url": summary["url"],
                        "style": "danger",
                    }
                ],
            }
        )
        return {"text": f"{summary['title']} — {summary['url']}", "blocks": blocks}


class TeamsNotifier(Notifier):
    """Microsoft Teams incoming webhook: a legacy MessageCard (still accepted by
    Teams connectors and by Power Automate's webhook trigger)."""

    def payload(self, summary: dict[str, Any]) -> dict[str, Any]:
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": summary["title"][:150],
            "themeColor": "B00020",
            "title": summary["title"],
            "sections": [
                {
                    "activityTitle": summary["brand"],
                    "facts": [{"name": k, "value": v} for k, v in _fact_lines(summary)],
                    "text": "<br>".join(summary["signals"]),
                }
            ],
            "potentialAction": [
                {
                    "@type": "OpenUri",
                    "name": summary["open_label"],
                    "targets": [{"os": "default", "uri": summary["url"]}],
                }
            ],
        }


NOTIFIERS: dict[str, type[Notifier]] = {"slack": SlackNotifier, "teams": TeamsNotifier}


def notifier_for(kind: str, url: str) -> Notifier:
    return NOTIFIERS[kind](url)
