"""What the engine reads of an article: plain attributes (``title``, ``text``,
``url``, ``source`` with its ``name`` and ``weight``, the publication dates), from a
stored Article or any object that has them (benchmarks, tests)."""

from __future__ import annotations


def loaded_source(article):
    """The article's source, or None when it has none.

    A stored Article without a source id may still carry an unsaved source (the
    benchmarks build such articles), held in its state's field cache; asking it for
    ``source`` with neither would raise. A plain object simply carries one or not.
    """
    state = getattr(article, "_state", None)
    has_source = getattr(article, "source_id", None) or (
        state is not None and "source" in state.fields_cache
    )
    if state is not None and not has_source:
        return None
    return getattr(article, "source", None)
