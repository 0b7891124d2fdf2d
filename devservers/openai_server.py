"""A fake OpenAI-compatible chat-completions server on 127.0.0.1 (tests, benchmarks).

    with FakeOpenAI() as fake:
        settings.OPENAI_BASE_URL = fake.base_url
        fake.script("rate_limit", "ok")      # answers for the next requests, in order
        ...
        fake.requests                        # every request received, parsed

It answers /v1/chat/completions for the schemas the project sends: ArticleLabels
(classification), Briefing (section summary), PapersBriefing (a Papers section), Repairs (lines written again) and
Headlines (one line per <story>), TranslatedBriefing / TranslatedPapers (a briefing or Papers section in another language: every text "translated" by a fixed
phrase table, [n] markers and citations kept, so tests can tell the languages apart). A
valid answer is built from the request itself: labels from keyword rules over each
<article>, briefings that cite [1]..[n] and copy phrases of the delivered <source>
blocks, in Korean when the system prompt asks for Korean, repairs that rewrite each
<line> from the first source it cites (else source 1). When the script is empty every
request gets "ok".

Scripted behaviours:
    ok               valid structured output
    rate_limit       HTTP 429 (retry-after-ms: 5), the client retries
    server_error     HTTP 500 (retry-after-ms: 5), the client retries
    timeout          sleeps `timeout_sleep` seconds before answering
    length           finish_reason "length" with half of the JSON
    bad_schema       JSON that breaks the schema (unknown category, wrong types)
    refusal          message.refusal set, no content
    hangul_stripped  the valid Korean answer with every Hangul character removed
    bad_citations    citations and [n] markers to sources that do not exist
    invented         a valid answer plus a year and a company found in no source
    wrong_source     a valid answer whose last event cites source 1 for what another
                     source says (a Briefing), or whose lines all keep citing source 1
                     for another source's words (Repairs)
A callable behaviour gets the parsed request body and returns the message content.
Once the script is empty, `behaviour_by_schema` (schema name -> behaviour) answers, so a
benchmark can have every Briefing misbehave and every Repairs answer well.

Usage rule (what `usage` reports): every non-ASCII character is one token and ASCII
text is one token per 4 characters, rounded up; each message adds 4 tokens, the reply
3, and the JSON schema of response_format is counted as prompt text. Completion tokens
apply the same rule to the returned content (or refusal). `usage_override` replaces it.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_ARTICLE = re.compile(
    r'<article id="(\d+)">\nTitle: (.*?)\nText: (.*?)\n</article>', re.S
)
SOURCE_BLOCK = re.compile(
    r'<source n="(\d+)">\n(?:Publisher: .*?\n)?(?:Published: .*?\n)?'
    r"Title: (.*?)\nText: (.*?)\n</source>",
    re.S,
)
LINE_BLOCK = re.compile(
    r'<line id="(\d+)">\nText: (.*?)\n(?:Problem: .*?\n)*</line>', re.S
)

KOREAN_EVENT = "관련 발표가 나왔으며 업계와 연구자들의 관심이 모이고 있다"
KOREAN_IMPACT = {
    "economy": "관련 기업들의 사업 전략과 시장 경쟁에 변화가 예상된다",
    "politics_society": "안전과 책임 있는 사용에 대한 사회적 논의가 이어질 전망이다",
    "science_technology": "모델 성능과 연구 방법이 한 단계 발전하는 계기가 될 수 있다",
}


def count_tokens(text: str) -> int:
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return non_ascii + math.ceil((len(text) - non_ascii) / 4)


class FakeOpenAI:
    def __init__(self, *, timeout_sleep: float = 1.5) -> None:
        self.timeout_sleep = timeout_sleep
        self.requests: list[dict] = []
        self.usage_override: tuple[int, int] | None = None
        # Lower-case keyword -> slug, tried in order before the slug-name heuristic.
        self.label_rules: dict[str, str] = {}
        # What a schema's requests get once the script is empty (default "ok").
        self.behaviour_by_schema: dict[str, object] = {}
        self._script: deque = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def script(self, *behaviours) -> None:
        with self._lock:
            self._script.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()

    def requests_for(self, schema_name: str) -> list[dict]:
        return [r for r in self.requests if schema_of(r["body"])[0] == schema_name]

    # --- request handling -----------------------------------------------------

    def _next_behaviour(self, schema_name: str | None = None):
        with self._lock:
            if self._script:
                return self._script.popleft()
            return self.behaviour_by_schema.get(schema_name, "ok")

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._send(400, {"error": {"message": "invalid JSON"}})
                with fake._lock:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                        }
                    )
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": "not found"}})
                behaviour = fake._next_behaviour(schema_of(body)[0])
                if behaviour == "rate_limit":
                    return self._send(429, _error("Rate limit reached"), retry=True)
                if behaviour == "server_error":
                    return self._send(
                        500, _error("The server had an error"), retry=True
                    )
                if behaviour == "timeout":
                    time.sleep(fake.timeout_sleep)
                    behaviour = "ok"
                try:
                    payload = fake.completion(body, behaviour)
                except (
                    Exception
                ) as exc:  # a bug in a scripted answer: say so, don't hang
                    return self._send(500, _error(f"fake server error: {exc!r}"))
                try:
                    self._send(200, payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, status: int, payload: dict, *, retry: bool = False) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                if retry:
                    self.send_header("retry-after-ms", "5")
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def completion(self, body: dict, behaviour) -> dict:
        name, schema = schema_of(body)
        content, refusal, finish_reason = self.content(body, behaviour, name, schema)
        prompt_tokens, completion_tokens = self.usage(body, schema, content or refusal)
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish_reason,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": refusal,
                    },
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def content(self, body: dict, behaviour, name, schema):
        """(content, refusal, finish_reason) as the behaviour asks."""
        if callable(behaviour):
            return behaviour(body), None, "stop"
        if behaviour == "refusal":
            return None, "I'm sorry, I can't help with that request.", "stop"
        answer = _misbehave(self.answer(body, name, schema), behaviour, name, body)
        content = json.dumps(answer, ensure_ascii=False)
        if behaviour == "length":
            return content[: len(content) // 2], None, "length"
        return content, None, "stop"

    def usage(self, body: dict, schema, reply: str | None) -> tuple[int, int]:
        """Tokens by the documented rule (see `count_tokens`), or as overridden."""
        if self.usage_override:
            return self.usage_override
        prompt_tokens = 3 + sum(
            4 + count_tokens(str(m.get("content") or ""))
            for m in body.get("messages", [])
        )
        if schema is not None:
            prompt_tokens += count_tokens(json.dumps(schema))
        return prompt_tokens, count_tokens(reply or "")

    # --- valid answers built from the request ----------------------------------

    def answer(self, body: dict, name: str | None, schema: dict | None) -> dict:
        if name == "ArticleLabels":
            return self._labels(body, schema or {})
        if name == "Briefing":
            return _briefing(body)
        if name == "TranslatedBriefing":
            return _translated(body)
        if name == "TranslatedPapers":
            return _translated(body, parts=PAPERS_PARTS)
        if name == "Repairs":
            return _repairs(body)
        if name == "PapersBriefing":
            return _papers_briefing(body)
        if name == "Headlines":
            return _headlines(body)
        return {}

    def _labels(self, body: dict, schema: dict) -> dict:
        slugs = _enum(schema)
        labels = []
        for number, title, text in _ARTICLE.findall(_user(body)):
            haystack = f"{title} {text}".lower()
            slug = next((s for k, s in self.label_rules.items() if k in haystack), None)
            if slug is None:
                hits = {
                    s: sum(
                        haystack.count(part) for part in s.split("-") if len(part) > 2
                    )
                    for s in slugs
                }
                best = max(hits, key=lambda s: hits[s], default=None)
                slug = best if best and hits[best] else None
            if slug in slugs:
                labels.append(
                    {
                        "id": int(number),
                        "about_ai": True,
                        "category": slug,
                        "confidence": 0.9,
                        "fits": True,
                    }
                )
            else:
                labels.append(
                    {
                        "id": int(number),
                        "about_ai": False,
                        "category": slugs[-1],
                        "confidence": 0.3,
                        "fits": False,
                    }
                )
        return {"labels": labels}


def _briefing(body: dict) -> dict:
    sources = [
        (int(n), t.strip(), x.strip()) for n, t, x in SOURCE_BLOCK.findall(_user(body))
    ]
    korean = _language(body) == "ko"
    events = []
    for number, title, text in sources[:6]:
        phrase = " ".join(text.split()[:10]).rstrip(".,…")
        if korean:
            short = " ".join(title.split()[:3])
            events.append(
                {"text": f"{short}: {KOREAN_EVENT} [{number}]", "citations": [number]}
            )
        else:
            events.append(
                {"text": f"{title}: {phrase} [{number}]", "citations": [number]}
            )
    if not sources:
        sources = [(1, "Untitled", "no text")]
    first = sources[0][0]
    if korean:
        topics = [" ".join(t.split()[:3]) + " 관련 동향" for _, t, _ in sources[:3]]
        impact = {
            k: {"text": f"{v} [{first}]", "citations": [first]}
            for k, v in KOREAN_IMPACT.items()
        }
        final = [
            f"오늘 이 분야의 주요 소식을 정리하면 위와 같다 [{first}]",
            "전반적으로 기술 발전과 책임 있는 활용이 함께 논의되고 있다",
        ]
    else:
        topics = [t for _, t, _ in sources[:3]]
        impact = {
            k: {
                "text": f"Source [{first}] reports: "
                f"{' '.join(sources[0][2].split()[:8])}",
                "citations": [first],
            }
            for k in ("economy", "politics_society", "science_technology")
        }
        final = [f"{t} [{n}]" for n, t, _ in sources[:2]]
    return {
        "topics": topics,
        "events": events,
        "impact": impact,
        "final_summary": final,
    }


# The fixed Korean of _briefing and what the fake translator makes of it.
KOREAN_TO_ENGLISH = {
    KOREAN_EVENT: "the announcement drew attention from industry and researchers",
    KOREAN_IMPACT["economy"]: "companies may change their strategies and competition",
    KOREAN_IMPACT[
        "politics_society"
    ]: "the debate on safe and responsible use is likely to go on",
    KOREAN_IMPACT[
        "science_technology"
    ]: "it may move models and research methods forward",
    "오늘 이 분야의 주요 소식을 정리하면 위와 같다": "these were the field's main stories today",
    "전반적으로 기술 발전과 책임 있는 활용이 함께 논의되고 있다": (
        "progress and responsible use are discussed together"
    ),
    "관련 동향": "developments",
    # The fixed Korean of _papers_briefing.
    "새로운 방법을 제안하고 성능을 검증했다": "proposes a new method and tests it",
    "관련 연구": "research",
    "대규모 모델의 효율과 신뢰성 향상이 공통 관심사다": (
        "efficient and reliable large models are the shared interest"
    ),
    "연구 분야: 새로운 평가와 방법론이 제시되었다": (
        "research: new evaluations and methods were proposed"
    ),
    "앞으로 실제 적용과 재현성 검증이 주목된다": (
        "watch for applications and replication next"
    ),
}
PAPERS_PARTS = ("topics", "trends", "papers", "fields", "outlook")
KOREAN_SENTENCE = "이 항목은 원문을 한국어로 옮긴 것이다"
_BRIEFING_DATA = re.compile(r"<briefing>\n(.*?)\n</briefing>", re.S)
_CITATION = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def _translated(body: dict, *, parts: tuple[str, ...] | None = None) -> dict:
    """The briefing (or, with ``parts``, the Papers section) in the prompt, each
    text in the target language."""
    data = _BRIEFING_DATA.search(_user(body))
    briefing = json.loads(data.group(1).replace("‹", "<").replace("›", ">"))
    into_korean = "into Korean" in _system(body)

    def text(value: str) -> str:
        if into_korean:
            markers = " ".join(_CITATION.findall(value))
            return f"{KOREAN_SENTENCE} {markers}".strip() if value else ""
        for korean, english in KOREAN_TO_ENGLISH.items():
            value = value.replace(korean, english)
        # A word left in Korean is dropped whole: "1조" must not read as "1".
        return " ".join(w for w in value.split() if not _HANGUL.search(w))

    if parts is not None:
        return {
            part: [
                {"text": text(item["text"]), "citations": item["citations"]}
                if isinstance(item, dict)
                else text(item)
                for item in briefing[part]
            ]
            for part in parts
        }
    return {
        "topics": [text(t) for t in briefing["topics"]],
        "events": [
            {"text": text(e["text"]), "citations": e["citations"]}
            for e in briefing["events"]
        ],
        "impact": {
            area: line and {"text": text(line["text"]), "citations": line["citations"]}
            for area, line in briefing["impact"].items()
        },
        "final_summary": [text(t) for t in briefing["final_summary"]],
    }


def _sources(body: dict) -> list[tuple[int, str, str]]:
    return [
        (int(n), t.strip(), x.strip()) for n, t, x in SOURCE_BLOCK.findall(_user(body))
    ]


def _event_from(number: int, title: str, text: str, *, korean: bool) -> str:
    if korean:
        return f"{' '.join(title.split()[:3])}: {KOREAN_EVENT} [{number}]"
    phrase = " ".join(text.split()[:10]).rstrip(".,…")
    return f"{title}: {phrase} [{number}]"


def _repairs(body: dict, *, cite_first_for: int | None = None) -> dict:
    """Each <line> rewritten from the first source it cites (else source 1); with
    ``cite_first_for``, from that source but still citing [1]."""
    sources = {n: (t, x) for n, t, x in _sources(body)}
    korean = _language(body) == "ko"
    lines = []
    for line_id, text in LINE_BLOCK.findall(_user(body)):
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", text) if int(n) in sources]
        number = cited[0] if cited else min(sources, default=1)
        if cite_first_for is not None and cite_first_for in sources:
            title, words = sources[cite_first_for]
            rewritten = _event_from(1, title, words, korean=korean)
            lines.append({"id": int(line_id), "text": rewritten, "citations": [1]})
            continue
        title, words = sources.get(number, ("Untitled", ""))
        rewritten = _event_from(number, title, words, korean=korean)
        lines.append({"id": int(line_id), "text": rewritten, "citations": [number]})
    return {"lines": lines}


def _papers_briefing(body: dict) -> dict:
    """A Papers section: one line per paper citing it, the other parts in the
    language asked for."""
    sources = [
        (int(n), t.strip(), x.strip()) for n, t, x in SOURCE_BLOCK.findall(_user(body))
    ]
    korean = _language(body) == "ko"
    lines = []
    for number, title, text in sources:
        short = " ".join(title.split()[:4])
        if korean:
            lines.append(f"{short}: 새로운 방법을 제안하고 성능을 검증했다 [{number}]")
        else:
            phrase = " ".join(text.split()[:12]).rstrip(".,…")
            lines.append(f"{short}: {phrase} [{number}]")
    titles = [" ".join(t.split()[:3]) for _, t, _ in sources[:3]]
    if korean:
        return {
            "topics": [f"{t} 관련 연구" for t in titles],
            "trends": ["대규모 모델의 효율과 신뢰성 향상이 공통 관심사다"],
            "papers": [{"text": line, "citations": []} for line in lines],
            "fields": ["연구 분야: 새로운 평가와 방법론이 제시되었다"],
            "outlook": ["앞으로 실제 적용과 재현성 검증이 주목된다"],
        }
    return {
        "topics": titles,
        "trends": ["Efficiency and reliability of large models"],
        "papers": [{"text": line, "citations": []} for line in lines],
        "fields": ["Research: new methods and evaluations were proposed"],
        "outlook": ["Watch for applications and replication"],
    }


STORY_BLOCK = re.compile(r'<story id="(\d+)">\n(.*?)</story>', re.S)
ENGLISH_HEADLINE = "A new AI development was announced"
KOREAN_HEADLINE = "관련 소식이 전해졌다"


def _headlines(body: dict) -> dict:
    """One line per <story>: its first title in the language asked for, else (a
    story told only in the other language) a fixed line in it."""
    korean = _language(body) == "ko"
    lines = []
    for number, block in STORY_BLOCK.findall(_user(body)):
        titles = re.findall(r"^Title: (.*)$", block, re.M)
        own = [t for t in titles if bool(_HANGUL.search(t)) == korean]
        if own:
            text = own[0]
        elif korean:
            text = f"{' '.join(titles[0].split()[:3])} {KOREAN_HEADLINE}"
        else:
            text = ENGLISH_HEADLINE
        lines.append({"id": int(number), "text": text})
    return {"lines": lines}


def _break_schema(name: str | None) -> dict:
    if name == "ArticleLabels":
        return {
            "labels": [{"id": 1, "category": "made-up-category", "confidence": "high"}]
        }
    return {"topics": "not a list", "events": [{"text": 5}], "impact": None}


def schema_of(body: dict) -> tuple[str | None, dict | None]:
    fmt = body.get("response_format") or {}
    spec = fmt.get("json_schema") or {}
    return spec.get("name"), spec.get("schema")


def _enum(schema: dict) -> list[str]:
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if "enum" in node and not found:
                found.extend(node["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def _user(body: dict) -> str:
    return "\n".join(
        str(m.get("content") or "")
        for m in body.get("messages", [])
        if m.get("role") == "user"
    )


def _system(body: dict) -> str:
    return "\n".join(
        str(m.get("content") or "")
        for m in body.get("messages", [])
        if m.get("role") == "system"
    )


def _language(body: dict) -> str:
    return "ko" if "Write in Korean" in _system(body) else "en"


def _error(message: str) -> dict:
    return {"error": {"message": message, "type": "server_error", "code": None}}


def _misbehave(answer: dict, behaviour, name: str, body: dict) -> dict:
    """A valid answer spoiled the way `behaviour` names (else returned as it is)."""
    if behaviour == "bad_schema":
        return _break_schema(name)
    if behaviour == "hangul_stripped":
        return json.loads(_HANGUL.sub("", json.dumps(answer, ensure_ascii=False)))
    if behaviour == "bad_citations" and name == "Briefing":
        for event in answer["events"]:
            event["citations"] = [len(answer["events"]) + 40]
            event["text"] = re.sub(r"\[\d+\]", "[99]", event["text"])
        answer["final_summary"].append(answer["final_summary"][0] + " [0]")
    elif behaviour == "wrong_source" and name == "Briefing":
        sources = _sources(body)
        if len(sources) > 1:
            number, title, text = sources[-1]
            wrong = _event_from(number, title, text, korean=_language(body) == "ko")
            wrong = wrong.replace(f"[{number}]", "[1]")
            answer["events"][-1] = {"text": wrong, "citations": [1]}
    elif behaviour == "wrong_source" and name == "Repairs":
        sources = _sources(body)
        if len(sources) > 1:
            answer = _repairs(body, cite_first_for=sources[-1][0])
    elif behaviour == "invented" and name == "Briefing":
        claim = {
            "ko": "2031년 Palantir와의 새 계약도 발표되었다 [1]",
            "en": "Palantir also signed a new contract in 2031 [1]",
        }[_language(body)]
        answer["events"].append({"text": claim, "citations": [1]})
    return answer
