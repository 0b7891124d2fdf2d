"""The editor's form for one section: plain text fields instead of raw JSON.

The fields hold a section of either kind; what is saved goes through
``sections.save_content``, the same check the summarizers' output passes.
"""

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from newsletter.desk import test_sends
from newsletter.editorial import sections, vocabulary
from newsletter.editorial.sections import SectionContentError
from newsletter.models import DigestSection

# The fields of each kind, beside review_notes and needs_review.
BRIEFING_FIELDS = [
    "topics",
    "events",
    "economy",
    "politics_society",
    "science_technology",
    "final_summary",
]
EXCERPT_FIELDS = [
    "topics",
    "excerpts",
    "key_figures",
    "economy",
    "politics_society",
    "science_technology",
]

PAPER_FIELDS = ["topics", "trends", "papers", "fields", "outlook"]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _textarea(label, rows: int, help_text="") -> forms.CharField:
    # Labelled with the headings readers see in the email, in the editor's language.
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        required=False,
        help_text=help_text,
    )


def _excerpt_line(excerpt: sections.Excerpt) -> str:
    published = excerpt.published.isoformat() if excerpt.published else ""
    return " | ".join([excerpt.publisher, published, excerpt.text])


def _excerpt(line: str) -> dict:
    publisher, published, text = (["", ""] + line.split(" | ", 2))[-3:]
    return {
        "text": text,
        "publisher": publisher.strip(),
        "published": published.strip(),
        "citations": sections.citations_in(text),
    }


def _paper_line(paper: sections.Cited) -> str:
    return f"{paper.title} | {paper.text}" if paper.title else paper.text


def _paper(line: str) -> dict:
    """A Papers line as an editor writes it: "title | text [1]", or the text alone."""
    title, text = (["", *line.split(" | ", 1)])[-2:]
    item = {"text": text, "citations": sections.citations_in(text)}
    return {"title": title.strip(), **item} if title.strip() else item


