"""The LLM path of the briefing: what the model reads, and what survives the source check.

    .venv/bin/python -m bench.llm_input [--language ko] [--no-pages]

No network beyond 127.0.0.1; a throwaway SQLite database holds the call log.

What the model reads (newsletter/editorial/compression.py), per article as a story of its own,
over the sample corpus (ingestion/sample, latest day, full feed text) and the 48 news
pages of tests/data/articles (fetched and extracted as ingestion does): tokens of each
story's source block (publisher, date, title, chosen sentences; estimated as
newsletter.llm counts them), and the share of long articles (> LONG_CHARS characters)
whose input includes a sentence from their second half (target >= 90%; the head cut
this replaced reached it for none).

What survives (newsletter/drafting/summarize.py), against devservers/openai_server.py: the
sample corpus sorted by the rule classifier into sections of 8 sources (as
bench/editorial.py cuts them), summarised three times with an empty cache:
- honest: the fake's answers cite the source each line copies;
- misattributing: each section's last event states what its last source says but cites
  source 1; the lines asked again come back citing their own source;
- stubborn: as misattributing, but the lines asked again still cite source 1.
For each: events, events with a citation (target 100%), lines flagged by the source
check before they were asked again and after (those are removed; target: nothing
flagged is kept), sections that fell back offline, and summary prompt tokens per story.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass

from bench import fake_llm_django
from devservers.openai_server import FakeOpenAI, schema_of
from newsletter.editorial.text import estimate_tokens

LONG_CHARS = 8000


@dataclass
class InputTally:
    tokens: list[int]
    long_articles: int = 0
    reaching: int = 0

    def row(self, name: str) -> str:
        tokens = sorted(self.tokens)
        p90 = tokens[int(len(tokens) * 0.9)] if tokens else 0
        share = self.reaching / self.long_articles if self.long_articles else 1.0
        return (
            f"{name:<22}{len(tokens):>9}{statistics.median(tokens or [0]):>8.0f}"
            f"{p90:>6}{max(tokens or [0]):>6}{self.long_articles:>7}"
            f"{f'{self.reaching} ({share:.0%})':>16}"
        )


def measure_input(articles: list) -> InputTally:
    from newsletter.editorial import compression, prompts

    tally = InputTally(tokens=[])
    for article in articles:
        story = compression.compress(compression.SourceGroup.of([article]))
        tally.tokens.append(estimate_tokens(prompts.source_blocks([story])))
        if len(prompts.article_body(article)) > LONG_CHARS:
            tally.long_articles += 1
            tally.reaching += story[0].reaches_second_half
    return tally


@dataclass
class RunTally:
    sections: int = 0
    offline: int = 0
    events: int = 0
    cited: int = 0
    flagged: int = 0
    removed: int = 0
    stories: int = 0
    prompt_tokens: int = 0

    def row(self, name: str) -> str:
        share = self.cited / self.events if self.events else 1.0
        per_story = self.prompt_tokens / self.stories if self.stories else 0
        return (
            f"{name:<16}{self.sections:>9}{self.offline:>9}{self.events:>8}"
            f"{f'{self.cited} ({share:.0%})':>13}{self.flagged:>9}{self.removed:>8}"
            f"{per_story:>16.0f}"
        )


def summarise(fake: FakeOpenAI, sections: list, *, language: str) -> RunTally:
    from bench.classifier import default_categories
    from newsletter import llm
    from newsletter.drafting.summarize import summarize_category
    from newsletter.models import LLMCall

    LLMCall.objects.all().delete()  # an empty cache: every section is asked
    fake.reset()
    category = next(c for c in default_categories() if c.slug == "llm")
    tally = RunTally()
    budget = llm.TokenBudget(10**9)
    for articles, _ in sections:
        draft = summarize_category(category, articles, language=language, budget=budget)
        tally.sections += 1
        tally.stories += len(articles)
        if draft.generated_by == "offline":
            tally.offline += 1
        events = draft.content.get("events", [])
        tally.events += len(events)
        tally.cited += sum(1 for event in events if event["citations"])
        tally.flagged += draft.flagged_lines
        tally.removed += draft.removed_lines
    # The first ask of each section (the Korean gate's retries excluded), as billed.
    tally.prompt_tokens = sum(
        fake.usage(request["body"], schema_of(request["body"])[1], None)[0]
        for request in fake.requests_for("Briefing")
    )
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="ko", choices=["ko", "en"])
    parser.add_argument(
        "--no-pages", action="store_true", help="skip the 48 benchmark pages"
    )
    args = parser.parse_args()

    fake = fake_llm_django.start("bench-llm-input-")
    from django.conf import settings
    from django.core.management import call_command

    settings.INGEST_ALLOW_PRIVATE_HOSTS = True  # the feed server is on 127.0.0.1
    call_command("migrate", verbosity=0)
    try:
        return run(fake, args, settings)
    finally:
        fake.stop()


def run(fake: FakeOpenAI, args, settings) -> int:
    from bench.classifier import corpus_articles
    from bench.editorial import benchmark_sections, sample_sections

    print("-> reading the corpora", file=sys.stderr)
    corpora = {
        "sample corpus": list({id(a): a for a in corpus_articles().values()}.values())
    }
    if not args.no_pages:
        corpora["48 benchmark pages"] = [
            a for chunk, _ in benchmark_sections() for a in chunk
        ]
    inputs = {name: measure_input(articles) for name, articles in corpora.items()}

    sections = [(chunk, args.language) for chunk, _ in sample_sections()]
    behaviours = {
        "honest": {},
        "misattributing": {"Briefing": "wrong_source"},
        "stubborn": {"Briefing": "wrong_source", "Repairs": "wrong_source"},
    }
    runs = {}
    for name, behaviour in behaviours.items():
        print(f"-> summarising, {name} model", file=sys.stderr)
        fake.behaviour_by_schema = behaviour
        runs[name] = summarise(fake, sections, language=args.language)

    budget = settings.LLM_STORY_INPUT_TOKENS
    print(f"\nbench.llm_input  language={args.language}  story budget={budget} tokens")
    print("\nWhat the model reads, per story (one article), tokens of its source block")
    print(
        f"{'corpus':<22}{'stories':>9}{'median':>8}{'p90':>6}{'max':>6}{'long':>7}"
        f"{'2nd half':>16}"
    )
    for name, tally in inputs.items():
        print(tally.row(name))
    print(
        f"\nWhat survives, sample corpus in {len(sections)} sections: lines flagged by "
        "the source check before they were asked again, and after (removed)"
    )
    print(
        f"{'model':<16}{'sections':>9}{'offline':>9}{'events':>8}{'cited':>13}"
        f"{'flagged':>9}{'after':>8}{'prompt/story':>16}"
    )
    for name, tally in runs.items():
        print(tally.row(name))

    failures = []
    for name, tally in inputs.items():
        if tally.long_articles and tally.reaching / tally.long_articles < 0.9:
            failures.append(
                f"{name}: under 90% of long articles reach their second half"
            )
    for name, tally in runs.items():
        if tally.cited != tally.events:
            failures.append(f"{name}: an event without a citation")
    print("\nall targets met" if not failures else "\nMISSED: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
