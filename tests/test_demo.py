"""The first README command, end to end, in a subprocess on the embedded default."""

import email
import email.policy
import os
import re
import sqlite3
from pathlib import Path

import pytest

from newsletter.defaults import DEFAULT_CATEGORIES, PAPERS_CATEGORIES
from tests import deployment

# The demo command end to end: `make test` and CI run it, `make test-fast` does not.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DAY = "2026-08-22"
HEADINGS = {
    f"{c['emoji']} {c['name']}": c["slug"]
    for c in DEFAULT_CATEGORIES + PAPERS_CATEGORIES
    if c.get("in_digest", True)
}
PAPERS = {c["slug"] for c in PAPERS_CATEGORIES}
CHOICES = {
    "alice@example.com": None,  # all categories, News and Papers
    "bob@example.com": {"llm", "inference", "research"},
    "minji@example.kr": {"ai-business", "policy-safety"},
    "carol@example.org": {
        "multimodal",
        "robotics-agents",
        "training",
        "papers-multimodal",
    },
    "dana@example.org": {"papers-llm", "papers-nlp", "papers-alignment"},
}


def _run(var_dir: Path, *args: str) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DATABASE_URL", "CELERY_", "OPENAI_", "EMAIL_", "ESP", "DJANGO_")
        )
    }
    env["VAR_DIR"] = str(var_dir)
    result = deployment.manage(env, *args, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("demo") / "var"
    _run(var_dir, "migrate", "--noinput", "-v", "0")
    first = _run(var_dir, "demo", "--date", DAY)
    outbox_after_first = sorted((var_dir / "outbox").glob("*.eml"))
    second = _run(var_dir, "demo", "--date", DAY)
    return var_dir, first, second, outbox_after_first


def _parts(path: Path):
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    return message, text, html, images


def test_demo_sends_each_subscriber_only_their_categories(demo):
    var_dir, first, _, outbox = demo
    db = sqlite3.connect(var_dir / "db.sqlite3")
    with_sections = {
        slug
        for (slug,) in db.execute(
            "select c.slug from newsletter_digestsection s join newsletter_category c "
            "on c.id = s.category_id join newsletter_digest d on d.id = s.digest_id "
            "where d.date = ?",
            (DAY,),
        )
    }
    assert len(with_sections) >= 4
    recipients = {}
    for path in outbox:
        message, text, html, images = _parts(path)
        recipients[message["To"]] = message
        headings = {
            HEADINGS[line.strip()]
            for line in text.splitlines()
            if line.strip() in HEADINGS
        }
        wanted = CHOICES[message["To"]]
        expected = with_sections if wanted is None else with_sections & wanted
        assert headings == expected, message["To"]
        assert "others" not in headings
        # One email a day: News first, then the Papers chosen, each with its chart.
        editions = {bool(slug in PAPERS) for slug in headings}
        assert len(images) == len(editions)
        if len(editions) == 2:
            last_news = max(
                text.index(h) for h in HEADINGS if HEADINGS[h] in headings - PAPERS
            )
            first_paper = min(
                text.index(h) for h in HEADINGS if HEADINGS[h] in headings & PAPERS
            )
            assert last_news < first_paper
        cid = images[0]["Content-ID"].strip("<>")
        assert f"cid:{cid}" in html
        alt = re.search(r'<img[^>]+alt="([^"]+)"[^>]+src="cid:', html) or re.search(
            r'<img[^>]+src="cid:[^"]+"[^>]+alt="([^"]+)"', html
        )
        assert alt and re.search(r"\d", alt.group(1))
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert (
            "LLM" in text
        )  # the offline banner says the digest was written without one
    expected_recipients = {
        addr
        for addr, wanted in CHOICES.items()
        if wanted is None or wanted & with_sections
    }
    assert set(recipients) == expected_recipients


def test_demo_rerun_sends_nothing_twice(demo):
    var_dir, _, second, outbox = demo
    assert sorted((var_dir / "outbox").glob("*.eml")) == outbox
    db = sqlite3.connect(var_dir / "db.sqlite3")
    (digests,) = db.execute("select count(*) from newsletter_digest").fetchone()
    (sent,) = db.execute(
        "select count(*) from newsletter_delivery where status='sent'"
    ).fetchone()
    assert digests == 2  # News and Papers
    assert sent == len(outbox)
    assert "0 sent" not in second.split("deliveries:")[1].splitlines()[0] or sent == 0


def test_demo_writes_the_markdown_report_and_chart(demo):
    var_dir, first, _, _ = demo
    folder = var_dir / "digests" / DAY
    report = (folder / f"News_{DAY}_report.md").read_text(encoding="utf-8")
    png = (folder / f"news_{DAY}.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert report.splitlines()[0] == (
        f"# Daily Artificial Intelligence Insights : News![Category Distribution Graph](news_{DAY}.png)"
    )
    headings = re.findall(r"^## (.+)$", report, re.M)
    assert headings and all(h in HEADINGS for h in headings)
    # Offline: quotes are no summary, so the parts carry the email's own headings.
    assert "**요약:**" not in report
    assert report.count("**출처:**") == len(headings)
    # A story none of whose pages says anything quotable is told by its source line;
    # its title is never repeated as a quote.
    assert 0 < report.count("**기사 발췌:**") <= len(headings)
    titles = set(re.findall(r"^ - \[\d+\] (.+) \(https?://[^ ]+\)$", report, re.M))
    quotes = re.findall(r"^   - [^:\n]+\): (.+?)(?: \[\d+\])+$", report, re.M)
    assert quotes and not titles & set(quotes)
    # Sources numbered as the text cites them: "[4]" can be looked up.
    assert re.search(r"^ - \[\d+\] .+ \(https?://[^ ]+\)$", report, re.M)
    assert str(folder / f"News_{DAY}_report.md") in first
    papers = (folder / f"Papers_{DAY}_report.md").read_text(encoding="utf-8")
    assert papers.splitlines()[0] == (
        "# Daily Artificial Intelligence Insights : Papers"
        f"![Category Distribution Graph](paper_{DAY}.png)"
    )
    assert (folder / f"paper_{DAY}.png").read_bytes().startswith(b"\x89PNG")


def test_demo_stores_rows_browsable_in_the_admin(demo):
    var_dir, first, _, _ = demo
    db = sqlite3.connect(var_dir / "db.sqlite3")
    count = lambda table: db.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: E731
    assert count("ingestion_article") >= 30
    assert count("subscribers_subscriber") == 5
    assert count("newsletter_digestsection") >= 4
    assert (
        db.execute("select count(*) from auth_user where is_superuser").fetchone()[0]
        == 1
    )
    assert re.search(r"user admin, password \S+", first)
    # Korean input went through the same path.
    assert (
        db.execute(
            "select count(*) from ingestion_article where language='ko'"
        ).fetchone()[0]
        >= 3
    )


def test_demo_prints_each_readers_edition_in_their_language(demo):
    _, first, _, outbox = demo
    editions = re.findall(r"^    (ko|en)  (\S+@\S+)\s+(\S+\.eml)$", first, re.M)
    assert {language for language, _, _ in editions} == {"ko", "en"}
    for language, address, path in editions:
        message, text, html, _ = _parts(Path(path))
        assert message["To"] == address
        assert Path(path) in outbox
        assert f'<html lang="{language}"' in html
        date = "August 22, 2026" if language == "en" else "2026년 8월 22일"
        assert date in message["Subject"]


def test_demo_prints_where_each_language_edition_is(demo):
    _, first, _, _ = demo
    places = dict(re.findall(r"^    (ko|en)  web (\S+)$", first, re.M))
    assert places == {
        "ko": "http://127.0.0.1:8000/digests/2026-08-22/?lang=ko",
        "en": "http://127.0.0.1:8000/digests/2026-08-22/?lang=en",
    }
    reports = re.findall(r"^        report (\S+)$", first, re.M)
    assert [Path(r).name for r in reports] == [
        "News_2026-08-22_report.md",
        "News_2026-08-22_report.en.md",
    ]
    english = Path(reports[1]).read_text(encoding="utf-8")
    assert "**Excerpts from the sources:**" in english
    assert "**Sources:**" in english
