"""The Papers edition's domain: which papers a day holds, their ranking, their sections.

- The window: papers whose listing announced them (``Paper.announced_at``) since the
  previous Papers digest; the first Papers digest looks back PAPERS_FIRST_RUN_HOURS.
  A replacement (new version) is news again only with PAPERS_INCLUDE_REPLACEMENTS.
- Ranking, per section: ``score`` = the paper's keyword score for its category (the
  offline classifier's: title words x5, abstract words x1 each at most twice, the
  paper's arXiv categories counted as words) + PRIMARY_BONUS when its primary arXiv
  category is one of the category's keywords. Ties: the earlier arXiv id first
  (the listing's order). The best PAPERS_PER_SECTION are the section's sources; the
  rest of the category is listed on the web ("외 N건").
- The section (``sections.PAPERS``): with an LLM, the original report's parts (main
  topics, shared keywords and trends, one line per paper with its [n], impact by
  field, conclusion and outlook). Offline, one line per paper: its title in bold,
  then the sentence of its abstract that states what it proposes (else its result
  with a number), from its subject on ("To overcome these limitations, we propose X"
  reads "We propose X"), quoted and marked as extracted; the sources list names each
  paper by its arXiv id (``paper_label``), so a title is printed once.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

from django.conf import settings

from ingestion.models import Article
from newsletter import llm
from newsletter.drafting import classify
from newsletter.drafting.classify import RuleClassifier
from newsletter.drafting.summarize import SectionDraft
from newsletter.editorial import asking, excerpts, prompts, sections
from newsletter.editorial.checks import faithfulness, language_gate
from newsletter.editorial.keywords import KeywordSet
from newsletter.editorial.llm_schemas import PapersBriefing
from newsletter.editorial.text import clean_text
from newsletter.models import Category, Digest, LLMCall

PRIMARY_BONUS = 3.0
PAPERS_MAX_TOKENS = 1600
MAX_LINE_CHARS = 320
# Longer than this, a "sentence" is an abstract written without stops.
RUN_ON_CHARS = 2 * MAX_LINE_CHARS
MAX_PARTS = 5

# A sentence that says what the paper does, strongest cue first.
_CONTRIBUTION_CUES = [
    re.compile(
        r"\b(?:we|this (?:paper|work|study|article)|here we|in this (?:paper|work))\s+"
        r"(?:\w+ly\s+)?(?:propose|present|introduce|develop|design|build|release)s?\b",
        re.I,
    ),
    re.compile(
        r"\b(?:we|this (?:paper|work|study))\s+(?:\w+ly\s+)?(?:formulate|study|investigate|explore|examine|analy[sz]e)s?\b",
        re.I,
    ),
    re.compile(
        r"\b(?:we|our (?:results|experiments|findings|analysis))\s+(?:\w+ly\s+)?(?:show|find|demonstrate|reveal|observe|establish|prove)s?\b",
        re.I,
    ),
    re.compile(r"\b(?:we|our|this paper|this work)\b", re.I),
]
# Abstracts keep some TeX: "\textbf{Morpheus}" reads "Morpheus".
_TEX_STYLE = re.compile(
    r"\\(?:textbf|textit|emph|texttt|textsc|mathrm|mathbf)\{([^{}]*)\}"
)


# --- the window -------------------------------------------------------------------


def window_papers(digest: Digest) -> list[Article]:
    """The papers of this digest's window, with their Paper and source loaded."""
    papers = (
        Article.objects.originals()
        .filter(paper__announced_at__isnull=False)
        .select_related("paper", "source", "category")
    )
    end = digest.window_end
    if digest.window_start is not None:
        papers = papers.filter(
            paper__announced_at__gt=digest.window_start, paper__announced_at__lte=end
        )
    else:
        since = end - dt.timedelta(hours=settings.PAPERS_FIRST_RUN_HOURS)
        papers = papers.filter(
            paper__announced_at__gt=since, paper__announced_at__lte=end
        )
    return list(papers.order_by("paper__arxiv_id"))


def categories() -> list[Category]:
    return list(
        Category.objects.filter(is_active=True, edition=Category.Edition.PAPERS)
    )


# --- ranking ----------------------------------------------------------------------


