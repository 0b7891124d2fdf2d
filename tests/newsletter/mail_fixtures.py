"""Digests and readers for the email tests: Alice, Bob and Carol."""

import datetime as dt

from newsletter.defaults import DEFAULT_CATEGORIES
from newsletter.models import Category, Digest
from tests.factories import (
    ArticleFactory,
    DigestFactory,
    SubscriberFactory,
    make_section,
)

# Every default category that gets a section: the largest subscriber profile.
DIGEST_SLUGS = tuple(c["slug"] for c in DEFAULT_CATEGORIES if c.get("in_digest", True))

LONG_SENTENCE = (
    "오픈AI와 구글, 메타가 새로운 대규모 언어모델을 잇달아 공개하면서 "
    "추론 비용과 성능을 둘러싼 경쟁이 한층 치열해지고 있으며 "
    "국내 기업들도 자체 모델과 반도체 전략을 서둘러 발표하고 있다"
)


def category(slug: str) -> Category:
    return Category.objects.get(slug=slug)


def build_digest(
    *,
    slugs=("llm", "multimodal"),
    language="ko",
    generated_by="offline",
    day=dt.date(2026, 8, 22),
    content=None,
    sources_per_section=2,
) -> Digest:
    digest = DigestFactory(
        date=day,
        language=language,
        category_counts={slug: sources_per_section for slug in slugs} | {"others": 1},
    )
    for slug in slugs:
        articles = [
            ArticleFactory(title=f"{slug} 기사 {n}")
            for n in range(1, sources_per_section + 1)
        ]
        section_content = (
            content(slug)
            if content
            else {
                "topics": [f"{slug} 주제 하나", f"{slug} 주제 둘"],
                "events": [{"text": f"{slug} 사건이 있었다 [1].", "citations": [1, 2]}],
                "impact": {
                    "economy": f"{slug} 경제 영향",
                    "politics_society": f"{slug} 사회 영향",
                    "science_technology": f"{slug} 기술 영향",
                },
                "final_summary": [f"{slug} 최종 요약"],
            }
        )
        make_section(
            digest,
            category(slug),
            articles,
            content=section_content,
            generated_by=generated_by,
        )
    return digest


def long_content(slug: str) -> dict:
    return {
        "topics": [f"{LONG_SENTENCE} ({slug} {n})" for n in range(5)],
        "events": [
            {"text": f"{LONG_SENTENCE} [{n}]", "citations": [n, n + 1]}
            for n in range(1, 9)
        ],
        "impact": {
            key: " ".join([LONG_SENTENCE] * 3)
            for key in ("economy", "politics_society", "science_technology")
        },
        "final_summary": [f"{LONG_SENTENCE} ({n})" for n in range(5)],
    }


def reader(email: str, *slugs: str, **fields):
    subscriber = SubscriberFactory(email=email, **fields)
    subscriber.categories.set([category(slug) for slug in slugs])
    return subscriber
