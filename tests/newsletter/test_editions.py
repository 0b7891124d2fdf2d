"""One daily run with an LLM, read in Korean and in English: the same stories and
citations, each edition in its reader's language."""

import datetime as dt
import html
import re

import pytest
from django.utils import translation

from newsletter import services
from newsletter.drafting import translation as editions
from newsletter.editorial import sections, vocabulary
from newsletter.models import Category, DigestSection, LLMCall
from newsletter.sending import ledger
from tests.newsletter.mail_fixtures import build_digest, reader

# Whole-pipeline: the sample corpus built in two languages: `make test` and CI run it, `make test-fast` does not.
pytestmark = pytest.mark.slow

DAY = dt.date(2026, 8, 22)
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
# Names editors gave the categories in Korean; the English ones are the defaults'.
KOREAN_NAMES = {
    "ai-business": "AI 비즈니스 인사이트",
    "multimodal": "멀티모달",
    "training": "모델 학습 기법",
    "llm": "거대 언어 모델",
    "inference": "추론 가속",
    "policy-safety": "AI 정책과 안전",
    "research": "연구 논문",
    "robotics-agents": "로봇과 에이전트",
}


@pytest.fixture
def corpus(defaults, sample_news):
    """The 2026-08-22 sample corpus as ingested (the small feeds)."""


@pytest.fixture
def two_readers(defaults):
    """A Korean and an English reader with the same categories (all of them), which
    have a name in each language."""
    for slug, name in KOREAN_NAMES.items():
        Category.objects.filter(slug=slug).update(name=name)
    return (
        reader("minji@example.kr", language="ko"),
        reader("bob@example.com", language="en"),
    )


@pytest.fixture
def fresh_renders(monkeypatch):
    monkeypatch.setattr(ledger, "_templates", ledger._Templates())


def _emails(sink, korean, english):
    got = {r.rcpt_tos[0]: r.message for r in sink.received}
    return got[korean.email], got[english.email]


def _html(message) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


def _text(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _tags(body: str, tag: str) -> list[str]:
    found = re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", body, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", h)).split()) for h in found]


def _cited_urls(body: str) -> list[str]:
    return re.findall(r'<a class="cite" href="([^"]+)"', body)


def _briefing_texts(content: sections.SectionContent) -> list[str]:
    return [
        *content.topics,
        *(e.text for e in content.events),
        *(i.text for i in content.impact),
        *content.final_summary,
    ]


def _in_sections(digest, *, language):
    rows = DigestSection.objects.filter(digest=digest).select_related("category")
    return {s.category.slug: sections.read(s, language) for s in rows}


def _llm_rows(purpose):
    return LLMCall.objects.filter(purpose=purpose, cached=False, error="")


def test_one_run_two_languages_same_stories_and_citations(
    corpus, two_readers, fake_llm, sink, fresh_renders
):
    korean, english = two_readers

    digest = services.build_digest(DAY)
    report = services.send_and_record(digest)

    assert report.sent == 2
    ko_mail, en_mail = _emails(sink, korean, english)
    ko_html, en_html = _html(ko_mail), _html(en_mail)
    ko_text, en_text = _text(ko_mail), _text(en_mail)

    # Written once in Korean, translated once into English: one call per section each.
    written = _in_sections(digest, language="ko")
    translated = _in_sections(digest, language="en")
    assert len(written) >= 3
    assert _llm_rows("summarize").count() == len(written)
    assert _llm_rows("translate").count() == len(written)
    assert all(not c.is_excerpts for c in translated.values())

    # The same stories: sections, events and the sources each one cites, in order.
    ko_headings, en_headings = _tags(ko_html, "h2"), _tags(en_html, "h2")
    assert ko_headings[0] == "오늘의 핵심" and en_headings[0] == "Today's highlights"
    assert len(ko_headings[1:]) == len(en_headings[1:]) == len(written)
    assert _cited_urls(ko_html) == _cited_urls(en_html) != []
    sources = re.compile(r"^ \[(\d+)\] .*\((\S+)\)$", re.M)
    assert sources.findall(ko_text) == sources.findall(en_text) != []
    for slug, ko in written.items():
        en = translated[slug]
        assert [e.citations for e in ko.events] == [e.citations for e in en.events]
        assert len(ko.topics) == len(en.topics)
        assert len(ko.final_summary) == len(en.final_summary)

    # Each in its reader's language: the briefing text, the headings, the subject.
    for slug, en in translated.items():
        for text in _briefing_texts(en):
            assert not HANGUL.search(text), (slug, text)
            assert " ".join(text.split()) in " ".join(en_text.split())
        for text in _briefing_texts(written[slug]):
            assert " ".join(text.split()) not in " ".join(en_text.split())
        assert any(HANGUL.search(text) for text in _briefing_texts(written[slug]))
    event = next(iter(written.values())).events[0].text
    assert " ".join(event.split()) in " ".join(ko_text.split())

    assert "August 22, 2026" in en_mail["Subject"]
    assert not HANGUL.search(en_mail["Subject"])
    assert "2026년 8월 22일" in ko_mail["Subject"]
    shown = Category.objects.filter(slug__in=written)
    assert set(_tags(en_html, "h2")[1:]) == {f"{c.emoji} {c.name_en}" for c in shown}
    assert set(_tags(ko_html, "h2")[1:]) == {f"{c.emoji} {c.name}" for c in shown}
    assert all(HANGUL.search(c.name) for c in shown)
    en_alt = html.unescape(re.search(r'<img[^>]+alt="([^"]*)"', en_html).group(1))
    ko_alt = html.unescape(re.search(r'<img[^>]+alt="([^"]*)"', ko_html).group(1))
    assert "Robotics & agents" in en_alt and "로봇과 에이전트" in ko_alt
    en_subheads = set(_tags(en_html, "h3"))
    with translation.override("en"):
        assert f"2. {vocabulary.EVENTS}" in en_subheads
    assert not any(HANGUL.search(h) for h in en_subheads)
    ko_subheads = set(_tags(ko_html, "h3"))
    assert ko_subheads and all(HANGUL.search(h) for h in ko_subheads)
    with translation.override("en"):
        english_frame = [str(w) for w in (vocabulary.EVENTS, vocabulary.UNSUBSCRIBE)]
    assert not [w for w in english_frame if w in ko_text]
    # Neither is the offline edition.
    with translation.override("en"):
        assert str(vocabulary.OFFLINE_NOTE) not in en_text
    with translation.override("ko"):
        assert str(vocabulary.OFFLINE_NOTE) not in ko_text


