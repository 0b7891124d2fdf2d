"""The one door to the LLM: client, structured calls, cache, token budget, call log.

Every call goes through `call_structured`, which:
- answers from the cache when the same (model, messages, schema) was answered before
  and the answer was accepted; the cached call is logged with cached=True and 0 tokens;
- refuses to start a call the run's TokenBudget cannot afford (BudgetExceeded);
- sends the request through `client.chat.completions.parse(response_format=Model)`;
- logs one LLMCall row per request with the usage the server reported;
- turns every failure into an LLMError with a `kind` the callers branch on
  (api, timeout, truncated, refusal, schema, content_filter, budget).

Token counts: what the server returns in `usage` is the truth and the only thing logged
or charged. Before a call we only need an estimate that never undercounts, so
`estimate_tokens` counts every non-ASCII character (Hangul, CJK, accents) as one token
and ASCII text as one token per 4 characters, rounded up. Measured tokenizers give
Korean about 1 character per token and English 4 to 4.6, so this rule is exact for
Korean and slightly high for English. tiktoken is not used: it downloads its encodings
on first use, which fails offline.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

import openai
import pydantic
from django.conf import settings
from django.db.models import Count, Q, Sum

from newsletter.editorial import asking
from newsletter.editorial.text import estimate_tokens
from newsletter.models import Digest, LLMCall

T = TypeVar("T", bound=pydantic.BaseModel)

# Tokens the chat format adds around each message and before the reply.
MESSAGE_OVERHEAD_TOKENS = 4
REPLY_OVERHEAD_TOKENS = 3

# USD per million tokens; defaults are gpt-4o-mini's list prices.
DEFAULT_PRICE_INPUT_PER_MTOK = Decimal("0.15")
DEFAULT_PRICE_OUTPUT_PER_MTOK = Decimal("0.60")


class LLMError(Exception):
    """A call that produced nothing usable. `kind` names the reason for the call log."""

    def __init__(self, kind: str, message: str, *, call: LLMCall | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.call = call


class CacheMiss(LLMError):
    def __init__(self) -> None:
        super().__init__("cache_miss", "no accepted answer in the cache")


class BudgetExceeded(LLMError):
    def __init__(self, message: str) -> None:
        super().__init__("budget", message)


class TokenBudget:
    """Tokens (prompt + completion) one run may spend. Cached answers cost nothing."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, int(limit))
        self.spent = 0
        # Set when a call was refused: the rest of the run stays offline, so a smaller
        # later section cannot slip in and blur where the money ran out.
        self.exhausted = False

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.spent)

    def would_exceed(self, tokens: int) -> bool:
        return self.spent + tokens > self.limit

    def charge(self, prompt: int, completion: int) -> None:
        self.spent += int(prompt) + int(completion)

    def __repr__(self) -> str:
        return f"TokenBudget(limit={self.limit}, spent={self.spent})"


@dataclass
class LLMResult(Generic[T]):
    parsed: T
    call: LLMCall
    cached: bool


def is_enabled() -> bool:
    """LLM on: the switch is set and there is somewhere to send requests."""
    return bool(
        settings.LLM_ENABLED and (settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)
    )


def get_client() -> openai.OpenAI:
    # Local OpenAI-compatible servers (Ollama, vLLM) take any key; the client needs one.
    return openai.OpenAI(
        api_key=settings.OPENAI_API_KEY or "not-needed",
        base_url=settings.OPENAI_BASE_URL or None,
        timeout=float(settings.LLM_TIMEOUT),
        max_retries=int(settings.LLM_MAX_RETRIES),
    )


def estimate_prompt_tokens(
    messages: list[dict[str, str]],
    response_format: type[pydantic.BaseModel] | None = None,
) -> int:
    total = REPLY_OVERHEAD_TOKENS
    for message in messages:
        total += MESSAGE_OVERHEAD_TOKENS + estimate_tokens(message["content"])
    if response_format is not None:
        # Structured outputs bill the JSON schema as input too.
        total += estimate_tokens(json.dumps(response_format.model_json_schema()))
    return total


