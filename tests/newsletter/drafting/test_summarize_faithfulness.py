"""Each line is checked against the sources it cites, asked for again once, then removed.

The model's answers are scripted on the fake server (devservers/openai_server.py): a
Korean briefing whose second event states what source 2 says but cites source 1.
"""

import json
import re

import pytest
from django.utils import timezone

from ingestion.models import Article
from newsletter import services
from newsletter.drafting.summarize import summarize_category
from newsletter.editorial import excerpts
from newsletter.editorial.text import estimate_tokens
from newsletter.models import Category, Digest, DigestSection
from tests.factories import SubscriberFactory
from tests.newsletter.llm_fixtures import make_articles

NVIDIA = {
    "title": "Nvidia invests in Korean chip startup Rebellions",
    "url": "https://news.example/nvidia-rebellions",
    "text": (
        "Nvidia said on Tuesday it will invest $250 million in Rebellions, a Korean "
        "maker of AI chips.\nThe investment values Rebellions at $1.4 billion, the "
        "company said.\nRebellions plans to expand production of its inference chips "
        "in 2027."
    ),
}
MISTRAL = {
    "title": "Mistral releases Codestral 2",
    "url": "https://news.example/mistral-codestral",
    "text": (
        "Mistral released Codestral 2, a model that writes code.\nIt was downloaded "
        "30,000 times in its first week, Mistral said."
    ),
}
RIGHT = "엔비디아가 리벨리온에 2억 5천만 달러를 투자한다 [1]"
WRONG = "미스트랄의 Codestral 2가 첫 주에 3만 회 내려받아졌다"
IMPACT = "리벨리온의 기업 가치는 14억 달러로 평가됐다"


def briefing(body):
    return json.dumps(
        {
            "topics": ["엔비디아의 리벨리온 투자", "미스트랄 Codestral 2 공개"],
            "events": [
                {"text": RIGHT, "citations": [1]},
                {"text": f"{WRONG} [1]", "citations": [1]},
            ],
            "impact": {
                "economy": {"text": IMPACT, "citations": [1]},
                "politics_society": None,
                "science_technology": None,
            },
            "final_summary": ["엔비디아와 미스트랄의 소식이 이어졌다."],
        },
        ensure_ascii=False,
    )


def repair_citing(number):
    def answer(body):
        return json.dumps(
            {"lines": [{"id": 1, "text": WRONG, "citations": [number]}]},
            ensure_ascii=False,
        )

    return answer


@pytest.fixture
def llm_category(defaults):
    return Category.objects.get(slug="llm")


@pytest.fixture
def sources(llm_category):
    return make_articles(
        [NVIDIA, MISTRAL],
        category=llm_category,
        classified_by=Article.ClassifiedBy.EDITOR,
    )


@pytest.fixture
def ranked_sources(sources):
    """In a built digest stories are numbered by rank: the newer Nvidia story first,
    as the scripted briefing cites it."""
    now = timezone.now()
    for hours, article in zip((1, 3), sources, strict=True):
        Article.objects.filter(id=article.id).update(
            published_at=now - timezone.timedelta(hours=hours)
        )
    return sources


def event_texts(content):
    return [event["text"] for event in content["events"]]


def test_a_line_citing_the_wrong_source_is_asked_again_then_removed(
    llm_category, sources, fake_llm
):
    fake_llm.script(briefing, repair_citing(1))
    draft = summarize_category(llm_category, sources, language="ko")

    # Korean units and the Hangul names of the English source pass the check.
    assert event_texts(draft.content) == [RIGHT]
    assert draft.content["impact"] == {"economy": f"{IMPACT} [1]"}
    assert draft.generated_by == "llm" and draft.needs_review
    assert (draft.flagged_lines, draft.removed_lines) == (1, 1)
    assert f'Removed, still unsupported: events "{WRONG} [1]"' in draft.review_notes
    # The second call named the problems, source by source.
    [repair] = fake_llm.requests_for("Repairs")
    asked = repair["body"]["messages"][1]["content"]
    for problem in (
        "3만 is not in the cited source [1]",
        "미스트랄 is not in the cited source [1]",
        "Codestral is not in the cited source [1]",
    ):
        assert f"Problem: {problem}" in asked
    assert f"Text: {WRONG} [1]" in asked


