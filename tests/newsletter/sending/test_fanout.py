import dataclasses
import datetime as dt

import pytest
from django.core import mail

from newsletter import services
from newsletter.models import Delivery
from newsletter.sending import ledger, prototype, recipient
from newsletter.sending.rendering import render_digest_email
from subscribers import tokens
from subscribers.links import SubscriberLinks
from tests.newsletter.feedback_fixtures import story_day, vote_links
from tests.newsletter.mail_fixtures import (
    DIGEST_SLUGS,
    build_digest,
    category,
    long_content,
    reader,
)

LINKS = [
    SubscriberLinks(
        preferences_url=f"https://news.example.com/preferences/tok{n}:{'x' * 120}/",
        unsubscribe_url=(
            f"https://news.example.com/unsubscribe/tok{n}:{'y' * 120}/?a=1&b={n}"
        ),
        one_click_url=f"https://news.example.com/unsubscribe/tok{n}/one-click/",
    )
    for n in range(3)
]


def _flatten(raw: bytes) -> list[tuple]:
    """Every part as (content type, params but boundary, headers, decoded payload)."""
    result = []
    for part in prototype.parse(raw).walk():
        params = (
            {k: v for k, v in part["Content-Type"].params.items() if k != "boundary"}
            if part["Content-Type"]
            else {}
        )
        headers = sorted(
            (name.lower(), str(value))
            for name, value in part.items()
            if name.lower() != "content-type"
        )
        payload = None if part.is_multipart() else part.get_payload(decode=True)
        result.append((part.get_content_type(), params, headers, payload))
    return result


def _slow_and_fast(rendered, n: int):
    template = prototype.GroupTemplate(rendered)
    to = f"reader{n}@example.com"
    message_id = f"<digest.20260822.{n}@localhost>"
    date = "Sat, 22 Aug 2026 07:00:00 -0000"
    slow = recipient.build_digest_message(
        rendered, to=to, links=LINKS[n], message_id=message_id, date=date
    )
    fast = template.message(to=to, links=LINKS[n], message_id=message_id, date=date)
    return slow.message().as_bytes(), fast.message().as_bytes()


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("hosted", [False, True])
def test_fast_path_messages_parse_back_identical_to_the_slow_path(
    defaults, settings, language, hosted
):
    settings.EMAIL_CHART_HOSTED = hosted
    digest = build_digest(slugs=("llm", "multimodal", "training"), language=language)
    for categories in (
        None,
        [category("llm")],
        [category("multimodal"), category("training")],
    ):
        rendered = render_digest_email(digest, categories=categories)
        for n in range(3):
            slow, fast = _slow_and_fast(rendered, n)
            assert _flatten(fast) == _flatten(slow)
            assert max(len(line) for line in fast.split(b"\n")) < 998


def test_fast_path_holds_for_the_largest_shortened_profile(defaults):
    slugs = DIGEST_SLUGS
    digest = build_digest(slugs=slugs, content=long_content, sources_per_section=12)
    rendered = render_digest_email(digest, categories=None)
    assert rendered.shortened
    slow, fast = _slow_and_fast(rendered, 1)
    flat = _flatten(fast)
    assert flat == _flatten(slow)
    assert [part[0] for part in flat] == [
        "multipart/related",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "image/png",
    ]


def test_fast_path_stamps_each_readers_vote_links_as_the_slow_path_does(defaults):
    digest, stories = story_day(
        dt.date(2026, 8, 22),
        [
            ("알파 소식", "https://alpha.example/1", 2.0),
            ("베타", "https://b.example/1", 1.0),
        ],
    )
    rendered = render_digest_email(digest, categories=None)
    for n in range(2):
        links = dataclasses.replace(
            LINKS[n], feedback_token=tokens.make_token(f"key{n}", tokens.FEEDBACK)
        )
        template = prototype.GroupTemplate(rendered)
        args = {
            "to": "r@example.com",
            "links": links,
            "message_id": "<m@x>",
            "date": "x",
        }
        fast = template.message(**args).message().as_bytes()
        slow = recipient.build_digest_message(rendered, **args).message().as_bytes()
        assert _flatten(fast) == _flatten(slow)
        assert max(len(line) for line in fast.split(b"\n")) < 998
        html = [p for p in _flatten(fast) if p[0] == "text/html"][0][3].decode()
        assert set(vote_links(html)) == {
            (story.id, vote) for story in stories for vote in ("up", "down")
        }
        assert links.feedback_token in html
        # The web link is this reader's own page, in both parts.
        text = [p for p in _flatten(fast) if p[0] == "text/plain"][0][3].decode()
        page = f"/digests/2026-08-22/reader/{links.feedback_token}/?lang=ko"
        assert page in html and page in text


