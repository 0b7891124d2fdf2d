"""The digest's fixed words: one vocabulary for its pages, emails, chart and export.

Every word is a gettext message with an English msgid; a language is a locale
(locale/<code>/LC_MESSAGES/django.po), never a dict here. The words are lazy and
take the active language where they are rendered: the visitor's on the web, the
digest's in emails, the chart and the export (``translation.override``).
"""

from datetime import date, timedelta

from django.utils import dateformat
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

NAME = "Daily AI Insights"  # the product's name, the same in every language

SUMMARY = _("Summary")
TOPICS = _("Main topics")
EVENTS = _("Main events")
IMPACT = _("Impact analysis")
FINAL_SUMMARY = _("Final summary")
SOURCES = _("Sources")
EXCERPTS = _("Excerpts from the sources")
KEY_FIGURES = _("Key figures")
IMPACT_AREAS = {
    "economy": _("Economy"),
    "politics_society": _("Politics and society"),
    "science_technology": _("Science and technology"),
}
OFFLINE_NOTE = _(
    "This summary was written without an LLM: it quotes sentences from the articles."
)
CHART_TITLE = _("Articles per category")

# The email's frame.
VIEW_IN_BROWSER = _("View in browser")
PREFERENCES = _("Subscription settings")
UNSUBSCRIBE = _("Unsubscribe")
WHY = _("You receive this email because you subscribed to Daily AI Insights.")
SHORTENED = _("Some parts were shortened to keep this email small.")
READ_ON_WEB = _("Read everything on the web")
FULL_SECTION = _("Read this section in full")
# Stories: the first screen, a follow-up, and what a section leaves to the web.
HIGHLIGHTS = _("Today's highlights")
FOLLOW_UP = _("Follow-up")
# Each story's 👍/👎 links (newsletter/web/feedback.py).
MORE_LIKE_THIS = _("More like this")
LESS_LIKE_THIS = _("Less like this")
# The text part's one link per story, to a page offering both.
YOUR_TAKE = _("Your take 👍/👎")


def more_stories(count: int) -> str:
    """ "외 3건", "and 3 more": stories of a section the email leaves to the web."""
    return ngettext("and %(count)d more", "and %(count)d more", count) % {
        "count": count
    }


EMPTY_NOTICE = _(
    "Nothing new in your categories today. The other categories are on the web."
)


def impact_label(area: str) -> str:
    return str(IMPACT_AREAS[area])


def long_date(day: date) -> str:
    """ "2026년 8월 22일", "August 22, 2026": a date format string per locale."""
    return dateformat.format(day, gettext("F j, Y"))


def month_day(day: date) -> str:
    """ "8월 21일", "Aug 21": when an excerpt's article was published."""
    return dateformat.format(day, gettext("M j"))


# The Papers edition: its parts, in the order of the report it grew out of.
PAPERS_EDITION = _("Papers")
NEWS_EDITION = _("News")
PAPER_TOPICS = _("Main topics")
PAPER_TRENDS = _("Common keywords and trends")
PAPER_KEY_POINTS = _("Key point of each paper")
PAPER_FIELDS = _("Impact by field")
PAPER_OUTLOOK = _("Conclusion and future directions")
PAPER_CONTRIBUTIONS = _("Each paper's contribution, quoted from its abstract")
PAPERS_OFFLINE_NOTE = _(
    "This section was written without an LLM: each line is a sentence quoted from "
    "the paper's abstract."
)
PAPERS_CHART_TITLE = _("Papers per category")

# The weekly edition: the week's stories, once each, with how they developed.
WEEKLY_EDITION = _("Weekly")
WEEKLY_CHART_TITLE = _("Stories of the week per category")
WEEK_HIGHLIGHTS = _("The week's highlights")


def week_span(day: date) -> str:
    """ "주간 · 11월 30일 – 12월 6일", "Weekly · Nov 30 – Dec 6": the seven days a weekly
    edition dated ``day`` looks back over (newsletter.services.weekly.week_window)."""
    first, last = day - timedelta(days=7), day - timedelta(days=1)
    return gettext("Weekly · %(first)s – %(last)s") % {
        "first": month_day(first),
        "last": month_day(last),
    }


def highlights_title(weekly: bool) -> str:
    return str(WEEK_HIGHLIGHTS if weekly else HIGHLIGHTS)


def left_out(count: int, *, papers: bool = False) -> str:
    """The chart's caption: what the chart leaves out ("AI 외 기사 30건 제외",
    "30 non-AI articles left out"); empty when nothing was."""
    if count <= 0:
        return ""
    if papers:
        message = ngettext(
            "%(count)d paper outside these fields left out",
            "%(count)d papers outside these fields left out",
            count,
        )
    else:
        message = ngettext(
            "%(count)d non-AI article left out",
            "%(count)d non-AI articles left out",
            count,
        )
    return message % {"count": count}


def more_papers(count: int) -> str:
    """ "외 12건", "and 12 more": the papers of a section listed only on the web."""
    return gettext("and %(count)s more") % {"count": count}
