"""What the engine reads of an article: plain attributes (``title``, ``text``,
``url``, ``source`` with its ``name`` and ``weight``, the publication dates), from a
stored Article or any object that has them (benchmarks, tests)."""

from __future__ import annotations


def loaded_source(article):
    """The article's source when it is at hand, else None: never a database query.

    A stored Article keeps a loaded source in its state's field cache (what
    ``select_related`` fills); a plain object simply carries one or not.
    """
    state = getattr(article, "_state", None)
    if state is not None:
        return state.fields_cache.get("source")
    return getattr(article, "source", None)
