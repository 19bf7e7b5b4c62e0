"""Feature extraction shared by training and inference (pure Python at run time).

Training (monitoring/sentiment/training.py) and the analyzers call exactly these
functions, so the shipped weights always see the same features they were trained on.
Features are sparse ``dict[str, float]``; names are prefixed by family:

English
    ``w:`` word unigrams (after a negator such as "not"/"never"/"n't" the words up
    to the next punctuation get a ``NOT_`` prefix, so "not good" -> ``w:NOT_good``),
    ``b:`` word bigrams (no negation marking), ``c:`` character 4-grams inside
    words, dense ``v:`` features from VADER's word lexicon (the ``vaderSentiment``
    package's valences summed over the tokens, a valence after a negator flipped
    and damped as VADER does; squashed like VADER's compound, plus the positive and
    negative sums and a binned compound) -- one dictionary look-up per token, not
    VADER's full rule set -- a few surface cues (``s:`` all-caps) and ``x:cmp``, the
    number of hits (at most 3) of a small hand-written complaint/crisis lexicon
    (``EN_COMPLAINT_TERMS``: boycott, scam, refund, "hung up", "still waiting", ...).
    Training adds a fixed prior to this feature's weight (see
    ``training.CONFIG[lang]["lexicon_prior"]``).  ``x:prs`` counts the same way the
    hits of a hand-written praise lexicon (``EN_PRAISE_TERMS``: "shout out",
    "fixed my", "thank you", ...; prior ``praise_prior`` toward positive), in the
    same regular-expression pass.  Emoji are tokens and carry hand-written valences
    (``EMOJI_VALENCE``) in the ``v:`` sums, as VADER's words do.
Chinese
    Text is normalised with OpenCC (``opencc`` package, ``t2s``: Traditional ->
    Simplified, phrase-aware) after NFKC (full-width forms -> ASCII); features are
    character unigrams ``u:``, bigrams ``b:`` and trigrams ``t:`` over runs of Han
    characters, negation-marked unigrams after 不/没/无/别/未/非/勿 and Cantonese 唔/冇 (``n:``), Latin
    words ``w:`` and ``x:cmp``, hits of the Chinese complaint lexicon
    ``ZH_COMPLAINT_TERMS`` (抵制, 退钱, 诈骗, 难喝, 投诉, ...; written in Simplified
    because it is matched on normalised text).
"""

from __future__ import annotations

import math
import re
import unicodedata

import opencc

from monitoring.sentiment.vader_analyzer import vader_lexicon

# ---------------------------------------------------------------------------
# English
# ---------------------------------------------------------------------------

_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_USER_RE = re.compile(r"@\w+")
_ENTITY_RE = re.compile(r"&(amp|lt|gt|quot|#39);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'"}
_ELONG_RE = re.compile(r"(\w)\1{2,}")
_TOKEN_RE = re.compile(
    r"""
    (?:[<>]?[:;=8xX][\-o\*']?[\)\]\(\[dDpP/\\:\}\{@\|oO3])   # :) ;-) :D :( :/ =)
    |(?:[\)\]\(\[dDpP/\\\}\{@\|][\-o\*']?[:;=8][<>]?)          # (: )-:
    |(?:<3+)                                                 # <3
    |(?:[a-z0-9_]+(?:['\u2019][a-z]+)?)                      # words, don't
    |(?:\#[a-z0-9_]+)                                        # hashtags
    |(?:[!?]+)                                               # ! ?!
    |(?:[.,;:])                                              # clause breaks
    |(?:[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF])    # emoji, symbols
    """,
    re.VERBOSE,
)
_NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "nowhere",
        "cannot",
        "cant",
        "can't",
        "dont",
        "don't",
        "doesnt",
        "doesn't",
        "didnt",
        "didn't",
        "isnt",
        "isn't",
        "arent",
        "aren't",
        "wasnt",
        "wasn't",
        "werent",
        "weren't",
        "wont",
        "won't",
        "wouldnt",
        "wouldn't",
        "shouldnt",
        "shouldn't",
        "couldnt",
        "couldn't",
        "havent",
        "haven't",
        "hasnt",
        "hasn't",
        "hadnt",
        "hadn't",
        "aint",
        "ain't",
        "without",
        "lack",
        "lacks",
        "lacking",
        "barely",
        "hardly",
    ]
)
_CLAUSE_END = frozenset(".,;:!?")
_LOWER_RE = re.compile(r"[a-z]")