def test_a_same_day_rebuild_spends_no_tokens_in_either_language(
    corpus, two_readers, fake_llm
):
    digest = services.build_digest(DAY)
    requests = len(fake_llm.requests)
    spent = _llm_rows("summarize").count() + _llm_rows("translate").count()
    english = _in_sections(digest, language="en")

    services.build_digest(DAY)

    assert len(fake_llm.requests) == requests and spent > 0
    new_calls = LLMCall.objects.filter(cached=True)
    assert new_calls.filter(purpose="translate").count() == len(english)
    assert sum(c.prompt_tokens + c.completion_tokens for c in new_calls) == 0
    assert _in_sections(digest, language="en") == english


def test_the_llm_failing_for_english_only_leaves_korean_as_written(
    corpus, two_readers, fake_llm, sink, fresh_renders
):
    real = fake_llm.content

    def refuse_to_translate(body, behaviour, name, schema):
        if name == "TranslatedBriefing":
            return None, "I can't help with that.", "stop"
        return real(body, behaviour, name, schema)

    fake_llm.content = refuse_to_translate
    korean, english = two_readers

    digest = services.build_digest(DAY)
    services.send_and_record(digest)

    written = _in_sections(digest, language="ko")
    translated = _in_sections(digest, language="en")
    assert all(not c.is_excerpts for c in written.values())
    assert all(c.is_excerpts for c in translated.values())
    for section in DigestSection.objects.filter(digest=digest):
        assert section.generated_by == "llm"
        assert sections.written_offline(section, "en")
        assert not sections.written_offline(section, "ko")
    digest.refresh_from_db()
    assert "translation failed" in digest.notes and "(en)" in digest.notes

    ko_mail, en_mail = _emails(sink, korean, english)
    with translation.override("en"):
        offline_en = str(vocabulary.OFFLINE_NOTE)
        excerpts_en = str(vocabulary.EXCERPTS)
    with translation.override("ko"):
        offline_ko = str(vocabulary.OFFLINE_NOTE)
    assert offline_en in _text(en_mail) and excerpts_en in _tags(_html(en_mail), "h3")
    assert offline_ko not in _text(ko_mail)
    event = next(iter(written.values())).events[0].text
    assert " ".join(event.split()) in " ".join(_text(ko_mail).split())


def test_a_translation_that_moves_a_citation_is_refused(corpus, two_readers, fake_llm):
    real = fake_llm.content

    def shuffle_citations(body, behaviour, name, schema):
        content, refusal, finish = real(body, behaviour, name, schema)
        if name == "TranslatedBriefing":
            content = re.sub(
                r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + 1}]", content
            )
        return content, refusal, finish

    fake_llm.content = shuffle_citations

    digest = services.build_digest(DAY)

    translated = _in_sections(digest, language="en")
    assert translated and all(c.is_excerpts for c in translated.values())
    assert _llm_rows("translate").count() == 0
    # Asked once more with a firmer note, then refused again (asking.ask_checked).
    assert LLMCall.objects.filter(
        purpose="translate", error__startswith="rejected: citations changed"
    ).count() == 2 * len(translated)