def ranked(
    members: list[Article], category: Category, active: list[Category]
) -> list[Article]:
    """The category's papers, best first (see the module docstring for the score)."""
    rules = RuleClassifier(active, papers=True)
    own = KeywordSet.of(category.keyword_list)

    def score(article: Article) -> float:
        value = rules.scores(article).get(category.pk, 0.0)
        primary = article.paper.primary_category if hasattr(article, "paper") else ""
        if primary and own.hits(primary):
            value += PRIMARY_BONUS
        return value

    scores = {a.id: score(a) for a in members}
    return sorted(members, key=lambda a: (-scores[a.id], _arxiv_id(a)))


def _arxiv_id(article: Article) -> str:
    return article.paper.arxiv_id if hasattr(article, "paper") else article.url


def section_papers(section) -> list[Article]:
    """Every paper of a section's category in its digest's window, ranked: the
    section's sources first, the rest after them (the web's full list)."""
    digest = section.digest
    active = categories()
    members = classify.group_by_category(window_papers(digest), active).get(
        section.category_id, []
    )
    return ranked(members, section.category, active)


# --- the offline section ------------------------------------------------------------


def sentences(text: str) -> list[str]:
    """The abstract's sentences, split where News text is split (the dots of "e.g.",
    "vs." or "et al." end none), with its inline TeX read as text."""
    return excerpts.split_sentences(plain_tex(text))


# Inline maths an abstract's reader sees as text: "$+3.40$pp", "$14.3\\times$".
_INLINE_MATH = re.compile(r"\$([^$\n]{1,40})\$")
_TEX_SYMBOLS = {
    r"\times": "×",
    r"\pm": "±",
    r"\approx": "≈",
    r"\sim": "~",
    r"\leq": "≤",
    r"\le": "≤",
    r"\geq": "≥",
    r"\ge": "≥",
    r"\to": "→",
    r"\rightarrow": "→",
    r"\%": "%",
    r"\,": " ",
    r"\cdot": "·",
}
_TEX_SYMBOL = re.compile(
    "|".join(re.escape(k) for k in sorted(_TEX_SYMBOLS, key=len, reverse=True))
    + r"(?![A-Za-z])"
)


def plain_tex(text: str) -> str:
    """``text`` with TeX styling dropped ("\\textbf{X}" reads "X") and each simple
    inline formula as the characters it shows; a formula with more TeX than that
    stays as written."""
    text = _TEX_STYLE.sub(r"\1", text or "")
    return _INLINE_MATH.sub(_math_as_text, text)


# What tells a formula from two prices ("between $5 and $10"): TeX, or one signed number.
_LOOKS_LIKE_MATH = re.compile(r"[\\^_{]|^[+\-−]?\d[\d.,]*$")


def _math_as_text(match: re.Match) -> str:
    if not _LOOKS_LIKE_MATH.search(match.group(1).strip()):
        return match.group(0)
    inner = _TEX_SYMBOL.sub(lambda m: _TEX_SYMBOLS[m.group(0)], match.group(1))
    inner = (
        re.sub(r"\^\{?([\w.+-]+)\}?", r"^\1", inner).replace("{", "").replace("}", "")
    )
    return match.group(0) if "\\" in inner else inner.strip()


# A result stated with a number ("improves accuracy by 12%"), when no sentence says
# what the paper proposes.
_RESULT_WITH_NUMBER = re.compile(
    r"\b(?:achieves?|improves?|outperforms?|reduces?|increases?|reaches|yields?"
    r"|surpass(?:es)?|boosts?|gains?|shows?|finds?|demonstrates?)\b[^.]*\d",
    re.I,
)
# The argument a sentence opens with before its subject: "To overcome these
# limitations, we propose …", "Motivated by this gap, this paper presents …".
_LEADING_CONNECTIVE = re.compile(
    r"^[^;:]{2,120}?,\s+(?=(?:we|our|this (?:paper|work|study|article))\b)"
    r"|^(?:however|moreover|therefore|thus|then|finally|additionally|furthermore"
    r"|in addition|to this end|hence|here|specifically|in particular|instead),\s+",
    re.I,
)