# Hand-written (licence-clean) complaint / crisis vocabulary of posts addressed to
# brands.  Matched as whole words on the lower-cased token stream.
EN_COMPLAINT_TERMS = [
    "boycott",
    "boycotting",
    "boycotted",
    "scam",
    "scammed",
    "scammer",
    "scammers",
    "scamming",
    "fraud",
    "fraudulent",
    "refund",
    "refunds",
    "refunded",
    "rip-off",
    "ripoff",
    "overcharged",
    "overcharging",
    "unacceptable",
    "disgusting",
    "lawsuit",
    "sue",
    "suing",
    "outage",
    "outages",
    "defective",
    "faulty",
    "recall",
    "recalled",
    "contaminated",
    "expired",
    "moldy",
    "mouldy",
    "incompetent",
    "incompetence",
    "useless",
    "pathetic",
    "misleading",
    "rude",
    "worst",
    "unsubscribe",
    "unsubscribed",
    "cancelled",
    "canceled",
    "cancelling",
    "canceling",
    "complaint",
    "complaints",
    "complain",
    "complaining",
] + [
    "rip off",
    "ripped off",
    "charged twice",
    "double charged",
    "never again",
    "never buying",
    "never buy",
    "never using",
    "never flying",
    "never ordering",
    "never shopping",
    "do not buy",
    "don't buy",
    "dont buy",
    "stay away",
    "class action",
    "data breach",
    "food poisoning",
    "hung up",
    "on hold",
    "still waiting",
    "still no",
    "no response",
    "no reply",
    "no answer",
    "nobody answers",
    "no one answers",
    "not working",
    "stopped working",
    "doesn't work",
    "does not work",
    "keeps crashing",
    "where is my",
    "where's my",
    "give me my money",
    "want my money back",
    "money back",
    "without warning",
    "without notice",
    "locked out",
    "shame on",
    "false advertising",
    "customer service",
    "customer support",
    "fix this",
    "fix your",
    "wiped",
    "lost my",
    "stole",
    "stolen",
    # travel and delivery
    "delayed",
    "delays",
    "stranded",
    "overbooked",
    "stuck at",
    "stuck in",
    "stuck on",
    "missed my connection",
    "missed connection",
    "been waiting",
    "never received",
    "never arrived",
    "haven't received",
    "didn't receive",
    "still haven't",
    # service
    "disconnected",
    "unhelpful",
    "not helpful",
    "no help",
    "poor service",
    "bad service",
    "terrible service",
    "horrible service",
    "worst service",
    # money, law, broken promises
    "garbage",
    "trash",
    "shameless",
    "price hike",
    "price gouging",
    "hidden fees",
    "lawyer",
    "attorney",
    "legal action",
    "class-action",
    "nobody picked up",
    "no one picked up",
    "nobody answered",
    "hasn't arrived",
    "still hasn't",
    "behind our backs",
    "bait and switch",
]
# Hand-written praise vocabulary of posts addressed to brands ("shout out to
# @acme", "they fixed it"): thanks to a brand use words the complaint side owns too
# (support, refund, account), and thanks are rare in the tweet files.  Matched on the
# token stream like the complaints, into ``x:prs``.
EN_PRAISE_TERMS = [
    "thank you",
    "thanks",
    "thank u",
    "thx",
    "shout out",
    "shoutout",
    "kudos",
    "props to",
    "hats off",
    "well done",
    "great job",
    "good job",
    "nice job",
    "great work",
    "fixed it",
    "fixed my",
    "fixed the",
    "sorted it",
    "sorted out",
    "sorted my",
    "resolved",
    "solved my",
    "so helpful",
    "very helpful",
    "super helpful",
    "really helpful",
    "extremely helpful",
    "quick response",
    "fast response",
    "quick reply",
    "fast delivery",
    "great service",
    "excellent service",
    "amazing service",
    "awesome service",
    "great customer service",
    "above and beyond",
    "highly recommend",
    "recommend",
    "appreciate",
    "appreciated",
    "grateful",
    "love you",
    "love it",
    "love this",
    "love my",
    "loving my",
    "best ever",
    "made my day",
    "you rock",
    "you guys rock",
    "impressed",
    "happy customer",
    "loyal customer for life",
]


