"""Tokens and calls of one Papers digest against the fake LLM server.

    .venv/bin/python -m bench.papers_tokens [--snapshot 2026-08-22] [--language ko]
        [--english-reader]

Serves one day of the sample corpus's arXiv listings (cs.AI, cs.CL, cs.CV) from
127.0.0.1, ingests them into a throwaway SQLite database, starts
devservers.openai_server and builds that day's Papers digest: every paper classified
(batches of 25), then one summary call per Papers category over its best-ranked
PAPERS_PER_SECTION papers; with --english-reader, one translation call per section
(two when the checks refuse the first answer). Tokens are the `usage` the server returned, summed from
the LLMCall rows as production logs them (see bench/tokens.py for the fake server's
counting rule). A same-day rebuild must be answered from the cache.
"""

import argparse
import datetime as dt

from bench import fake_llm_django


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", default="2026-08-22")
    parser.add_argument("--language", default="ko", choices=["ko", "en"])
    parser.add_argument(
        "--english-reader",
        action="store_true",
        help="add an English reader: the sections are translated for them too",
    )
    args = parser.parse_args()

    fake = fake_llm_django.start("bench-papers-", DIGEST_LANGUAGE=args.language)
    from django.conf import settings
    from django.core.management import call_command

    from ingestion import sample
    from ingestion.models import Source
    from ingestion.pipeline import ingest_sources
    from newsletter import services
    from newsletter.models import Digest, LLMCall
    from subscribers.models import Subscriber

    call_command("migrate", verbosity=0)
    services.load_defaults()
    if args.english_reader:
        Subscriber.objects.create(
            email="reader@example.com", language="en", status=Subscriber.Status.ACTIVE
        )
    settings.INGEST_ALLOW_PRIVATE_HOSTS = True
    with sample.serve_corpus(args.snapshot) as site:
        ids = [
            Source.objects.create(name=f.name, url=f.url, kind=f.kind).id
            for f in site.feeds
            if f.kind == Source.Kind.PAPER
        ]
        ingest_sources(ids)
    day = dt.date.fromisoformat(args.snapshot)
    digest = services.build_digest(day, edition=Digest.Edition.PAPERS)
    _print_usage(digest)
    # The same day again: sections are rewritten from the cache.
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.READY)
    before = LLMCall.objects.filter(cached=False).count()
    services.build_digest(day, edition=Digest.Edition.PAPERS)
    spent = LLMCall.objects.filter(cached=False).count() - before
    print(f"  same-day rebuild: {spent} calls that reached the server")
    fake.stop()
    return 0


def _print_usage(digest) -> None:
    """Calls and tokens per purpose, then the total and its cost per paper."""
    from newsletter.models import LLMCall

    day = digest.date
    papers = sum(digest.category_counts.values())
    print(f"Papers digest {day}: {papers} papers, {digest.sections.count()} sections")
    for purpose in LLMCall.Purpose.values:
        calls = LLMCall.objects.filter(digest=digest, purpose=purpose, cached=False)
        if not calls:
            continue
        prompt = sum(c.prompt_tokens for c in calls)
        completion = sum(c.completion_tokens for c in calls)
        print(
            f"  {purpose:<9} {calls.count():>3} calls  {prompt:>7} prompt + "
            f"{completion:>6} completion tokens"
        )
    print(
        f"  total     {digest.llm_calls:>3} calls  {digest.prompt_tokens:>7} prompt + "
        f"{digest.completion_tokens:>6} completion tokens, "
        f"{(digest.prompt_tokens + digest.completion_tokens) / max(papers, 1):.0f} "
        f"per paper, ${digest.cost_estimate:.4f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
