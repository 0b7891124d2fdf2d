"""Every write a job or an editor can trigger on digests, one module per kind.

The daily flow is: ingest → classify → summarize → chart → review → send → publish.
Each stage is a plain function; Celery tasks, commands and the desk call these.
"""

from newsletter.services.approval import (
    approve_digest,
    releasable_digests,
    release_reviewed_digests,
    send_and_record,
    send_digest,
    set_send_time,
    unapprove_digest,
)
from newsletter.services.build import (
    build_digest,
    digest_articles,
    has_paper_sources,
    rebuild_digest,
)
from newsletter.services.editing import (
    edit_section,
    merge_stories,
    regenerate_section,
    split_story,
)
from newsletter.services.setup import load_defaults

__all__ = [
    "approve_digest",
    "build_digest",
    "digest_articles",
    "edit_section",
    "has_paper_sources",
    "load_defaults",
    "merge_stories",
    "rebuild_digest",
    "regenerate_section",
    "releasable_digests",
    "release_reviewed_digests",
    "set_send_time",
    "unapprove_digest",
    "send_and_record",
    "send_digest",
    "split_story",
]
