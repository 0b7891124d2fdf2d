"""The desk speaks the editor's language.

A staff member whose browser asks for Korean walks every admin page of our three apps
(each list, add and change page) and the desk's own pages (front page, review desk,
send confirmation, CSV import steps): each page names its model in Korean, and none
of the English words we own is left on it. The list of those words is built from
the code itself (app, model and field names, help texts, choices, admin actions,
columns, filters, fieldsets, form labels, the desk templates' messages), read with
English active, so a string added without a translation fails here. The same walk
with an English browser shows English and no Korean.

Rows (article titles, names, stored notes) are data, not the desk's words: the walk
reads the page's own text and skips the cells, read-only values and text areas that
show them.
"""

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import SimpleListFilter
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import capfirst

from ingestion.models import Article, Paper, Source
from newsletter.desk import forms as desk_forms
from newsletter.desk.admin import StoryForm
from newsletter.models import Category, Delivery, Digest, LLMCall, Story
from subscribers import import_runs
from subscribers.admin import SubscriberAddForm
from subscribers.admin_import import ImportForm
from subscribers.models import (
    DeletedDeliveryCount,
    Subscriber,
    SubscriberEmail,
    SubscriberImport,
    TrackingEvent,
)
from tests.factories import ArticleFactory, DigestFactory, make_section

OUR_APPS = ("ingestion", "newsletter", "subscribers")
FORMS = [
    desk_forms.DigestSectionForm,
    desk_forms.TestSendForm,
    desk_forms.SendTimeForm,
    StoryForm,
    SubscriberAddForm,
    ImportForm,
]
DESK_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "admin"
# A template's message with no placeholder: {% translate "…" %} or a
# {% blocktranslate trimmed %}…{% endblocktranslate %} without variables.
TRANSLATE_TAG = re.compile(r"""{%\s*translate\s+(["'])(.+?)\1\s*%}""")
BLOCK_TAG = re.compile(
    r"{%\s*blocktranslate trimmed\s*%}(.+?){%\s*endblocktranslate", re.S
)
HANGUL = re.compile(r"[\uac00-\ud7a3]+")
# Korean an English page shows on purpose: the language's own name, and the import
# page's examples of what a Korean tool's export says.
KOREAN_BY_DESIGN = [
    "한국어",
    "이메일",
    "이름",
    "상태",
    "언어",
    "카테고리",
    "구독중",
    "수신거부",
    "구독취소",
    "구독",
    "탈퇴",
]


def ui_words() -> list:
    """Every lazy message of the desk: what the admin shows of our apps."""
    words = []
    for config_label in OUR_APPS:
        words.append(apps.get_app_config(config_label).verbose_name)
    for model, model_admin in our_admins():
        meta = model._meta
        words += [meta.verbose_name, meta.verbose_name_plural]
        for field in meta.get_fields():
            if not hasattr(field, "verbose_name"):
                continue  # a reverse relation: named on the other side
            words += [field.verbose_name, field.help_text]
            words += [label for _, label in field.flatchoices or ()]
        words += admin_words(type(model_admin))
    for form in FORMS:
        for field in form.declared_fields.values():
            words += [field.label, field.help_text]
    return [w for w in words if w]


def admin_words(admin_class) -> list:
    """Action descriptions, column titles, filter titles and fieldset names."""
    words = []
    for name in dir(admin_class):
        described = getattr(getattr(admin_class, name), "short_description", None)
        if described:
            words.append(described)
    for item in admin_class.list_filter:
        if isinstance(item, type) and issubclass(item, SimpleListFilter):
            words.append(item.title)
            words += [label for _, label in item(None, {}, None, None).lookup_choices]
    words += [title for title, _ in admin_class.fieldsets or () if title]
    return words


def template_messages() -> list[str]:
    """The desk templates' own messages that take no placeholder."""
    found = []
    for path in DESK_TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found += [m.group(2) for m in TRANSLATE_TAG.finditer(text)]
        found += [
            " ".join(m.group(1).split())
            for m in BLOCK_TAG.finditer(text)
            if "{{" not in m.group(1)
        ]
    return found


def our_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS
    ]


