"""The digest's review page in the admin: its sections in reading order beside their
sources, each editable in place with the section editor (`forms.DigestSectionForm`),
the email previewed as a chosen reader, a test send, approve and send buttons, and
the digest's history (`audit`).

A digest that is sending or sent is read-only: no form, no save, no delete; its
status moves only through the actions.
"""

import copy
from dataclasses import dataclass, field

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from newsletter import audit, services
from newsletter.desk import preview
from newsletter.desk.forms import BRIEFING_FIELDS, EXCERPT_FIELDS, DigestSectionForm
from newsletter.editorial import sections, stories, vocabulary
from newsletter.editorial.sections import SectionContentError
from newsletter.models import Category, Digest, DigestSection, Story
from newsletter.sending.rendering import RenderError
from newsletter.services import feedback as reader_feedback
from subscribers.models import Subscriber

# What the preview form sends (not `lang`: that switches the admin's own language).
SUBSCRIBER_PARAM = "preview_subscriber"
LANGUAGE_PARAM = "preview_language"
CATEGORY_PARAM = "preview_category"


def is_frozen(digest: Digest) -> bool:
    return digest.is_frozen


class FrozenSectionMixin:
    """The section admin: read-only once its digest is sending or sent, each save
    kept in the digest's history, and back to the digest's page after a save."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and is_frozen(obj.digest):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and is_frozen(obj.digest):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        services.edit_section(obj, form.content, actor=request.user)

    # A deleted section leaves a row in the digest's history, like an edit does.
    def delete_model(self, request, obj):
        digest_id, category = obj.digest_id, str(obj.category)
        super().delete_model(request, obj)
        audit.record(
            digest_id, audit.Action.SECTION_DELETED, actor=request.user, detail=category
        )

    def delete_queryset(self, request, queryset):
        for section in queryset.select_related("category"):
            self.delete_model(request, section)

    def response_change(self, request, obj):
        if "_continue" in request.POST or "_popup" in request.POST:
            return super().response_change(request, obj)
        messages.success(request, _("Saved %(section)s.") % {"section": obj.category})
        return HttpResponseRedirect(section_url(obj))


def _ranked_stories(content: sections.SectionContent | None) -> list["RankedStory"]:
    """The section's stories in its order, each with its rank score and its parts."""
    refs = content.stories if content is not None else ()
    rows = Story.objects.in_bulk([ref.id for ref in refs])
    counts = reader_feedback.story_counts(list(rows))
    return [
        RankedStory(
            title=rows[ref.id].title,
            score=rows[ref.id].score,
            parts=stories.score_parts(rows[ref.id].score),
            citations=ref.citations,
            readers=counts[ref.id],
        )
        for ref in refs
        if ref.id in rows
    ]


def section_url(section: DigestSection) -> str:
    url = reverse("admin:newsletter_digest_change", args=[section.digest_id])
    return f"{url}#section-{section.id}"


@dataclass(frozen=True)
class RankedStory:
    """A story of the section as the desk lists it: why it ranks where it does."""

    title: str
    score: float
    parts: stories.ScoreParts
    citations: tuple[int, ...]
    # Readers' 👍, 👎 and clicks on its sources (counts only: services.feedback).
    readers: reader_feedback.Counts = reader_feedback.Counts()


@dataclass
class SectionReview:
    section: DigestSection
    content: sections.SectionContent | None
    content_error: str
    sources: list
    form: DigestSectionForm | None
    # The other languages, filled by admin_translations.
    translations: list = field(default_factory=list)
    stories: list[RankedStory] = field(default_factory=list)

    @property
    def impact(self) -> list[tuple[str, str]]:
        if self.content is None:
            return []
        return [(vocabulary.impact_label(i.area), i.text) for i in self.content.impact]

    @property
    def fields(self) -> list:
        """The form's fields for this section's kind, as the section editor shows."""
        if self.form is None:
            return []
        kind = (
            EXCERPT_FIELDS if self.form.kind == sections.EXCERPTS else BRIEFING_FIELDS
        )
        return [self.form[name] for name in [*kind, "needs_review", "review_notes"]]


