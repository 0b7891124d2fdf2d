"""The public archive's Atom and RSS feeds, one per site language. Which digests are
public, and where each one lives, the model says: ``Digest.objects.published()``,
``get_absolute_url()``.

A feed speaks the request's language (``?lang=`` or the visitor's), and so do its
titles, category names, topics and links; it names its other languages with
``<link rel="alternate" hreflang=…>`` (in RSS as ``atom:link``).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lib.locale import alternates, in_language
from newsletter.editorial import sections
from newsletter.models import Digest, DigestSection

FEED_ITEMS = 30


def digest_title(digest: Digest) -> str:
    editions = {
        Digest.Edition.NEWS: _("News"),
        Digest.Edition.PAPERS: _("Papers"),
        Digest.Edition.WEEKLY: _("Weekly"),
    }
    return _("Daily AI Insights — %(date)s (%(edition)s)") % {
        "date": digest.date.isoformat(),
        "edition": editions.get(digest.edition, digest.edition),
    }


def _in_feed_language(url: str) -> str:
    """Pages the feed links to open in its language; the default language's links
    stay as they always were."""
    language = get_language()
    return url if language == settings.LANGUAGE_CODE else in_language(url, language)


@dataclass(frozen=True)
class FeedRequest:
    """What a feed needs of its request: its language and its other languages."""

    language: str
    alternates: list[tuple[str, str]]


class _AlternatesRss(Rss201rev2Feed):
    def add_root_elements(self, handler) -> None:
        super().add_root_elements(handler)
        for code, url in self.feed["language_alternates"]:
            handler.addQuickElement(
                "atom:link",
                None,
                {
                    "rel": "alternate",
                    "hreflang": code,
                    "href": url,
                    "type": self.content_type.split(";")[0],
                },
            )


class _AlternatesAtom(Atom1Feed):
    def add_root_elements(self, handler) -> None:
        super().add_root_elements(handler)
        for code, url in self.feed["language_alternates"]:
            handler.addQuickElement(
                "link",
                "",
                {
                    "rel": "alternate",
                    "hreflang": code,
                    "href": url,
                    "type": self.content_type.split(";")[0],
                },
            )


class ArchiveRssFeed(Feed):
    feed_type = _AlternatesRss

    def get_object(self, request, *args, **kwargs) -> FeedRequest:
        codes = dict(settings.LANGUAGES)
        return FeedRequest(
            language=get_language(),
            alternates=[(c, u) for c, u in alternates(request) if c in codes],
        )

    def feed_extra_kwargs(self, obj: FeedRequest) -> dict:
        return {"language_alternates": obj.alternates}

    def title(self) -> str:
        return _("Daily AI Insights archive")

    def description(self) -> str:
        return _("Every published Daily AI Insights digest, newest first.")

    def link(self, obj: FeedRequest) -> str:
        return _in_feed_language(reverse("newsletter:archive"))

    def items(self) -> list[Digest]:
        sections = DigestSection.objects.select_related("category").order_by(
            "position", "id"
        )
        return list(
            Digest.objects.published().prefetch_related(
                Prefetch("sections", queryset=sections)
            )[:FEED_ITEMS]
        )

    def item_title(self, item: Digest) -> str:
        return digest_title(item)

    def item_link(self, item: Digest) -> str:
        return _in_feed_language(item.get_absolute_url())

    def item_guid(self, item: Digest) -> str:
        # Each language's entry is an entry of its own (readers may follow both).
        suffix = (
            "" if get_language() == settings.LANGUAGE_CODE else f":{get_language()}"
        )
        return f"daily-ai-insights:{item.edition}:{item.date.isoformat()}{suffix}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Digest):
        return item.sent_at or item.approved_at or item.created_at

    def item_updateddate(self, item: Digest):
        return item.updated_at

    def item_description(self, item: Digest) -> str:
        # Readers render RSS <description> and Atom <summary type="html"> as HTML
        # once the XML is decoded: category names and topics are escaped here as well
        # as by the feed generator, so they reach the reader as text.
        language = get_language()
        lines = []
        for section in item.sections.all():
            try:
                topics = sections.read(section, language).topics
            except sections.SectionContentError:
                topics = ()
            line = f"{section.category.emoji} {section.category.display_name(language)}"
            if topics:
                line += ": " + "; ".join(topics)
            lines.append(escape(line))
        return "<br>\n".join(lines)


class ArchiveAtomFeed(ArchiveRssFeed):
    feed_type = _AlternatesAtom

    def subtitle(self) -> str:
        return self.description()
