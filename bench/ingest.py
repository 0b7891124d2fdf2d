"""Ingestion benchmark: parsing, extraction, fetching concurrency, memory, quality.

    .venv/bin/python -m bench.ingest [--pages 1008] [--fetches 200] [--repeats 3]

Everything is served from 127.0.0.1: the sample AI-lab feeds, and the 48 benchmark news
pages (tests/data/articles) repeated to at least 1,000 pages. Targets on a 2-core
machine: extraction >= 30 pages/s, concurrent fetching >= 3x faster than sequential
against a server adding 100 ms per request, mean extraction F1 >= 0.95.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from bench.scoring import word_f1

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "tests" / "data" / "articles"


def say(message: str) -> None:
    print(message, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django() -> None:
    # A throwaway SQLite database for the end-to-end run; never the developer's own.
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-ingest-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.INGEST_ALLOW_PRIVATE_HOSTS = True  # everything here is on 127.0.0.1


def benchmark_pages() -> list[tuple[str, bytes, str]]:
    truth = json.loads((ARTICLES / "ground-truth.json").read_text())
    return [
        (
            item["url"],
            gzip.decompress((ARTICLES / "html" / f"{key}.html.gz").read_bytes()),
            item["articleBody"],
        )
        for key, item in truth.items()
    ]


def bench_parse(repeats: int) -> dict:
    from ingestion import sample
    from ingestion.feeds import parse_feed

    feeds = [
        gzip.decompress(path.read_bytes())
        for snapshot in sample.SNAPSHOTS
        for path in sorted((sample.DATA_DIR / "feeds" / snapshot).glob("*.xml.gz"))
    ]
    rates, entries = [], 0
    for n in range(repeats):
        started = time.perf_counter()
        entries = sum(
            len(parse_feed(f, url="http://127.0.0.1/").entries) for f in feeds
        )
        rates.append(entries / (time.perf_counter() - started))
        say(f"  parse_feed pass {n + 1}/{repeats}: {rates[-1]:.0f} entries/s")
    return {"feeds": len(feeds), "entries": entries, "rate": statistics.median(rates)}


def bench_extraction(pages, total: int, chunks: int = 4) -> dict:
    """Fetch ``total`` pages from the local server one by one, timing only extraction.

    Each page is dropped once extracted, as in a real run. The rate is the median over
    ``chunks`` equal slices; CPU time is reported too, since wall time on a shared
    machine also counts other processes.
    """
    from devservers.feed_server import FeedServer
    from ingestion import fetch
    from ingestion.extract import extract_article

    with FeedServer() as server, fetch.make_client() as client:
        urls = [
            server.add(
                f"/p/{n}.html",
                pages[n % len(pages)][1],
                content_type="text/html",
                gzip_body=True,
            )
            for n in range(total)
        ]
        per_chunk = max(total // chunks, 1)
        wall_rates, cpu_total, wall_total, extracted, size = [], 0.0, 0.0, 0, 0
        chunk_wall = 0.0
        for n, url in enumerate(urls, start=1):
            body = fetch.fetch(url, client=client).content
            size += len(body)
            wall, cpu = time.perf_counter(), time.process_time()
            extracted += (
                extract_article(body, url=pages[(n - 1) % len(pages)][0]) is not None
            )
            chunk_wall += time.perf_counter() - wall
            cpu_total += time.process_time() - cpu
            if n % per_chunk == 0:
                wall_rates.append(per_chunk / chunk_wall)
                wall_total += chunk_wall
                chunk_wall = 0.0
                say(f"  {n}/{total} pages: {wall_rates[-1]:.1f} pages/s")
    return {
        "pages": total,
        "extracted": extracted,
        "rate": statistics.median(wall_rates),
        "cpu_rate": total / cpu_total,
        "mb": size / 1e6,
    }


def bench_quality(pages) -> dict:
    from ingestion.extract import extract_article

    scores, extractors = [], Counter()
    tracemalloc.start()
    for url, html, truth in pages:
        article = extract_article(html, url=url)
        extractors[article.extractor if article else "none"] += 1
        scores.append(word_f1(article.text if article else "", truth))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "f1": statistics.mean(scores),
        "median_f1": statistics.median(scores),
        "extractors": dict(extractors),
        "traced_peak_mb": peak / 1e6,
    }


def bench_fetching(pages, count: int, latency: float, hosts: int, repeats: int) -> dict:
    from django.conf import settings

    from devservers.feed_server import FeedServer
    from ingestion import fetch
    from ingestion.concurrency import HostLimitedPool, host_of

    with ExitStack() as stack:
        servers = [
            stack.enter_context(FeedServer(latency=latency)) for _ in range(hosts)
        ]
        urls = []
        for n in range(count):
            server = servers[n % hosts]
            urls.append(
                server.add(
                    f"/p/{n}.html",
                    pages[n % len(pages)][1],
                    content_type="text/html",
                    gzip_body=True,
                )
            )
        client = stack.enter_context(fetch.make_client())

        started = time.perf_counter()
        for url in urls:
            fetch.fetch(url, client=client)
        sequential = time.perf_counter() - started
        say(f"  sequential, {hosts} host(s): {sequential:.2f} s")

        concurrent_runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            with HostLimitedPool(
                workers=settings.INGEST_WORKERS, per_host=settings.INGEST_PER_HOST
            ) as pool:
                for url in urls:
                    pool.submit(
                        host_of(url), lambda u=url: fetch.fetch(u, client=client)
                    )
                done = sum(1 for _ in pool.results())
            assert done == count
            concurrent_runs.append(time.perf_counter() - started)
        concurrent = statistics.median(concurrent_runs)
        say(f"  concurrent, {hosts} host(s): {concurrent:.2f} s (median of {repeats})")
    return {
        "sequential": sequential,
        "concurrent": concurrent,
        "speedup": sequential / concurrent,
    }


def bench_end_to_end() -> dict:
    from django.core.management import call_command

    from ingestion import sample, services
    from ingestion.models import Article, Source

    call_command("migrate", verbosity=0)
    with sample.serve_corpus(sample.SNAPSHOTS[0]) as site:
        for feed in site.news_feeds:
            Source.objects.create(name=feed.name, url=feed.url, language=feed.language)
        started = time.perf_counter()
        report = services.ingest()
        elapsed = time.perf_counter() - started
    say(f"  {report}".split("\n", 1)[0])
    return {
        "seconds": elapsed,
        "articles": Article.objects.count(),
        "duplicates": report.duplicates,
        "pages_failed": report.pages_failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Ingestion benchmark")
    parser.add_argument(
        "--pages", type=int, default=1008, help="pages served for extraction"
    )
    parser.add_argument(
        "--fetches", type=int, default=200, help="requests per fetching run"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    setup_django()
    results = run_all(args)
    say("")
    say(f"{'measure':<17} {'result':<18} {'target':<8} {'ok':<4} detail")
    for name, value, detail, target, *ok in result_rows(results):
        mark = ("yes" if ok[0] else "NO") if ok else ""
        say(f"{name:<17} {value:<18} {target:<8} {mark:<4} {detail}")


def run_all(args: argparse.Namespace) -> dict:
    """The five stages in order, announcing each; peak RSS is read after stages 3 and 5."""
    from django.conf import settings

    pages = benchmark_pages()
    results = {}
    say(
        f"[1/5] parse_feed over the sample AI-lab feeds "
        f"(both days, {args.repeats} passes)"
    )
    results["parse"] = bench_parse(args.repeats)
    say(f"[2/5] extraction quality on the {len(pages)} benchmark pages")
    results["quality"] = bench_quality(pages)
    say(f"[3/5] extraction speed over {args.pages} served pages")
    results["extraction"] = bench_extraction(pages, args.pages)
    results["rss_after_extraction"] = peak_rss_mb()
    say(
        f"[4/5] fetching {args.fetches} pages, 100 ms added per request "
        f"(workers={settings.INGEST_WORKERS}, per host={settings.INGEST_PER_HOST})"
    )
    results["one_host"] = bench_fetching(pages, args.fetches, 0.1, 1, args.repeats)
    results["four_hosts"] = bench_fetching(pages, args.fetches, 0.1, 4, args.repeats)
    say("[5/5] end-to-end ingest of sample day 2026-08-15 (SQLite, in-process)")
    results["e2e"] = bench_end_to_end()
    results["rss_at_end"] = peak_rss_mb()
    return results


def result_rows(results: dict) -> list[tuple]:
    """(measure, result, detail, target[, ok]) per line of the summary table."""
    parse, extraction = results["parse"], results["extraction"]
    quality, e2e = results["quality"], results["e2e"]
    return [
        (
            "parse_feed",
            f"{parse['rate']:.0f} entries/s",
            f"{parse['entries']} entries, {parse['feeds']} feeds",
            "",
        ),
        (
            "extract_article",
            f"{extraction['rate']:.1f} pages/s",
            f"{extraction['cpu_rate']:.1f} pages per CPU-second; "
            f"{extraction['extracted']}/{extraction['pages']} extracted, "
            f"{extraction['mb']:.0f} MB of HTML",
            ">= 30",
            extraction["rate"] >= 30,
        ),
        (
            "extraction F1",
            f"{quality['f1']:.3f} mean",
            f"median {quality['median_f1']:.3f}, by {quality['extractors']}",
            ">= 0.95",
            quality["f1"] >= 0.95,
        ),
        _fetch_row("fetch, 1 host", results["one_host"]),
        _fetch_row("fetch, 4 hosts", results["four_hosts"]),
        (
            "ingest day 1",
            f"{e2e['seconds']:.1f} s",
            f"{e2e['articles']} articles, "
            f"{e2e['duplicates']} duplicates, {e2e['pages_failed']} pages on feed text",
            "",
        ),
        (
            "peak memory",
            f"{results['rss_at_end']:.0f} MB RSS",
            f"{results['rss_after_extraction']:.0f} MB after parsing + extraction; "
            f"Python allocations (tracemalloc) peak {quality['traced_peak_mb']:.1f} MB",
            "",
        ),
    ]


def _fetch_row(name: str, fetched: dict) -> tuple:
    return (
        name,
        f"{fetched['speedup']:.1f}x",
        f"{fetched['sequential']:.1f} s -> {fetched['concurrent']:.1f} s",
        ">= 3x",
        fetched["speedup"] >= 3,
    )


if __name__ == "__main__":
    main()
