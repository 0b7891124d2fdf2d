from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lib.id_queries import rows_for_ids


def received_category_ids(
    chosen: Iterable[int], offered: Iterable[int]
) -> frozenset[int]:
    """What a subscriber receives: the categories they chose among those offered.

    No choice, or none of them offered any more, means every offered category, so
    people who asked for everything also get the categories editors add later.
    """
    offered = frozenset(offered)
    return (offered & frozenset(chosen)) or offered


def _choices(subscriber_ids):
    """(subscriber id, category id) of the subscribers' chosen categories."""
    return Category.subscribers.through.objects.filter(
        subscriber_id__in=subscriber_ids
    ).values_list("subscriber_id", "category_id")


class CategoryQuerySet(models.QuerySet):
    def of_edition(self, edition: str):
        return self.filter(edition=edition)

    def for_digest(self):
        return self.filter(is_active=True, in_digest=True)

    def offered_ids(self) -> frozenset[int]:
        """The categories a subscriber can choose: active and in the digest."""
        return frozenset(self.for_digest().values_list("id", flat=True))

    def received_ids(self, subscriber_ids: list[int]) -> dict[int, frozenset[int]]:
        """For each subscriber, `received_category_ids`; two queries for any number."""
        offered = self.offered_ids()
        chosen: dict[int, set[int]] = defaultdict(set)
        for subscriber_id, category_id in rows_for_ids(_choices, subscriber_ids):
            chosen[subscriber_id].add(category_id)
        return {
            subscriber_id: received_category_ids(chosen.get(subscriber_id, ()), offered)
            for subscriber_id in subscriber_ids
        }

    def for_subscriber(self, subscriber) -> "CategoryQuerySet":
        """The categories `subscriber` receives, in editor order."""
        ids = self.received_ids([subscriber.id])[subscriber.id]
        return self.for_digest().filter(id__in=ids)


