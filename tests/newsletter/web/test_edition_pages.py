"""The archive, its feeds and the export exist per language, naming each other."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from newsletter import export
from newsletter.editorial import sections
from newsletter.models import Category, Digest
from tests.newsletter.mail_fixtures import build_digest

ATOM = {"a": "http://www.w3.org/2005/Atom"}
PAGE = "/digests/2026-08-22/"
ENGLISH = {
    "topics": ["llm topic one", "llm topic two"],
    "events": [{"text": "An llm event happened [1].", "citations": [1, 2]}],
    "impact": {
        "economy": "llm economy impact",
        "politics_society": "llm society impact",
        "science_technology": "llm technology impact",
    },
    "final_summary": ["llm final summary"],
}


@pytest.fixture
def sent_digest(defaults):
    """A sent digest written in Korean with its English translation; the category
    has a name in each language."""
    Category.objects.filter(slug="llm").update(name="거대 언어 모델", name_en="LLM")
    digest = build_digest(slugs=("llm",), generated_by="llm")
    Digest.objects.filter(id=digest.id).update(
        status=Digest.Status.SENT, chart_png=b"\x89PNG fake"
    )
    section = digest.sections.get()
    sections.save_translation(section, "en", ENGLISH, by=sections.TRANSLATED)
    section.save()
    digest.refresh_from_db()
    return digest


def _alternates(page: str) -> dict[str, str]:
    return dict(
        re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page)
    )


def test_the_digest_page_in_each_language_names_the_other(client, sent_digest):
    english = client.get(PAGE + "?lang=en").content.decode()
    korean = client.get(PAGE + "?lang=ko").content.decode()

    assert "An llm event happened" in english and "llm 사건이 있었다" not in english
    assert "🧠 LLM</h2>" in english and "거대 언어 모델" not in english
    assert "llm 사건이 있었다" in korean and "An llm event happened" not in korean
    assert "🧠 거대 언어 모델</h2>" in korean
    expected = {
        "ko": f"http://testserver{PAGE}?lang=ko",
        "en": f"http://testserver{PAGE}?lang=en",
        "x-default": f"http://testserver{PAGE}",
    }
    assert _alternates(english) == _alternates(korean) == expected
    # Without ?lang= the page follows the browser, and still names both.
    browser_english = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "An llm event happened" in browser_english
    assert _alternates(browser_english) == expected


def test_the_archive_offers_both_editions_and_their_feeds(client, sent_digest):
    page = client.get(reverse("newsletter:archive") + "?lang=en").content.decode()

    assert _alternates(page)["ko"] == "http://testserver/archive/?lang=ko"
    for code in ("ko", "en"):
        assert f'href="/archive/?lang={code}" hreflang="{code}"' in page
        assert f'href="/archive/feed/?lang={code}" hreflang="{code}"' in page
        assert f'href="/archive/rss/?lang={code}" hreflang="{code}"' in page
        assert f'type="application/atom+xml" hreflang="{code}"' in page, (
            f"no <head> link to the {code} feed"
        )
    # Its digests open in the archive's language, with English category names.
    assert f'href="{PAGE}?lang=en"' in page
    assert "🧠 LLM" in page and "거대 언어 모델" not in page


def test_the_atom_feed_per_language(client, sent_digest):
    english = ET.fromstring(client.get("/archive/feed/?lang=en").content)
    korean = ET.fromstring(client.get("/archive/feed/?lang=ko").content)

    assert english.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    alternates = {
        link.get("hreflang"): link.get("href")
        for link in english.findall("a:link[@hreflang]", ATOM)
    }
    assert alternates == {
        "ko": "http://testserver/archive/feed/?lang=ko",
        "en": "http://testserver/archive/feed/?lang=en",
    }
    entry = english.find("a:entry", ATOM)
    assert entry.find("a:link", ATOM).get("href").endswith(f"{PAGE}?lang=en")
    assert "LLM: llm topic one; llm topic two" in entry.find("a:summary", ATOM).text
    ko_entry = korean.find("a:entry", ATOM)
    assert "거대 언어 모델: llm 주제 하나" in ko_entry.find("a:summary", ATOM).text
    assert entry.find("a:id", ATOM).text != ko_entry.find("a:id", ATOM).text


def test_the_rss_feed_per_language(client, sent_digest):
    root = ET.fromstring(client.get("/archive/rss/?lang=en").content)

    assert root.find("channel/language").text == "en"
    links = root.findall("channel/{http://www.w3.org/2005/Atom}link[@hreflang]")
    assert {link.get("hreflang") for link in links} == {"ko", "en"}
    assert all(link.get("type") == "application/rss+xml" for link in links)
    assert "LLM: llm topic one" in root.find("channel/item/description").text


def _shape(text: str) -> list[str]:
    """The report's structure: headings, numbered parts, sources; texts blanked."""
    shape = []
    for line in text.splitlines():
        if line.startswith("## "):
            shape.append("## heading")
        elif re.match(r"^\d\. \*\*", line):
            shape.append(line[:2])
        elif line.startswith("   - "):
            shape.append("   - item")
        elif line.startswith(" - "):
            shape.append(line)  # sources are the same in every language
        elif line.startswith("**"):
            shape.append("**label**")
        elif line.startswith("*") and line.endswith("*"):
            shape.append("*caption*")  # the chart's caption, in each language
        else:
            shape.append(line)
    return shape


def test_the_export_writes_the_english_report_beside_the_korean_one(
    sent_digest, tmp_path
):
    path = export.export_digest(sent_digest, tmp_path)

    folder = tmp_path / "2026-08-22"
    assert path == folder / "News_2026-08-22_report.md"
    english = (folder / "News_2026-08-22_report.en.md").read_text(encoding="utf-8")
    korean = path.read_text(encoding="utf-8")
    assert korean.splitlines()[0].endswith("(news_2026-08-22.png)")
    assert english.splitlines()[0] == (
        "# Daily Artificial Intelligence Insights : News"
        "![Category Distribution Graph](news_2026-08-22.en.png)"
    )
    assert (folder / "news_2026-08-22.en.png").read_bytes().startswith(b"\x89PNG")
    assert _shape(english)[1:] == _shape(korean)[1:]
    assert "## 🧠 LLM" in english and "## 🧠 거대 언어 모델" in korean
    for line in (
        "1. **Main topics**:",
        "   - An llm event happened [1]. [2]",
        "   - **Economy**: llm economy impact",
        "**Sources:**",
    ):
        assert line in english.splitlines()
    assert "1. **주요 주제**:" in korean and "llm 사건이 있었다" in korean


def test_editors_enter_the_english_name_and_description_in_the_admin(
    admin_client, defaults
):
    category = Category.objects.get(slug="llm")
    url = reverse("admin:newsletter_category_change", args=[category.id])
    form = admin_client.get(url).content.decode()
    assert 'name="name_en"' in form and 'name="description_en"' in form

    data = {
        "slug": "llm",
        "edition": category.edition,
        "name": "거대 언어 모델",
        "name_en": "Large language models",
        "emoji": category.emoji,
        "description": "언어 모델",
        "description_en": "Language models",
        "keywords": category.keywords,
        "position": category.position,
        "color": category.color,
        "is_active": "on",
        "in_digest": "on",
    }
    response = admin_client.post(url, data)

    assert response.status_code == 302
    category.refresh_from_db()
    assert category.display_name("en") == "Large language models"
    assert category.display_name("ko") == "거대 언어 모델"
    assert category.display_description("en") == "Language models"
