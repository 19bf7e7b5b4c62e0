from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SentimentLabel(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")
    # A language no sentiment model covers (Spanish, Japanese, Korean, ...): shown as
    # "—", counted apart from the three sentiment columns in rollups.
    UNSCORED = "unscored", _("Unscored")


class SourceKind(models.TextChoices):
    RSS = "rss", _("RSS/Atom feed")
    MASTODON = "mastodon", _("Mastodon")
    BLUESKY = "bluesky", _("Bluesky")
    REDDIT = "reddit", _("Reddit search")
    HACKERNEWS = "hackernews", _("Hacker News")
    PTT = "ptt", _("PTT boards")
    DCARD = "dcard", _("Dcard")
    YOUTUBE = "youtube", _("YouTube")
    FACEBOOK = "facebook", _("Facebook page")
    INSTAGRAM = "instagram", _("Instagram business account")
    THREADS = "threads", _("Threads")
    API = "api", _("Inbound API")
    IMPORT = "import", _("File import")
    DRILL = "drill", _("Drill")


# Kinds a connector polls; the others (api, import, drill) have mentions pushed in.
POLLED_KINDS = frozenset(
    {
        SourceKind.RSS,
        SourceKind.MASTODON,
        SourceKind.BLUESKY,
        SourceKind.REDDIT,
        SourceKind.HACKERNEWS,
        SourceKind.PTT,
        SourceKind.DCARD,
        SourceKind.YOUTUBE,
        SourceKind.FACEBOOK,
        SourceKind.INSTAGRAM,
        SourceKind.THREADS,
    }
)


class TermKind(models.TextChoices):
    NAME = "name", _("Name")
    PRODUCT = "product", _("Product")
    HASHTAG = "hashtag", _("Hashtag")
    HANDLE = "handle", _("Handle")
    COMPETITOR = "competitor", _("Competitor")
    EXCLUDE = "exclude", _("Exclusion")


class SignalKind(models.TextChoices):
    VOLUME = "volume", _("Volume spike")
    NEGATIVE_SHARE = "negative_share", _("Negative share")
    VELOCITY = "velocity", _("Velocity")
    TRIGGER_PHRASE = "trigger_phrase", _("Trigger phrase")
    KEY_VOICE = "key_voice", _("Negative post from a high-reach author")
    # A failing source left a hole in the data: a warning, never an incident.
    SOURCE_HEALTH = "source_health", _("Source health warning")


# Kinds that may open an incident (SOURCE_HEALTH only warns).
INCIDENT_SIGNAL_KINDS = (
    SignalKind.VOLUME,
    SignalKind.NEGATIVE_SHARE,
    SignalKind.VELOCITY,
    SignalKind.TRIGGER_PHRASE,
    SignalKind.KEY_VOICE,
)


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Writing")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")
