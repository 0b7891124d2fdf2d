from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    class Kind(models.TextChoices):
        NEWS = "news", _("News")
        PAPER = "paper", _("Papers")

    class FetchStatus(models.TextChoices):
        NEVER = "never", _("Never fetched")
        OK = "ok", _("OK")
        NOT_MODIFIED = "not_modified", _("Not modified (304)")
        ERROR = "error", _("Error")

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("feed URL"), max_length=1000, unique=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.NEWS
    )
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("Expected language, e.g. ko or en"),
    )
    # Conditional GET validators from the last 200 response.
    etag = models.CharField("ETag", max_length=500, blank=True)
    last_modified = models.CharField("Last-Modified", max_length=100, blank=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_status = models.CharField(
        _("last status"),
        max_length=20,
        choices=FetchStatus.choices,
        default=FetchStatus.NEVER,
    )
    last_error = models.TextField(_("last error"), blank=True)
    consecutive_failures = models.PositiveIntegerField(
        _("failures in a row"), default=0
    )
    paused_at = models.DateTimeField(
        _("paused at"),
        null=True,
        blank=True,
        help_text=_("Set after too many failures in a row; clear it to resume."),
    )
    weight = models.FloatField(
        _("weight"),
        default=1.0,
        help_text=_(
            "How much a story reported here counts when stories are ranked "
            "(1 is usual; 2 counts as two sources, 0.5 as half of one)."
        ),
    )
    is_aggregator = models.BooleanField(
        _("aggregator"),
        default=False,
        help_text=_(
            "The feed lists other sites' articles (Hacker News, Digg): each is "
            "credited to the site that published it, never to this source."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        # Fetching on demand makes outbound requests from the server.
        permissions = [("fetch_source", "Can fetch a source now")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class ArticleQuerySet(models.QuerySet):
    def originals(self):
        return self.filter(duplicate_of__isnull=True)


class Article(models.Model):
    class ClassifiedBy(models.TextChoices):
        UNCLASSIFIED = "", _("Not classified")
        LLM = "llm", "LLM"
        RULES = "rules", _("Rules")
        EDITOR = "editor", _("Editor")

    class Extraction(models.TextChoices):
        PENDING = "pending", _("Pending")
        EXTRACTED = "extracted", _("Extracted from page")
        FEED = "feed", _("Feed content (page unavailable)")
        FAILED = "failed", _("Failed")

    source = models.ForeignKey(
        Source,
        on_delete=models.CASCADE,
        related_name="articles",
        verbose_name=_("source"),
    )
    url = models.URLField(
        "URL", max_length=2000, unique=True, help_text=_("Canonical URL")
    )
    # The link as the feed gave it (canonicalised); differs from url when the page
    # names another canonical URL. Looked up so a re-run finds the row again.
    feed_url = models.URLField(
        _("URL in the feed"), max_length=2000, blank=True, db_index=True
    )
    guid = models.CharField("GUID", max_length=1000, blank=True)
    title = models.CharField(_("title"), max_length=1000)
    author = models.CharField(_("author"), max_length=500, blank=True)
    # The publishing site's own name (og:site_name), read from its page: who speaks
    # when the source only pointed to it.
    site_name = models.CharField(_("site name"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    first_seen_at = models.DateTimeField(
        _("first seen"), default=timezone.now, db_index=True
    )
    feed_summary = models.TextField(_("feed summary"), blank=True)
    text = models.TextField(_("text"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    content_hash = models.CharField(
        _("content hash"), max_length=64, blank=True, db_index=True
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    category = models.ForeignKey(
        "newsletter.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        verbose_name=_("category"),
    )
    category_confidence = models.FloatField(
        _("category confidence"), null=True, blank=True
    )
    classified_by = models.CharField(
        _("classified by"),
        max_length=10,
        choices=ClassifiedBy.choices,
        default=ClassifiedBy.UNCLASSIFIED,
        blank=True,
    )
    needs_review = models.BooleanField(_("needs review"), default=False)
    extraction_status = models.CharField(
        _("text extraction"),
        max_length=20,
        choices=Extraction.choices,
        default=Extraction.PENDING,
    )
    extraction_error = models.TextField(_("extraction error"), blank=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            # pipeline._KnownEntries: "which of this feed's guids are stored already?"
            models.Index(fields=["source", "guid"], name="article_source_guid"),
        ]

    def __str__(self) -> str:
        return self.title


class Paper(models.Model):
    """What an arXiv listing says of a paper; its Article holds the title, the
    abstract (as ``text``) and the abstract page (as ``url``).

    The arXiv id without its version is the paper's identity: a cross-list or a
    new version of a stored paper updates this row, never adds another.
    """

    class AnnounceType(models.TextChoices):
        NEW = "new", _("New submission")
        CROSS = "cross", _("Cross-list")
        REPLACE = "replace", _("Replacement")
        REPLACE_CROSS = "replace-cross", _("Replacement of a cross-list")

    article = models.OneToOneField(
        Article,
        on_delete=models.CASCADE,
        related_name="paper",
        verbose_name=_("article"),
    )
    arxiv_id = models.CharField(_("arXiv id"), max_length=40, unique=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    announce_type = models.CharField(
        _("announced as"), max_length=20, choices=AnnounceType.choices
    )
    authors = models.JSONField(_("authors"), default=list, blank=True)
    # arXiv categories, the primary first (cs.CL, cs.AI, ...).
    arxiv_categories = models.JSONField(_("arXiv categories"), default=list, blank=True)
    abstract_url = models.URLField(_("abstract page"), max_length=500)
    pdf_url = models.URLField("PDF", max_length=500)
    # When a listing announced it as news: its first new or cross listing, or a
    # replacement when PAPERS_INCLUDE_REPLACEMENTS is on. Null: never news here.
    announced_at = models.DateTimeField(
        _("announced"), null=True, blank=True, db_index=True
    )

    class Meta:
        ordering = ["-arxiv_id"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")

    def __str__(self) -> str:
        return f"arXiv:{self.arxiv_id}v{self.version}"

    @property
    def primary_category(self) -> str:
        return self.arxiv_categories[0] if self.arxiv_categories else ""