def test_languages_are_those_of_active_readers_plus_the_default(defaults, settings):
    settings.DIGEST_LANGUAGE = "ko"
    assert editions.edition_languages("ko") == ["ko"]
    reader("paused@example.com", language="en", is_paused=True)
    assert editions.edition_languages("ko") == ["ko"]
    reader("bob@example.com", language="en")
    reader("old@example.com", language="fr")  # reads the default
    assert editions.edition_languages("ko") == ["ko", "en"]
    settings.DIGEST_LANGUAGE = "en"
    assert editions.edition_languages("ko") == ["ko", "en"]


def test_an_edited_section_is_read_as_written_until_translated_again(defaults):
    digest = build_digest(slugs=("llm",), generated_by="llm")
    section = digest.sections.get()
    english = {
        "topics": ["llm topic one", "llm topic two"],
        "events": [{"text": "Something happened [1].", "citations": [1, 2]}],
        "impact": {"economy": "llm economy"},
        "final_summary": ["llm summary"],
    }
    sections.save_translation(section, "en", english, by=sections.TRANSLATED)
    section.save()
    assert sections.read(section, "en").events[0].text == "Something happened [1]. [2]"
    assert sections.read(section, "ko").events[0].text.startswith("llm 사건")

    section.content = {**section.content, "topics": ["편집자가 고친 주제"]}
    section.save()

    assert sections.read(section, "en").topics == ("편집자가 고친 주제",)
    assert not sections.written_offline(section, "en")


def test_a_translation_citing_no_source_is_refused_on_write(defaults):
    digest = build_digest(slugs=("llm",), generated_by="llm")
    section = digest.sections.get()

    result = sections.save_translation(
        section,
        "en",
        {"events": [{"text": "Made up [7].", "citations": [7]}]},
        by=sections.TRANSLATED,
    )

    assert result.removed == 1
    assert sections.read(section, "en").events[0].text == "Made up."
    with pytest.raises(sections.SectionContentError):
        sections.save_translation(section, "en", {"events": 5}, by="llm")


def test_a_malformed_stored_translation_falls_back_to_the_content(defaults):
    digest = build_digest(slugs=("llm",), generated_by="llm")
    section = digest.sections.get()
    section.translations = {
        "en": {"of": sections.fingerprint(section.content), "content": {"events": 5}}
    }
    section.save()

    assert sections.read(section, "en").topics == sections.read(section).topics


def test_an_editors_edit_reaches_english_readers_translated(
    defaults, fake_llm, admin_client
):
    digest = build_digest(slugs=("llm",), generated_by="llm")
    reader("bob@example.com", language="en")
    section = digest.sections.get()
    sources = list(section.sources.all())
    url = f"/admin/newsletter/digestsection/{section.id}/change/"

    response = admin_client.post(
        url,
        {
            "topics": "GPT-5 출시",
            "events": "GPT-5 모델이 나왔다 [2]",
            "economy": "",
            "politics_society": "",
            "science_technology": "",
            "final_summary": "한 줄 요약 [1]",
            "needs_review": "",
            "review_notes": "",
            "sources-TOTAL_FORMS": "2",
            "sources-INITIAL_FORMS": "2",
            "sources-MIN_NUM_FORMS": "0",
            "sources-MAX_NUM_FORMS": "1000",
            "sources-0-id": sources[0].id,
            "sources-0-section": section.id,
            "sources-1-id": sources[1].id,
            "sources-1-section": section.id,
        },
    )

    assert response.status_code == 302
    section.refresh_from_db()
    english = sections.read(section, "en")
    assert [e.text for e in english.events] == ["GPT-5 [2]"]
    assert english.final_summary == ("[1]",)
    assert not sections.written_offline(section, "en")
    assert len(fake_llm.requests_for("TranslatedBriefing")) == 1


def test_each_language_has_its_own_token_budget(
    corpus, two_readers, fake_llm, settings
):
    # Enough for one Korean section or so, and for every English translation of it.
    settings.LLM_TOKEN_BUDGET = 3000

    digest = services.build_digest(DAY)

    rows = list(DigestSection.objects.filter(digest=digest))
    korean_llm = [s for s in rows if s.generated_by == "llm"]
    assert korean_llm and len(korean_llm) < len(rows)
    for section in korean_llm:
        assert not sections.written_offline(section, "en")
        assert not sections.read(section, "en").is_excerpts
    digest.refresh_from_db()
    assert "Token budget of 3000 reached" in digest.notes
    assert "en: token budget" not in digest.notes
