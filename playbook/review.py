"""The statement review helper: flags what crisis-communication practice warns
against, in English and Chinese. Advice, not a gate: the approvers decide."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from playbook.choices import ClaimStatus
from playbook.selectors import channel_length, channel_text, channels_by_code

NON_APOLOGIES = [
    r"\bsorry if\b",
    r"\bsorry that you feel\b",
    r"\bsorry you feel\b",
    r"\bregret any inconvenience\b",
    r"\bapologi[sz]e for any inconvenience\b",
    r"\bif anyone was offended\b",
    r"\bmistakes were made\b",
    "如有不便",
    "如果.{0,6}感到不適",
    "如果.{0,6}冒犯",
    "造成.{0,4}不便.{0,4}(敬請|請)?見諒",
    "若有不便",
]
EXCUSES = [
    r"\bnot our fault\b",
    r"\bbeyond our control\b",
    r"\bthird[- ]party\b",
    r"\b(a|one|the) rogue employee\b",
    r"\bmisunderst(ood|anding) (by|on the part of) (customers|users|you)\b",
    r"\bblame\b",
    r"\bdue to (a )?(supplier|vendor|partner)\b",
    "不是我們的錯",
    "非我們所能控制",
    "第三方",
    "個別員工",
    "供應商.{0,6}(導致|造成|問題)",
]
EMPATHY = [
    r"\bsorry\b",
    r"\bapologi[sz]e\b",
    r"\bwe understand\b",
    r"\bunderstand how\b",
    r"\bfrustrat",
    r"\bconcern",
    r"\bupset",
    r"\bour mistake\b",
    r"\bwe were wrong\b",
    "抱歉",
    "道歉",
    "致歉",
    "理解",
    "明白",
    "擔心",
    "我們的錯",
]
ACTION = [
    r"\bwe (will|are|have) (now )?(\w+ )?(fix|fixing|fixed|refund|refunding|replace|replacing|recall|recalling|investigat|suspend|review|reviewing|contact|contacting|update|updating|stop|stopping|remove|removing|change|changing)",
    r"\bby (monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|\d)",
    r"\brefund",
    r"\brecall",
    r"\bnext update\b",
    r"\bhere is what we\b",
    r"\bsteps\b",
    "我們(將|會|正在|已經?)",
    "退款",
    "召回",
    "更新",
    "措施",
    "行動",
]


@dataclass
class Flag:
    code: str
    message: str
    excerpt: str = ""


def _find(patterns: list[str], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        found = re.search(pattern, text, flags=re.IGNORECASE)
        if found:
            return found
    return None


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w{4,}", text.lower()))


def review_text(
    text: str,
    *,
    variants: dict[str, str] | None = None,
    claims: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> list[Flag]:
    """Flags for ``text``; ``claims`` are (claim, status) pairs from the ledger."""
    flags: list[Flag] = []
    if found := _find(NON_APOLOGIES, text):
        flags.append(
            Flag(
                "non_apology",
                _("A non-apology: say what you are sorry for, without conditions."),
                found.group(0),
            )
        )
    if found := _find(EXCUSES, text):
        flags.append(
            Flag(
                "excuse",
                _("An excuse or blame-shifting: own the problem before explaining it."),
                found.group(0),
            )
        )
    if not _find(EMPATHY, text):
        flags.append(Flag("no_empathy", _("No empathy: acknowledge how people were affected.")))
    if not _find(ACTION, text):
        flags.append(
            Flag(
                "no_action",
                _("No concrete action: say what you are doing and when you will update."),
            )
        )
    if found := re.search(r"\{[a-z_]+\}", text):
        flags.append(
            Flag(
                "placeholder",
                _("A template placeholder is still unfilled."),
                found.group(0),
            )
        )
    lowered = text.lower()
    text_words = _words(text)
    for claim, status in claims:
        if status not in (ClaimStatus.UNVERIFIED, ClaimStatus.FALSE):
            continue
        claim_words = _words(claim)
        overlap = len(claim_words & text_words) / len(claim_words) if claim_words else 0
        if claim.strip().lower() in lowered or (len(claim_words) >= 2 and overlap >= 0.6):
            flags.append(
                Flag(
                    "claim_" + status,
                    _("Repeats a claim the misinformation ledger marks %(status)s.")
                    % {"status": ClaimStatus(status).label},
                    claim[:120],
                )
            )
    known = channels_by_code() if variants else {}
    for code, body in (variants or {}).items():
        channel = known.get(code)
        length = channel_length(channel, body)
        if channel and channel.limit and length > channel.limit:
            flags.append(
                Flag(
                    "too_long",
                    _("Too long for %(channel)s: %(length)s of %(limit)s characters.")
                    % {"channel": channel.label, "length": length, "limit": channel.limit},
                )
            )
    return flags


def review_statement(statement) -> list[Flag]:  # type: ignore[no-untyped-def]
    # Channels with a variant first, then the chosen ones still using the body.
    channels = [v.channel for v in statement.variants.all()] + list(statement.channels)
    variants = {channel: channel_text(statement, channel) for channel in channels}
    claims = list(statement.incident.claims.values_list("claim", "status"))
    return review_text(statement.body, variants=variants, claims=claims)
