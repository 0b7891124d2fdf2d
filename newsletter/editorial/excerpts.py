"""The offline briefing: the sources' own sentences, each with its publisher and date.

Without a model nothing can honestly be summarised or analysed, so a section is made of
excerpts, and says so. For a category's articles:
- sentences are split per paragraph and passed through JUNK (headings, questions,
  captions, list debris, formulas, footnote digits, URLs, boilerplate, datelines,
  first-person asides, calls to action, second-person marketing, jokes, legends,
  sentences that lean on the previous one, too short or too long): a quoted sentence
  must stand alone as a report; only an article's opening (LEAD_SENTENCES) is
  considered, as news puts the facts first; an aggregator's discussion page has none;
- one or two per article are chosen by TF-IDF centrality over all the category's
  sentences (a sentence that shares the section's vocabulary says what the story is
  about), weighted towards the lead and the title, and towards sentences that say what
  is new (today, now, announced, a number: NEWS_BONUS); Korean sources come first in a
  Korean digest;
- every excerpt keeps its publisher and date, so "we" and "today" are never ambiguous;
  an aggregator's item is credited to the site that published it;
- an impact area (economy, politics/society, science/technology) gets a line only when
  one article has at least MIN_IMPACT_HITS different whole-word keywords of that area;
- key figures are whole facts (is_whole_fact): a sentence with a number, its unit and
  its subject, never a torn clause, never a figure an excerpt or impact line states.

The content shape is {"kind": "excerpts", "topics", "excerpts", "key_figures", "impact"}
(see excerpt_content).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingestion import aggregators
from newsletter.editorial import prompts
from newsletter.editorial.articles import loaded_source
from newsletter.editorial.keywords import KeywordSet, korean_words
from newsletter.editorial.text import clean_text

if TYPE_CHECKING:
    from ingestion.models import Article

KIND = "excerpts"
MAX_TOPICS = 4
MAX_EXCERPTS = 6
# Articles per section up to which each may give two excerpts instead of one.
TWO_PER_ARTICLE_UP_TO = 3
LEAD_SENTENCES = 15
MIN_CHARS = 40
# Hangul packs about twice the meaning per character: a full Korean news sentence can
# be 30 characters long.
KOREAN_MIN_CHARS = 25
MAX_CHARS = 300
MAX_KEY_FIGURES = 4
MIN_IMPACT_HITS = 2
# The quoted sentence itself must name the area twice, or the line reads off-topic
# ("Think of a chef … rearranging the prices" is no economic impact).
MIN_SENTENCE_HITS = 2
# Two excerpts this similar (cosine of TF-IDF vectors) say the same thing.
DUPLICATE_SIMILARITY = 0.6
LEAD_DECAY = 0.15
TITLE_WEIGHT = 0.5
# A sentence that says what is new (today, now, announced, a number) outranks
# background by this factor: the day's news, not the product's history.
# "Today" and "now" mark the day's news most surely; a number or an announcing verb
# less (the product's history has them too: "we launched it in beta on August 11").
NEWS_BONUS = 1.25
PRESENT_BONUS = 1.6
_SAYS_WHAT_IS_NEW = re.compile(
    r"\b(?:announc\w*|launch\w*|releas\w*|introduc\w*|unveil\w*"
    r"|available|ships?|shipped|rolls?\s+out|rolling\s+out)\b|\d"
    r"|발표|공개|출시|선보|도입",
    re.IGNORECASE,
)
# What tells the story without the title's words: an announcing verb (no number alone:
# a page's background has numbers too).
_ANNOUNCES = re.compile(
    r"\b(?:announc\w*|launch\w*|releas\w*|introduc\w*|unveil\w*)\b"
    r"|발표|공개|출시|선보",
    re.IGNORECASE,
)
_SAYS_IT_IS_TODAY = re.compile(r"\b(?:today|now|this week)\b|오늘|이번 주", re.I)
# Longer sentences score a little lower: a digest is skimmed.
SHORT_CHARS = 180


@dataclass(frozen=True)
class Junk:
    """A kind of sentence that must not be quoted as a fact, and how to recognise it."""

    name: str
    pattern: re.Pattern
    why: str
    # A further test of the match, for what a pattern alone cannot say.
    holds: Callable[[re.Match], bool] | None = None

    def matches(self, sentence: str) -> bool:
        match = self.pattern.search(sentence)
        return match is not None and (self.holds is None or self.holds(match))


# Words that make a clause finite: auxiliaries, modals, and a verb's -s or -ed form.
_FINITE = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|does|do|did|can|could|will|would"
    r"|may|might|must|shall|should|[a-z]{3,}(?:s|ed))\b",
    re.IGNORECASE,
)


def _no_main_verb(match: re.Match) -> bool:
    """A noun phrase and its relative clause, and nothing else: "A design document
    that looks like a copy-paste." (the clause holds one finite verb, its own)."""
    head = [w.strip(",") for w in match.group("head").split()[1:]]  # "One shared brain"
    for index, word in enumerate(head):
        if not _FINITE.fullmatch(word):
            continue
        following = head[index + 1] if index + 1 < len(head) else ""
        if _noun_modifier(word, following):
            continue  # "A technical requirements document that …": a plural noun
        return False  # "A startup announced that …": the verb is before "that"
    return len(_FINITE.findall(match.group("clause"))) <= 1