def _trie_pattern(terms: list[str]) -> str:
    """A regular expression for ``terms`` as a prefix tree: the same matches as the
    longest-first alternation, but each position tries a character class, not two
    hundred alternatives (it kept the English features' cost flat as the praise
    terms joined)."""
    trie: dict = {}
    for t in terms:
        node = trie
        for ch in t:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # continuing before ending: the longest term wins, as in the alternation
        return "(?:" + body + ")?" if ends else body

    return build(trie)


# one pass for both lexicons: group 1 a complaint, group 2 praise
_EN_LEX_RE = re.compile(
    r"(?<![\w'])(?:("
    + _trie_pattern(EN_COMPLAINT_TERMS)
    + ")|("
    + _trie_pattern(EN_PRAISE_TERMS)
    + r"))(?![\w'])"
)


def _is_punct_token(tok: str) -> bool:
    return tok[0] in _CLAUSE_END and tok[-1] in _CLAUSE_END


def en_tokens(text: str) -> list[str]:
    """Lower-cased tokens; URLs -> ``xxurl``, @handles -> ``xxuser``."""
    # each substitution only when the character or prefix its pattern needs occurs
    if "&" in text:
        text = _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(1)], text)
    if "http" in text or "www." in text:
        text = _URL_RE.sub(" xxurl ", text)
    if "@" in text:
        text = _USER_RE.sub(" xxuser ", text)
    text = text.replace("\u2019", "'").lower()
    text = _ELONG_RE.sub(r"\1\1", text)
    return _TOKEN_RE.findall(text)


# Character 4-grams per word, memoised (words repeat: most texts hit the cache).
_CHAR_GRAMS: dict[str, dict[str, float]] = {}
_CHAR_GRAMS_MAX = 200_000


def _char_grams(tok: str) -> dict[str, float]:
    w = "<" + tok + ">"
    grams = {"c:" + w[i : i + 4]: 1.0 for i in range(len(w) - 3)}
    if len(_CHAR_GRAMS) >= _CHAR_GRAMS_MAX:
        _CHAR_GRAMS.clear()
    _CHAR_GRAMS[tok] = grams
    return grams


# Emoji valences (-4..4, VADER's scale), hand-written: VADER's own emoji entries go
# through their names ("pouting face"), which its word lexicon mostly does not
# score (😡, 🤬, 👎, 🙄 come out 0), and the tweet files predate most emoji.
EMOJI_VALENCE = {
    "😡": -3.0, "🤬": -3.5, "😠": -2.5, "👎": -2.5, "🙄": -1.5, "💩": -2.5, "😤": -2.0,
    "😒": -1.5, "😞": -2.0, "😢": -2.0, "😭": -1.5, "😩": -1.5, "😫": -1.5, "🤮": -3.0,
    "🤢": -2.5, "😖": -2.0, "😣": -1.5, "😔": -1.5, "😟": -1.5, "😕": -1.0, "🙁": -1.5,
    "☹": -2.0, "💔": -2.5, "😑": -1.0, "🤦": -2.0, "🖕": -3.5, "😱": -1.5, "😨": -1.5,
    "😰": -1.5, "😥": -1.5, "😓": -1.0, "🤡": -1.5, "😾": -2.0,
    "😍": 3.0, "🥰": 3.0, "😘": 2.5, "❤": 3.0, "💕": 2.5, "💖": 2.5, "💗": 2.5,
    "💙": 2.0, "💚": 2.0, "💜": 2.0, "🧡": 2.0, "💛": 2.0, "😊": 2.5, "😀": 2.0,
    "😃": 2.0, "😄": 2.0, "😁": 2.0, "😆": 1.5, "😂": 1.0, "🤣": 1.0, "🙂": 1.5,
    "😉": 1.5, "😎": 1.5, "🤩": 3.0, "🥳": 2.5, "🎉": 2.0, "👍": 2.0, "👏": 2.0,
    "🙌": 2.0, "💯": 1.5, "🔥": 1.0, "✨": 1.0, "🙏": 1.0, "👌": 1.5, "☺": 2.0,
    "😇": 2.0, "🤗": 2.0, "😋": 2.0, "💪": 1.5, "⭐": 1.5, "🌟": 1.5, "✅": 1.0,
    "🏆": 2.0,
}  # fmt: skip
_LEX: dict[str, float] = {**vader_lexicon(), **EMOJI_VALENCE}
_NEG_DAMP = -0.74  # VADER's factor for a valence after a negator


