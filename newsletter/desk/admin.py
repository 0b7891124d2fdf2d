from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ingestion.models import Article
from newsletter import export, services
from newsletter.desk.forms import (
    BRIEFING_FIELDS,
    EXCERPT_FIELDS,
    PAPER_FIELDS,
    DigestSectionForm,
)
from newsletter.desk.review import DigestReviewMixin, FrozenSectionMixin
from newsletter.desk.sending import DigestSendingMixin
from newsletter.desk.translations import SectionTranslationMixin
from newsletter.editorial import sections
from newsletter.editorial.sections import SectionContentError
from newsletter.models import (
    Category,
    Delivery,
    Digest,
    DigestSection,
    DigestSource,
    LLMCall,
    Story,
)

# Every desk page names the product, in the editor's language ("Django 관리" before).
admin.site.site_header = _("Daily AI Insights desk")
admin.site.site_title = _("Daily AI Insights desk")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "emoji",
        "name",
        "name_en",
        "slug",
        "edition",
        "position",
        "is_active",
        "in_digest",
        "article_count",
        "review_count",
    ]
    list_filter = ["edition"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active", "in_digest"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        originals = Q(articles__duplicate_of__isnull=True)
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_articles=Count("articles", filter=originals),
                n_review=Count(
                    "articles", filter=originals & Q(articles__needs_review=True)
                ),
            )
        )

    @admin.display(description=_("articles"), ordering="n_articles")
    def article_count(self, obj):
        return obj.n_articles

    @admin.display(description=_("to review"), ordering="n_review")
    def review_count(self, obj):
        url = reverse("admin:ingestion_article_changelist")
        return format_html(
            '<a href="{}?category__id__exact={}&needs_review__exact=1">{}</a>',
            url,
            obj.id,
            obj.n_review,
        )


class DigestSourceInline(admin.TabularInline):
    model = DigestSource
    extra = 0
    fields = ["number", "article"]
    readonly_fields = ["number", "article"]
    can_delete = False


@admin.register(DigestSection)
class DigestSectionAdmin(FrozenSectionMixin, admin.ModelAdmin):
    form = DigestSectionForm
    list_display = [
        "__str__",
        "generated_by",
        "edited_by_editor",
        "needs_review",
        "removed_citations",
    ]
    list_filter = ["generated_by", "needs_review", "digest__date"]
    readonly_fields = [
        "digest",
        "category",
        "generated_by",
        "edited_by_editor",
        "removed_citations",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "digest",
                    "category",
                    "generated_by",
                    "edited_by_editor",
                    "removed_citations",
                    "needs_review",
                    "review_notes",
                ]
            },
        ),
    ]
    inlines = [DigestSourceInline]
    actions = ["regenerate"]

    def get_fieldsets(self, request, obj=None):
        excerpts = papers = False
        if obj is not None:
            try:
                excerpts = sections.read(obj).is_excerpts
                papers = sections.read(obj).is_papers
            except SectionContentError:
                pass
        if papers:
            return [*self.fieldsets, (_("Papers"), {"fields": PAPER_FIELDS})]
        if excerpts:
            return [*self.fieldsets, (_("Excerpts"), {"fields": EXCERPT_FIELDS})]
        return [*self.fieldsets, (_("Briefing"), {"fields": BRIEFING_FIELDS})]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        form = context.get("adminform") and context["adminform"].form
        if getattr(form, "content_error", "") and request.method == "GET":
            messages.error(
                request,
                gettext(
                    "This section's stored content is malformed: %(error)s. The "
                    "fields below start empty; saving them replaces the stored "
                    "content."
                )
                % {"error": form.content_error},
            )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.action(
        description=_("Regenerate from sources (drops edits)"), permissions=["change"]
    )
    def regenerate(self, request, queryset):
        for section in queryset:
            try:
                services.regenerate_section(section.id, actor=request.user)
            except ValueError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        self.message_user(request, gettext("Regenerated."), messages.SUCCESS)


class DigestSectionInline(admin.TabularInline):
    model = DigestSection
    extra = 0
    fields = [
        "category",
        "generated_by",
        "edited_by_editor",
        "needs_review",
        "edit_link",
    ]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    @admin.display(description="")
    def edit_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:newsletter_digestsection_change", args=[obj.id]),
            gettext("edit"),
        )


