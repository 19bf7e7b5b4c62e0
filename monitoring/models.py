from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.choices import (
    POLLED_KINDS,
    ExportState,
    SentimentLabel,
    SignalKind,
    SourceKind,
    TermKind,
)
from monitoring.matching import DEFAULT_TRIGGER_PHRASES, QueryError, parse_query

BUCKET_SECONDS = 300


def bucket_start(moment: datetime) -> datetime:
    """The start of the 5-minute bucket holding ``moment`` (tz-aware, UTC)."""
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % BUCKET_SECONDS, tz=UTC)


class Brand(models.Model):
    """A brand the team listens for; mentions, rollups and incidents hang off it."""

    name = models.CharField(max_length=120)
    trigger_phrases = models.TextField(
        blank=True,
        help_text=_("One per line; empty means the built-in list (English and Chinese)."),
    )
    slug = models.SlugField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    detector_settings = models.JSONField(
        default=dict, blank=True, help_text=_("Per-brand overrides of the detector defaults.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Part of the compiled matcher's fingerprint: an edit anywhere recompiles it.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def trigger_phrase_list(self) -> tuple[str, ...]:
        own = tuple(line.strip() for line in self.trigger_phrases.splitlines() if line.strip())
        return own or DEFAULT_TRIGGER_PHRASES


class WatchTerm(models.Model):
    """A query (words, "phrases", AND/OR/NOT, parentheses; see monitoring/matching.py)
    that marks a mention as being about a brand, about one of its competitors
    (kind ``competitor``), or as not about it (kind ``exclude``)."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="terms")
    kind = models.CharField(max_length=20, choices=TermKind.choices, default=TermKind.NAME)
    query = models.CharField(max_length=300)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand", "kind", "query"]

    def __str__(self) -> str:
        return f"{self.brand}: {self.query}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            parse_query(self.query)
        except QueryError as exc:
            raise ValidationError({"query": str(exc)}) from exc


class Source(models.Model):
    """Where mentions come from: a feed or network search, the API, an import, a drill.

    Polled kinds (rss, mastodon, bluesky, reddit, hackernews, ptt, dcard, youtube,
    facebook, instagram, threads) keep their own
    schedule and health: the poll service (monitoring/polling.py) advances
    ``cursor``/``etag``/``last_modified`` in the same transaction as the ingest,
    and backs off exponentially on ``consecutive_failures``. Secrets never live
    here: ``config["secret_env"]`` names an environment variable (``NAME_FILE``
    accepted) that holds the app password or token.
    """

    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    key = models.CharField(max_length=120, help_text=_("The name callers use, e.g. 'twitter'."))
    name = models.CharField(max_length=200, blank=True)
    platform = models.CharField(max_length=40, blank=True)
    url = models.URLField(
        max_length=1000,
        blank=True,
        help_text=_("Feed URL, or the server's base URL (Mastodon, Bluesky, Reddit, Algolia)."),
    )
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            'Kind-specific settings, e.g. {"query": "acme"}, {"hashtag": "acme"}, '
            '{"handle": "me.bsky.social", "secret_env": "CRISISROOM_SOURCE_BLUESKY_PASSWORD"}.'
        ),
    )
    brand = models.ForeignKey(
        "Brand",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources",
        help_text=_("The brand this source searches for; empty means any brand, by watch terms."),
    )
    poll_interval_seconds = models.PositiveIntegerField(default=300)
    cursor = models.JSONField(default=dict, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["kind", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="uniq_source_kind_key")]
        indexes = [models.Index(fields=["paused", "next_poll_at"])]

    def __str__(self) -> str:
        return self.name or self.key

    @property
    def is_polled(self) -> bool:
        return self.kind in POLLED_KINDS

    @property
    def health(self) -> str:
        """ok | failing | paused | new | push (a source that is not polled)."""
        if not self.is_polled:
            return "push"
        if self.paused:
            return "paused"
        if self.consecutive_failures:
            return "failing"
        return "ok" if self.last_success_at else "new"


class Mention(models.Model):
    """One public post about a brand, with its scored sentiment."""

    # Single-column FK indexes are left out where a composite index starts with the
    # column: every index costs time on each insert, ingest's hot path.
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="mentions", db_index=False
    )
    external_id = models.CharField(max_length=255)
    brand = models.ForeignKey(
        Brand,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentions",
        db_index=False,
    )
    platform = models.CharField(max_length=40)
    text = models.TextField()
    url = models.URLField(max_length=1000, blank=True)
    author = models.CharField(max_length=200, blank=True)
    author_followers = models.PositiveBigIntegerField(default=0)
    lang = models.CharField(max_length=10, blank=True)
    published_at = models.DateTimeField()
    ingested_at = models.DateTimeField(default=timezone.now)
    sentiment_score = models.FloatField(default=0.0)
    sentiment_label = models.CharField(
        max_length=10, choices=SentimentLabel.choices, default=SentimentLabel.NEUTRAL
    )
    # Trigger phrases found at ingest ("boycott", "抵制", …), comma-separated; empty when none.
    triggers = models.CharField(max_length=300, blank=True)
    # The ingest call that stored this row: lets rollups count exactly what it inserted.
    # Not indexed: PostgreSQL gets the stored rows back from INSERT … RETURNING.
    ingest_batch = models.UUIDField(null=True, blank=True)
    # Matched one of this brand's competitor terms; tracked apart, never in its rollups.
    competitor_of = models.ForeignKey(
        Brand,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="competitor_mentions",
        db_index=False,
    )
    # Links to other mentions are not database constraints: on PostgreSQL the table is
    # partitioned (monitoring/partitions.py) and a foreign key to it would need the
    # partition key; Django applies on_delete, retention applies it in SQL.
    # A repost/boost/retweet: stored (so resending it is a duplicate) but it is reach
    # for the original, not a new voice: not counted in rollups' count or sentiment.
    repost_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reposts",
        db_index=False,
        db_constraint=False,
    )
    repost_count = models.PositiveIntegerField(default=0)
    # A comment (a PTT push, a Dcard or YouTube comment, a reply) is a mention of its
    # own pointing at the post it answers, in the same source.
    reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        db_index=False,
        db_constraint=False,
    )
    # Reactions the network counts on the post (PTT 推/噓/→, likes): what the
    # network's own readers said, apart from the scored sentiment of the text.
    reactions_positive = models.PositiveIntegerField(default=0)
    reactions_negative = models.PositiveIntegerField(default=0)
    reactions_neutral = models.PositiveIntegerField(default=0)
    amplified_reach = models.PositiveBigIntegerField(default=0)
    # Near-duplicate texts (same normalised text, same brand, within a day) seen after this one.
    duplicate_count = models.PositiveIntegerField(default=0)
    # monitoring.matching.near_duplicate_key(text); null for texts too short to compare.
    text_key = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="uniq_mention_source_external_id"
            )
        ]
        indexes = [
            # Listings page by keyset on (published_at, id), newest first (see
            # monitoring/pagination.py): one index per order the explorer and the API
            # use, so a page reads its 50 rows off the index instead of sorting the table.
            models.Index(fields=["-published_at", "-id"], name="mention_newest_idx"),
            models.Index(fields=["brand", "-published_at", "-id"], name="mention_brand_newest_idx"),
            models.Index(
                fields=["brand", "sentiment_label", "-published_at", "-id"],
                name="mention_brand_sentiment_idx",
            ),
            # Partial indexes: most rows have no text key / competitor / original.
            models.Index(
                fields=["text_key", "published_at"],
                name="mention_text_key_idx",
                condition=models.Q(text_key__isnull=False),
            ),
            models.Index(
                fields=["competitor_of", "-published_at"],
                name="mention_competitor_idx",
                condition=models.Q(competitor_of__isnull=False),
            ),
            models.Index(
                fields=["repost_of"],
                name="mention_repost_of_idx",
                condition=models.Q(repost_of__isnull=False),
            ),
            models.Index(
                fields=["reply_to"],
                name="mention_reply_to_idx",
                condition=models.Q(reply_to__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class LabelCorrection(models.Model):
    """A person's correction of a mention's sentiment label: kept as an evaluation set."""

    # No database constraint: see Mention.repost_of (partitioned table).
    mention = models.ForeignKey(
        Mention, on_delete=models.CASCADE, related_name="corrections", db_constraint=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_label = models.CharField(max_length=10, choices=SentimentLabel.choices)
    new_label = models.CharField(max_length=10, choices=SentimentLabel.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("label correction")
        verbose_name_plural = _("label corrections")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.mention_id}: {self.old_label} → {self.new_label}"


class Rollup(models.Model):
    """Counts per brand × 5-minute bucket × platform, kept current by ingest."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="rollups")
    bucket = models.DateTimeField()
    platform = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    positive = models.PositiveIntegerField(default=0)
    # Mentions in a language no sentiment model covers: in ``count``, in none of the
    # three sentiment columns.
    unscored = models.PositiveIntegerField(default=0)
    reach = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("rollup")
        verbose_name_plural = _("rollups")
        ordering = ["bucket"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "bucket", "platform"], name="uniq_rollup_brand_bucket_platform"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand_id} {self.bucket:%Y-%m-%d %H:%M} {self.platform}: {self.count}"


class Signal(models.Model):
    """One detector firing: what it saw against what it expected, so an alert explains itself."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="signals")
    incident = models.ForeignKey(
        "crisisroom.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signals",
    )
    kind = models.CharField(max_length=30, choices=SignalKind.choices)
    at = models.DateTimeField()
    baseline = models.FloatField()
    threshold = models.FloatField()
    observed = models.FloatField()
    magnitude = models.FloatField(default=0.0)
    fires = models.BooleanField(default=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "kind", "at"], name="uniq_signal_brand_kind_at"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class DetectorState(models.Model):
    """The streaming detector's state for one brand: the last bucket it consumed and its memory."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="detector_state")
    last_bucket = models.DateTimeField(null=True, blank=True)
    state = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"detector state for {self.brand}"


class MentionExport(models.Model):
    """An explorer export too large for one request: a worker writes it in batches of
    rows into ``MentionExportPart`` rows (in the database, so every web process and
    host can serve it, with no shared disk), and the owner downloads it when done.
    A batch is one transaction with its part: a worker that dies resumes after the
    last part written, and no row is written twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mention_exports"
    )
    # The explorer's query string, with ``until`` fixed at the request: later mentions
    # do not join an export that was asked for before they arrived.
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    rows_expected = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    bytes_written = models.BigIntegerField(default=0)
    # Where the next batch starts (newest first): the last row written.
    after_published_at = models.DateTimeField(null=True, blank=True)
    after_id = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="mention_export_state")]

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        if not self.rows_expected:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_expected))


class MentionExportPart(models.Model):
    """One batch of an export's CSV, in order (``seq``)."""

    export = models.ForeignKey(MentionExport, on_delete=models.CASCADE, related_name="parts")
    seq = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["export", "seq"], name="uniq_export_part_seq")
        ]

    def __str__(self) -> str:
        return f"part {self.seq} of export #{self.export_id}"
