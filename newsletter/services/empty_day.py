"""Why a built digest has nothing to tell. An empty digest is never approved, sent or
published (``Digest.is_empty``); the desk shows this sentence instead, so an editor
sees whether to fix the sources, wait for the feeds or accept a quiet day."""

from django.utils.translation import gettext_noop

from ingestion.models import Source
from newsletter.models import Digest, DigestSource

# Stored in English (the log reads it too); the desk translates on display.
NO_SOURCES = gettext_noop("no active sources: activate some in Sources")
NOT_MODIFIED = gettext_noop(
    "every active source answered 'not modified': nothing new was published"
)
FETCH_FAILED = gettext_noop("every active source failed at its last fetch")
NOTHING_NEW = gettext_noop("no new articles in the window")
ALREADY_SENT = gettext_noop("every article in the window was already sent")
NO_WEEK = gettext_noop("no News digest was sent in the week")
FILTERED = gettext_noop(
    "every article in the window was filtered out (not AI news, or Others)"
)


def why_empty(digest: Digest, in_window: int) -> str:
    """The first cause that explains the empty digest. ``in_window``: what the build
    read (articles, or papers, or the week's stories), less those an earlier
    digest already sent."""
    if digest.edition == Digest.Edition.WEEKLY:
        return FILTERED if in_window else NO_WEEK
    kind = (
        Source.Kind.PAPER
        if digest.edition == Digest.Edition.PAPERS
        else Source.Kind.NEWS
    )
    active = Source.objects.filter(kind=kind, is_active=True)
    if not active.exists():
        return NO_SOURCES
    if in_window:
        return FILTERED
    if _sent_before(digest, kind):
        return ALREADY_SENT
    statuses = set(active.values_list("last_status", flat=True))
    if statuses == {Source.FetchStatus.NOT_MODIFIED}:
        return NOT_MODIFIED
    if statuses == {Source.FetchStatus.ERROR}:
        return FETCH_FAILED
    return NOTHING_NEW


def _sent_before(digest: Digest, kind: str) -> bool:
    """Whether articles first seen in the window went out in an earlier digest."""
    seen = {"article__source__kind": kind}
    if digest.window_start is not None:
        seen["article__first_seen_at__gt"] = digest.window_start
    if digest.window_end is not None:
        seen["article__first_seen_at__lte"] = digest.window_end
    return (
        DigestSource.objects.filter(
            section__digest__status__in=Digest.PUBLISHED_STATUSES, **seen
        )
        .exclude(section__digest=digest)
        .exists()
    )
