"""The statement review helper: flags what crisis-communication practice warns
against, in English and Chinese. Advice, not a gate: the approvers decide."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.translation import gettext as _

from playbook.choices import CLAIMS_NOT_TO_REPEAT, ClaimStatus
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


# A message template's blank: {next_update}, {issue}, {聯絡方式}.
PLACEHOLDER = re.compile(r"\{\w{1,40}\}")


def placeholders(text: str) -> list[str]:
    """The unfilled placeholders in ``text``, each once, in order."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def statement_placeholders(statement) -> list[str]:  # type: ignore[no-untyped-def]
    """Every placeholder still unfilled in the statement's text or any channel variant."""
    texts = [statement.body, *(v.body for v in statement.variants.all())]
    return list(dict.fromkeys(p for text in texts for p in placeholders(text)))


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


# A statement that negates a claim ("we are not going bankrupt", 「我們沒有要倒閉」) corrects
# it; one that says it again ("we are going bankrupt", 「公司要倒閉」) repeats it. Cues
# that deny a claim, English and Chinese; longest first, so 沒有 counts once, not as 沒.
NEGATIONS_EN = (
    r"\b(?:not|no|never|none|nobody|nothing|nor|neither|cannot|without)\b"
    r"|\b\w+n[’']t\b"
    r"|\b(?:false|untrue|baseless|unfounded|incorrect|inaccurate|rumou?rs?|myths?|hoax"
    r"|den(?:y|ies|ied))\b"
)
NEGATIONS_ZH = (
    "並非事實|不是事實|並不|並沒有|並未|並非|絕不|絕非|從未|從沒|沒有|不是|不會|不實|謠言|傳言|"
    "網傳|假消息|否認|澄清|毫無|沒|不|未|無|非|別|勿"
)
# Words that begin with a negating character but do not negate (不便 is inconvenience,
# 非常 is "very", 未來 the future): they are left out before the cues are counted.
NOT_NEGATIONS_ZH = (
    "不便|不過|不少|不斷|不僅|不只|不但|不安|不滿|不適|不好意思|非常|未來|無論|無法避免"
)
NEGATION = re.compile(f"{NEGATIONS_EN}|{NEGATIONS_ZH}", flags=re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])\s*|\n+")
# Words of four letters or more (short ones are mostly "the", "our", "not") and single
# CJK characters: Chinese has no spaces, and a claim of five characters is five tokens.
TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W\d_]{4,}|\d+")


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def _negations(text: str) -> int:
    return len(NEGATION.findall(re.sub(NOT_NEGATIONS_ZH, " ", text)))


def _mentions_claim(sentence: str, claim: str) -> bool:
    """The sentence says what the claim says, negation cues aside: the claim verbatim,
    or most of its words (characters, for Chinese) in the same order."""
    if claim.strip().lower() in sentence.lower():
        return True
    claim_tokens = _tokens(NEGATION.sub(" ", claim))
    if len(claim_tokens) < 2:
        return False
    said = _tokens(NEGATION.sub(" ", re.sub(NOT_NEGATIONS_ZH, " ", sentence)))
    matcher = SequenceMatcher(None, claim_tokens, said, autojunk=False)
    shared = sum(block.size for block in matcher.get_matching_blocks())
    return shared / len(claim_tokens) >= 0.6


def claim_repeats(text: str, claim: str) -> str | None:
    """The first sentence of ``text`` that repeats ``claim`` rather than negating it
    (it holds more denials than the claim itself); None when none does."""
    claim_negations = _negations(claim)
    for sentence in SENTENCE_END.split(text):
        said = sentence.strip()
        if said and _mentions_claim(said, claim) and _negations(said) <= claim_negations:
            return said
    return None


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
    if found := placeholders(text):
        flags.append(
            Flag(
                "placeholder",
                _("A template placeholder is still unfilled."),
                ", ".join(found),
            )
        )
    for claim, status in claims:
        if status not in CLAIMS_NOT_TO_REPEAT:
            continue
        if said := claim_repeats(text, claim):
            flags.append(
                Flag(
                    "claim_" + status,
                    _("Repeats a claim the misinformation ledger marks %(status)s: “%(claim)s”.")
                    % {"status": ClaimStatus(status).label, "claim": claim[:120]},
                    said[:200],
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