# A sentence about something the abstract said before it ("This paper addresses this
# gap by …"): read alone it names a gap nobody described. Another sentence with the
# same cue is preferred.
_POINTS_BACK = re.compile(
    r"\b(?:this|these|such|those|the above)\s+(?:gaps?|limitations?|problems?|issues?"
    r"|challenges?|shortcomings?|questions?|drawbacks?|difficult(?:y|ies))\b",
    re.I,
)


def contribution(abstract: str) -> str:
    """The abstract's sentence that states what the paper proposes, else its result
    with a number, else what it studies; said from its subject on ("To overcome
    these limitations, we propose X" reads "We propose X"). A whole sentence that
    fits a line is preferred to one that must be cut; an abstract without sentence
    stops (one run-on paragraph) gives none: the title stands alone."""
    found = [s for s in sentences(abstract) if len(s) <= RUN_ON_CHARS]
    if not found:
        return ""
    first, *weaker = _CONTRIBUTION_CUES
    cues = [first, _RESULT_WITH_NUMBER, *weaker]
    standalone = [s for s in found if not _POINTS_BACK.search(s)]
    fitting = [s for s in found if len(without_leading_connective(s)) <= MAX_LINE_CHARS]
    # A sentence that stands alone and fits first, whichever cue it answers; then any.
    for pool in ([s for s in standalone if s in fitting], fitting, standalone, found):
        for cue in cues:
            for sentence in pool:
                if cue.search(sentence):
                    return _shorten(without_leading_connective(sentence))
    return _shorten(without_leading_connective(found[0]))


def without_leading_connective(sentence: str) -> str:
    """The sentence from its subject on, capitalised: a line read alone must not
    start mid-argument."""
    rest = _LEADING_CONNECTIVE.sub("", sentence, count=1)
    return rest[:1].upper() + rest[1:]


_ARXIV_ABS = re.compile(r"arxiv\.org/(?:abs|pdf)/([\w.\-/]+?)(?:v\d+)?(?:\.pdf)?/?$")


def paper_label(url: str) -> str:
    """How a sources list names a paper whose line carries its title: arXiv:2606.12345
    (its URL for anything else)."""
    match = _ARXIV_ABS.search(url or "")
    return f"arXiv:{match.group(1)}" if match else url