# What follows a verb in the head of "A startup says today that …", not a noun.
_AFTER_VERB = re.compile(
    r"(?:the|a|an|its|their|his|her|our|this|that|today|now|on|in|at|by|to|for|with"
    r"|from|yesterday|recently|last|this|new|it|they|he|she|we)",
    re.IGNORECASE,
)


def _noun_modifier(word: str, following: str) -> bool:
    """An -s word followed by another word of the noun phrase is a plural noun
    modifying it ("requirements document", "sales team"), not a verb ("says the")."""
    plain = word.lower()
    return (
        plain.endswith("s")
        and not plain.endswith("ss")
        and bool(following)
        and _AUXILIARY.fullmatch(plain) is None
        and _AFTER_VERB.fullmatch(following) is None
    )


_AUXILIARY = re.compile(r"is|was|has|does|less")


def _p(pattern: str, flags: int = 0) -> re.Pattern:
    return re.compile(pattern, flags)


# Every filter in one place; bench/editorial.py counts these patterns in the output.
JUNK = [
    Junk("question", _p(r"\?\s*[\"”’')]?$"), "a question is not a fact"),
    Junk(
        "heading",
        _p(r"[^.!。\"”’')\]]$"),
        "no closing stop: a heading or a label, not a sentence",
    ),
    Junk(
        "caption",
        _p(
            r"^(?:an?\s+)?(?:sped-up|short|animated|example|sample)?\s*"
            r"(?:video|image|photo|screenshot|chart|diagram|figure|animation|clip|gif"
            r"|illustration)s?\s+(?:of|showing|shows|from|depicting)\b"
            r"|^(?:figure|fig\.|table|image|video|source|credit|caption|photo)\s*\d*\s*[:.]"
            r"|^(?:left|right|above|below|top|bottom)\s*[:,]",
            re.IGNORECASE,
        ),
        "a caption describes a picture the reader cannot see",
    ),
    Junk(
        "list_debris",
        # "Supported image formats: JPEG, PNG, GIF, and WebP." is a list with a label.
        _p(
            r"^\s*(?:[-–—•*·▪►]|\d+[.)]\s|\(?[a-z]\)\s)"
            r"|^[A-Z][\w-]*(?:\s[\w-]+){0,3}:\s+[\w.+#-]+(?:,\s[\w.+#-]+){2,}"
            # Items run together on one line: "Top 5% growth - Raised $10M+ - Team …"
            r"|(?:\s[-•·]\s.*){2,}"
        ),
        "a list item torn from its list",
    ),
    Junk(
        "torn_quote",
        # A closing quote with no opening one, or the reverse: cut from a longer quote.
        # "[...] And third —": a quote cut at its start.
        _p(r"^[^“]*”|“[^”]*$|(?:…|\.\.\.)[\"”’']?$|^\[(?:…|\.\.\.)\]"),
        "a quotation torn at one end, or cut short (…)",
    ),
    Junk(
        "points_elsewhere",
        _p(
            r"\b(?:described|listed|shown|explained|outlined|detailed|see)\s+(?:below|above)"
            r"\b|\bas follows\b|\bthe following\s*:|\(see\s|아래와 같다|다음과 같다",
            re.IGNORECASE,
        ),
        "points to the rest of the page (described below): nothing to read alone",
    ),
    Junk(
        "marketing",
        _p(
            r"\bmust-(?:stop|have|see|try|read)\b|\bretail therapy\b|\bworld-class\b"
            r"|\bbest-in-class\b|\bgame-?chang\w*|\bunlock the (?:power|full)\b"
            r"|\bsupercharge\w*|\bnext-level\b|\bone-stop shop\b",
            re.IGNORECASE,
        ),
        "advertising copy: praise, not a report",
    ),
    Junk(
        "label_prefix",
        _p(
            r"^(?:summary|abstract|tl;?dr|update|note|editor'?s note|related|key takeaways?"
            r"|요약|참고|관련 기사)\s*:",
            re.IGNORECASE,
        ),
        "a section label glued to the sentence after it",
    ),
    Junk(
        "formula",
        _p(r"\$(?!\d)|\\[A-Za-z]{2,}|[_^]\{|\b[A-Za-z]'?\s*=\s*[A-Za-z\\(]"),
        "LaTeX or a formula (a $ not followed by an amount)",
    ),
    Junk(
        "footnote_digits",
        # A word of 5+ letters with two vowels (an English word, not cyvcf2 or int8)
        # and a digit 1-99 glued to it, or a stop followed by one.
        _p(
            r"(?<![A-Za-z0-9\-_])(?=[a-z]*[aeiou][a-z]*[aeiou])[a-z]{5,}[1-9]\d?(?!\w)"
            r"|[a-z]{2,}[.,;][1-9]\d?(?=\s|$)"
        ),
        "a footnote number glued to a word: scaffold4, attack.5",
    ),
    Junk(
        "reference",
        _p(r"\bet al\b|\([A-Z][\w\s.&'-]*,\s*(?:19|20)\d\d\)|^\("),
        "a literature reference or an aside: (Hu et al, 2021), (Hayek, … (1945))",
    ),
    Junk(
        "url",
        _p(r"https?://|www\.|\b[\w-]+\.(?:com|org|net|io|ai|dev)/\S", re.IGNORECASE),
        "links are listed with the sources, not quoted",
    ),
    Junk(
        "boilerplate",
        _p(
            r"\bcookies?\b|\bsubscribe\b|\bsign up\b|\bnewsletter\b|\bshare (?:this|on)\b"
            r"|\ball rights reserved\b|\bclick here\b|^(?:learn|read) more\b|\(read more"
            r"|\bfollow us\b"
            r"|\bprivacy policy\b|\bterms of (?:use|service)\b|\bjoin (?:us|our team)\b"
            r"|\bwe(?:'re| are) hiring\b|\bapply now\b|\bcontact us\b"
            r"|구독|무단\s?전재|재배포\s?금지|공유하기|쿠키|뉴스레터|기자\s?=|ⓒ|©",
            re.IGNORECASE,
        ),
        "site furniture, not news",
    ),
    Junk(
        "dateline",
        # A press release's place and date line, whole or torn mid-date:
        # "SAN FRANCISCO, Aug. 21, 2026 /PRNewswire/ --", "21, 2026 — Acme today …".
        _p(
            r"[/(]\s*(?:PRNewswire|Business\s?Wire|GLOBE\s?NEWSWIRE|Newswire)\b"
            r"|^[A-Z][A-Z.'\- ]{2,}(?:,\s*[A-Z][A-Za-z.]+)*,\s*(?:[A-Z][a-z]{2,8}\.?\s+)?\d"
            r"|^(?:[A-Z][a-z]{2,8}\.?\s+)?\d{1,2},?\s+(?:19|20)\d\d\s*[-—–/(]"
            r"|^(?:19|20)\d\d\s*[-—–/]"
            r"|^[A-Z][a-z]+(?:,\s*[A-Z][a-z]+)*,\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug"
            r"|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},\s*(?:19|20)\d\d\b"
        ),
        "a dateline: where and when a release was issued, not what it says",
    ),
    Junk(
        "first_person_aside",
        # The writer's own voice ("I", "my"): a blog's aside, never the news. A
        # publisher's "we" stays: the excerpt names who "we" is.
        _p(
            r"(?<![\w'’])(?:I|I'm|I’m|I've|I’ve|I'd|I’d|I'll|I’ll|me|my|mine|myself)"
            r"(?![\w'’])|(?:^|\s)(?:저는|제가|나는|내가|저의|나의)(?=\s)"
            r"|\bthe other day\b"
        ),
        "a first-person aside (I, my): the writer's story, not the news",
    ),
    Junk(
        "call_to_action",
        _p(
            r"^(?:please\s+)?(?:ask|try|check\s+out|get\s+started|download|install"
            r"|visit|register|book|request|watch|explore|discover|give\s+it|grab"
            r"|don't\s+miss|head\s+(?:over|to)|go\s+to|start|see|let's|let\s+us"
            r"|reach\s+out|get\s+in\s+touch|stay\s+tuned"
            # A how-to's instructions: "Encode the image and embed it …"
            r"|encode|embed|use|add|set|run|open|click|create|pass|send|call|choose"
            r"|select|enter|copy|paste|configure|enable|disable|upload|replace|follow"
            r"|make\s+sure|remember|imagine|consider)\b"
            # Not a participle or a noun: "Set up in 2019, the lab …", "Use of AI …"
            r"(?!\s+(?:of|is|are|was|were|by|in|up\s+in|cases?)\b)"
            r"|\b(?:let\s+us\s+know|join\s+the\s+waitlist|sign\s+in|get\s+access"
            r"|available\s+for\s+pre-?order|try\s+it\s+(?:now|today|free|out))\b"
            r"|지금\s?(?:바로\s?)?(?:신청|확인|다운로드)|문의\s?바랍니다",
            re.IGNORECASE,
        ),
        "a call to action or an instruction (Ask your agent…, Try it now, Encode the "
        "image…): addressed to the reader, not news",
    ),
    Junk(
        "second_person",
        _p(
            r"\b(?:you|your|yours|yourself|you're|you’re|you'll|you’ll|you've|you’ve"
            r"|you'd)\b|여러분",
            re.IGNORECASE,
        ),
        "speaks to the reader (you, your): marketing copy, not a report",
    ),
    Junk(
        "joke",
        _p(
            r"\b(?:obviously|common\s+knowledge|needless\s+to\s+say|lol|lmao|rofl"
            r"|haha\w*|jk|just\s+kidding|tongue[- ]in[- ]cheek|pun\s+intended"
            r"|joke|jokingly|famously|definitely\s+(?:absolutely\s+)?not"
            r"|pinky[\s-]promis\w*)\b|\s/s\b|[\U0001F600-\U0001F64F\U0001F923]|ㅋㅋ|ㅎㅎ"
            # A colloquial simile: "it talks like it's delivering a TED talk".
            r"|\blike\s+(?:it|they|he|she|we|someone)(?:'s|’s|'re|’re|\s+(?:is|was|were"
            r"|are))\s+\w+ing\b",
            re.IGNORECASE,
        ),
        "a joke or an ironic aside: true only as a joke",
    ),
    Junk(
        "legend",
        # A table's or chart's key: "Scores indicate count of illegal activity."
        _p(
            r"^(?:the\s+)?(?:scores?|values?|numbers?|columns?|rows?|colou?rs?|bars?"
            r"|lines?|cells?|bold|italics?|asterisks?|arrows?|shading|dashes|higher"
            r"|lower|green|red|blue|grey|gray|dots?|percentages?)\b[^.]{0,40}?\b"
            r"(?:indicates?|denotes?|represents?|marks?|shows?|means?|is\s+better"
            r"|are\s+better|are\s+shown|is\s+shown|in\s+bold)\b",
            re.IGNORECASE,
        ),
        "a table or chart legend: explains a picture the reader cannot see",
    ),
    Junk(
        "fragment",
        # A noun phrase left without its verb: a tagline, not a sentence.
        _p(
            r"^(?:An?|One)\s+(?P<head>(?:[\w'’-]+,?\s+){0,4}?)(?:that|which|who)\s+"
            r"(?P<clause>.*)$"
            r"|^All\s+(?:within|with|in|for|from)\b(?P<none>)"
            r"|^(?:An?|One)\s+[\w'’ -]{1,40}:\s(?P<label>)"
            r"|^[A-Z][\w-]*\s+[—–]\s(?P<status>)"
        ),
        "a noun phrase without a verb (a tagline): says nothing happened",
        holds=lambda m: m.group("clause") is None or _no_main_verb(m),
    ),
    Junk(
        "leaning_clause",
        # "While it does cover …", "Because this is …": the subject is elsewhere.
        _p(
            r"^(?:while|although|though|because|since|if|when|unless|as)\s+"
            r"(?:it|this|that|these|those|they|he|she)\b",
            re.IGNORECASE,
        ),
        "opens on a clause about something named before (While it…)",
    ),
    Junk(
        "code",
        # "print(response.choices[0].message.content)", "syncQueue.ts:142 swallows …",
        # "| director | An executive | …": code, or a row of a table.
        _p(
            r"\b[A-Za-z_]\w*\.[A-Za-z_]\w*(?:\(|\[\d)|^[a-z_]\w*\("
            r"|\b\w+\.(?:py|js|ts|go|rs|rb|java|cpp?|sh):\d+|^\s*\|.*\|"
        ),
        "code or a table row: the page shows it, a sentence cannot quote it",
    ),
    Junk(
        "path_fragment",
        # "self/ — sessions are ephemeral …": a README's file tree, not a sentence.
        _p(r"^[\w.-]*/\s|^[a-z][\w-]*\.(?:py|js|ts|md|json|ya?ml|toml)\b"),
        "a file or folder name with its note: a README's tree, not news",
    ),
    Junk(
        "leans_on_previous",
        _p(
            r"^(?:this|that|these|those|it|its|it's|they|their|them|he|she|his|her"
            r"|such|both|another|here|here's|however|but|and|or|also|still|instead"
            r"|similarly|meanwhile|additionally|moreover|furthermore|in addition"
            r"|(?:all|each|some|most|none|many|both|either|neither|one) of (?:them|these"
            r"|those|this|it)"
            r"|as well|maybe|perhaps|plus|again|even so|after all|of course|likewise"
            r"|otherwise|besides|anyway|indeed|in turn|that said|on the other hand"
            r"|by contrast|in contrast|at the same time|which|where|whereas"
            r"|as a result|for example|for instance|so|thus|therefore|then|yet"
            r"|the (?:latter|former|same|other|first|second|third|last|top|bottom|next"
            r"|following|above|below)"
            r"|in (?:this|that|these|both) (?:case|cases|post|paper|work|way)"
            r"|in the (?:first|second|third|last|latter|former)"
            r"|이는|이것은|이것이|이를|이에|이와|이처럼|이같은|이 같은|이러한|이런|이번|그는"
            r"|그녀는|그들은|이들은|이들|그러나|하지만|또한|또|다만|한편|특히|따라서|그래서"
            r"|그런데|반면|그러면서|이어|아울러|게다가)(?![A-Za-z0-9\uac00-\ud7a3])",
            re.IGNORECASE,
        ),
        "opens with a word that needs the previous sentence (This attack…, 이는…)",
    ),
]