def phrases() -> list[tuple[str, str]]:
    """(English, Korean) of each message: every one must read differently in Korean,
    so a message left untranslated stays on the list and fails the Korean walk.
    Plain strings (ETag, URL, PDF) are names in every language and left out, and so
    is English a Korean translation quotes on purpose (a header name in brackets)."""
    pairs = set()
    for word in ui_words():
        if not isinstance(word, Promise):
            continue
        with translation.override("en"):
            english = str(word)
        with translation.override("ko"):
            korean = str(word)
        pairs.add((english, korean))
    for message in template_messages():
        with translation.override("ko"):
            pairs.add((message, translation.gettext(message)))
    quoted = " ".join(korean for english, korean in pairs if korean != english)
    return sorted(
        (en, ko) for en, ko in pairs if en.strip() and (en == ko or en not in quoted)
    )


class PageText(HTMLParser):
    """The text a page shows, less the rows' own values."""

    SKIPPED = {"script", "style", "textarea"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping: tuple[str, int] | None = None  # (tag, depth)

    def handle_starttag(self, tag, attrs):
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping = (tag, self.skipping[1] + 1)
            return
        classes = (dict(attrs).get("class") or "").split()
        data_cell = tag in {"td", "th"} and any(c.startswith("field-") for c in classes)
        value = tag == "div" and "readonly" in classes
        # Other apps' entries in the app lists: their words, not ours.
        other_app = tag != "body" and any(
            c.startswith("app-") and c[4:] not in OUR_APPS for c in classes
        )
        if tag in self.SKIPPED or data_cell or value or other_app:
            self.skipping = (tag, 1)

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping[0]:
            depth = self.skipping[1] - 1
            self.skipping = (tag, depth) if depth else None

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return " ".join(" ".join(parser.parts).split())


def english_left(text: str, english: str) -> bool:
    forms = {english, capfirst(english)}
    return any(
        re.search(rf"(?<![A-Za-z]){re.escape(form)}(?![A-Za-z])", text)
        for form in forms
    )


@pytest.fixture
def desk(db, admin_user):
    """One row behind every admin of our apps, with values that are no UI word in
    either language, and the pages to walk."""
    source = Source.objects.create(
        name="Kestrel", url="https://kestrel.example/feed.xml", consecutive_failures=2
    )
    category = Category.objects.create(
        slug="kestrel-k2", name="K2", name_en="K2", emoji="🧪", description="K2"
    )
    article = ArticleFactory(source=source, category=category, title="Kestrel K2")
    Paper.objects.create(
        article=ArticleFactory(source=source, title="K2: a study"),
        arxiv_id="2608.00001",
        announce_type=Paper.AnnounceType.NEW,
        abstract_url="https://arxiv.org/abs/2608.00001",
        pdf_url="https://arxiv.org/pdf/2608.00001",
    )
    digest = DigestFactory(
        date=timezone.localdate(), language="en", status=Digest.Status.APPROVED
    )
    make_section(
        digest,
        category,
        [article],
        content={
            "topics": ["Kestrel K2"],
            "events": [{"text": "Kestrel shipped K2 [1]", "citations": [1]}],
            "impact": {},
            "final_summary": ["K2 shipped [1]"],
        },
        needs_review=True,
        review_notes="K2?",
    )
    story = Story.objects.create(digest=digest, category=category, title="Kestrel K2")
    story.articles.add(article)
    subscriber = Subscriber.objects.create(email="kestrel@example.com", status="active")
    Delivery.objects.create(digest=digest, subscriber=subscriber)
    DeletedDeliveryCount.objects.create(digest=digest, status="sent", count=2)
    TrackingEvent.objects.create(event_id="esp:1", event_type="hard")
    SubscriberEmail.objects.create(subscriber=subscriber, kind="confirm")
    LLMCall.objects.create(purpose="summarize", model="k2", cache_key="k" * 64)
    SubscriberImport.objects.create(
        file_name="k2.csv",
        status=SubscriberImport.Status.PREVIEWED,
        total_rows=1,
        processed_rows=1,
        preview={
            "rows": 1,
            **dict.fromkeys(["created", "updated", "unchanged", "held", "rejected"], 0),
            "pending": 1,
            "lines": [[2, "k2@example.com", "created", ""]],
        },
    )
    mapping = import_runs.create_import(
        b"mail,who\nk2@example.com,K2\n", file_name="k2.csv", user=admin_user
    )
    assert {m for m, _ in our_admins()} >= {
        Source,
        Article,
        Category,
        Digest,
        Story,
        Subscriber,
        SubscriberImport,
    }
    return {
        "digest": digest,
        "pages": [
            (reverse("admin:index"), None),
            (reverse("admin:newsletter_digest_send", args=[digest.id]), Digest),
            (reverse("admin:subscribers_subscriber_import"), Subscriber),
            (
                reverse(
                    "admin:subscribers_subscriber_import_columns", args=[mapping.id]
                ),
                Subscriber,
            ),
        ],
    }


def walk(client, desk) -> list[tuple[str, str, str]]:
    """(url, the model's name the page must show, the page's own text) for every
    page of our apps' admin and the desk's own pages, as the client's language."""
    request = RequestFactory().get("/")
    request.user = desk["user"]
    pages = []
    for model, model_admin in our_admins():
        meta = model._meta
        name = f"admin:{meta.app_label}_{meta.model_name}"
        pages.append((reverse(f"{name}_changelist"), meta.verbose_name_plural))
        if model_admin.has_add_permission(request):
            pages.append((reverse(f"{name}_add"), meta.verbose_name))
        row = model_admin.get_queryset(request).first()
        assert row is not None, f"no {meta.model_name} row to open"
        pages.append((reverse(f"{name}_change", args=[row.pk]), meta.verbose_name))
    pages += [
        (url, model._meta.verbose_name_plural if model else None)
        for url, model in desk["pages"]
    ]
    seen = []
    for url, name in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        with translation.override(response.wsgi_request.LANGUAGE_CODE):
            expected = str(name) if name is not None else ""
        seen.append((url, expected, PageText.of(response.content.decode())))
    return seen


@pytest.fixture
def staff_client(client, admin_user, desk):
    client.force_login(admin_user)
    desk["user"] = admin_user
    return client


def test_a_korean_editor_reads_the_whole_desk_in_korean(staff_client, desk):
    staff_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko-KR,ko;q=0.9,en;q=0.5"
    words = phrases()
    assert len(words) > 300  # the list is the code's, not a handful typed here

    left = {}
    for url, name, text in walk(staff_client, desk):
        assert name.lower() in text.lower(), f"{url} does not name {name}"
        english = [en for en, _ in words if english_left(text, en)]
        if english:
            left[url] = english
    assert left == {}, "\n".join(f"{url}: {words}" for url, words in left.items())


def test_an_english_editor_reads_it_in_english(staff_client, desk):
    staff_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    for url, name, text in walk(staff_client, desk):
        assert name.lower() in text.lower(), f"{url} does not name {name}"
        for word in KOREAN_BY_DESIGN:
            text = text.replace(word, "")
        assert HANGUL.findall(text) == [], url


def test_every_desk_page_names_the_product_in_the_editors_language(staff_client):
    for language, header in (
        ("ko", "Daily AI Insights 데스크"),
        ("en", "Daily AI Insights desk"),
    ):
        staff_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        page = staff_client.get("/admin/").content.decode()
        assert f'<a href="/admin/">{header}</a>' in page
        assert "<title>" in page and header in page.split("</title>")[0]
        assert "Django" not in page.split("<body", 1)[1]


def test_the_korean_model_names_are_the_desks_vocabulary():
    """One word per thing, as the emails and the front page already say it."""
    with translation.override("ko"):
        names = {
            model._meta.model_name: str(model._meta.verbose_name_plural)
            for model, _ in our_admins()
        }
    assert names["digest"] == "다이제스트"
    assert names["subscriber"] == "구독자"
    assert names["source"] == "소스"
    assert names["category"] == "카테고리"
    assert names["delivery"] == "발송"
    assert names["article"] == "기사"


def test_a_korean_editor_reads_what_an_action_did_in_korean(staff_client, desk):
    staff_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"
    subscriber = Subscriber.objects.get(email="kestrel@example.com")

    response = staff_client.post(
        reverse("admin:subscribers_subscriber_changelist"),
        {"action": "unsubscribe_selected", "_selected_action": [subscriber.id]},
        follow=True,
    )

    page = PageText.of(response.content.decode())
    assert "구독자 1명의 구독을 해지했습니다." in page
    assert "선택한 구독자 구독 해지" in page  # the action, as the menu offers it
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_a_sent_digest_opens_under_a_korean_title(client, admin_user):
    # Django's own Korean titles a read-only page "뷰 다이제스트"; the desk says
    # what the page is for.
    from newsletter.models import Digest

    digest = Digest.objects.create(date=dt.date(2026, 8, 22), status=Digest.Status.SENT)
    client.force_login(admin_user)
    page = client.get(
        f"/admin/newsletter/digest/{digest.pk}/change/",
        HTTP_ACCEPT_LANGUAGE="ko",
    ).content.decode()
    assert "<h1>다이제스트 보기</h1>" in page
    assert "뷰 다이제스트" not in page
