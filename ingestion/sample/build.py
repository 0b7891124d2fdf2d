"""Build the offline sample corpus in ingestion/sample/data/ (run once, commit it).

    .venv/bin/python -m ingestion.sample.build /path/to/corpus/feeds/ai-labs

For every snapshot directory of real RSS feeds it writes the feed with each item's
<link> pointing at a page on the local sample server, and one HTML page per item made
from the item's full content, whose <link rel="canonical"> names the item's real URL.
The Korean feed of korean.json (our own writing) joins every snapshot from the day
its items appear.
Everything is stored gzip-compressed; the server sends it as it is.
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import html
import json
import shutil
from datetime import UTC
from pathlib import Path

import nh3
from lxml import etree

from ingestion.sample import BASE_PLACEHOLDER, DATA_DIR, FEEDS

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
KOREAN_FEED = Path(__file__).resolve().parent / "korean.json"
PAGE_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}


def page_id(url: str, body: str) -> str:
    return hashlib.sha256(f"{url}\n{body}".encode()).hexdigest()[:20]


def render_page(
    *,
    url: str,
    title: str,
    body_html: str,
    language: str,
    published: str,
    author: str,
    site: str,
) -> str:
    body_html = nh3.clean(body_html, tags=PAGE_TAGS, attributes={"a": {"href"}})
    iso = ""
    if published:
        parsed = email.utils.parsedate_to_datetime(published)
        iso = parsed.astimezone(UTC).isoformat()
    esc = html.escape
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<title>{esc(title)} | {esc(site)}</title>
<link rel="canonical" href="{esc(url)}">
<meta property="og:title" content="{esc(title)}">
<meta property="og:url" content="{esc(url)}">
<meta property="og:site_name" content="{esc(site)}">
{f'<meta property="article:published_time" content="{iso}">' if iso else ""}
{f'<meta name="author" content="{esc(author)}">' if author else ""}
</head>
<body>
<header><nav><a href="/">{esc(site)}</a> · <a href="/news">News</a> ·
<a href="/research">Research</a> · <a href="/about">About</a></nav></header>
<main>
<article>
<h1>{esc(title)}</h1>
{f'<p class="byline">{esc(author)}</p>' if author else ""}
{f'<time datetime="{iso}">{esc(published)}</time>' if iso else ""}
<div class="article-body">
{body_html}
</div>
</article>
</main>
<footer><p>Sample copy served offline for the Daily AI Insights demo.
Original: <a href="{esc(url)}">{esc(url)}</a></p></footer>
</body>
</html>
"""


def rewrite_feed(
    xml: bytes, *, site: str, language: str, pages: dict[str, bytes]
) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, strip_cdata=False, no_network=True)
    root = etree.fromstring(xml, parser)
    for item in root.iter("item"):
        link = item.find("link")
        if link is None or not (link.text or "").strip():
            continue
        real_url = link.text.strip()
        title = (item.findtext("title") or "").strip()
        body = (
            item.findtext(f"{{{CONTENT_NS}}}encoded")
            or item.findtext("description")
            or ""
        )
        author = item.findtext(f"{{{DC_NS}}}creator") or ""
        published = item.findtext("pubDate") or ""
        key = page_id(real_url, body)
        pages.setdefault(
            key,
            render_page(
                url=real_url,
                title=title,
                body_html=body,
                language=language,
                published=published,
                author=author,
                site=site,
            ).encode(),
        )
        link.text = f"{BASE_PLACEHOLDER}/pages/{key}.html"
        guid = item.find("guid")
        if guid is None:
            guid = etree.SubElement(item, "guid")
        guid.text = real_url
        guid.set("isPermaLink", "false")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def korean_feed(snapshot: str, pages: dict[str, bytes]) -> bytes:
    spec = json.loads(KOREAN_FEED.read_text())
    items = []
    for item in spec["items"]:
        if item["first_snapshot"] > snapshot:
            continue
        real_url = f"{spec['link']}news/{item['slug']}"
        paragraphs = item["paragraphs"]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        items.append(
            f"<item><title>{html.escape(item['title'])}</title>"
            f"<link>{html.escape(real_url)}</link>"
            f"<description>{html.escape(paragraphs[0])}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded>"
            f"<pubDate>{item['published']}</pubDate>"
            f"<guid>{html.escape(real_url)}</guid></item>"
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{html.escape(spec['title'])}</title>"
        f"<link>{spec['link']}</link><description>인공지능 소식 요약</description>"
        f"<language>ko</language>{''.join(reversed(items))}</channel></rss>"
    ).encode()
    return rewrite_feed(xml, site=spec["title"], language="ko", pages=pages)


def build(source_dir: Path, out_dir: Path = DATA_DIR) -> dict[str, int]:
    for generated in ("feeds", "pages"):
        shutil.rmtree(out_dir / generated, ignore_errors=True)
    (out_dir / "pages").mkdir(parents=True)
    pages: dict[str, bytes] = {}
    manifest: dict[str, list[str]] = {}
    for snapshot_dir in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        snapshot = snapshot_dir.name
        target = out_dir / "feeds" / snapshot
        target.mkdir(parents=True)
        manifest[snapshot] = []
        for feed in FEEDS:
            if feed.file == "korean":
                data = korean_feed(snapshot, pages)
            else:
                data = rewrite_feed(
                    (snapshot_dir / f"{feed.file}.xml").read_bytes(),
                    site=feed.name,
                    language=feed.language,
                    pages=pages,
                )
            (target / f"{feed.file}.xml.gz").write_bytes(gzip.compress(data, mtime=0))
            manifest[snapshot].append(feed.file)
    for key, page in pages.items():
        (out_dir / "pages" / f"{key}.html.gz").write_bytes(gzip.compress(page, mtime=0))
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return {"snapshots": len(manifest), "pages": len(pages)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "source", type=Path, help="directory holding one folder per snapshot"
    )
    args = parser.parse_args()
    print(build(args.source))


if __name__ == "__main__":
    main()
