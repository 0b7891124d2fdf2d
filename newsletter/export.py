"""The Markdown + PNG export, in the shape of the report script we grew out of.

DIR/YYYY-MM-DD/News_YYYY-MM-DD_report.md beside news_YYYY-MM-DD.png. The first line,
the `## <emoji> <name>` headings, the four numbered parts and the ` - <title> (<url>)`
source lines are what downstream readers of the old script parse: keep them exact.
"""

import re
from pathlib import Path

from newsletter.labels import IMPACT_KEYS, briefing_labels
from newsletter.models import Digest, DigestSection

CITATION = re.compile(r"\[(\d+)\]")

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
        lines += _section_lines(section, labels)
    return "\n".join(lines).rstrip("\n") + "\n"


def _section_lines(section: DigestSection, labels: dict[str, str]) -> list[str]:
    content = section.content or {}
    impact = content.get("impact") or {}
    lines = [f"## {section.category.emoji} {section.category.name}", ""]
    if section.generated_by == DigestSection.GeneratedBy.OFFLINE:
        lines += [f"_{labels['offline']}_", ""]
    lines += [f"**{labels['summary']}:**", "", f"1. **{labels['topics']}**:"]
    lines += [f"   - {_one_line(t)}" for t in content.get("topics", [])]
    lines += ["   ", f"2. **{labels['events']}**:"]
    for event in content.get("events", []):
        text = _one_line(event.get("text", ""))
        # Markers usually sit inline where the claim is; add only the ones that don't.
        inline = {int(n) for n in CITATION.findall(text)}
        marks = "".join(f"[{n}]" for n in event.get("citations", []) if n not in inline)
        lines.append(f"   - {text} {marks}".rstrip())
    lines += ["   ", f"3. **{labels['impact']}**:"]
    for key in IMPACT_KEYS:
        lines.append(f"   - **{labels[key]}**: {_one_line(impact.get(key, ''))}")
    lines += ["   ", f"4. **{labels['final_summary']}**:"]
    lines += [f"   - {_one_line(t)}" for t in content.get("final_summary", [])]
    lines += ["", f"**{labels['sources']}:**", ""]
    for source in section.sources.all():
        lines.append(f" - {_one_line(source.article.title)} ({source.article.url})")
    lines += ["", "", ""]
    return lines


def export_digest(digest: Digest, out_dir: str | Path) -> Path:
    """Write the report and its chart; returns the Markdown path. Overwrites in place."""
    md_name, png_name = file_names(digest)
    folder = Path(out_dir) / f"{digest.date:%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / png_name).write_bytes(bytes(digest.chart_png or b""))
    path = folder / md_name
    path.write_text(render_markdown(digest), encoding="utf-8")
    return path