def en_features(text: str) -> dict[str, float]:
    """Sparse features of one English (or other Latin-script) text."""
    lex = _LEX
    toks = en_tokens(text)
    feats: dict[str, float] = {}
    negated = False
    prev = "<s>"
    pos_sum = neg_sum = 0.0
    for tok in toks:
        if _is_punct_token(tok):
            negated = False
            if tok[0] in "!?":
                feats["w:" + tok[:2]] = 1.0
            prev = "<p>"
            continue
        valence = lex.get(tok)
        if valence is not None:
            if negated:
                valence *= _NEG_DAMP
            if valence > 0:
                pos_sum += valence
            else:
                neg_sum -= valence
        name = "w:NOT_" + tok if negated else "w:" + tok
        feats[name] = feats.get(name, 0.0) + 1.0
        if tok[0] == "#" and len(tok) > 1:
            k = "w:" + tok[1:]
            feats[k] = feats.get(k, 0.0) + 1.0
        bg = "b:" + prev + " " + tok
        feats[bg] = 1.0
        prev = tok
        if tok in _NEGATORS or tok.endswith("n't"):
            negated = True
        if len(tok) >= 4 and tok[0].isalpha():
            grams = _CHAR_GRAMS.get(tok)
            if grams is None:
                grams = _char_grams(tok)
            feats.update(grams)
    if prev not in ("<s>", "<p>"):
        feats["b:" + prev + " </s>"] = 1.0
    # surface cues on the raw text
    # (exact shortcut: with 40% of the characters lower-case ASCII letters, more than
    # 60% of the letters cannot be capitals)
    if text != text.lower() and len(_LOWER_RE.findall(text)) < 0.4 * len(text):
        n_letters = sum(map(str.isalpha, text))
        if n_letters >= 6 and sum(map(str.isupper, text)) > 0.6 * n_letters:
            feats["s:allcaps"] = 1.0
    hits = _EN_LEX_RE.findall(" ".join(toks))
    if hits:
        n_cmp = sum(1 for c, _ in hits if c)
        if n_cmp:
            feats["x:cmp"] = float(min(n_cmp, 3))
        if n_cmp < len(hits):
            feats["x:prs"] = float(min(len(hits) - n_cmp, 3))
    total = pos_sum - neg_sum
    comp = total / math.sqrt(total * total + 15.0)  # VADER's normalisation
    feats["v:compound"] = comp
    feats["v:pos"] = min(pos_sum, 8.0) / 4.0
    feats["v:neg"] = min(neg_sum, 8.0) / 4.0
    feats[f"v:bin{int((comp + 1.0) * 4.999)}"] = 1.0
    if total == 0.0:
        feats["v:zero"] = 1.0
    return feats


# ---------------------------------------------------------------------------
# Chinese
# ---------------------------------------------------------------------------

_T2S = opencc.OpenCC("t2s")
_ZH_NEG = frozenset("不没沒无無别別未非莫勿唔冇")  # 唔 冇: Cantonese "not", "have not"

