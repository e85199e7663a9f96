"""The chat model (ChatOpenAI, for OpenAI or any OpenAI-compatible server) and what its errors mean."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigurationError

if TYPE_CHECKING:
    from assistant.settings import Settings


def make_chat_model(settings: Settings) -> Any:
    """ChatOpenAI for OpenAI or any OpenAI-compatible server; None when no LLM is configured or wanted.

    Retries are left to the caller (assistant.answer.llm), which holds the whole attempt to a time budget."""
    if not settings.llm_configured:
        return None
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ConfigurationError("Install langchain-openai to use an LLM.") from exc
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return ChatOpenAI(
        model=settings.llm_model,
        api_key=key,  # local servers (Ollama, vLLM, llama.cpp) accept any key
        base_url=settings.openai_base_url,
        timeout=min(settings.llm_timeout_s, settings.llm_budget_s),
        max_retries=0,
        temperature=0,
        streaming=True,
    )


@dataclass(frozen=True, slots=True)
class LLMError:
    """What a chat model's exception means for the caller."""

    kind: str  # a short label safe to show users ("timed out", "rate limited (HTTP 429)")
    retryable: bool  # a rate limit, a broken connection or a server error: worth another attempt
    retry_after: float | None  # seconds the server asked to wait, when it said


def classify_llm_error(exc: BaseException, *, partial: bool) -> LLMError:
    """The meaning of an exception raised by the chat model; ``partial`` when text had arrived already."""
    import openai

    retryable = isinstance(exc, openai.RateLimitError | openai.APIConnectionError) or (
        isinstance(exc, openai.APIStatusError) and exc.status_code >= 500
    )
    if isinstance(exc, openai.APITimeoutError):
        kind = "timed out"
    elif isinstance(exc, openai.RateLimitError):
        kind = "rate limited (HTTP 429)"
    elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        kind = "not authorized: check OPENAI_API_KEY"
    elif isinstance(exc, openai.APIStatusError):
        kind = f"server error (HTTP {exc.status_code})"
    elif isinstance(exc, openai.APIConnectionError):
        kind = "the stream broke off" if partial else "could not connect"
    else:
        kind = "failed"
    return LLMError(kind, retryable, _retry_after(exc))


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
