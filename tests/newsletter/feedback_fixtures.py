"""A sent day of stories, and its readers' vote links, for the feedback tests."""

import datetime as dt
import re
from html import unescape

from newsletter.models import Story
from tests.factories import ArticleFactory, DigestFactory, make_section
from tests.newsletter.mail_fixtures import category

VOTE_LINK = re.compile(r'href="([^"]*/feedback/[^"]+/(up|down)/)"')


def story_day(day: dt.date, stories: list[tuple[str, str, float]], *, slug="llm"):
    """An approved digest with one section of `slug` telling each (title, source
    URL, score) as one story, best score first; returns (digest, stories)."""
    digest = DigestFactory(date=day, category_counts={slug: len(stories)})
    stories = sorted(stories, key=lambda s: -s[2])
    articles = [ArticleFactory(title=title, url=url) for title, url, _ in stories]
    rows = []
    for position, ((title, _, score), article) in enumerate(
        zip(stories, articles, strict=True)
    ):
        story = Story.objects.create(
            digest=digest,
            category=category(slug),
            title=title,
            lead_article=article,
            score=score,
            position=position,
        )
        story.articles.set([article])
        rows.append(story)
    content = {
        "kind": "excerpts",
        "topics": [],
        "excerpts": [
            {
                "text": f"{title} 소식이다.",
                "publisher": "기자",
                "published": day.isoformat(),
                "citations": [n],
                "story": story.id,
            }
            for n, ((title, _, _), story) in enumerate(
                zip(stories, rows, strict=True), start=1
            )
        ],
        "key_figures": [],
        "impact": {},
        "stories": [
            {"id": story.id, "citations": [n]} for n, story in enumerate(rows, start=1)
        ],
    }
    make_section(digest, category(slug), articles, content=content)
    return digest, rows


def vote_links(html: str) -> dict[tuple[int, str], str]:
    """{(story id, "up" | "down"): link} of an email's HTML part."""
    found = {}
    for link, vote in VOTE_LINK.findall(html):
        link = unescape(link)
        story_id = int(link.rstrip("/").split("/")[-3])
        found[story_id, vote] = link
    return found


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def briefing_day(day: dt.date, stories: list[tuple[str, list[str], float]]):
    """An approved digest with one LLM briefing section (llm) whose lines never
    repeat a title, each (title, source URLs, score) one story of those sources
    (the first one its lead, titled as the story); returns (digest, stories)."""
    digest = DigestFactory(date=day, category_counts={"llm": len(stories)})
    stories = sorted(stories, key=lambda s: -s[2])
    rows, articles, refs = [], [], []
    for position, (title, urls, score) in enumerate(stories):
        told = [
            ArticleFactory(
                title=title if n == 0 else f"다른 매체 {position}-{n}", url=url
            )
            for n, url in enumerate(urls)
        ]
        story = Story.objects.create(
            digest=digest,
            category=category("llm"),
            title=title,
            lead_article=told[0],
            score=score,
            position=position,
        )
        story.articles.set(told)
        numbers = list(range(len(articles) + 1, len(articles) + len(told) + 1))
        rows.append(story)
        articles += told
        refs.append({"id": story.id, "citations": numbers})
    content = {
        "topics": ["언어모델 경쟁"],
        "events": [
            {"text": f"{n}번째 소식의 사건이 있었다.", "citations": ref["citations"]}
            for n, ref in enumerate(refs, start=1)
        ],
        "impact": {},
        "final_summary": ["경쟁이 이어진다."],
        "stories": refs,
    }
    make_section(digest, category("llm"), articles, content=content)
    return digest, rows