def cost_estimate(prompt_tokens: int, completion_tokens: int) -> Decimal:
    price_in = Decimal(
        str(getattr(settings, "LLM_PRICE_INPUT_PER_MTOK", DEFAULT_PRICE_INPUT_PER_MTOK))
    )
    price_out = Decimal(
        str(
            getattr(
                settings, "LLM_PRICE_OUTPUT_PER_MTOK", DEFAULT_PRICE_OUTPUT_PER_MTOK
            )
        )
    )
    cost = (prompt_tokens * price_in + completion_tokens * price_out) / Decimal(
        1_000_000
    )
    return cost.quantize(Decimal("0.000001"))


def cache_key(
    *,
    model: str,
    messages: list[dict[str, str]],
    response_format: type[pydantic.BaseModel],
) -> str:
    payload = json.dumps(
        {
            "model": model,
            "messages": messages,
            "schema": response_format.model_json_schema(),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _cached_answer(key: str, response_format: type[T]) -> T | None:
    row = (
        LLMCall.objects.filter(
            cache_key=key, cached=False, error="", response__isnull=False
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        return None
    try:
        return response_format.model_validate(row.response)
    except pydantic.ValidationError:
        # The schema changed since (a category was added): no longer a valid answer.
        return None


def call_structured(
    *,
    purpose: str,
    model: str,
    messages: list[dict[str, str]],
    response_format: type[T],
    max_tokens: int,
    digest: Digest | None = None,
    budget: TokenBudget | None = None,
    use_cache: bool = True,
    cache_only: bool = False,
) -> LLMResult[T]:
    """One request: logs exactly one LLMCall row, raises LLMError on failure.

    cache_only: answer from the cache or raise CacheMiss, logging nothing.
    """
    key = cache_key(model=model, messages=messages, response_format=response_format)
    if use_cache:
        answer = _cached_answer(key, response_format)
        if answer is not None:
            call = LLMCall.objects.create(
                purpose=purpose,
                model=model,
                digest=digest,
                cache_key=key,
                cached=True,
                response=answer.model_dump(mode="json"),
            )
            return LLMResult(parsed=answer, call=call, cached=True)
    if cache_only:
        raise CacheMiss()
    _reserve(budget, estimate_prompt_tokens(messages, response_format) + max_tokens)

    started = time.monotonic()
    reply = _request(model, messages, response_format, max_tokens)
    if budget is not None:
        budget.charge(reply.prompt_tokens, reply.completion_tokens)
    call = LLMCall.objects.create(
        purpose=purpose,
        model=model,
        digest=digest,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        latency_ms=int((time.monotonic() - started) * 1000),
        cost_estimate=cost_estimate(reply.prompt_tokens, reply.completion_tokens),
        cache_key=key,
        response=(
            reply.parsed.model_dump(mode="json") if reply.parsed is not None else None
        ),
        error=f"{reply.error.kind}: {reply.error}"[:2000] if reply.error else "",
    )
    if reply.error is not None:
        reply.error.call = call
        raise reply.error
    assert reply.parsed is not None
    return LLMResult(parsed=reply.parsed, call=call, cached=False)


def _reserve(budget: TokenBudget | None, needed: int) -> None:
    """Refuse a call the run's budget cannot afford, and every call after it."""
    if budget is not None and (budget.exhausted or budget.would_exceed(needed)):
        budget.exhausted = True
        raise BudgetExceeded(
            f"the next call needs up to {needed} tokens, "
            f"{budget.remaining} of {budget.limit} remain"
        )


@dataclass
class _Reply(Generic[T]):
    """What one request gave: the answer or the error, and the usage reported."""

    parsed: T | None = None
    error: LLMError | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _request(
    model: str,
    messages: list[dict[str, str]],
    response_format: type[T],
    max_tokens: int,
) -> _Reply[T]:
    reply: _Reply[T] = _Reply()
    try:
        # No temperature: reasoning models reject it, and the cache, not sampling, is
        # what makes a re-run identical. The raw response keeps `usage` readable when
        # parsing the answer fails.
        raw = get_client().chat.completions.with_raw_response.parse(
            model=model,
            messages=messages,
            response_format=response_format,
            max_completion_tokens=max_tokens,
        )
        reply.prompt_tokens, reply.completion_tokens = _usage_from_body(raw.text)
        message = raw.parse().choices[0].message
        if message.refusal:
            reply.error = LLMError("refusal", message.refusal[:500])
        elif message.parsed is None:
            reply.error = LLMError("schema", "the answer held no structured content")
        else:
            reply.parsed = message.parsed
    except (
        openai.OpenAIError,
        pydantic.ValidationError,
        json.JSONDecodeError,
        ValueError,
    ) as exc:
        reply.error = _error_for(exc, max_tokens=max_tokens)
    return reply


def _error_for(exc: Exception, *, max_tokens: int) -> LLMError:
    """The LLMError kind callers branch on, for what the client raised."""
    if isinstance(exc, openai.LengthFinishReasonError):
        return LLMError("truncated", f"the answer hit the {max_tokens}-token limit")
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return LLMError(
            "content_filter", "the provider's content filter stopped the answer"
        )
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(
            "timeout", f"no answer within {settings.LLM_TIMEOUT}s after retries"
        )
    if isinstance(exc, openai.APIStatusError):
        return LLMError(
            "api", f"HTTP {exc.status_code} after retries: {str(exc)[:300]}"
        )
    if isinstance(exc, openai.APIConnectionError):
        return LLMError("api", f"connection failed: {exc}")
    if isinstance(exc, pydantic.ValidationError | json.JSONDecodeError | ValueError):
        return LLMError("schema", f"the answer broke the schema: {str(exc)[:500]}")
    return LLMError("api", f"{type(exc).__name__}: {str(exc)[:300]}")


def reject(result: LLMResult, reason: str) -> None:
    """Keep an answer that failed our own checks out of the cache, and say why."""
    LLMCall.objects.filter(pk=result.call.pk).update(error=f"rejected: {reason}"[:2000])


def _usage_from_body(body: str) -> tuple[int, int]:
    try:
        usage = json.loads(body).get("usage") or {}
        return int(usage.get("prompt_tokens") or 0), int(
            usage.get("completion_tokens") or 0
        )
    except (ValueError, AttributeError, TypeError):
        return 0, 0


def digest_usage(digest: Digest) -> dict:
    """Totals of the calls logged for one digest; cached calls count as calls_cached."""
    totals = LLMCall.objects.filter(digest=digest).aggregate(
        prompt_tokens=Sum("prompt_tokens"),
        completion_tokens=Sum("completion_tokens"),
        calls=Count("id", filter=Q(cached=False)),
        calls_cached=Count("id", filter=Q(cached=True)),
        calls_failed=Count("id", filter=~Q(error="")),
        cost=Sum("cost_estimate"),
    )
    return {
        "prompt_tokens": totals["prompt_tokens"] or 0,
        "completion_tokens": totals["completion_tokens"] or 0,
        "calls": totals["calls"] or 0,
        "calls_cached": totals["calls_cached"] or 0,
        "calls_failed": totals["calls_failed"] or 0,
        "cost": totals["cost"] or Decimal("0"),
    }


@dataclass
class Model:
    """One kind of structured call (purpose, schema, token cap, digest, budget) as
    ``asking.Model``: the door ``asking.ask_checked`` knocks on."""

    purpose: str
    response_format: type[pydantic.BaseModel]
    max_tokens: int
    digest: Digest | None = None
    budget: TokenBudget | None = None
    model: str = ""

    def ask(self, messages: list[dict[str, str]], *, cache_only: bool = False):
        try:
            return call_structured(
                purpose=self.purpose,
                model=self.model or settings.LLM_SUMMARY_MODEL,
                messages=messages,
                response_format=self.response_format,
                max_tokens=self.max_tokens,
                digest=self.digest,
                budget=self.budget,
                cache_only=cache_only,
            )
        except CacheMiss as exc:
            raise asking.NotCached() from exc
        except BudgetExceeded as exc:
            raise asking.Unavailable(str(exc), spent=True) from exc
        except LLMError as exc:
            raise asking.Unavailable(str(exc)) from exc

    def reject(self, answer: LLMResult, reason: str) -> None:
        reject(answer, reason)
