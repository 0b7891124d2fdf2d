"""Every write a job or an editor can trigger on digests.

The daily flow is: ingest → classify → summarize → chart → review → send → publish.
Each stage is a plain function; Celery tasks and commands call these.
"""

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from ingestion.defaults import DEFAULT_SOURCES
from ingestion.models import Article, Source
from newsletter import chart, classify, llm, papers, summarize
from newsletter.defaults import DEFAULT_CATEGORIES, PAPERS_CATEGORIES
from newsletter.models import Category, Digest, DigestSection, DigestSource
from newsletter.sending import ledger

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

# A digest in these states is final: rebuilding it would change what people received.
FROZEN_STATUSES = {Digest.Status.SENDING, Digest.Status.SENT}


@transaction.atomic
def load_defaults(*, activate_sources: bool = False) -> dict[str, int]:
    """Create missing default categories and sources; never overwrite an editor's edits."""
    created = {"categories": 0, "sources": 0}
    for position, spec in enumerate(DEFAULT_CATEGORIES):
        _, was_created = Category.objects.get_or_create(
            slug=spec["slug"], defaults={**spec, "position": position * 10}
        )
        created["categories"] += was_created
    # Papers come after News wherever both are listed (sign-up, one email).
    for position, spec in enumerate(PAPERS_CATEGORIES, start=100):
        _, was_created = Category.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                **spec,
                "edition": Category.Edition.PAPERS,
                "position": position * 10,
            },
        )
        created["categories"] += was_created
    for spec in DEFAULT_SOURCES:
        source, was_created = Source.objects.get_or_create(
            url=spec["url"], defaults={**spec, "is_active": activate_sources}
        )
        created["sources"] += was_created
        if activate_sources and not source.is_active:
            source.is_active = True
            source.save(update_fields=["is_active"])
    _schedule_jobs()
    return created


def _scheduled_jobs() -> list[tuple[str, str, str, str]]:
    """(name, task, minute, hour) of the beat entries, in TIME_ZONE."""
    return [
        (
            "Daily digest",
            "newsletter.jobs.run_daily",
            "0",
            str(settings.DIGEST_SCHEDULE_HOUR),
        ),
        (
            "Send approved digests",
            "newsletter.jobs.release_reviewed_digests",
            "*/10",
            "*",
        ),
        ("Worker heartbeat", "newsletter.jobs.heartbeat", "*", "*"),
        (
            "Return stuck deliveries",
            "newsletter.tasks.sweep_stale_deliveries",
            "*/5",
            "*",
        ),
    ]


def _schedule_jobs() -> None:
    """Created once, so the times editors set in the admin are never overwritten."""
    for name, task, minute, hour in _scheduled_jobs():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=schedule)


def _noop(message: str) -> None:
    pass


def digest_articles(digest: Digest) -> list[Article]:
    """The window of a digest: articles first seen since the previous digest.

    On the very first digest there is no previous window, so each source contributes
    only its DIGEST_FIRST_RUN_PER_SOURCE most recent articles (a new install must not
    summarise a feed's whole history).
    """
    originals = (
        Article.objects.originals()
        .filter(source__kind=Source.Kind.NEWS)  # papers have an edition of their own
        .select_related("source", "category")
    )
    if digest.window_start is not None:
        window = originals.filter(
            first_seen_at__gt=digest.window_start, first_seen_at__lte=digest.window_end
        )
        return list(window.order_by("published_at", "id"))
    chosen: list[Article] = []
    per_source = settings.DIGEST_FIRST_RUN_PER_SOURCE
    source_ids = (
        originals.filter(first_seen_at__lte=digest.window_end)
        .order_by()  # the default ordering would make DISTINCT per (source, date)
        .values_list("source_id", flat=True)
        .distinct()
    )
    for source_id in source_ids:
        recent = originals.filter(
            source_id=source_id, first_seen_at__lte=digest.window_end
        )
        chosen.extend(recent.order_by("-published_at", "-id")[:per_source])
    chosen.sort(key=lambda a: (a.published_at or a.first_seen_at, a.id))
    return chosen


