"""The Markdown + PNG export, in the shape of the report script we grew out of.

DIR/YYYY-MM-DD/News_YYYY-MM-DD_report.md beside news_YYYY-MM-DD.png. The first line,
the `## <emoji> <name>` headings, the four numbered parts and the ` - <title> (<url>)`
source lines are what downstream readers of the old script parse: keep them exact.
"""

import logging
import re
from pathlib import Path

from newsletter import sections
from newsletter.labels import briefing_labels
from newsletter.models import Digest, DigestSection
from newsletter.sections import SectionContent, SectionContentError

logger = logging.getLogger(__name__)

EDITION_TITLES = {
    Digest.Edition.NEWS: ("News", "news"),
    Digest.Edition.PAPERS: ("Papers", "paper"),
}


def _one_line(text: str) -> str:
    # Model and article text must not break the Markdown structure (headings, lists).
    return re.sub(r"\s+", " ", str(text)).strip()


def file_names(digest: Digest) -> tuple[str, str]:
    title, prefix = EDITION_TITLES[digest.edition]
    day = f"{digest.date:%Y-%m-%d}"
    return f"{title}_{day}_report.md", f"{prefix}_{day}.png"


def render_markdown(digest: Digest) -> str:
    labels = briefing_labels(digest.language)
    title, _ = EDITION_TITLES[digest.edition]
    _, png_name = file_names(digest)
    lines = [
        f"# Daily Artificial Intelligence Insights : {title}![Category Distribution Graph]({png_name})",
        "",
    ]
    sections = digest.sections.select_related("category").prefetch_related(
        "sources__article"
    )
    for section in sections:
        lines += _section_lines(section, labels, digest.language)
    return "\n".join(lines).rstrip("\n") + "\n"


def _section_lines(
    section: DigestSection, labels: dict[str, str], language: str
) -> list[str]:
    lines = [f"## {section.category.emoji} {section.category.name}", ""]
    if section.generated_by == DigestSection.GeneratedBy.OFFLINE:
        lines += [f"_{labels['offline']}_", ""]
    try:
        content = sections.read(section)
    except SectionContentError as exc:
        # One bad section must not stop the report: print its sources, say why.
        logger.error("Section %s: stored content is malformed: %s", section.id, exc)
        content = None
    if content is not None and content.is_excerpts:
        lines += _excerpt_parts(content, labels, language)
    elif content is not None:
        lines += _briefing_parts(content, labels)
    lines += [f"**{labels['sources']}:**", ""]
    for source in section.sources.all():
        lines.append(f" - {_one_line(source.article.title)} ({source.article.url})")
    lines += ["", "", ""]
    return lines


def _briefing_parts(content: SectionContent, labels: dict[str, str]) -> list[str]:
    lines = [f"**{labels['summary']}:**", "", f"1. **{labels['topics']}**:"]
    lines += [f"   - {t}" for t in content.topics]
    lines += ["   ", f"2. **{labels['events']}**:"]
    lines += [f"   - {e.text}" for e in content.events]
    lines += ["   ", f"3. **{labels['impact']}**:"]
    lines += [f"   - **{labels[i.area]}**: {i.text}" for i in content.impact]
    lines += ["   ", f"4. **{labels['final_summary']}**:"]
    lines += [f"   - {t}" for t in content.final_summary]
    return lines + [""]


def _excerpt_parts(
    content: SectionContent, labels: dict[str, str], language: str
) -> list[str]:
    """The parts an excerpts section fills, numbered like a briefing's."""
    parts = [
        (
            labels["excerpts"],
            [sections.excerpt_line(e, language=language) for e in content.excerpts],
        ),
        (labels["key_figures"], [k.text for k in content.key_figures]),
        (labels["impact"], [f"**{labels[i.area]}**: {i.text}" for i in content.impact]),
    ]
    lines = [f"**{labels['summary']}:**", ""]
    number = 0
    for heading, items in parts:
        if not items:
            continue
        number += 1
        if number > 1:
            lines.append("   ")
        lines.append(f"{number}. **{heading}**:")
        lines += [f"   - {_one_line(item)}" for item in items]
    return lines + [""]


def export_digest(digest: Digest, out_dir: str | Path) -> Path:
    """Write the report and its chart; returns the Markdown path. Overwrites in place."""
    md_name, png_name = file_names(digest)
    folder = Path(out_dir) / f"{digest.date:%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / png_name).write_bytes(bytes(digest.chart_png or b""))
    path = folder / md_name
    path.write_text(render_markdown(digest), encoding="utf-8")
    return path
