"""The chat model's vendor seam: what openai's exceptions mean, decided in one place."""

from __future__ import annotations

import httpx
import openai
import pytest

from assistant.providers import classify_llm_error

REQUEST = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def status_error(cls: type[openai.APIStatusError], status: int, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    response = httpx.Response(status, headers=headers or {}, request=REQUEST)
    return cls("failed", response=response, body=None)


@pytest.mark.parametrize(
    ("error", "kind", "retryable"),
    [
        (openai.APITimeoutError(request=REQUEST), "timed out", True),
        (status_error(openai.RateLimitError, 429), "rate limited (HTTP 429)", True),
        (status_error(openai.AuthenticationError, 401), "not authorized: check OPENAI_API_KEY", False),
        (status_error(openai.PermissionDeniedError, 403), "not authorized: check OPENAI_API_KEY", False),
        (status_error(openai.InternalServerError, 503), "server error (HTTP 503)", True),
        (status_error(openai.BadRequestError, 400), "server error (HTTP 400)", False),
        (openai.APIConnectionError(request=REQUEST), "could not connect", True),
        (ValueError("something else"), "failed", False),
    ],
)
def test_each_llm_error_has_a_label_for_users_and_a_retry_decision(
    error: BaseException, kind: str, retryable: bool
) -> None:
    meaning = classify_llm_error(error, partial=False)
    assert (meaning.kind, meaning.retryable) == (kind, retryable)


def test_a_broken_stream_and_the_servers_retry_after() -> None:
    assert classify_llm_error(openai.APIConnectionError(request=REQUEST), partial=True).kind == (
        "the stream broke off"
    )
    limited = status_error(openai.RateLimitError, 429, {"retry-after": "1.5"})
    assert classify_llm_error(limited, partial=False).retry_after == 1.5
    garbled = status_error(openai.RateLimitError, 429, {"retry-after": "soon"})
    assert classify_llm_error(garbled, partial=False).retry_after is None
