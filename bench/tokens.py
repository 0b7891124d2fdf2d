"""Tokens and calls of one digest: classification + summaries against the fake server.

    .venv/bin/python -m bench.tokens [--repeats 3] [--language ko]

Builds the articles of tests/data/llm/ai_labs_articles.json (60 items of the ai-labs
feeds) in a throwaway SQLite database, starts devservers.openai_server on 127.0.0.1,
and runs the daily LLM stages twice: a first run (repeated with an empty cache to get
median timings) and a same-day re-run that must be answered from the cache.

How tokens are counted: every figure is the `usage` the server returned, summed from
the LLMCall rows, exactly as production logs them. The fake server computes usage
from the request it received (non-ASCII characters 1 token each, ASCII 1 per 4
characters, 4 per message, 3 for the reply, the JSON schema counted as prompt), which
matches real tokenizers for Korean and is slightly high for English text.

Targets: <= 600 input tokens per article (classification + summary), <= 1
classification call per 25 articles, 1 summary call per summarised category, 0 tokens
on the re-run.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bench import fake_llm_django
from devservers.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "llm" / "ai_labs_articles.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=3, help="first runs to time (median)"
    )
    parser.add_argument("--language", default="ko", choices=["ko", "en"])
    args = parser.parse_args()

    fake = fake_llm_django.start("bench-tokens-")
    from django.core.management import call_command

    print("-> migrating a throwaway SQLite database", file=sys.stderr)
    call_command("migrate", verbosity=0)
    try:
        return run(fake, args)
    finally:
        fake.stop()


def run(fake: FakeOpenAI, args) -> int:
    from newsletter.models import Digest, LLMCall

    n = _seed_articles(fake)
    firsts = []
    for repeat in range(max(1, args.repeats)):
        LLMCall.objects.all().delete()  # an empty cache: every call is paid again
        Digest.objects.all().delete()
        digest = Digest.objects.create(date="2026-08-22", language=args.language)
        label = f"first run {repeat + 1}/{args.repeats}"
        firsts.append(_one_run(label, digest, args.language))
    first = firsts[-1]
    rerun = _one_run(
        "same-day re-run", Digest.objects.create(date="2026-08-23"), args.language
    )
    figures = _figures(n, first)
    _print_table(_rows(figures, first, firsts, rerun), args)
    failures = _failures(figures, rerun)
    print("\nall targets met" if not failures else "\nMISSED: " + "; ".join(failures))
    return 1 if failures else 0


def _seed_articles(fake: FakeOpenAI) -> int:
    """The default categories and the 60 ai-labs articles; returns how many."""
    from ingestion.models import Article, Source
    from newsletter.defaults import DEFAULT_CATEGORIES
    from newsletter.models import Category

    for position, spec in enumerate(DEFAULT_CATEGORIES):
        Category.objects.get_or_create(
            slug=spec["slug"], defaults={**spec, "position": position}
        )
    source = Source.objects.create(
        name="AI labs", url="https://feeds.example/ai-labs.xml"
    )
    items = json.loads(CORPUS.read_text())
    articles = [
        Article.objects.create(
            source=source, url=i["url"], title=i["title"], text=i["text"], language="en"
        )
        for i in items
    ]
    fake.label_rules = {"grok": "llm", "gpt": "llm", "agent": "robotics-agents"}
    return len(articles)


def _one_run(label: str, digest, language: str) -> dict:
    """Classify every article, then summarise each category that has some."""
    from django.conf import settings

    from ingestion.models import Article
    from newsletter import llm
    from newsletter.drafting.classify import classify_articles
    from newsletter.drafting.summarize import summarize_category
    from newsletter.models import Category, LLMCall

    started = time.perf_counter()
    budget = llm.TokenBudget(settings.LLM_TOKEN_BUDGET)
    report = classify_articles(Article.objects.order_by("id"), digest=digest)
    drafts = []
    for category in Category.objects.for_digest():
        own = list(Article.objects.filter(category=category).order_by("id"))
        if own:
            drafts.append(
                summarize_category(
                    category, own, language=language, digest=digest, budget=budget
                )
            )
    elapsed = time.perf_counter() - started
    rows = LLMCall.objects.filter(digest=digest)
    print(f"-> {label}: {len(drafts)} sections, {elapsed:.2f}s", file=sys.stderr)
    return {
        "report": report,
        "drafts": drafts,
        "elapsed": elapsed,
        "by_purpose": _by_purpose(rows),
        "usage": llm.digest_usage(digest),
        "latencies": list(
            rows.filter(cached=False).values_list("latency_ms", flat=True)
        ),
    }


def _by_purpose(rows) -> dict:
    """Calls and tokens paid (not cached), per purpose (classify, summarize)."""
    from django.db.models import Count, Sum

    return {
        row["purpose"]: row
        for row in rows.filter(cached=False)
        .values("purpose")
        .annotate(
            calls=Count("id"),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
        )
    }


def _figures(n: int, first: dict) -> dict:
    """The per-article figures both the table and the targets use."""
    from ingestion.models import Article

    summarised = sum(
        1 for a in Article.objects.all() if a.category and a.category.in_digest
    )
    none = {"calls": 0, "prompt": 0, "completion": 0}
    cls = first["by_purpose"].get("classify", none)
    summ = first["by_purpose"].get("summarize", none)
    return {
        "n": n,
        "summarised": summarised,
        "cls": cls,
        "summ": summ,
        "sections": len(first["drafts"]),
        "input_per_article": (cls["prompt"] + summ["prompt"]) / n,
        "worst": cls["prompt"] / n + summ["prompt"] / max(1, summarised),
    }


def _rows(figures: dict, first: dict, firsts: list[dict], rerun: dict) -> list:
    n, summarised = figures["n"], figures["summarised"]
    cls, summ, sections = figures["cls"], figures["summ"], figures["sections"]
    drafts = first["drafts"]
    return [
        ("articles (summarised)", f"{n} ({summarised})", ""),
        (
            "sections (llm / offline)",
            f"{sections} ({sum(d.generated_by == 'llm' for d in drafts)} / "
            f"{sum(d.generated_by == 'offline' for d in drafts)})",
            "",
        ),
        ("classify calls", cls["calls"], f"<= {-(-n // 25)}"),
        ("classify input tokens / article", f"{cls['prompt'] / n:.0f}", ""),
        ("classify output tokens / article", f"{cls['completion'] / n:.0f}", ""),
        ("summary calls", summ["calls"], f"= {sections}"),
        ("summary input tokens / article", f"{summ['prompt'] / n:.0f}", ""),
        (
            "summary input tokens / summarised article",
            f"{summ['prompt'] / max(1, summarised):.0f}",
            "",
        ),
        (
            "summary output tokens / section",
            f"{summ['completion'] / max(1, summ['calls']):.0f}",
            "",
        ),
        (
            "input tokens / article (both)",
            f"{figures['input_per_article']:.0f}",
            "<= 600",
        ),
        ("worst case: every article summarised", f"{figures['worst']:.0f}", "<= 600"),
        *_digest_rows(first, firsts, rerun),
    ]


def _digest_rows(first: dict, firsts: list[dict], rerun: dict) -> list:
    """Whole-digest totals, timings and the cached re-run."""
    usage, again = first["usage"], rerun["usage"]
    return [
        ("input tokens / digest", usage["prompt_tokens"], ""),
        ("output tokens / digest", usage["completion_tokens"], ""),
        ("calls / digest", usage["calls"], ""),
        ("cost estimate / digest (USD)", f"{usage['cost']:.4f}", ""),
        ("median call latency (ms)", statistics.median(first["latencies"] or [0]), ""),
        (
            "median first-run wall time (s)",
            f"{statistics.median(r['elapsed'] for r in firsts):.2f}",
            "",
        ),
        (
            "re-run tokens (in+out)",
            again["prompt_tokens"] + again["completion_tokens"],
            "= 0",
        ),
        (
            "re-run calls (cached)",
            f"{again['calls']} ({again['calls_cached']})",
            "= 0",
        ),
    ]


def _print_table(rows: list, args) -> None:
    width = max(len(r[0]) for r in rows)
    print(f"\nbench.tokens  language={args.language}  repeats={args.repeats}")
    print(f"{'measure':<{width}}  {'value':>12}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {str(value):>12}  {target}")


def _failures(figures: dict, rerun: dict) -> list[str]:
    failures = []
    if figures["input_per_article"] > 600 or figures["worst"] > 600:
        failures.append("input tokens per article above 600")
    if figures["cls"]["calls"] > -(-figures["n"] // 25):
        failures.append("more than one classification call per 25 articles")
    if figures["summ"]["calls"] != figures["sections"]:
        failures.append("not one summary call per category")
    if rerun["usage"]["prompt_tokens"] + rerun["usage"]["completion_tokens"]:
        failures.append("the re-run spent tokens")
    return failures


if __name__ == "__main__":
    sys.exit(main())