def junk_reason(sentence: str) -> str | None:
    """The name of the first JUNK rule `sentence` falls under, or None if it is quotable."""
    letters = sum(ch.isalpha() for ch in sentence)
    if letters < len(sentence) * 0.6:
        return "mostly_symbols"
    for junk in JUNK:
        if junk.matches(sentence):
            return junk.name
    hangul = len(re.findall(r"[\uac00-\ud7a3]", sentence))
    minimum = KOREAN_MIN_CHARS if hangul * 2 > len(sentence) else MIN_CHARS
    if len(sentence) < minimum:
        return "too_short"
    if len(sentence) > MAX_CHARS:
        return "too_long"
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+(?=[\"“‘'(\[A-Z0-9\uac00-\ud7a3-])")
# A stop after these is not the end of a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|vs|cf|al|approx|resp|Eq|etc|Dr|Mr|Mrs|Ms|Prof|Inc|Ltd|Corp|Jr|Sr|St|No|Fig|U\.S|U\.K"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
    r"|\b[A-Z])\.$"
)


# A press release's dateline before its first sentence: "BOISE, Idaho, Aug. 20, 2026
# (GLOBE NEWSWIRE) -- Micron … today unveiled …" keeps only what Micron unveiled.
_DATELINE_PREFIX = re.compile(
    r"^[^\n]{0,80}?(?:\(\s*(?:GLOBE\s?NEWSWIRE|Business\s?Wire|PRNewswire|Newswire)"
    r"\s*\)|/\s*(?:PRNewswire|Business\s?Wire)\s*/)\s*(?:--|—|–|-)\s*",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, paragraph by paragraph; a paragraph never runs into the next."""
    result = []
    for paragraph in re.split(r"\n+", text or ""):
        paragraph = _DATELINE_PREFIX.sub("", clean_text(paragraph))
        pieces = _SENTENCE_END.split(paragraph)
        merged: list[str] = []
        for piece in pieces:
            if merged and _ABBREVIATION.search(merged[-1]):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        result += [s.strip() for s in merged if s.strip()]
    return result


def quotable_sentences(article: Article) -> list[str]:
    """The article's opening sentences that pass every JUNK rule, in order."""
    if is_discussion(article):
        return []
    title = clean_text(article.title).lower()
    body = stated_text(prompts.article_body(article))
    sentences = split_sentences(body)[: LEAD_SENTENCES * 2]
    kept = [s for s in sentences if junk_reason(s) is None and s.lower() != title]
    return kept[:LEAD_SENTENCES]


# A line that labels what follows as a sample: "After (/debuzz, colleague mode):",
# "Example output:", "Prompt:", "예시:". The paragraph after it shows what a product
# writes or is asked, not what the article states ("The backoff caps at 2 seconds"
# in a README's before/after demo is no fact of the story).
_EXAMPLE_LABEL = re.compile(
    r"(?:before|after|example|examples|sample|output|input|prompt|response|"
    r"transcript|user|assistant|예시|예문|입력|출력)\b"
    # a short label only: a word or two more, or a parenthesis ("After months of
    # testing, we found:" introduces the article's own words)
    r"(?:\s*\([^()\n]{0,40}\))?(?:\s+[\w-]+){0,3}\s*:",
    re.IGNORECASE,
)


# A heading after which a page is a manual (a README's "Install", "Usage"): how to run
# the thing, not what is new about it ("With no text argument it translates …").
_MANUAL_HEADING = re.compile(
    r"#*\s*(?:install|installation|installing|setup|set ?up|usage|how to use|"
    r"requirements|prerequisites|getting started|quick ?start|configuration|"
    r"development|contributing|license|faq|설치|사용법|설치 방법|사용 방법)\s*:?",
    re.IGNORECASE,
)


def stated_text(text: str) -> str:
    """What the article itself states: ``text`` up to a manual's heading, without
    the paragraph each example label introduces."""
    kept: list[str] = []
    skip_next = False
    for paragraph in (text or "").split("\n"):
        line = paragraph.strip()
        if _MANUAL_HEADING.fullmatch(line):
            break
        if skip_next and line:
            skip_next = False
            continue
        skip_next = skip_next or bool(_EXAMPLE_LABEL.fullmatch(line))
        kept.append(paragraph)
    return "\n".join(kept)


# --- attribution -------------------------------------------------------------------

# A feed named "<publisher> News" or "<publisher> Research" is the publisher's own; the
# section word is dropped when the rest names the article's site (Anthropic, anthropic.com).
_SECTION_WORD = re.compile(r"\s+(?:news|research|blog|newsroom|뉴스|블로그)$", re.I)


def publisher(article: Article) -> str:
    """Who says it: the source's name, without a section word when that names the site;
    for an aggregator's item the site that published it (ingestion/aggregators.py)."""
    source = loaded_source(article)
    name = clean_text(source.name if source else "")
    host = aggregators.domain(article.url)
    if getattr(source, "is_aggregator", False):
        return clean_text(
            aggregators.site_name(
                page_site_name=article.site_name, url=article.url, aggregator_name=name
            )
        )
    if not name:
        return host
    short = _SECTION_WORD.sub("", name)
    squashed = re.sub(r"[^a-z0-9]", "", short.lower())
    if short != name and squashed and squashed in host.replace(".", ""):
        return short
    return name


def via(article: Article) -> str:
    """The aggregator an article was found through ("Hacker News"), else ""."""
    source = loaded_source(article)
    return source.name if getattr(source, "is_aggregator", False) else ""


def is_discussion(article: Article) -> bool:
    """An aggregator's discussion thread: readers' comments are never quoted."""
    return aggregators.is_discussion_url(article.url)


def published(article: Article) -> str:
    """The article's date as YYYY-MM-DD: published, else first seen."""
    moment = article.published_at or article.first_seen_at
    return f"{moment:%Y-%m-%d}" if moment else ""


# --- the section ---------------------------------------------------------------------


def excerpt_content(articles: list[Article], *, language: str) -> dict:
    """The section's content; `articles` are its sources [1..n] in that order."""
    numbered = list(enumerate(articles, start=1))
    if language == "ko":
        # Korean sources first in a Korean digest (stable: the order is otherwise kept).
        numbered.sort(key=lambda item: not _is_korean(item[1]))
    sentences = {n: quotable_sentences(a) for n, a in numbered}
    picks = _select(numbered, sentences)
    excerpts = [
        {
            "text": sentence,
            "publisher": publisher(articles[n - 1]),
            "published": published(articles[n - 1]),
            "citations": [n],
        }
        for n, sentence in picks
    ]
    quoted = {s for _, s in picks}
    impact = impact_lines(numbered, sentences, used=quoted)
    quoted |= {line["text"] for line in impact.values()}
    return {
        "kind": KIND,
        "topics": [clean_text(a.title) for _, a in numbered][:MAX_TOPICS],
        "excerpts": excerpts,
        "key_figures": key_figures(numbered, sentences, quoted=quoted),
        "impact": impact,
    }


@dataclass(frozen=True)
class StoryGroup:
    """One story of a section: its source numbers, the article to quote from first."""

    story_id: int | None
    numbers: tuple[int, ...]
    follow_up: bool = False
    new_facts: tuple[str, ...] = ()

    def as_content(self) -> dict:
        """Its entry in a section's "stories" list (see newsletter/editorial/sections.py)."""
        entry = {"id": self.story_id, "citations": list(self.numbers)}
        if self.follow_up:
            entry["follow_up"] = True
            entry["new_facts"] = list(self.new_facts)
        return entry


def story_excerpt_content(
    articles: list[Article], groups: list[StoryGroup], *, language: str
) -> dict:
    """The section's content told per story: one excerpt each, in the stories' order,
    quoted from its first quotable article and citing all its sources. Key figures
    and impact lines come from the articles quoted.

    A story none of whose pages has a quotable sentence gets no excerpt: its title,
    in the section's sources, tells it, rather than the title again dressed as a
    quote ("munderdiffl.in (Aug 22): Munder Difflin – Agent harness …")."""
    quoted: list[tuple[int, Article]] = []
    sentences: dict[int, list[str]] = {}
    items = []
    for group in groups:
        number, sentence = _story_sentence(group, articles, sentences)
        article = articles[number - 1]
        quoted.append((number, article))
        if sentence is None:
            continue
        item = {
            "text": sentence,
            "publisher": publisher(article),
            "published": published(article),
            "citations": list(group.numbers),
        }
        if group.story_id is not None:
            item["story"] = group.story_id
        if group.follow_up:
            item["follow_up"] = True
        items.append(item)
    used = {item["text"] for item in items}
    impact = impact_lines(quoted, sentences, used=used)
    used |= {line["text"] for line in impact.values()}
    return {
        "kind": KIND,
        "topics": [clean_text(a.title) for _, a in quoted][:MAX_TOPICS],
        "excerpts": items,
        "key_figures": key_figures(quoted, sentences, quoted=used),
        "impact": impact,
    }


def _story_sentence(
    group: StoryGroup, articles: list[Article], sentences: dict[int, list[str]]
) -> tuple[int, str | None]:
    """(source number, sentence): the most central lead sentence of the story's first
    article that has one; (its first source, None) when none has."""
    for number in group.numbers:
        article = articles[number - 1]
        sentences[number] = quotable_sentences(article)
        picks = _select([(number, article)], {number: sentences[number]})
        if picks:
            return picks[0]
    return group.numbers[0], None


def _is_korean(article: Article) -> bool:
    return article.language == "ko" or bool(
        re.search(r"[\uac00-\ud7a3]", article.title)
    )


def _select(
    numbered: list[tuple[int, Article]], sentences: dict[int, list[str]]
) -> list[tuple[int, str]]:
    """(n, sentence) pairs: the most central lead sentences, one or two per article."""
    titles = [clean_text(a.title) for _, a in numbered]
    pool = [
        (n, i, s)
        for (n, _), title in zip(numbered, titles, strict=True)
        for i, s in enumerate(sentences[n])
        if is_about_the_story(s, title)
    ]
    if not pool:
        return []
    matrix = _tfidf([s for _, _, s in pool] + titles)
    vectors, title_vectors = matrix[: len(pool)], matrix[len(pool) :]
    similarity = (vectors @ vectors.T).toarray()
    centrality = (similarity.sum(axis=1) - 1) / max(len(pool) - 1, 1)
    title_of = {n: index for index, (n, _) in enumerate(numbered)}
    to_title = (vectors @ title_vectors.T).toarray()
    scores = [
        (centrality[k] + TITLE_WEIGHT * to_title[k, title_of[n]])
        / (1 + LEAD_DECAY * i)
        * min(1.0, SHORT_CHARS / len(sentence)) ** 0.5
        * news_weight(sentence)
        for k, (n, i, sentence) in enumerate(pool)
    ]
    per_article = 2 if len(numbered) <= TWO_PER_ARTICLE_UP_TO else 1
    chosen: list[int] = []
    for n, _ in numbered:
        ranked = sorted(
            (k for k, item in enumerate(pool) if item[0] == n), key=lambda k: -scores[k]
        )
        mine = []
        for k in ranked:
            if len(mine) == per_article or len(chosen) + len(mine) == MAX_EXCERPTS:
                break
            if all(similarity[k, j] < DUPLICATE_SIMILARITY for j in chosen + mine):
                mine.append(k)
        chosen += sorted(mine, key=lambda k: pool[k][1])
    return [(pool[k][0], pool[k][2]) for k in chosen]


def is_about_the_story(sentence: str, title: str) -> bool:
    """Whether a sentence tells the story its title names: it shares a word with the
    title, or says what happened today (today, now, announced). A page's other
    sentences are background ("The format is detected from the actual file content"
    on a model's API page): the story is better told by its title than by them."""
    if _SAYS_IT_IS_TODAY.search(sentence) or _ANNOUNCES.search(sentence):
        return True
    return bool(_story_words(sentence) & _story_words(title))


def _story_words(text: str) -> set[str]:
    """Content words, and the parts of hyphenated ones ("deepseek-v4-flash-vision")."""
    words = set(_terms(text))
    return words | {part for w in words for part in w.split("-") if len(part) > 2}


def news_weight(sentence: str) -> float:
    """How surely a sentence reports the day's news rather than background: today or
    now, else an announcing verb or a number; the title's words count through
    TITLE_WEIGHT."""
    if _SAYS_IT_IS_TODAY.search(sentence):
        return PRESENT_BONUS
    return NEWS_BONUS if _SAYS_WHAT_IS_NEW.search(sentence) else 1.0


def _terms(text: str) -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    latin = re.findall(r"[a-z][a-z0-9\-]+|\d+(?:\.\d+)?%?", text.lower())
    return [w for w in latin if w not in ENGLISH_STOP_WORDS] + [
        stem for _, stem in korean_words(text)
    ]


def _tfidf(texts: list[str]):
    # scikit-learn loads in seconds: only the offline path pays for it, on first use.
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_terms, sublinear_tf=True)
    try:
        return vectorizer.fit_transform(texts)
    except ValueError:  # no terms at all (symbols only): every text scores the same
        from scipy.sparse import csr_matrix

        return csr_matrix((len(texts), 1))


