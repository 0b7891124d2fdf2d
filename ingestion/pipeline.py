"""One ingest run over a set of sources: fetch, parse, upsert, fetch pages, dedup.

Network I/O and parsing run in worker threads (``HostLimitedPool``); every database
write happens in the calling thread, which keeps SQLite happy and each source's writes
in one transaction. A failure is recorded on its Source or Article and the run goes on.
Idempotent: entries already stored (same guid in the source, or same URL) are counted
as seen and left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from ingestion import aggregators, arxiv, dedup, fetch, papers
from ingestion.concurrency import HostLimitedPool, host_of
from ingestion.extract import (
    ExtractedArticle,
    detect_language,
    extract_article,
    find_canonical_url,
)
from ingestion.feeds import ParsedFeed, html_to_text, parse_feed
from ingestion.models import Article, Source

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
PAGE_WRITE_BATCH = 25


@dataclass
class IngestReport:
    sources_ok: int = 0
    sources_not_modified: int = 0
    sources_failed: int = 0
    articles_new: int = 0
    articles_seen: int = 0
    duplicates: int = 0
    pages_failed: int = 0
    entries_skipped: int = 0  # entries without a usable link
    errors: list[tuple[str, str]] = field(default_factory=list)
    new_article_ids: list[int] = field(default_factory=list)

    def merge(self, other: IngestReport) -> None:
        for name, value in asdict(other).items():
            if name in {"errors", "new_article_ids"}:
                getattr(self, name).extend(
                    tuple(v) if name == "errors" else v for v in value
                )
            else:
                setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> IngestReport:
        report = cls(**{k: v for k, v in data.items() if k not in {"errors"}})
        report.errors = [tuple(e) for e in data.get("errors", [])]
        return report

    def headline(self) -> str:
        """The report's counts on one line, in the active language (the admin's
        *fetch now* shows it to the editor)."""
        return gettext(
            "sources: %(ok)s ok, %(not_modified)s not modified, %(failed)s failed · "
            "articles: %(new)s new, %(seen)s already stored, %(duplicates)s "
            "duplicates · pages failed: %(pages_failed)s"
        ) % {
            "ok": self.sources_ok,
            "not_modified": self.sources_not_modified,
            "failed": self.sources_failed,
            "new": self.articles_new,
            "seen": self.articles_seen,
            "duplicates": self.duplicates,
            "pages_failed": self.pages_failed,
        }

    def __str__(self) -> str:
        # Logs and the commands' output stay in English, whatever the site's language.
        with translation.override("en"):
            line = self.headline()
        return "\n".join(
            [line] + [f"  {name}: {reason}" for name, reason in self.errors]
        )


@dataclass
class _FeedOutcome:
    source_id: int
    response: fetch.FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: str = ""


@dataclass
class _PageOutcome:
    article_id: int
    final_url: str = ""
    canonical_url: str = ""
    extracted: ExtractedArticle | None = None
    error: str = ""


def ingest_sources(
    source_ids: list[int], *, progress: Progress | None = None
) -> IngestReport:
    say = progress or (lambda message: None)
    report = IngestReport()
    sources = {s.id: s for s in Source.objects.filter(id__in=source_ids)}
    if not sources:
        return report
    with (
        fetch.make_client() as client,
        HostLimitedPool(
            workers=settings.INGEST_WORKERS, per_host=settings.INGEST_PER_HOST
        ) as pool,
    ):
        for source in sources.values():
            pool.submit(host_of(source.url), _feed_job(client, source))
        pages_done = 0
        page_batch: list[_PageOutcome] = []
        for outcome in pool.results():
            if isinstance(outcome, _FeedOutcome):
                source = sources[outcome.source_id]
                try:
                    new_articles = _apply_feed(source, outcome, report)
                except Exception as exc:  # a database surprise loses this source only
                    logger.exception("storing %s failed", source.name)
                    _record_failure(source, f"could not store entries: {exc!r}", report)
                    new_articles = []
                say(_feed_summary(source, outcome, len(new_articles)))
                if source.kind == Source.Kind.PAPER:
                    continue  # a paper's text is its abstract: no page to fetch
                for article in new_articles:
                    if article.extraction_status == Article.Extraction.PENDING:
                        pool.submit(host_of(article.url), _page_job(client, article))
            else:
                page_batch.append(outcome)
                pages_done += 1
                if len(page_batch) >= PAGE_WRITE_BATCH:
                    _apply_pages(page_batch, report)
                    page_batch = []
                    say(f"{pages_done} of {len(report.new_article_ids)} pages read")
        _apply_pages(page_batch, report)
    _mark_duplicates(report.new_article_ids, report)
    say(str(report).split("\n", 1)[0])
    return report


def _apply_pages(outcomes: list[_PageOutcome], report: IngestReport) -> None:
    # One commit per batch: a commit per page costs more than extracting it on SQLite.
    with transaction.atomic():
        for outcome in outcomes:
            try:
                with transaction.atomic():
                    _apply_page(outcome, report)
            except Exception:  # one article's surprise must not roll back the batch
                logger.exception(
                    "storing the page of article %s failed", outcome.article_id
                )
                report.pages_failed += 1


@contextmanager
def _failure_recorded(
    outcome: _FeedOutcome | _PageOutcome, doing: str
) -> Iterator[None]:
    """Whatever goes wrong in a worker thread becomes the outcome's readable error:
    one bad feed or page never takes the pool, or the run, down with it."""
    try:
        yield
    except fetch.FetchError as exc:
        # The details (addresses, resolver and socket errors) stay in the server log.
        logger.warning("%s failed: %s", doing, exc)
        outcome.error = exc.shown
    except Exception:
        logger.exception("%s failed unexpectedly", doing)
        outcome.error = "unexpected error (details in the server log)"


def _feed_job(client, source: Source) -> Callable[[], _FeedOutcome]:
    source_id, url, etag, last_modified = (
        source.id,
        source.url,
        source.etag,
        source.last_modified,
    )
    # Paper sources are arXiv listings: the items are the papers, abstracts included.
    parse = arxiv.parse_listing if source.kind == Source.Kind.PAPER else parse_feed

    def job() -> _FeedOutcome:
        outcome = _FeedOutcome(source_id=source_id)
        with _failure_recorded(outcome, f"fetching {url}"):
            outcome.response = fetch.fetch(
                url,
                client=client,
                etag=etag,
                last_modified=last_modified,
                accept=fetch.FEED_ACCEPT,
            )
            if not outcome.response.not_modified:
                outcome.parsed = parse(
                    outcome.response.content,
                    url=outcome.response.url,
                    headers=outcome.response.headers,
                )
        return outcome

    return job


def _page_job(client, article: Article) -> Callable[[], _PageOutcome]:
    article_id, url, find_date = article.id, article.url, article.published_at is None

    def job() -> _PageOutcome:
        outcome = _PageOutcome(article_id=article_id)
        with _failure_recorded(outcome, f"reading page {url}"):
            response = fetch.fetch(url, client=client, accept=fetch.PAGE_ACCEPT)
            outcome.final_url = response.url
            content_type = (
                response.headers.get("content-type", "").split(";")[0].strip()
            )
            if (
                content_type
                and "html" not in content_type
                and "xml" not in content_type
            ):
                outcome.error = f"not an HTML page ({content_type})"
                return outcome
            outcome.extracted = extract_article(
                response.content, url=response.url, find_date=find_date
            )
            if outcome.extracted is None:
                outcome.canonical_url = find_canonical_url(
                    response.content, url=response.url
                )
                outcome.error = "no article text found on the page"
            else:
                outcome.canonical_url = outcome.extracted.canonical_url
        return outcome

    return job


def _apply_feed(
    source: Source, outcome: _FeedOutcome, report: IngestReport
) -> list[Article]:
    source.last_fetched_at = timezone.now()
    if outcome.error:
        _record_failure(source, outcome.error, report)
        return []
    response = outcome.response
    if response.not_modified:
        _record_success(source, Source.FetchStatus.NOT_MODIFIED, response)
        report.sources_not_modified += 1
        return []
    parsed = outcome.parsed
    if parsed.error:
        _record_failure(source, parsed.error, report)
        return []
    if isinstance(parsed, arxiv.Listing):
        return _apply_listing(source, parsed, response, report)
    linked = [entry for entry in parsed.entries if entry.url]
    skipped = len(parsed.entries) - len(linked)
    report.entries_skipped += skipped
    if parsed.entries and not linked:
        _record_failure(
            source,
            f"none of the feed's {len(parsed.entries)} entries links to an article",
            report,
        )
        return []
    if skipped:
        report.errors.append((source.name, f"skipped {skipped} entries without a link"))

    created: list[Article] = []
    with transaction.atomic():
        known = _KnownEntries.for_entries(source, linked)
        for entry in linked:
            article = _upsert_entry(source, entry, known)
            if article is None:
                report.articles_seen += 1
            else:
                created.append(article)
        _record_success(source, Source.FetchStatus.OK, response)
        if parsed.bozo_reason:
            # Kept as a note: the entries were usable, but the editor may want to know.
            source.last_error = f"malformed feed, entries kept: {parsed.bozo_reason}"[
                :2000
            ]
            source.save(update_fields=["last_error"])
    report.sources_ok += 1
    report.articles_new += len(created)
    report.new_article_ids.extend(a.id for a in created)
    return created


def _apply_listing(
    source: Source,
    listing: arxiv.Listing,
    response: fetch.FetchResult,
    report: IngestReport,
) -> list[Article]:
    with transaction.atomic():
        announced, seen = papers.store_papers(source, listing.papers)
        _record_success(source, Source.FetchStatus.OK, response)
    report.sources_ok += 1
    report.entries_skipped += listing.skipped
    report.articles_new += len(announced)
    report.articles_seen += seen
    report.new_article_ids.extend(a.id for a in announced)
    return announced


@dataclass
class _KnownEntries:
    """What is stored already for a feed's entries: two queries, not one per entry."""

    guids: set[str]
    urls: set[str]

    @classmethod
    def for_entries(cls, source: Source, entries) -> _KnownEntries:
        guids = {e.guid for e in entries if e.guid}
        urls = {dedup.canonicalize_url(e.url) for e in entries}
        stored = Article.objects.filter(Q(url__in=urls) | Q(feed_url__in=urls))
        return cls(
            guids=set(
                Article.objects.filter(source=source, guid__in=guids).values_list(
                    "guid", flat=True
                )
            ),
            urls={u for pair in stored.values_list("url", "feed_url") for u in pair},
        )

    def has(self, *, guid: str, url: str) -> bool:
        return (bool(guid) and guid in self.guids) or url in self.urls

    def add(self, *, guid: str, url: str) -> None:
        self.guids.add(guid)
        self.urls.add(url)


