"""The one guarded way to ask a model for text a reader will see.

ask → check → retry once → give up (the caller falls back or removes). News sections,
Papers sections, translations and story headlines all go through ``ask_checked``, so
they retry, reuse an accepted retry and fall back the same way.

Plain Python: the model is any object with

    ask(messages, *, cache_only=False) -> answer   (the answer has ``.parsed``)
    reject(answer, reason) -> None                 (keep it out of the cache)

that raises ``Unavailable`` when it gives nothing usable (``spent`` when the token
budget ran out, which is a decision, not a fault) and ``NotCached`` for a
``cache_only`` ask with nothing accepted in the cache. ``newsletter.llm.Model`` is
the one the digest uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Messages = list[dict[str, str]]


class Unavailable(Exception):
    """The model gave nothing usable: failure, refusal, timeout or budget spent."""

    def __init__(self, message: str, *, spent: bool = False) -> None:
        super().__init__(message)
        self.spent = spent


class NotCached(Exception):
    """A ``cache_only`` ask found no accepted answer."""


class Model(Protocol):
    def ask(self, messages: Messages, *, cache_only: bool = False) -> Any: ...

    def reject(self, answer: Any, reason: str) -> None: ...


@dataclass
class Asked:
    """What asking gave: ``answer`` passed the check (None: fall back). ``last`` is
    the last answer that failed it, for a caller that can salvage some lines."""

    answer: Any = None
    last: Any = None
    last_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A fault (not the budget, not an empty day) that an editor should look at.
    needs_review: bool = False

    @property
    def accepted(self) -> bool:
        return self.answer is not None


def ask_checked(
    model: Model,
    attempts: Sequence[Messages],
    check: Callable[[Any], list[str]],
    *,
    what: str = "",
) -> Asked:
    """Ask with ``attempts[0]``; an answer ``check`` finds problems in is rejected
    and the next attempt (the same request with a firmer note) is asked; after the
    last one the caller falls back. An accepted retry of an earlier run is reused
    from the cache first, so a rebuild spends nothing on the attempt that failed."""
    asked = Asked()
    if len(attempts) > 1:
        try:
            cached = model.ask(attempts[-1], cache_only=True)
        except (NotCached, Unavailable):
            cached = None
        if cached is not None and not check(cached.parsed):
            asked.answer = cached
            return asked
    for number, messages in enumerate(attempts, start=1):
        try:
            answer = model.ask(messages)
        except Unavailable as exc:
            asked.notes.append(
                f"Token budget reached ({exc})."
                if exc.spent
                else f"LLM failed ({exc})."
            )
            asked.needs_review = not exc.spent
            return asked
        problems = check(answer.parsed)
        if not problems:
            asked.answer = answer
            return asked
        model.reject(answer, "; ".join(problems))
        asked.last, asked.last_problems = answer, problems
        asked.notes.append(
            f"Attempt {number} failed the quality gate{f' ({what})' if what else ''}: "
            + "; ".join(problems)
            + "."
        )
    asked.needs_review = True
    return asked