def reader_from(request, params, digest: Digest) -> preview.Reader:
    """The reader chosen in the preview form: a subscriber (for users who may see
    subscribers), else a language and category set, else the digest's own language
    with every category."""
    email = (params.get(SUBSCRIBER_PARAM) or "").strip()
    if email and request.user.has_perm("subscribers.view_subscriber"):
        subscriber = Subscriber.objects.filter(email__iexact=email).first()
        if subscriber is not None:
            return preview.Reader.of(subscriber)
    language = params.get(LANGUAGE_PARAM)
    if language not in dict(settings.LANGUAGES):
        language = digest.language
    slugs = params.getlist(CATEGORY_PARAM)
    categories = (
        tuple(Category.objects.for_digest().filter(slug__in=slugs)) if slugs else None
    )
    return preview.Reader(language=language, categories=categories)


def reader_query(reader: preview.Reader) -> str:
    if reader.subscriber is not None:
        return urlencode({SUBSCRIBER_PARAM: reader.subscriber.email})
    pairs = [(LANGUAGE_PARAM, reader.language)]
    pairs += [(CATEGORY_PARAM, c.slug) for c in reader.categories or ()]
    return urlencode(pairs)


class DigestReviewMixin:
    """The digest admin's change page as the review desk."""

    change_form_template = "admin/newsletter/digest/review.html"

    def has_change_permission(self, request, obj=None):
        if obj is not None and is_frozen(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and is_frozen(obj):
            return False
        return super().has_delete_permission(request, obj)

    def has_test_send_digest_permission(self, request) -> bool:
        return request.user.has_perm("newsletter.test_send_digest")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:digest_id>/preview/",
                wrap(self.preview_view),
                name="newsletter_digest_preview",
            ),
            path(
                "<int:digest_id>/approve/",
                wrap(self.approve_view),
                name="newsletter_digest_approve",
            ),
            path(
                "<int:digest_id>/sections/<int:section_id>/",
                wrap(self.edit_section_view),
                name="newsletter_digest_edit_section",
            ),
            *super().get_urls(),
        ]

    # --- the page ---------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        digest = self.get_object(request, object_id)
        if digest is not None and self.has_view_permission(request, digest):
            extra_context = {
                **self.review_context(request, digest),
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def review_context(self, request, digest: Digest, bound=None) -> dict:
        section_admin = self.admin_site._registry.get(DigestSection)
        reader = reader_from(request, request.GET, digest)
        query = reader_query(reader)
        user = request.user
        return {
            "digest": digest,
            "frozen": is_frozen(digest),
            "reviews": [
                self._section_review(request, section, section_admin, bound)
                for section in digest.sections.select_related("category")
                .prefetch_related("sources__article__source")
                .order_by("position", "category__position", "id")
            ],
            "reader": reader,
            "reader_query": query,
            **self._preview(digest, reader),
            "languages": settings.LANGUAGES,
            "categories": list(Category.objects.for_digest()),
            "chosen_slugs": {c.slug for c in reader.categories or ()},
            "can_pick_subscriber": user.has_perm("subscribers.view_subscriber"),
            "can_test_send": self.has_test_send_digest_permission(request),
            "test_recipients": preview.test_recipients(user),
            "can_approve": self.has_approve_digest_permission(request)
            and digest.can_approve,
            "can_send": self.has_send_digest_permission(request) and digest.can_send,
            "history": audit.history(digest),
            "reader_counts": reader_feedback.digest_counts(digest),
            "params": {
                "subscriber": SUBSCRIBER_PARAM,
                "language": LANGUAGE_PARAM,
                "category": CATEGORY_PARAM,
            },
        }

    @staticmethod
    def _preview(digest: Digest, reader: preview.Reader) -> dict:
        # A template or MJML failure is shown where the preview goes, so the editor
        # still has the page to fix the section that caused it.
        try:
            return {"email": preview.preview(digest, reader)}
        except RenderError as exc:
            return {"email": None, "preview_error": str(exc) or repr(exc)}

    def _section_review(self, request, section, section_admin, bound):
        try:
            content, error = sections.read(section), ""
        except SectionContentError as exc:
            content, error = None, str(exc)
        editable = section_admin is not None and section_admin.has_change_permission(
            request, section
        )
        form = None
        if editable:
            form = (bound or {}).get(section.id) or DigestSectionForm(
                instance=section, prefix=f"section-{section.id}"
            )
        return SectionReview(
            section=section,
            content=content,
            content_error=error,
            sources=list(section.sources.all()),
            form=form,
            stories=_ranked_stories(content),
        )

    # --- what the page posts ------------------------------------------------------

    def _digest(self, request, digest_id: int) -> Digest:
        digest = get_object_or_404(Digest, id=digest_id)
        if not self.has_view_permission(request, digest):
            raise PermissionDenied
        return digest

    def _back(self, digest: Digest, query: str = "") -> HttpResponseRedirect:
        url = reverse("admin:newsletter_digest_change", args=[digest.id])
        return HttpResponseRedirect(f"{url}?{query}" if query else url)

    def edit_section_view(self, request, digest_id: int, section_id: int):
        if request.method != "POST":
            return self._back(self._digest(request, digest_id))
        digest = self._digest(request, digest_id)
        section = get_object_or_404(DigestSection, id=section_id, digest=digest)
        section_admin = self.admin_site._registry[DigestSection]
        if not section_admin.has_change_permission(request, section):
            raise PermissionDenied(_("This section cannot be changed."))
        form = DigestSectionForm(
            request.POST, instance=section, prefix=f"section-{section.id}"
        )
        if form.is_valid():
            services.edit_section(section, form.content, actor=request.user)
            messages.success(
                request, _("Saved %(section)s.") % {"section": section.category}
            )
            return HttpResponseRedirect(section_url(section))
        # The page again, with this form's errors in place: rendered as for a GET,
        # so the admin does not take the section's fields for the digest's.
        page = copy.copy(request)
        page.method = "GET"
        return self.change_view(
            page,
            str(digest.id),
            extra_context=self.review_context(page, digest, bound={section.id: form}),
        )

    @method_decorator(xframe_options_sameorigin)
    @method_decorator(
        csp_replace(
            {
                # The email's own inline styles, nothing that runs.
                "default-src": [NONE],
                "script-src": [NONE],
                "connect-src": [NONE],
                "font-src": [NONE],
                "style-src": [UNSAFE_INLINE],
                "img-src": [SELF, "data:", "https:"],
                "frame-ancestors": [SELF],
            }
        )
    )
    def preview_view(self, request, digest_id: int):
        digest = self._digest(request, digest_id)
        try:
            email = preview.preview(digest, reader_from(request, request.GET, digest))
        except RenderError as exc:
            return HttpResponse(
                _("The email could not be rendered: %(error)s") % {"error": exc},
                status=500,
                content_type="text/plain; charset=utf-8",
            )
        return HttpResponse(email.html)

    @method_decorator(require_POST)
    def approve_view(self, request, digest_id: int):
        if not self.has_approve_digest_permission(request):
            raise PermissionDenied(_("You may not approve digests."))
        digest = self._digest(request, digest_id)
        if services.approve_digest(digest.id, actor=request.user):
            messages.success(request, _("%(digest)s approved.") % {"digest": digest})
        else:
            messages.warning(
                request,
                _("%(digest)s is %(status)s: not approved.")
                % {"digest": digest, "status": digest.get_status_display()},
            )
        return self._back(digest)
