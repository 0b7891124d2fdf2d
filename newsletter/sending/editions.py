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

import datetime
from functools import lru_cache

from django.db import connection

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
    """The Papers digest a News email of this digest carries, if it may go out.

    Read for every chunk a News send claims: its SQL is compiled once per process."""
    if digest.edition != Digest.Edition.NEWS:
        return None
    sql, params = _companion_query(connection.vendor)
    day = connection.ops.adapt_datefield_value(digest.date)
    found = Digest.objects.raw(sql, [day if p is _PROBE else p for p in params])
    return next(iter(found), None)


# Stands for the day in the compiled query's parameters.
_PROBE = object()


@lru_cache(maxsize=4)
def _companion_query(vendor: str) -> tuple[str, list]:
    """The query's SQL for this database vendor, and its parameters with _PROBE
    where the day goes."""
    probe = datetime.date(1999, 12, 31)
    query = (
        Digest.objects.filter(
            date=probe,
            edition=Digest.Edition.PAPERS,
            status__in=COMPANION_STATUSES,
        )
        .defer("chart_png")
        .order_by("-date", "edition", "pk")[:1]
    ).query
    sql, params = query.sql_with_params()
    day = connection.ops.adapt_datefield_value(probe)
    if list(params).count(day) != 1:
        raise ValueError(
            f"the companion query's parameters are not as expected: {params}"
        )
    return sql, [_PROBE if p == day else p for p in params]


def day_news(digest: Digest) -> Digest | None:
    """For a Papers digest, the same day's News digest (whatever its state)."""
    if digest.edition != Digest.Edition.PAPERS:
        return None
    return Digest.objects.filter(date=digest.date, edition=Digest.Edition.NEWS).first()


def carried_elsewhere_ids(digest: Digest) -> frozenset[int]:
    """Categories whose readers get this digest inside another email: for a Papers
    digest, the News sections of its day. Empty for a News digest."""
    return section_category_ids(day_news(digest))
