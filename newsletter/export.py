"""The Markdown + PNG export, in the shape of the report script we grew out of.

DIR/YYYY-MM-DD/News_YYYY-MM-DD_report.md beside news_YYYY-MM-DD.png. The first line,
the `## <emoji> <name>` headings, the four numbered parts and the ` - [n] <title> (<url>)`
source lines (numbered as the text cites them) are what downstream readers of the old
script parse: keep them exact. A section written offline is no summary: its parts
carry the headings the email gives them (excerpts, key figures, impact; a Papers
section's contributions, each paper's title in bold), never "Summary".

That report is in the digest's language. Each other site language gets the same
report beside it, its code before the extension (News_YYYY-MM-DD_report.en.md with
news_YYYY-MM-DD.en.png): the same structure, its words, category names, section text
(``sections.read``) and chart in that language.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.utils import translation

from newsletter import chart
from newsletter import markdown_escape as md
from newsletter.drafting import papers
from newsletter.editorial import sections as section_content
from newsletter.editorial import vocabulary as words
from newsletter.editorial.sections import Cited, SectionContent, SectionContentError
from newsletter.models import Digest, DigestSection

logger = logging.getLogger(__name__)

EDITION_TITLES = {
    Digest.Edition.NEWS: ("News", "news"),
    Digest.Edition.PAPERS: ("Papers", "paper"),
    Digest.Edition.WEEKLY: ("Weekly", "weekly"),
}


def _one_line(text: str) -> str:
    # Feed and model text must neither break the structure (headings, lists) nor
    # become links, images or HTML: one line, escaped (`markdown_escape`).
    return md.text(text)


def _source_line(title: str, url: str, number: int) -> str:
    """A numbered source, so a "[4]" in the text can be looked up; the link only
    when it is http(s)."""
    shown = md.link(url)
    line = f" - [{number}] {_one_line(title)}"
    return f"{line} ({shown})" if shown else line


def file_names(digest: Digest, language: str | None = None) -> tuple[str, str]:
    """(report, chart) file names; a language other than the digest's is marked."""
    title, prefix = EDITION_TITLES[digest.edition]
    day = f"{digest.date:%Y-%m-%d}"
    mark = "" if language in (None, digest.language) else f".{language}"
    return f"{title}_{day}_report{mark}.md", f"{prefix}_{day}{mark}.png"


def other_languages(digest: Digest) -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != digest.language]


def render_markdown(digest: Digest, language: str | None = None) -> str:
    """The report in ``language`` (None: the digest's): its fixed words
    (``vocabulary``), category names and section text."""
    language = language or digest.language
    title, _ = EDITION_TITLES[digest.edition]
    _, png_name = file_names(digest, language)
    lines = [
        f"# Daily Artificial Intelligence Insights : {title}![Category Distribution Graph]({png_name})",
        "",
    ]
    # The chart shows the AI categories; its caption counts what it left out.
    caption = chart.left_out_caption(digest, language)
    if caption:
        lines += [f"*{caption}*", ""]
    sections = digest.sections.select_related("category").prefetch_related(
        "sources__article"
    )
    with translation.override(language):
        for section in sections:
            lines += _section_lines(section, language)
    return "\n".join(lines).rstrip("\n") + "\n"


def _section_lines(section: DigestSection, language: str) -> list[str]:
    name = section.category.display_name(language)
    lines = [f"## {section.category.emoji} {name}", ""]
    try:
        content = section_content.read(section, language)
    except SectionContentError as exc:
        # One bad section must not stop the report: print its sources, say why.
        logger.error("Section %s: stored content is malformed: %s", section.id, exc)
        content = None
    if section_content.written_offline(section, language):
        is_papers = content is not None and content.is_papers
        lines += [
            f"_{words.PAPERS_OFFLINE_NOTE if is_papers else words.OFFLINE_NOTE}_",
            "",
        ]
    if content is not None and content.is_papers:
        lines += _papers_parts(content, shown=len(section.sources.all()))
    elif content is not None and content.is_excerpts:
        lines += _excerpt_parts(content)
    elif content is not None:
        lines += _briefing_parts(content)
    lines += [f"**{words.SOURCES}:**", ""]
    titled = content is not None and content.is_papers and content.extracted
    for source in section.sources.all():
        # Numbered as the text cites them, so "[4]" can be looked up; a paper whose
        # line carries its title is named by its arXiv id (each title once).
        name = (
            papers.paper_label(source.article.url) if titled else source.article.title
        )
        lines.append(_source_line(name, source.article.url, source.number))
    lines += ["", "", ""]
    return lines


