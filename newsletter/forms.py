"""The editor's form for one section: plain text fields instead of raw JSON."""

import re

from django import forms

from newsletter.models import DigestSection

CITATION = re.compile(r"\[(\d+)\]")


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _event_line(event: dict) -> str:
    text = event.get("text", "")
    inline = {int(n) for n in CITATION.findall(text)}
    missing = "".join(f"[{n}]" for n in event.get("citations", []) if n not in inline)
    return f"{text} {missing}".strip()


class DigestSectionForm(forms.ModelForm):
    topics = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One topic per line.",
    )
    events = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="One event per line; cite sources as [1], [2] …",
    )
    economy = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    politics_society = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    science_technology = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    final_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One sentence per line.",
    )

    class Meta:
        model = DigestSection
        fields = ["needs_review", "review_notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        content = self.instance.content or {}
        impact = content.get("impact") or {}
        self.initial.update(
            topics="\n".join(content.get("topics", [])),
            events="\n".join(_event_line(e) for e in content.get("events", [])),
            economy=impact.get("economy", ""),
            politics_society=impact.get("politics_society", ""),
            science_technology=impact.get("science_technology", ""),
            final_summary="\n".join(content.get("final_summary", [])),
        )

    def clean_events(self) -> list[dict]:
        valid = (
            set(self.instance.sources.values_list("number", flat=True))
            if self.instance.pk
            else set()
        )
        events = []
        for line in _lines(self.cleaned_data["events"]):
            citations = [int(n) for n in CITATION.findall(line)]
            unknown = sorted(set(citations) - valid)
            if unknown:
                raise forms.ValidationError(
                    f"[{', '.join(map(str, unknown))}] is not a source of this section "
                    f"(sources: {', '.join(map(str, sorted(valid))) or 'none'})."
                )
            # Markers stay inline, where the editor put them; the list mirrors them.
            events.append({"text": line, "citations": sorted(set(citations))})
        return events

    def save(self, commit: bool = True) -> DigestSection:
        data = self.cleaned_data
        self.instance.content = {
            "topics": _lines(data["topics"]),
            "events": data["events"],
            "impact": {
                "economy": data["economy"].strip(),
                "politics_society": data["politics_society"].strip(),
                "science_technology": data["science_technology"].strip(),
            },
            "final_summary": _lines(data["final_summary"]),
        }
        self.instance.edited_by_editor = True
        self.instance.generated_by = DigestSection.GeneratedBy.EDITOR
        return super().save(commit=commit)
