"""A reader's own page of a digest: the public page with their 👍/👎 per story.

The email's "view in browser" link carries the reader's feedback token, signed and
expiring like the vote links (``reader_links``). The page is the digest page
everyone sees plus, beside each story's first source, its vote links and the
reader's current vote. It is the reader's alone: never stored by any cache
(``private, no-store``), no referrer sent onwards (its URL holds the token), not
indexed, the public page named as canonical. A link that names no subscribed
reader (forged, expired, unsubscribed, erased) goes to the public page, which
stays cached for everyone exactly as before.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lib.locale import LANGUAGE_QUERY, use_language
from newsletter.editorial import sections as section_content
from newsletter.editorial.sections import SectionContentError
from newsletter.models import DigestSection
from newsletter.services import feedback as feedback_services
from newsletter.web.reader_links import link_reader, reader_page_path, vote_path
from newsletter.web.views import (
    SectionView,
    digest_page,
    keep_language,
    published_digest,
)


@dataclass(frozen=True)
class StoryVote:
    """A story's 👍/👎 links for the reader and their vote on it (None: none)."""

    up: str
    down: str
    current: int | None


@require_GET
def digest_for_reader(request: HttpRequest, date: str, token: str) -> HttpResponse:
    digest = published_digest(request, date)
    subscriber, _ = link_reader(token)
    if subscriber is None:
        public = keep_language(request, digest.get_absolute_url())
        return _private(HttpResponseRedirect(public))
    if LANGUAGE_QUERY not in request.GET:
        use_language(request, subscriber.reading_language)
    # The day's other editions open as the reader's own pages too.
    ctx, rows = digest_page(request, digest, lambda d: reader_page_path(d, token))
    _add_votes(rows, token, subscriber.id)
    ctx["reader_page"] = True
    ctx["canonical_url"] = request.build_absolute_uri(digest.get_absolute_url())
    return _private(render(request, "newsletter/digest_detail.html", ctx))


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _add_votes(
    rows: list[tuple[DigestSection, SectionView]], token: str, subscriber_id: int
) -> None:
    """Each story's vote links beside its first source on the page, the reader's
    current vote marked (one query for the votes)."""
    leads = []
    for section, view in rows:
        try:
            # A translation keeps no stories of its own: the section's list counts.
            stories = section_content.read(section).stories
        except SectionContentError:
            continue  # the page shows its sources only
        shown = {source.number for source in view.sources}
        for ref in stories:
            cited = sorted(n for n in set(ref.citations) if n in shown)
            if cited:
                leads.append((view, cited[0], ref.id))
    current = feedback_services.current_votes(
        subscriber_id, [story_id for _, _, story_id in leads]
    )
    for view, number, story_id in leads:
        view.votes[number] = StoryVote(
            up=vote_path(token, story_id, "up"),
            down=vote_path(token, story_id, "down"),
            current=current.get(story_id),
        )