def _open_digest(day: dt.date, *, edition: str, language: str) -> Digest:
    with transaction.atomic():
        digest, _ = Digest.objects.select_for_update().get_or_create(
            date=day, edition=edition, defaults={"language": language}
        )
        if digest.status in FROZEN_STATUSES:
            return digest
        previous = (
            Digest.objects.filter(
                edition=edition, date__lt=day, window_end__isnull=False
            )
            .order_by("-date")
            .first()
        )
        digest.window_start = previous.window_end if previous else None
        digest.window_end = timezone.now()
        digest.language = language
        digest.status = Digest.Status.DRAFT
        digest.save()
    return digest


def build_digest(
    day: dt.date,
    *,
    edition: str = Digest.Edition.NEWS,
    language: str | None = None,
    progress: Progress = _noop,
) -> Digest:
    """Classify the window's articles, write one section per category, draw the chart.

    Idempotent per (day, edition): a re-run updates the same Digest in place, keeps
    sections an editor edited, and never touches a digest that is sending or sent.
    A build that raises leaves the digest ``failed`` with the reason in its notes; the
    next run of the day opens it again.
    """
    digest = _open_digest(
        day, edition=edition, language=language or settings.DIGEST_LANGUAGE
    )
    if digest.status in FROZEN_STATUSES:
        progress(f"digest {digest} is already {digest.status}: left as it is")
        return digest
    fill = _fill_papers_digest if edition == Digest.Edition.PAPERS else _fill_digest
    try:
        fill(digest, progress)
    except Exception as exc:
        Digest.objects.filter(id=digest.id).update(
            status=Digest.Status.FAILED, notes=f"Build failed: {exc!r}"[:2000]
        )
        raise
    progress(
        f"digest {digest}: {digest.sections.count()} sections, status {digest.status}"
    )
    return digest


def _fill_digest(digest: Digest, progress: Progress) -> None:
    articles = digest_articles(digest)
    progress(f"{len(articles)} articles in the window")
    classify_fallbacks = _classify_unlabelled(articles, digest, progress)
    categories = list(
        Category.objects.filter(is_active=True, edition=Category.Edition.NEWS)
    )
    by_category = _group_by_category(articles, categories)
    budget = llm.TokenBudget(settings.LLM_TOKEN_BUDGET)
    generated = _write_sections(digest, categories, by_category, budget, progress)
    digest.category_counts = {
        category.slug: len(by_category[category.id])
        for category in categories
        if by_category[category.id]
    }
    digest.chart_png = chart.draw_digest_chart(digest)
    _record_usage(digest)
    digest.generated_by = _generation_label(generated)
    digest.notes = _digest_notes(digest, budget, classify_fallbacks)
    if settings.DIGEST_AUTO_APPROVE:
        digest.status = Digest.Status.APPROVED
        digest.approved_at = timezone.now()
    else:
        digest.status = Digest.Status.READY
    digest.save()


def has_paper_sources() -> bool:
    """Whether there is a Papers edition to build: an active paper source."""
    return Source.objects.filter(kind=Source.Kind.PAPER, is_active=True).exists()


def _fill_papers_digest(digest: Digest, progress: Progress) -> None:
    """The Papers edition: the window's papers by Papers category, each section the
    best-ranked PAPERS_PER_SECTION of its category (``newsletter.papers``)."""
    found = papers.window_papers(digest)
    progress(f"{len(found)} papers in the window")
    unlabelled = [a for a in found if not a.classified_by]
    fallbacks = []
    if unlabelled:
        progress(f"classifying {len(unlabelled)} papers")
        fallbacks = classify.classify_articles(
            unlabelled, digest=digest, edition=Category.Edition.PAPERS
        ).fallbacks
    active = papers.categories()
    by_category = papers.group_by_category(found, active)
    budget = llm.TokenBudget(settings.LLM_TOKEN_BUDGET)
    kept, generated = [], set()
    for category in active:
        members = by_category[category.id]
        if not category.in_digest or not members:
            continue
        section = DigestSection.objects.filter(digest=digest, category=category).first()
        if section is not None and section.edited_by_editor:
            kept.append(section.id)
            generated.add(DigestSection.GeneratedBy.EDITOR)
            continue
        shown = papers.ranked(members, category, active)[: settings.PAPERS_PER_SECTION]
        progress(f"writing {category.name} ({len(shown)} of {len(members)} papers)")
        draft = papers.draft_section(
            category,
            shown,
            total=len(members),
            language=digest.language,
            digest=digest,
            budget=budget,
        )
        kept.append(_save_section(digest, category, shown, draft).id)
        generated.add(draft.generated_by)
    DigestSection.objects.filter(digest=digest).exclude(id__in=kept).delete()
    digest.category_counts = {
        c.slug: len(by_category[c.id]) for c in active if by_category[c.id]
    }
    digest.chart_png = chart.draw_digest_chart(digest)
    _record_usage(digest)
    digest.generated_by = _generation_label(generated)
    digest.notes = _digest_notes(digest, budget, fallbacks)
    if settings.DIGEST_AUTO_APPROVE:
        digest.status = Digest.Status.APPROVED
        digest.approved_at = timezone.now()
    else:
        digest.status = Digest.Status.READY
    digest.save()


