"""The OpenAI-compatible HTTP face: `POST /v1/chat/completions` and `GET /v1/models`, mounted on the chat's
own FastAPI app. The conversions are in `openai_format`; this module owns what HTTP adds: the login, the
size of a body, the line of waiting requests, server-sent events and the status of every refusal."""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.sse import format_sse_event

from assistant.errors import AssistantError, IndexBusyError, IndexUnavailableError, InvalidRequestError
from assistant.web.login import Credentials
from assistant.web.openai_format import (
    MODEL_ID,
    ApiError,
    ChunkWriter,
    Usage,
    bad_request,
    chain_request,
    chat_completion,
    parse_request,
    unknown_model,
)
from assistant.web.render import UNEXPECTED, public_message

if TYPE_CHECKING:
    from assistant.types import Answer
    from assistant.web.services import AppServices

log = logging.getLogger("newsdesk.api")

BUSY_RETRY_AFTER_S = 2


class Line:
    """At most ``running`` requests answered at once and ``waiting`` more in line; beyond that, 429.

    Admission is counted with a lock (a ticket may be returned from a worker thread or a finalizer);
    answering runs in worker threads bounded by one anyio CapacityLimiter, waiting without a thread."""

    def __init__(self, running: int, waiting: int) -> None:
        self.running, self.capacity = running, running + waiting
        self._admitted = 0
        self._lock = threading.Lock()
        self._limiter: Any = None

    @property
    def limiter(self) -> Any:
        if self._limiter is None:  # made in the server's event loop, on the first request
            import anyio

            self._limiter = anyio.CapacityLimiter(self.running)
        return self._limiter

    def admit(self) -> Ticket | None:
        with self._lock:
            if self._admitted >= self.capacity:
                return None
            self._admitted += 1
        return Ticket(self)

    def _leave(self) -> None:
        with self._lock:
            self._admitted -= 1


class Ticket:
    def __init__(self, line: Line) -> None:
        self._line: Line | None = line
        self._lock = threading.Lock()

    def release(self) -> None:
        """Idempotent: the stream's end, its finalizer and an error path may all call it."""
        with self._lock:
            line, self._line = self._line, None
        if line is not None:
            line._leave()


