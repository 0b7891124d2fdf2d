"""The digest's history: who edited, regenerated, approved, test-sent and sent it.

Services record what they did when they are given the editor who asked; jobs call
them without one, and the history shows the scheduler.
"""

from newsletter.models import Digest, DigestEvent

Action = DigestEvent.Action


def record(digest: Digest | int, action: str, *, actor=None, detail: str = ""):
    """One row of the history. `actor` is a user or None (the scheduler)."""
    digest_id = digest if isinstance(digest, int) else digest.id
    user = actor if getattr(actor, "is_authenticated", False) else None
    return DigestEvent.objects.create(
        digest_id=digest_id,
        action=action,
        actor=user,
        actor_name=user.get_username() if user else "",
        detail=detail[:2000],
    )


def history(digest: Digest) -> list[DigestEvent]:
    return list(digest.events.select_related("actor"))