class Category(models.Model):
    """An editor-owned bucket. Articles get exactly one; emoji are fixed, never random.

    Each edition has its own list: news articles are filed among the news
    categories, papers among the papers ones."""

    class Edition(models.TextChoices):
        NEWS = "news", _("News")
        PAPERS = "papers", _("Papers")

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(
        _("name"), max_length=100, help_text=_("In the digest's default language.")
    )
    name_en = models.CharField(
        _("name (English)"),
        max_length=100,
        blank=True,
        help_text=_("Shown to English readers; empty: the name above."),
    )
    emoji = models.CharField(_("emoji"), max_length=16)
    description = models.TextField(
        _("description"), help_text=_("What belongs here; used in prompts and rules.")
    )
    description_en = models.TextField(
        _("description (English)"),
        blank=True,
        help_text=_("Shown to English readers; empty: the description above."),
    )
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_("Offline classifier: comma- or newline-separated keywords."),
    )
    edition = models.CharField(
        _("edition"), max_length=10, choices=Edition.choices, default=Edition.NEWS
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    color = models.CharField(_("colour"), max_length=7, default="#7f7f7f")
    is_active = models.BooleanField(_("active"), default=True)
    in_digest = models.BooleanField(
        _("in the digest"),
        default=True,
        help_text=_("Off for catch-alls such as Others: counted, never summarised."),
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.emoji} {self.name}"

    # The language each translated field is written in; any other language reads
    # the default fields.
    TRANSLATED_FIELDS = {"en": ("name_en", "description_en")}

    def display_name(self, language: str | None) -> str:
        """The name in ``language``, or in the default language when it has none."""
        return self._in_language(language, 0) or self.name

    def display_description(self, language: str | None) -> str:
        return self._in_language(language, 1) or self.description

    @property
    def local_name(self) -> str:
        """The name in the active language (templates, emails under override)."""
        return self.display_name(translation.get_language())

    def _in_language(self, language: str | None, index: int) -> str:
        fields = self.TRANSLATED_FIELDS.get(language or "")
        return getattr(self, fields[index]).strip() if fields else ""

    @property
    def keyword_list(self) -> list[str]:
        raw = self.keywords.replace("\n", ",")
        return [k.strip() for k in raw.split(",") if k.strip()]


class DigestQuerySet(models.QuerySet):
    def published(self):
        """The public archive, newest first. A digest is public once it starts sending:
        from then on subscribers hold links to it. Approved digests stay private
        because editors may still change them."""
        return (
            self.filter(status__in=Digest.PUBLISHED_STATUSES)
            .with_sections()
            .order_by("-date", "edition")
        )

    def with_sections(self):
        """Digests with something to read: an empty one is never approved, sent or
        listed (the rule ``Digest.is_empty`` states for one digest)."""
        return self.filter(
            Exists(DigestSection.objects.filter(digest_id=OuterRef("pk")))
        )


class Digest(models.Model):
    class Status(models.TextChoices):
        # Lazy labels: the desk shows them in the editor's language.
        DRAFT = "draft", _("Draft")
        READY = "ready", _("Ready for review")
        APPROVED = "approved", _("Approved")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        # The send finished but most deliveries failed (``Digest.send_outcome``).
        PARTIAL = "partial", _("Sent, most deliveries failed")
        FAILED = "failed", _("Failed")

    class Edition(models.TextChoices):
        # Lazy labels, as the statuses: the desk names editions in its own language.
        NEWS = "news", _("News")
        PAPERS = "papers", _("Papers")
        # The week's News stories looked back over (newsletter/services/weekly.py).
        WEEKLY = "weekly", _("Weekly")

    date = models.DateField(_("date"))
    edition = models.CharField(
        _("edition"), max_length=10, choices=Edition.choices, default=Edition.NEWS
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    language = models.CharField(_("language"), max_length=5, default="ko")
    window_start = models.DateTimeField(_("window start"), null=True, blank=True)
    window_end = models.DateTimeField(_("window end"), null=True, blank=True)
    chart_png = models.BinaryField(_("chart"), blank=True, default=b"")
    # {category slug: article count} for the whole window, Others included.
    category_counts = models.JSONField(
        _("articles per category"), default=dict, blank=True
    )
    generated_by = models.CharField(
        _("written by"),
        max_length=20,
        blank=True,
        help_text=_("llm, offline or mixed"),
    )
    notes = models.TextField(
        _("notes"),
        blank=True,
        help_text=_("Shown to editors: fallbacks, budget, flags."),
    )
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), default=0)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), default=0)
    llm_calls = models.PositiveIntegerField(_("LLM calls"), default=0)
    cost_estimate = models.DecimalField(
        _("estimated cost"), max_digits=10, decimal_places=4, default=0
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The editor's own send time: the scheduler releases the approved digest at its
    # first run from then on (None: its first run after approval).
    send_at = models.DateTimeField(_("own send time"), null=True, blank=True)
    # Why the build found nothing to tell (empty when it has sections): the desk shows
    # it, and an empty digest is never approved, sent or published.
    empty_reason = models.CharField(_("why it is empty"), max_length=300, blank=True)

    objects = DigestQuerySet.as_manager()

    # The digest's status rules, each in one place. Sending or sent is final: the
    # digest is public and rebuilding or editing it would change what people received.
    # A send that finished: every reader enrolled was tried, well or not.
    SENT_STATUSES = (Status.SENT, Status.PARTIAL)
    PUBLISHED_STATUSES = (Status.SENDING, *SENT_STATUSES)
    FROZEN_STATUSES = PUBLISHED_STATUSES
    APPROVABLE_STATUSES = (Status.DRAFT, Status.READY)
    # A send can start (approved) or go on (sending, e.g. after a worker died).
    SENDABLE_STATUSES = (Status.APPROVED, Status.SENDING)
    # What a send may be asked of: sending a sent digest again is a no-op report.
    RELEASED_STATUSES = (Status.APPROVED, Status.SENDING, *SENT_STATUSES)

    class Meta:
        ordering = ["-date", "edition"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        # Approving and sending reach every subscriber: granted apart from "change".
        permissions = [
            ("approve_digest", "Can approve a digest for sending"),
            ("send_digest", "Can send a digest to subscribers"),
            ("test_send_digest", "Can send a test of a digest to editors"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "edition"], name="one_digest_per_day_and_edition"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_edition_display()} {self.date:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        """Its archive page: the date, and the edition unless it is the news one."""
        path = reverse("newsletter:digest_detail", args=[self.date.isoformat()])
        if self.edition != self.Edition.NEWS:
            path += f"?edition={self.edition}"
        return path

    @property
    def is_frozen(self) -> bool:
        return self.status in self.FROZEN_STATUSES

    @property
    def is_empty(self) -> bool:
        """No section to read: nothing goes out (``DigestQuerySet.with_sections``)."""
        return not self.sections.exists()

    @property
    def can_approve(self) -> bool:
        return self.status in self.APPROVABLE_STATUSES and not self.is_empty

    @staticmethod
    def send_outcome(sent: int, failed: int) -> str:
        """The status a finished send ends in: partial when most deliveries failed
        (all of them included), so a relay refusing everything is not "sent"."""
        return Digest.Status.PARTIAL if failed > sent else Digest.Status.SENT

    @property
    def can_send(self) -> bool:
        return self.status in self.SENDABLE_STATUSES

    @property
    def is_released(self) -> bool:
        return self.status in self.RELEASED_STATUSES

    def waits_for_send_time(self, now=None) -> bool:
        """Approved with a send time still ahead: the scheduler leaves it until then."""
        now = now or timezone.now()
        return self.status == self.Status.APPROVED and bool(
            self.send_at and self.send_at > now
        )


class DigestSection(models.Model):
    class GeneratedBy(models.TextChoices):
        LLM = "llm", "LLM"
        OFFLINE = "offline", _("Offline (extractive, no LLM)")
        EDITOR = "editor", _("Editor")

    digest = models.ForeignKey(
        Digest,
        on_delete=models.CASCADE,
        related_name="sections",
        verbose_name=_("digest"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="sections",
        verbose_name=_("category"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    # {"topics": [str], "events": [{"text": str, "citations": [int]}],
    #  "impact": {"economy": str, "politics_society": str, "science_technology": str},
    #  "final_summary": [str]}
    content = models.JSONField(_("content"), default=dict, blank=True)
    articles = models.ManyToManyField(
        "ingestion.Article",
        through="DigestSource",
        related_name="digest_sections",
        verbose_name=_("articles"),
    )
    generated_by = models.CharField(
        _("written by"),
        max_length=10,
        choices=GeneratedBy.choices,
        default=GeneratedBy.OFFLINE,
    )
    edited_by_editor = models.BooleanField(_("edited"), default=False)
    needs_review = models.BooleanField(_("needs review"), default=False)
    review_notes = models.TextField(
        _("review notes"),
        blank=True,
        help_text=_("Quality and faithfulness flags."),
    )
    removed_citations = models.PositiveIntegerField(_("removed citations"), default=0)
    # The section in the digest's other languages, each made from this content:
    # {language: {"of": fingerprint of content, "by": "llm" | "offline",
    #             "content": {...}}}; written and read only by newsletter.editorial.sections.
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("digest section")
        verbose_name_plural = _("digest sections")
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "category"], name="one_section_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.digest} — {self.category}"


class DigestSource(models.Model):
    """The numbered sources of one section: [n] in the text points at number n."""

    section = models.ForeignKey(
        DigestSection,
        on_delete=models.CASCADE,
        related_name="sources",
        verbose_name=_("section"),
    )
    article = models.ForeignKey(
        "ingestion.Article", on_delete=models.CASCADE, verbose_name=_("article")
    )
    number = models.PositiveIntegerField(_("number"))

    class Meta:
        ordering = ["number"]
        verbose_name = _("numbered source")
        verbose_name_plural = _("numbered sources")
        constraints = [
            models.UniqueConstraint(
                fields=["section", "number"], name="one_source_per_number"
            ),
            models.UniqueConstraint(
                fields=["section", "article"], name="one_number_per_article"
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.article_id}"


class Story(models.Model):
    """One event of a digest, however many sources report it (newsletter/editorial/stories.py).

    Every article of the digest's window belongs to exactly one of its stories, Others
    included. A story like one sent in the last STORY_CONTINUITY_DAYS points at it in
    ``earlier``: it is a follow-up when it brings new facts, else it is left out.
    """

    digest = models.ForeignKey(
        Digest,
        on_delete=models.CASCADE,
        related_name="stories",
        verbose_name=_("digest"),
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=1000, blank=True)
    articles = models.ManyToManyField(
        "ingestion.Article", related_name="stories", verbose_name=_("articles")
    )
    lead_article = models.ForeignKey(
        "ingestion.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lead article"),
        help_text=_("The article the story is quoted from."),
    )
    score = models.FloatField(
        _("score"), default=0, help_text=_("Rank score (stories.rank_score).")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    earlier = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="later",
        verbose_name=_("earlier story"),
        help_text=_("A similar story sent in an earlier digest."),
    )
    is_follow_up = models.BooleanField(_("follow-up"), default=False)
    headlines = models.JSONField(
        _("headlines"),
        default=dict,
        blank=True,
        help_text=_(
            "One line per reader language saying what happened, written from the "
            "story's sources and checked against them (newsletter/drafting/headlines.py)."
        ),
    )
    new_facts = models.JSONField(
        _("new facts"),
        default=list,
        blank=True,
        help_text=_("Names and numbers the earlier story lacked."),
    )
    edited_by_editor = models.BooleanField(_("edited"), default=False)

    class Meta:
        ordering = ["digest", "position", "id"]
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    def __str__(self) -> str:
        return self.title or gettext("Story %(id)s") % {"id": self.pk}

    @property
    def is_left_out(self) -> bool:
        """Already told in an earlier digest, with nothing new."""
        return self.earlier_id is not None and not self.is_follow_up


class Delivery(models.Model):
    """The ledger: who got which digest. The single source of truth for sends."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    digest = models.ForeignKey(
        Digest,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("digest"),
    )
    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscriber"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    esp_message_id = models.CharField(_("ESP message id"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "subscriber"], name="one_delivery_per_subscriber"
            )
        ]
        indexes = [
            # The sweeper's query: stale SENDING rows by claimed_at.
            models.Index(
                fields=["claimed_at"],
                name="delivery_sending_claimed",
                condition=models.Q(status="sending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.digest} → {self.subscriber_id} ({self.get_status_display()})"


class LLMCall(models.Model):
    class Purpose(models.TextChoices):
        CLASSIFY = "classify", _("Classification")
        SUMMARIZE = "summarize", _("Summary")
        TRANSLATE = "translate", _("Translation")
        HEADLINE = "headline", _("Story headlines")

    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    model = models.CharField(_("model"), max_length=100)
    digest = models.ForeignKey(
        Digest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="llm_call_log",
        verbose_name=_("digest"),
    )
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), default=0)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), default=0)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    cost_estimate = models.DecimalField(
        _("estimated cost"), max_digits=10, decimal_places=6, default=0
    )
    cache_key = models.CharField(_("cache key"), max_length=64, db_index=True)
    cached = models.BooleanField(
        _("cached"),
        default=False,
        help_text=_("Answered from the cache: no tokens spent."),
    )
    response = models.JSONField(_("response"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("LLM call")
        verbose_name_plural = _("LLM calls")

    def __str__(self) -> str:
        return (
            f"{self.get_purpose_display()} {self.model} "
            f"({self.prompt_tokens}+{self.completion_tokens})"
        )


class WorkerHeartbeat(models.Model):
    """When each worker last ran the beat-scheduled heartbeat task: shown by /healthz
    so an operator sees that workers (and beat) are alive, not only the web server."""

    worker = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class DayRun(models.Model):
    """The daily run of one day: the step it is on and its last sign of life.

    The step that runs renews ``alive_at`` while it works (``services.day_runs``); a
    worker killed under it stops renewing, and the resume job (``jobs.resume_day``)
    starts that step again as a new ``attempt`` instead of waiting for the broker's
    visibility timeout. A message of an older attempt, redelivered later, finds
    itself superseded and does nothing.
    """

    class Step(models.TextChoices):
        FETCHING = "fetching", _("Fetching the sources")
        BUILDING = "building", _("Building the digest")
        SENDING = "sending", _("Sending")
        EXPORTING = "exporting", _("Exporting")
        DONE = "done", _("Done")

    day = models.DateField(unique=True)
    step = models.CharField(max_length=10, choices=Step.choices, default=Step.FETCHING)
    # 1 for the run beat (or an editor) started; one more each time it was resumed.
    attempt = models.PositiveIntegerField(default=1)
    resumed = models.PositiveIntegerField(default=0)  # by the resume job, this run
    started_at = models.DateTimeField(default=timezone.now)
    step_started_at = models.DateTimeField(default=timezone.now)
    alive_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The run's own options, for a resumed step to run as the first one would have.
    send = models.BooleanField(default=True)
    export_dir = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("daily run")
        verbose_name_plural = _("daily runs")

    def __str__(self) -> str:
        return f"daily run {self.day:%Y-%m-%d}: {self.step} (attempt {self.attempt})"


class DigestEvent(models.Model):
    """What an editor (or the scheduler, with no actor) did to a digest, and when:
    the digest page's history. Kept when the user is deleted, under their name."""

    class Action(models.TextChoices):
        EDITED = "edited", _("Edited a section")
        EDITED_TRANSLATION = "edited_translation", _("Edited a translation")
        REGENERATED = "regenerated", _("Regenerated a section")
        APPROVED = "approved", _("Approved")
        UNAPPROVED = "unapproved", _("Took back the approval")
        SEND_TIME_SET = "send_time_set", _("Set the send time")
        TEST_SENT = "test_sent", _("Sent a test")
        SENT = "sent", _("Sent")
        REBUILT = "rebuilt", _("Rebuilt")
        SECTION_DELETED = "section_deleted", _("Deleted a section")

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("digest event")
        verbose_name_plural = _("digest events")

    def __str__(self) -> str:
        return f"{self.digest} {self.action} by {self.actor_name or 'the scheduler'}"


class Feedback(models.Model):
    """A reader's 👍 or 👎 on one story, from the signed links in their email.

    One row per (reader, story): a second vote replaces the first, undo deletes it.
    ``features`` are the story's preference features when the vote was cast
    (``sending.ordering.story_features``), so learning a reader's order reads this
    table alone. Deleted with the reader (cascade on erasure, and on unsubscribe by
    ``subscribers.services.unsubscribe``).
    """

    class Vote(models.IntegerChoices):
        UP = 1, "👍"
        DOWN = -1, "👎"

    subscriber = models.ForeignKey(
        "subscribers.Subscriber", on_delete=models.CASCADE, related_name="feedback"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="feedback")
    vote = models.SmallIntegerField(choices=Vote.choices)
    features = models.JSONField(default=list, blank=True)
    voted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reader vote")
        verbose_name_plural = _("reader votes")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "story"], name="one_vote_per_reader_and_story"
            ),
            models.CheckConstraint(
                condition=models.Q(vote__in=[1, -1]), name="feedback_vote_up_or_down"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.story_id}: {self.get_vote_display()}"


class StoryClick(models.Model):
    """Clicks on a story's source links, counted per day: no reader, no address."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="clicks")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("story click count")
        verbose_name_plural = _("story click counts")
        constraints = [
            models.UniqueConstraint(
                fields=["story", "day"], name="one_click_count_per_story_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.story_id} {self.day}: {self.count}"


class MergedStory(models.Model):
    """A story an editor merged into another (``services.editing.merge_stories``):
    votes and clicks from links naming the merged one land on the one that stayed."""

    merged_id = models.PositiveIntegerField(unique=True)
    into = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="merged")

    class Meta:
        verbose_name = _("merged story")
        verbose_name_plural = _("merged stories")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.into_id}"
