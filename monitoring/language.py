"""Fast script-based language detection for mentions.

``detect_language(text)`` returns one of:

* ``"zh-hant"`` / ``"zh-hans"`` -- Chinese (Han characters make up a sizeable share
  of the text).  Traditional vs Simplified is decided with OpenCC (the ``opencc``
  package): the characters that its Traditional -> Simplified conversion changes
  are Traditional-only, those its Simplified -> Traditional conversion changes are
  Simplified-only; more Traditional-only characters -> ``"zh-hant"``.  A tie,
  including text with no such character at all (e.g. "好棒" is written the same
  way in both scripts), gives ``"zh-hans"``; both map to the
  same Chinese sentiment analyzer (which normalises Traditional to Simplified), so
  the tie only affects the stored label.
* ``"en"`` -- Latin-script text that looks English: English function words win
  over those of Spanish, French, German, Italian, Portuguese, Dutch,
  Indonesian/Malay, Turkish and the Scandinavian languages.  Latin text with no
  function word at all ("iPhone 15 Pro Max!!", hashtags) counts as English, the
  common case for brand mentions.
* ``"other"`` -- everything else: other Latin-script languages, Japanese (kana),
  Korean, Cyrillic, Arabic, Thai, Devanagari, ... and text with no letters at all
  (empty, whitespace, emoji-only, digits/URLs only).  We return ``"other"`` rather
  than ``"en"`` for letter-less text because there is no evidence of any language;
  the sentiment router scores letter-less text with the English model (emoji and
  emoticons) and stores text in another language as unscored.

A few microseconds per short text (two OpenCC calls for Han text).
"""

from __future__ import annotations

import re

import opencc

__all__ = ["detect_language", "LANGUAGES"]

LANGUAGES = ("en", "zh-hant", "zh-hans", "other")

_T2S = opencc.OpenCC("t2s")
_S2T = opencc.OpenCC("s2t")


def _changed(text: str, converted: str) -> int:
    """How many characters a conversion changed (OpenCC keeps one character per
    character for these two conversions; a length change counts as one)."""
    if text == converted:
        return 0
    return sum(a != b for a, b in zip(text, converted, strict=False)) or 1