def _upsert_entry(source: Source, entry, known: _KnownEntries) -> Article | None:
    """The new Article for this entry, or None when it is already stored."""
    feed_url = dedup.canonicalize_url(entry.url)
    if known.has(guid=entry.guid, url=feed_url):
        return None
    known.add(guid=entry.guid, url=feed_url)
    text = html_to_text(entry.content)[: settings.INGEST_MAX_TEXT_CHARS]
    if source.is_aggregator:
        text = aggregators.without_discussion_links(text)
    # A discussion thread is readers' comments, not an article: nothing to quote.
    discussion = source.is_aggregator and aggregators.is_discussion_url(feed_url)
    article = Article(
        source=source,
        url=feed_url,
        feed_url=feed_url,
        guid=entry.guid,
        title=(
            aggregators.publisher_title(entry.title)
            if source.is_aggregator
            else entry.title
        )
        or feed_url,
        # An aggregator's item author is whoever submitted the link, not its writer.
        author="" if source.is_aggregator else entry.author,
        published_at=entry.published_at,
        first_seen_at=timezone.now(),
        feed_summary="" if discussion else entry.summary,
        text="" if discussion else text,
        language=detect_language(text or entry.title, hint=source.language),
        content_hash=dedup.content_hash("" if discussion else text),
        extraction_status=(
            Article.Extraction.FAILED if discussion else Article.Extraction.PENDING
        ),
        extraction_error="a discussion page, not an article" if discussion else "",
    )
    try:
        # Another worker (broker mode) may store the same URL at the same moment.
        with transaction.atomic():
            article.save()
    except IntegrityError:
        return None
    return article


