"""Both languages are the editors': the desk edits a section's English beside its
Korean; a Korean edit translates the English again with an LLM, or keeps it (marked
older) without one; an editor's English is never written over."""

import pytest
from django.urls import reverse
from django.utils import timezone

from newsletter import services
from newsletter.desk import preview
from newsletter.drafting import translation
from newsletter.editorial import sections
from newsletter.models import Digest, DigestEvent
from newsletter.services import bilingual
from tests.newsletter.mail_fixtures import build_digest, reader

REVIEWED_ENGLISH = {
    "topics": ["Reviewed English topic"],
    "events": [{"text": "A reviewed English event [1].", "citations": [1]}],
    "impact": {},
    "final_summary": ["A reviewed English summary."],
}


@pytest.fixture(autouse=True)
def english_admin(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def section(defaults):
    """Today's LLM section, read by one English reader, with a reviewed English
    translation."""
    digest = build_digest(slugs=("llm",), generated_by="llm", day=timezone.localdate())
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.READY)
    reader("bob@example.com", language="en")
    section = digest.sections.get()
    sections.save_translation(section, "en", REVIEWED_ENGLISH, by=sections.TRANSLATED)
    section.save()
    return section


def edit_korean(client, section, topics="편집자가 고친 주제"):
    prefix = f"section-{section.id}"
    return client.post(
        reverse(
            "admin:newsletter_digest_edit_section",
            args=[section.digest_id, section.id],
        ),
        {
            f"{prefix}-topics": topics,
            f"{prefix}-events": "편집한 사건 [1]",
            f"{prefix}-final_summary": "편집한 요약",
        },
    )


def edit_english(client, section, topics="The editor's English topic"):
    prefix = f"section-{section.id}-en"
    return client.post(
        reverse(
            "admin:newsletter_digest_edit_translation",
            args=[section.digest_id, section.id, "en"],
        ),
        {
            f"{prefix}-topics": topics,
            f"{prefix}-events": "The editor's English event [2]",
            f"{prefix}-final_summary": "The editor's English summary.",
        },
    )


def page_of(client, section) -> str:
    url = reverse("admin:newsletter_digest_change", args=[section.digest_id])
    return client.get(url).content.decode()


def english_email(section) -> str:
    return preview.preview(section.digest, preview.Reader(language="en")).html


def test_the_page_edits_english_beside_korean(admin_client, section):
    page = page_of(admin_client, section)

    assert "Edit the English version" in page
    assert "Reviewed English topic" in page  # the English form's initial text
    assert "translated by the LLM" in page

    response = edit_english(admin_client, section)

    assert response.status_code == 302
    section.refresh_from_db()
    english = sections.read(section, "en")
    assert english.topics == ("The editor's English topic",)
    assert sections.read(section).topics[0] == "llm 주제 하나"  # Korean untouched
    event = DigestEvent.objects.get()
    assert (event.action, event.detail) == (
        "edited_translation",
        f"{section.category} (en)",
    )
    assert "The editor&#x27;s English topic" in english_email(section)


def test_without_an_llm_a_korean_edit_keeps_the_english_marked_older(
    admin_client, section, offline
):
    edit_korean(admin_client, section)

    section.refresh_from_db()
    assert sections.read(section).topics == ("편집자가 고친 주제",)
    # English readers keep the reviewed English, not the Korean edit word for word.
    assert sections.read(section, "en").topics == ("Reviewed English topic",)
    assert "편집자가 고친 주제" not in english_email(section)
    assert bilingual.language_state(section, "en").is_stale
    assert "older than the text above" in page_of(admin_client, section)

    # Until the editor saves the English: then it is current again.
    edit_english(admin_client, section)
    section.refresh_from_db()
    assert not bilingual.language_state(section, "en").is_stale
    assert sections.read(section, "en").topics == ("The editor's English topic",)


def test_with_an_llm_a_korean_edit_translates_the_english_again(
    admin_client, section, fake_llm
):
    edit_korean(admin_client, section, topics="관련 동향")

    section.refresh_from_db()
    state = bilingual.language_state(section, "en")
    assert state.by == sections.TRANSLATED and not state.is_stale
    assert sections.read(section, "en").topics == ("developments",)
    assert len(fake_llm.requests_for("TranslatedBriefing")) == 1


def test_an_editors_english_is_never_written_over(admin_client, section, fake_llm):
    edit_english(admin_client, section)
    edit_korean(admin_client, section)
    services.regenerate_section(section.id)

    section.refresh_from_db()
    assert sections.read(section, "en").topics == ("The editor's English topic",)
    assert bilingual.language_state(section, "en").is_stale
    assert fake_llm.requests_for("TranslatedBriefing") == []
    page = page_of(admin_client, section)
    assert "edited by an editor" in page and "older than the text above" in page


def test_a_rebuilds_translation_keeps_the_editors_english(admin_client, section):
    edit_english(admin_client, section)

    with bilingual.editor_translations_kept(section.digest):
        translation.translate_digest(section.digest)

    section.refresh_from_db()
    assert sections.read(section, "en").topics == ("The editor's English topic",)


def test_an_english_edit_citing_no_source_is_refused(admin_client, section):
    prefix = f"section-{section.id}-en"
    response = admin_client.post(
        reverse(
            "admin:newsletter_digest_edit_translation",
            args=[section.digest_id, section.id, "en"],
        ),
        {f"{prefix}-topics": "Topic", f"{prefix}-events": "Made up [9]"},
    )

    assert response.status_code == 200
    assert "[9] is not a source of this section" in response.content.decode()
    section.refresh_from_db()
    assert sections.read(section, "en").topics == ("Reviewed English topic",)