# The same vectors rank the sentences the model is given (compression.py).
tfidf = _tfidf


# --- impact and key figures ------------------------------------------------------

# Whole words only (newsletter.editorial.keywords). No word that is common in other senses:
# "policy" (a robot's control policy), "security", "safety", "public", "model",
# "training", "performance" and "cost" would give every AI story every area.
IMPACT_KEYWORDS = {
    "economy": KeywordSet.of(
        "market revenue pricing price investment investor funding valuation customer "
        "enterprise economy economic employment labor acquisition "
        "startup sales profit subscription tariff gdp partnership "
        "시장 매출 투자 투자자 기업 경제 일자리 고용 가격 수익 인수 스타트업 요금 "
        "수출 산업".split()
    ),
    "politics_society": KeywordSet.of(
        [
            *"regulation regulator regulatory government law lawmaker legislation "
            "legislative congress senate parliament election ministry minister court "
            "lawsuit antitrust sovereignty sovereign military society societal ethics "
            "ethical copyright privacy misuse citizen democracy surveillance "
            "규제 정부 법안 법률 국회 선거 정책 개인정보 윤리 사회 공공 저작권 주권 "
            "시민 시민단체 시행령 기본법 감시 제도 부처 당국".split(),
            "public sector",
            "public policy",
            "national security",
            "eu ai act",
        ]
    ),
    "science_technology": KeywordSet.of(
        "research researcher benchmark paper study experiment dataset algorithm "
        "accuracy scientific science scientist open-source open-weight parameters "
        "architecture arxiv peer-reviewed laboratory "
        "연구 연구팀 연구진 논문 벤치마크 정확도 데이터셋 알고리즘 실험 과학 과학자 "
        "오픈소스 매개변수 검증".split()
    ),
}
# An amount of money is one economy keyword, however it is written.
MONEY = re.compile(
    r"\$\s?\d[\d,.]*|\d[\d,.]*\s?(?:달러|억\s?원|조\s?원|만\s?원|원)(?![\uac00-\ud7a3])"
    r"|\b\d[\d,.]*\s?(?:dollars|euros|usd|eur)\b",
    re.IGNORECASE,
)