def _apply_page(outcome: _PageOutcome, report: IngestReport) -> None:
    article = Article.objects.filter(id=outcome.article_id).first()
    if article is None:
        return
    if outcome.final_url or outcome.canonical_url:
        _prefer_canonical_url(article, outcome.canonical_url or outcome.final_url)
    extracted = outcome.extracted
    if aggregators.is_discussion_url(article.url):
        # The page named a discussion thread as itself: readers' comments, not news.
        extracted = None
        article.text = article.feed_summary = ""
        outcome.error = "a discussion page, not an article"
    if extracted is None:
        report.pages_failed += 1
        article.extraction_status = (
            Article.Extraction.FEED if article.text else Article.Extraction.FAILED
        )
        article.extraction_error = outcome.error[:1000]
        _save_with_url_fallback(article)
        return
    # A page served through an aggregator may carry its "Comments on …" link too.
    article.text = aggregators.without_discussion_links(extracted.text)
    article.site_name = extracted.site_name
    article.extraction_status = Article.Extraction.EXTRACTED
    article.extraction_error = ""
    article.language = extracted.language or article.language
    article.content_hash = dedup.content_hash(article.text)
    if not article.title or article.title == article.url:
        article.title = extracted.title[:1000] or article.title
    if not article.author and extracted.authors:
        article.author = ", ".join(extracted.authors)[:500]
    if article.published_at is None:
        article.published_at = extracted.published_at
    _save_with_url_fallback(article)


