"""The sitrep as each reader gets it: an email (text and HTML) and a Slack or Teams
message, in the reader's language and time zone. The notifier classes follow
crisisroom/notifiers.py (one small class per kind behind its interface)."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from crisisroom.models import Incident
from crisisroom.notifiers import Notifier
from crisisroom.templatetags.crisis_format import number, when
from playbook.sitrep import Sitrep, sitrep_build


def sitrep_for_reader(
    incident: Incident, *, language: str, zone: str, now: Any = None
) -> tuple[Sitrep, list[tuple[str, list[str]]]]:
    """The report and its outline, written for one reader."""
    with translation.override(language), timezone.override(zone):
        report = sitrep_build(incident, now=now)
        return report, sitrep_outline(report)


def sitrep_outline(report: Sitrep) -> list[tuple[str, list[str]]]:
    """The report as headed lists of plain lines (the text email and chat messages).
    Call with the reader's language and time zone active."""
    voices = [
        _("%(author)s (%(platform)s): %(reach)s followers, %(n)s mentions")
        % {
            "author": v["author"],
            "platform": v["platform"],
            "reach": number(v["reach"]),
            "n": v["mentions"],
        }
        for v in report.voices
    ]
    out = [f"#{s['id']} {s['text']} ({when(s['at'])})" for s in report.statements_out]
    pending = [
        f"#{s['id']} {s['text']} — {s['state']}"
        + (" · " + _("waiting for %(roles)s") % {"roles": s["waiting"]} if s["waiting"] else "")
        for s in report.statements_pending
    ]
    claims = [
        f"{c['text']} — {c['status']}" + (" · " + _("corrected") if c["corrected"] else "")
        for c in report.claims
    ]
    actions = [f"{a['role']}: {a['message']}" for a in report.actions]
    outline = [
        (_("The conversation"), [report.volume.text, report.negative.text]),
        (_("New voices in the last hour"), voices or [_("None")]),
        (_("Statements out"), out or [_("None yet")]),
        (_("Statements pending"), pending or [_("None")]),
        (_("Claims"), claims or [_("None recorded")]),
        (_("Next actions"), actions or [_("Nothing waiting")]),
    ]
    for section in report.sections:
        lines = [f"{row.label}: {row.value}" for row in section.rows]
        outline.append((section.title, lines or [section.empty or _("None")]))
    return outline


def sitrep_email(
    incident: Incident, *, to: str, language: str, zone: str, now: Any = None
) -> EmailMultiAlternatives:
    report, outline = sitrep_for_reader(incident, language=language, zone=zone, now=now)
    with translation.override(language):
        context = {"report": report, "outline": outline, "time_zone": zone}
        subject = _("[Crisis Room] Sitrep %(time)s: %(title)s") % {
            "time": _at(report, zone),
            "title": incident.title,
        }
        text = render_to_string("playbook/email/sitrep.txt", context)
        html = render_to_string("playbook/email/sitrep.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def _at(report: Sitrep, zone: str) -> str:
    with timezone.override(zone):
        return when(report.at, "H:i")


def sitrep_summary(incident: Incident, *, language: str, zone: str, now: Any = None) -> dict:
    """What a chat message says: title, time, outline, the page's address."""
    report, outline = sitrep_for_reader(incident, language=language, zone=zone, now=now)
    with translation.override(language), timezone.override(zone):
        return {
            "title": report.title,
            "at": when(report.at),
            "url": report.url,
            "open_label": str(_("Open the sitrep")),
            "outline": outline,
            "bad": report.negative.direction == "up" or report.volume.direction == "up",
        }


class SlackSitrepNotifier(Notifier):
    """A Slack incoming webhook: Block Kit, one section per part of the report."""

    def payload(self, summary: dict[str, Any]) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": summary["title"][:150]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": summary["at"]}]},
        ]
        for heading, lines in summary["outline"]:
            text = f"*{heading}*\n" + "\n".join(f"• {line}" for line in lines)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": summary["open_label"]},
                        "url": summary["url"],
                    }
                ],
            }
        )
        # Slack allows 50 blocks; the report has about ten.
        return {"text": f"{summary['title']} — {summary['url']}", "blocks": blocks[:50]}


class TeamsSitrepNotifier(Notifier):
    """A Microsoft Teams incoming webhook: a MessageCard, one section per part."""

    def payload(self, summary: dict[str, Any]) -> dict[str, Any]:
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": summary["title"][:150],
            "themeColor": "B00020" if summary["bad"] else "333333",
            "title": summary["title"],
            "text": summary["at"],
            "sections": [
                # Teams reads this text as HTML: the report's lines are people's words.
                {"activityTitle": heading, "text": "<br>".join(escape(line) for line in lines)}
                for heading, lines in summary["outline"]
            ],
            "potentialAction": [
                {
                    "@type": "OpenUri",
                    "name": summary["open_label"],
                    "targets": [{"os": "default", "uri": summary["url"]}],
                }
            ],
        }


SITREP_NOTIFIERS: dict[str, type[Notifier]] = {
    "slack": SlackSitrepNotifier,
    "teams": TeamsSitrepNotifier,
}