def impact_hits(area: str, text: str) -> Counter[str]:
    """Keywords of `area` in `text`, whole words only, with money as one keyword."""
    hits = IMPACT_KEYWORDS[area].hits(text)
    if area == "economy":
        money = len(MONEY.findall(text))
        if money:
            hits["<amount of money>"] = money
    return hits


def impact_lines(
    numbered: list[tuple[int, Article]],
    sentences: dict[int, list[str]],
    *,
    used: set[str] | None = None,
) -> dict[str, dict]:
    """One attributed sentence per area that an article really addresses, else nothing.

    Each is stored as an excerpt (publisher, date, citation): the reader's page or
    email writes the attribution in the reader's language.

    A sentence already quoted (`used`, or for another area) is not quoted again.
    """
    used = set(used or ())
    result = {}
    for area in IMPACT_KEYWORDS:
        best = None
        for n, article in numbered:
            text = f"{article.title}\n{prompts.article_body(article)}"
            distinct = len(impact_hits(area, text))
            if distinct < MIN_IMPACT_HITS:
                continue
            for sentence in sentences[n]:
                if sentence in used:
                    continue
                score = len(impact_hits(area, sentence))
                if score >= MIN_SENTENCE_HITS and (
                    best is None or (score, distinct) > best[:2]
                ):
                    best = (score, distinct, n, sentence)
        if best is not None:
            _, _, n, sentence = best
            used.add(sentence)
            article = dict(numbered)[n]
            result[area] = {
                "text": sentence,
                "publisher": publisher(article),
                "published": published(article),
                "citations": [n],
            }
    return result