def _impact_lines(content: SectionContent) -> list[str]:
    return [
        f"**{words.impact_label(i.area)}**: {_one_line(i.text)}" for i in content.impact
    ]


def _briefing_parts(content: SectionContent) -> list[str]:
    lines = [f"**{words.SUMMARY}:**", "", f"1. **{words.TOPICS}**:"]
    lines += [f"   - {_one_line(t)}" for t in content.topics]
    lines += ["   ", f"2. **{words.EVENTS}**:"]
    lines += [f"   - {_one_line(e.text)}" for e in content.events]
    lines += ["   ", f"3. **{words.IMPACT}**:"]
    lines += [f"   - {line}" for line in _impact_lines(content)]
    lines += ["   ", f"4. **{words.FINAL_SUMMARY}**:"]
    lines += [f"   - {_one_line(t)}" for t in content.final_summary]
    return lines + [""]


def _excerpt_parts(content: SectionContent) -> list[str]:
    """The parts an excerpts section fills, each under the heading the email gives
    it: quotes are no summary, so none is called one."""
    parts = [
        (
            words.EXCERPTS,
            [_one_line(section_content.excerpt_line(e)) for e in content.excerpts],
        ),
        (words.KEY_FIGURES, [_one_line(k.text) for k in content.key_figures]),
        (words.IMPACT, _impact_lines(content)),
    ]
    lines = []
    for heading, items in parts:  # each item already escaped, once
        if items:
            lines += [f"**{heading}:**", ""]
            lines += [f"   - {item}" for item in items]
            lines.append("")
    return lines


def _papers_parts(content: SectionContent, *, shown: int) -> list[str]:
    """The Papers report's five numbered parts; offline, the one part it fills."""
    if content.extracted:
        # As the email shows it: the title in bold, then its sentence; no "summary".
        lines = [f"**{words.PAPER_CONTRIBUTIONS}:**", ""]
        lines += [f"   - {_paper_line(p)}" for p in content.papers]
        lines.append("")
        return lines + _more_papers(content, shown=shown)
    else:
        parts = [
            (words.PAPER_TOPICS, content.topics),
            (words.PAPER_TRENDS, content.trends),
            (words.PAPER_KEY_POINTS, [p.text for p in content.papers]),
            (words.PAPER_FIELDS, content.fields),
            (words.PAPER_OUTLOOK, content.outlook),
        ]
    lines = [f"**{words.SUMMARY}:**", ""]
    for number, (heading, items) in enumerate(parts, start=1):
        lines.append(f"{number}. **{heading}:**")
        lines += [f"   - {_one_line(item)}" for item in items]
        lines.append("")
    return lines + _more_papers(content, shown=shown)


def _paper_line(paper: Cited) -> str:
    text = _one_line(paper.text)
    return f"**{_one_line(paper.title)}** {text}" if paper.title else text


def _more_papers(content: SectionContent, *, shown: int) -> list[str]:
    more = content.more_papers(shown)
    return [f"_{words.more_papers(more)}_", ""] if more else []


def export_digest(digest: Digest, out_dir: str | Path) -> Path:
    """Write the report and its chart in every language; returns the path of the
    digest language's report. Overwrites in place."""
    folder = Path(out_dir) / f"{digest.date:%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    path = _write(digest, folder, digest.language, bytes(digest.chart_png or b""))
    for language in other_languages(digest):
        png = chart.digest_chart_png(digest, language) if digest.chart_png else b""
        _write(digest, folder, language, png)
    return path


def _write(digest: Digest, folder: Path, language: str, png: bytes) -> Path:
    md_name, png_name = file_names(digest, language)
    (folder / png_name).write_bytes(png)
    path = folder / md_name
    path.write_text(render_markdown(digest, language), encoding="utf-8")
    return path