def test_a_line_that_comes_back_citing_its_real_source_is_kept(
    llm_category, sources, fake_llm
):
    fake_llm.script(briefing, repair_citing(2))
    draft = summarize_category(llm_category, sources, language="ko")

    assert event_texts(draft.content) == [RIGHT, f"{WRONG} [2]"]
    assert draft.content["events"][1]["citations"] == [2]
    assert not draft.needs_review, draft.review_notes
    assert (draft.flagged_lines, draft.removed_lines) == (1, 0)
    assert "failed the source check and were written again" in draft.review_notes


def test_with_auto_approve_a_flagged_line_is_never_sent(
    ranked_sources, fake_llm, sink, settings
):
    settings.DIGEST_AUTO_APPROVE = True
    SubscriberFactory(email="reader@example.com")
    fake_llm.script(briefing, repair_citing(1))
    digest = services.build_digest(timezone.localdate())
    assert digest.status == Digest.Status.APPROVED
    services.send_and_record(digest)

    [received] = sink.received
    parts = {p.get_content_type(): p for p in received.message.walk()}
    for body in (parts["text/plain"].get_content(), parts["text/html"].get_content()):
        assert "2억 5천만 달러" in body
        assert "3만 회" not in body and "Codestral 2가" not in body
    section = DigestSection.objects.get(digest=digest)
    assert section.needs_review and WRONG in section.review_notes


def test_with_review_on_editors_see_the_flag_before_anything_is_sent(
    ranked_sources, fake_llm, sink, settings
):
    settings.DIGEST_AUTO_APPROVE = False
    SubscriberFactory(email="reader@example.com")
    fake_llm.script(briefing, repair_citing(1))
    digest = services.build_digest(timezone.localdate())

    assert digest.status == Digest.Status.READY
    assert services.send_digest(digest.date) is None and sink.received == []
    section = DigestSection.objects.get(digest=digest)
    assert section.needs_review
    assert "3만 is not in the cited source [1]" in section.review_notes
    assert "1 section(s) flagged for review." in digest.notes
    assert event_texts(section.content) == [RIGHT]


def test_an_english_sentence_inside_korean_output_fails_the_gate(
    llm_category, sources, fake_llm
):
    english = (
        f"{RIGHT[:-4]}. The deal gives Nvidia a larger say over how the startup "
        "designs its next generation of chips [1]"
    )

    def mixed(body):
        answer = json.loads(briefing(body))
        answer["events"] = [{"text": english, "citations": [1]}]
        return json.dumps(answer, ensure_ascii=False)

    fake_llm.script(mixed, mixed)
    draft = summarize_category(llm_category, sources, language="ko")

    assert draft.generated_by == "offline" and draft.needs_review
    assert re.search(r"a sentence is \d+% Latin letters", draft.review_notes)
    assert len(fake_llm.requests_for("Briefing")) == 2


def test_a_story_reaches_the_model_as_one_block_with_each_source_dated(
    llm_category, sources, fake_llm, settings
):
    from newsletter.drafting.summarize import summarize_groups
    from newsletter.editorial.compression import SourceGroup

    settings.LLM_STORY_INPUT_TOKENS = 60
    grok = make_articles(
        [
            {
                "title": "Grok 4.6 on Vertex AI",
                "url": "https://x.example/g",
                "text": "Grok 4.6 is now available on Vertex AI for developers.",
            }
        ]
    )
    groups = [SourceGroup.of(sources), SourceGroup.of(grok)]
    draft = summarize_groups(llm_category, groups, language="en")

    assert draft.generated_by == "llm"
    [request] = fake_llm.requests_for("Briefing")
    user = request["body"]["messages"][1]["content"]
    story = user[user.index('<story sources="1-2">') : user.index("</story>")]
    assert story.count("<source ") == 2 and '<source n="3">' not in story
    published = excerpts.published(sources[0])
    assert published
    assert user.count(f"Publisher: AI labs\nPublished: {published}") == 3
    # Both sources of the story share its budget; each gives its lead.
    texts = re.findall(r"Text: (.*)", story)
    assert texts[0].startswith("Nvidia said on Tuesday")
    assert texts[1].startswith("Mistral released Codestral 2")
    assert sum(estimate_tokens(t) for t in texts) <= 60
