"""Tokens of the second language: translating the written briefing against writing it
again from the sources, on the fake server.

    .venv/bin/python -m bench.editions

Builds one digest (build_digest: classify, write in Korean, translate into English
for the English reader it adds) from the 60 ai-labs articles and the Korean test
articles of tests/data/llm, in a throwaway SQLite database, against
devservers.openai_server on 127.0.0.1. Then, for the same sections and sources, asks
for each English briefing written directly (summarize_category(language="en")), the
alternative the build does not take. Last, a same-day rebuild, which must spend 0
tokens in both languages. Story headlines (newsletter/drafting/headlines.py) are one call per
language.

Every figure is the `usage` the server returned, summed from the LLMCall rows as
production logs them. Input tokens are those of the real prompts (the fake counts
non-ASCII characters 1 token each, ASCII 1 per 4 characters, plus the JSON schema);
output tokens are those of the fake's synthetic answers, so they compare lengths of
fake text, not of a model's.
"""

import json
import sys
from pathlib import Path

from bench import fake_llm_django
from devservers.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "llm"


def main() -> int:
    fake = fake_llm_django.start(
        "bench-editions-",
        LLM_ENABLED="true",
        DIGEST_FIRST_RUN_PER_SOURCE="1000",
        DIGEST_LANGUAGE="ko",
    )
    from django.core.management import call_command

    print("-> migrating a throwaway SQLite database", file=sys.stderr)
    call_command("migrate", verbosity=0)
    try:
        return run(fake)
    finally:
        fake.stop()


def _articles() -> None:
    from ingestion.models import Article, Source

    for name, file, language in (
        ("AI labs", "ai_labs_articles.json", "en"),
        ("Korean AI news", "korean_articles.json", "ko"),
    ):
        source = Source.objects.create(
            name=name, url=f"https://feeds.example/{language}.xml", language=language
        )
        for item in json.loads((DATA / file).read_text()):
            Article.objects.create(
                source=source,
                url=item["url"],
                title=item["title"],
                text=item["text"],
                language=language,
                extraction_status=Article.Extraction.FEED,
            )


def _usage(rows) -> tuple[int, int, int]:
    from django.db.models import Count, Sum

    totals = rows.filter(cached=False).aggregate(
        calls=Count("id"), prompt=Sum("prompt_tokens"), out=Sum("completion_tokens")
    )
    return totals["calls"], totals["prompt"] or 0, totals["out"] or 0


def run(fake: FakeOpenAI) -> int:
    from django.utils import timezone

    from newsletter import services
    from subscribers.models import Subscriber

    services.load_defaults()
    _articles()
    Subscriber.objects.create(
        email="reader@example.com", language="en", status=Subscriber.Status.ACTIVE
    )
    fake.label_rules = {"grok": "llm", "gpt": "llm", "agent": "robotics-agents"}
    # The articles are created now, undated: they count as published today.
    day = timezone.localdate()

    built = _build(day)
    written_en = _written_in_english(day, built["sections"])
    rebuild = _rebuild(day)

    rows = _rows(
        sections=len(built["sections"]),
        classified=built["classified"],
        written=built["written"],
        translated=built["translated"],
        headlined=built["headlined"],
        refused=built["calls"].exclude(error="").count(),
        written_en=written_en,
        rebuild=rebuild,
    )
    width = max(len(label) for label, _ in rows)
    print(f"{'':<{width}}  calls, input tokens, output tokens")
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0 if rebuild[0] == 0 else 1


def _build(day) -> dict:
    """The digest as the build makes it: Korean written, English translated."""
    from newsletter import services
    from newsletter.models import LLMCall

    print(
        "-> building the digest (Korean written, English translated)", file=sys.stderr
    )
    digest = services.build_digest(day)
    calls = LLMCall.objects.filter(digest=digest)
    return {
        "written": _usage(calls.filter(purpose="summarize")),
        "translated": _usage(calls.filter(purpose="translate")),
        "classified": _usage(calls.filter(purpose="classify")),
        "headlined": _usage(calls.filter(purpose="headline")),
        "sections": list(digest.sections.select_related("category")),
        # Counted by the caller after the rebuild, which may log on this digest too.
        "calls": calls,
    }


def _written_in_english(day, sections) -> tuple[int, int, int]:
    """The alternative the build does not take, on a digest of its own (next day)."""
    import datetime as dt

    from newsletter.drafting import summarize
    from newsletter.models import Digest, LLMCall

    print(
        "-> the alternative: each English briefing written from the sources",
        file=sys.stderr,
    )
    direct = Digest.objects.create(date=day + dt.timedelta(days=1), language="en")
    for section in sections:
        members = [s.article for s in section.sources.select_related("article")]
        summarize.summarize_category(
            section.category, members, language="en", digest=direct
        )
    return _usage(LLMCall.objects.filter(digest=direct, purpose="summarize"))


def _rebuild(day) -> tuple[int, int, int]:
    """A same-day rebuild: only the calls made after the last existing one count."""
    from newsletter import services
    from newsletter.models import LLMCall

    print("-> same-day rebuild", file=sys.stderr)
    last = LLMCall.objects.order_by("-id").values_list("id", flat=True).first()
    services.build_digest(day)
    return _usage(LLMCall.objects.filter(id__gt=last))


def _rows(
    *,
    sections,
    classified,
    written,
    translated,
    headlined,
    refused,
    written_en,
    rebuild,
) -> list[tuple[str, object]]:
    return [
        ("sections", sections),
        ("classification (once, both languages)", _fmt(classified)),
        ("Korean written from the sources", _fmt(written)),
        ("English translated from the Korean", _fmt(translated)),
        ("story headlines, both languages", _fmt(headlined)),
        ("answers refused by the checks (retried)", refused),
        ("English written from the sources (not used)", _fmt(written_en)),
        (
            "translated / written, input tokens",
            f"{translated[1] / max(1, written_en[1]):.0%}",
        ),
        (
            "translated / written, all tokens",
            f"{sum(translated[1:]) / max(1, sum(written_en[1:])):.0%}",
        ),
        ("same-day rebuild: calls paid", rebuild[0]),
        ("same-day rebuild: tokens", sum(rebuild[1:])),
    ]


def _fmt(usage: tuple[int, int, int]) -> str:
    calls, prompt, out = usage
    return f"{calls} calls, {prompt:,} in, {out:,} out"


if __name__ == "__main__":
    raise SystemExit(main())
