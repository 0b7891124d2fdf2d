"""The digest page edits each section in its other languages beside the one it is
written in: who made each language's text, whether it is older than the text as
written, and a form to replace it (saved by ``bilingual.save_editor_translation``).
"""

import copy
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from newsletter.desk.forms import (
    BRIEFING_FIELDS,
    EXCERPT_FIELDS,
    SectionTranslationForm,
)
from newsletter.desk.review import section_url
from newsletter.editorial import sections
from newsletter.models import Digest, DigestSection
from newsletter.services import bilingual

MADE_BY = {
    sections.TRANSLATED: gettext_lazy("translated by the LLM"),
    sections.OFFLINE: gettext_lazy("written offline from the sources"),
    sections.EDITOR: gettext_lazy("edited by an editor"),
    "": gettext_lazy("not made yet"),
}


@dataclass
class TranslationReview:
    state: bilingual.LanguageState
    form: SectionTranslationForm | None

    @property
    def made_by(self) -> str:
        return str(MADE_BY.get(self.state.by, self.state.by))

    @property
    def fields(self) -> list:
        if self.form is None:
            return []
        names = (
            EXCERPT_FIELDS if self.form.kind == sections.EXCERPTS else BRIEFING_FIELDS
        )
        return [self.form[name] for name in names]


def translation_prefix(section: DigestSection, language: str) -> str:
    return f"section-{section.id}-{language}"


class SectionTranslationMixin:
    """The digest admin's per-language section editors."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:digest_id>/sections/<int:section_id>/<str:language>/",
                wrap(self.edit_translation_view),
                name="newsletter_digest_edit_translation",
            ),
            *super().get_urls(),
        ]

    def review_context(self, request, digest: Digest, bound=None) -> dict:
        context = super().review_context(request, digest, bound)
        for review in context["reviews"]:
            review.translations = self._translation_reviews(review, bound or {})
        return context

    def _translation_reviews(self, review, bound: dict) -> list[TranslationReview]:
        section = review.section
        # Quotes stay as written and Papers are read in the digest's language: only a
        # briefing has texts of its own in other languages.
        if review.content is None or review.content.is_excerpts:
            return []
        if review.content.is_papers:
            return []
        result = []
        for language in bilingual.other_languages(section):
            form = None
            if review.form is not None:  # the user may change this section
                form = bound.get((section.id, language)) or SectionTranslationForm(
                    instance=section,
                    prefix=translation_prefix(section, language),
                    language=language,
                )
            result.append(
                TranslationReview(bilingual.language_state(section, language), form)
            )
        return result

    def edit_translation_view(
        self, request, digest_id: int, section_id: int, language: str
    ):
        digest = self._digest(request, digest_id)
        if request.method != "POST":
            return self._back(digest)
        section = get_object_or_404(DigestSection, id=section_id, digest=digest)
        if language not in bilingual.other_languages(section):
            raise Http404
        if not self.admin_site._registry[DigestSection].has_change_permission(
            request, section
        ):
            raise PermissionDenied(_("This section cannot be changed."))
        form = SectionTranslationForm(
            request.POST,
            instance=section,
            prefix=translation_prefix(section, language),
            language=language,
        )
        if form.is_valid():
            bilingual.save_editor_translation(
                section, language, form.content, actor=request.user
            )
            messages.success(
                request,
                _("Saved %(section)s in %(language)s.")
                % {"section": section.category, "language": language},
            )
            return HttpResponseRedirect(section_url(section))
        page = copy.copy(request)
        page.method = "GET"
        bound = {(section.id, language): form}
        return self.change_view(
            page,
            str(digest.id),
            extra_context=self.review_context(page, digest, bound=bound),
        )
