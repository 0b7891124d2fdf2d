"""Storing what a paper source lists: one Article + Paper per arXiv id.

The abstract is the paper's text (no page is fetched, no PDF downloaded) and the
abstract page is its URL, so a paper listed by several category feeds or again as
a new version finds its row and updates it. Whether it is news today is
``Paper.announced_at``: set the first time a ``new`` or ``cross`` listing names it,
and by a replacement only when PAPERS_INCLUDE_REPLACEMENTS is on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ingestion import dedup
from ingestion.arxiv import ListedPaper
from ingestion.models import Article, Paper, Source


def store_papers(
    source: Source, papers: list[ListedPaper]
) -> tuple[list[Article], int]:
    """(articles that are news now, how many listed papers were stored already)."""
    announced: list[Article] = []
    seen = 0
    stored = {
        p.arxiv_id: p
        for p in Paper.objects.select_related("article").filter(
            arxiv_id__in={listed.arxiv_id for listed in papers}
        )
    }
    now = timezone.now()
    for listed in papers:
        paper = stored.get(listed.arxiv_id)
        if paper is None:
            paper = _create(source, listed, now)
            if paper is None:
                seen += 1
                continue
            stored[listed.arxiv_id] = paper
            if paper.announced_at is not None:
                announced.append(paper.article)
            continue
        seen += 1
        if _update(paper, listed, now):
            announced.append(paper.article)
    return announced, seen


def _is_news(listed: ListedPaper) -> bool:
    return not listed.is_replacement or settings.PAPERS_INCLUDE_REPLACEMENTS


def _create(source: Source, listed: ListedPaper, now) -> Paper | None:
    text = listed.abstract[: settings.INGEST_MAX_TEXT_CHARS]
    article = Article(
        source=source,
        url=listed.abstract_url,
        feed_url=listed.abstract_url,
        guid=f"oai:arXiv.org:{listed.arxiv_id}",
        title=listed.title or listed.abstract_url,
        author=", ".join(listed.authors)[:500],
        published_at=listed.published_at,
        first_seen_at=now,
        feed_summary=text,
        text=text,
        language="en",
        content_hash=dedup.content_hash(text),
        extraction_status=Article.Extraction.FEED,
    )
    try:
        # Another worker (one task per source) may store the same paper meanwhile.
        with transaction.atomic():
            article.save()
            return Paper.objects.create(
                article=article,
                arxiv_id=listed.arxiv_id,
                version=listed.version,
                announce_type=listed.announce_type,
                authors=list(listed.authors),
                arxiv_categories=list(listed.categories),
                abstract_url=listed.abstract_url,
                pdf_url=listed.pdf_url,
                announced_at=now if _is_news(listed) else None,
            )
    except IntegrityError:
        return None


def _update(paper: Paper, listed: ListedPaper, now) -> bool:
    """Keep the newest version's words; True when this listing makes it news again."""
    again = (
        listed.is_replacement
        and settings.PAPERS_INCLUDE_REPLACEMENTS
        and listed.version > paper.version
    )
    first_time = paper.announced_at is None and _is_news(listed)
    if listed.version > paper.version:
        article = paper.article
        article.title = listed.title or article.title
        article.text = article.feed_summary = listed.abstract[
            : settings.INGEST_MAX_TEXT_CHARS
        ]
        article.content_hash = dedup.content_hash(article.text)
        article.save(update_fields=["title", "text", "feed_summary", "content_hash"])
        paper.version = listed.version
        paper.announce_type = listed.announce_type
        paper.authors = list(listed.authors) or paper.authors
        paper.arxiv_categories = list(listed.categories) or paper.arxiv_categories
    if again or first_time:
        paper.announced_at = now
    paper.save()
    return again or first_time