def _classify_unlabelled(
    articles: list[Article], digest: Digest, progress: Progress
) -> list[str]:
    """Label what has no label yet; returns why classification fell back, if it did."""
    unclassified = [a for a in articles if not a.classified_by]
    if not unclassified:
        return []
    progress(f"classifying {len(unclassified)} articles")
    return classify.classify_articles(unclassified, digest=digest).fallbacks


def _group_by_category(
    articles: list[Article], categories: list[Category]
) -> dict[int, list[Article]]:
    """Articles per active category; a label outside the active list goes to Others."""
    # One query for every label, including those editors changed since ingestion.
    labels = dict(
        Article.objects.filter(id__in=[a.id for a in articles]).values_list(
            "id", "category_id"
        )
    )
    by_category: dict[int, list[Article]] = {c.id: [] for c in categories}
    others = next((c for c in categories if c.slug == classify.CATCH_ALL_SLUG), None)
    for article in articles:
        article.category_id = labels.get(article.id)
        category_id = (
            article.category_id if article.category_id in by_category else None
        )
        if category_id is None and others is not None:
            category_id = others.id
        if category_id is not None:
            by_category[category_id].append(article)
    return by_category


def _write_sections(
    digest: Digest,
    categories: list[Category],
    by_category: dict[int, list[Article]],
    budget: "llm.TokenBudget",
    progress: Progress,
) -> set[str]:
    """One section per in-digest category with articles; an editor's section is kept.
    Sections of categories with nothing today are removed. Returns who wrote them."""
    kept_section_ids = []
    generated = set()
    for category in categories:
        members = by_category[category.id]
        if not category.in_digest or not members:
            continue
        section = DigestSection.objects.filter(digest=digest, category=category).first()
        if section is not None and section.edited_by_editor:
            kept_section_ids.append(section.id)
            generated.add(DigestSection.GeneratedBy.EDITOR)
            continue
        progress(f"summarizing {category.name} ({len(members)} articles)")
        draft = summarize.summarize_category(
            category, members, language=digest.language, digest=digest, budget=budget
        )
        section = _save_section(digest, category, members, draft)
        kept_section_ids.append(section.id)
        generated.add(draft.generated_by)
    DigestSection.objects.filter(digest=digest).exclude(
        id__in=kept_section_ids
    ).delete()
    return generated


def _record_usage(digest: Digest) -> None:
    usage = llm.digest_usage(digest)
    digest.prompt_tokens = usage["prompt_tokens"]
    digest.completion_tokens = usage["completion_tokens"]
    digest.llm_calls = usage["calls"]
    digest.cost_estimate = usage["cost"]


def _generation_label(generated: set[str]) -> str:
    machine = generated - {DigestSection.GeneratedBy.EDITOR}
    if not machine:
        return "editor" if generated else ""
    return machine.pop() if len(machine) == 1 else "mixed"