UNIT = (
    r"%|퍼센트포인트|퍼센트|percent|percentage points?|배|x(?![A-Za-z])|times"
    r"|billion|million|trillion|억\s?원|조\s?원|만\s?원|억|조|달러|원(?![\uac00-\ud7a3])"
    r"|tokens?|parameters?|GPUs?|hours?|minutes?|seconds?|ms|days?|weeks?|languages?"
    r"|시간|분|초|개국|명|개|종|건|비트|bits?|GB|TB"
)
FIGURE = re.compile(rf"(?:\$\s?)?\d[\d,]*(?:\.\d+)?\s?(?:{UNIT})", re.IGNORECASE)


MAX_FIGURE_CHARS = 220
# A Korean sentence is whole when it ends on its predicate (…했다., …이다., …요.).
_KOREAN_PREDICATE_END = re.compile(r"(?:다|요|음|함|됨)[.!。]?[\"”’')]*$")


def is_whole_fact(sentence: str) -> bool:
    """Whether `sentence` states a figure as a whole fact: a number with its unit and
    its subject in a complete, quotable clause (not "7 or 30 days", not a clause torn
    at a comma: "하늘-2는 매개변수 320억 개 규모로")."""
    match = FIGURE.search(sentence)
    if match is None or junk_reason(sentence) is not None:
        return False
    if len(sentence) > MAX_FIGURE_CHARS:
        return False
    # The subject comes before the number: a sentence opening on it is a fragment.
    if not re.search(r"[^\W\d_]{2,}", sentence[: match.start()]):
        return False
    if re.search(r"[\uac00-\ud7a3]", sentence):
        return bool(_KOREAN_PREDICATE_END.search(sentence))
    return sentence[:1].isupper() or sentence[:1] in "\"“‘'"


def figures_in(text: str) -> set[str]:
    """The figures `text` states, as written ("76.6%", "$100,000", "300억 원")."""
    return {re.sub(r"\s+", "", m.group(0)).lower() for m in FIGURE.finditer(text)}


def key_figures(
    numbered: list[tuple[int, Article]],
    sentences: dict[int, list[str]],
    *,
    quoted: set[str] = frozenset(),
) -> list[dict]:
    """Whole facts with numbers (is_whole_fact), one per article, or nothing.

    A sentence already quoted (an excerpt or an impact line) gives no figure, nor
    does one stating a figure such a line or an earlier figure states: the reader
    has just read it.
    """
    stated = set().union(*(figures_in(line) for line in quoted)) if quoted else set()
    figures = []
    for n, _ in numbered:
        for sentence in sentences[n]:
            if sentence in quoted or not is_whole_fact(sentence):
                continue
            if figures_in(sentence) & stated:
                continue
            stated |= figures_in(sentence)
            figures.append({"text": sentence, "citations": [n]})
            break
        if len(figures) == MAX_KEY_FIGURES:
            break
    return figures
