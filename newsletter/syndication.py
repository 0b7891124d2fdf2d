"""The public archive's Atom and RSS feeds. Which digests are public, and where each
one lives, the model says: ``Digest.objects.published()``, ``get_absolute_url()``."""

from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from newsletter import sections
from newsletter.models import Digest, DigestSection

FEED_ITEMS = 30


def digest_title(digest: Digest) -> str:
    editions = {Digest.Edition.NEWS: _("News"), Digest.Edition.PAPERS: _("Papers")}
    return _("Daily AI Insights — %(date)s (%(edition)s)") % {
        "date": digest.date.isoformat(),
        "edition": editions.get(digest.edition, digest.edition),
    }


class ArchiveRssFeed(Feed):
    def title(self) -> str:
        return _("Daily AI Insights archive")

    def description(self) -> str:
        return _("Every published Daily AI Insights digest, newest first.")

    def link(self) -> str:
        return reverse("newsletter:archive")

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
        return item.get_absolute_url()

    def item_guid(self, item: Digest) -> str:
        return f"daily-ai-insights:{item.edition}:{item.date.isoformat()}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Digest):
        return item.sent_at or item.approved_at or item.created_at

    def item_updateddate(self, item: Digest):
        return item.updated_at

    def item_description(self, item: Digest) -> str:
        # Readers render RSS <description> and Atom <summary type="html"> as HTML
        # once the XML is decoded: category names and topics are escaped here as well
        # as by the feed generator, so they reach the reader as text.
        lines = []
        for section in item.sections.all():
            try:
                topics = sections.read(section).topics
            except sections.SectionContentError:
                topics = ()
            line = f"{section.category.emoji} {section.category.name}"
            if topics:
                line += ": " + "; ".join(topics)
            lines.append(escape(line))
        return "<br>\n".join(lines)


class ArchiveAtomFeed(ArchiveRssFeed):
    feed_type = Atom1Feed

    def subtitle(self) -> str:
        return self.description()