def _digest_notes(
    digest: Digest, budget: "llm.TokenBudget", classify_fallbacks: list[str]
) -> str:
    notes = [
        f"Classification fell back to rules: {reason}" for reason in classify_fallbacks
    ]
    offline = digest.sections.filter(
        generated_by=DigestSection.GeneratedBy.OFFLINE
    ).count()
    if offline and not settings.LLM_ENABLED:
        notes.append(
            "No LLM configured: every section was written by the offline extractive summarizer."
        )
    elif offline:
        notes.append(f"{offline} section(s) fell back to the offline summarizer.")
    if budget.exhausted:
        notes.append(
            f"Token budget of {budget.limit} reached: remaining sections are offline."
        )
    flagged = digest.sections.filter(needs_review=True).count()
    if flagged:
        notes.append(f"{flagged} section(s) flagged for review.")
    return "\n".join(notes)


@transaction.atomic
def _save_section(
    digest: Digest,
    category: Category,
    members: list[Article],
    draft: "summarize.SectionDraft",
) -> DigestSection:
    section, _ = DigestSection.objects.update_or_create(
        digest=digest,
        category=category,
        defaults={
            "position": category.position,
            "content": draft.content,
            "generated_by": draft.generated_by,
            "needs_review": draft.needs_review,
            "review_notes": draft.review_notes,
            "removed_citations": draft.removed_citations,
        },
    )
    # Sources are numbered from the database, in the order the summarizer saw them.
    section.sources.all().delete()
    DigestSource.objects.bulk_create(
        DigestSource(section=section, article=article, number=number)
        for number, article in enumerate(members, start=1)
    )
    return section


@transaction.atomic
def approve_digest(digest_id: int) -> bool:
    """Editor approval. True when the digest moved to approved."""
    return bool(
        Digest.objects.filter(
            id=digest_id, status__in=[Digest.Status.READY, Digest.Status.DRAFT]
        ).update(status=Digest.Status.APPROVED, approved_at=timezone.now())
    )


def regenerate_section(section_id: int) -> DigestSection:
    """Write one section again from its own sources, dropping an editor's edits."""
    section = DigestSection.objects.select_related("digest", "category").get(
        id=section_id
    )
    if section.digest.status in FROZEN_STATUSES:
        raise ValueError(f"{section.digest} is already {section.digest.status}")
    members = [
        s.article for s in section.sources.select_related("article").order_by("number")
    ]
    if section.digest.edition == Digest.Edition.PAPERS:
        draft = papers.draft_section(
            section.category,
            members,
            total=max(len(members), (section.content or {}).get("total", 0)),
            language=section.digest.language,
            digest=section.digest,
            budget=llm.TokenBudget(settings.LLM_TOKEN_BUDGET),
        )
    else:
        draft = summarize.summarize_category(
            section.category,
            members,
            language=section.digest.language,
            digest=section.digest,
            budget=llm.TokenBudget(settings.LLM_TOKEN_BUDGET),
        )
    section = _save_section(section.digest, section.category, members, draft)
    DigestSection.objects.filter(id=section.id).update(edited_by_editor=False)
    section.refresh_from_db()
    return section


def send_digest(
    day: dt.date, *, edition: str = Digest.Edition.NEWS
) -> "ledger.SendReport | None":
    """Send an approved digest. None when there is nothing approved to send for that day."""
    digest = Digest.objects.filter(date=day, edition=edition).first()
    if digest is None or digest.status not in {
        Digest.Status.APPROVED,
        Digest.Status.SENDING,
        Digest.Status.SENT,
    }:
        return None
    return ledger.send_digest(digest.id)


def release_reviewed_digests() -> int:
    """Send approved digests that have not gone out; with a review window set, approve
    ready digests whose window has passed first. Returns how many digests were sent."""
    window = settings.DIGEST_REVIEW_WINDOW_MINUTES
    if window > 0:
        expired = Digest.objects.filter(
            status=Digest.Status.READY,
            updated_at__lte=timezone.now() - dt.timedelta(minutes=window),
        )
        for digest in expired:
            approve_digest(digest.id)
    # Only recent digests: an approved digest from last month is news nobody wants now.
    recent = timezone.localdate() - dt.timedelta(days=1)
    released = 0
    for digest in Digest.objects.filter(
        status=Digest.Status.APPROVED, date__gte=recent
    ):
        ledger.send_digest(digest.id)
        released += 1
    return released