def openai_router(services: AppServices) -> APIRouter:
    from openai.types import Model

    from assistant.providers.tokenizer import token_encoding

    settings = services.settings
    credentials = Credentials(settings.auth.get_secret_value() if settings.auth else None)
    line = Line(settings.concurrency_limit, settings.queue_size)
    max_body = settings.api_max_request_kb * 1024
    started = int(time.time())
    encoding = token_encoding()

    def count(text: str) -> int:
        return len(encoding.encode(text, disallowed_special=()))

    def error(problem: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(problem.body(), status_code=problem.status, headers=headers)

    def refused(request: Request) -> JSONResponse | None:
        if credentials.allow(request.headers.get("authorization")):
            return None
        return error(
            ApiError(
                401,
                "Missing or wrong credentials: send the ASSISTANT_AUTH pair 'user:password' as "
                "the API key (Authorization: Bearer user:password) or as basic auth.",
                "invalid_api_key",
            ),
            {"WWW-Authenticate": 'Bearer realm="newsdesk"'},
        )

    def model_card() -> Any:
        return Model(id=MODEL_ID, object="model", created=started, owned_by="newsdesk")

    router = APIRouter(prefix="/v1")

    @router.get("/models")
    async def list_models(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        return JSONResponse({"object": "list", "data": [model_card().model_dump(exclude_none=True)]})

    @router.get("/models/{model}")
    async def get_model(model: str, request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        if model != MODEL_ID:
            return error(unknown_model(model))
        return JSONResponse(model_card().model_dump(exclude_none=True))

    @router.post("/chat/completions")
    async def chat_completions(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        body = await _read_body(request, max_body)
        if isinstance(body, ApiError):
            return error(body)
        try:
            api_request = parse_request(body)
            if api_request.model != MODEL_ID:
                return error(unknown_model(api_request.model))
            chain_input = chain_request(api_request)
        except InvalidRequestError as exc:
            return error(bad_request(str(exc)))
        ticket = line.admit()
        if ticket is None:
            return error(
                ApiError(
                    429,
                    "Newsdesk is answering as many questions as it can; retry in a moment.",
                    "rate_limit_exceeded",
                    type="requests",
                ),
                {"Retry-After": str(BUSY_RETRY_AFTER_S)},
            )
        usage = Usage.of(api_request, count)
        try:
            if not api_request.stream:
                answer = await _in_thread(line, services.chain.invoke, chain_input)
                ticket.release()
                return JSONResponse(chat_completion(answer, api_request, usage).model_dump(exclude_none=True))
            answers = services.chain.stream(chain_input)
            first = await _in_thread(line, next, answers)  # a refusal is still an HTTP status here
        except Exception as exc:
            ticket.release()
            return error(_as_api_error(exc))
        except BaseException:  # cancelled: the client left while waiting
            ticket.release()
            raise
        writer = ChunkWriter(api_request, usage)
        events = _events(line, writer, first, answers, ticket, format_sse_event)
        weakref.finalize(events, ticket.release)  # a client gone before the first byte
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


async def _in_thread(line: Line, function: Any, *args: Any) -> Any:
    import anyio

    return await anyio.to_thread.run_sync(function, *args, limiter=line.limiter)


async def _events(
    line: Line,
    writer: ChunkWriter,
    first: Answer,
    answers: Iterator[Answer],
    ticket: Ticket,
    format_sse_event: Any,
) -> AsyncIterator[bytes]:
    """The stream: the role, each added piece of text, the last chunk with the citations, [DONE]. An
    error after the first byte is one OpenAI-style error event (the client raises it), then [DONE]."""

    def event(chunk: Any) -> bytes:
        return format_sse_event(data_str=chunk.model_dump_json(exclude_none=True))

    end = object()
    try:
        yield event(writer.opening())
        answer: Any = first
        while answer is not end:
            if answer.done:
                for chunk in writer.final(answer):
                    yield event(chunk)
                break
            if (chunk := writer.partial(answer)) is not None:
                yield event(chunk)
            answer = await _in_thread(line, next, answers, end)
        yield format_sse_event(data_str="[DONE]")
    except Exception as exc:
        problem = _as_api_error(exc)
        yield format_sse_event(data_str=json.dumps(problem.body()))
        yield format_sse_event(data_str="[DONE]")
    finally:
        answers.close()  # a client that left mid-answer: the chain's run ends with what it had
        ticket.release()


async def _read_body(request: Request, limit: int) -> object | ApiError:
    too_large = ApiError(
        413,
        f"The request body is larger than {limit // 1024} KB (ASSISTANT_API_MAX_REQUEST_KB).",
        "request_too_large",
    )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return too_large
    received = bytearray()
    async for piece in request.stream():
        received += piece
        if len(received) > limit:
            return too_large
    if not received:
        return bad_request("The request body is empty: send a JSON object with 'model' and 'messages'.")
    try:
        return json.loads(received)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return bad_request(f"The request body is not valid JSON ({exc.__class__.__name__}).")


def _as_api_error(exc: BaseException) -> ApiError:
    if isinstance(exc, InvalidRequestError):
        return bad_request(str(exc))
    if isinstance(exc, IndexUnavailableError | IndexBusyError):
        log.info("refused: %s", exc)
        return ApiError(503, public_message(str(exc)), "index_unavailable", type="server_error")
    if isinstance(exc, AssistantError):
        log.warning("answering failed: %s", exc)
        return ApiError(500, public_message(str(exc)), "assistant_error", type="server_error")
    log.error("answering failed", exc_info=exc)
    return ApiError(500, UNEXPECTED, "internal_error", type="server_error")