def _shorten(text: str) -> str:
    if len(text) <= MAX_LINE_CHARS:
        return text
    cut = text[: MAX_LINE_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def offline_content(shown: list[Article], *, total: int) -> dict:
    lines = []
    for number, article in enumerate(shown, start=1):
        sentence = contribution(prompts.article_body(article))
        title = clean_text(article.title)
        # The title once, in bold before its sentence (never "Title: sentence").
        line = {"text": f"{sentence or title} [{number}]", "citations": [number]}
        if sentence:
            line["title"] = title
        lines.append(line)
    content = {
        "kind": sections.PAPERS,
        "extracted": True,
        "papers": lines,
        "total": total,
    }
    return sections.normalise(content, source_count=len(shown)).content


# --- the section ----------------------------------------------------------------------


def draft_section(
    category: Category,
    shown: list[Article],
    *,
    total: int,
    language: str,
    digest: Digest | None,
    budget: llm.TokenBudget,
) -> SectionDraft:
    """The section over ``shown`` (sources [1..n]); offline without a model or when
    the model fails, with the reason in the notes. What the model writes is checked
    like News (``asking.ask_checked``): the quality gate, then every name and number
    of a line against the papers it cites (title and abstract); a second answer that
    still fails loses its unsupported lines, or the section goes offline."""
    offline = partial(_offline_draft, shown, total=total)
    if not shown or not llm.is_enabled():
        return offline(notes=[])
    model = llm.Model(
        purpose=LLMCall.Purpose.SUMMARIZE,
        response_format=PapersBriefing,
        max_tokens=PAPERS_MAX_TOKENS,
        digest=digest,
        budget=budget,
    )
    attempts = [
        prompts.papers_messages(category, shown, language=language, retry_note=note)
        for note in ("", prompts.retry_note(language))
    ]
    sources = faithfulness.sources_of(shown)

    def check(answer: PapersBriefing) -> list[str]:
        gate = quality_problems(answer, language=language, sources=_source_words(shown))
        flags = faithfulness.check(
            _content(answer, shown, total=total).content, sources, language=language
        )
        return gate + [faithfulness.describe(flag) for flag in flags]

    asked = asking.ask_checked(model, attempts, check)
    notes = list(asked.notes)
    if asked.accepted:
        return _llm_draft(asked.answer.parsed, shown, total=total, notes=notes)
    if asked.last is not None:
        salvaged = _without_unsupported(
            asked.last.parsed, shown, total, language, notes
        )
        if salvaged is not None:
            return salvaged
        notes.append("Written offline after the LLM failed the checks twice.")
    return offline(notes=notes, needs_review=asked.needs_review)


def _without_unsupported(
    answer: PapersBriefing, shown: list[Article], total: int, language: str, notes
) -> SectionDraft | None:
    """The second answer without the lines its papers do not back; None when it
    failed the language gate, or no paper line is left."""
    if quality_problems(answer, language=language, sources=_source_words(shown)):
        return None
    content = _content(answer, shown, total=total).content
    flags = faithfulness.check(
        content, faithfulness.sources_of(shown), language=language
    )
    gone = {(flag.line.part, flag.line.key) for flag in flags}
    for part in faithfulness.PAPERS_PARTS:
        content[part] = [
            item
            for i, item in enumerate(content.get(part) or [])
            if (part, i) not in gone
        ]
    if not content[faithfulness.PAPER_LINES]:
        return None
    notes.extend(
        f"Removed, still unsupported: {faithfulness.describe(flag)}" for flag in flags
    )
    content = sections.normalise(content, source_count=len(shown)).content
    return SectionDraft(
        content=content,
        generated_by="llm",
        needs_review=True,
        review_notes="\n".join(notes),
        notes=notes,
        flagged_lines=len(flags),
        removed_lines=len(flags),
    )


def quality_problems(
    answer: PapersBriefing, *, language: str, sources: str = ""
) -> list[str]:
    """Why the answer cannot ship; ``sources`` (lower case) hold the paper, method
    and model names a Korean answer may keep in Latin letters."""
    texts = [
        *answer.topics,
        *answer.trends,
        *(p.text for p in answer.papers),
        *answer.fields,
        *answer.outlook,
    ]
    problems = [] if answer.papers else ["no paper lines"]
    return problems + text_problems(texts, language=language, sources=sources)


def text_problems(texts: list[str], *, language: str, sources: str) -> list[str]:
    """The language gate over a Papers section's texts (Korean reads as Korean)."""
    if language != "ko":
        return []
    plain = [sections.CITATION.sub(" ", text) for text in texts]
    return language_gate.problems(
        plain, sources, threshold=settings.LLM_MAX_LATIN_SHARE
    )


def _source_words(papers: list[Article]) -> str:
    return "\n".join(f"{a.title}\n{a.text}" for a in papers).lower()


def _content(answer: PapersBriefing, shown: list[Article], *, total: int):
    """The answer in stored form (capped, citations to no paper removed)."""
    content = {
        "kind": sections.PAPERS,
        "extracted": False,
        "topics": answer.topics[:MAX_PARTS],
        "trends": answer.trends[:MAX_PARTS],
        "papers": [p.model_dump() for p in answer.papers[: len(shown)]],
        "fields": answer.fields[:MAX_PARTS],
        "outlook": answer.outlook[:MAX_PARTS],
        "total": total,
    }
    return sections.normalise(content, source_count=len(shown))


def _llm_draft(
    answer: PapersBriefing, shown: list[Article], *, total: int, notes: list[str]
) -> SectionDraft:
    result = _content(answer, shown, total=total)
    if result.removed:
        notes.append(
            f"Removed {result.removed} citation(s) to papers not in the section."
        )
    cited = {n for line in result.content["papers"] for n in line["citations"]}
    missing = [n for n in range(1, len(shown) + 1) if n not in cited]
    if missing:
        notes.append(f"No line for paper(s) {', '.join(map(str, missing))}.")
    return SectionDraft(
        content=result.content,
        generated_by="llm",
        needs_review=bool(missing),
        review_notes="\n".join(notes),
        removed_citations=result.removed,
        notes=notes,
    )


def _offline_draft(
    shown: list[Article], *, total: int, notes: list[str], needs_review: bool = False
) -> SectionDraft:
    return SectionDraft(
        content=offline_content(shown, total=total),
        generated_by="offline",
        needs_review=needs_review,
        review_notes="\n".join(notes),
        notes=notes,
    )
