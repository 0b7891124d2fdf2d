"""Fan-out benchmark: 100,000 subscribers, ~20 category sets, every message serialised.

    .venv/bin/python -m bench.fanout [--subscribers N] [--baseline N]
                                     [--english-share 0.3] [--preference-share 0.3]

Runs on a throwaway SQLite database in a temporary directory (or BENCH_DATABASE_URL,
e.g. an empty PostgreSQL database). The email backend builds and serialises every
message (``message().as_bytes()``) and sends nothing. Compared with a bare loop that
builds the same messages one by one with Django's EmailMultiAlternatives, timed
--repeat times before the fan-out and as many after (the machine's speed drifts).
``--english-share`` makes that share of readers English (spread over every
category set), so the fan-out renders each set in both languages.

Each section tells STORIES_PER_SECTION stories from PUBLISHERS publishers, so every
email carries its 👍/👎 links. ``--preference-share`` gives that share of readers
votes (two 👍 on one publisher's stories, two 👎 on another's), so they hold a
preference bucket and get their own order (``newsletter.sending.ordering``); the
report then counts the render groups the fan-out formed. A reader's own order costs
a render of its group's templates, not a serialising of its message
(``prototype.GroupTemplate.for_order``).

Targets, for every run (default, ``--english-share``, ``--preference-share``): the
fan-out at >= 5x the bare loop, peak RSS under 250 MB, every row sent. On a shared
machine compare the per-CPU-second line, which other processes disturb less.
"""

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from itertools import combinations

from newsletter.defaults import DEFAULT_CATEGORIES

SLUGS = [c["slug"] for c in DEFAULT_CATEGORIES if c.get("in_digest", True)]
STORIES_PER_SECTION = 3
PUBLISHERS = [f"publisher{n}.example" for n in range(6)]
SENTENCE = (
    "오픈AI와 구글이 새 모델을 공개하면서 추론 비용 경쟁이 "
    "치열해지고 국내 기업들도 반도체와 자체 모델 전략을 서둘러 내놓고 있다"
)


