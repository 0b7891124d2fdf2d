from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ingestion import services
from ingestion.models import Article, Paper, Source


class PausedFilter(admin.SimpleListFilter):
    title = _("paused")
    parameter_name = "paused"

    def lookups(self, request, model_admin):
        return [("yes", _("Paused")), ("no", pgettext_lazy("source state", "Running"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(paused_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(paused_at__isnull=True)
        return queryset


class DuplicateFilter(admin.SimpleListFilter):
    title = _("duplicate")
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return [("yes", _("Duplicates")), ("no", _("Originals"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(duplicate_of__isnull=False)
        if self.value() == "no":
            return queryset.filter(duplicate_of__isnull=True)
        return queryset


class PaperFilter(admin.SimpleListFilter):
    """News articles or arXiv papers: the desk's front page links each edition's
    review queue through it."""

    title = _("kind")
    parameter_name = "paper"

    def lookups(self, request, model_admin):
        return [("no", _("News articles")), ("yes", _("Papers"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(paper__isnull=self.value() == "no")
        return queryset


# Editors paste feed and article addresses; a bare host means https, as browsers do.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = [
        "name",
        "kind",
        "language",
        "weight",
        "is_aggregator",
        "is_active",
        "health",
        "last_status",
        "last_success_at",
        "consecutive_failures",
        "paused_at",
        "short_error",
        "article_count",
    ]
    list_filter = [
        "is_active",
        PausedFilter,
        "last_status",
        "kind",
        "is_aggregator",
        "language",
    ]
    search_fields = ["name", "url"]
    actions = ["resume", "fetch_now"]
    readonly_fields = [
        "last_status",
        "last_fetched_at",
        "last_success_at",
        "last_error",
        "consecutive_failures",
        "etag",
        "last_modified",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "url",
                    "kind",
                    "language",
                    "weight",
                    "is_aggregator",
                    "is_active",
                    "paused_at",
                ]
            },
        ),
        (
            _("Health"),
            {
                "fields": [
                    "last_status",
                    "last_fetched_at",
                    "last_success_at",
                    "consecutive_failures",
                    "last_error",
                ]
            },
        ),
        (
            _("Conditional GET"),
            {
                "classes": ["collapse"],
                "fields": ["etag", "last_modified", "created_at"],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_articles=Count("articles"))

    @admin.display(description=_("health"))
    def health(self, obj: Source) -> str:
        if obj.paused_at:
            return "⏸ " + gettext("paused")
        if obj.last_status == Source.FetchStatus.ERROR:
            return "❌ " + gettext("failing")
        if obj.last_status == Source.FetchStatus.NEVER:
            return "· " + gettext("never fetched")
        if obj.last_error:
            return "⚠️ " + gettext("ok, with a note")
        return "✅ " + gettext("ok")

    @admin.display(description=_("last error"))
    def short_error(self, obj: Source) -> str:
        return truncatechars(obj.last_error, 80)

    @admin.display(description=_("articles"), ordering="n_articles")
    def article_count(self, obj: Source):
        url = reverse("admin:ingestion_article_changelist")
        return format_html(
            '<a href="{}?source__id__exact={}">{}</a>', url, obj.id, obj.n_articles
        )

    def has_fetch_source_permission(self, request) -> bool:
        return request.user.has_perm("ingestion.fetch_source")

    @admin.action(
        description=_("Resume the selected paused sources"), permissions=["change"]
    )
    def resume(self, request, queryset):
        count = services.resume_sources(list(queryset.values_list("id", flat=True)))
        self.message_user(
            request,
            ngettext("Resumed %(n)s source.", "Resumed %(n)s sources.", count)
            % {"n": count},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Fetch the selected sources now"), permissions=["fetch_source"]
    )
    def fetch_now(self, request, queryset):
        report = services.ingest(source_ids=list(queryset.values_list("id", flat=True)))
        level = messages.WARNING if report.sources_failed else messages.SUCCESS
        self.message_user(request, report.headline(), level)
        for name, reason in report.errors:
            self.message_user(request, f"{name}: {reason}", messages.ERROR)


class PaperInline(admin.StackedInline):
    """What the arXiv listing said of a paper: read-only, the listing owns it."""

    model = Paper
    can_delete = False
    extra = 0
    readonly_fields = [
        "arxiv_id",
        "version",
        "announce_type",
        "authors",
        "arxiv_categories",
        "abstract_url",
        "pdf_url",
        "announced_at",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    inlines = [PaperInline]
    formfield_overrides = URL_FIELDS
    list_display = [
        "title",
        "source",
        "published_at",
        "first_seen_at",
        "category",
        "needs_review",
        "extraction_status",
        "language",
        "duplicate_of_link",
    ]
    list_filter = [
        "source",
        "category",
        "needs_review",
        PaperFilter,
        "extraction_status",
        DuplicateFilter,
        "classified_by",
        "language",
    ]
    # The review queue is worked from the list: pick the right category in place.
    list_editable = ["category"]
    actions = ["mark_reviewed"]
    list_select_related = ["source", "category", "duplicate_of"]
    search_fields = ["title", "url", "guid", "author"]
    date_hierarchy = "first_seen_at"
    raw_id_fields = ["duplicate_of"]
    list_per_page = 50
    readonly_fields = [
        "source",
        "url",
        "feed_url",
        "guid",
        "first_seen_at",
        "content_hash",
        "extraction_status",
        "extraction_error",
        "classified_by",
        "category_confidence",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "source",
                    "url",
                    "author",
                    "published_at",
                    "language",
                ]
            },
        ),
        (
            _("Classification"),
            {
                "fields": [
                    "category",
                    "category_confidence",
                    "classified_by",
                    "needs_review",
                ]
            },
        ),
        (
            _("Text"),
            {
                "fields": [
                    "text",
                    "feed_summary",
                    "extraction_status",
                    "extraction_error",
                ]
            },
        ),
        (
            _("Identity"),
            {
                "classes": ["collapse"],
                "fields": [
                    "feed_url",
                    "guid",
                    "first_seen_at",
                    "content_hash",
                    "duplicate_of",
                ],
            },
        ),
    ]

    def save_model(self, request, obj: Article, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # A category chosen by an editor is final: classifiers never touch it again.
        if change and "category" in form.changed_data and obj.category_id:
            services.file_articles([obj.id], category_id=obj.category_id)

    @admin.action(
        description=_("Mark reviewed (keep the category)"), permissions=["change"]
    )
    def mark_reviewed(self, request, queryset):
        n = services.mark_reviewed(list(queryset.values_list("id", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(n)s article marked reviewed.", "%(n)s articles marked reviewed.", n
            )
            % {"n": n},
            messages.SUCCESS,
        )

    @admin.display(description=_("duplicate of"), ordering="duplicate_of")
    def duplicate_of_link(self, obj: Article):
        if obj.duplicate_of_id is None:
            return "—"
        url = reverse("admin:ingestion_article_change", args=[obj.duplicate_of_id])
        return format_html(
            '<a href="{}">{}</a>', url, truncatechars(obj.duplicate_of.title, 40)
        )