# Strip things that carry no language signal before looking at words.
_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|@\w+|&\w+;")
_LATIN_WORD_RE = re.compile(r"[a-zA-Z\u00c0-\u024f']+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """
        the a an and or but of to in on at for with from by is are was were be
        been being am i you he she it we they me my your our their his her its
        this that these those there here what which who whom why how when where
        not no don't doesn't didn't can't won't isn't aren't wasn't i'm it's
        you're that's have has had do does did will would can could should just
        so very really too if than then about as all any some get got like love
        hate good bad thanks thank please im dont cant wont u ur lol omg today
        now new out up one more still why never ever again
        """
    ),
    "es": _words(
        """
        el la los las un una unos unas y o pero de del al en con por para es son
        está están estoy fue ser que qué como cómo muy más mi mis tu tus su sus
        yo nosotros ellos este esta esto eso lo le les se no sí hay gracias
        porque pero también cuando donde ya hoy bueno malo todo nada
        """
    ),
    "fr": _words(
        """
        le la les un une des et ou mais de du au aux en dans avec pour par est
        sont était être que qui quoi comme très plus mon ma mes ton ta tes son
        sa ses je tu il elle nous vous ils elles ce cette ces ne pas oui non
        merci parce quand où déjà aujourd'hui c'est j'ai n'est bien tout rien
        """
    ),
    "de": _words(
        """
        der die das den dem des ein eine einen einem und oder aber von zu im mit
        für auf ist sind war waren sein dass wie sehr mehr mein meine dein ich
        du er sie es wir ihr nicht kein keine ja nein danke weil wenn wo schon
        heute gut schlecht alles nichts auch noch nur
        """
    ),
    "it": _words(
        """
        il lo la gli le un uno una e o ma di del della dei in con per è sono era
        essere che come molto più mio mia tuo tua suo sua io tu lui lei noi voi
        loro questo questa non sì grazie perché quando dove già oggi buono tutto
        niente anche ancora
        """
    ),
    "pt": _words(
        """
        o a os as um uma e ou mas de do da dos das em no na nos nas com por para
        é são está estão foi ser que como muito mais meu minha seu sua eu você
        ele ela nós eles este esta isso não sim obrigado obrigada porque quando
        onde já hoje bom tudo nada também
        """
    ),
    "nl": _words(
        """
        de het een en of maar van in op met voor is zijn was waren dat die hoe
        heel meer mijn ik jij je hij zij wij jullie niet geen ja nee dank
        bedankt omdat als waar al vandaag goed slecht alles niets ook nog
        """
    ),
    "id": _words(
        """
        yang dan atau tapi di ke dari dengan untuk adalah ini itu saya aku kamu
        dia kami kita mereka tidak bukan ya terima kasih karena kalau ketika
        sudah belum hari sangat lebih bagus jelek semua juga masih
        """
    ),
    "tr": _words(
        """
        ve veya ama bir bu şu o ben sen biz siz onlar değil evet hayır
        teşekkürler çünkü için ile gibi çok daha ne neden nasıl var yok iyi kötü
        her şey
        """
    ),
    "sv": _words(
        """
        och eller men av till i på med för är var att som hur mycket mer min din
        jag du han hon vi ni de inte ja nej tack eftersom när där redan idag bra
        dålig allt inget också og ikke er det jeg
        """
    ),
}
# Single letters like "o"/"a" are too ambiguous (emoticons, initials) to count.
for _lang in _STOPWORDS:
    if _lang != "en":
        _STOPWORDS[_lang] = frozenset(w for w in _STOPWORDS[_lang] if len(w) > 1 or w in "ye")
_OTHER_LANGS = tuple(k for k in _STOPWORDS if k != "en")

# Letters whose presence points away from English (accented Latin letters).
_NON_EN_LATIN_RE = re.compile(r"[\u00c0-\u024f]")


def _is_han(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= cp <= 0x4DBF  # Extension A
        or 0xF900 <= cp <= 0xFAFF  # Compatibility Ideographs
        or 0x20000 <= cp <= 0x2FA1F  # Extensions B.. and compat supplement
    )


# A run of the characters ``_is_han`` accepts (Extensions B.. as surrogate-free code
# points: Python strings hold them as one character each).
_HAN_RUN_RE = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002fa1f]+")


# Word -> the other languages it is a function word of: one look-up per word.
_OTHER_WORDS: dict[str, tuple[str, ...]] = {}
for _lang in _OTHER_LANGS:
    for _word in _STOPWORDS[_lang]:
        _OTHER_WORDS[_word] = (*_OTHER_WORDS.get(_word, ()), _lang)
_ASCII_LETTERS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_RE = re.compile(r"[\x00-\x7f]+")


def _ascii_letters(text: str) -> int:
    """How many a-z / A-Z letters an ASCII-only string holds (one C-level pass)."""
    raw = text.encode("ascii")
    return len(raw) - len(raw.translate(None, _ASCII_LETTERS))


def detect_language(text: str) -> str:
    """Return "en", "zh-hant", "zh-hans" or "other" (see module docstring)."""
    if not text:
        return "other"
    han = kana = hangul = other_letters = 0
    if text.isascii():  # the usual Latin post: no character-by-character loop
        latin = _ascii_letters(text)
    else:
        wide = _ASCII_RE.sub("", text)
        latin = _ascii_letters("".join(_ASCII_RE.findall(text)))
        # Han characters counted in runs by one C-level pass; the loop sees the rest
        rest = _HAN_RUN_RE.sub("", wide)
        han = len(wide) - len(rest)
        for ch in rest:
            cp = ord(ch)
            if 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9D:
                kana += 1
            elif 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
                hangul += 1
            elif 0xC0 <= cp <= 0x24F:
                latin += 1
            elif ch.isalpha():
                other_letters += 1

    if han or kana or hangul:
        if kana * 5 >= han + kana and kana >= 2 or (kana and not han):
            return "other"  # Japanese
        if hangul > han:
            return "other"  # Korean
        # Han characters are dense (one per syllable/word); Latin letters are not,
        # so compare Han characters with roughly a third of the Latin letters.
        if han >= 1 and han * 3 >= latin * 0.5 and han > other_letters:
            traditional = _changed(text, _T2S.convert(text))
            # nothing Traditional-only: "zh-hans" whatever the other conversion says
            if traditional and traditional > _changed(text, _S2T.convert(text)):
                return "zh-hant"
            return "zh-hans"

    if latin == 0 or other_letters > latin:
        return "other"

    cleaned = _NOISE_RE.sub(" ", text.lower()).replace("\u2019", "'")
    words = _LATIN_WORD_RE.findall(cleaned)
    if not words:
        return "other"  # letters only inside URLs / @handles
    en_hits = 0
    other_hits = dict.fromkeys(_OTHER_LANGS, 0)
    en_words = _STOPWORDS["en"]
    other_words = _OTHER_WORDS
    for w in words:
        if w in en_words:
            en_hits += 1
        langs = other_words.get(w)
        if langs is not None:
            for lang in langs:
                other_hits[lang] += 1
    best_other = max(other_hits.values())
    if best_other > en_hits:
        return "other"
    if en_hits == 0 and _NON_EN_LATIN_RE.search(cleaned):
        return "other"
    return "en"