@admin.register(Digest)
class DigestAdmin(
    DigestSendingMixin, SectionTranslationMixin, DigestReviewMixin, admin.ModelAdmin
):
    list_display = [
        "date",
        "edition",
        "status",
        "generated_by",
        "section_count",
        "delivery_summary",
        "prompt_tokens",
        "completion_tokens",
        "cost_estimate",
    ]
    list_filter = ["status", "edition", "generated_by"]
    date_hierarchy = "date"
    readonly_fields = [
        "date",
        "edition",
        "language",
        "window_start",
        "window_end",
        "chart",
        "counts",
        "generated_by",
        "notes",
        "prompt_tokens",
        "completion_tokens",
        "llm_calls",
        "cost_estimate",
        "created_at",
        "updated_at",
        "approved_at",
        "send_at",
        "sent_at",
    ]
    exclude = ["chart_png", "category_counts"]
    inlines = [DigestSectionInline]
    actions = ["approve", "send_now", "rebuild", "export_markdown"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_sections=Count("sections", distinct=True),
                n_sent=Count(
                    "deliveries", filter=Q(deliveries__status="sent"), distinct=True
                ),
                n_deliveries=Count("deliveries", distinct=True),
            )
        )

    @admin.display(description=_("sections"), ordering="n_sections")
    def section_count(self, obj):
        return obj.n_sections

    @admin.display(description=_("sent"))
    def delivery_summary(self, obj):
        return f"{obj.n_sent} / {obj.n_deliveries}"

    @admin.display(description=_("chart"))
    def chart(self, obj):
        if not obj.chart_png:
            return "—"
        url = reverse("newsletter:digest_chart", args=[f"{obj.date:%Y-%m-%d}"])
        # A width attribute, not a style one: the Content-Security-Policy allows no
        # inline styles.
        return format_html(
            '<img src="{}" alt="{}" width="480">',
            url,
            gettext("Category distribution chart"),
        )

    @admin.display(description=_("articles per category"))
    def counts(self, obj):
        return format_html_join(
            ", ", "{}: {}", sorted((obj.category_counts or {}).items())
        )

    def get_readonly_fields(self, request, obj=None):
        # Status moves only through the actions (approve, send), never by hand: a
        # sent digest set back to approved would be mailed to everyone again.
        return [*super().get_readonly_fields(request, obj), "status"]

    def has_approve_digest_permission(self, request) -> bool:
        return request.user.has_perm("newsletter.approve_digest")

    def has_send_digest_permission(self, request) -> bool:
        return request.user.has_perm("newsletter.send_digest")

    @admin.action(description=_("Approve for sending"), permissions=["approve_digest"])
    def approve(self, request, queryset):
        n = sum(services.approve_digest(d.id, actor=request.user) for d in queryset)
        self.message_user(
            request,
            ngettext("%(n)s digest approved.", "%(n)s digests approved.", n) % {"n": n},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Send now (approved digests only; safe to repeat)"),
        permissions=["send_digest"],
    )
    def send_now(self, request, queryset):
        return DigestSendingMixin.send_now(self, request, queryset)

    @admin.action(
        description=_("Rebuild (keeps edited sections)"), permissions=["change"]
    )
    def rebuild(self, request, queryset):
        for digest in queryset:
            services.rebuild_digest(digest.id, actor=request.user)
        self.message_user(request, gettext("Rebuilt."), messages.SUCCESS)

    @admin.action(
        description=_("Export Markdown + chart to var/digests"), permissions=["change"]
    )
    def export_markdown(self, request, queryset):
        for digest in queryset:
            path = export.export_digest(digest, settings.VAR_DIR / "digests")
            self.message_user(
                request, gettext("Wrote %(path)s") % {"path": path}, messages.SUCCESS
            )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "digest",
        "subscriber",
        "status",
        "attempts",
        "sent_at",
        "esp_message_id",
        "error",
    ]
    list_filter = ["status", "digest"]
    search_fields = ["subscriber__email", "esp_message_id"]
    list_select_related = ["digest", "subscriber"]
    readonly_fields = [
        "digest",
        "subscriber",
        "status",
        "created_at",
        "claimed_at",
        "sent_at",
        "esp_message_id",
        "error",
        "attempts",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "purpose",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "latency_ms",
        "cost_estimate",
        "cached",
        "error",
    ]
    list_filter = ["purpose", "model", "cached"]
    readonly_fields = [f.name for f in LLMCall._meta.fields]

    def has_add_permission(self, request):
        return False


class StoryForm(forms.ModelForm):
    """A story's own fields, and the articles to split off into a story of their own."""

    split_off = forms.ModelMultipleChoiceField(
        queryset=Article.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Split off"),
        help_text=_("Move these articles to a new story of the same digest."),
    )

    class Meta:
        model = Story
        fields = ["title", "category", "score", "is_follow_up"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["split_off"].queryset = self.instance.articles.all()


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    """Editors see the day's stories and fix the grouping: merge several into one, or
    split articles off into a new story. Either is kept when the digest is rebuilt;
    regenerate the section to rewrite its text."""

    form = StoryForm
    list_display = [
        "title",
        "digest",
        "category",
        "score",
        "source_count",
        "continuity",
        "edited_by_editor",
    ]
    list_filter = ["digest", "category", "is_follow_up", "edited_by_editor"]
    search_fields = ["title", "articles__title"]
    ordering = ["-digest__date", "position", "id"]
    readonly_fields = ["digest", "article_list", "earlier", "new_facts"]
    actions = ["merge"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("digest", "category", "earlier")
            .annotate(n_articles=Count("articles"))
        )

    @admin.display(description=_("sources"), ordering="n_articles")
    def source_count(self, obj):
        return obj.n_articles

    @admin.display(description=_("continuity"))
    def continuity(self, obj):
        if obj.is_follow_up:
            return gettext("follow-up")
        return gettext("left out (sent this week)") if obj.is_left_out else ""

    @admin.display(description=_("articles"))
    def article_list(self, obj):
        return (
            format_html_join(
                "",
                "<li>{} — {}</li>",
                ((a.source.name, a.title) for a in obj.articles.all()),
            )
            or "-"
        )

    def save_model(self, request, obj, form, change):
        obj.edited_by_editor = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        chosen = list(form.cleaned_data.get("split_off") or [])
        if chosen:
            new = services.split_story(form.instance, chosen)
            self.message_user(
                request,
                ngettext(
                    "%(n)s article moved to story %(story)s.",
                    "%(n)s articles moved to story %(story)s.",
                    len(chosen),
                )
                % {"n": len(chosen), "story": new.pk},
                messages.SUCCESS,
            )

    @admin.action(description=_("Merge selected stories"), permissions=["change"])
    def merge(self, request, queryset):
        try:
            merged = services.merge_stories(list(queryset))
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            gettext("Merged into story %(story)s.") % {"story": merged.pk},
            messages.SUCCESS,
        )