def _prefer_canonical_url(article: Article, url: str) -> None:
    canonical = dedup.canonicalize_url(url)
    if not canonical or canonical == article.url:
        return
    holder = Article.objects.filter(url=canonical).exclude(id=article.id).first()
    if holder is None:
        article.url = canonical
    else:
        # Another feed link already led to this page: the same article.
        article.duplicate_of_id = holder.duplicate_of_id or holder.id


def _save_with_url_fallback(article: Article) -> None:
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError:
        # A concurrent run stored the canonical URL first: keep the feed's link.
        article.url = article.feed_url
        article.save()


def _mark_duplicates(article_ids: list[int], report: IngestReport) -> None:
    """Later copies point at the first: same text, or mostly the same text."""
    if not article_ids:
        return
    new_ids = sorted(article_ids)
    since = timezone.now() - timedelta(days=settings.INGEST_DEDUP_WINDOW_DAYS)
    index = dedup.NearDuplicateIndex()
    index.add_many(
        Article.objects.originals()
        .filter(first_seen_at__gte=since, id__lt=new_ids[0])
        .exclude(text="")
        .values_list("id", "text")
        .iterator()
    )
    articles = Article.objects.filter(id__in=new_ids).only(
        "id", "text", "content_hash", "duplicate_of"
    )
    with transaction.atomic():
        for article in articles.order_by("id"):
            if article.duplicate_of_id is None:
                original = _same_text(article) or index.find_or_add(
                    article.id, article.text
                )
                if original is not None:
                    article.duplicate_of_id = original
                    article.save(update_fields=["duplicate_of"])
            if article.duplicate_of_id is not None:
                report.duplicates += 1


def _same_text(article: Article) -> int | None:
    if not article.content_hash or len(dedup.words(article.text)) < dedup.MIN_WORDS:
        return None
    return (
        Article.objects.originals()
        .filter(content_hash=article.content_hash, id__lt=article.id)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )


def _record_success(source: Source, status: str, response: fetch.FetchResult) -> None:
    source.last_status = status
    source.last_success_at = source.last_fetched_at
    source.last_error = ""
    source.consecutive_failures = 0
    if status == Source.FetchStatus.OK:
        source.etag = response.headers.get("etag", "")[:500]
        source.last_modified = response.headers.get("last-modified", "")[:100]
    source.save(
        update_fields=[
            "last_status",
            "last_success_at",
            "last_error",
            "consecutive_failures",
            "etag",
            "last_modified",
            "last_fetched_at",
        ]
    )


def _record_failure(source: Source, reason: str, report: IngestReport) -> None:
    source.last_status = Source.FetchStatus.ERROR
    source.last_error = reason[:2000]
    source.last_fetched_at = source.last_fetched_at or timezone.now()
    source.consecutive_failures += 1
    if (
        source.consecutive_failures >= settings.INGEST_PAUSE_AFTER_FAILURES
        and source.paused_at is None
    ):
        source.paused_at = timezone.now()
    source.save(
        update_fields=[
            "last_status",
            "last_error",
            "last_fetched_at",
            "consecutive_failures",
            "paused_at",
        ]
    )
    report.sources_failed += 1
    report.errors.append((source.name, reason))


def _feed_summary(source: Source, outcome: _FeedOutcome, new: int) -> str:
    if source.last_status == Source.FetchStatus.ERROR:
        return f"{source.name}: failed — {source.last_error}"
    if source.last_status == Source.FetchStatus.NOT_MODIFIED:
        return f"{source.name}: not modified"
    parsed = outcome.parsed
    total = 0
    if isinstance(parsed, arxiv.Listing):
        total = len(parsed.papers)
    elif parsed:
        total = len(parsed.entries)
    return f"{source.name}: {total} entries, {new} new"