def test_quoted_printable_parts_refuse_the_fast_path(defaults):
    rendered = render_digest_email(build_digest(slugs=("llm",)), categories=None)
    long_line = dataclasses.replace(rendered, text=rendered.text + "가" * 400 + "\n")
    with pytest.raises(prototype.FastPathUnavailable):
        prototype.GroupTemplate(long_line)


def test_non_ascii_address_falls_back_to_the_slow_path(defaults):
    rendered = render_digest_email(build_digest(slugs=("llm",)), categories=None)
    with pytest.raises(prototype.FastPathUnavailable):
        prototype.GroupTemplate(rendered).message(
            to="독자@example.com", links=LINKS[0], message_id="<m@localhost>"
        )


def test_esp_batch_send_chunks_at_the_batch_size_and_merges_links(defaults, settings):
    settings.ESP = "mailgun"
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.EMAIL_BATCH_SIZE = 2
    readers = [reader(f"llm{n}@example.com", "llm") for n in range(3)]
    readers.append(reader("all@example.com"))
    digest = build_digest(slugs=("llm", "multimodal"))
    mail.outbox = []
    report = services.send_and_record(digest)

    assert report.sent == 4
    calls = mail.outbox
    assert all(len(call.to) <= 2 for call in calls)
    assert sorted(addr for call in calls for addr in call.to) == sorted(
        r.email for r in readers
    )
    for call in calls:
        params = call.anymail_test_params
        html = call.alternatives[0][0]
        assert (
            "%recipient.unsubscribe_url%" in html
            and "%recipient.preferences_url%" in call.body
        )
        assert set(params["merge_data"]) == set(call.to)
        for address in call.to:
            assert params["merge_headers"][address]["List-Unsubscribe"].startswith(
                "<http"
            )
        assert (
            params["extra_headers"]["List-Unsubscribe-Post"]
            == "List-Unsubscribe=One-Click"
        )
        assert params["is_batch_send"]
        assert params["attachments"][0].inline and params["attachments"][0].cid
        multimodal_in_email = "🌞 Multimodal" in html
        assert multimodal_in_email == ("all@example.com" in call.to)
    rows = Delivery.objects.all()
    assert {row.status for row in rows} == {Delivery.Status.SENT}
    assert all(row.esp_message_id != "" for row in rows)


def test_esp_batch_merges_each_readers_vote_links(defaults, settings):
    settings.ESP = "mailgun"
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    readers = [reader(f"llm{n}@example.com", "llm") for n in range(2)]
    digest, stories = story_day(
        dt.date(2026, 8, 22), [("알파 소식", "https://alpha.example/1", 2.0)]
    )
    mail.outbox = []
    assert services.send_and_record(digest).sent == 2

    (call,) = mail.outbox
    html = call.alternatives[0][0]
    field = f"vote_{stories[0].id}_down"
    assert f"%recipient.{field}%" in html
    merged = call.anymail_test_params["merge_data"]
    links = {merged[r.email][field] for r in readers}
    assert len(links) == 2
    assert all("/feedback/" in link and link.endswith("/down/") for link in links)
    # The text part's one link per story is merged per reader too.
    ask = f"vote_{stories[0].id}_ask"
    assert f"%recipient.{ask}%" in call.body
    assert all(merged[r.email][ask].endswith("/ask/") for r in readers)


def test_fan_out_renders_each_category_set_once(defaults, settings, monkeypatch):
    from newsletter.sending import rendering

    compiled = []
    real_compile = rendering._compile
    monkeypatch.setattr(
        rendering, "_compile", lambda source: compiled.append(1) or real_compile(source)
    )
    settings.EMAIL_BACKEND = "newsletter.sending.file_backend.EmlFileBackend"
    for n in range(6):
        reader(f"llm{n}@example.com", "llm")
        reader(f"both{n}@example.com", "llm", "multimodal")
    digest = build_digest(slugs=("llm", "multimodal"))
    assert services.send_and_record(digest).sent == 12
    assert len(compiled) == 2
    assert len(list(settings.EMAIL_FILE_PATH.glob("*.eml"))) == 12


