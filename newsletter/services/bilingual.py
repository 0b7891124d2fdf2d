"""Both languages of a section are the editors': what happens to the other languages
when the digest's own language is edited, and an editor's edit of one of them.

After an edit of the section as written (Korean), each other language is, in turn:

- an editor's own text in that language: kept as it is, never written over, and
  marked older than the content on the desk until the editor saves it again;
- translated again by the LLM when one is configured and it succeeds;
- otherwise (no LLM, or it failed) the previous version kept on purpose and marked
  older on the desk: readers keep the reviewed text in their language rather than
  getting the edit word for word in a language they did not choose. A section that
  had none gets what ``translation`` makes offline.

An editor's save of a language goes through ``sections.save_translation`` like every
translation, checked against the section's sources.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from newsletter import audit, llm
from newsletter.drafting import translation
from newsletter.editorial import sections
from newsletter.models import Digest, DigestSection


@dataclass(frozen=True)
class LanguageState:
    """One other language of a section, as the desk shows it."""

    language: str
    name: str
    by: str  # sections.TRANSLATED, OFFLINE or EDITOR; "" when there is none
    is_stale: bool


def other_languages(section: DigestSection) -> list[str]:
    return translation.edition_languages(section.digest.language)[1:]


def language_state(section: DigestSection, language: str) -> LanguageState:
    entry = (section.translations or {}).get(language)
    by = entry.get("by", "") if isinstance(entry, dict) else ""
    return LanguageState(
        language=language,
        name=str(dict(settings.LANGUAGES).get(language, language)),
        by=by,
        is_stale=bool(by) and sections.translation_is_stale(section, language),
    )


def _kept(entry: dict) -> dict:
    return {**entry, "kept": True}


def retranslate_after_edit(section: DigestSection) -> list[str]:
    """The other languages of ``section`` after its content was rewritten (not saved:
    the caller saves the row). Returns notes for its editors."""
    notes: list[str] = []
    previous = dict(section.translations or {})
    section.translations = {}
    for language in other_languages(section):
        entry = previous.get(language)
        if isinstance(entry, dict) and entry.get("by") == sections.EDITOR:
            section.translations[language] = entry
            continue
        if llm.is_enabled():
            by = translation.translate_section(section, language, notes=notes)
            if by != sections.OFFLINE or not isinstance(entry, dict):
                continue
        if isinstance(entry, dict):
            section.translations = {**section.translations, language: _kept(entry)}
        else:
            translation.translate_section(section, language, notes=notes)
    return notes


@transaction.atomic
def save_editor_translation(
    section: DigestSection, language: str, content: dict, *, actor=None
) -> DigestSection:
    """An editor's text of ``section`` in ``language``: what its readers get from now
    on, whatever later edits or regenerations of the content do."""
    if section.digest.is_frozen:
        raise ValueError(f"{section.digest} is already {section.digest.status}")
    if language == section.digest.language:
        raise ValueError("The digest's own language is edited as the content.")
    sections.save_translation(section, language, content, by=sections.EDITOR)
    section.save(update_fields=["translations"])
    audit.record(
        section.digest_id,
        audit.Action.EDITED_TRANSLATION,
        actor=actor,
        detail=f"{section.category} ({language})",
    )
    return section


@contextmanager
def editor_translations_kept(digest: Digest):
    """Around a rebuild's ``translation.translate_digest``, which makes every
    language again: put the editors' own translations back afterwards."""
    own = {
        category_id: {
            language: entry
            for language, entry in (translations or {}).items()
            if isinstance(entry, dict) and entry.get("by") == sections.EDITOR
        }
        for category_id, translations in DigestSection.objects.filter(
            digest=digest
        ).values_list("category_id", "translations")
    }
    own = {category_id: kept for category_id, kept in own.items() if kept}
    yield
    for section in DigestSection.objects.filter(digest=digest, category_id__in=own):
        section.translations = {
            **(section.translations or {}),
            **own[section.category_id],
        }
        section.save(update_fields=["translations"])