# Hand-written complaint / crisis vocabulary (Simplified: matched after
# normalisation, so Traditional input such as 退錢 / 詐騙 hits 退钱 / 诈骗).
ZH_COMPLAINT_TERMS = [
    "抵制",
    "退钱",
    "退款",
    "还钱",
    "诈骗",
    "骗子",
    "骗钱",
    "骗人",
    "欺骗",
    "欺诈",
    "黑心",
    "奸商",
    "无良",
    "黑店",
    "垃圾",
    "恶心",
    "难喝",
    "难吃",
    "烂透",
    "很烂",
    "太烂",
    "超烂",
    "好烂",
    "真烂",
    "投诉",
    "客诉",
    "申诉",
    "消保",
    "消基会",
    "维权",
    "太过分",
    "过分",
    "清零",
    "坑人",
    "被坑",
    "坑钱",
    "霸王条款",
    "乱扣",
    "盗刷",
    "扣款",
    "重复扣",
    "食物中毒",
    "拉肚子",
    "过期",
    "发霉",
    "异物",
    "蟑螂",
    "泄露",
    "外泄",
    "个资",
    "倒闭",
    "跑路",
    "差劲",
    "很差",
    "超差",
    "太差",
    "态度差",
    "敷衍",
    "推卸",
    "卸责",
    "给个交代",
    "道歉",
    "踩雷",
    "避雷",
    "千万不要",
    "不要买",
    "别买",
    "再也不",
    "不会再",
    "傻眼",
    "离谱",
    "超扯",
    "火大",
    "气死",
    "失望",
    "偷工减料",
    "缩水",
    "召回",
    "下架",
    "当机",
    "闪退",
    "打不开",
    "没人理",
    "不理",
    "没回应",
    "不回",
    # law, money, waiting (short complaints as posted)
    "诉讼",
    "告上法院",
    "提告",
    "律师",
    "退费",
    "退货",
    "吃相难看",
    "涨价",
    "偷改",
    "没人接",
    "打不通",
    "还没到",
    "还没送",
    "还没来",
    "等了",
    "烂透",
    "太烂",
]
_ZH_CMP_RE = re.compile("|".join(sorted(set(ZH_COMPLAINT_TERMS), key=len, reverse=True)))


def zh_normalise(text: str) -> str:
    """Full-width -> ASCII (NFKC), Traditional -> Simplified (OpenCC), lower-case."""
    return _T2S.convert(unicodedata.normalize("NFKC", text)).lower()


def _is_han(ch: str) -> bool:
    cp = ord(ch)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF


def zh_features(text: str) -> dict[str, float]:
    """Sparse features of one Chinese text (any script)."""
    norm = zh_normalise(text)
    feats: dict[str, float] = {}
    run: list[str] = []
    runs: list[str] = []
    for ch in norm:
        if _is_han(ch):
            run.append(ch)
        else:
            if run:
                runs.append("".join(run))
                run = []
            if ch in "!?":
                feats["p:" + ch] = 1.0
    if run:
        runs.append("".join(run))
    for r in runs:
        n = len(r)
        neg_left = 0
        for i in range(n):
            c = r[i]
            k = "u:" + c
            feats[k] = feats.get(k, 0.0) + 1.0
            if neg_left:
                feats["n:" + c] = 1.0
                neg_left -= 1
            if c in _ZH_NEG:
                neg_left = 3
            if i + 1 < n:
                k = "b:" + r[i : i + 2]
                feats[k] = feats.get(k, 0.0) + 1.0
            if i + 2 < n:
                feats["t:" + r[i : i + 3]] = 1.0
    n_cmp = len(_ZH_CMP_RE.findall(norm))
    if n_cmp:
        feats["x:cmp"] = float(min(n_cmp, 3))
    # Latin words inside Chinese text (brand names, "ok", "bad")
    for w in re.findall(r"[a-z]{2,}", norm):
        feats["w:" + w] = 1.0
    return feats