def test_an_overlong_link_falls_back_to_the_slow_path(defaults):
    rendered = render_digest_email(build_digest(slugs=("llm",)), categories=None)
    links = dataclasses.replace(LINKS[0], preferences_url="https://x.test/" + "p" * 600)
    with pytest.raises(prototype.FastPathUnavailable):
        prototype.GroupTemplate(rendered).message(
            to="a@example.com", links=links, message_id="<m@localhost>"
        )
    slow = (
        recipient.build_digest_message(
            rendered, to="a@example.com", links=links, message_id="<m@localhost>"
        )
        .message()
        .as_bytes()
    )
    assert max(len(line) for line in slow.split(b"\n")) <= 998


def test_brevo_batch_reaches_a_real_http_server_with_each_readers_links(
    defaults, settings
):
    """anymail's real Brevo backend, posting to a fake Brevo API on 127.0.0.1."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    posted = []

    class FakeBrevo(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            posted.append(body)
            ids = [
                f"<brevo-{n}@relay.example>"
                for n in range(len(body["messageVersions"]))
            ]
            answer = json.dumps({"messageIds": ids}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBrevo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.ESP = "brevo"
        settings.EMAIL_BACKEND = "anymail.backends.brevo.EmailBackend"
        settings.ANYMAIL = {
            "BREVO_API_KEY": "test-key",
            "BREVO_API_URL": f"http://127.0.0.1:{server.server_port}/v3/",
        }
        readers = [reader(f"br{n}@example.com", "llm") for n in range(3)]
        digest = build_digest(slugs=("llm",))
        assert services.send_and_record(digest).sent == 3
    finally:
        server.shutdown()

    assert len(posted) == 1  # one API call for the whole category set
    payload = posted[0]
    assert "{{ params.preferences_url }}" in payload["htmlContent"]
    assert "{{ params.unsubscribe_url }}" in payload["textContent"]
    # Brevo refuses inline images: the chart is the hosted one, nothing attached.
    assert (
        'src="http://127.0.0.1:8000/digests/2026-08-22/chart.png?lang=ko"'
        in payload["htmlContent"]
    )
    assert "attachment" not in payload
    assert payload["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    versions = {v["to"][0]["email"]: v for v in payload["messageVersions"]}
    assert set(versions) == {r.email for r in readers}
    for subscriber in readers:
        version = versions[subscriber.email]
        owner = subscriber.token_key
        token = version["params"]["preferences_url"].rstrip("/").rsplit("/", 1)[1]
        assert tokens.read_token(token, tokens.PREFERENCES).key == owner
        token = version["params"]["unsubscribe_url"].rstrip("/").rsplit("/", 1)[1]
        assert tokens.read_token(token, tokens.UNSUBSCRIBE).key == owner
        assert version["headers"]["List-Unsubscribe"].endswith(
            "/one-click/>, <mailto:digest@localhost?subject=unsubscribe>"
        )
    rows = Delivery.objects.filter(digest=digest)
    assert {row.status for row in rows} == {Delivery.Status.SENT}
    assert {row.esp_message_id for row in rows} == {
        f"<brevo-{n}@relay.example>" for n in range(3)
    }


def test_an_edit_between_chunks_reaches_the_next_chunk(defaults, settings):
    from celery import current_app

    from newsletter.models import Category

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reader("first@example.com", "llm")
    reader("second@example.com", "llm")
    digest = build_digest(slugs=("llm",))
    # Queued, not sent: the rows are created and each chunk is sent by hand below.
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        services.send_and_record(digest)
    finally:
        current_app.conf.task_always_eager = eager
    first, second = Delivery.objects.order_by("subscriber__email")
    mail.outbox = []

    ledger.send_deliveries([first.id])
    section = digest.sections.get()
    section.content = {**section.content, "topics": ["편집자가 고친 주제"]}
    section.save()
    Category.objects.filter(slug="llm").update(emoji="🧪")
    ledger.send_deliveries([second.id])

    before, after = (m.alternatives[0][0] for m in mail.outbox)
    assert "편집자가 고친 주제" not in before and "🧪" not in before
    assert "편집자가 고친 주제" in after and "🧪" in after