def _setup_django(workdir: str) -> None:
    os.environ["VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "")
    for name in ("CELERY_BROKER_URL", "ESP", "EMAIL_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db.backends.signals import connection_created

    connection_created.connect(_throwaway_durability)

    call_command("migrate", verbosity=0, interactive=False)
    settings.EMAIL_BACKEND = "bench.fanout.SerialisingBackend"


def _throwaway_durability(sender, connection, **kwargs) -> None:
    """This database is deleted afterwards: commits need not wait for the disk.

    On this kind of VM an fsync costs ~14 ms, which would time the disk (two commits
    per claimed chunk), not the fan-out. Production PostgreSQL keeps its defaults.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO off")


class SerialisingBackend:
    """Builds and serialises each message exactly as SMTP would, then drops it."""

    accepts_pre_encoded = True
    messages = 0
    octets = 0
    progress_every = 10_000
    started = 0.0

    def __init__(self, *args, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def open(self):
        return False

    def close(self):
        return None

    def send_messages(self, email_messages) -> int:
        cls = type(self)
        for message in email_messages:
            cls.octets += len(message.message().as_bytes())
            cls.messages += 1
            if cls.messages % cls.progress_every == 0:
                rate = cls.messages / (time.perf_counter() - cls.started)
                print(f"  … {cls.messages:>7,} messages  {rate:,.0f}/s", flush=True)
        return len(email_messages)


def _category_sets() -> list[list[str]]:
    """20 distinct choices: everything (empty), singles, and some pairs and triples."""
    sets: list[list[str]] = [[]]
    sets += [[slug] for slug in SLUGS]
    sets += [list(pair) for pair in list(combinations(SLUGS, 2))[:7]]
    sets += [list(triple) for triple in list(combinations(SLUGS, 3))[:4]]
    return sets[:20]


def _content(slug: str, story_ids: list[int]) -> dict:
    return {
        "topics": [f"{slug} 주제: {SENTENCE[:30]}"],
        "events": [
            {"text": f"{SENTENCE[:50]} [{n}]", "citations": [n]}
            for n in range(1, len(story_ids) + 1)
        ],
        "impact": {"economy": SENTENCE[:40], "science_technology": SENTENCE[:40]},
        "final_summary": [SENTENCE[:60]],
        "stories": [
            {"id": story_id, "citations": [n]}
            for n, story_id in enumerate(story_ids, start=1)
        ],
    }


def _english_content(slug: str, story_ids: list[int]) -> dict:
    english = "Labs released new models while inference prices kept falling"
    return {
        **_content(slug, story_ids),
        "topics": [f"{slug} topic: {english[:30]}"],
        "events": [
            {"text": f"{english} [{n}]", "citations": [n]}
            for n in range(1, len(story_ids) + 1)
        ],
        "impact": {"economy": english[:40], "science_technology": english[:40]},
        "final_summary": [english],
    }


def _is_english(n: int, share: float) -> bool:
    """Reader n reads English: spread so every category set has both languages."""
    return (n * 37) % 100 < round(share * 100)


def _build_data(
    subscribers: int, english_share: float = 0.0, preference_share: float = 0.0
):
    from newsletter import services
    from newsletter.models import Category

    services.load_defaults()
    categories = {c.slug: c for c in Category.objects.all()}
    digest = _build_digest(categories, english_share)
    sets = _category_sets()
    _build_subscribers(subscribers, english_share, categories, sets)
    if preference_share:
        _build_votes(digest, preference_share)
    return digest, sets


def _build_digest(categories: dict, english_share: float):
    """An approved digest with one section (two sources) per digest category."""
    import datetime as dt

    from django.utils import timezone

    from ingestion.models import Article, Source
    from newsletter import chart
    from newsletter.editorial import sections
    from newsletter.models import Digest, DigestSection, DigestSource, Story

    source = Source.objects.create(
        name="Bench", url="https://bench.example.com/feed.xml"
    )
    digest = Digest.objects.create(
        date=dt.date(2026, 8, 22),
        language="ko",
        status=Digest.Status.APPROVED,
        category_counts={slug: 3 for slug in SLUGS},
    )
    digest.chart_png = chart.draw_digest_chart(digest)
    digest.save()
    for index, slug in enumerate(SLUGS):
        articles, story_ids = [], []
        for number in range(1, STORIES_PER_SECTION + 1):
            publisher = PUBLISHERS[(index + number) % len(PUBLISHERS)]
            article = Article.objects.create(
                source=source,
                url=f"https://{publisher}/{slug}/{number}",
                title=f"{slug} 기사 {number}: {SENTENCE[:40]}",
                published_at=timezone.now(),
            )
            story = Story.objects.create(
                digest=digest,
                category=categories[slug],
                title=article.title,
                lead_article=article,
                score=1.0 + 0.1 * (STORIES_PER_SECTION - number),
                position=number,
            )
            story.articles.set([article])
            articles.append(article)
            story_ids.append(story.id)
        section = DigestSection.objects.create(
            digest=digest,
            category=categories[slug],
            position=categories[slug].position,
            content=_content(slug, story_ids),
        )
        for number, article in enumerate(articles, start=1):
            DigestSource.objects.create(section=section, article=article, number=number)
        if english_share:
            # English readers read the section's translation, as after a build.
            sections.save_translation(
                section, "en", _english_content(slug, story_ids), by=sections.TRANSLATED
            )
            section.save(update_fields=["translations"])
    return digest


def _build_votes(digest, share: float) -> None:
    """That share of readers (every n-th, so every category set has some) casts
    two 👍 on one publisher's stories and two 👎 on another's."""
    from newsletter.models import Feedback, Story
    from newsletter.sending import ordering
    from subscribers.models import Subscriber

    by_publisher: dict[str, list] = {p: [] for p in PUBLISHERS}
    for story in Story.objects.filter(digest=digest).prefetch_related("articles"):
        publisher = story.articles.all()[0].url.split("/")[2]
        by_publisher[publisher].append((story, ordering.story_features(story)))
    rng = random.Random(25)
    readers = Subscriber.objects.order_by("id").values_list("id", flat=True)
    rows = []
    for n, subscriber_id in enumerate(readers):
        if (n * 53) % 100 >= round(share * 100):
            continue
        liked, disliked = rng.sample(PUBLISHERS, 2)
        for publisher, vote in ((liked, 1), (disliked, -1)):
            for story, features in rng.sample(by_publisher[publisher], 2):
                rows.append(
                    Feedback(
                        subscriber_id=subscriber_id,
                        story=story,
                        vote=vote,
                        features=features,
                    )
                )
    Feedback.objects.bulk_create(rows, batch_size=5000)
    print(f"  … {len(rows):,} votes cast", flush=True)


def _build_subscribers(
    subscribers: int, english_share: float, categories: dict, sets: list[list[str]]
) -> None:
    """Active readers in batches, reader n choosing category set n mod len(sets)."""
    from subscribers.models import Subscriber

    through = Subscriber.categories.through
    batch = 5000
    for start in range(0, subscribers, batch):
        rows = Subscriber.objects.bulk_create(
            Subscriber(
                email=f"reader{n:06d}@example.com",
                status=Subscriber.Status.ACTIVE,
                language="en" if _is_english(n, english_share) else "ko",
            )
            for n in range(start, min(start + batch, subscribers))
        )
        through.objects.bulk_create(
            through(subscriber_id=row.id, category_id=categories[slug].id)
            for i, row in enumerate(rows, start=start)
            for slug in sets[i % len(sets)]
        )
        print(f"  … {start + len(rows):>7,} subscribers created", flush=True)


def _bare_loop(digest, sets, count: int) -> tuple[float, float, int]:
    """Messages/s for the same messages built one by one with EmailMultiAlternatives."""
    from newsletter.models import Category
    from newsletter.sending import recipient
    from newsletter.sending.rendering import render_digest_email
    from subscribers.links import subscriber_links
    from subscribers.models import Subscriber

    rendered = {
        (language, i): render_digest_email(
            digest,
            categories=list(Category.objects.filter(slug__in=chosen)) or None,
            language=language,
        )
        for i, chosen in enumerate(sets)
        for language in ("ko", "en")
    }
    readers = list(Subscriber.objects.order_by("id")[:count])
    html_bytes = len(rendered[("ko", 0)].html.encode())
    start, cpu = time.perf_counter(), time.process_time()
    for i, subscriber in enumerate(readers):
        message = recipient.build_digest_message(
            rendered[(subscriber.reading_language, i % len(sets))],
            to=subscriber.email,
            links=subscriber_links(subscriber),
            message_id=recipient.message_id(digest_date=digest.date, delivery_id=i),
        )
        message.message().as_bytes()
    return (
        len(readers) / (time.perf_counter() - start),
        len(readers) / (time.process_time() - cpu),
        html_bytes,
    )


def _stamp_only(digest, sets, count: int) -> float:
    """Messages/s of the group template alone (no database, no ledger)."""
    from newsletter.models import Category
    from newsletter.sending import prototype, recipient
    from newsletter.sending.rendering import render_digest_email
    from subscribers.links import subscriber_links
    from subscribers.models import Subscriber

    templates = {
        (language, i): prototype.GroupTemplate(
            render_digest_email(
                digest,
                categories=list(Category.objects.filter(slug__in=chosen)) or None,
                language=language,
            )
        )
        for i, chosen in enumerate(sets)
        for language in ("ko", "en")
    }
    readers = list(Subscriber.objects.order_by("id")[:count])
    start = time.perf_counter()
    for i, subscriber in enumerate(readers):
        message = templates[(subscriber.reading_language, i % len(sets))].message(
            to=subscriber.email,
            links=subscriber_links(subscriber),
            message_id=recipient.message_id(digest_date=digest.date, delivery_id=i),
        )
        message.message().as_bytes()
    return len(readers) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as workdir:
        _setup_django(workdir)
        from bench import fanout as this  # the class Django loads by dotted path

        backend = this.SerialisingBackend
        setup_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        print(f"setting up {args.subscribers:,} subscribers in {workdir}", flush=True)
        digest, sets = _build_data(
            args.subscribers, args.english_share, args.preference_share
        )
        baselines = _baselines(digest, sets, args)
        fanned = _fan_out(digest, backend, args.subscribers)
        # The machine's speed drifts over a run: the bare loop is timed again after
        # the fan-out, and the ratio uses the median of both sides' runs.
        _bare_again(baselines, digest, sets, args)

    fanout = backend.messages / fanned["elapsed"]
    rows = _result_rows(args, sets, baselines, fanned, backend, setup_mb)
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    targets_met = (
        fanout >= 5 * baselines["bare"]
        and fanned["peak_mb"] < 250
        and fanned["sent_rows"] == args.subscribers
    )
    print(
        f"\ntargets (>= 5x bare loop, peak RSS < 250 MB, every row sent): "
        f"{'met' if targets_met else 'NOT met'}"
    )
    return 0 if targets_met else 1


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument(
        "--baseline", type=int, default=1500, help="messages per baseline run"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--english-share",
        type=float,
        default=0.0,
        help="share of readers who chose English (0 to 1)",
    )
    parser.add_argument(
        "--preference-share",
        type=float,
        default=0.0,
        help="share of readers whose votes give them their own order (0 to 1)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.english_share <= 1:
        parser.error("--english-share must be between 0 and 1")
    if not 0 <= args.preference_share <= 1:
        parser.error("--preference-share must be between 0 and 1")
    return args


def _baselines(digest, sets, args: argparse.Namespace) -> dict:
    """Medians of the bare loop and of the group template alone, --repeat runs each."""
    baselines = {"bare_runs": [], "bare_cpu_runs": []}
    _bare_again(baselines, digest, sets, args)
    print(f"group template alone, {args.baseline:,} messages x {args.repeat}")
    stamp_runs = []
    for _ in range(args.repeat):
        stamp_runs.append(_stamp_only(digest, sets, args.baseline))
        print(f"  … {stamp_runs[-1]:,.0f}/s", flush=True)
    baselines["stamp"] = statistics.median(stamp_runs)
    return baselines


def _bare_again(baselines: dict, digest, sets, args: argparse.Namespace) -> None:
    """--repeat more runs of the bare loop; its medians over every run so far."""
    print(
        f"bare loop: EmailMultiAlternatives, {args.baseline:,} messages x {args.repeat}"
    )
    for _ in range(args.repeat):
        rate, cpu_rate, baselines["html_bytes"] = _bare_loop(
            digest, sets, args.baseline
        )
        baselines["bare_runs"].append(rate)
        baselines["bare_cpu_runs"].append(cpu_rate)
        print(f"  … {rate:,.0f}/s wall, {cpu_rate:,.0f}/s per CPU second", flush=True)
    baselines["bare"] = statistics.median(baselines["bare_runs"])
    baselines["bare_cpu"] = statistics.median(baselines["bare_cpu_runs"])


def _fan_out(digest, backend, subscribers: int) -> dict:
    """The measured run: services.send_and_record over every subscriber."""
    # Imported here, not at the top: the services import models, which need
    # django.setup() (done in main) first.
    from newsletter import services
    from newsletter.models import Delivery
    from newsletter.sending import ledger

    print(f"fan-out: services.send_and_record over {subscribers:,} subscribers")
    groups, renders = _count_groups(ledger._templates)
    backend.started = time.perf_counter()
    started, cpu_started = time.perf_counter(), time.process_time()
    report = services.send_and_record(digest)
    elapsed = time.perf_counter() - started
    cpu_elapsed = time.process_time() - cpu_started
    return {
        "groups": len(groups),
        "renders": renders[0],
        "report": report,
        "elapsed": elapsed,
        "cpu_elapsed": cpu_elapsed,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sent_rows": Delivery.objects.filter(status=Delivery.Status.SENT).count(),
    }


def _count_groups(templates) -> tuple[set, list[int]]:
    """Watch the ledger's render cache: the distinct groups it is asked for, and how
    many renders it made (more than the groups when its LRU dropped one)."""
    groups: set = set()
    renders = [0]
    original = templates.get

    def get(digest, group):
        groups.add(group)
        if group not in templates._items:
            renders[0] += 1
        return original(digest, group)

    templates.get = get
    return groups, renders


def _result_rows(args, sets, baselines: dict, fanned: dict, backend, setup_mb):
    bare, bare_cpu, stamp = baselines["bare"], baselines["bare_cpu"], baselines["stamp"]
    fanout = backend.messages / fanned["elapsed"]
    fanout_cpu = backend.messages / fanned["cpu_elapsed"]
    return [
        ("HTML part (group 'all')", f"{baselines['html_bytes'] / 1024:,.1f} KB"),
        ("category sets", f"{len(sets)}"),
        ("English readers", f"{args.english_share:.0%}"),
        ("readers with preferences", f"{args.preference_share:.0%}"),
        (
            "render groups",
            f"{fanned['groups']:,} ({fanned['renders']:,} renders)",
        ),
        (
            "bare loop (median, before and after)",
            f"{bare:,.0f} msg/s wall, {bare_cpu:,.0f} per CPU s "
            f"(runs {min(baselines['bare_runs']):,.0f}–"
            f"{max(baselines['bare_runs']):,.0f})",
        ),
        ("group template alone (median)", f"{stamp:,.0f} msg/s  ({stamp / bare:.1f}x)"),
        (
            "fan-out incl. ledger",
            f"{fanout:,.0f} msg/s wall ({fanout / bare:.1f}x bare loop)",
        ),
        (
            "fan-out per CPU second",
            f"{fanout_cpu:,.0f} msg/s ({fanout_cpu / bare_cpu:.1f}x)",
        ),
        (
            "messages serialised",
            f"{backend.messages:,} ({backend.octets / 2**20:,.0f} MB)",
        ),
        ("ledger rows sent", f"{fanned['sent_rows']:,} ({fanned['report']})"),
        ("fan-out wall time", f"{fanned['elapsed']:,.1f} s"),
        (
            "peak RSS",
            f"{fanned['peak_mb']:,.0f} MB (after django.setup: {setup_mb:,.0f} MB)",
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