class DigestSectionForm(forms.ModelForm):
    topics = _textarea(vocabulary.TOPICS, 4, _("One topic per line."))
    events = _textarea(
        vocabulary.EVENTS, 6, _("One event per line; cite sources as [1], [2] …")
    )
    excerpts = _textarea(
        vocabulary.EXCERPTS,
        8,
        _("One excerpt per line: publisher | YYYY-MM-DD | text with [1] …"),
    )
    key_figures = _textarea(
        vocabulary.KEY_FIGURES, 4, _("One figure per line, cited as [1] …")
    )
    economy = _textarea(vocabulary.IMPACT_AREAS["economy"], 2)
    politics_society = _textarea(vocabulary.IMPACT_AREAS["politics_society"], 2)
    science_technology = _textarea(vocabulary.IMPACT_AREAS["science_technology"], 2)
    final_summary = _textarea(vocabulary.FINAL_SUMMARY, 4, _("One sentence per line."))
    # A Papers section (sections.PAPERS); "topics" is shared.
    trends = _textarea(vocabulary.PAPER_TRENDS, 3, _("One keyword or trend per line."))
    papers = _textarea(
        vocabulary.PAPER_KEY_POINTS,
        6,
        _("One line per paper, cited as [1] …; a title before it as: title | text"),
    )
    fields = _textarea(vocabulary.PAPER_FIELDS, 3, _("One field per line."))
    outlook = _textarea(vocabulary.PAPER_OUTLOOK, 3, _("One sentence per line."))

    class Meta:
        model = DigestSection
        fields = ["needs_review", "review_notes"]

    # None: the section as written, in its digest's language.
    language: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Malformed stored content: the admin says so; the fields start empty.
        self.content_error: str = ""
        try:
            content = sections.read(self.instance, self.language)
        except SectionContentError as exc:
            self.content_error = str(exc)
            content = sections.SectionContent(kind=sections.BRIEFING)
        self.kind = content.kind
        # Which sources tell which story is the build's, not a field: kept as it is.
        self.stories = [
            {"id": story.id, "citations": list(story.citations)}
            | (
                {"follow_up": True, "new_facts": list(story.new_facts)}
                if story.follow_up
                else {}
            )
            for story in content.stories
        ]
        impact = {i.area: i.text for i in content.impact}
        self.initial.update(
            topics="\n".join(content.topics),
            events="\n".join(e.text for e in content.events),
            excerpts="\n".join(_excerpt_line(e) for e in content.excerpts),
            key_figures="\n".join(k.text for k in content.key_figures),
            economy=impact.get("economy", ""),
            politics_society=impact.get("politics_society", ""),
            science_technology=impact.get("science_technology", ""),
            final_summary="\n".join(content.final_summary),
            trends="\n".join(content.trends),
            papers="\n".join(_paper_line(p) for p in content.papers),
            fields="\n".join(content.fields),
            outlook="\n".join(content.outlook),
        )
        self.papers_meta = {"extracted": content.extracted, "total": content.total}

    def _content(self) -> dict:
        content = self._fields_content()
        if self.stories:
            content["stories"] = self.stories
        return content

    def _fields_content(self) -> dict:
        data = self.cleaned_data
        impact = {area: data.get(area, "") for area in sections.IMPACT_AREAS}
        if self.kind == sections.PAPERS:
            return {
                "kind": sections.PAPERS,
                **self.papers_meta,
                "topics": _lines(data.get("topics", "")),
                "trends": _lines(data.get("trends", "")),
                "papers": [_paper(line) for line in _lines(data.get("papers", ""))],
                "fields": _lines(data.get("fields", "")),
                "outlook": _lines(data.get("outlook", "")),
            }
        if self.kind == sections.EXCERPTS:
            return {
                "kind": sections.EXCERPTS,
                "topics": _lines(data.get("topics", "")),
                "excerpts": [_excerpt(x) for x in _lines(data.get("excerpts", ""))],
                "key_figures": [
                    {"text": line, "citations": sections.citations_in(line)}
                    for line in _lines(data.get("key_figures", ""))
                ],
                "impact": impact,
            }
        return {
            "topics": _lines(data.get("topics", "")),
            # Markers stay inline, where the editor put them; the list mirrors them.
            "events": [
                {"text": line, "citations": sections.citations_in(line)}
                for line in _lines(data.get("events", ""))
            ],
            "impact": impact,
            "final_summary": _lines(data.get("final_summary", "")),
        }

    def clean(self):
        cleaned = super().clean()
        valid = (
            sorted(self.instance.sources.values_list("number", flat=True))
            if self.instance.pk
            else []
        )
        try:
            result = sections.normalise(self._content(), source_numbers=valid)
        except SectionContentError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if result.dropped:
            unknown = sorted({str(n) for n in result.dropped})
            raise forms.ValidationError(
                gettext(
                    "[%(unknown)s] is not a source of this section (sources: "
                    "%(sources)s)."
                )
                % {
                    "unknown": ", ".join(unknown),
                    "sources": ", ".join(map(str, valid)) or gettext("none"),
                }
            )
        self.content = result.content
        return cleaned

    def save(self, commit: bool = True) -> DigestSection:
        """The form only validates: ``services.edit_section`` writes the section.
        The admin asks for the unsaved instance (``commit=False``) and saves it
        through the service in ``save_model``."""
        if commit:
            raise NotImplementedError("saved by services.edit_section")
        return super().save(commit=False)


class SectionTranslationForm(DigestSectionForm):
    """The section in one of its digest's other languages, edited by an editor; the
    view saves it with ``bilingual.save_editor_translation``."""

    class Meta:
        model = DigestSection
        fields: list[str] = []

    def __init__(self, *args, language: str, **kwargs):
        self.language = language
        super().__init__(*args, **kwargs)

    def save(self, commit: bool = True) -> DigestSection:
        raise NotImplementedError("saved by bilingual.save_editor_translation")


class TestSendForm(forms.Form):
    """Up to five more addresses for a test, one per line or separated by commas."""

    addresses = forms.CharField(
        required=False,
        label=_("Also send to"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "desk@example.org"}),
        help_text=_("Up to five addresses, one per line or separated by commas."),
    )

    def clean_addresses(self) -> list[str]:
        raw = self.cleaned_data.get("addresses", "")
        addresses = [a for a in raw.replace(",", " ").split() if a]
        wrong = []
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                wrong.append(address)
        if wrong:
            raise forms.ValidationError(
                _("Not an email address: %(wrong)s.") % {"wrong": ", ".join(wrong)}
            )
        unique = list({a.lower(): a for a in addresses}.values())
        if len(unique) > test_sends.MAX_EXTRA_ADDRESSES:
            raise forms.ValidationError(
                _("At most %(n)s addresses per test.")
                % {"n": test_sends.MAX_EXTRA_ADDRESSES}
            )
        return unique


class SendTimeForm(forms.Form):
    """The digest's own send time, in TIME_ZONE; empty or "clear" for none."""

    send_at = forms.DateTimeField(
        required=False,
        label=_("Send at"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Empty: the scheduler's first run after approval."),
    )
