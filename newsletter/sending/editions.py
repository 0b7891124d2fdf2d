"""Which digests one email holds: a reader gets at most one email a day.

A day has a News digest and a Papers digest, each with its own Delivery rows. Who
gets what is decided per subscriber from the categories they receive, never from
the order the two sends run in:

- a reader who receives a News section today gets the **News** email, and the day's
  Papers sections they receive ride in it, after the News sections, under their own
  heading and chart, provided the Papers digest is approved (or sending, or sent)
  when the News email is rendered;
- a reader who receives no News section but a Papers one gets the **Papers** email
  (a delivery on the Papers digest); on the Papers digest, everyone who receives a
  News section of the day is a skipped row (``CARRIED_BY_NEWS``).

So nobody can get two emails a day. The cost: the daily run builds both editions
before it sends either; a Papers digest approved only after the day's News email
went out reaches those News readers on the web, not by email.
"""

from __future__ import annotations

from newsletter.models import Digest, DigestSection

CARRIED_BY_NEWS = "the day's Papers go out inside the News email"
COMPANION_STATUSES = Digest.RELEASED_STATUSES


def section_category_ids(digest: Digest | None) -> frozenset[int]:
    if digest is None:
        return frozenset()
    return frozenset(
        DigestSection.objects.filter(
            digest=digest, category__in_digest=True
        ).values_list("category_id", flat=True)
    )


def companion_papers(digest: Digest) -> Digest | None:
    """The Papers digest a News email of this digest carries, if it may go out."""
    if digest.edition != Digest.Edition.NEWS:
        return None
    return (
        Digest.objects.filter(
            date=digest.date,
            edition=Digest.Edition.PAPERS,
            status__in=COMPANION_STATUSES,
        )
        .defer("chart_png")
        .first()
    )


def day_news(digest: Digest) -> Digest | None:
    """For a Papers digest, the same day's News digest (whatever its state)."""
    if digest.edition != Digest.Edition.PAPERS:
        return None
    return Digest.objects.filter(date=digest.date, edition=Digest.Edition.NEWS).first()


def carried_elsewhere_ids(digest: Digest) -> frozenset[int]:
    """Categories whose readers get this digest inside another email: for a Papers
    digest, the News sections of its day. Empty for a News digest."""
    return section_category_ids(day_news(digest))
